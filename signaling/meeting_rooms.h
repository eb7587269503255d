/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meeting_rooms.h — live meetings, the signaling layer above media/'s
 * rooms: who is in which meeting, what they may do, the signaling
 * protocol's behaviour, and the attendance events.
 *
 * Everything here runs on the WebSocket server's thread (ws.h): rooms and
 * participants are touched by no other thread, so they need no lock. Media
 * callbacks (media/media.h workers) are copied and posted to that thread;
 * the HTTP API reaches in through yj_meeting_rooms_end / yj_meeting_rooms_participants,
 * which run their work there and wait.
 *
 * Attendance: a member's join and leave are written to the store when they
 * happen (signaling/store.h); every heartbeat_seconds each non-empty
 * room writes its "alive" time. When the last participant leaves, a grace
 * timer starts; if nobody comes back within grace_seconds the meeting ends
 * at the time the last one left. The host (or an admin) may end it at once.
 */
#ifndef YJ_MEETING_ROOMS_H
#define YJ_MEETING_ROOMS_H

#include "core/app.h"
#include "core/principal.h"
#include "media/media.h"
#include "signaling/ws.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct yj_meeting_rooms yj_meeting_rooms_t;

typedef struct {
    int grace_seconds;       /* [meetings] grace_seconds (300) */
    int heartbeat_seconds;   /* [meetings] heartbeat_seconds (15) */
    const char *ice_servers; /* [meetings] ice_servers: comma-separated URLs */
    /* [meetings] attendance = media (default): a member's attendance
     * interval opens only when their media peer is connected (ICE + DTLS,
     * media flowing) and closes when it fails or stays disconnected for
     * YJ_MEETING_ROOMS_LOST_SECONDS, so a WebSocket left open earns nothing.
     * "signaling" (from the join) is for tests of the signaling protocol
     * alone and for servers without a media engine — never production. */
    bool attendance_signaling;
    /* Called once per meeting the store has just ended (grace timer, host,
     * admin), after the attendance is credited; NULL: none. [ws thread;
     * must not call back into the rooms] */
    void (*on_ended)(int64_t meeting, void *ud);
    void *on_ended_ud;
} yj_meeting_rooms_options_t;

#define YJ_MEETING_ROOMS_LOST_SECONDS 30

/* Creates the rooms and the WebSocket server they serve (not started).
 * app is borrowed for the rooms' life. */
yj_meeting_rooms_t *yj_meeting_rooms_new(yj_app_t *app, const yj_meeting_rooms_options_t *opt,
                                         const yj_ws_options_t *ws_opt);
/* Per-connection state for a new WebSocket, remembering the handshake's
 * cookie principal (NULL or kind NONE: none). Give it to yj_ws_handshake
 * with g_free as its destructor. */
void *yj_meeting_rooms_conn_data(yj_meeting_rooms_t *r, const yj_principal_t *cookie);
/* The WebSocket server (owned by rooms). */
yj_ws_server_t *yj_meeting_rooms_ws(yj_meeting_rooms_t *r);
/* The media engine to drive; NULL (the default) means signaling only:
 * offers get a "media_unavailable" error. Call before yj_meeting_rooms_start. */
void yj_meeting_rooms_set_media(yj_meeting_rooms_t *r, yj_media_t *media);
/* Starts the server thread, then recovers meetings that were live when the
 * process last stopped (their open intervals were closed at the meeting's
 * alive time; each gets a grace timer). */
int yj_meeting_rooms_start(yj_meeting_rooms_t *r);
/* Closes every connection (participants' open intervals are closed now;
 * meetings stay live, to be recovered at the next start), stops. NULL ok. */
void yj_meeting_rooms_free(yj_meeting_rooms_t *r);

/* Ends a meeting now (from the API): tells everyone, closes their
 * connections, then yj_store_meeting_end. *credited as there. Returns its
 * result (YJ_ESTATE when already ended). [any thread but the ws thread] */
int yj_meeting_rooms_end(yj_meeting_rooms_t *r, int64_t meeting, const char *reason, int *credited);
/* Participants connected to a meeting now. [any thread] */
int yj_meeting_rooms_participants(yj_meeting_rooms_t *r, int64_t meeting);

/* The media peer id of the meeting's host (the first in joining order
 * when several hosts or administrators are in) into buf; false and "" when
 * no host is in the meeting. For IPTV live lectures. [any thread] */
bool yj_meeting_rooms_host_peer(yj_meeting_rooms_t *r, int64_t meeting, char *buf, size_t n);

/* The authorizer rule shared with WHIP/WHEP: may p publish or watch in the
 * media room of this meeting? (invited members, the host, admins of the
 * org's subtree; never an ended meeting). */
bool yj_meeting_rooms_may_enter(yj_meeting_rooms_t *r, int64_t meeting, const yj_principal_t *p);

/* Hooks for another subsystem (recordings), set by the daemon before
 * yj_meeting_rooms_start. They run on the WebSocket thread and must only copy and
 * post (they must not call back into rooms synchronously).
 *   live:        a meeting's room (and its media room) now exists
 *   participant: what 0 joined, 1 updated (mute/screen), 2 left
 *   record:      the host asked to start (on) or stop recording; the
 *                answer comes later through yj_meeting_rooms_announce_recording
 *   recording:   true while the meeting is recorded (for "joined")
 *   ended:       the meeting ended (after the store ended it) */
typedef struct {
    void (*live)(int64_t meeting, void *ud);
    void (*participant)(int64_t meeting, int what, const char *pid, const char *member_id,
                        const char *name, bool audio_muted, bool video_muted, bool screen,
                        void *ud);
    void (*record)(int64_t meeting, bool on, const char *by, void *ud);
    bool (*recording)(int64_t meeting, void *ud);
    void (*ended)(int64_t meeting, void *ud);
} yj_meeting_rooms_hooks_t;
/* h is copied; NULL clears. ud borrowed until cleared. [before start] */
void yj_meeting_rooms_set_hooks(yj_meeting_rooms_t *r, const yj_meeting_rooms_hooks_t *h, void *ud);
/* Tells everyone in the meeting {"type":"recording","on":…,"reason":…}.
 * [any thread; posted to the WebSocket thread] */
void yj_meeting_rooms_announce_recording(yj_meeting_rooms_t *r, int64_t meeting, bool on, const char *reason);

/* The media room name of a meeting ("meeting-<id>") into buf; and back
 * (returns 0 when name is not a meeting room). */
void yj_meeting_rooms_media_name(int64_t meeting, char *buf, size_t n);
int64_t yj_meeting_rooms_meeting_of(const char *media_room);

#endif
