/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs.c — the bounded background job pool; see jobs.h.
 *
 * A GThreadPool with a fixed number of threads. Each thread lowers its own
 * priority once (Linux scheduling priority is per thread), so heavy work
 * never starves HTTP and media threads. Stopping sets a flag that running
 * jobs poll and drops what is queued. It must never run a job on a media
 * worker or an HTTP thread.
 */
#include "jobs.h"
#include "log.h"
#include "metrics.h"
#include "yj.h"

#include <glib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct yj_jobs {
    char *name;
    GThreadPool *pool;
    int stopping; /* atomic */
    int pending;  /* atomic: queued + running */
    bool (*busy)(void *ud);
    void *busy_ud;
    yj_counter_t *done, *yielded_ms;
};

struct yj_job {
    yj_jobs_t *jobs;
    yj_job_fn fn;
    void *data;
    void (*free_data)(void *);
};

static void job_free(yj_job_t *j)
{
    if (j->free_data)
        j->free_data(j->data);
    g_free(j);
}

static void pool_fn(gpointer data, gpointer user)
{
    yj_job_t *j = data;
    yj_jobs_t *jobs = user;
    static __thread bool niced;
    if (!niced) {
        setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
        niced = true;
    }
    if (!g_atomic_int_get(&jobs->stopping))
        j->fn(j, j->data);
    job_free(j);
    yj_counter_add(jobs->done, 1);
    g_atomic_int_add(&jobs->pending, -1);
}

yj_jobs_t *yj_jobs_new(const char *name, int threads)
{
    yj_jobs_t *jobs = g_new0(yj_jobs_t, 1);
    jobs->name = g_strdup(name);
    GError *e = NULL;
    jobs->pool = g_thread_pool_new(pool_fn, jobs, threads > 0 ? threads : 1, FALSE, &e);
    if (!jobs->pool) {
        yj_error("jobs", "%s: cannot start the job pool: %s", name, e->message);
        g_error_free(e);
        g_free(jobs->name);
        g_free(jobs);
        return NULL;
    }
    g_autofree char *done = g_strdup_printf("yj_jobs_done_total{pool=\"%s\"}", name);
    g_autofree char *waited = g_strdup_printf("yj_jobs_yielded_ms_total{pool=\"%s\"}", name);
    jobs->done = yj_metrics_counter(done, "Background jobs finished, by pool");
    jobs->yielded_ms = yj_metrics_counter(waited, "Milliseconds jobs waited for live work");
    return jobs;
}

int yj_jobs_push(yj_jobs_t *jobs, yj_job_fn fn, void *data, void (*free_data)(void *))
{
    yj_job_t *j = g_new0(yj_job_t, 1);
    j->jobs = jobs;
    j->fn = fn;
    j->data = data;
    j->free_data = free_data;
    if (g_atomic_int_get(&jobs->stopping)) {
        job_free(j);
        return YJ_ESTATE;
    }
    g_atomic_int_add(&jobs->pending, 1);
    g_thread_pool_push(jobs->pool, j, NULL);
    return 0;
}

void yj_jobs_set_busy(yj_jobs_t *jobs, bool (*busy)(void *ud), void *ud)
{
    jobs->busy = busy;
    jobs->busy_ud = ud;
}

int yj_jobs_pending(yj_jobs_t *jobs)
{
    return g_atomic_int_get(&jobs->pending);
}

void yj_jobs_free(yj_jobs_t *jobs)
{
    if (!jobs)
        return;
    g_atomic_int_set(&jobs->stopping, 1);
    /* Queued jobs are handed to pool_fn one by one and skipped there (it
     * frees their data); running ones see the flag and return. */
    g_thread_pool_free(jobs->pool, FALSE, TRUE);
    g_free(jobs->name);
    g_free(jobs);
}

bool yj_job_stopping(const yj_job_t *job)
{
    return g_atomic_int_get(&job->jobs->stopping) != 0;
}

const int *yj_job_cancel_flag(const yj_job_t *job)
{
    return &job->jobs->stopping;
}

int yj_job_yield(yj_job_t *job, int max_ms)
{
    yj_jobs_t *jobs = job->jobs;
    int waited = 0;
    while (jobs->busy && waited < max_ms && !g_atomic_int_get(&jobs->stopping) &&
           jobs->busy(jobs->busy_ud)) {
        g_usleep(50 * 1000);
        waited += 50;
    }
    if (waited)
        yj_counter_add(jobs->yielded_ms, (uint64_t)waited);
    return waited;
}
