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
    GMutex mu;    /* orders pushes against stop */
    GCond idle;   /* pending reached 0 */
    int stopping; /* atomic; set under mu */
    int pending;  /* atomic: queued + running; changed under mu */
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
    g_mutex_lock(&jobs->mu);
    if (g_atomic_int_dec_and_test(&jobs->pending))
        g_cond_broadcast(&jobs->idle);
    g_mutex_unlock(&jobs->mu);
}

yj_jobs_t *yj_jobs_new(const char *name, int threads)
{
    yj_jobs_t *jobs = g_new0(yj_jobs_t, 1);
    jobs->name = g_strdup(name);
    g_mutex_init(&jobs->mu);
    g_cond_init(&jobs->idle);
    GError *e = NULL;
    jobs->pool = g_thread_pool_new(pool_fn, jobs, threads > 0 ? threads : 1, FALSE, &e);
    if (!jobs->pool) {
        yj_error("jobs", "%s: cannot start the job pool: %s", name, e->message);
        g_error_free(e);
        g_mutex_clear(&jobs->mu);
        g_cond_clear(&jobs->idle);
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
    g_mutex_lock(&jobs->mu);
    if (g_atomic_int_get(&jobs->stopping)) {
        g_mutex_unlock(&jobs->mu);
        job_free(j); /* outside the lock: free_data may take its owner's locks */
        return YJ_ESTATE;
    }
    g_atomic_int_add(&jobs->pending, 1);
    g_thread_pool_push(jobs->pool, j, NULL);
    g_mutex_unlock(&jobs->mu);
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

void yj_jobs_stop(yj_jobs_t *jobs)
{
    if (!jobs)
        return;
    /* Queued jobs are handed to pool_fn one by one and skipped there (it
     * frees their data); running ones see the flag and return. */
    g_mutex_lock(&jobs->mu);
    g_atomic_int_set(&jobs->stopping, 1);
    while (g_atomic_int_get(&jobs->pending) > 0)
        g_cond_wait(&jobs->idle, &jobs->mu);
    g_mutex_unlock(&jobs->mu);
}

void yj_jobs_free(yj_jobs_t *jobs)
{
    if (!jobs)
        return;
    yj_jobs_stop(jobs);
    g_thread_pool_free(jobs->pool, FALSE, TRUE);
    g_mutex_clear(&jobs->mu);
    g_cond_clear(&jobs->idle);
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

bool yj_job_busy(const yj_job_t *job)
{
    yj_jobs_t *jobs = job->jobs;
    return jobs->busy && jobs->busy(jobs->busy_ud);
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
