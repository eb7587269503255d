/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs.h — the one bounded pool for heavy background work: transcoding,
 * composition of recordings, imports.
 *
 * A fixed number of threads at a lower CPU priority (nice 10) run jobs in
 * the order they were pushed. A job is a function and its data; it is
 * given a yj_job_t through which it asks whether the pool is stopping and
 * where it yields to live meetings: yj_job_yield() waits while the pool's
 * busy predicate (set by the daemon, e.g. "media workers above 80 %") says
 * the machine is needed elsewhere, so a long job slows down instead of
 * taking CPU from forwarding.
 *
 * The daemon makes one pool ([jobs] threads) and gives it to every
 * subsystem with background work (app.h: yj_app_t.jobs): vod's transcodes
 * and recordings' compositions share its threads and its busy predicate
 * (the media workers' load, daemon/main.c), so the machine never runs more
 * heavy jobs than the pool has threads.
 *
 * The pool knows nothing of what a job does; persistence of jobs across
 * restarts belongs to the subsystem that owns them (vod's job table,
 * recordings' manifest).
 */
#ifndef YJ_JOBS_H
#define YJ_JOBS_H

#include <stdbool.h>

typedef struct yj_jobs yj_jobs_t;
typedef struct yj_job yj_job_t;

/* Runs on a pool thread. data is the pushed pointer; the pool frees it
 * with the pushed free function after fn returns (or unrun, at stop). */
typedef void (*yj_job_fn)(yj_job_t *job, void *data);

/* A pool of `threads` threads (at least 1), named name in logs and in
 * /metrics (yj_jobs_*{pool="name"}). NULL on failure. */
yj_jobs_t *yj_jobs_new(const char *name, int threads);

/* Queues a job. free_data (may be NULL) frees data once it ran or was
 * dropped at stop. Returns 0, or YJ_ESTATE when the pool is stopping (data
 * is then freed at once). [any thread] */
int yj_jobs_push(yj_jobs_t *jobs, yj_job_fn fn, void *data, void (*free_data)(void *));

/* busy(ud) true means "live work needs the CPU now": yj_job_yield waits
 * while it holds. NULL busy: never wait. Set before jobs run. */
void yj_jobs_set_busy(yj_jobs_t *jobs, bool (*busy)(void *ud), void *ud);

/* Jobs queued or running (for progress pages and tests). */
int yj_jobs_pending(yj_jobs_t *jobs);

/* Stops without freeing: queued jobs are dropped (their data freed), running
 * ones see yj_job_stopping() true and are waited for. Afterwards every push
 * is refused (YJ_ESTATE, data freed at once), so subsystems that still hold
 * the pool may push safely until it is freed. Idempotent. NULL: no-op.
 * [any thread but a pool thread] */
void yj_jobs_stop(yj_jobs_t *jobs);

/* Stops (as yj_jobs_stop) and frees. NULL: no-op. */
void yj_jobs_free(yj_jobs_t *jobs);

/* Inside a job: true once the pool is stopping; a job should return soon. */
bool yj_job_stopping(const yj_job_t *job);
/* The pool's stop flag as a plain int, for loops that poll an int
 * (libav* interrupt callbacks, vod's transcoder). */
const int *yj_job_cancel_flag(const yj_job_t *job);
/* Inside a job: true when the busy predicate holds now (a job whose work
 * runs on other threads, e.g. a GStreamer pipeline, pauses it before it
 * calls yj_job_yield). */
bool yj_job_busy(const yj_job_t *job);
/* Inside a job: waits (in 50 ms steps, at most max_ms in total) while the
 * pool's busy predicate holds and the pool is not stopping. Returns the
 * milliseconds waited. Call it between units of work (a frame, a file). */
int yj_job_yield(yj_job_t *job, int max_ms);

#endif
