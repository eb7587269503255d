/* SPDX-License-Identifier: Apache-2.0 */
/* test_vod_store.c — the course library's SQL (vod/store.c): lesson
 * visibility by organisation, jobs, uploads' offsets, and progress
 * batches: a refused report writes nothing, credit reaches the ledger
 * exactly once, atomically with the progress row. */
#include "fixture_store.h"

#include "core/crypto.h"
#include "core/demo.h"
#include "core/store.h"
#include "vod/store.h"
#include "core/yj.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#define MEMBER "330102198001010018"
#define OTHER "330102198001010026"

typedef struct {
    fixture_store_t fs;
    yj_store_t *st; /* fs.st */
    int64_t course, lesson, job;
    char path_village[64], path_other[64];
} fx_t;

static int setup(void **state)
{
    fx_t *f = g_new0(fx_t, 1);
    fixture_store_setup(&f->fs, true);
    f->st = f->fs.st;
    fixture_store_add_member(&f->fs, MEMBER, "x", "33010101", false);
    fixture_store_add_member(&f->fs, OTHER, "x", "33010201", false);
    int64_t district = 0, village = 0;
    char p[64];
    assert_int_equal(yj_store_vod_org(f->st, "330100", &district, p, sizeof p), 0);
    assert_int_equal(yj_store_vod_org(f->st, "33010101", &village, f->path_village, 64), 0);
    assert_int_equal(yj_store_vod_org(f->st, "33010201", NULL, f->path_other, 64), 0);
    assert_int_equal(yj_store_vod_course_add(f->st, "课程", "", "", district, "t", &f->course), 0);
    yj_vod_lesson_new_t in = {.course_id = f->course,
                              .title = "第一课",
                              .minutes = 45,
                              .threshold = 0.9,
                              .org_ids = &village,
                              .n_orgs = 1,
                              .source = "/nonexistent/x.mp4"};
    assert_int_equal(yj_store_vod_lesson_create(f->st, &in, &f->lesson, &f->job), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    fixture_store_teardown(&f->fs);
    g_free(f);
    return 0;
}

static void visibility_and_jobs(void **state)
{
    fx_t *f = *state;
    /* Processing lessons are invisible to members. */
    assert_false(yj_store_vod_lesson_visible(f->st, f->lesson, f->path_village));
    yj_vod_job_t *jobs;
    size_t n;
    assert_int_equal(yj_store_vod_jobs(f->st, &jobs, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(jobs[0].lesson_id, f->lesson);
    yj_vod_jobs_free(jobs, n);
    int attempts = 0;
    assert_int_equal(yj_store_vod_job_begin(f->st, f->job, &attempts), 0);
    assert_int_equal(attempts, 1);
    assert_int_equal(yj_store_vod_job_finish(f->st, f->job, 100000, 1280, 720, "[]"), 0);
    assert_int_equal(yj_store_vod_job_finish(f->st, f->job, 100000, 1280, 720, "[]"), YJ_ENOENT);
    assert_true(yj_store_vod_lesson_visible(f->st, f->lesson, f->path_village));
    /* A member of a sibling township does not see it. */
    assert_false(yj_store_vod_lesson_visible(f->st, f->lesson, f->path_other));
    yj_vod_lesson_t l;
    assert_int_equal(yj_store_vod_lesson_get(f->st, f->lesson, &l), 0);
    assert_int_equal(l.status, YJ_LESSON_READY);
    assert_int_equal(l.duration_ms, 100000);
    assert_int_equal(json_array_size(l.orgs), 1);
    yj_vod_lesson_clear(&l);
    assert_int_equal(yj_store_vod_course_delete(f->st, f->course), YJ_EBUSY);
}

static void uploads_advance_only_from_the_offset(void **state)
{
    fx_t *f = *state;
    assert_int_equal(yj_store_vod_upload_add(f->st, "up1", 1, "a.mp4", 1000), 0);
    assert_int_equal(yj_store_vod_upload_advance(f->st, "up1", 0, 400), 0);
    assert_int_equal(yj_store_vod_upload_advance(f->st, "up1", 0, 400), YJ_ESTATE);
    assert_int_equal(yj_store_vod_upload_advance(f->st, "up1", 400, 1001), YJ_EEXIST); /* CHECK */
    yj_vod_upload_t u;
    assert_int_equal(yj_store_vod_upload_get(f->st, "up1", &u), 0);
    assert_int_equal(u.received, 400);
    assert_int_equal(yj_store_vod_upload_delete(f->st, "up1"), 0);
    assert_int_equal(yj_store_vod_upload_get(f->st, "up1", &u), YJ_ENOENT);
}

/* A decide callback driven by the op's ud: {refuse, complete, watched}. */
typedef struct {
    int refuse;
    bool complete;
    int64_t watched;
    bool saw_prev;
    int64_t at;        /* the report's wall time (ms); 0: 1000 */
    const char *event; /* NULL: "pause" */
} fake_t;

static int fake_decide(yj_vod_progress_op_t *op, void *ud)
{
    (void)ud;
    fake_t *k = op->ud;
    k->saw_prev = op->prev.exists;
    if (k->refuse)
        return k->refuse;
    op->position_ms = k->watched;
    op->watched_ms = k->watched;
    op->updated_ms = k->at ? k->at : 1000;
    op->intervals = g_strdup_printf("[[0,%" G_GINT64_FORMAT "]]", k->watched);
    op->complete = k->complete;
    op->event = k->event ? k->event : "pause";
    return 0;
}

static int64_t ledger_rows(fx_t *f)
{
    yj_db_t *db = yj_store_reader(f->st);
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT count(*), coalesce(sum(minutes), 0) FROM ledger "
                                     "WHERE member_id = ? AND kind = 'lesson'");
    sqlite3_bind_text(s, 1, MEMBER, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(s, 0) * 1000 + sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return n; /* rows * 1000 + minutes */
}

static void credit_exactly_once(void **state)
{
    fx_t *f = *state;
    yj_store_vod_job_finish(f->st, f->job, 100000, 1280, 720, "[]");
    fake_t k = {0, false, 10000, false, 0, NULL};
    yj_vod_progress_op_t op = {.member_id = MEMBER, .lesson_id = f->lesson, .ud = &k};
    assert_int_equal(yj_store_vod_progress_apply(f->st, &op, 1, fake_decide, NULL), 0);
    assert_int_equal(op.result, 0);
    assert_false(k.saw_prev);
    assert_false(op.credited);
    assert_int_equal(ledger_rows(f), 0);
    /* Refused: nothing changes. */
    k.refuse = YJ_EINVAL;
    k.watched = 50000;
    assert_int_equal(yj_store_vod_progress_apply(f->st, &op, 1, fake_decide, NULL), 0);
    assert_int_equal(op.result, YJ_EINVAL);
    yj_vod_progress_row_t row;
    assert_int_equal(yj_store_vod_progress_get(f->st, MEMBER, f->lesson, &row), 0);
    assert_true(row.exists);
    assert_int_equal(row.watched_ms, 10000);
    yj_vod_progress_row_clear(&row);
    /* Completing credits the lesson's 45 minutes once, however often the
     * callback says "complete" afterwards. */
    k.refuse = 0;
    k.complete = true;
    k.watched = 95000;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(yj_store_vod_progress_apply(f->st, &op, 1, fake_decide, NULL), 0);
        assert_int_equal(op.result, 0);
        assert_true(k.saw_prev);
        assert_int_equal(op.credited, i == 0);
    }
    assert_int_equal(ledger_rows(f), 1 * 1000 + 45);
    assert_int_equal(yj_store_vod_progress_get(f->st, MEMBER, f->lesson, &row), 0);
    assert_true(row.completed_at > 0);
    assert_string_equal(row.intervals, "[[0,95000]]");
    yj_vod_progress_row_clear(&row);
    /* Events were logged for the xAPI export — coalesced: all four
     * pauses came within YJ_VOD_EVENT_GAP_MS of each other. */
    json_t *h = yj_store_vod_member_history(f->st, MEMBER);
    assert_int_equal(json_array_size(h), 1);
    assert_int_equal(json_array_size(json_object_get(json_array_get(h, 0), "events")), 1);
    json_decref(h);
    /* Deleting the lesson removes progress; the ledger keeps the credit. */
    assert_int_equal(yj_store_vod_lesson_delete(f->st, f->lesson), 0);
    assert_int_equal(yj_store_vod_progress_get(f->st, MEMBER, f->lesson, &row), 0);
    assert_false(row.exists);
    assert_int_equal(ledger_rows(f), 1045);
    assert_int_equal(yj_store_vod_progress_apply(f->st, &op, 1, fake_decide, NULL), 0);
    assert_int_equal(op.result, YJ_ENOENT);
}

static void batch_isolates_refusals(void **state)
{
    fx_t *f = *state;
    yj_store_vod_job_finish(f->st, f->job, 100000, 1280, 720, "[]");
    fake_t a = {0, false, 1000, false, 0, NULL}, b = {YJ_EINVAL, false, 2000, false, 0, NULL},
           c = {0, false, 3000, false, 0, NULL};
    yj_vod_progress_op_t ops[3] = {
        {.member_id = MEMBER, .lesson_id = f->lesson, .ud = &a},
        {.member_id = OTHER, .lesson_id = f->lesson, .ud = &b},
        {.member_id = MEMBER, .lesson_id = f->lesson, .ud = &c},
    };
    assert_int_equal(yj_store_vod_progress_apply(f->st, ops, 3, fake_decide, NULL), 0);
    assert_int_equal(ops[0].result, 0);
    assert_int_equal(ops[1].result, YJ_EINVAL);
    assert_int_equal(ops[2].result, 0);
    assert_true(c.saw_prev); /* the third saw the first's write */
    yj_vod_progress_row_t row;
    yj_store_vod_progress_get(f->st, OTHER, f->lesson, &row);
    assert_false(row.exists);
    yj_store_vod_progress_get(f->st, MEMBER, f->lesson, &row);
    assert_int_equal(row.watched_ms, 3000);
    yj_vod_progress_row_clear(&row);
    /* A member whose organisation the lesson is not assigned to: not found,
     * checked inside the transaction. */
    fake_t z = {0, false, 500, false, 0, NULL};
    yj_vod_progress_op_t zop = {
        .member_id = OTHER, .member_path = f->path_other, .lesson_id = f->lesson, .ud = &z};
    assert_int_equal(yj_store_vod_progress_apply(f->st, &zop, 1, fake_decide, NULL), 0);
    assert_int_equal(zop.result, YJ_ENOENT);
    zop.member_id = MEMBER;
    zop.member_path = f->path_village;
    assert_int_equal(yj_store_vod_progress_apply(f->st, &zop, 1, fake_decide, NULL), 0);
    assert_int_equal(zop.result, 0);
}

/* Issue 13: 20,000 pause events in 31 s were all stored. Events closer
 * than YJ_VOD_EVENT_GAP_MS to the previous stored one of the same member
 * and lesson replace it (the latest state wins); spaced ones are kept. */
static int64_t event_rows(fx_t *f)
{
    yj_db_t *db = yj_store_reader(f->st);
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT count(*) FROM vod_events WHERE member_id = ?");
    sqlite3_bind_text(s, 1, MEMBER, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return n;
}

static void event_flood_is_coalesced(void **state)
{
    fx_t *f = *state;
    yj_store_vod_job_finish(f->st, f->job, 100000, 1280, 720, "[]");
    fake_t k = {0, false, 1000, false, 5000000, NULL};
    yj_vod_progress_op_t op = {.member_id = MEMBER, .lesson_id = f->lesson, .ud = &k};
    for (int i = 0; i < 500; i++) { /* a burst: 500 events in 1 s */
        k.at = 5000000 + i * 2;
        k.watched = 1000 + i;
        assert_int_equal(yj_store_vod_progress_apply(f->st, &op, 1, fake_decide, NULL), 0);
        assert_int_equal(op.result, 0);
    }
    assert_int_equal(event_rows(f), 1);
    /* The stored one holds the latest state. */
    json_t *h = yj_store_vod_member_history(f->st, MEMBER);
    json_t *ev = json_array_get(json_object_get(json_array_get(h, 0), "events"), 0);
    assert_non_null(ev);
    json_decref(h);
    /* Alternating kinds in a burst: a few rows, then coalesced. */
    static const char *const kinds[] = {"play", "pause", "seek"};
    for (int i = 0; i < 300; i++) {
        k.at = 5000000 + 1000 + i * 2;
        k.event = kinds[i % 3];
        assert_int_equal(yj_store_vod_progress_apply(f->st, &op, 1, fake_decide, NULL), 0);
    }
    assert_int_equal(event_rows(f), YJ_VOD_EVENT_BURST);
    k.event = NULL;
    /* Spaced events are all kept: one per gap. */
    for (int i = 1; i <= 5; i++) {
        k.at = 5000000 + (int64_t)i * (YJ_VOD_EVENT_GAP_MS + 1);
        assert_int_equal(yj_store_vod_progress_apply(f->st, &op, 1, fake_decide, NULL), 0);
    }
    assert_int_equal(event_rows(f), YJ_VOD_EVENT_BURST + 5);
}

static void secret_is_stable(void **state)
{
    fx_t *f = *state;
    char *a = NULL, *b = NULL;
    assert_int_equal(yj_store_vod_secret(f->st, "vod.url_key", &a), 0);
    assert_int_equal(yj_store_vod_secret(f->st, "vod.url_key", &b), 0);
    assert_string_equal(a, b);
    assert_true(strlen(a) >= 43);
    g_free(a);
    g_free(b);
}

/* Chapters: replaced as a whole, read in time order, gone with the
 * lesson; a lesson that does not exist gets none. */
static void chapters_replace_and_cascade(void **state)
{
    fx_t *f = *state;
    yj_vod_chapter_t ch[] = {{0, "发言：张三"}, {45000, "发言：李四"}};
    assert_int_equal(yj_store_vod_chapters_set(f->st, f->lesson, ch, 2), 0);
    json_t *a = yj_store_vod_chapters(f->st, f->lesson);
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "title")),
                        "发言：李四");
    assert_true(json_real_value(json_object_get(json_array_get(a, 1), "start")) == 45.0);
    json_decref(a);
    yj_vod_chapter_t one[] = {{0, "发言：王五"}};
    assert_int_equal(yj_store_vod_chapters_set(f->st, f->lesson, one, 1), 0);
    a = yj_store_vod_chapters(f->st, f->lesson);
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);
    assert_int_equal(yj_store_vod_chapters_set(f->st, f->lesson + 999, one, 1), YJ_ENOENT);
    yj_vod_chapter_t dup[] = {{0, "a"}, {0, "b"}};
    assert_int_equal(yj_store_vod_chapters_set(f->st, f->lesson, dup, 2), YJ_EEXIST);
    a = yj_store_vod_chapters(f->st, f->lesson); /* the refused set changed nothing */
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);
    assert_int_equal(yj_store_vod_lesson_delete(f->st, f->lesson), 0);
    a = yj_store_vod_chapters(f->st, f->lesson);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(visibility_and_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(uploads_advance_only_from_the_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(credit_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_isolates_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(event_flood_is_coalesced, setup, teardown),
        cmocka_unit_test_setup_teardown(secret_is_stable, setup, teardown),
        cmocka_unit_test_setup_teardown(chapters_replace_and_cascade, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
