/* SPDX-License-Identifier: Apache-2.0 */
/* test_jobs_shared.c — the course library and the recordings use the one
 * background pool the daemon gives them (app.jobs): with its only thread
 * held by a job of ours, a lesson imported into vod waits in that pool
 * (its pending count grows, and recordings' count is the same pool's),
 * and once the pool stops, the queued transcode stays in vod's table for
 * the next start, later pushes are refused, and both subsystems stop
 * cleanly without a pool of their own. */
#include "fixture_store.h"

#include "core/app.h"
#include "core/config.h"
#include "core/jobs.h"
#include "core/yj.h"
#include "http/http.h"
#include "recordings/recordings.h"
#include "vod/demo.h"
#include "vod/store.h"
#include "vod/vod.h"

#include <glib.h>
#include <glib/gstdio.h>

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

static int held, released;

/* Holds the pool's only thread until released (or the pool stops). */
static void holder(yj_job_t *job, void *data)
{
    g_atomic_int_set(&held, 1);
    for (int i = 0; i < 6000 && !g_atomic_int_get(&released) && !yj_job_stopping(job); i++)
        g_usleep(10 * 1000);
}

static void test_vod_and_recordings_share_the_pool(void **state)
{
    fixture_store_t fs;
    fixture_store_setup(&fs, true);
    g_autofree char *data = g_dir_make_tmp("yj-shared-XXXXXX", NULL);
    assert_non_null(data);
    yj_app_t app = {0};
    app.cfg = yj_config_load(NULL, NULL);
    app.store = fs.st;
    app.data_dir = data;
    app.jobs = yj_jobs_new("background", 1);
    assert_non_null(app.jobs);
    yj_http_options_t ho = {.address = "127.0.0.1", .port = 0, .threads = 1, .body_limit = 1 << 20};
    yj_http_t *http = yj_http_new(&ho);
    assert_non_null(http);
    char *err = NULL;
    yj_vod_t *vod = yj_vod_new(&app, http, &err);
    if (!vod)
        fail_msg("vod: %s", err);
    yj_recordings_t *R = yj_recordings_new(&app, http, NULL, vod, &err);
    if (!R)
        fail_msg("recordings: %s", err);

    /* our job holds the only thread */
    assert_int_equal(yj_jobs_push(app.jobs, holder, NULL, NULL), 0);
    for (int i = 0; i < 3000 && !g_atomic_int_get(&held); i++)
        g_usleep(10 * 1000);
    assert_true(g_atomic_int_get(&held));
    assert_int_equal(yj_recordings_start(R), 0);
    assert_int_equal(yj_vod_start(vod), 0);
    /* recordings count the pool's jobs: ours is there */
    assert_int_equal(yj_recordings_pending(R), 1);

    /* a lesson imported into the library: its transcode queues behind ours */
    g_autofree char *src = g_build_filename(data, "src.mp4", NULL);
    char e[256] = "";
    if (yj_vod_demo_generate(src, 2, e, sizeof e) != 0)
        fail_msg("demo file: %s", e);
    int64_t course = 0, org = 0, lesson = 0;
    char path[64];
    assert_int_equal(yj_store_vod_org(fs.st, "330100", &org, path, sizeof path), 0);
    assert_int_equal(yj_store_vod_course_add(fs.st, "课程", "", "", org, "t", &course), 0);
    if (yj_vod_import_file(vod, src, false, course, "第一课", 1, &org, 1, &lesson, e, sizeof e))
        fail_msg("import: %s", e);
    assert_int_equal(yj_jobs_pending(app.jobs), 2);
    assert_int_equal(yj_recordings_pending(R), 2);

    /* stopping the shared pool drops the queued transcode (it stays in
     * vod's table for the next start) and stops both subsystems' work */
    yj_jobs_stop(app.jobs);
    assert_int_equal(yj_jobs_pending(app.jobs), 0);
    yj_vod_job_t *jobs = NULL;
    size_t n = 0;
    assert_int_equal(yj_store_vod_jobs(fs.st, &jobs, &n), 0);
    assert_int_equal(n, 1);
    yj_vod_jobs_free(jobs, n);
    yj_recordings_stop(R);
    yj_vod_stop(vod);
    /* a push after the stop is refused, not run */
    assert_int_equal(yj_jobs_push(app.jobs, holder, NULL, NULL), YJ_ESTATE);

    yj_vod_free(vod);
    yj_recordings_free(R);
    yj_http_free(http);
    yj_jobs_free(app.jobs);
    yj_config_free(app.cfg);
    rm_tree(data);
    fixture_store_teardown(&fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vod_and_recordings_share_the_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
