/* SPDX-License-Identifier: Apache-2.0 */
/* test_rec_chapters.c — chapters from a recording's speaker changes
 * (yj_rec_chapters): titled after who spoke most, at least the minimum
 * long, short interjections folded into the chapter around them, silence
 * kept in place, neighbours with the same speaker merged, no speaker no
 * chapters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "recordings/compose.h"

#include <glib.h>
#include <string.h>

#define S 1000000LL /* µs in a second */

static yj_rec_plan_track_t tracks[] = {
    {.name = "张三", .peer = "a", .video = false}, {.name = "李四", .peer = "b", .video = true},
    {.name = "李四", .peer = "b", .video = false}, {.name = "王五", .peer = "c", .video = false},
    {.name = "", .peer = "d", .video = false},
};

static yj_rec_plan_t plan(yj_rec_plan_speaker_t *sp, size_t n, int64_t dur)
{
    return (yj_rec_plan_t){.t0_us = 1,
                           .dur_us = dur,
                           .tracks = tracks,
                           .n_tracks = G_N_ELEMENTS(tracks),
                           .speakers = sp,
                           .n_speakers = n};
}

static void test_speakers_become_chapters(void **state)
{
    /* 张三 5–60 s, 李四 60–100 s, silence 100–110 s, 王五 110–300 s */
    yj_rec_plan_speaker_t sp[] = {{5 * S, "a"}, {60 * S, "b"}, {100 * S, ""}, {110 * S, "c"}};
    yj_rec_plan_t p = plan(sp, G_N_ELEMENTS(sp), 300 * S);
    yj_rec_chapter_t *c = NULL;
    size_t n = yj_rec_chapters(&p, 30 * S, &c);
    assert_int_equal(n, 3);
    assert_int_equal(c[0].start_us, 0);
    assert_string_equal(c[0].title, "发言：张三");
    assert_int_equal(c[1].start_us, 60 * S);
    assert_string_equal(c[1].title, "发言：李四");
    assert_int_equal(c[2].start_us, 110 * S);
    assert_string_equal(c[2].title, "发言：王五");
    yj_rec_chapters_free(c, n);
}

static void test_short_turns_are_merged(void **state)
{
    /* 张三 0–100, 李四 interjects 5 s (folded into 张三's chapter), 张三
     * again until 200, then 李四 and 王五 alternate every 10 s: 200–230
     * is a chapter once it is 30 s long (李四 20 s, 王五 10 s), 230–260
     * is 王五's, and 张三's last 20 s are too short: they join it. */
    yj_rec_plan_speaker_t sp[] = {{0, "a"},       {100 * S, "b"}, {105 * S, "a"}, {200 * S, "b"},
                                  {210 * S, "c"}, {220 * S, "b"}, {230 * S, "c"}, {260 * S, "a"}};
    yj_rec_plan_t p = plan(sp, G_N_ELEMENTS(sp), 280 * S);
    yj_rec_chapter_t *c = NULL;
    size_t n = yj_rec_chapters(&p, 30 * S, &c);
    assert_int_equal(n, 3);
    assert_int_equal(c[0].start_us, 0);
    assert_string_equal(c[0].title, "发言：张三");
    assert_int_equal(c[1].start_us, 200 * S);
    assert_string_equal(c[1].title, "发言：李四");
    assert_int_equal(c[2].start_us, 230 * S);
    assert_string_equal(c[2].title, "发言：王五"); /* 30 s against 张三's 20 s */
    for (size_t i = 1; i < n; i++)
        assert_true(c[i].start_us - c[i - 1].start_us >= 30 * S);
    yj_rec_chapters_free(c, n);
}

static void test_same_speaker_neighbours_are_one(void **state)
{
    /* 李四 speaks twice with a long silence between: one chapter */
    yj_rec_plan_speaker_t sp[] = {{0, "b"}, {40 * S, ""}, {90 * S, "b"}, {150 * S, "d"}};
    yj_rec_plan_t p = plan(sp, G_N_ELEMENTS(sp), 200 * S);
    yj_rec_chapter_t *c = NULL;
    size_t n = yj_rec_chapters(&p, 30 * S, &c);
    assert_int_equal(n, 2);
    assert_string_equal(c[0].title, "发言：李四");
    assert_int_equal(c[1].start_us, 150 * S);
    assert_string_equal(c[1].title, "发言：未署名"); /* no display name */
    yj_rec_chapters_free(c, n);
}

static void test_no_speakers_no_chapters(void **state)
{
    yj_rec_plan_t p = plan(NULL, 0, 100 * S);
    yj_rec_chapter_t *c = (yj_rec_chapter_t *)&p; /* must be reset */
    assert_int_equal(yj_rec_chapters(&p, 30 * S, &c), 0);
    assert_null(c);
    yj_rec_plan_speaker_t quiet[] = {{10 * S, ""}};
    p = plan(quiet, 1, 100 * S);
    assert_int_equal(yj_rec_chapters(&p, 30 * S, &c), 0);
    /* a single speaker in a recording shorter than the minimum: one */
    yj_rec_plan_speaker_t one[] = {{2 * S, "c"}};
    p = plan(one, 1, 10 * S);
    size_t n = yj_rec_chapters(&p, 30 * S, &c);
    assert_int_equal(n, 1);
    assert_int_equal(c[0].start_us, 0);
    assert_string_equal(c[0].title, "发言：王五");
    yj_rec_chapters_free(c, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speakers_become_chapters),
        cmocka_unit_test(test_short_turns_are_merged),
        cmocka_unit_test(test_same_speaker_neighbours_are_one),
        cmocka_unit_test(test_no_speakers_no_chapters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
