/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subscriber.h — the sending side's feedback (subscriber.c): NACK, PLI,
 * REMB and receiver reports from subscribers; SRs to them. Above the
 * router.
 */
#ifndef YJ_MEDIA_SUBSCRIBER_H
#define YJ_MEDIA_SUBSCRIBER_H

#include "router.h"

void yj_m_subscriber_on_rtcp_item(yj_media_peer_t *p, const yj_rtcp_item_t *it, int64_t now_us);
void yj_m_subscriber_rtcp_tick(yj_media_peer_t *p, int64_t now_us);

#endif
