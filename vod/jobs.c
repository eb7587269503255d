/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs.c — transcoding jobs: vod's persistent job table run on core's
 * background pool (core/jobs.h).
 *
 * The daemon's shared background pool (app->jobs, [jobs] threads;
 * yj_jobs_*{pool="background"} in /metrics), which recordings' compositions
 * use too, runs jobs from the persistent vod_jobs table (vod/store.c),
 * which stays the truth: the pool only holds job ids. A job transcodes into lessons/<id>.tmp/,
 * renames the folder to lessons/<id>/ and only then, in one transaction,
 * marks the lesson ready and deletes the job row. So after a crash at any
 * point the lesson is either still "processing" with its job pending
 * (rerun from scratch at the next start; the half-made .tmp folder is
 * swept) or ready with complete files — never half made. A job that
 * crashed the daemon three times is marked failed instead of looping.
 * The pool's threads run at a lower CPU priority (nice 10); a job yields
 * to live work between percent steps (yj_job_yield) and stops at the
 * next packet when the pool stops (yj_job_cancel_flag).
 */
#include "jobs.h"
#include "demo.h"
#include "transcode.h"
#include "vod_internal.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"

#include <errno.h>
#include <glib/gstdio.h>

#define MAX_ATTEMPTS 3

/* Longest a job waits in one step for live work to leave it the CPU. */
#define YIELD_MAX_MS 1000

typedef struct {
    yj_vod_t *v;
    yj_job_t *job;
    int64_t lesson;
    int last;
    gint64 last_at;
} progress_ctx_t;

static void on_progress(int percent, void *ud)
{
    progress_ctx_t *p = ud;
    /* Between units of work: let live meetings have the CPU first. */
    if (percent != p->last)
        yj_job_yield(p->job, YIELD_MAX_MS);
    gint64 now = g_get_monotonic_time();
    /* At most one write a second, and only when the number moves. */
    if (percent == p->last || (now - p->last_at < G_USEC_PER_SEC && percent < 100))
        return;
    p->last = percent;
    p->last_at = now;
    yj_store_vod_lesson_percent(p->v->store, p->lesson, percent);
}

static bool find_job(yj_vod_t *v, int64_t id, yj_vod_job_t *out)
{
    yj_vod_job_t *jobs = NULL;
    size_t n = 0;
    bool found = false;
    if (yj_store_vod_jobs(v->store, &jobs, &n) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (jobs[i].id == id) {
            *out = jobs[i];
            out->source = g_strdup(jobs[i].source);
            found = true;
        }
    yj_vod_jobs_free(jobs, n);
    return found;
}

static void run_job(yj_vod_t *v, yj_job_t *pj, int64_t job_id)
{
    yj_vod_job_t job = {0};
    if (!find_job(v, job_id, &job))
        return; /* deleted meanwhile */
    int attempts = 0;
    if (yj_store_vod_job_begin(v->store, job.id, &attempts) != 0) {
        g_free(job.source);
        return;
    }
    char err[512] = "";
    g_autofree char *final = yj_vod_lesson_dir(v, job.lesson_id);
    g_autofree char *tmp = g_strconcat(final, ".tmp", NULL);
    yj_transcode_result_t res = {0};
    int rc = 0;
    gint64 t0 = g_get_monotonic_time();
    if (attempts > MAX_ATTEMPTS) {
        g_snprintf(err, sizeof err, "gave up after %d interrupted attempts", MAX_ATTEMPTS);
        rc = YJ_EMEDIA;
        goto fail;
    }
    yj_info("vod", "job %" G_GINT64_FORMAT ": lesson %" G_GINT64_FORMAT " from %s (attempt %d)",
            job.id, job.lesson_id, job.source, attempts);
    if (job.generate && !g_file_test(job.source, G_FILE_TEST_EXISTS)) {
        g_autofree char *part = g_strconcat(job.source, ".gen", NULL);
        rc = yj_vod_demo_generate(part, 20, err, sizeof err);
        if (rc == 0 && g_rename(part, job.source) != 0) {
            g_snprintf(err, sizeof err, "cannot rename %s: %s", part, g_strerror(errno));
            rc = YJ_EIO;
        }
        if (rc) {
            g_unlink(part);
            goto fail;
        }
    }
    yj_vod_rm_tree(tmp);
    if (g_mkdir_with_parents(tmp, 0750) != 0) {
        g_snprintf(err, sizeof err, "cannot create %s: %s", tmp, g_strerror(errno));
        rc = YJ_EIO;
        goto fail;
    }
    progress_ctx_t pc = {v, pj, job.lesson_id, -1, 0};
    yj_transcode_opts_t o = {
        .source = job.source,
        .outdir = tmp,
        .segment_seconds = v->segment_seconds,
        .preset = v->preset,
        .progress = on_progress,
        .ud = &pc,
        .cancel = yj_job_cancel_flag(pj),
    };
    rc = yj_vod_transcode(&o, &res, err, sizeof err);
    if (rc)
        goto fail;
    yj_vod_rm_tree(final);
    if (g_rename(tmp, final) != 0) {
        g_snprintf(err, sizeof err, "cannot rename %s: %s", tmp, g_strerror(errno));
        rc = YJ_EIO;
        goto fail;
    }
    rc = yj_store_vod_job_finish(v->store, job.id, res.duration_ms, res.width, res.height,
                                 res.renditions);
    if (rc == YJ_ENOENT) {
        yj_info("vod", "lesson %" G_GINT64_FORMAT " was deleted while transcoding", job.lesson_id);
        yj_vod_rm_tree(final);
    } else if (rc) {
        /* The job stays pending and reruns at the next start. */
        yj_error("vod", "job %" G_GINT64_FORMAT ": cannot record the result: %s", job.id,
                 yj_strerror(rc));
        goto out;
    } else {
        yj_info("vod", "lesson %" G_GINT64_FORMAT " ready: %.1f s of media in %.1f s",
                job.lesson_id, (double)res.duration_ms / 1000,
                (double)(g_get_monotonic_time() - t0) / 1e6);
        yj_counter_add(
            yj_metrics_counter("yj_vod_jobs_total{result=\"ready\"}", "Transcoding jobs by result"),
            1);
    }
    if (job.owned)
        g_unlink(job.source);
    goto out;
fail:
    yj_vod_rm_tree(tmp);
    if (yj_job_stopping(pj)) {
        yj_info("vod", "job %" G_GINT64_FORMAT " interrupted by shutdown; it reruns at start",
                job.id);
        goto out;
    }
    yj_warn("vod", "job %" G_GINT64_FORMAT " failed: %s", job.id, err);
    yj_counter_add(
        yj_metrics_counter("yj_vod_jobs_total{result=\"failed\"}", "Transcoding jobs by result"),
        1);
    if (yj_store_vod_job_fail(v->store, job.id, err) == 0 && job.owned)
        g_unlink(job.source);
out:
    g_free(res.renditions);
    g_free(job.source);
}

/* A queued job: its id and the library it belongs to. */
typedef struct {
    yj_vod_t *v;
    int64_t id;
} queued_t;

static void job_fn(yj_job_t *pj, void *data)
{
    queued_t *q = data;
    run_job(q->v, pj, q->id);
}

/* Runs after the job, or instead of it when the pool stops first: the id
 * may be queued again (it is still in the table if it did not finish). */
static void queued_free(void *data)
{
    queued_t *q = data;
    g_mutex_lock(&q->v->lock);
    g_hash_table_remove(q->v->queued, &q->id);
    g_mutex_unlock(&q->v->lock);
    g_free(q);
}

void yj_vod_jobs_push(yj_vod_t *v, int64_t job_id)
{
    g_mutex_lock(&v->lock);
    yj_jobs_t *pool = v->pool;
    bool fresh = pool && !g_hash_table_contains(v->queued, &job_id);
    if (fresh) {
        int64_t *k = g_new(int64_t, 1);
        *k = job_id;
        g_hash_table_add(v->queued, k);
    }
    g_mutex_unlock(&v->lock);
    if (!fresh)
        return;
    queued_t *q = g_new(queued_t, 1);
    q->v = v;
    q->id = job_id;
    /* Outside v->lock: a pool that is stopping refuses the push and calls
     * queued_free at once, which takes the lock. The pool itself stays
     * allocated until the daemon frees it, after every subsystem. */
    yj_jobs_push(pool, job_fn, q, queued_free);
}

int yj_vod_jobs_start(yj_vod_t *v)
{
    yj_jobs_t *pool = v->app->jobs;
    if (!pool) {
        yj_error("vod", "no background job pool: the daemon must create it first");
        return YJ_ESTATE;
    }
    g_mutex_lock(&v->lock);
    v->pool = pool;
    g_mutex_unlock(&v->lock);
    yj_vod_job_t *jobs = NULL;
    size_t n = 0;
    if (yj_store_vod_jobs(v->store, &jobs, &n) == 0) {
        if (n)
            yj_info("vod", "%zu transcoding job(s) pending", n);
        for (size_t i = 0; i < n; i++)
            yj_vod_jobs_push(v, jobs[i].id);
        yj_vod_jobs_free(jobs, n);
    }
    return 0;
}

void yj_vod_jobs_stop(yj_vod_t *v)
{
    g_mutex_lock(&v->lock);
    yj_jobs_t *pool = v->pool;
    v->pool = NULL;
    g_mutex_unlock(&v->lock);
    /* The shared pool is the daemon's: it stopped it before (queued jobs
     * were dropped and stay in the table to rerun at the next start;
     * running ones saw the cancel flag and returned). */
    (void)pool;
}
