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
 *                            lesson exists (0: kept)
 *   jobs            1        compositions at once
 *
 * The daemon wires it to the meetings (signaling) with the hook functions
 * below, whose signatures match signaling/room.h's yj_rooms_hooks_t, and
 * gives it the announcer that tells a meeting's participants. Start it
 * after the media engine exists and before the meetings start; stop it
 * after the meetings stopped.
 */
#ifndef YJ_RECORDINGS_H
#define YJ_RECORDINGS_H

#include "core/app.h"
#include "http/http.h"

#include <stdbool.h>
#include <stdint.h>

int yj_recordings_init(yj_app_t *app, yj_http_t *http);
int yj_recordings_start(void);
void yj_recordings_stop(void);

/* The media engine to tap (borrowed; NULL: nothing is recorded). Before
 * yj_recordings_start. */
struct yj_media;
void yj_recordings_set_media(struct yj_media *media);

/* How a recording start/stop reaches the meeting's participants. */
typedef void (*yj_recordings_announce_fn)(int64_t meeting, bool on, const char *reason, void *ud);
void yj_recordings_set_announcer(yj_recordings_announce_fn fn, void *ud);

/* Hooks for the meetings (any thread; they copy and post). */
void yj_recordings_hook_live(int64_t meeting, void *ud);
void yj_recordings_hook_participant(int64_t meeting, int what, const char *pid,
                                    const char *member_id, const char *name, bool audio_muted,
                                    bool video_muted, bool screen, void *ud);
void yj_recordings_hook_record(int64_t meeting, bool on, const char *by, void *ud);
bool yj_recordings_hook_recording(int64_t meeting, void *ud);
void yj_recordings_hook_ended(int64_t meeting, void *ud);

/* Compositions queued or running (tests, progress pages). */
int yj_recordings_pending(void);

#endif
