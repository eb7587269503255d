/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtc.h — the subsystem that owns the media engine (media/media.h) and
 * serves the standard WebRTC ingest/egress endpoints:
 *
 *   WHIP (RFC 9725)  POST /whip/{room}  application/sdp offer → 201 answer,
 *                    Location: /whip/{room}/{session}
 *                    PATCH  that resource, application/trickle-ice-sdpfrag
 *                    (trickle → 204; ICE restart → 200 with our fragment)
 *                    DELETE that resource → 200, session ended
 *   WHEP             the same shape at /whep/{room}: the viewer offers
 *                    recvonly audio/video, the answer carries the room's
 *                    publishers' tracks.
 *
 * Both need a signed-in principal (cookie or Authorization: Bearer) that
 * the authorizer allows for the room. Other signaling code (the meeting
 * WebSocket) reaches the engine through yj_rtc_engine() and installs its
 * own authorizer (invitations) with yj_rtc_set_authorizer().
 *
 * Configuration: the [media] section of yuanjiao.conf (see
 * yuanjiao.conf.example and docs/media.md).
 */
#ifndef YJ_RTC_H
#define YJ_RTC_H

#include "core/app.h"
#include "core/principal.h"
#include "media/media.h"
#include "http/http.h"

#include <stdbool.h>

typedef enum { YJ_RTC_PUBLISH, YJ_RTC_WATCH } yj_rtc_role_t;

/* Decides whether who may publish into / watch room_id. Called on an HTTP
 * thread; must be thread-safe and quick. */
typedef bool (*yj_rtc_authorize_fn)(const char *room_id, const yj_principal_t *who,
                                    yj_rtc_role_t role, void *ud);

/* Subsystem entry points (daemon/main.c): init creates the engine from
 * [media] and registers the routes (no threads); start runs the media
 * workers; stop closes every session and frees the engine. */
int yj_rtc_init(yj_app_t *app, yj_http_t *http);
int yj_rtc_start(void);
void yj_rtc_stop(void);

/* The engine (NULL before init or after stop). Borrowed. */
yj_media_t *yj_rtc_engine(void);

/* Replaces the authorizer; NULL restores the default (any signed-in
 * principal). ud is borrowed until replaced. Any thread. */
void yj_rtc_set_authorizer(yj_rtc_authorize_fn fn, void *ud);

#endif
