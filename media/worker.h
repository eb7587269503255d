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
void yj_m_worker_stop(yj_worker_t *w);            /* stops and joins the thread */
/* Stops the worker if needed, releases what is still in its hand-off
 * queue (not run) and frees what init made. Stop every worker before
 * freeing any: a running worker may still hand packets to a stopped one. */
void yj_m_worker_free(yj_worker_t *w);
/* The least loaded worker (ties round-robin); counts the peer pinned on it. */
yj_worker_t *yj_m_worker_pick(yj_media_t *m);
/* Runs fn(p, arg) on p's worker and waits; inline when already there.
 * Returns fn's result, or YJ_ESTATE when the engine is not running. */
int yj_m_worker_call(yj_media_peer_t *p, int (*fn)(yj_media_peer_t *, void *), void *arg);
/* Queues fn on p's worker (holding a peer ref until it ran; skipped once
 * the peer is closed). */
void yj_m_worker_post(yj_media_peer_t *p, void (*fn)(yj_media_peer_t *, void *), void *arg,
                      GDestroyNotify free_arg);
/* Hands a copy of a packet (len <= YJ_HANDOFF_DATA) to worker w, which
 * runs fn(w, obj, arg, copy, len) on its thread, then release(obj). Any
 * thread; lock-free, allocates nothing; wakes w only when it may be
 * asleep. Packets from one producer thread run in the order handed. obj
 * is a reference the call takes over: when w's queue (YJ_HANDOFF_CAP) is
 * full the packet is dropped and counted (yj_media_handoff_dropped_total,
 * w->ho.dropped), release(obj) runs at once and YJ_EBUSY is returned; a
 * packet still queued when the worker ends is released, not run. */
int yj_m_worker_hand_off(yj_worker_t *w, yj_handoff_fn fn, void (*release)(void *), void *obj,
                         uint64_t arg, const uint8_t *data, size_t len);
/* A peer's reference count; the last unref calls p->up->free. */
yj_media_peer_t *yj_m_worker_ref(yj_media_peer_t *p);
void yj_m_worker_unref(yj_media_peer_t *p);

/* metrics (registered once per process) */
void yj_m_worker_metrics_init(void);
void yj_m_worker_drop(yj_drop_t why);
extern yj_counter_t *yj_m_nacks_in, *yj_m_nacks_out, *yj_m_retransmits, *yj_m_plis_in,
    *yj_m_plis_out, *yj_m_forwarded, *yj_m_received, *yj_m_peers, *yj_m_rooms,
    *yj_m_ice_restarts_client, *yj_m_ice_restarts_server, *yj_m_handed_off, *yj_m_handoff_dropped;

/* ---- tick.c (worker thread) ---- */
void yj_m_tick_init(yj_worker_t *w);
void yj_m_tick_start(yj_worker_t *w); /* on the worker thread */
void yj_m_tick_clear(yj_worker_t *w); /* after the worker thread ended */
void yj_m_tick_add_rtcp(yj_media_peer_t *p);
void yj_m_tick_add_nack(yj_media_peer_t *p);
void yj_m_tick_remove(yj_media_peer_t *p);

#endif
