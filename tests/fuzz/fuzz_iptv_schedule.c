/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_iptv_schedule.c — libFuzzer target for the body of POST and PATCH
 * /api/v1/channels/{id}/programmes (yj_iptv_prog_parse, iptv/api.c) and
 * the schedule resolution it feeds (iptv/schedule.c).
 *
 * The body is parsed as the HTTP layer does (jansson, duplicates
 * rejected), applied over an empty programme (a create) and over a stored
 * daily one (an update). Invariants on success: a known kind, end >
 * start, a repeated programme no longer than its period and stopping
 * within 400 days, the kind's reference present, a feed URL that parses
 * again. On failure: a 4xx status, an error code, a field and a message.
 * Then the programme is resolved against a fixed daily one at several
 * instants: a slot always contains its instant, and programme_at's
 * half-open rule holds (now.start <= t < now.end, next.start >= now.end).
 */
#include "core/yj.h"
#include "iptv/api.h"
#include "iptv/schedule.h"

#include <glib.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const yj_iptv_prog_t *p, int rc, const yj_iptv_ferr_t *e)
{
    if (rc) {
        if (e->status < 400 || e->status > 499 || !e->code[0] || !e->message[0])
            abort();
        return;
    }
    static const char *const kinds[] = {"lesson", "recording", "live", "feed", "loop"};
    bool known = false;
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
        known |= !strcmp(p->kind, kinds[i]);
    if (!known || p->end_ms <= p->start_ms || !p->repeat[0])
        abort();
    int64_t per = !strcmp(p->repeat, "daily")    ? YJ_IPTV_DAY_MS
                  : !strcmp(p->repeat, "weekly") ? YJ_IPTV_WEEK_MS
                                                 : 0;
    if (per && (p->end_ms - p->start_ms > per || p->until_ms <= p->start_ms ||
                p->until_ms - p->start_ms > YJ_IPTV_REPEAT_MAX_MS))
        abort();
    if (!per && p->until_ms)
        abort();
    if ((!strcmp(p->kind, "lesson") || !strcmp(p->kind, "recording")) && p->lesson_id < 1)
        abort();
    if (!strcmp(p->kind, "loop") && p->course_id < 1)
        abort();
    if (!strcmp(p->kind, "live") && p->meeting_id < 1)
        abort();
    bool rtp;
    if (!strcmp(p->kind, "feed") &&
        (!p->feed_url || yj_iptv_parse_feed_url(p->feed_url, NULL, 0, NULL, &rtp) || !p->title))
        abort();
    if (p->creditable && (p->minutes < 1 || p->minutes > 600))
        abort();
}

static void resolve(const yj_iptv_prog_t *p)
{
    yj_iptv_entry_t e[2];
    yj_iptv_entry_of(p, &e[0]);
    e[0].id = 2;
    static const yj_iptv_item_t items[2] = {{1, 20000, "a", "/a"}, {2, 1, "b", "/b"}};
    if (e[0].loop) {
        e[0].items = items;
        e[0].n_items = 2;
    }
    const int64_t s = INT64_C(1796691600000); /* 2026-12-08T09:00:00+08:00 */
    e[1] = (yj_iptv_entry_t){.id = 1,
                             .kind = YJ_IPTV_LESSON,
                             .start_ms = s,
                             .end_ms = s + 3600000,
                             .repeat = YJ_IPTV_DAILY,
                             .until_ms = s + 30 * YJ_IPTV_DAY_MS,
                             .title = "x"};
    bool ov = yj_iptv_entries_overlap(&e[0], &e[1]);
    if (ov != yj_iptv_entries_overlap(&e[1], &e[0]))
        abort();
    /* without overlap, at most one entry is on at any instant */
    int64_t ts[] = {e[0].start_ms, e[0].end_ms - 1,
                    e[0].end_ms,   s,
                    s + 3600000,   e[0].start_ms + (e[0].end_ms - e[0].start_ms) / 2,
                    e[0].until_ms};
    for (size_t i = 0; i < G_N_ELEMENTS(ts); i++) {
        yj_iptv_slot_t now, next;
        yj_iptv_schedule_at(e, ov ? 1 : 2, ts[i], &now, &next);
        if (!(now.start_ms <= ts[i] && ts[i] < now.end_ms))
            abort();
        if (next.entry && next.start_ms < now.end_ms)
            abort();
        yj_iptv_programme_t a, b;
        yj_iptv_slot_programme(&now, &next, "台", false, &a);
        yj_iptv_slot_programme(&next, NULL, "台", true, &b);
        if (!a.title)
            abort();
        yj_iptv_programme_clear(&a);
        yj_iptv_programme_clear(&b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return 0;
    yj_iptv_ferr_t e;
    /* as a create */
    yj_iptv_prog_t p = {0};
    int rc = yj_iptv_prog_parse(j, &p, &e);
    check(&p, rc, &e);
    if (!rc)
        resolve(&p);
    yj_iptv_prog_clear(&p);
    /* as an update of a stored daily lesson */
    yj_iptv_prog_t q = {.id = 7,
                        .channel_id = 1,
                        .lesson_id = 3,
                        .start_ms = INT64_C(1796691600000),
                        .end_ms = INT64_C(1796691600000) + 2700000,
                        .until_ms = INT64_C(1796691600000) + 10 * YJ_IPTV_DAY_MS,
                        .title = g_strdup("每日一课")};
    g_strlcpy(q.kind, "lesson", sizeof q.kind);
    g_strlcpy(q.repeat, "daily", sizeof q.repeat);
    rc = yj_iptv_prog_parse(j, &q, &e);
    check(&q, rc, &e);
    if (!rc)
        resolve(&q);
    yj_iptv_prog_clear(&q);
    json_decref(j);
    return 0;
}
