/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.h — a learner's progress report: parsing it and deciding, against
 * the stored state, whether it is possible and whether it earns credit.
 *
 * Pure functions (no I/O, no clock, no SQL) so the crediting rules are
 * unit-tested and the parser is fuzzed on its own:
 *
 *  - every interval lies inside the media, [0, duration] (1 s of rounding
 *    slack, clamped);
 *  - newly watched time (what a report adds to the union) is paid from a
 *    budget kept per member and lesson — shared by all of the member's
 *    devices — that starts at ONE slack (YJ_VOD_RULES_SLACK_MS) at the first
 *    report and grows by YJ_VOD_RULES_RATE × the wall time that passes,
 *    capped at YJ_VOD_RULES_BURST_MS. So whatever the number, spacing or
 *    origin of the reports, the union never grows by more than RATE × the
 *    wall time since the first report plus one slack (the slack is never
 *    granted again per report); a server clock stepping back grants
 *    nothing until it is past the last accounted instant again;
 *  - the union of watched intervals reaching threshold × duration earns
 *    the lesson's credit once; the position alone earns nothing, so
 *    seeking to the end earns nothing and watching a part twice counts
 *    once.
 * A refused report changes nothing and names the offending field.
 */
#ifndef YJ_VOD_RULES_H
#define YJ_VOD_RULES_H

#include "intervals.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YJ_VOD_RULES_SLACK_MS 15000 /* one allowance, at the first report */
#define YJ_VOD_RULES_RATE 2         /* fastest playback rate credited */
/* The budget's cap: what a report may add after a long time without one
 * (the page's offline queue: 5 minutes at 2×). */
#define YJ_VOD_RULES_BURST_MS 600000
#define YJ_VOD_RULES_EDGE_MS 1000      /* tolerated overshoot past the end */
#define YJ_VOD_RULES_MAX_INTERVALS 200 /* per report */
#define YJ_VOD_RULES_MAX_BODY 16384

typedef enum {
    YJ_EV_PROGRESS, /* periodic heartbeat while playing */
    YJ_EV_PLAY,
    YJ_EV_PAUSE,
    YJ_EV_SEEK,
    YJ_EV_ENDED,
    YJ_EV_HIDE, /* page hidden / closed (sendBeacon) */
} yj_vod_rules_event_t;

typedef struct {
    int64_t position_ms; /* where the player is now */
    int64_t from_ms;     /* seek: where it jumped from; -1 if absent */
    yj_vod_rules_event_t event;
    yj_intervals_t intervals; /* watched since the last report, merged */
    size_t raw_count;         /* intervals as sent, before merging */
} yj_vod_rules_report_t;

typedef struct {
    char field[32]; /* "position", "intervals[3]", … */
    char code[40];  /* machine-readable: "invalid_interval", … */
    char message[200];
} yj_vod_rules_error_t;

/* What is stored per member and lesson. */
typedef struct {
    bool exists;
    yj_intervals_t watched;
    int64_t position_ms;
    int64_t updated_ms; /* wall time of the last accepted report (ms) */
    /* The crediting budget; has_budget false (a row from before it
     * existed) starts a fresh one at one slack. */
    bool has_budget;
    int64_t budget_ms;    /* ms of new watching the next report may add */
    int64_t budget_at_ms; /* the latest wall time the budget accounts for */
    bool completed;       /* credit already earned */
} yj_vod_rules_state_t;

/* Parses a report body (JSON object {position, intervals, event, from}).
 * Positions and interval ends are seconds (numbers). On success returns 0
 * and fills *out (the caller frees with yj_vod_rules_report_clear); on
 * failure returns YJ_EINVAL and fills *err. */
int yj_vod_rules_parse(const char *body, size_t len, yj_vod_rules_report_t *out,
                      yj_vod_rules_error_t *err);
void yj_vod_rules_report_clear(yj_vod_rules_report_t *r);

/* Short name of an event ("pause") and back; NULL / -1 when unknown. */
const char *yj_vod_rules_event_name(yj_vod_rules_event_t ev);
int yj_vod_rules_event_parse(const char *name);

/* Applies report r to prev at wall time now_ms for a lesson of duration_ms
 * with completion threshold (0 < threshold <= 1). On success returns 0,
 * fills *next (caller clears next->watched) and sets *credit when this
 * report makes the union reach the threshold for the first time. On a
 * refused report returns YJ_EINVAL with *err filled and *next untouched. */
int yj_vod_rules_decide(const yj_vod_rules_state_t *prev, const yj_vod_rules_report_t *r,
                       int64_t duration_ms, double threshold, int64_t now_ms,
                       yj_vod_rules_state_t *next, bool *credit, yj_vod_rules_error_t *err);

/* Milliseconds of watched union needed for credit (ceil). */
int64_t yj_vod_rules_needed_ms(int64_t duration_ms, double threshold);

#endif
