/* SPDX-License-Identifier: Apache-2.0 */
/* test_attendance.c — interval union (overlaps from reconnects and several
 * devices, clipping to the meeting's span) and the threshold/credit rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "signaling/attendance.h"

static void union_disjoint_and_overlapping(void **state)
{
    (void)state;
    /* Two devices overlap [10,40) and [30,50); a reconnect after a gap. */
    yj_interval_t iv[] = {{100, 160}, {30, 50}, {10, 40}};
    assert_int_equal(yj_interval_union(iv, 3, 0, 1000), 40 + 60);
    /* Touching intervals merge without double counting. */
    yj_interval_t t[] = {{0, 10}, {10, 20}, {20, 30}};
    assert_int_equal(yj_interval_union(t, 3, 0, 100), 30);
    /* One interval contained in another. */
    yj_interval_t c[] = {{0, 100}, {20, 30}, {50, 60}};
    assert_int_equal(yj_interval_union(c, 3, 0, 1000), 100);
}

static void union_clips_to_meeting(void **state)
{
    (void)state;
    /* Joined before the start, stayed after the end. */
    yj_interval_t iv[] = {{-50, 500}, {900, 2000}};
    assert_int_equal(yj_interval_union(iv, 2, 0, 1000), 500 + 100);
    /* Entirely outside. */
    yj_interval_t o[] = {{1000, 2000}};
    assert_int_equal(yj_interval_union(o, 1, 0, 1000), 0);
}

static void union_ignores_empty_and_inverted(void **state)
{
    (void)state;
    yj_interval_t iv[] = {{50, 50}, {80, 60}, {0, 5}};
    assert_int_equal(yj_interval_union(iv, 3, 0, 100), 5);
    assert_int_equal(yj_interval_union(NULL, 0, 0, 100), 0);
    assert_int_equal(yj_interval_union(iv, 3, 100, 0), 0);
}

static void threshold_and_credit(void **state)
{
    (void)state;
    /* Default 50% of 60 minutes. */
    assert_int_equal(yj_attendance_threshold_seconds(60, 50), 1800);
    /* Rounded up to the next second: 10% of 1 minute is 6 s, 33% is 19.8 → 20. */
    assert_int_equal(yj_attendance_threshold_seconds(1, 10), 6);
    assert_int_equal(yj_attendance_threshold_seconds(1, 33), 20);
    /* Below threshold: nothing. */
    assert_int_equal(yj_attendance_credit_minutes(1799, 1800), 0);
    /* At threshold: counted, rounded to the nearest minute. */
    assert_int_equal(yj_attendance_credit_minutes(1800, 1800), 30);
    assert_int_equal(yj_attendance_credit_minutes(1829, 1800), 30);
    assert_int_equal(yj_attendance_credit_minutes(1830, 1800), 31);
    /* A short meeting met: at least one minute. */
    assert_int_equal(yj_attendance_credit_minutes(7, 6), 1);
    assert_int_equal(yj_attendance_credit_minutes(0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(union_disjoint_and_overlapping),
        cmocka_unit_test(union_clips_to_meeting),
        cmocka_unit_test(union_ignores_empty_and_inverted),
        cmocka_unit_test(threshold_and_credit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
