/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vod.h — the course library subsystem (issue 4): courses and lessons,
 * import (resumable uploads, server paths), transcoding into an HLS ladder
 * in a bounded job pool, signed segment serving, playback progress with
 * resume on any device, learning-hour credit, reports and xAPI export.
 *
 * yj_vod_new registers routes (user data: the instance) and allocates
 * state (no threads); yj_vod_start queues on the daemon's shared job pool
 * (app->jobs) the jobs a crash interrupted and adds the demo lesson;
 * yj_vod_stop stops queueing; yj_vod_free undoes everything. The daemon
 * stops the shared pool (yj_jobs_stop: running transcodes cancelled and
 * waited for) before yj_vod_stop. docs/vod.md is the guide.
 */
#ifndef YJ_VOD_H
#define YJ_VOD_H

#include "core/app.h"
#include "http/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct yj_vod yj_vod_t;

/* app and http are borrowed and must outlive the result. NULL with *err
 * (g_free) when the playback key cannot be read or a route registered. */
yj_vod_t *yj_vod_new(yj_app_t *app, yj_http_t *http, char **err);
int yj_vod_start(yj_vod_t *vod);
/* Stops queueing jobs (the daemon stopped the pool before); NULL: no-op. */
void yj_vod_stop(yj_vod_t *vod);
/* Stops and frees. NULL: no-op. */
void yj_vod_free(yj_vod_t *vod);

/* Imports a media file as a new lesson of course_id (for other subsystems,
 * e.g. recordings turned into lessons): probes it (a file with audio and
 * no video is accepted here and becomes an audio lesson: one audio-only
 * HLS rendition, no poster; uploads stay video only), then creates the lesson
 * and its transcoding job. With take_ownership the file is deleted once
 * the job is done. Returns 0 with *lesson_id set, or YJ_EMEDIA (not
 * playable media; err says why, nothing added), YJ_ENOENT (no course),
 * YJ_ESTATE (subsystem not started). */
int yj_vod_import_file(yj_vod_t *vod, const char *path, bool take_ownership, int64_t course_id,
                       const char *title, int minutes, const int64_t *org_ids, size_t n_orgs,
                       int64_t *lesson_id, char *err, size_t errlen);

/* A chapter of a lesson: where it starts and what the player calls it. */
typedef struct {
    int64_t start_ms;
    const char *title; /* 1–200 characters of UTF-8 */
} yj_vod_chapter_t;

/* Sets the chapters the lesson's player offers (GET /api/v1/lessons/{id}
 * "chapters", the list on /learn/{id}), replacing any: start_ms strictly
 * ascending from 0 on. Returns 0, YJ_EINVAL (nothing changed), YJ_ENOENT
 * (no such lesson) or YJ_EDB. [any thread] */
int yj_vod_set_chapters(yj_vod_t *vod, int64_t lesson_id, const yj_vod_chapter_t *ch, size_t n);

#endif
