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
    yj_jobs_free(j);          /* must return: the running job sees the flag */
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

/* A job of many small units that yields before each: while the busy
 * predicate holds it must not advance, and it finishes once it clears. */
#define UNITS 40
static int gate, gate_polls, units;
static bool gated(void *ud)
{
    if (!g_atomic_int_get(&gate))
        return false;
    g_atomic_int_inc(&gate_polls);
    return true;
}

static void unit_worker(yj_job_t *job, void *data)
{
    for (int i = 0; i < UNITS && !yj_job_stopping(job); i++) {
        yj_job_yield(job, 600000);
        g_atomic_int_inc(&units);
        g_usleep(2 * 1000);
    }
}

/* Waits (bounded: 40 s) until *v >= want. */
static void wait_at_least(int *v, int want)
{
    for (int i = 0; i < 4000 && g_atomic_int_get(v) < want; i++)
        g_usleep(10 * 1000);
    assert_true(g_atomic_int_get(v) >= want);
}

static void test_pauses_while_busy_resumes_after(void **state)
{
    reset();
    gate = gate_polls = units = 0;
    yj_jobs_t *j = yj_jobs_new("t", 1);
    yj_jobs_set_busy(j, gated, NULL);
    assert_int_equal(yj_jobs_push(j, unit_worker, NULL, NULL), 0);
    wait_at_least(&units, 3);
    g_atomic_int_set(&gate, 1);
    /* the job is inside yj_job_yield once it polled the predicate */
    wait_at_least(&gate_polls, 3);
    int paused_at = g_atomic_int_get(&units);
    wait_at_least(&gate_polls, 13); /* another ten polls: half a second */
    assert_int_equal(g_atomic_int_get(&units), paused_at);
    assert_true(paused_at < UNITS);
    assert_int_equal(yj_jobs_pending(j), 1);
    g_atomic_int_set(&gate, 0);
    for (int i = 0; i < 4000 && yj_jobs_pending(j) > 0; i++)
        g_usleep(10 * 1000);
    assert_int_equal(yj_jobs_pending(j), 0);
    assert_int_equal(units, UNITS);
    yj_jobs_free(j);
}

static int slow_started;
static void slow_flagged(yj_job_t *job, void *data)
{
    g_atomic_int_set(&slow_started, 1);
    slow(job, data);
}

static void test_stop_then_push_refused(void **state)
{
    reset();
    slow_started = 0;
    yj_jobs_t *j = yj_jobs_new("t", 1);
    assert_int_equal(yj_jobs_push(j, slow_flagged, g_new0(int, 1), count_free), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(yj_jobs_push(j, work, g_new0(int, 1), count_free), 0);
    wait_at_least(&slow_started, 1);
    yj_jobs_stop(j); /* returns once the slow job saw the flag */
    assert_int_equal(yj_jobs_pending(j), 0);
    assert_int_equal(ran, 1);
    assert_int_equal(freed, 4);
    /* a stopped pool refuses, freeing the data at once */
    assert_int_equal(yj_jobs_push(j, work, g_new0(int, 1), count_free), YJ_ESTATE);
    assert_int_equal(freed, 5);
    yj_jobs_stop(j); /* idempotent */
    yj_jobs_free(j);
    assert_int_equal(ran, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_all_bounded),
        cmocka_unit_test(test_stop_drops_queue_frees_data),
        cmocka_unit_test(test_yield_waits_while_busy),
        cmocka_unit_test(test_pauses_while_busy_resumes_after),
        cmocka_unit_test(test_stop_then_push_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
