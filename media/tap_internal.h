/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tap_internal.h — the engine's side of the media tap (tap.c; the public
 * contract is tap.h). Above track.h: the publisher delivers, the room
 * attaches and ends.
 */
#ifndef YJ_MEDIA_TAP_INTERNAL_H
#define YJ_MEDIA_TAP_INTERNAL_H

#include "tap.h"
#include "track.h"

/* Attaches a tap to t (the caller found t in the room; the tap takes its
 * own reference). NULL when t is no longer published. */
yj_media_tap_t *yj_m_tap_attach(yj_track_t *t, int layer, const yj_media_tap_callbacks_t *cb,
                                void *ud, yj_media_tap_info_t *info);
/* Publisher's worker, t->lock held: */
/* Delivers one decrypted (RTX-unwrapped) packet of layer li to t's taps. */
void yj_m_tap_deliver_rtp(yj_track_t *t, int li, const uint8_t *pkt, size_t len);
/* Delivers the SR of layer li's SSRC to t's taps. */
void yj_m_tap_deliver_sr(yj_track_t *t, int li, const yj_rtcp_item_t *sr);
/* The track ended: on_end for every tap, which are then detached. */
void yj_m_tap_end_all(yj_track_t *t);

#endif
