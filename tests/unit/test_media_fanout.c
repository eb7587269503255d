/* SPDX-License-Identifier: Apache-2.0 */
/* test_media_fanout.c — one track, every core: the hand-off of packets to
 * other media workers (worker.c's queue) and the router's use of it.
 *   - order: two producer threads hand packets to one worker; each
 *     producer's packets run there in the order handed, every packet is
 *     run or counted as dropped, and every reference is released once;
 *   - full: while the worker is held inside a packet, a full queue drops
 *     exactly the excess, counts it and releases it at once; the rest
 *     runs afterwards;
 *   - teardown: packets still queued (each holding a track reference)
 *     when the engine is freed are released and not run (ASan: the track
 *     is freed once, nothing leaks);
 *   - router: a publisher on worker 0 and a subscriber's slot on worker 1:
 *     each packet is handed to worker 1 once and reaches the slot there
 *     (its layer starts on the keyframe), while another thread unbinds
 *     the slot and the publisher leaves with packets in flight (ASan: no
 *     use after free).
 * Waits are on conditions, bounded in time (generous: the CI machine is
 * slow); nothing asserts a duration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/sfu_room.h"
#include "core/yj.h"

#include <string.h>

#define WAIT_US (60 * G_USEC_PER_SEC)

/* Waits until *v >= want (atomic), at most WAIT_US; returns the value. */
static gint64 wait_at_least(gint64 *v, gint64 want)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;
    gint64 x;
    while ((x = __atomic_load_n(v, __ATOMIC_ACQUIRE)) < want && g_get_monotonic_time() < end)
        g_usleep(1000);
    return x;
}

static yj_media_t *engine(int workers, bool start)
{
    yj_media_config_t cfg = {.workers = workers, .interfaces = "127.0.0.1"};
    char *err = NULL;
    yj_media_t *m = yj_media_new(&cfg, &err);
    assert_non_null(m);
    assert_int_equal(m->n_workers, workers);
    if (start)
        assert_int_equal(yj_media_start(m), 0);
    return m;
}

/* ---- order ---- */

#define PRODUCERS 2
#define PER_PRODUCER 5000

typedef struct {
    yj_worker_t *target;
    int id;
    gint64 accepted, refused;
} producer_t;

static gint64 ran_total, released_total, out_of_order, wrong_thread;
static int last_seen[PRODUCERS];
static GThread *expected_thread;

static void order_fn(yj_worker_t *w, void *obj, uint64_t arg, const uint8_t *data, size_t len)
{
    (void)w;
    (void)obj;
    int id = len == 8 ? (int)arg : -1; /* (no cmocka assert off the test's thread) */
    int idx = 0;
    if (len == 8)
        memcpy(&idx, data, sizeof idx); /* 8 bytes were handed */
    if (g_thread_self() != expected_thread)
        __atomic_add_fetch(&wrong_thread, 1, __ATOMIC_RELAXED);
    if (id < 0 || id >= PRODUCERS || idx <= last_seen[id])
        __atomic_add_fetch(&out_of_order, 1, __ATOMIC_RELAXED);
    else
        last_seen[id] = idx;
    __atomic_add_fetch(&ran_total, 1, __ATOMIC_RELEASE);
}

static void count_release(void *obj)
{
    (void)obj;
    __atomic_add_fetch(&released_total, 1, __ATOMIC_RELEASE);
}

static void grab_thread(yj_worker_t *w, void *obj, uint64_t arg, const uint8_t *data, size_t len)
{
    (void)obj;
    (void)arg;
    (void)data;
    (void)len;
    (void)w;
    expected_thread = g_thread_self();
    __atomic_add_fetch(&ran_total, 1, __ATOMIC_RELEASE);
}

static gpointer produce(gpointer data)
{
    producer_t *p = data;
    for (int i = 1; i <= PER_PRODUCER; i++) {
        uint8_t buf[8] = {0};
        memcpy(buf, &i, sizeof i);
        if (yj_m_worker_hand_off(p->target, order_fn, count_release, p, (uint64_t)p->id, buf,
                                 sizeof buf) == 0)
            p->accepted++;
        else
            p->refused++;
        if (i % 64 == 0)
            g_thread_yield();
    }
    return NULL;
}

static void handoff_order(void **state)
{
    (void)state;
    yj_media_t *m = engine(2, true);
    yj_worker_t *w = &m->workers[1];
    ran_total = released_total = out_of_order = wrong_thread = 0;
    memset(last_seen, 0, sizeof last_seen);
    /* learn the worker's thread */
    assert_int_equal(yj_m_worker_hand_off(w, grab_thread, count_release, NULL, 0, NULL, 0), 0);
    assert_int_equal(wait_at_least(&ran_total, 1), 1);
    ran_total = 0;
    assert_int_equal(wait_at_least(&released_total, 1), 1);
    released_total = 0;
    gint64 dropped0 = __atomic_load_n(&w->ho.dropped, __ATOMIC_RELAXED);

    producer_t prod[PRODUCERS];
    GThread *th[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        prod[i] = (producer_t){.target = w, .id = i};
        th[i] = g_thread_new("producer", produce, &prod[i]);
    }
    gint64 accepted = 0, refused = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        g_thread_join(th[i]);
        accepted += prod[i].accepted;
        refused += prod[i].refused;
    }
    assert_int_equal(accepted + refused, PRODUCERS * PER_PRODUCER);
    assert_true(accepted > 0);
    assert_int_equal(wait_at_least(&ran_total, accepted), accepted);
    assert_int_equal(wait_at_least(&released_total, PRODUCERS * PER_PRODUCER),
                     PRODUCERS * PER_PRODUCER); /* run or dropped: released once */
    assert_int_equal(__atomic_load_n(&w->ho.dropped, __ATOMIC_RELAXED) - dropped0, refused);
    assert_int_equal(out_of_order, 0);
    assert_int_equal(wrong_thread, 0);
    print_message("handed %" G_GINT64_FORMAT ", dropped %" G_GINT64_FORMAT "\n", accepted, refused);
    yj_media_free(m);
}

/* ---- full ---- */

static GMutex gate_mu;
static GCond gate_cond;
static bool gate_entered, gate_open;

static void gate_fn(yj_worker_t *w, void *obj, uint64_t arg, const uint8_t *data, size_t len)
{
    (void)w;
    (void)obj;
    (void)arg;
    (void)data;
    (void)len;
    g_mutex_lock(&gate_mu);
    gate_entered = true;
    g_cond_broadcast(&gate_cond);
    gint64 end = g_get_monotonic_time() + WAIT_US;
    while (!gate_open && g_get_monotonic_time() < end)
        g_cond_wait_until(&gate_cond, &gate_mu, end);
    g_mutex_unlock(&gate_mu);
    __atomic_add_fetch(&ran_total, 1, __ATOMIC_RELEASE);
}

static void gate_close_and_wait(yj_worker_t *w)
{
    gate_entered = gate_open = false;
    assert_int_equal(yj_m_worker_hand_off(w, gate_fn, count_release, NULL, 0, NULL, 0), 0);
    g_mutex_lock(&gate_mu);
    gint64 end = g_get_monotonic_time() + WAIT_US;
    while (!gate_entered && g_get_monotonic_time() < end)
        g_cond_wait_until(&gate_cond, &gate_mu, end);
    assert_true(gate_entered);
    g_mutex_unlock(&gate_mu);
}

static void gate_release(void)
{
    g_mutex_lock(&gate_mu);
    gate_open = true;
    g_cond_broadcast(&gate_cond);
    g_mutex_unlock(&gate_mu);
}

static void plain_fn(yj_worker_t *w, void *obj, uint64_t arg, const uint8_t *data, size_t len)
{
    (void)w;
    (void)obj;
    (void)arg;
    (void)data;
    (void)len;
    __atomic_add_fetch(&ran_total, 1, __ATOMIC_RELEASE);
}

static void handoff_full(void **state)
{
    (void)state;
    yj_media_t *m = engine(2, true);
    yj_worker_t *w = &m->workers[1];
    ran_total = released_total = 0;
    gate_close_and_wait(w); /* the worker is inside the gate; its cell stays taken */
    gint64 dropped0 = __atomic_load_n(&w->ho.dropped, __ATOMIC_RELAXED);
    int extra = 50, busy = 0;
    uint8_t pkt[1200];
    memset(pkt, 0x5a, sizeof pkt);
    for (int i = 0; i < YJ_HANDOFF_CAP + extra; i++)
        if (yj_m_worker_hand_off(w, plain_fn, count_release, NULL, 0, pkt, sizeof pkt) == YJ_EBUSY)
            busy++;
    /* one cell holds the gate's packet: CAP - 1 fit, the rest is dropped */
    assert_int_equal(busy, extra + 1);
    assert_int_equal(__atomic_load_n(&w->ho.dropped, __ATOMIC_RELAXED) - dropped0, extra + 1);
    assert_int_equal(__atomic_load_n(&released_total, __ATOMIC_ACQUIRE), extra + 1);
    assert_int_equal(__atomic_load_n(&ran_total, __ATOMIC_ACQUIRE), 0);
    /* too big for a cell: refused and released, never truncated */
    uint8_t big[YJ_HANDOFF_DATA + 1] = {0};
    gate_release();
    assert_int_equal(wait_at_least(&ran_total, YJ_HANDOFF_CAP), YJ_HANDOFF_CAP);
    assert_int_equal(yj_m_worker_hand_off(w, plain_fn, count_release, NULL, 0, big, sizeof big),
                     YJ_EBUSY);
    assert_int_equal(wait_at_least(&released_total, YJ_HANDOFF_CAP + extra + 2),
                     YJ_HANDOFF_CAP + extra + 2);
    assert_int_equal(ran_total, YJ_HANDOFF_CAP);
    yj_media_free(m);
}

/* ---- teardown ---- */

static void track_release(void *obj)
{
    yj_m_track_unref(obj);
    __atomic_add_fetch(&released_total, 1, __ATOMIC_RELEASE);
}

static void never_fn(yj_worker_t *w, void *obj, uint64_t arg, const uint8_t *data, size_t len)
{
    (void)w;
    (void)arg;
    (void)data;
    (void)len;
    yj_track_t *t = obj;
    t->level += 1; /* touches the track: a use after free would show */
    __atomic_add_fetch(&ran_total, 1, __ATOMIC_RELEASE);
}

static void handoff_teardown(void **state)
{
    (void)state;
    /* an engine whose workers never ran: everything stays queued */
    yj_media_t *m = engine(2, false);
    yj_media_peer_t pub = {0};
    pub.m = m;
    yj_track_t *t = yj_m_track_new(&pub, "pub-v0", YJ_MEDIA_VIDEO);
    assert_int_equal(t->n_fan, 2);
    ran_total = released_total = 0;
    uint8_t pkt[100] = {0x80};
    for (int i = 0; i < 100; i++)
        assert_int_equal(yj_m_worker_hand_off(&m->workers[i % 2], never_fn, track_release,
                                              yj_m_track_ref(t), 0, pkt, sizeof pkt),
                         0);
    yj_m_track_unref(t); /* the queues hold the last references */
    assert_int_equal(g_atomic_int_get(&t->ref), 100);
    yj_media_free(m);
    assert_int_equal(released_total, 100);
    assert_int_equal(ran_total, 0);

    /* and with a running worker held busy: the test drops its reference
     * while packets wait; they run on a live track, then the engine ends */
    m = engine(2, true);
    pub.m = m;
    t = yj_m_track_new(&pub, "pub-v0", YJ_MEDIA_VIDEO);
    ran_total = released_total = 0;
    gate_close_and_wait(&m->workers[1]);
    for (int i = 0; i < 100; i++)
        assert_int_equal(yj_m_worker_hand_off(&m->workers[1], never_fn, track_release,
                                              yj_m_track_ref(t), 0, pkt, sizeof pkt),
                         0);
    yj_m_track_unref(t);
    gate_release();
    yj_media_free(m);
    assert_int_equal(released_total, 101);
    assert_int_equal(ran_total, 101);
}

/* ---- router ---- */

#define SSRC 4242u

typedef struct {
    yj_media_t *m;
    yj_media_room_t *room;
    yj_media_peer_t pub, sub;
    yj_slot_t *slot;
    yj_track_t *t;
    gint stop;
    gint64 fed;
} rfix_t;

static void feed(rfix_t *f, uint16_t seq, bool key)
{
    uint8_t buf[YJ_RTP_MAX + YJ_SRTP_OVERHEAD];
    int h =
        yj_rtp_write_header(buf, sizeof buf, false, 96, seq, (uint32_t)seq * 3000, SSRC, NULL, 0);
    assert_true(h > 0);
    size_t len = (size_t)h;
    /* VP8 descriptor (start of partition) and a payload header whose
     * P bit says keyframe (0) or not (1), then a keyframe's start code
     * and a 64x48 size */
    buf[len++] = 0x10;
    static const uint8_t kf[] = {0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 64, 0, 48, 0};
    memcpy(buf + len, kf, sizeof kf);
    if (!key)
        buf[len] = 0x01;
    len += sizeof kf;
    memset(buf + len, 0xab, 200);
    len += 200;
    yj_rtp_t pkt;
    assert_int_equal(yj_rtp_parse(buf, len, &pkt), 0);
    yj_m_publisher_on_rtp(&f->pub, buf, len, &pkt);
}

static void peer_init(yj_media_peer_t *p, rfix_t *f, const char *id, int worker)
{
    strcpy(p->id, id);
    p->m = f->m;
    p->room = f->room;
    p->w = &f->m->workers[worker];
    p->tracks = g_ptr_array_new();
    p->slots = g_ptr_array_new();
    g_mutex_init(&p->out_lock);
}

static gpointer unbinder(gpointer data)
{
    rfix_t *f = data;
    /* after some packets went through, unbind while more are in flight */
    wait_at_least(&f->fed, 2000);
    g_mutex_lock(&f->room->lock);
    yj_m_router_unbind_locked(f->slot);
    g_mutex_unlock(&f->room->lock);
    return NULL;
}

static void router_hands_off(void **state)
{
    (void)state;
    rfix_t f;
    memset(&f, 0, sizeof f);
    f.m = engine(2, true);
    f.room = yj_media_room_get(f.m, "fan");
    peer_init(&f.pub, &f, "pub", 0);
    f.pub.flags = YJ_MEDIA_PUBLISH;
    peer_init(&f.sub, &f, "sub", 1);
    yj_track_t *t = yj_m_track_new(&f.pub, "pub-v0", YJ_MEDIA_VIDEO);
    t->codec = YJ_CODEC_VP8;
    t->clock = 90000;
    t->pt = 96;
    t->pt_codec[96] = YJ_CODEC_VP8;
    t->n_layers = 1;
    t->layers[0].ssrc = SSRC;
    yj_nack_cache_init(&t->layers[0].cache, 1000000);
    yj_m_sfu_room_publish(f.room, &f.pub, t);
    f.t = t;

    /* the subscriber's slot: active, with an SRTP sender but no ICE, so
     * forwarding runs to the send, which fails (nothing on the wire) */
    yj_slot_t *s = g_new0(yj_slot_t, 1);
    s->sub = &f.sub;
    strcpy(s->mid, "0");
    s->kind = YJ_MEDIA_VIDEO;
    s->active = true;
    s->ssrc = 777;
    for (int i = 0; i < 5; i++)
        s->pt_for[i] = s->rtx_pt_for[i] = -1;
    s->pt_for[YJ_CODEC_VP8] = 100;
    uint8_t key[30] = {1};
    assert_int_equal(yj_srtp_global_init(), 0);
    f.sub.srtp_out = yj_srtp_new(YJ_SRTP_AES128_CM_SHA1_80, key, 30, false);
    assert_non_null(f.sub.srtp_out);
    g_ptr_array_add(f.sub.slots, s);
    f.slot = s;
    g_mutex_lock(&f.room->lock);
    yj_m_router_bind_locked(s, t);
    g_mutex_unlock(&f.room->lock);
    assert_int_equal(g_atomic_int_get(&t->fan[1].n), 1);
    assert_int_equal(g_atomic_int_get(&t->fan[0].n), 0);
    assert_int_equal(g_atomic_int_get(&f.m->workers[1].sinks), 1);

    yj_handoff_t *q = &f.m->workers[1].ho;
    gint64 handed0 = __atomic_load_n(&q->handed, __ATOMIC_RELAXED);
    gint64 ran0 = __atomic_load_n(&q->ran, __ATOMIC_RELAXED);
    feed(&f, 1, false); /* no keyframe yet: the slot waits */
    feed(&f, 2, true);
    assert_int_equal(__atomic_load_n(&q->handed, __ATOMIC_RELAXED) - handed0, 2);
    assert_int_equal(wait_at_least(&q->ran, ran0 + 2), ran0 + 2);
    g_mutex_lock(&f.sub.out_lock);
    int layer = s->layer;
    bool started = s->rw.started;
    uint32_t src = s->rw.src_ssrc;
    g_mutex_unlock(&f.sub.out_lock);
    assert_int_equal(layer, 0); /* started on the keyframe, on worker 1 */
    assert_true(started);
    assert_int_equal(src, SSRC);

    /* packets in flight while the slot is unbound and the publisher goes */
    GThread *th = g_thread_new("unbinder", unbinder, &f);
    for (int i = 0; i < 4000; i++) {
        feed(&f, (uint16_t)(3 + i), i % 100 == 0);
        __atomic_add_fetch(&f.fed, 1, __ATOMIC_RELEASE);
    }
    g_thread_join(th);
    assert_int_equal(g_atomic_int_get(&t->fan[1].n), 0);
    assert_int_equal(g_atomic_int_get(&f.m->workers[1].sinks), 0);
    gint64 handed = __atomic_load_n(&q->handed, __ATOMIC_RELAXED);
    feed(&f, 5000, false); /* no subscriber on worker 1 any more: not handed */
    assert_int_equal(__atomic_load_n(&q->handed, __ATOMIC_RELAXED), handed);
    /* the publisher leaves and drops its track while packets may wait */
    yj_m_sfu_room_remove_peer(f.room, &f.pub);
    yj_m_track_unref(t);
    yj_media_room_unref(f.room);
    yj_media_free(f.m); /* releases what is still queued: the track goes last */
    yj_srtp_free(f.sub.srtp_out);
    g_ptr_array_free(f.sub.slots, TRUE);
    g_free(s);
    for (int i = 0; i < 2; i++) {
        yj_media_peer_t *p = i ? &f.sub : &f.pub;
        g_ptr_array_free(p->tracks, TRUE);
        if (i == 0)
            g_ptr_array_free(p->slots, TRUE);
        g_mutex_clear(&p->out_lock);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handoff_order),
        cmocka_unit_test(handoff_full),
        cmocka_unit_test(handoff_teardown),
        cmocka_unit_test(router_hands_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
