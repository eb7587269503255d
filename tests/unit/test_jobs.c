/* SPDX-License-Identifier: Apache-2.0 */
/* test_jobs.c — the background job pool: order, bounded threads, data
 * freed whether run or dropped, yield while busy, stop flag. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/jobs.h"
#include "core/yj.h"

#include <glib.h>

static int freed, ran, running, max_running;
static GMutex mu;

static void count_free(void *d)
{
    g_atomic_int_inc(&freed);
    g_free(d);
}

static void work(yj_job_t *job, void *data)
{
    g_mutex_lock(&mu);
    running++;
    if (running > max_running)
        max_running = running;
    g_mutex_unlock(&mu);
    g_usleep(20 * 1000);
    g_mutex_lock(&mu);
    running--;
    ran++;
    g_mutex_unlock(&mu);
}

static void reset(void)
{
    freed = ran = running = max_running = 0;
}

static void test_runs_all_bounded(void **state)
{
    reset();
    yj_jobs_t *j = yj_jobs_new("t", 2);
    assert_non_null(j);
    for (int i = 0; i < 8; i++)
        assert_int_equal(yj_jobs_push(j, work, g_new0(int, 1), count_free), 0);
    for (int i = 0; i < 200 && yj_jobs_pending(j) > 0; i++)
        g_usleep(10 * 1000);
    assert_int_equal(yj_jobs_pending(j), 0);
    yj_jobs_free(j);
    assert_int_equal(ran, 8);
    assert_int_equal(freed, 8);
    assert_true(max_running <= 2);
    assert_true(max_running >= 1);
}

static void slow(yj_job_t *job, void *data)
{
    while (!yj_job_stopping(job))
        g_usleep(5 * 1000);
    g_atomic_int_inc(&ran);
}

static void test_stop_drops_queue_frees_data(void **state)
{
    reset();
    yj_jobs_t *j = yj_jobs_new("t", 1);
    assert_int_equal(yj_jobs_push(j, slow, g_new0(int, 1), count_free), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(yj_jobs_push(j, work, g_new0(int, 1), count_free), 0);
    g_usleep(30 * 1000);
    yj_jobs_free(j); /* must return: the running job sees the flag */
    assert_int_equal(ran, 1); /* only the slow one ran; the queued were dropped */
    assert_int_equal(freed, 6);
}

static int busy_left;
static bool busy(void *ud)
{
    return g_atomic_int_dec_and_test(&busy_left) == FALSE;
}

static int waited;
static void yielder(yj_job_t *job, void *data)
{
    waited = yj_job_yield(job, 5000);
}

static void test_yield_waits_while_busy(void **state)
{
    reset();
    yj_jobs_t *j = yj_jobs_new("t", 1);
    busy_left = 4; /* busy for three polls, then idle */
    yj_jobs_set_busy(j, busy, NULL);
    yj_jobs_push(j, yielder, NULL, NULL);
    for (int i = 0; i < 200 && yj_jobs_pending(j) > 0; i++)
        g_usleep(10 * 1000);
    yj_jobs_free(j);
    assert_int_equal(waited, 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_all_bounded),
        cmocka_unit_test(test_stop_drops_queue_frees_data),
        cmocka_unit_test(test_yield_waits_while_busy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
