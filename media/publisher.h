/* SPDX-License-Identifier: Apache-2.0 */
/*
 * publisher.h — the receiving side of a peer (publisher.c). Above the
 * router and the tap.
 */
#ifndef YJ_MEDIA_PUBLISHER_H
#define YJ_MEDIA_PUBLISHER_H

#include "router.h"
#include "tap_internal.h"

/* A decrypted RTP packet from the client. buf has headroom for rewriting. */
void yj_m_publisher_on_rtp(yj_media_peer_t *p, uint8_t *buf, size_t len, const yj_rtp_t *pkt);
/* RTCP SR from the publisher (for our RR's LSR/DLSR, and taps). */
void yj_m_publisher_on_sr(yj_media_peer_t *p, const yj_rtcp_item_t *sr, int64_t now_us);
/* Periodic: RR + REMB to the publisher; retries NACKs. */
void yj_m_publisher_rtcp_tick(yj_media_peer_t *p, int64_t now_us);
void yj_m_publisher_nack_tick(yj_media_peer_t *p, int64_t now_us);

#endif
