/* SPDX-License-Identifier: Apache-2.0 */
/* test_vod_rules.c — progress reports (vod/rules.c): the parser's errors
 * name the field; impossible reports are refused and change nothing;
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
    /* 10 s later: up to 2 × 10 + 15 = 35 s new. 36 s is refused... */
    t += 10000;
    assert_int_equal(apply(&st, "{\"position\":46,\"intervals\":[[10,46]]}", t, &credit, &e),
                     YJ_EINVAL);
    assert_int_equal(yj_intervals_total(&st.watched), 10000);
    assert_int_equal(st.position_ms, 10000);
    /* ...35 s is accepted. */
    assert_int_equal(apply(&st, "{\"position\":45,\"intervals\":[[10,45]]}", t, &credit, &e), 0);
    assert_int_equal(yj_intervals_total(&st.watched), 45000);
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
    assert_int_equal(yj_intervals_total(&st.watched), 45000 + 1000);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
