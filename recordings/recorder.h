/* SPDX-License-Identifier: Apache-2.0 */
/*
 * recorder.h — records meetings: watches a meeting's media room, taps
 * each published track (one simulcast layer, chosen for the composite
 * tile) into its own pcap file under <root>/<meeting>-<recording>/ through
 * the writer (recordings/writer.h), and keeps the manifest in the store
 * (recordings/store.h): tracks, publishers, packet times, SR mapping,
 * mutes, joins, leaves, screen share, speaker changes.
 *
 * It knows meetings only by id and by the events its owner feeds it
 * (the daemon wires signaling's room hooks to these calls). All state
 * lives on the recorder's own control thread; every public call copies
 * its arguments, posts them there and returns at once, so neither the
 * WebSocket thread nor a media worker ever waits on the disk or the
 * database because of recordings.
 *
 * Crash safety: yj_recorder_recover (at start, before any meeting) finds
 * recordings left 'recording', cuts each file at its last whole record,
 * rescans it for the figures, and marks the recording stopped ("crash")
 * so it goes on to composition.
 */
#ifndef YJ_RECORDINGS_RECORDER_H
#define YJ_RECORDINGS_RECORDER_H

#include "core/store.h"
#include "media/media.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct yj_recorder yj_recorder_t;

typedef struct {
    const char *root;    /* folder of all recordings (created) */
    int64_t quota_bytes; /* raw files on disk at most; 0: no limit */
    int queue_slots;     /* per track; 0: 2048 */
} yj_recorder_options_t;

typedef struct {
    /* Recording of a meeting started (on true) or stopped (reason: "host",
     * "ended", "quota", "error", "shutdown"). [control thread] */
    void (*announce)(int64_t meeting, bool on, const char *reason, void *ud);
    /* A recording stopped and every file of it is closed: it can be
     * composed. [control thread] */
    void (*finished)(int64_t meeting, int64_t rec_id, void *ud);
} yj_recorder_callbacks_t;

/* Starts the control thread and the writer. media may be NULL (nothing is
 * ever recorded, calls are accepted). NULL when root cannot be created. */
yj_recorder_t *yj_recorder_new(yj_store_t *st, yj_media_t *media, const yj_recorder_options_t *o,
                               const yj_recorder_callbacks_t *cb, void *ud);
/* Stops every recording (reason "shutdown"; finished is called for each),
 * closes every file, stops the threads, frees. NULL: no-op. */
void yj_recorder_free(yj_recorder_t *r);

/* Crash recovery of recordings left 'recording' by a previous process:
 * files cut and rescanned, status stopped with reason "crash". Returns the
 * number recovered. Call before any meeting starts. [blocking] */
int yj_recorder_recover(yj_recorder_t *r);

/* The meeting is live (its media room exists): recording starts when the
 * meeting's flag says so. */
void yj_recorder_meeting_live(yj_recorder_t *r, int64_t meeting);
/* The host asks to start or stop. by: a display name for the log. */
void yj_recorder_set(yj_recorder_t *r, int64_t meeting, bool on, const char *by);
/* The meeting ended: its recording stops ("ended") and the room is let go. */
void yj_recorder_meeting_ended(yj_recorder_t *r, int64_t meeting);

/* what: 0 joined, 1 updated (mute / screen flags), 2 left. */
void yj_recorder_participant(yj_recorder_t *r, int64_t meeting, int what, const char *pid,
                             const char *member_id, const char *name, bool audio_muted,
                             bool video_muted, bool screen);

/* True while the meeting is being recorded. [any thread] */
bool yj_recorder_active(yj_recorder_t *r, int64_t meeting);

/* Waits until every call posted before it has been handled (tests). */
void yj_recorder_flush(yj_recorder_t *r);

#endif
