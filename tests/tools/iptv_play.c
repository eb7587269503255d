/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iptv_play.c — build/yj-iptv-play: one or more IPTV playouts on a fixed
 * schedule, for the integration test and the bench (no database, no HTTP).
 *
 *   yj-iptv-play --lesson MASTER [--lesson2 MASTER] --address A --port P
 *                [--bitrate 2000000] [--seconds 70] [--programme 30]
 *                [--gap 0] [--start-offset 0] [--rtp] [--ttl 1]
 *                [--iface ADDR] [--channels 1] [--name 远教测试台]
 *                [--feed udp://[source@]address:port --feed-program N]
 *                [--hls-dir DIR]  (live HLS of channel 1)
 *
 * Programme i runs [T0 + i·(programme+gap), +programme) and plays lesson
 * (even i) or lesson2 (odd i); gaps are holes (the slate). T0 is now −
 * start-offset, so a positive offset checks resuming mid-programme. With
 * --feed every programme is that external feed (programme N of it). With
 * --channels N, channel k sends to port P + 2k. After --seconds it stops
 * and prints the IPTV metrics to stdout. Sends only where it is told.
 */
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"
#include "iptv/playout.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *lesson, *lesson2, *feed;
    int feed_program;
    int64_t t0, prog_ms, gap_ms;
} sched_t;

static const char *titles[] = {"党课：学习新思想", "农业技术：水稻种植", "乡村振兴讲座",
                               "卫生健康知识"};

static void fill(const sched_t *s, int64_t i, yj_iptv_programme_t *p)
{
    memset(p, 0, sizeof *p);
    p->id = i + 1;
    p->kind = YJ_IPTV_LESSON;
    p->start_ms = s->t0 + i * (s->prog_ms + s->gap_ms);
    p->end_ms = p->start_ms + s->prog_ms;
    p->title = g_strdup_printf("第%d讲 %s", (int)i + 1, titles[i % 4]);
    p->description = g_strdup("测试节目");
    p->media_path = g_strdup(i % 2 && s->lesson2 ? s->lesson2 : s->lesson);
    if (s->feed) {
        p->kind = YJ_IPTV_FEED;
        p->feed_url = g_strdup(s->feed);
        p->feed_program = s->feed_program;
    }
}

static int programme_at(int64_t channel_id, int64_t now, yj_iptv_programme_t *cur,
                        yj_iptv_programme_t *next, void *ud)
{
    const sched_t *s = ud;
    int64_t slot = s->prog_ms + s->gap_ms;
    int64_t i = now < s->t0 ? -1 : (now - s->t0) / slot;
    if (i >= 0 && now < s->t0 + i * slot + s->prog_ms) {
        fill(s, i, cur);
        fill(s, i + 1, next);
        if (s->gap_ms) { /* the hole after it comes next */
            yj_iptv_programme_clear(next);
            next->kind = YJ_IPTV_SLATE;
            next->start_ms = cur->end_ms;
            next->end_ms = cur->end_ms + s->gap_ms;
        }
        return 0;
    }
    /* a hole: before T0 or in a gap */
    memset(cur, 0, sizeof *cur);
    cur->kind = YJ_IPTV_SLATE;
    cur->start_ms = i < 0 ? now - 1000 : s->t0 + i * slot + s->prog_ms;
    cur->end_ms = s->t0 + (i + 1) * slot;
    fill(s, i + 1, next);
    return 0;
}

#include "../lsan_gst.h" /* LSan: GLib and fontconfig lifetime allocations */

int main(int argc, char **argv)
{
    sched_t s = {0};
    const char *address = "127.0.0.1", *iface = NULL, *name = "远教测试台", *hls = NULL;
    int port = 5000, bitrate = 2000000, seconds = 70, channels = 1, ttl = 1;
    double prog = 30, gap = 0, offset = 0;
    bool rtp = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rtp")) {
            rtp = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "yj-iptv-play: %s needs a value\n", a);
            return 1;
        }
        i++;
        if (!strcmp(a, "--lesson"))
            s.lesson = v;
        else if (!strcmp(a, "--feed"))
            s.feed = v;
        else if (!strcmp(a, "--feed-program"))
            s.feed_program = atoi(v);
        else if (!strcmp(a, "--lesson2"))
            s.lesson2 = v;
        else if (!strcmp(a, "--address"))
            address = v;
        else if (!strcmp(a, "--port"))
            port = atoi(v);
        else if (!strcmp(a, "--bitrate"))
            bitrate = atoi(v);
        else if (!strcmp(a, "--seconds"))
            seconds = atoi(v);
        else if (!strcmp(a, "--programme"))
            prog = atof(v);
        else if (!strcmp(a, "--gap"))
            gap = atof(v);
        else if (!strcmp(a, "--start-offset"))
            offset = atof(v);
        else if (!strcmp(a, "--ttl"))
            ttl = atoi(v);
        else if (!strcmp(a, "--iface"))
            iface = v;
        else if (!strcmp(a, "--channels"))
            channels = atoi(v);
        else if (!strcmp(a, "--name"))
            name = v;
        else if (!strcmp(a, "--hls-dir"))
            hls = v;
        else {
            fprintf(stderr, "yj-iptv-play: unknown option %s\n", a);
            return 1;
        }
    }
    if ((!s.lesson && !s.feed) || channels < 1 || channels > 1000 || seconds < 1 || prog < 1) {
        fprintf(stderr, "usage: yj-iptv-play --lesson MASTER --address A --port P ...\n");
        return 1;
    }
    s.prog_ms = (int64_t)(prog * 1000);
    s.gap_ms = (int64_t)(gap * 1000);
    s.t0 = g_get_real_time() / 1000 - (int64_t)(offset * 1000);
    yj_iptv_schedule_ops_t ops = {.programme_at = programme_at};
    yj_iptv_playout_t **po = g_new0(yj_iptv_playout_t *, (size_t)channels);
    for (int k = 0; k < channels; k++) {
        g_autofree char *nm = channels > 1 ? g_strdup_printf("%s%d", name, k + 1) : g_strdup(name);
        yj_iptv_channel_cfg_t cfg = {.id = k + 1,
                                     .number = k + 1,
                                     .name = nm,
                                     .provider = "远教县委组织部",
                                     .address = address,
                                     .port = port + 2 * k,
                                     .ttl = ttl,
                                     .interface = iface,
                                     .rtp = rtp,
                                     .bitrate = bitrate,
                                     .hls_dir = k == 0 ? hls : NULL};
        char *err = NULL;
        po[k] = yj_iptv_playout_new(&cfg, &ops, &s, &err);
        if (!po[k]) {
            fprintf(stderr, "yj-iptv-play: channel %d: %s\n", k + 1, err);
            g_free(err);
            return 2;
        }
    }
    g_usleep((gulong)seconds * G_USEC_PER_SEC);
    for (int k = 0; k < channels; k++)
        yj_iptv_playout_free(po[k]);
    g_free(po);
    char *m = yj_metrics_render();
    char **lines = g_strsplit(m, "\n", -1);
    for (char **q = lines; *q; q++)
        if (g_str_has_prefix(*q, "yj_iptv_"))
            printf("%s\n", *q);
    g_strfreev(lines);
    g_free(m);
    return 0;
}
