/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.c — parsing progress reports and the crediting rules; see rules.h.
 *
 * Everything from the network is hostile: the parser accepts exactly one
 * JSON object with known keys of the right types, bounded in size and
 * count, and converts seconds to integer milliseconds once, so the rules
 * work on exact integers.
 */
#include "rules.h"
#include "core/yj.h"

#include <glib.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#define MAX_SECONDS 1e7 /* ~115 days: longer than any lesson */

static const char *const event_names[] = {
    [YJ_EV_PROGRESS] = "progress", [YJ_EV_PLAY] = "play",   [YJ_EV_PAUSE] = "pause",
    [YJ_EV_SEEK] = "seek",         [YJ_EV_ENDED] = "ended", [YJ_EV_HIDE] = "hide",
};

const char *yj_vod_rules_event_name(yj_vod_rules_event_t ev)
{
    return (unsigned)ev < YJ_ARRAY_LEN(event_names) ? event_names[ev] : NULL;
}

int yj_vod_rules_event_parse(const char *name)
{
    for (size_t i = 0; name && i < YJ_ARRAY_LEN(event_names); i++)
        if (strcmp(name, event_names[i]) == 0)
            return (int)i;
    return -1;
}

static int fail(yj_vod_rules_error_t *err, const char *field, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(yj_vod_rules_error_t *err, const char *field, const char *code, const char *fmt, ...)
{
    g_strlcpy(err->field, field, sizeof err->field);
    g_strlcpy(err->code, code, sizeof err->code);
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return YJ_EINVAL;
}

/* A JSON number of seconds in [0, MAX_SECONDS] → ms. */
static bool seconds(json_t *v, int64_t *ms)
{
    if (!json_is_number(v))
        return false;
    double d = json_number_value(v);
    if (!isfinite(d) || d < 0 || d > MAX_SECONDS)
        return false;
    *ms = (int64_t)llround(d * 1000.0);
    return true;
}

void yj_vod_rules_report_clear(yj_vod_rules_report_t *r)
{
    if (r)
        yj_intervals_clear(&r->intervals);
}

int yj_vod_rules_parse(const char *body, size_t len, yj_vod_rules_report_t *out,
                      yj_vod_rules_error_t *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    out->from_ms = -1;
    if (len > YJ_VOD_RULES_MAX_BODY)
        return fail(err, "", "too_large", "a progress report is at most %d bytes",
                    YJ_VOD_RULES_MAX_BODY);
    json_error_t je;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return fail(err, "", "invalid_json", "malformed JSON at line %d, column %d: %s", je.line,
                    je.column, je.text);
    int rc = 0;
    if (!json_is_object(o)) {
        rc = fail(err, "", "invalid_json", "the report must be a JSON object");
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (strcmp(key, "position") && strcmp(key, "intervals") && strcmp(key, "event") &&
            strcmp(key, "from")) {
            char f[32];
            g_strlcpy(f, key, sizeof f);
            rc = fail(err, f, "unknown_field",
                      "unknown field; a report has position, intervals, event and from");
            goto out;
        }
    }
    if (!seconds(json_object_get(o, "position"), &out->position_ms)) {
        rc = fail(err, "position", "invalid_position",
                  "position must be a number of seconds from 0 to the lesson's length");
        goto out;
    }
    v = json_object_get(o, "from");
    if (v && !seconds(v, &out->from_ms)) {
        rc = fail(err, "from", "invalid_position", "from must be a number of seconds");
        goto out;
    }
    v = json_object_get(o, "event");
    if (v) {
        int ev = json_is_string(v) ? yj_vod_rules_event_parse(json_string_value(v)) : -1;
        if (ev < 0) {
            rc = fail(err, "event", "invalid_event",
                      "event must be one of progress, play, pause, seek, ended, hide");
            goto out;
        }
        out->event = (yj_vod_rules_event_t)ev;
    }
    v = json_object_get(o, "intervals");
    if (v && !json_is_array(v)) {
        rc = fail(err, "intervals", "invalid_intervals",
                  "intervals must be an array of [start, end] pairs in seconds");
        goto out;
    }
    if (json_array_size(v) > YJ_VOD_RULES_MAX_INTERVALS) {
        rc = fail(err, "intervals", "too_many_intervals",
                  "at most %d intervals per report; report more often", YJ_VOD_RULES_MAX_INTERVALS);
        goto out;
    }
    size_t i;
    json_t *p;
    json_array_foreach(v, i, p)
    {
        int64_t a, b;
        char f[32];
        g_snprintf(f, sizeof f, "intervals[%zu]", i);
        if (!json_is_array(p) || json_array_size(p) != 2 || !seconds(json_array_get(p, 0), &a) ||
            !seconds(json_array_get(p, 1), &b)) {
            rc = fail(err, f, "invalid_interval",
                      "each interval is [start, end] with 0 <= start <= end, in seconds");
            goto out;
        }
        if (a > b) {
            rc = fail(err, f, "invalid_interval", "interval ends before it starts");
            goto out;
        }
        yj_intervals_add(&out->intervals, a, b);
        out->raw_count++;
    }
out:
    json_decref(o);
    if (rc)
        yj_vod_rules_report_clear(out);
    return rc;
}

int64_t yj_vod_rules_needed_ms(int64_t duration_ms, double threshold)
{
    if (threshold <= 0 || threshold > 1)
        threshold = 0.9;
    return (int64_t)ceil((double)duration_ms * threshold - 1e-6);
}

int yj_vod_rules_decide(const yj_vod_rules_state_t *prev, const yj_vod_rules_report_t *r,
                       int64_t duration_ms, double threshold, int64_t now_ms,
                       yj_vod_rules_state_t *next, bool *credit, yj_vod_rules_error_t *err)
{
    memset(err, 0, sizeof *err);
    *credit = false;
    if (duration_ms <= 0)
        return fail(err, "", "not_ready", "the lesson has no media yet");
    int64_t limit = duration_ms + YJ_VOD_RULES_EDGE_MS;
    if (r->position_ms > limit)
        return fail(err, "position", "position_out_of_range",
                    "position %.1f s is past the end of the lesson (%.1f s)",
                    (double)r->position_ms / 1000, (double)duration_ms / 1000);
    for (size_t i = 0; i < r->intervals.n; i++) {
        if (r->intervals.v[i].end > limit)
            /* Merged, so name the report as a whole rather than a guess at
             * the original index. */
            return fail(err, "intervals", "interval_out_of_range",
                        "an interval ends at %.1f s, past the end of the lesson (%.1f s)",
                        (double)r->intervals.v[i].end / 1000, (double)duration_ms / 1000);
    }

    yj_vod_rules_state_t n = {0};
    n.exists = true;
    if (prev && prev->exists)
        yj_intervals_copy(&n.watched, &prev->watched);
    int64_t before = yj_intervals_total(&n.watched);
    for (size_t i = 0; i < r->intervals.n; i++) {
        int64_t a = r->intervals.v[i].start, b = r->intervals.v[i].end;
        yj_intervals_add(&n.watched, MIN(a, duration_ms), MIN(b, duration_ms));
    }
    if (n.watched.n > YJ_INTERVALS_MAX) {
        yj_intervals_clear(&n.watched);
        return fail(err, "intervals", "too_fragmented",
                    "the watched intervals are too fragmented (over %d pieces)", YJ_INTERVALS_MAX);
    }
    int64_t added = yj_intervals_total(&n.watched) - before;
    /* The budget: one slack at the first report, then RATE × wall time,
     * capped; time never runs backwards for it (budget_at only grows). */
    int64_t budget = YJ_VOD_RULES_SLACK_MS, at = now_ms;
    if (prev && prev->exists && prev->has_budget) {
        budget = prev->budget_ms;
        at = prev->budget_at_ms;
        if (now_ms > at) {
            int64_t dt = now_ms - at;
            budget = dt > YJ_VOD_RULES_BURST_MS
                         ? YJ_VOD_RULES_BURST_MS
                         : MIN(YJ_VOD_RULES_BURST_MS, budget + YJ_VOD_RULES_RATE * dt);
            at = now_ms;
        }
    }
    if (added > budget) {
        yj_intervals_clear(&n.watched);
        return fail(err, "intervals", "impossible_progress",
                    "the report adds %.1f s of watching but at most %.1f s is possible now "
                    "(at most %d× the time since the viewing began)",
                    (double)added / 1000, (double)budget / 1000, YJ_VOD_RULES_RATE);
    }
    n.has_budget = true;
    n.budget_ms = budget - added;
    n.budget_at_ms = at;
    n.position_ms = MIN(r->position_ms, duration_ms);
    n.updated_ms = now_ms;
    n.completed = prev && prev->exists && prev->completed;
    if (!n.completed &&
        yj_intervals_total(&n.watched) >= yj_vod_rules_needed_ms(duration_ms, threshold)) {
        n.completed = true;
        *credit = true;
    }
    *next = n;
    return 0;
}
