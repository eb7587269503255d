/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h — the recordings' own tables (the manifest) on core's database
 * layer.
 *
 * A recording is one continuous capture of a meeting (the host may stop
 * and start again: then a meeting has several). Its manifest is:
 *   recordings        folder, status, start/stop, size, progress, lesson
 *   recording_tracks  one pcap file per published track: publisher (peer,
 *                     member, display name), codec and RTP parameters,
 *                     first/last packet arrival, the RTCP SR NTP↔RTP
 *                     mapping (first and latest SR), packets, drops, bytes
 *   recording_events  joins, leaves, mute/unmute, screen share, speaker
 *                     changes, start/stop, with µs wall-clock times
 *   recording_settings the per-meeting "record this meeting" flag (absent:
 *                     on for 党课 and 支部党员大会, off otherwise)
 * Status: recording → stopped → composing → composed | failed (retry:
 * failed → stopped). A crash leaves 'recording' or 'composing' rows that
 * yj_rec_store_unfinished finds at the next start.
 *
 * Times are µs since the Unix epoch unless the name says seconds. Reads a
 * few rows of the meetings' and the course library's tables (meeting
 * type, invited organisations, the "会议回放" course), writes only its own
 * and, through yj_rec_store_course, a course row of vod's.
 */
#ifndef YJ_RECORDINGS_STORE_H
#define YJ_RECORDINGS_STORE_H

#include "core/store.h"

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The migration appended in core/store_migrations.c. */
/* The migrations creating these tables (the daemon places them in the
 * global list, daemon/migrations.c). */
extern const yj_migration_t yj_recordings_migrations[];
extern const size_t yj_recordings_migrations_count;

/* Whether the meeting is to be recorded: its flag, or the type's default.
 * 0 or YJ_ENOENT (no such meeting). */
int yj_rec_store_wanted(yj_store_t *st, int64_t meeting, bool *record);
int yj_rec_store_set_wanted(yj_store_t *st, int64_t meeting, bool record);

/* A new recording of meeting in folder dir (relative to the recordings
 * root), status 'recording'. */
int yj_rec_store_begin(yj_store_t *st, int64_t meeting, const char *dir, int64_t at_us,
                       int64_t *rec_id);

typedef struct {
    const char *file; /* relative to the recording's folder */
    const char *peer_id, *track_id, *kind, *codec, *fmtp;
    const char *member_id, *display_name; /* may be NULL */
    int payload_type, clock_rate, channels, layer, layers, audio_level_ext;
    int64_t opened_us;
} yj_rec_track_row_t;
int yj_rec_store_track_add(yj_store_t *st, int64_t rec_id, const yj_rec_track_row_t *t,
                           int64_t *row_id);

typedef struct {
    int64_t first_us, last_us, packets, dropped, bytes, sr_count;
    int64_t sr_first_ntp_us, sr_last_ntp_us;
    uint32_t sr_first_rtp, sr_last_rtp;
    bool closed;
} yj_rec_track_fig_t;
int yj_rec_store_track_update(yj_store_t *st, int64_t row_id, const yj_rec_track_fig_t *f);
/* The figures of a track file recovered after a crash (rescanned). */

/* kind: join, leave, update, mute, unmute, screen, unscreen, speaker,
 * start, stop. Any text field may be NULL. */
int yj_rec_store_event(yj_store_t *st, int64_t rec_id, int64_t at_us, const char *kind,
                       const char *peer_id, const char *member_id, const char *name,
                       const char *detail);

/* recording → stopped (at, reason). */
int yj_rec_store_stop(yj_store_t *st, int64_t rec_id, int64_t at_us, const char *reason);
/* Any status change with progress (0–100) and an error text (NULL keeps
 * none). */
int yj_rec_store_status(yj_store_t *st, int64_t rec_id, const char *status, int progress,
                        const char *error);
int yj_rec_store_progress(yj_store_t *st, int64_t rec_id, int progress);
/* composing → composed with the lesson and the composed duration. */
int yj_rec_store_composed(yj_store_t *st, int64_t rec_id, int64_t lesson_id, int64_t duration_ms);
/* Sets the size on disk (bytes) of all track files. */
int yj_rec_store_bytes(yj_store_t *st, int64_t rec_id, int64_t bytes);

/* Recordings whose status is one of the comma-separated statuses
 * ("recording,composing"), oldest first. g_array of gint64; NULL on error. */
GArray *yj_rec_store_with_status(yj_store_t *st, const char *statuses);

/* The whole manifest as JSON (new reference) or NULL (unknown):
 * {"id","meeting_id","dir","status",…,"tracks":[…],"events":[…]}. */
json_t *yj_rec_store_manifest(yj_store_t *st, int64_t rec_id);
/* {"recordings":[…]} of a meeting without events (new reference). */
json_t *yj_rec_store_list(yj_store_t *st, int64_t meeting);
/* The meeting of a recording; 0 when unknown. */
int64_t yj_rec_store_meeting_of(yj_store_t *st, int64_t rec_id);
/* Sum of bytes of recordings whose files are still on disk. */
int64_t yj_rec_store_disk_bytes(yj_store_t *st);
/* Composed recordings older than before_s (Unix seconds) whose raw files
 * are still kept; marks them purged. g_array of gint64. */
GArray *yj_rec_store_expired(yj_store_t *st, int64_t before_s);
int yj_rec_store_purged(yj_store_t *st, int64_t rec_id);

/* The meeting's organisation and invited organisations (ids; the
 * organising one when none were invited), title and type slug. */
typedef struct {
    int64_t org_id;
    char org_path[256];
    char title[640];
    char type[32];
    int64_t *orgs;
    size_t n_orgs;
} yj_rec_meeting_t;
int yj_rec_store_meeting(yj_store_t *st, int64_t meeting, yj_rec_meeting_t *out);
void yj_rec_meeting_clear(yj_rec_meeting_t *m);

/* The organisation's "会议回放" course, created when absent. */
int yj_rec_store_course(yj_store_t *st, int64_t org_id, int64_t *course_id);

#endif
