/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo.c — the demo channel (--demo, into a store without channels):
 * "远教一台", channel 1 of the district, sent as plain UDP to
 * 127.0.0.1:5004 so nothing leaves the machine, looping the demo course
 * all day, every day for a year. A newcomer opens it from the M3U
 * (form=multicast) in VLC on the same machine.
 */
#include "iptv_internal.h"
#include "core/log.h"
#include "vod/store.h"
#include "core/yj.h"

#include <string.h>

void yj_iptv_demo(yj_iptv_t *v);

void yj_iptv_demo(yj_iptv_t *v)
{
    GArray *all = g_array_new(FALSE, TRUE, sizeof(yj_iptv_channel_t));
    int rc = yj_iptv_store_channels(v->store, NULL, NULL, all);
    guint have = all->len;
    g_array_free(all, TRUE);
    if (rc || have)
        return;
    int64_t org = 0;
    char path[256];
    if (yj_iptv_store_org(v->store, "330100", &org, path, sizeof path)) {
        yj_info("iptv", "no demo organisation 330100; no demo channel");
        return;
    }
    yj_vod_scope_t scope = {.admin_path = path};
    json_t *list = yj_store_vod_courses(v->store, &scope, "远教平台入门", NULL, 1, 0);
    json_t *course = json_array_get(json_object_get(list, "courses"), 0);
    int64_t course_id = course ? json_integer_value(json_object_get(course, "id")) : 0;
    json_decref(list);
    yj_iptv_channel_t c = {
        .org_id = org,
        .number = 1,
        .port = 5004,
        .ttl = 1,
        .bitrate = 2000000,
    };
    g_strlcpy(c.name, "远教一台", sizeof c.name);
    g_strlcpy(c.group, "远教", sizeof c.group);
    g_strlcpy(c.address, "127.0.0.1", sizeof c.address);
    rc = yj_iptv_store_channel_put(v->store, &c, &org, 1, true, NULL);
    if (rc) {
        yj_warn("iptv", "cannot add the demo channel: %s", yj_strerror(rc));
        return;
    }
    if (!course_id) {
        yj_info("iptv", "added the demo channel without programmes (no demo course)");
        return;
    }
    /* today 00:00 in +08:00 */
    int64_t now = g_get_real_time() / 1000;
    int64_t off = (int64_t)YJ_IPTV_TZ_OFFSET_S * 1000;
    int64_t day0 = (now + off) / YJ_IPTV_DAY_MS * YJ_IPTV_DAY_MS - off;
    yj_iptv_prog_t p = {
        .channel_id = c.id,
        .course_id = course_id,
        .start_ms = day0,
        .end_ms = day0 + YJ_IPTV_DAY_MS,
        .until_ms = day0 + 365 * YJ_IPTV_DAY_MS,
        .title = g_strdup("远教平台入门（示例课程）"),
        .description = g_strdup("示例课程全天循环播放"),
    };
    g_strlcpy(p.kind, "loop", sizeof p.kind);
    g_strlcpy(p.repeat, "daily", sizeof p.repeat);
    rc = yj_iptv_store_prog_put(v->store, &p, NULL, NULL);
    yj_iptv_prog_clear(&p);
    if (rc)
        yj_warn("iptv", "cannot add the demo programme: %s", yj_strerror(rc));
    else
        yj_info("iptv", "added the demo channel 远教一台 (udp://127.0.0.1:5004)");
}
