/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meetings.h — the meetings subsystem: the meetings REST API
 * (/api/v1/meetings…), the WebSocket signaling endpoint (/ws), the meeting
 * page route (/meet/{meeting_id}) and, with --demo, a demo meeting.
 *
 * Configuration ([meetings] in the INI file):
 *   grace_seconds      300    an empty meeting ends after this long
 *   heartbeat_seconds  15     how often a live meeting's alive time is saved
 *   max_message_bytes  65536  largest WebSocket message (else close 1009)
 *   ws_ping_seconds    20     ping a silent WebSocket after this long
 *   ws_idle_seconds    60     close a WebSocket silent this long
 *   ice_servers               STUN/TURN URLs handed to the page, comma-separated
 */
#ifndef YJ_MEETINGS_H
#define YJ_MEETINGS_H

#include "core/app.h"
#include "http/http.h"

#include "core/principal.h"
#include "media/media.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct yj_meetings yj_meetings_t;

/* Creates the subsystem and registers its routes (user data: the
 * instance); no threads. app, http and media (the rtc subsystem's engine,
 * or NULL: signaling without audio and video) are borrowed and must
 * outlive the result. NULL with *err (g_free) on bad configuration. */
yj_meetings_t *yj_meetings_new(yj_app_t *app, yj_http_t *http, yj_media_t *media, char **err);
/* Starts the WebSocket thread, recovers live meetings, adds the demo. */
int yj_meetings_start(yj_meetings_t *m);
/* Closes every connection (meetings stay live, recovered at next start). */
void yj_meetings_stop(yj_meetings_t *m);
/* Stops and frees. NULL: no-op. */
void yj_meetings_free(yj_meetings_t *m);

/* "A meeting ended" (grace timer, host or admin), after attendance was
 * credited: how other subsystems (recordings) learn of it without
 * meetings knowing them. Register before yj_meetings_start; hooks run in
 * registration order on the WebSocket thread, must be quick and must not
 * call back into meetings; ud is borrowed until yj_meetings_free. */
typedef void (*yj_meeting_ended_fn)(int64_t meeting_id, void *ud);
int yj_meetings_on_ended(yj_meetings_t *m, yj_meeting_ended_fn fn, void *ud);

/* May who publish into / watch the media room room_id? Members invited to
 * the meeting of a "meeting-<id>" room, its host and the admins of its
 * organisation's subtree while it is not ended; other rooms: admins only.
 * The daemon installs it as the rtc subsystem's authorizer. Any thread. */
bool yj_meetings_may_use_room(yj_meetings_t *m, const char *room_id, const yj_principal_t *who);

/* The meetings' rooms, for the daemon to wire other subsystems' hooks
 * (recordings). Borrowed: valid until yj_meetings_free. */
struct yj_meeting_rooms;
struct yj_meeting_rooms *yj_meetings_rooms(yj_meetings_t *M);

#endif
