/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport.h — a peer's ICE → DTLS → SRTP transport (transport.c): the
 * layer above the worker. Receiving hands decrypted packets up through
 * p->up; sending protects in place and sends on the peer's ICE.
 */
#ifndef YJ_MEDIA_TRANSPORT_H
#define YJ_MEDIA_TRANSPORT_H

#include "worker.h"

/* Sets the peer's state and fires on_state (worker; not after close). */
void yj_m_transport_set_state(yj_media_peer_t *p, yj_media_peer_state_t st);
/* Sends RTP/RTCP on p; caller holds p->out_lock; buf has YJ_SRTP_OVERHEAD
 * spare bytes and is protected in place. */
int yj_m_transport_send_rtp_locked(yj_media_peer_t *p, uint8_t *buf, int len);
int yj_m_transport_send_rtcp_locked(yj_media_peer_t *p, uint8_t *buf, int len);
int yj_m_transport_send_rtcp(yj_media_peer_t *p, uint8_t *buf, int len); /* takes out_lock */
void yj_m_transport_count_drop(yj_media_peer_t *p, yj_drop_t why);
/* Creates the ICE agent and the DTLS endpoint; joins the RTCP tick. */
void yj_m_transport_start_ice(yj_media_peer_t *p);
/* Joins the 20 ms loss-recovery tick (peers publishing video). */
void yj_m_transport_enable_nack(yj_media_peer_t *p);
/* The transport's part of the once-a-second pass (frees idle DTLS). */
void yj_m_transport_rtcp_tick(yj_media_peer_t *p, int64_t now_us);
/* Closing, in two steps around leaving the room: the goodbye (RTCP BYE,
 * DTLS close_notify), then leaving the tick and freeing ICE and SRTP. */
void yj_m_transport_goodbye(yj_media_peer_t *p);
void yj_m_transport_close(yj_media_peer_t *p);

#endif
