/* SPDX-License-Identifier: Apache-2.0 */
/* test_iptv_schedule.c — the schedule's resolution (iptv/schedule.c):
 * half-open abutting programmes, daily and weekly repeats at +08:00 (no
 * daylight saving: a day is 86,400 s), "loop this course" with each
 * lesson's play getting its own id, the slate's bounds and text for
 * holes, overlap of repeated series, the EPG expansion, times with
 * explicit offsets; then programme_at itself over a real store
 * (iptv/resolve.c), as a playout calls it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/crypto.h"
#include "core/demo.h"
#include "core/store.h"
#include "daemon/migrations.h"
#include "core/yj.h"
#include "iptv/iptv_internal.h"
#include "iptv/schedule.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#define MIN_MS INT64_C(60000)
#define H_MS (60 * MIN_MS)

/* 2026-12-08T09:00:00+08:00 = 2026-12-08T01:00:00Z */
static int64_t at(const char *iso)
{
    int64_t ms = 0;
    assert_true(yj_iptv_parse_time(iso, &ms));
    return ms;
}

static yj_iptv_entry_t once(int64_t id, int64_t s, int64_t e, const char *title)
{
    return (yj_iptv_entry_t){.id = id,
                             .kind = YJ_IPTV_LESSON,
                             .start_ms = s,
                             .end_ms = e,
                             .title = title,
                             .media_path = "/m.m3u8"};
}

static void test_times_need_offsets(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(at("2026-12-08T09:00:00+08:00"), INT64_C(1796691600000));
    assert_int_equal(at("2026-12-08T01:00:00Z"), at("2026-12-08T09:00:00+08:00"));
    assert_false(yj_iptv_parse_time("2026-12-08T09:00:00", &ms)); /* no offset */
    assert_false(yj_iptv_parse_time("2026-12-08 09:00", &ms));
    assert_false(yj_iptv_parse_time("yesterday at nine+08:00", &ms));
    assert_false(yj_iptv_parse_time("1970-01-01T00:00:00+00:00", &ms)); /* out of range */
    char *s = yj_iptv_format_time(at("2026-12-08T01:00:00Z"));
    assert_string_equal(s, "2026-12-08T09:00:00+08:00");
    g_free(s);
    /* a time just after local midnight is on the local (not UTC) date */
    s = yj_iptv_format_time(at("2026-12-07T16:30:00Z"));
    assert_string_equal(s, "2026-12-08T00:30:00+08:00");
    g_free(s);
}

static void test_half_open_abutting(void **state)
{
    (void)state;
    int64_t t9 = at("2026-12-08T09:00:00+08:00"), t10 = t9 + H_MS, t11 = t10 + H_MS;
    yj_iptv_entry_t e[2] = {once(1, t9, t10, "A"), once(2, t10, t11, "B")};
    yj_iptv_slot_t now, next;
    yj_iptv_schedule_at(e, 2, t9, &now, &next);
    assert_ptr_equal(now.entry, &e[0]);
    assert_int_equal(now.start_ms, t9);
    assert_int_equal(now.end_ms, t10);
    assert_ptr_equal(next.entry, &e[1]);
    assert_int_equal(next.start_ms, t10);
    /* 09:59:59.999 is A; 10:00 exactly is B, never both */
    yj_iptv_schedule_at(e, 2, t10 - 1, &now, &next);
    assert_ptr_equal(now.entry, &e[0]);
    yj_iptv_schedule_at(e, 2, t10, &now, &next);
    assert_ptr_equal(now.entry, &e[1]);
    assert_null(next.entry);
    /* 11:00 is after B: the slate, from B's end, nothing next */
    yj_iptv_schedule_at(e, 2, t11, &now, &next);
    assert_null(now.entry);
    assert_int_equal(now.start_ms, t11);
    assert_int_equal(now.end_ms, t11 + YJ_IPTV_HORIZON_MS);
    assert_null(next.entry);
    assert_false(yj_iptv_entries_overlap(&e[0], &e[1]));
}

static void test_hole_gets_the_slate(void **state)
{
    (void)state;
    int64_t t9 = at("2026-12-08T09:00:00+08:00");
    yj_iptv_entry_t e[2] = {once(1, t9, t9 + H_MS, "早课"),
                            once(2, t9 + 3 * H_MS, t9 + 4 * H_MS, "党课：初心")};
    yj_iptv_slot_t now, next;
    yj_iptv_schedule_at(e, 2, t9 + 90 * MIN_MS, &now, &next);
    assert_null(now.entry);
    assert_int_equal(now.start_ms, t9 + H_MS);
    assert_int_equal(now.end_ms, t9 + 3 * H_MS);
    assert_ptr_equal(next.entry, &e[1]);
    yj_iptv_programme_t p;
    yj_iptv_slot_programme(&now, &next, "远教一台", false, &p);
    assert_int_equal(p.kind, YJ_IPTV_SLATE);
    assert_int_equal(p.id, 0);
    assert_string_equal(p.title, "远教一台");
    /* the next programme's start in Beijing time, not UTC */
    assert_string_equal(p.description, "下一个节目：党课：初心，12月08日 12:00 开始");
    yj_iptv_programme_clear(&p);
    /* as "next", a slate has a NULL title (the playout's contract) */
    yj_iptv_slot_t none = {0};
    yj_iptv_slot_programme(&none, NULL, "远教一台", true, &p);
    assert_int_equal(p.kind, YJ_IPTV_SLATE);
    assert_null(p.title);
    yj_iptv_programme_clear(&p);
}

static void test_daily_repeat_at_plus_eight(void **state)
{
    (void)state;
    int64_t s = at("2026-12-08T07:30:00+08:00"); /* 23:30Z the day before */
    yj_iptv_entry_t e = once(7, s, s + 45 * MIN_MS, "晨读");
    e.repeat = YJ_IPTV_DAILY;
    e.until_ms = at("2026-12-15T00:00:00+08:00");
    assert_int_equal(yj_iptv_entry_count(&e), 7); /* 8th … 14th */
    yj_iptv_slot_t now, next;
    yj_iptv_schedule_at(&e, 1, at("2026-12-10T07:40:00+08:00"), &now, &next);
    assert_ptr_equal(now.entry, &e);
    assert_int_equal(now.occ, 2);
    assert_int_equal(now.start_ms, at("2026-12-10T07:30:00+08:00"));
    assert_int_equal(now.end_ms, at("2026-12-10T08:15:00+08:00"));
    assert_int_equal(next.start_ms, at("2026-12-11T07:30:00+08:00"));
    yj_iptv_programme_t p;
    yj_iptv_slot_programme(&now, &next, "x", false, &p);
    assert_int_equal(p.id, YJ_IPTV_OCC_ID(7, 2, 0));
    assert_int_equal(YJ_IPTV_OCC_ENTRY(p.id), 7);
    assert_int_equal(YJ_IPTV_OCC_NUMBER(p.id), 2);
    yj_iptv_programme_clear(&p);
    /* the last occurrence is the 14th; on the 15th: slate, nothing next */
    yj_iptv_schedule_at(&e, 1, at("2026-12-14T08:00:00+08:00"), &now, &next);
    assert_int_equal(now.occ, 6);
    assert_null(next.entry);
    yj_iptv_schedule_at(&e, 1, at("2026-12-15T07:31:00+08:00"), &now, &next);
    assert_null(now.entry);
    assert_int_equal(now.start_ms, at("2026-12-14T08:15:00+08:00"));
    /* before the first: slate until it */
    yj_iptv_schedule_at(&e, 1, at("2026-12-08T07:29:59+08:00"), &now, &next);
    assert_null(now.entry);
    assert_int_equal(now.end_ms, s);
    assert_ptr_equal(next.entry, &e);
    assert_int_equal(next.occ, 0);
}

static void test_weekly_and_overlap(void **state)
{
    (void)state;
    int64_t mon = at("2026-12-07T19:00:00+08:00");
    yj_iptv_entry_t w = once(1, mon, mon + 2 * H_MS, "周一党课");
    w.repeat = YJ_IPTV_WEEKLY;
    w.until_ms = mon + 8 * YJ_IPTV_WEEK_MS;
    yj_iptv_slot_t now, next;
    yj_iptv_schedule_at(&w, 1, mon + 3 * YJ_IPTV_WEEK_MS + H_MS, &now, &next);
    assert_int_equal(now.occ, 3);
    yj_iptv_schedule_at(&w, 1, mon + 3 * YJ_IPTV_DAY_MS, &now, &next);
    assert_null(now.entry);
    assert_int_equal(next.start_ms, mon + YJ_IPTV_WEEK_MS);
    /* a one-off on the fourth Monday, 20:00-21:30, overlaps */
    int64_t m4 = mon + 3 * YJ_IPTV_WEEK_MS;
    yj_iptv_entry_t o = once(2, m4 + H_MS, m4 + 150 * MIN_MS, "x");
    assert_true(yj_iptv_entries_overlap(&w, &o));
    assert_true(yj_iptv_entries_overlap(&o, &w));
    /* … abutting at 21:00 does not */
    o.start_ms = m4 + 2 * H_MS;
    assert_false(yj_iptv_entries_overlap(&w, &o));
    /* a daily 20:30-20:45 series overlaps the weekly one on its Mondays */
    yj_iptv_entry_t d = once(3, mon - 5 * YJ_IPTV_DAY_MS + 90 * MIN_MS,
                             mon - 5 * YJ_IPTV_DAY_MS + 105 * MIN_MS, "d");
    d.repeat = YJ_IPTV_DAILY;
    d.until_ms = mon - 5 * YJ_IPTV_DAY_MS + 4 * YJ_IPTV_DAY_MS; /* ends before the Monday */
    assert_false(yj_iptv_entries_overlap(&w, &d));
    d.until_ms += 2 * YJ_IPTV_DAY_MS;
    assert_true(yj_iptv_entries_overlap(&w, &d));
    assert_true(yj_iptv_entries_overlap(&d, &w));
}

static void test_loop_fills_the_range(void **state)
{
    (void)state;
    int64_t s = at("2026-12-08T08:00:00+08:00");
    yj_iptv_item_t items[2] = {{11, 20000, "第一课", "/l/11/master.m3u8"},
                               {12, 30000, "第二课", "/l/12/master.m3u8"}};
    yj_iptv_entry_t e = once(5, s, s + 100000, "入门课程");
    e.loop = true;
    e.items = items;
    e.n_items = 2;
    yj_iptv_entry_t after = once(6, s + 100000, s + 200000, "之后");
    yj_iptv_entry_t both[2] = {e, after};
    yj_iptv_slot_t now, next;
    yj_iptv_schedule_at(both, 2, s, &now, &next);
    assert_int_equal(now.item, 1);
    assert_int_equal(now.start_ms, s);
    assert_int_equal(now.end_ms, s + 20000);
    assert_int_equal(next.item, 2);
    assert_int_equal(next.start_ms, s + 20000);
    assert_int_equal(next.end_ms, s + 50000);
    yj_iptv_schedule_at(both, 2, s + 20000, &now, &next);
    assert_int_equal(yj_iptv_slot_index(&now), 1);
    /* the course starts again: the third play is lesson 1 again */
    yj_iptv_schedule_at(both, 2, s + 55000, &now, &next);
    assert_int_equal(now.item, 3);
    assert_int_equal(yj_iptv_slot_index(&now), 0);
    assert_int_equal(now.start_ms, s + 50000);
    /* the fourth play is cut at the occurrence's end, then "之后" */
    yj_iptv_schedule_at(both, 2, s + 95000, &now, &next);
    assert_int_equal(now.item, 4);
    assert_int_equal(now.start_ms, s + 70000);
    assert_int_equal(now.end_ms, s + 100000);
    assert_ptr_equal(next.entry, &both[1]);
    yj_iptv_programme_t p, q;
    yj_iptv_slot_programme(&now, &next, "x", false, &p);
    assert_string_equal(p.title, "第二课");
    assert_string_equal(p.media_path, "/l/12/master.m3u8");
    assert_string_equal(p.description, "入门课程");
    yj_iptv_schedule_at(both, 2, s + 20000, &now, &next);
    yj_iptv_slot_programme(&now, &next, "x", false, &q);
    assert_string_equal(q.title, "第二课");
    assert_true(p.id != q.id); /* each play its own id */
    yj_iptv_programme_clear(&p);
    yj_iptv_programme_clear(&q);
    /* a loop whose course has no ready lesson is a hole */
    e.n_items = 0;
    yj_iptv_schedule_at(&e, 1, s + 10, &now, &next);
    assert_null(now.entry);
}

static int occ_count;
static int64_t occ_last_start;

static void count_occ(const yj_iptv_entry_t *e, int64_t occ, int64_t s, int64_t end, void *ud)
{
    (void)e;
    (void)occ;
    (void)end;
    (void)ud;
    assert_true(s >= occ_last_start); /* in start order */
    occ_last_start = s;
    occ_count++;
}

static void test_epg_expansion(void **state)
{
    (void)state;
    int64_t s = at("2026-12-08T09:00:00+08:00");
    yj_iptv_entry_t e[2] = {once(1, s, s + H_MS, "A"), once(2, s + H_MS, s + 2 * H_MS, "B")};
    e[0].repeat = e[1].repeat = YJ_IPTV_DAILY;
    e[0].until_ms = e[1].until_ms = s + 30 * YJ_IPTV_DAY_MS;
    occ_count = 0;
    occ_last_start = 0;
    /* from the middle of A on the 9th, for 7 days: A(9th) … B(15th) */
    size_t n = yj_iptv_schedule_each(e, 2, s + YJ_IPTV_DAY_MS + 30 * MIN_MS,
                                     s + 8 * YJ_IPTV_DAY_MS + 30 * MIN_MS, 1000, count_occ, NULL);
    assert_int_equal(n, 15);
    assert_int_equal(occ_count, 15);
    /* bounded */
    occ_count = 0;
    occ_last_start = 0;
    assert_int_equal(yj_iptv_schedule_each(e, 2, s, s + 30 * YJ_IPTV_DAY_MS, 10, count_occ, NULL),
                     10);
}

/* ---- programme_at over a real store ---- */

static void test_programme_at_store(void **state)
{
    (void)state;
    g_autofree char *dir = g_dir_make_tmp("yj-iptv-XXXXXX", NULL);
    g_autofree char *dbp = g_build_filename(dir, "t.db", NULL);
    char *err = NULL;
    yj_store_t *st = yj_daemon_store_open(dbp, &err);
    assert_non_null(st);
    yj_crypto_set_iterations(1000);
    assert_int_equal(yj_demo_seed(st, &err), 1);
    int64_t org = 0;
    char path[256];
    assert_int_equal(yj_iptv_store_org(st, "330100", &org, path, sizeof path), 0);
    yj_iptv_channel_t c = {.org_id = org, .number = 3, .port = 5004, .ttl = 4, .bitrate = 800000};
    g_strlcpy(c.name, "三台", sizeof c.name);
    g_strlcpy(c.address, "239.1.1.3", sizeof c.address);
    assert_int_equal(yj_iptv_store_channel_put(st, &c, &org, 1, true, NULL), 0);
    /* the same number or address is refused, naming which */
    yj_iptv_channel_t dup = c;
    dup.id = 0;
    const char *taken = NULL;
    assert_int_equal(yj_iptv_store_channel_put(st, &dup, &org, 1, true, &taken), YJ_EEXIST);
    assert_string_equal(taken, "number");
    dup.number = 4;
    assert_int_equal(yj_iptv_store_channel_put(st, &dup, &org, 1, true, &taken), YJ_EEXIST);
    assert_string_equal(taken, "address");

    int64_t s = at("2026-12-08T09:00:00+08:00");
    yj_iptv_prog_t p = {.channel_id = c.id,
                        .lesson_id = 42,
                        .start_ms = s,
                        .end_ms = s + H_MS,
                        .until_ms = s + 5 * YJ_IPTV_DAY_MS,
                        .title = g_strdup("每日一课")};
    g_strlcpy(p.kind, "lesson", sizeof p.kind);
    g_strlcpy(p.repeat, "daily", sizeof p.repeat);
    assert_int_equal(yj_iptv_store_prog_put(st, &p, NULL, NULL), 0);
    yj_iptv_prog_t f = {.channel_id = c.id,
                        .start_ms = s + H_MS,
                        .end_ms = s + 2 * H_MS,
                        .feed_program = 3,
                        .title = g_strdup("卫星转播"),
                        .feed_url = g_strdup("udp://10.0.0.1@232.1.1.1:1234")};
    g_strlcpy(f.kind, "feed", sizeof f.kind);
    g_strlcpy(f.repeat, "none", sizeof f.repeat);
    assert_int_equal(yj_iptv_store_prog_put(st, &f, NULL, NULL), 0);

    yj_app_t app = {.store = st, .data_dir = dir};
    yj_iptv_t v = {.app = &app, .store = st};
    yj_iptv_programme_t now, next;
    /* day 3, 09:59:59 — the lesson; the feed abuts it */
    assert_int_equal(yj_iptv_schedule_ops.programme_at(c.id, s + 2 * YJ_IPTV_DAY_MS + H_MS - 1000,
                                                       &now, &next, &v),
                     0);
    assert_int_equal(now.kind, YJ_IPTV_LESSON);
    assert_int_equal(now.id, YJ_IPTV_OCC_ID(p.id, 2, 0));
    assert_string_equal(now.title, "每日一课");
    g_autofree char *want = g_build_filename(dir, "vod", "lessons", "42", "master.m3u8", NULL);
    assert_string_equal(now.media_path, want);
    assert_int_equal(now.end_ms, s + 2 * YJ_IPTV_DAY_MS + H_MS);
    /* the feed was once, on day 1: next is day 4's lesson */
    assert_int_equal(next.kind, YJ_IPTV_LESSON);
    assert_int_equal(next.start_ms, s + 3 * YJ_IPTV_DAY_MS);
    yj_iptv_programme_clear(&now);
    yj_iptv_programme_clear(&next);
    /* day 1, 10:00 exactly — the feed */
    assert_int_equal(yj_iptv_schedule_ops.programme_at(c.id, s + H_MS, &now, &next, &v), 0);
    assert_int_equal(now.kind, YJ_IPTV_FEED);
    assert_string_equal(now.feed_url, "udp://10.0.0.1@232.1.1.1:1234");
    assert_int_equal(now.feed_program, 3);
    assert_int_equal(now.start_ms, s + H_MS);
    yj_iptv_programme_clear(&now);
    yj_iptv_programme_clear(&next);
    /* day 1, 11:00 — the slate until day 2's lesson */
    assert_int_equal(yj_iptv_schedule_ops.programme_at(c.id, s + 2 * H_MS, &now, &next, &v), 0);
    assert_int_equal(now.kind, YJ_IPTV_SLATE);
    assert_string_equal(now.title, "三台");
    assert_int_equal(now.start_ms, s + 2 * H_MS);
    assert_int_equal(now.end_ms, s + YJ_IPTV_DAY_MS);
    assert_non_null(strstr(now.description, "12月09日 09:00"));
    yj_iptv_programme_clear(&now);
    yj_iptv_programme_clear(&next);
    /* no channel */
    assert_int_equal(yj_iptv_schedule_ops.programme_at(999, s, &now, &next, &v), YJ_ENOENT);

    yj_iptv_prog_clear(&p);
    yj_iptv_prog_clear(&f);
    yj_store_close(st);
    g_autofree char *wal = g_strconcat(dbp, "-wal", NULL);
    g_autofree char *shm = g_strconcat(dbp, "-shm", NULL);
    g_unlink(wal);
    g_unlink(shm);
    g_unlink(dbp);
    g_rmdir(dir);
    g_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times_need_offsets),
        cmocka_unit_test(test_half_open_abutting),
        cmocka_unit_test(test_hole_gets_the_slate),
        cmocka_unit_test(test_daily_repeat_at_plus_eight),
        cmocka_unit_test(test_weekly_and_overlap),
        cmocka_unit_test(test_loop_fills_the_range),
        cmocka_unit_test(test_epg_expansion),
        cmocka_unit_test(test_programme_at_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
