/* SPDX-License-Identifier: Apache-2.0 */
/* test_vod_intervals.c — interval-union sets (vod/intervals.c): merging,
 * touching, containment, totals, the stored form and xAPI segments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/yj.h"
#include "vod/intervals.h"

#include <glib.h>
#include <string.h>

static void check(const yj_intervals_t *s, const char *want)
{
    char *j = yj_intervals_to_json(s);
    assert_string_equal(j, want);
    g_free(j);
}

static void union_basics(void **state)
{
    (void)state;
    yj_intervals_t s = {0};
    assert_int_equal(yj_intervals_add(&s, 10, 20), 0);
    assert_int_equal(yj_intervals_add(&s, 30, 40), 0);
    check(&s, "[[10,20],[30,40]]");
    assert_int_equal(yj_intervals_total(&s), 20);
    /* Overlap on the left merges. */
    yj_intervals_add(&s, 5, 12);
    check(&s, "[[5,20],[30,40]]");
    /* Touching merges (half-open intervals: [20,30) fills the gap). */
    yj_intervals_add(&s, 20, 30);
    check(&s, "[[5,40]]");
    assert_int_equal(yj_intervals_total(&s), 35);
    /* Watching a part twice counts once. */
    yj_intervals_add(&s, 10, 35);
    assert_int_equal(yj_intervals_total(&s), 35);
    /* Empty intervals change nothing; reversed ones are refused. */
    assert_int_equal(yj_intervals_add(&s, 100, 100), 0);
    assert_int_equal(yj_intervals_add(&s, 50, 49), YJ_EINVAL);
    assert_int_equal(yj_intervals_add(&s, -1, 3), YJ_EINVAL);
    check(&s, "[[5,40]]");
    /* Inserted before, between, after; then one spanning everything. */
    yj_intervals_add(&s, 0, 2);
    yj_intervals_add(&s, 60, 70);
    yj_intervals_add(&s, 45, 50);
    check(&s, "[[0,2],[5,40],[45,50],[60,70]]");
    yj_intervals_add(&s, 1, 65);
    check(&s, "[[0,70]]");
    yj_intervals_clear(&s);
    yj_intervals_clear(&s);
    yj_intervals_clear(NULL);
    assert_int_equal(s.n, 0);
}

/* Against a bitmap model with random intervals. */
static void union_matches_model(void **state)
{
    (void)state;
    GRand *rnd = g_rand_new_with_seed(42);
    for (int round = 0; round < 200; round++) {
        unsigned char bits[512] = {0};
        yj_intervals_t s = {0};
        for (int k = 0; k < 30; k++) {
            int a = g_rand_int_range(rnd, 0, 500), b = a + g_rand_int_range(rnd, 0, 40);
            if (b > 512)
                b = 512;
            yj_intervals_add(&s, a, b);
            memset(bits + a, 1, (size_t)(b - a));
        }
        int64_t want = 0;
        for (int i = 0; i < 512; i++)
            want += bits[i];
        assert_int_equal(yj_intervals_total(&s), want);
        for (size_t i = 1; i < s.n; i++)
            assert_true(s.v[i - 1].end < s.v[i].start); /* disjoint, not touching */
        yj_intervals_clear(&s);
    }
    g_rand_free(rnd);
}

static void stored_form(void **state)
{
    (void)state;
    yj_intervals_t s = {0}, t = {0};
    yj_intervals_add(&s, 0, 1500);
    yj_intervals_add(&s, 20000, 30500);
    char *j = yj_intervals_to_json(&s);
    assert_int_equal(yj_intervals_from_json(&t, j), 0);
    check(&t, j);
    g_free(j);
    /* Unsorted, overlapping input is normalised. */
    assert_int_equal(yj_intervals_from_json(&t, "[[30,40],[0,10],[5,31]]"), 0);
    check(&t, "[[0,40]]");
    const char *bad[] = {"",          "{}",          "[[1]]", "[[2,1]]", "[[-1,3]]",
                         "[[1.5,2]]", "[[\"a\",2]]", "[1,2]", NULL};
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(yj_intervals_from_json(&t, bad[i]), YJ_EINVAL);
        assert_int_equal(t.n, 0);
    }
    assert_int_equal(yj_intervals_from_json(&t, NULL), YJ_EINVAL);
    yj_intervals_merge(&t, &s);
    assert_int_equal(yj_intervals_total(&t), 1500 + 10500);
    yj_intervals_clear(&s);
    yj_intervals_clear(&t);
}

static void xapi_segments(void **state)
{
    (void)state;
    yj_intervals_t s = {0};
    char *seg = yj_intervals_to_segments(&s);
    assert_string_equal(seg, "");
    g_free(seg);
    yj_intervals_add(&s, 0, 10500);
    yj_intervals_add(&s, 20000, 30125);
    seg = yj_intervals_to_segments(&s);
    assert_string_equal(seg, "0[.]10.5[,]20[.]30.125");
    g_free(seg);
    yj_intervals_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(union_basics),
        cmocka_unit_test(union_matches_model),
        cmocka_unit_test(stored_form),
        cmocka_unit_test(xapi_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
