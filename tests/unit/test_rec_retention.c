/* SPDX-License-Identifier: Apache-2.0 */
/* test_rec_retention.c — retention runs periodically, not only at start:
 * with [recordings] retention_days a couple of seconds and
 * retention_check_seconds=1, a recording composed after the subsystem
 * started loses its raw track folder (marked purged) while the daemon runs;
 * a failed recording (no lesson) keeps its files; stop joins the sweeper. */
#include "fixture_store.h"

#include "core/app.h"
#include "core/config.h"
#include "core/jobs.h"
#include "core/yj.h"
#include "http/http.h"
#include "recordings/recordings.h"
#include "recordings/store.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

static void rm_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    const char *n;
    while ((n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            rm_tree(p);
        else
            g_unlink(p);
    }
    g_dir_close(d);
    g_rmdir(dir);
}

static int64_t add_meeting(yj_store_t *st)
{
    assert_int_equal(yj_store_run(st, 0,
                                  "INSERT INTO meetings (org_id, title, type, start_at, "
                                  "duration_minutes, host_admin_id, status, created_by, "
                                  "created_at) SELECT o.id, '保留测试', 'lecture', 0, 60, a.id, "
                                  "'ended', 't', 0 FROM orgs o, admins a ORDER BY o.id, a.id "
                                  "LIMIT 1",
                                  ""),
                     0);
    sqlite3_stmt *s = yj_db_query(yj_store_reader(st), "SELECT max(id) FROM meetings", "");
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return id;
}

/* A stopped recording with one raw file in root/dir. */
static int64_t add_recording(yj_store_t *st, int64_t meeting, const char *root, const char *dir)
{
    int64_t id = 0;
    int64_t now = g_get_real_time();
    assert_int_equal(yj_rec_store_begin(st, meeting, dir, now - 60 * G_USEC_PER_SEC, &id), 0);
    g_autofree char *d = g_build_filename(root, dir, NULL);
    assert_int_equal(g_mkdir_with_parents(d, 0750), 0);
    g_autofree char *f = g_build_filename(d, "p1-audio.pcap", NULL);
    assert_true(g_file_set_contents(f, "raw", 3, NULL));
    assert_int_equal(yj_rec_store_stop(st, id, now, "ended"), 0);
    return id;
}

static bool purged(yj_store_t *st, int64_t id)
{
    json_t *m = yj_rec_store_manifest(st, id);
    assert_non_null(m);
    bool p = json_integer_value(json_object_get(m, "purged")) != 0;
    json_decref(m);
    return p;
}

static void test_sweeps_while_running(void **state)
{
    fixture_store_t fs;
    fixture_store_setup(&fs, true);
    g_autofree char *data = g_dir_make_tmp("yj-retention-XXXXXX", NULL);
    g_autofree char *root = g_build_filename(data, "recordings", NULL);
    yj_app_t app = {0};
    app.cfg = yj_config_load(NULL, NULL);
    yj_config_set(app.cfg, "recordings", "dir", root);
    yj_config_set(app.cfg, "recordings", "retention_days", "0.00002"); /* 1.7 s */
    yj_config_set(app.cfg, "recordings", "retention_check_seconds", "1");
    app.store = fs.st;
    app.data_dir = data;
    app.jobs = yj_jobs_new("background", 1);
    yj_http_options_t ho = {.address = "127.0.0.1", .port = 0, .threads = 1, .body_limit = 1 << 20};
    yj_http_t *http = yj_http_new(&ho);
    char *err = NULL;
    yj_recordings_t *R = yj_recordings_new(&app, http, NULL, NULL, &err);
    if (!R)
        fail_msg("recordings: %s", err);
    assert_int_equal(yj_recordings_start(R), 0);

    /* after the start-up sweep: only the periodic one can delete these */
    int64_t meeting = add_meeting(fs.st);
    int64_t done = add_recording(fs.st, meeting, root, "m1/r1");
    int64_t bad = add_recording(fs.st, meeting, root, "m1/r2");
    assert_int_equal(yj_rec_store_status(fs.st, bad, "failed", 0, "test"), 0);
    assert_int_equal(yj_rec_store_composed(fs.st, done, 7, 60000), 0);
    g_autofree char *done_dir = g_build_filename(root, "m1/r1", NULL);
    g_autofree char *bad_dir = g_build_filename(root, "m1/r2", NULL);
    assert_true(g_file_test(done_dir, G_FILE_TEST_IS_DIR));

    for (int i = 0; i < 600 && (g_file_test(done_dir, G_FILE_TEST_EXISTS) || !purged(fs.st, done));
         i++)
        g_usleep(100 * 1000);
    assert_false(g_file_test(done_dir, G_FILE_TEST_EXISTS));
    assert_true(purged(fs.st, done));
    /* no lesson: kept */
    assert_true(g_file_test(bad_dir, G_FILE_TEST_IS_DIR));
    assert_false(purged(fs.st, bad));

    yj_jobs_stop(app.jobs);
    yj_recordings_stop(R); /* joins the sweeper */
    yj_recordings_free(R);
    yj_http_free(http);
    yj_jobs_free(app.jobs);
    yj_config_free(app.cfg);
    rm_tree(data);
    fixture_store_teardown(&fs);
}

static void test_bad_retention_refused(void **state)
{
    fixture_store_t fs;
    fixture_store_setup(&fs, false);
    yj_app_t app = {0};
    app.store = fs.st;
    app.data_dir = fs.dir;
    yj_http_options_t ho = {.address = "127.0.0.1", .port = 0, .threads = 1, .body_limit = 1 << 20};
    yj_http_t *http = yj_http_new(&ho);
    const char *bad[][2] = {
        {"retention_days", "-1"}, {"retention_days", "thirty"}, {"retention_check_seconds", "0"}};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        app.cfg = yj_config_load(NULL, NULL);
        yj_config_set(app.cfg, "recordings", bad[i][0], bad[i][1]);
        char *err = NULL;
        assert_null(yj_recordings_new(&app, http, NULL, NULL, &err));
        assert_non_null(strstr(err, "retention"));
        g_free(err);
        yj_config_free(app.cfg);
    }
    yj_http_free(http);
    fixture_store_teardown(&fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweeps_while_running),
        cmocka_unit_test(test_bad_retention_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
