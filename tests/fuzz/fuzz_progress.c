/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_progress.c — libFuzzer target for the progress-report parser and
 * the crediting rules (vod/rules.c) and the stored interval form
 * (vod/intervals.c). Whatever the bytes, parsing must not crash or leak;
 * an accepted report applied to a stored state must keep the union
 * sorted, disjoint, inside [0, duration] and never add more than the
 * rules allow; credit is granted at most once.
 */
#include "vod/intervals.h"
#include "vod/rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_set(const yj_intervals_t *s, int64_t max)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].start < 0 || s->v[i].start >= s->v[i].end || s->v[i].end > max)
            abort();
        if (i && s->v[i - 1].end >= s->v[i].start)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The stored form parser on the same bytes (NUL-terminated copy). */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    yj_intervals_t stored = {0};
    if (yj_intervals_from_json(&stored, text) == 0)
        check_set(&stored, INT64_MAX);
    free(text);

    yj_vod_rules_report_t r;
    yj_vod_rules_error_t e;
    if (yj_vod_rules_parse((const char *)data, size, &r, &e) != 0) {
        if (!e.code[0] || !e.message[0])
            abort(); /* every refusal names a reason */
        yj_intervals_clear(&stored);
        return 0;
    }
    const int64_t dur = 600000;
    yj_vod_rules_state_t prev = {.exists = true, .updated_ms = 1000, .position_ms = 5000};
    yj_intervals_add(&prev.watched, 0, 5000);
    for (int round = 0; round < 2; round++) {
        yj_vod_rules_state_t next;
        bool credit = false;
        int64_t now = 1000 + (int64_t)round * 30000;
        int rc = yj_vod_rules_decide(&prev, &r, dur, 0.1, now, &next, &credit, &e);
        if (rc == 0) {
            check_set(&next.watched, dur);
            int64_t added = yj_intervals_total(&next.watched) - yj_intervals_total(&prev.watched);
            if (added < 0 || added > 2 * (now - prev.updated_ms) + YJ_VOD_RULES_SLACK_MS)
                abort();
            if (credit && prev.completed)
                abort(); /* credit at most once */
            yj_intervals_clear(&prev.watched);
            prev = next;
        } else if (!e.field[0] && strcmp(e.code, "not_ready") != 0) {
            abort(); /* a refused report names the field */
        }
    }
    yj_intervals_clear(&prev.watched);
    yj_intervals_clear(&stored);
    yj_vod_rules_report_clear(&r);
    return 0;
}
