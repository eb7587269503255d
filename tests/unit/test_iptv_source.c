/* SPDX-License-Identifier: Apache-2.0 */
/* test_iptv_source.c — IPTV sources (iptv/source_lesson.c,
 * iptv/source_slate.c): picking the rendition that fits the channel,
 * reading a lesson from its first keyframe with timestamps that rise,
 * resuming at the segment that holds an offset, refusing a missing lesson
 * and reporting a corrupt segment, the GStreamer slate looping, and the
 * roll-call card over a lesson.
 * The lesson is made here with Debian's ffmpeg (two renditions, 4-s HLS
 * segments starting on IDRs, as vod/transcode.c writes them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/yj.h"
#include "iptv/source.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

static char *dir, *master;

static void rendition(const char *name, int w, int h, int kbps)
{
    g_autofree char *rd = g_build_filename(dir, name, NULL);
    g_mkdir_with_parents(rd, 0755);
    g_autofree char *size = g_strdup_printf("testsrc2=size=%dx%d:rate=25", w, h);
    g_autofree char *br = g_strdup_printf("%dk", kbps);
    g_autofree char *seg = g_build_filename(rd, "seg%05d.ts", NULL);
    g_autofree char *pl = g_build_filename(rd, "index.m3u8", NULL);
    const char *argv[] = {"ffmpeg",
                          "-v",
                          "error",
                          "-y",
                          "-f",
                          "lavfi",
                          "-i",
                          size,
                          "-f",
                          "lavfi",
                          "-i",
                          "sine=frequency=440:sample_rate=48000",
                          "-t",
                          "12",
                          "-c:v",
                          "libx264",
                          "-preset",
                          "ultrafast",
                          "-b:v",
                          br,
                          "-g",
                          "50",
                          "-keyint_min",
                          "50",
                          "-sc_threshold",
                          "0",
                          "-pix_fmt",
                          "yuv420p",
                          "-c:a",
                          "aac",
                          "-b:a",
                          "64k",
                          "-f",
                          "hls",
                          "-hls_time",
                          "4",
                          "-hls_playlist_type",
                          "vod",
                          "-hls_segment_filename",
                          seg,
                          pl,
                          NULL};
    int status = -1;
    GError *e = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &e);
    assert_true(ok && g_spawn_check_wait_status(status, NULL));
}

static int setup(void **state)
{
    (void)state;
    dir = g_dir_make_tmp("yj-iptv-src-XXXXXX", NULL);
    rendition("hi", 320, 180, 300);
    rendition("lo", 160, 90, 100);
    master = g_build_filename(dir, "master.m3u8", NULL);
    const char *m = "#EXTM3U\n#EXT-X-VERSION:3\n"
                    "#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=320x180,CODECS=\"avc1.4d401f,"
                    "mp4a.40.2\"\nhi/index.m3u8\n"
                    "#EXT-X-STREAM-INF:BANDWIDTH=150000,RESOLUTION=160x90,CODECS=\"avc1.4d401f,"
                    "mp4a.40.2\"\nlo/index.m3u8\n"
                    "#EXT-X-STREAM-INF:BANDWIDTH=70000,CODECS=\"mp4a.40.2\"\naudio/index.m3u8\n";
    assert_true(g_file_set_contents(master, m, -1, NULL));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    g_free(dir);
    g_free(master);
    return 0;
}

static void picks_the_rendition_that_fits(void **state)
{
    (void)state;
    int bw = 0;
    g_autofree char *a = yj_iptv_lesson_pick(master, 2000000, &bw);
    assert_non_null(a);
    assert_true(g_str_has_suffix(a, "hi/index.m3u8"));
    assert_int_equal(bw, 400000);
    g_autofree char *b = yj_iptv_lesson_pick(master, 300000, &bw); /* 85 %: 255 kbit/s */
    assert_true(g_str_has_suffix(b, "lo/index.m3u8"));
    g_autofree char *c = yj_iptv_lesson_pick(master, 100000, &bw); /* none fits: the lowest video */
    assert_true(g_str_has_suffix(c, "lo/index.m3u8"));
    assert_null(yj_iptv_lesson_pick("/nonexistent/master.m3u8", 2000000, &bw));
}

/* Reads a whole source; counts AUs per stream and checks the timeline. */
static void read_all(yj_iptv_src_t *s, int *nv, int *na, int *rc_end)
{
    yj_iptv_au_t au;
    int64_t last[2] = {INT64_MIN, INT64_MIN};
    int rc;
    *nv = *na = 0;
    bool first = true;
    while ((rc = yj_iptv_src_read(s, &au)) == 1) {
        if (first) {
            assert_int_equal(au.st, YJ_TS_VIDEO);
            assert_true(au.key);
            assert_int_equal(au.dts, 0);
            first = false;
        }
        assert_true(au.len > 0 && au.data);
        assert_true(au.dts > last[au.st]);
        assert_true(au.pts >= au.dts);
        last[au.st] = au.dts;
        if (au.st == YJ_TS_AUDIO) {
            assert_int_equal(au.data[0], 0xFF); /* ADTS */
            assert_int_equal(au.duration, 1920);
            (*na)++;
        } else {
            (*nv)++;
        }
    }
    *rc_end = rc;
}

static void reads_and_resumes(void **state)
{
    (void)state;
    char *err = NULL;
    yj_iptv_src_t *s = yj_iptv_src_lesson_open(master, 2000000, 0, NULL, &err);
    assert_non_null(s);
    int nv, na, rc;
    read_all(s, &nv, &na, &rc);
    yj_iptv_src_free(s);
    assert_int_equal(rc, 0);
    assert_int_equal(nv, 300); /* 12 s at 25 fps */
    print_message("video %d audio %d\n", nv, na);
    assert_true(na >= 555 && na <= 565); /* 12 s of 1024-sample frames at 48 kHz */

    /* 5 s in: the segment that starts at 4 s, so 8 s of video */
    int64_t left = 0;
    s = yj_iptv_src_lesson_open(master, 2000000, 5000, &left, &err);
    assert_non_null(s);
    assert_int_equal(left, 8000);
    read_all(s, &nv, &na, &rc);
    yj_iptv_src_free(s);
    assert_int_equal(nv, 200);

    /* past the end: nothing to read */
    s = yj_iptv_src_lesson_open(master, 2000000, 60000, NULL, &err);
    assert_non_null(s);
    yj_iptv_au_t au;
    assert_int_equal(yj_iptv_src_read(s, &au), 0);
    yj_iptv_src_free(s);
}

/* The roll-call card over a lesson (source_card.c): from the lesson's
 * position `at` the card's own frames (told apart by their data, which
 * the card's sources share) run for at least the card's duration, DTS
 * rising strictly on both streams across both changes; the lesson comes
 * back on one of its keyframes after the card and keeps its timeline (it
 * ran on unseen), so it ends on its own last frame. */
static void card_over_a_lesson(void **state)
{
    (void)state;
    char *err = NULL;
    yj_iptv_slate_t *card = yj_iptv_card_render("集中收看签到\n签到码  1 2 3 4 5 6",
                                                YJ_IPTV_CARD_COLOUR, 320, 180, 200000, &err);
    if (!card)
        fail_msg("card: %s", err);
    GHashTable *mine = g_hash_table_new(NULL, NULL);
    yj_iptv_src_t *probe = yj_iptv_src_slate_open(card);
    yj_iptv_au_t au;
    for (int i = 0; i < 300; i++) {
        assert_int_equal(yj_iptv_src_read(probe, &au), 1);
        g_hash_table_add(mine, (gpointer)au.data);
    }
    yj_iptv_src_free(probe);

    yj_iptv_src_t *s = yj_iptv_src_lesson_open(master, 2000000, 0, NULL, &err);
    assert_non_null(s);
    int64_t last[2] = {INT64_MIN, INT64_MIN}, at = 0;
    while (at < 2 * 90000) { /* two seconds of the lesson */
        assert_int_equal(yj_iptv_src_read(s, &au), 1);
        assert_false(g_hash_table_contains(mine, au.data));
        assert_true(au.dts > last[au.st]);
        last[au.st] = au.dts;
        at = MAX(at, MAX(au.pts, au.dts) + au.duration);
    }
    const int64_t dur = 3 * 90000;
    s = yj_iptv_src_card_open(s, card, at, dur);
    yj_iptv_slate_unref(card);
    int rc, n = 0, phase = 0; /* 0: card not seen yet, 1: card, 2: lesson again */
    int64_t card_first = -1, card_last_v = -1, back = -1;
    int card_audio = 0;
    while ((rc = yj_iptv_src_read(s, &au)) == 1 && n++ < 20000) {
        bool is_card = g_hash_table_contains(mine, au.data);
        assert_true(au.dts > last[au.st]); /* strictly rising, per stream */
        assert_true(au.pts >= au.dts);
        last[au.st] = au.dts;
        if (phase == 0) {
            assert_true(is_card && au.st == YJ_TS_VIDEO && au.key);
            assert_int_equal(au.dts, at);
            card_first = au.dts;
            phase = 1;
        }
        if (phase == 1 && is_card) {
            if (au.st == YJ_TS_VIDEO)
                card_last_v = au.dts;
            else
                card_audio++;
            continue;
        }
        if (phase == 1) { /* the lesson comes back on a keyframe */
            assert_int_equal(au.st, YJ_TS_VIDEO);
            assert_true(au.key);
            assert_true(au.dts > card_last_v);
            back = au.dts;
            phase = 2;
            continue;
        }
        assert_false(is_card);
    }
    yj_iptv_src_free(s);
    g_hash_table_destroy(mine);
    assert_int_equal(rc, 0);
    assert_int_equal(phase, 2);
    print_message("card %.2f..%.2f s, lesson back at %.2f s\n", card_first / 90000.0,
                  card_last_v / 90000.0, back / 90000.0);
    assert_true(card_last_v - card_first >= dur - 3600); /* the card's whole time */
    assert_true(card_audio > 100);                       /* and its (silent) sound */
    assert_true(back <= at + dur + 2 * 90000 + 3600);    /* the next keyframe (GOP 2 s) */
    assert_int_equal(last[YJ_TS_VIDEO], 299 * 3600);     /* the lesson's own last frame */
}

static void missing_and_corrupt(void **state)
{
    (void)state;
    char *err = NULL;
    assert_null(yj_iptv_src_lesson_open("/nonexistent/master.m3u8", 2000000, 0, NULL, &err));
    assert_non_null(err);
    g_free(err);
    err = NULL;
    assert_null(yj_iptv_src_lesson_open(NULL, 2000000, 0, NULL, &err));
    g_free(err);

    /* the second segment of "hi" overwritten with junk: reading reports it */
    g_autofree char *seg = g_build_filename(dir, "hi", "seg00001.ts", NULL);
    char junk[4096];
    memset(junk, 0x5A, sizeof junk);
    assert_true(g_file_set_contents(seg, junk, sizeof junk, NULL));
    yj_iptv_src_t *s = yj_iptv_src_lesson_open(master, 2000000, 0, NULL, &err);
    assert_non_null(s);
    yj_iptv_au_t au;
    int rc, n = 0;
    while ((rc = yj_iptv_src_read(s, &au)) == 1)
        n++;
    yj_iptv_src_free(s);
    assert_int_equal(rc, YJ_EMEDIA);
    assert_true(n > 100); /* the first segment played */

    /* a playlist that points outside the lesson folder is not followed */
    g_autofree char *evil = g_build_filename(dir, "evil.m3u8", NULL);
    assert_true(g_file_set_contents(evil, "#EXTM3U\n#EXTINF:4,\n../../etc/passwd\n", -1, NULL));
    assert_null(yj_iptv_src_lesson_open(evil, 2000000, 0, NULL, &err));
    g_free(err);
}

static void slate_loops(void **state)
{
    (void)state;
    char *err = NULL;
    yj_iptv_slate_t *sl =
        yj_iptv_slate_render("远教测试台\n下一节目：党课", 320, 180, 200000, &err);
    if (!sl)
        fail_msg("slate: %s", err);
    yj_iptv_src_t *s = yj_iptv_src_slate_open(sl);
    yj_iptv_slate_unref(sl); /* the source keeps its own reference */
    yj_iptv_au_t au;
    int64_t last[2] = {INT64_MIN, INT64_MIN};
    int keys = 0, nv = 0;
    for (int i = 0; i < 1000; i++) { /* several loops of the 3.2-s clip */
        assert_int_equal(yj_iptv_src_read(s, &au), 1);
        if (i == 0)
            assert_true(au.st == YJ_TS_VIDEO && au.key && au.dts == 0);
        assert_true(au.dts > last[au.st]);
        last[au.st] = au.dts;
        if (au.st == YJ_TS_VIDEO) {
            nv++;
            keys += au.key;
        }
    }
    yj_iptv_src_free(s);
    assert_true(nv > 160);
    assert_true(keys >= nv / 25 - 1); /* an IDR every second */
    assert_true(last[YJ_TS_VIDEO] > 90000 * 6);
}

#include "../lsan_gst.h" /* LSan: GLib and fontconfig lifetime allocations */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_the_rendition_that_fits),
        cmocka_unit_test(reads_and_resumes),
        cmocka_unit_test(card_over_a_lesson),
        cmocka_unit_test(missing_and_corrupt),
        cmocka_unit_test(slate_loops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
