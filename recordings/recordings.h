/* SPDX-License-Identifier: Apache-2.0 */
/*
 * recordings.h — the recordings subsystem: meetings recorded per track
 * (recorder.h), composed after they end (compose.h) in a background job
 * pool and handed to the course library as a lesson of the organisation's
 * "会议回放" course; the API under /api/v1/meetings/{id}/recording(s).
 *
 * Configuration ([recordings] in the INI file):
 *   dir             <data_dir>/recordings   where track files are written
 *   quota_mb        0        raw track files on disk at most (0: no limit);
 *                            a recording reaching it stops, with a notice
 *   retention_days  30       raw files are deleted this long after their
 *                            lesson exists (0: kept; decimals allowed)
 *   retention_check_seconds 3600  how often a thread looks for them (and
 *                            once at start)
 *   chapter_min_seconds 30   a lesson's chapters (speaker changes) are at
 *                            least this long
 *
 * Compositions run on the daemon's shared background pool (app->jobs,
 * [jobs] threads), beside vod's transcodes; a composition pauses its
 * pipeline while the pool's busy predicate (live meetings need the CPU)
 * holds. The daemon stops that pool (yj_jobs_stop) before
 * yj_recordings_stop: a running composition is cancelled and composed
 * again after the next start.
 *
 * The daemon owns the instance and wires it to the meetings (signaling)
 * with the hook functions below, whose signatures match
 * signaling/meeting_rooms.h's yj_meeting_rooms_hooks_t (their ud is the
 * instance), and gives it the announcer that tells a meeting's
 * participants. Start it before the meetings start; stop it after the
 * meetings stopped.
 */
#ifndef YJ_RECORDINGS_H
#define YJ_RECORDINGS_H

#include "core/app.h"
#include "http/http.h"
#include "media/media.h"
#include "vod/vod.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct yj_recordings yj_recordings_t;

/* Creates the subsystem and its routes (no threads). media: the engine to
 * tap (borrowed; NULL: nothing is recorded); vod: where composed meetings
 * become lessons (borrowed). NULL with *err (g_free) on a bad
 * configuration. */
yj_recordings_t *yj_recordings_new(yj_app_t *app, yj_http_t *http, yj_media_t *media, yj_vod_t *vod,
                                   char **err);
/* The recorder and the composition pool; recovers crashed recordings. */
int yj_recordings_start(yj_recordings_t *R);
/* Stops recording and composing (what stops is composed after the next
 * start). NULL: no-op. */
void yj_recordings_stop(yj_recordings_t *R);
/* After _stop. NULL: no-op. */
void yj_recordings_free(yj_recordings_t *R);

/* How a recording start/stop reaches the meeting's participants. */
typedef void (*yj_recordings_announce_fn)(int64_t meeting, bool on, const char *reason, void *ud);
void yj_recordings_set_announcer(yj_recordings_t *R, yj_recordings_announce_fn fn, void *ud);

/* Hooks for the meetings (any thread; they copy and post). */
void yj_recordings_hook_live(int64_t meeting, void *ud);
void yj_recordings_hook_participant(int64_t meeting, int what, const char *pid,
                                    const char *member_id, const char *name, bool audio_muted,
                                    bool video_muted, bool screen, void *ud);
void yj_recordings_hook_record(int64_t meeting, bool on, const char *by, void *ud);
bool yj_recordings_hook_recording(int64_t meeting, void *ud);
void yj_recordings_hook_ended(int64_t meeting, void *ud);

/* Compositions queued or running (tests, progress pages). */
int yj_recordings_pending(yj_recordings_t *R);

#endif
