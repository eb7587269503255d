/* SPDX-License-Identifier: Apache-2.0 */
/*
 * worker.c — the bottom of the media engine: the clock, the worker threads
 * (one GMainContext each), the two ways to run code on a peer's worker
 * (call-and-wait, post), the peer's reference count, and the media
 * metrics. It never touches packets and calls no layer above it except
 * through p->up (the last unref frees the peer through p->up->free).
 */
#include "worker.h"
#include "core/log.h"
#include "core/yj.h"

#include <string.h>

yj_counter_t *yj_m_nacks_in, *yj_m_nacks_out, *yj_m_retransmits, *yj_m_plis_in, *yj_m_plis_out,
    *yj_m_forwarded, *yj_m_received, *yj_m_peers, *yj_m_rooms, *yj_m_ice_restarts_client,
    *yj_m_ice_restarts_server;
static yj_counter_t *drop_counters[YJ_DROP_COUNT];

void yj_m_worker_metrics_init(void)
{
    static gsize once;
    if (!g_once_init_enter(&once))
        return;
    for (int i = 1; i < YJ_DROP_COUNT; i++) {
        char name[96];
        g_snprintf(name, sizeof name, "yj_media_dropped_total{reason=\"%s\"}",
                   yj_drop_name((yj_drop_t)i));
        drop_counters[i] =
            yj_metrics_counter(name, "Media packets dropped (malformed, undecryptable, unknown)");
    }
    yj_m_nacks_in =
        yj_metrics_counter("yj_media_nacks_received_total", "Lost packets NACKed by subscribers");
    yj_m_nacks_out =
        yj_metrics_counter("yj_media_nacks_sent_total", "Lost packets NACKed to publishers");
    yj_m_retransmits = yj_metrics_counter("yj_media_retransmits_total",
                                          "Packets resent to subscribers from the NACK cache");
    yj_m_plis_in = yj_metrics_counter("yj_media_keyframe_requests_received_total",
                                      "PLI/FIR received from subscribers");
    yj_m_plis_out = yj_metrics_counter("yj_media_keyframe_requests_sent_total",
                                       "PLI/FIR sent to publishers (after throttling)");
    yj_m_forwarded =
        yj_metrics_counter("yj_media_packets_forwarded_total", "RTP packets sent to subscribers");
    yj_m_received = yj_metrics_counter("yj_media_packets_received_total",
                                       "RTP packets received from publishers");
    yj_m_peers = yj_metrics_gauge("yj_media_peers", "Open peer connections");
    yj_m_rooms = yj_metrics_gauge("yj_media_rooms", "Rooms with peers or references");
    yj_m_ice_restarts_client = yj_metrics_counter("yj_media_ice_restarts_total{by=\"client\"}",
                                                  "ICE restarts (new ICE credentials)");
    yj_m_ice_restarts_server = yj_metrics_counter("yj_media_ice_restarts_total{by=\"server\"}",
                                                  "ICE restarts (new ICE credentials)");
    g_once_init_leave(&once, 1);
}

void yj_m_worker_drop(yj_drop_t why)
{
    if (why > 0 && why < YJ_DROP_COUNT && drop_counters[why])
        yj_counter_add(drop_counters[why], 1);
}

int64_t yj_m_now_us(void)
{
    return g_get_monotonic_time();
}

yj_media_peer_t *yj_m_worker_ref(yj_media_peer_t *p)
{
    g_atomic_int_inc(&p->ref);
    return p;
}

void yj_m_worker_unref(yj_media_peer_t *p)
{
    if (p && g_atomic_int_dec_and_test(&p->ref))
        p->up->free(p);
}

void yj_m_worker_init(yj_worker_t *w, int index)
{
    w->index = index;
    w->ctx = g_main_context_new();
    w->loop = g_main_loop_new(w->ctx, FALSE);
    yj_m_tick_init(w);
}

static gpointer worker_main(gpointer data)
{
    yj_worker_t *w = data;
    g_main_context_push_thread_default(w->ctx);
    yj_m_tick_start(w);
    /* Not g_main_loop_run: a quit that comes before the loop starts
     * running would be lost; the flag is seen at the next wakeup. */
    while (!g_atomic_int_get(&w->stop))
        g_main_context_iteration(w->ctx, TRUE);
    /* Drain what is left (peer frees posted during stop). */
    while (g_main_context_iteration(w->ctx, FALSE))
        ;
    g_main_context_pop_thread_default(w->ctx);
    return NULL;
}

void yj_m_worker_start(yj_worker_t *w)
{
    char name[16];
    g_snprintf(name, sizeof name, "yj-media-%d", w->index);
    w->thread = g_thread_new(name, worker_main, w);
}

void yj_m_worker_stop(yj_worker_t *w)
{
    if (w->thread) {
        g_atomic_int_set(&w->stop, 1);
        g_main_context_wakeup(w->ctx);
        g_thread_join(w->thread);
        w->thread = NULL;
    }
    yj_m_tick_clear(w);
    if (w->loop)
        g_main_loop_unref(w->loop);
    if (w->ctx)
        g_main_context_unref(w->ctx);
}

yj_worker_t *yj_m_worker_pick(yj_media_t *m)
{
    /* The least loaded worker; ties go round-robin. */
    yj_worker_t *best = NULL;
    int start = m->next_worker++ % m->n_workers;
    for (int k = 0; k < m->n_workers; k++) {
        yj_worker_t *w = &m->workers[(start + k) % m->n_workers];
        if (!best || g_atomic_int_get(&w->peers) < g_atomic_int_get(&best->peers))
            best = w;
    }
    g_atomic_int_inc(&best->peers);
    return best;
}

typedef struct {
    GMutex mu;
    GCond cond;
    bool done;
    int rc;
    yj_media_peer_t *p;
    int (*fn)(yj_media_peer_t *, void *);
    void *arg;
} call_t;

static gboolean call_cb(gpointer data)
{
    call_t *c = data;
    int rc = c->fn(c->p, c->arg);
    g_mutex_lock(&c->mu);
    c->rc = rc;
    c->done = true;
    g_cond_signal(&c->cond);
    g_mutex_unlock(&c->mu);
    return G_SOURCE_REMOVE;
}

int yj_m_worker_call(yj_media_peer_t *p, int (*fn)(yj_media_peer_t *, void *), void *arg)
{
    yj_worker_t *w = p->w;
    if (g_main_context_is_owner(w->ctx))
        return fn(p, arg);
    if (!p->m->running || !w->thread)
        return YJ_ESTATE;
    call_t c = {.p = p, .fn = fn, .arg = arg};
    g_mutex_init(&c.mu);
    g_cond_init(&c.cond);
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, call_cb, &c, NULL);
    g_source_attach(src, w->ctx);
    g_source_unref(src);
    g_mutex_lock(&c.mu);
    while (!c.done)
        g_cond_wait(&c.cond, &c.mu);
    g_mutex_unlock(&c.mu);
    g_mutex_clear(&c.mu);
    g_cond_clear(&c.cond);
    return c.rc;
}

typedef struct {
    yj_media_peer_t *p;
    void (*fn)(yj_media_peer_t *, void *);
    void *arg;
    GDestroyNotify free_arg;
} post_t;

static gboolean post_cb(gpointer data)
{
    post_t *t = data;
    if (!g_atomic_int_get(&t->p->closed))
        t->fn(t->p, t->arg);
    return G_SOURCE_REMOVE;
}

static void post_free(gpointer data)
{
    post_t *t = data;
    if (t->free_arg)
        t->free_arg(t->arg);
    yj_m_worker_unref(t->p);
    g_free(t);
}

void yj_m_worker_post(yj_media_peer_t *p, void (*fn)(yj_media_peer_t *, void *), void *arg,
                      GDestroyNotify free_arg)
{
    post_t *t = g_new0(post_t, 1);
    t->p = yj_m_worker_ref(p);
    t->fn = fn;
    t->arg = arg;
    t->free_arg = free_arg;
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, post_cb, t, post_free);
    g_source_attach(src, p->w->ctx);
    g_source_unref(src);
}
