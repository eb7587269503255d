/* SPDX-License-Identifier: Apache-2.0 */
/* test_vod_rules.c — progress reports (vod/rules.c): the parser's errors
 * name the field; impossible reports are refused and change nothing;
 * seeded random schedules (bursts, replays, parallel devices, clock steps)
 * never credit faster than RATE × wall time + one slack, while honest
 * playback at 1×, 1.5× and 2× with pauses still credits;
 * seeking to the end earns nothing; watching twice counts once; credit is
 * earned exactly once, when the union reaches the threshold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/yj.h"
#include "vod/rules.h"

#include <glib.h>
#include <inttypes.h>
#include <string.h>

#define DUR 100000 /* a 100 s lesson */

static int parse(const char *json, yj_vod_rules_report_t *r, yj_vod_rules_error_t *e)
{
    return yj_vod_rules_parse(json, strlen(json), r, e);
}

static void parser_errors_name_the_field(void **state)
{
    (void)state;
    yj_vod_rules_report_t r;
    yj_vod_rules_error_t e;
    static const struct {
        const char *json, *field, *code;
    } cases[] = {
        {"{", "", "invalid_json"},
        {"[]", "", "invalid_json"},
        {"{\"intervals\":[]}", "position", "invalid_position"},
        {"{\"position\":-1}", "position", "invalid_position"},
        {"{\"position\":\"5\"}", "position", "invalid_position"},
        {"{\"position\":1e300}", "position", "invalid_position"},
        {"{\"position\":1,\"intervals\":{}}", "intervals", "invalid_intervals"},
        {"{\"position\":1,\"intervals\":[[0,1],[3]]}", "intervals[1]", "invalid_interval"},
        {"{\"position\":1,\"intervals\":[[5,2]]}", "intervals[0]", "invalid_interval"},
        {"{\"position\":1,\"intervals\":[[-2,2]]}", "intervals[0]", "invalid_interval"},
        {"{\"position\":1,\"event\":\"rewind\"}", "event", "invalid_event"},
        {"{\"position\":1,\"event\":3}", "event", "invalid_event"},
        {"{\"position\":1,\"from\":null}", "from", "invalid_position"},
        {"{\"position\":1,\"hacker\":true}", "hacker", "unknown_field"},
        {"{\"position\":1,\"position\":2}", "", "invalid_json"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        assert_int_equal(parse(cases[i].json, &r, &e), YJ_EINVAL);
        assert_string_equal(e.field, cases[i].field);
        assert_string_equal(e.code, cases[i].code);
        assert_true(e.message[0] != 0);
        assert_int_equal(r.intervals.n, 0);
    }
    /* Too many intervals. */
    GString *s = g_string_new("{\"position\":1,\"intervals\":[");
    for (int i = 0; i <= YJ_VOD_RULES_MAX_INTERVALS; i++)
        g_string_append_printf(s, "%s[%d,%d.5]", i ? "," : "", i, i);
    g_string_append(s, "]}");
    assert_int_equal(parse(s->str, &r, &e), YJ_EINVAL);
    assert_string_equal(e.code, "too_many_intervals");
    g_string_free(s, TRUE);
}

static void parser_accepts_a_report(void **state)
{
    (void)state;
    yj_vod_rules_report_t r;
    yj_vod_rules_error_t e;
    assert_int_equal(parse("{\"position\":12.5,\"intervals\":[[0,5],[4,10.25]],\"event\":"
                           "\"seek\",\"from\":3}",
                           &r, &e),
                     0);
    assert_int_equal(r.position_ms, 12500);
    assert_int_equal(r.from_ms, 3000);
    assert_int_equal(r.event, YJ_EV_SEEK);
    assert_int_equal(r.raw_count, 2);
    assert_int_equal(r.intervals.n, 1);
    assert_int_equal(yj_intervals_total(&r.intervals), 10250);
    yj_vod_rules_report_clear(&r);
    assert_int_equal(parse("{\"position\":0}", &r, &e), 0);
    assert_int_equal(r.event, YJ_EV_PROGRESS);
    assert_int_equal(r.from_ms, -1);
    yj_vod_rules_report_clear(&r);
    assert_string_equal(yj_vod_rules_event_name(YJ_EV_HIDE), "hide");
    assert_int_equal(yj_vod_rules_event_parse("pause"), YJ_EV_PAUSE);
    assert_int_equal(yj_vod_rules_event_parse("nope"), -1);
}

/* Applies a JSON report to *st at time now; returns the decide() code. */
static int apply(yj_vod_rules_state_t *st, const char *json, int64_t now, bool *credit,
                 yj_vod_rules_error_t *e)
{
    yj_vod_rules_report_t r;
    assert_int_equal(parse(json, &r, e), 0);
    yj_vod_rules_state_t next;
    int rc = yj_vod_rules_decide(st, &r, DUR, 0.9, now, &next, credit, e);
    yj_vod_rules_report_clear(&r);
    if (rc == 0) {
        yj_intervals_clear(&st->watched);
        *st = next;
    }
    return rc;
}

static void impossible_reports_are_refused(void **state)
{
    (void)state;
    yj_vod_rules_state_t st = {0};
    bool credit;
    yj_vod_rules_error_t e;
    int64_t t = 1000000;
    /* First report: at most the slack (15 s) of new watching. */
    assert_int_equal(apply(&st, "{\"position\":40,\"intervals\":[[0,40]]}", t, &credit, &e),
                     YJ_EINVAL);
    assert_string_equal(e.field, "intervals");
    assert_string_equal(e.code, "impossible_progress");
    assert_false(st.exists); /* nothing changed */
    assert_int_equal(apply(&st, "{\"position\":10,\"intervals\":[[0,10]]}", t, &credit, &e), 0);
    /* 10 s later: the 5 s left of the slack + 2 × 10 s = 25 s new; the
     * slack is not granted again. 26 s is refused... */
    t += 10000;
    assert_int_equal(apply(&st, "{\"position\":36,\"intervals\":[[10,36]]}", t, &credit, &e),
                     YJ_EINVAL);
    assert_int_equal(yj_intervals_total(&st.watched), 10000);
    assert_int_equal(st.position_ms, 10000);
    /* ...25 s is accepted. */
    assert_int_equal(apply(&st, "{\"position\":35,\"intervals\":[[10,35]]}", t, &credit, &e), 0);
    assert_int_equal(yj_intervals_total(&st.watched), 35000);
    /* Outside the media: refused, naming the field. */
    t += 60000;
    assert_int_equal(apply(&st, "{\"position\":50,\"intervals\":[[95,102]]}", t, &credit, &e),
                     YJ_EINVAL);
    assert_string_equal(e.field, "intervals");
    assert_string_equal(e.code, "interval_out_of_range");
    assert_int_equal(apply(&st, "{\"position\":130,\"intervals\":[]}", t, &credit, &e), YJ_EINVAL);
    assert_string_equal(e.field, "position");
    /* Rounding slack at the end is clamped, not refused. */
    assert_int_equal(apply(&st, "{\"position\":100.4,\"intervals\":[[99,100.4]]}", t, &credit, &e),
                     0);
    assert_int_equal(st.position_ms, DUR);
    assert_int_equal(yj_intervals_total(&st.watched), 35000 + 1000);
    yj_intervals_clear(&st.watched);
}

static void seek_to_end_earns_nothing(void **state)
{
    (void)state;
    yj_vod_rules_state_t st = {0};
    bool credit = true;
    yj_vod_rules_error_t e;
    assert_int_equal(apply(&st, "{\"position\":99,\"intervals\":[],\"event\":\"seek\",\"from\":0}",
                           1000, &credit, &e),
                     0);
    assert_false(credit);
    assert_false(st.completed);
    assert_int_equal(st.position_ms, 99000);
    assert_int_equal(yj_intervals_total(&st.watched), 0);
    yj_intervals_clear(&st.watched);
}

static void twice_counts_once_and_credit_once(void **state)
{
    (void)state;
    yj_vod_rules_state_t st = {0};
    bool credit;
    yj_vod_rules_error_t e;
    int64_t t = 0;
    /* Watch 0–10 s five times: the union stays 10 s. */
    for (int i = 0; i < 5; i++) {
        t += 10000;
        assert_int_equal(apply(&st, "{\"position\":10,\"intervals\":[[0,10]]}", t, &credit, &e), 0);
        assert_false(credit);
    }
    assert_int_equal(yj_intervals_total(&st.watched), 10000);
    /* Then the rest in 10 s steps; credit when the union reaches 90 s. */
    int credits = 0;
    for (int s = 10; s < 100; s += 10) {
        t += 10000;
        char j[128];
        g_snprintf(j, sizeof j, "{\"position\":%d,\"intervals\":[[%d,%d]]}", s + 10, s, s + 10);
        assert_int_equal(apply(&st, j, t, &credit, &e), 0);
        if (credit) {
            credits++;
            assert_int_equal(yj_intervals_total(&st.watched), 90000);
        }
    }
    assert_int_equal(credits, 1);
    assert_true(st.completed);
    /* Watching again never credits again. */
    t += 10000;
    assert_int_equal(apply(&st, "{\"position\":10,\"intervals\":[[0,10]]}", t, &credit, &e), 0);
    assert_false(credit);
    assert_int_equal(yj_vod_rules_needed_ms(DUR, 0.9), 90000);
    assert_int_equal(yj_vod_rules_needed_ms(20010, 0.9), 18009);
    assert_int_equal(yj_vod_rules_needed_ms(1000, 5), 900); /* bad threshold → 0.9 */
    yj_intervals_clear(&st.watched);
}

/* ---- properties over seeded random schedules ----
 * The rule under test: newly watched time since the first report can never
 * exceed YJ_VOD_RULES_RATE × the wall time since then plus ONE slack,
 * whatever the number, spacing or origin (several devices share the one
 * per member+lesson state) of the reports. */

#define LONG_DUR 3600000 /* a one-hour lesson for the random schedules */

/* Applies intervals (ms pairs) directly; returns decide()'s code. */
static int apply_ms(yj_vod_rules_state_t *st, const int64_t *iv, size_t n, int64_t pos,
                    yj_vod_rules_event_t ev, int64_t now, bool *credit)
{
    yj_vod_rules_report_t r = {0};
    r.position_ms = pos;
    r.from_ms = -1;
    r.event = ev;
    for (size_t i = 0; i < n; i++)
        yj_intervals_add(&r.intervals, iv[2 * i], iv[2 * i + 1]);
    yj_vod_rules_state_t next;
    yj_vod_rules_error_t e;
    int rc = yj_vod_rules_decide(st, &r, LONG_DUR, 0.9, now, &next, credit, &e);
    yj_vod_rules_report_clear(&r);
    if (rc == 0) {
        yj_intervals_clear(&st->watched);
        *st = next;
    }
    return rc;
}

/* Scripted clients: bursts of back-to-back reports, replays of what was
 * already watched, several devices at once (each claiming its own part of
 * the lesson), the server clock jumping back and forth. Whatever they do,
 * after every accepted report the union stays within RATE × (latest wall
 * time − first report) + SLACK. */
static void scripted_schedules_never_beat_real_time(void **state)
{
    (void)state;
    for (guint32 seed = 1; seed <= 300; seed++) {
        GRand *g = g_rand_new_with_seed(seed);
        yj_vod_rules_state_t st = {0};
        int64_t now = 1700000000000LL + g_rand_int_range(g, 0, 1000000);
        int64_t first = -1, latest = now;
        int devices = g_rand_int_range(g, 1, 5);
        int64_t cursor[4] = {0, LONG_DUR / 4, LONG_DUR / 2, 3 * (LONG_DUR / 4)};
        int steps = g_rand_int_range(g, 20, 400);
        for (int k = 0; k < steps; k++) {
            switch (g_rand_int_range(g, 0, 6)) {
            case 0: /* burst: no time passes */
                break;
            case 1: /* a little time */
                now += g_rand_int_range(g, 0, 3000);
                break;
            case 2: /* a pause */
                now += g_rand_int_range(g, 0, 120000);
                break;
            case 3: /* the server clock steps back */
                now -= g_rand_int_range(g, 0, 60000);
                break;
            default:
                now += g_rand_int_range(g, 0, 12000);
            }
            if (now > latest)
                latest = now;
            int d = g_rand_int_range(g, 0, devices);
            int64_t iv[4];
            size_t n = 1;
            if (g_rand_int_range(g, 0, 4) == 0 && cursor[d] > 0) { /* replay */
                iv[0] = g_rand_int_range(g, 0, (gint32)cursor[d]);
                iv[1] = iv[0] + g_rand_int_range(g, 0, 20000);
            } else { /* claim a new stretch, often far more than possible */
                iv[0] = cursor[d];
                iv[1] = cursor[d] + g_rand_int_range(g, 0, 40000);
                if (g_rand_boolean(g)) {
                    iv[2] = iv[1] + 5000;
                    iv[3] = iv[2] + g_rand_int_range(g, 0, 20000);
                    n = 2;
                }
            }
            for (size_t i = 0; i < 2 * n; i++)
                iv[i] = MIN(iv[i], LONG_DUR);
            bool credit;
            if (apply_ms(&st, iv, n, iv[2 * n - 1], YJ_EV_PROGRESS, now, &credit) == 0) {
                if (first < 0)
                    first = now;
                cursor[d] = MAX(cursor[d], iv[2 * n - 1]);
                int64_t bound = YJ_VOD_RULES_RATE * (latest - first) + YJ_VOD_RULES_SLACK_MS;
                if (yj_intervals_total(&st.watched) > bound)
                    fail_msg("seed %u step %d: %" PRId64 " ms credited in %" PRId64
                             " ms of wall time (bound %" PRId64 ")",
                             seed, k, yj_intervals_total(&st.watched), latest - first, bound);
            }
        }
        yj_intervals_clear(&st.watched);
        g_rand_free(g);
    }
}

/* The reproduction: 37 back-to-back reports of 15 s each must not
 * credit a 600 s lesson (nor anything past one slack). */
static void back_to_back_reports_earn_one_slack(void **state)
{
    (void)state;
    yj_vod_rules_state_t st = {0};
    int64_t now = 5000000;
    int accepted = 0;
    bool credited = false;
    for (int i = 0; i < 37; i++) {
        int64_t iv[2] = {i * 15000, (i + 1) * 15000};
        bool credit = false;
        if (apply_ms(&st, iv, 1, iv[1], YJ_EV_PROGRESS, now + i * 3, &credit) == 0)
            accepted++;
        credited |= credit;
    }
    assert_false(credited);
    assert_true(accepted >= 1);
    assert_true(yj_intervals_total(&st.watched) <=
                YJ_VOD_RULES_SLACK_MS + YJ_VOD_RULES_RATE * 37 * 3);
    yj_intervals_clear(&st.watched);
}

/* An honest player at 1×, 1.5× and 2×: "play" (nothing watched yet), then
 * a report every 10 s with network jitter, pauses of random length
 * ("pause" … "play"), sometimes a replay of an earlier part. Every report
 * is accepted and the lesson is credited. */
static void honest_playback_credits(void **state)
{
    (void)state;
    static const double rates[] = {1.0, 1.5, 2.0};
    for (size_t ri = 0; ri < G_N_ELEMENTS(rates); ri++) {
        for (guint32 seed = 1; seed <= 40; seed++) {
            GRand *g = g_rand_new_with_seed(seed * 7919 + (guint32)ri);
            yj_vod_rules_state_t st = {0};
            int64_t wall = 1700000000000LL, pos = 0;
            bool credit = false, credited = false;
            int64_t none[2] = {0, 0};
            /* the page's "play" report carries nothing watched */
            assert_int_equal(
                apply_ms(&st, none, 0, 0, YJ_EV_PLAY, wall + g_rand_int_range(g, 0, 3000), &credit),
                0);
            int guard = 0;
            while (pos < LONG_DUR && guard++ < 2000) {
                int64_t seg_start = pos;
                int64_t step = (int64_t)(10000 * rates[ri]);
                pos = MIN(LONG_DUR, pos + step);
                wall += 10000;
                int64_t iv[2] = {seg_start, pos};
                int64_t arrive = wall + g_rand_int_range(g, 0, 3000); /* jitter */
                int rc = apply_ms(&st, iv, 1, pos, YJ_EV_PROGRESS, arrive, &credit);
                if (rc != 0)
                    fail_msg("rate %.1f seed %u: honest report at %" PRId64 " ms refused",
                             rates[ri], seed, pos);
                credited |= credit;
                if (g_rand_int_range(g, 0, 20) == 0) { /* pause, then play again */
                    assert_int_equal(apply_ms(&st, none, 0, pos, YJ_EV_PAUSE, arrive, &credit), 0);
                    wall += g_rand_int_range(g, 1000, 600000);
                    assert_int_equal(apply_ms(&st, none, 0, pos, YJ_EV_PLAY, wall, &credit), 0);
                }
                if (g_rand_int_range(g, 0, 30) == 0 && pos > 60000) { /* rewatch a minute */
                    pos -= 60000;
                }
            }
            assert_true(credited);
            assert_true(st.completed);
            yj_intervals_clear(&st.watched);
            g_rand_free(g);
        }
    }
}

static void not_ready_lesson(void **state)
{
    (void)state;
    yj_vod_rules_report_t r;
    yj_vod_rules_error_t e;
    assert_int_equal(parse("{\"position\":0}", &r, &e), 0);
    yj_vod_rules_state_t next;
    bool credit;
    assert_int_equal(yj_vod_rules_decide(NULL, &r, 0, 0.9, 0, &next, &credit, &e), YJ_EINVAL);
    assert_string_equal(e.code, "not_ready");
    yj_vod_rules_report_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parser_errors_name_the_field),
        cmocka_unit_test(parser_accepts_a_report),
        cmocka_unit_test(impossible_reports_are_refused),
        cmocka_unit_test(seek_to_end_earns_nothing),
        cmocka_unit_test(twice_counts_once_and_credit_once),
        cmocka_unit_test(not_ready_lesson),
        cmocka_unit_test(scripted_schedules_never_beat_real_time),
        cmocka_unit_test(back_to_back_reports_earn_one_slack),
        cmocka_unit_test(honest_playback_credits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
