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
 * the authorizer allows for the room. The daemon hands the engine
 * (yj_rtc_engine) to the meetings subsystem and installs the meetings'
 * authorizer (invitations) with yj_rtc_set_authorizer.
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

typedef struct yj_rtc yj_rtc_t;

/* Subsystem entry points (daemon/main.c). _new creates the engine from
 * [media] and registers the routes with the instance as their user data
 * (no threads); app and http are borrowed and must outlive the result.
 * NULL with *err (g_free) on bad configuration. _start runs the media
 * workers; _stop closes every WHIP/WHEP session; _free stops, frees the
 * engine and the instance (NULL: no-op). */
yj_rtc_t *yj_rtc_new(yj_app_t *app, yj_http_t *http, char **err);
int yj_rtc_start(yj_rtc_t *rtc);
void yj_rtc_stop(yj_rtc_t *rtc);
void yj_rtc_free(yj_rtc_t *rtc);

/* The engine, owned by rtc (valid until yj_rtc_free). Borrowed. */
yj_media_t *yj_rtc_engine(yj_rtc_t *rtc);

/* Replaces the authorizer; NULL restores the default (any signed-in
 * principal). ud is borrowed until replaced. Any thread. */
void yj_rtc_set_authorizer(yj_rtc_t *rtc, yj_rtc_authorize_fn fn, void *ud);

#endif
