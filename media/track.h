/* SPDX-License-Identifier: Apache-2.0 */
/*
 * track.h — published tracks (track.c): life and keyframe requests. The
 * layer above the transport.
 */
#ifndef YJ_MEDIA_TRACK_H
#define YJ_MEDIA_TRACK_H

#include "transport.h"

yj_track_t *yj_m_track_new(yj_media_peer_t *pub, const char *id, yj_media_kind_t kind);
yj_track_t *yj_m_track_ref(yj_track_t *t);
void yj_m_track_unref(yj_track_t *t);
/* Asks the publisher of t for a keyframe (throttled; any thread). The
 * _locked form is for callers holding t->lock (and no out_lock). */
void yj_m_track_request_keyframe(yj_track_t *t, bool force);
void yj_m_track_request_keyframe_locked(yj_track_t *t, bool force);
/* Whether an unforced request could pass the throttle now; read without
 * t->lock, so a worker that only forwards the track can skip taking it. */
bool yj_m_track_keyframe_due(yj_track_t *t, int64_t now_us);

#endif
