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

int yj_meetings_init(yj_app_t *app, yj_http_t *http);
int yj_meetings_start(void);
void yj_meetings_stop(void);

/* The live rooms (NULL before init / after stop), for the daemon to wire
 * other subsystems' hooks (recordings). Borrowed. */
struct yj_rooms;
struct yj_rooms *yj_meetings_rooms(void);

#endif
