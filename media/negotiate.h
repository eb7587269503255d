/* SPDX-License-Identifier: Apache-2.0 */
/*
 * negotiate.h — offer/answer decisions for a peer (negotiate.c): m-lines,
 * codecs, extensions, publishing tracks and creating slots in the room.
 * Runs on the peer's worker. Above sfu_room.h.
 */
#ifndef YJ_MEDIA_NEGOTIATE_H
#define YJ_MEDIA_NEGOTIATE_H

#include "sfu_room.h"

int yj_m_negotiate_answer(yj_media_peer_t *p, const yj_sdp_t *offer, yj_sdp_t **answer, char **err);
int yj_m_negotiate_offer(yj_media_peer_t *p, yj_sdp_t **offer, char **err);
int yj_m_negotiate_set_answer(yj_media_peer_t *p, const yj_sdp_t *answer, char **err);
void yj_m_negotiate_rollback(yj_media_peer_t *p);
void yj_m_negotiate_xcvr_free(yj_xcvr_t *x);

#endif
