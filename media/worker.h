/* SPDX-License-Identifier: Apache-2.0 */
/*
 * worker.h — the bottom layer of the media engine (worker.c, tick.c): the
 * clock, the worker threads and the two ways to run code on a peer's
 * worker, a peer's reference count, the media metrics, and the per-worker
 * 20 ms tick. Knows the shared structures (types.h) and nothing of the
 * layers above: what the tick does for a peer it asks through p->up.
 */
#ifndef YJ_MEDIA_WORKER_H
#define YJ_MEDIA_WORKER_H

#include "types.h"

int64_t yj_m_now_us(void); /* monotonic */

/* ---- worker.c ---- */
void yj_m_worker_init(yj_worker_t *w, int index); /* context and tick; no thread yet */
void yj_m_worker_start(yj_worker_t *w);           /* starts the thread */
void yj_m_worker_stop(yj_worker_t *w);            /* stops, joins, frees what init made */
/* The least loaded worker (ties round-robin); counts the peer pinned on it. */
yj_worker_t *yj_m_worker_pick(yj_media_t *m);
/* Runs fn(p, arg) on p's worker and waits; inline when already there.
 * Returns fn's result, or YJ_ESTATE when the engine is not running. */
int yj_m_worker_call(yj_media_peer_t *p, int (*fn)(yj_media_peer_t *, void *), void *arg);
/* Queues fn on p's worker (holding a peer ref until it ran; skipped once
 * the peer is closed). */
void yj_m_worker_post(yj_media_peer_t *p, void (*fn)(yj_media_peer_t *, void *), void *arg,
                      GDestroyNotify free_arg);
/* A peer's reference count; the last unref calls p->up->free. */
yj_media_peer_t *yj_m_worker_ref(yj_media_peer_t *p);
void yj_m_worker_unref(yj_media_peer_t *p);

/* metrics (registered once per process) */
void yj_m_worker_metrics_init(void);
void yj_m_worker_drop(yj_drop_t why);
extern yj_counter_t *yj_m_nacks_in, *yj_m_nacks_out, *yj_m_retransmits, *yj_m_plis_in,
    *yj_m_plis_out, *yj_m_forwarded, *yj_m_received, *yj_m_peers, *yj_m_rooms,
    *yj_m_ice_restarts_client, *yj_m_ice_restarts_server;

/* ---- tick.c (worker thread) ---- */
void yj_m_tick_init(yj_worker_t *w);
void yj_m_tick_start(yj_worker_t *w); /* on the worker thread */
void yj_m_tick_clear(yj_worker_t *w); /* after the worker thread ended */
void yj_m_tick_add_rtcp(yj_media_peer_t *p);
void yj_m_tick_add_nack(yj_media_peer_t *p);
void yj_m_tick_remove(yj_media_peer_t *p);

#endif
