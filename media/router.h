/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router.h — the forwarding path and the binding of subscribers' slots to
 * tracks (router.c). Above track.h.
 */
#ifndef YJ_MEDIA_ROUTER_H
#define YJ_MEDIA_ROUTER_H

#include "track.h"

/* Forwards a packet of layer li of track t (buf/len, parsed as pkt) to
 * every slot bound to t: those on the calling (the publisher's) worker at
 * once, the others' through one hand-off to each of their workers. The
 * caller holds t->lock. */
void yj_m_router_forward(yj_track_t *t, int li, const uint8_t *buf, size_t len, const yj_rtp_t *pkt,
                         int64_t now_us);
/* Builds the subscriber-side packet for slot s (out_lock held) into out;
 * returns its length or -1. rtx: wrap as RTX with the original seq. */
int yj_m_router_build(yj_slot_t *s, yj_track_t *t, const yj_rtp_t *pkt, uint16_t seq, uint32_t ts,
                      bool rtx, uint8_t *out, size_t cap, int64_t now_us);
void yj_m_router_bind_locked(yj_slot_t *s, yj_track_t *t); /* room->lock held */
void yj_m_router_unbind_locked(yj_slot_t *s);
void yj_m_router_slot_free(yj_slot_t *s);
/* The simulcast layer that fits slot s given a REMB estimate (0: none);
 * reads t's layer statistics (t->lock held). */
int yj_m_router_pick_layer(yj_slot_t *s, yj_track_t *t, uint32_t remb, double loss, int64_t now);

#endif
