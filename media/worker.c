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
    *yj_m_ice_restarts_server, *yj_m_handed_off, *yj_m_handoff_dropped;
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
    yj_m_handed_off = yj_metrics_counter("yj_media_handoffs_total",
                                         "Packets a publisher's worker handed to another media "
                                         "worker to forward to its subscribers");
    yj_m_handoff_dropped =
        yj_metrics_counter("yj_media_handoff_dropped_total",
                           "Packets not handed to another media worker because its queue was full");
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

/* ------------------------------------------------------------------ */
/* hand-off: packets from other workers (see types.h)                  */
/* ------------------------------------------------------------------ */

#define HO_MASK (YJ_HANDOFF_CAP - 1)
G_STATIC_ASSERT((YJ_HANDOFF_CAP & HO_MASK) == 0);

typedef struct {
    GSource base;
    yj_worker_t *w;
} ho_source_t;

static bool ho_ready(yj_handoff_t *q)
{
    yj_handoff_cell_t *c = &q->cells[q->tail & HO_MASK];
    return __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) == q->tail + 1;
}

/* Before the worker may sleep: from now on the next producer wakes it.
 * The fence pairs with the producer's (a producer either sees wake == 0
 * and wakes the context, or its packet is seen here). */
static gboolean ho_prepare(GSource *s, gint *timeout)
{
    yj_worker_t *w = ((ho_source_t *)s)->w;
    *timeout = -1;
    __atomic_store_n(&w->ho.wake, 0, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return ho_ready(&w->ho);
}

static gboolean ho_check(GSource *s)
{
    return ho_ready(&((ho_source_t *)s)->w->ho);
}

/* Runs at most one queue's worth, so other sources of the worker (its
 * own publishers' sockets, the tick) get their turn. */
static gboolean ho_dispatch(GSource *s, GSourceFunc cb, gpointer ud)
{
    (void)cb;
    (void)ud;
    yj_worker_t *w = ((ho_source_t *)s)->w;
    yj_handoff_t *q = &w->ho;
    for (int n = 0; n < YJ_HANDOFF_CAP; n++) {
        yj_handoff_cell_t *c = &q->cells[q->tail & HO_MASK];
        if (__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) != q->tail + 1)
            break;
        c->fn(w, c->obj, c->arg, c->data, c->len);
        __atomic_add_fetch(&q->ran, 1, __ATOMIC_RELEASE);
        if (c->release)
            c->release(c->obj);
        c->obj = NULL;
        __atomic_store_n(&c->seq, q->tail + YJ_HANDOFF_CAP, __ATOMIC_RELEASE);
        q->tail++;
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs ho_funcs = {.prepare = ho_prepare, .check = ho_check, .dispatch = ho_dispatch};

int yj_m_worker_hand_off(yj_worker_t *w, yj_handoff_fn fn, void (*release)(void *), void *obj,
                         uint64_t arg, const uint8_t *data, size_t len)
{
    yj_handoff_t *q = &w->ho;
    yj_handoff_cell_t *c = NULL;
    if (q->cells && len <= YJ_HANDOFF_DATA) {
        gsize pos = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
        for (;;) {
            yj_handoff_cell_t *cell = &q->cells[pos & HO_MASK];
            gsize seq = __atomic_load_n(&cell->seq, __ATOMIC_ACQUIRE);
            gssize dif = (gssize)(seq - pos);
            if (dif == 0) {
                if (__atomic_compare_exchange_n(&q->head, &pos, pos + 1, true, __ATOMIC_RELAXED,
                                                __ATOMIC_RELAXED)) {
                    c = cell;
                    break;
                }
            } else if (dif < 0) {
                break; /* full: the worker is that far behind */
            } else {
                pos = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
            }
        }
        if (c) {
            c->fn = fn;
            c->release = release;
            c->obj = obj;
            c->arg = arg;
            c->len = len;
            if (len)
                memcpy(c->data, data, len);
            __atomic_store_n(&c->seq, pos + 1, __ATOMIC_RELEASE);
        }
    }
    if (!c) {
        __atomic_add_fetch(&q->dropped, 1, __ATOMIC_RELAXED);
        if (yj_m_handoff_dropped)
            yj_counter_add(yj_m_handoff_dropped, 1);
        if (release)
            release(obj);
        return YJ_EBUSY;
    }
    __atomic_add_fetch(&q->handed, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!__atomic_exchange_n(&q->wake, 1, __ATOMIC_SEQ_CST))
        g_main_context_wakeup(w->ctx); /* it may be asleep in poll */
    return 0;
}

/* After the thread ended: what was still queued is not run, only
 * released. */
static void ho_clear(yj_worker_t *w)
{
    yj_handoff_t *q = &w->ho;
    if (!q->cells)
        return;
    for (;;) {
        yj_handoff_cell_t *c = &q->cells[q->tail & HO_MASK];
        if (__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) != q->tail + 1)
            break;
        if (c->release)
            c->release(c->obj);
        __atomic_store_n(&c->seq, q->tail + YJ_HANDOFF_CAP, __ATOMIC_RELEASE);
        q->tail++;
    }
    if (q->src) {
        g_source_destroy(q->src);
        g_source_unref(q->src);
        q->src = NULL;
    }
    g_free(q->cells);
    q->cells = NULL;
}

void yj_m_worker_init(yj_worker_t *w, int index)
{
    w->index = index;
    w->ctx = g_main_context_new();
    w->loop = g_main_loop_new(w->ctx, FALSE);
    yj_m_tick_init(w);
    w->ho.cells = g_new(yj_handoff_cell_t, YJ_HANDOFF_CAP);
    for (gsize i = 0; i < YJ_HANDOFF_CAP; i++) {
        w->ho.cells[i].seq = i;
        w->ho.cells[i].obj = NULL;
    }
    w->ho.head = w->ho.tail = 0;
    GSource *s = g_source_new(&ho_funcs, sizeof(ho_source_t));
    ((ho_source_t *)s)->w = w;
    g_source_set_priority(s, G_PRIORITY_DEFAULT);
    g_source_attach(s, w->ctx);
    w->ho.src = s;
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
}

void yj_m_worker_free(yj_worker_t *w)
{
    yj_m_worker_stop(w);
    ho_clear(w);
    yj_m_tick_clear(w);
    if (w->loop)
        g_main_loop_unref(w->loop);
    if (w->ctx)
        g_main_context_unref(w->ctx);
}

/* A worker's load for placement: its peers, plus the slots it forwards
 * to (a subscriber of many tracks costs more than one of a single track,
 * and the forwarding of a popular track is spread by its subscribers). */
static int placement_load(yj_worker_t *w)
{
    return g_atomic_int_get(&w->peers) + g_atomic_int_get(&w->sinks);
}

yj_worker_t *yj_m_worker_pick(yj_media_t *m)
{
    /* The least loaded worker; ties go round-robin. */
    yj_worker_t *best = NULL;
    int start = g_atomic_int_add(&m->next_worker, 1) % m->n_workers;
    if (start < 0)
        start += m->n_workers;
    for (int k = 0; k < m->n_workers; k++) {
        yj_worker_t *w = &m->workers[(start + k) % m->n_workers];
        if (!best || placement_load(w) < placement_load(best))
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
