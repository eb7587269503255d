/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs.h — the persistent transcoding job queue and its thread pool (jobs.c).
 *
 * Internal to vod/ (see vod_internal.h for the convention): other folders
 * include vod/vod.h only.
 */
#ifndef YJ_VOD_JOBS_H
#define YJ_VOD_JOBS_H

#include "vod_internal.h"

/* Starts taking jobs (resumes those a crash interrupted). */
int yj_vod_jobs_start(yj_vod_t *v);
/* Cancels running jobs at their next packet and waits for them. */
void yj_vod_jobs_stop(yj_vod_t *v);
/* Queues a job by id (no-op when already queued or running). */
void yj_vod_jobs_push(yj_vod_t *v, int64_t job_id);

#endif
