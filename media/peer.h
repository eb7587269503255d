/* SPDX-License-Identifier: Apache-2.0 */
/*
 * peer.h — a peer's lifecycle at the top of the engine (peer.c); only
 * engine.c is above it.
 */
#ifndef YJ_MEDIA_PEER_H
#define YJ_MEDIA_PEER_H

#include "negotiate.h"

/* Fires on_negotiation_needed on p's worker (at most once per offer);
 * the lower layers reach it as p->up->need_negotiation. */
void yj_m_peer_need_negotiation(yj_media_peer_t *p);
int yj_m_peer_close_now(yj_media_peer_t *p, void *unused); /* on worker */

#endif
