/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer.c — the recording writer thread and the per-track rings of
 * recordings/writer.h.
 *
 * Each track has a ring of fixed slots (YJ_REC_SLOT bytes of packet each)
 * with a single producer (the tap, on the publisher's media worker) and a
 * single consumer (this thread): head and tail are C11 atomics, the
 * producer copies into slot[head] and publishes head with release order,
 * the consumer reads up to head with acquire order. No lock, no syscall
 * on the push path; a full ring drops.
 *
 * The thread wakes every 10 ms, drains every ring into its pcap writer
 * (buffered), and once a second writes out and fdatasync()s every file
 * that received data, then updates the track's figures and calls the
 * owner's on_tick. An ended track is drained, closed, taken off the list
 * and handed to on_closed; the owner frees it with yj_rec_track_release.
 *
 * Never: the thread takes no lock a media worker could wait on (the list
 * lock is shared only with open/free callers).
 */
#include "recordings/writer.h"

#include "recordings/pcap.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"

#include <glib.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#define YJ_REC_SLOT 1600
#define DRAIN_US 10000
#define SYNC_US 1000000

typedef struct {
    uint32_t len;
    bool is_sr;
    int64_t at;
    uint8_t data[YJ_REC_SLOT];
} slot_t;

struct yj_rec_track {
    yj_rec_writer_t *w;
    char *path;
    void *ud;
    yj_pcap_writer_t *pcap;
    slot_t *slots;
    uint32_t n;
    _Atomic uint32_t head; /* next slot the producer fills */
    _Atomic uint32_t tail; /* next slot the consumer reads */
    _Atomic bool ended;
    _Atomic uint64_t dropped;
    bool dirty; /* written since the last sync [writer thread] */
    GMutex mu;  /* guards st */
    yj_rec_track_stats_t st;
};

struct yj_rec_writer {
    GThread *thread;
    GMutex mu; /* guards tracks and stop */
    GCond cond;
    GPtrArray *tracks; /* open tracks (not owned: freed by release) */
    bool stop;
    int slots;
    yj_rec_writer_callbacks_t cb;
    void *ud;
    _Atomic uint64_t bytes;
};

static yj_counter_t *m_packets, *m_dropped, *m_bytes, *m_open;

static void metrics_init(void)
{
    static gsize once;
    if (g_once_init_enter(&once)) {
        m_packets = yj_metrics_counter("yj_recordings_packets_total",
                                       "RTP packets and SRs written to recording files");
        m_dropped = yj_metrics_counter(
            "yj_recordings_dropped_packets_total",
            "Packets a recording could not take (queue full, too big, write failed)");
        m_bytes =
            yj_metrics_counter("yj_recordings_bytes_total", "Bytes appended to recording files");
        m_open = yj_metrics_gauge("yj_recordings_open_tracks", "Track files being recorded");
        g_once_init_leave(&once, 1);
    }
}

static void drop(yj_rec_track_t *t)
{
    atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
    yj_counter_add(m_dropped, 1);
}

bool yj_rec_track_push(yj_rec_track_t *t, const uint8_t *pkt, size_t len, int64_t arrival_us,
                       bool is_sr)
{
    if (!t)
        return false;
    if (atomic_load_explicit(&t->ended, memory_order_relaxed) || len == 0 || len > YJ_REC_SLOT) {
        drop(t);
        return false;
    }
    uint32_t h = atomic_load_explicit(&t->head, memory_order_relaxed);
    uint32_t tl = atomic_load_explicit(&t->tail, memory_order_acquire);
    if (h - tl >= t->n) {
        drop(t);
        return false;
    }
    slot_t *s = &t->slots[h % t->n];
    memcpy(s->data, pkt, len);
    s->len = (uint32_t)len;
    s->is_sr = is_sr;
    s->at = arrival_us;
    atomic_store_explicit(&t->head, h + 1, memory_order_release);
    return true;
}

static uint32_t get32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* NTP (RFC 3550 64-bit) to µs since the Unix epoch. */
static int64_t ntp_to_us(uint32_t sec, uint32_t frac)
{
    return ((int64_t)sec - 2208988800LL) * 1000000 + (int64_t)(((uint64_t)frac * 1000000) >> 32);
}

/* Moves what the ring holds into the pcap writer. [writer thread] */
static void drain(yj_rec_track_t *t)
{
    uint32_t tl = atomic_load_explicit(&t->tail, memory_order_relaxed);
    uint32_t h = atomic_load_explicit(&t->head, memory_order_acquire);
    if (tl == h)
        return;
    uint64_t rtp = 0, srs = 0, written = 0;
    int64_t first = 0, last = 0;
    g_mutex_lock(&t->mu);
    for (; tl != h; tl++) {
        slot_t *s = &t->slots[tl % t->n];
        if (t->pcap && yj_pcap_writer_append(t->pcap, s->at, s->is_sr ? YJ_PCAP_RTCP : YJ_PCAP_RTP,
                                             s->data, s->len) == 0) {
            written += YJ_PCAP_REC_HDR + YJ_PCAP_IPUDP_HDR + s->len;
            if (s->is_sr) {
                srs++;
                if (s->len >= 20) {
                    int64_t ntp = ntp_to_us(get32be(s->data + 8), get32be(s->data + 12));
                    uint32_t ts = get32be(s->data + 16);
                    if (t->st.sr_count == 0) {
                        t->st.sr_first_ntp_us = ntp;
                        t->st.sr_first_rtp = ts;
                    }
                    t->st.sr_last_ntp_us = ntp;
                    t->st.sr_last_rtp = ts;
                    t->st.sr_count++;
                }
            } else {
                rtp++;
                if (!first)
                    first = s->at;
                last = s->at;
            }
        } else {
            drop(t);
            if (t->pcap && !t->st.failed) {
                t->st.failed = true;
                yj_warn("recordings", "write to %s failed; dropping its packets", t->path);
            }
        }
    }
    atomic_store_explicit(&t->tail, tl, memory_order_release);
    t->st.packets += rtp;
    t->st.srs += srs;
    if (first && !t->st.first_us)
        t->st.first_us = first;
    if (last)
        t->st.last_us = last;
    g_mutex_unlock(&t->mu);
    if (written) {
        t->dirty = true;
        atomic_fetch_add_explicit(&t->w->bytes, written, memory_order_relaxed);
        yj_counter_add(m_bytes, (int64_t)written);
        yj_counter_add(m_packets, (int64_t)(rtp + srs));
    }
}

static void sync_track(yj_rec_track_t *t)
{
    if (!t->dirty || !t->pcap)
        return;
    t->dirty = false;
    int rc = yj_pcap_writer_sync(t->pcap);
    g_mutex_lock(&t->mu);
    t->st.bytes = yj_pcap_writer_bytes(t->pcap);
    if (rc && !t->st.failed) {
        t->st.failed = true;
        yj_warn("recordings", "sync of %s failed: %s", t->path, yj_strerror(rc));
    }
    g_mutex_unlock(&t->mu);
}

static void close_track(yj_rec_track_t *t)
{
    drain(t);
    uint64_t bytes = yj_pcap_writer_bytes(t->pcap);
    int rc = yj_pcap_writer_close(t->pcap);
    g_mutex_lock(&t->mu);
    if (t->pcap)
        t->st.bytes = bytes;
    t->pcap = NULL;
    if (rc)
        t->st.failed = true;
    t->st.closed = true;
    g_mutex_unlock(&t->mu);
    yj_counter_add(m_open, -1);
}

static gpointer run(gpointer data)
{
    yj_rec_writer_t *w = data;
    int64_t next_sync = g_get_monotonic_time() + SYNC_US;
    GPtrArray *closed = g_ptr_array_new();
    g_mutex_lock(&w->mu);
    for (;;) {
        bool stopping = w->stop;
        for (guint i = 0; i < w->tracks->len;) {
            yj_rec_track_t *t = g_ptr_array_index(w->tracks, i);
            drain(t);
            if (stopping || atomic_load(&t->ended)) {
                close_track(t);
                g_ptr_array_remove_index(w->tracks, i);
                g_ptr_array_add(closed, t);
            } else {
                i++;
            }
        }
        bool tick = g_get_monotonic_time() >= next_sync;
        if (tick) {
            for (guint i = 0; i < w->tracks->len; i++)
                sync_track(g_ptr_array_index(w->tracks, i));
            next_sync = g_get_monotonic_time() + SYNC_US;
        }
        g_mutex_unlock(&w->mu);
        for (guint i = 0; i < closed->len; i++)
            if (w->cb.on_closed)
                w->cb.on_closed(w, g_ptr_array_index(closed, i), w->ud);
        g_ptr_array_set_size(closed, 0);
        if (tick && w->cb.on_tick)
            w->cb.on_tick(w, w->ud);
        g_mutex_lock(&w->mu);
        if (stopping && w->tracks->len == 0)
            break;
        if (!w->stop)
            g_cond_wait_until(&w->cond, &w->mu, g_get_monotonic_time() + DRAIN_US);
    }
    g_mutex_unlock(&w->mu);
    g_ptr_array_free(closed, TRUE);
    return NULL;
}

yj_rec_writer_t *yj_rec_writer_new(int slots, const yj_rec_writer_callbacks_t *cb, void *ud)
{
    metrics_init();
    yj_rec_writer_t *w = g_new0(yj_rec_writer_t, 1);
    g_mutex_init(&w->mu);
    g_cond_init(&w->cond);
    w->tracks = g_ptr_array_new();
    w->slots = slots > 0 ? slots : 2048;
    if (cb)
        w->cb = *cb;
    w->ud = ud;
    w->thread = g_thread_try_new("yj-rec-writer", run, w, NULL);
    if (!w->thread) {
        g_ptr_array_free(w->tracks, TRUE);
        g_mutex_clear(&w->mu);
        g_cond_clear(&w->cond);
        g_free(w);
        return NULL;
    }
    return w;
}

void yj_rec_writer_free(yj_rec_writer_t *w)
{
    if (!w)
        return;
    g_mutex_lock(&w->mu);
    w->stop = true;
    g_cond_signal(&w->cond);
    g_mutex_unlock(&w->mu);
    g_thread_join(w->thread);
    g_ptr_array_free(w->tracks, TRUE);
    g_mutex_clear(&w->mu);
    g_cond_clear(&w->cond);
    g_free(w);
}

yj_rec_track_t *yj_rec_track_open(yj_rec_writer_t *w, const char *path, void *ud)
{
    if (!w || !path)
        return NULL;
    yj_pcap_writer_t *p = yj_pcap_writer_open(path);
    if (!p) {
        yj_warn("recordings", "cannot create %s: %s", path, g_strerror(errno));
        return NULL;
    }
    yj_rec_track_t *t = g_new0(yj_rec_track_t, 1);
    t->w = w;
    t->path = g_strdup(path);
    t->ud = ud;
    t->pcap = p;
    t->n = (uint32_t)w->slots;
    t->slots = g_new(slot_t, t->n);
    t->st.bytes = YJ_PCAP_FILE_HDR;
    t->dirty = true; /* the header reaches the disk at the first sync */
    g_mutex_init(&t->mu);
    g_mutex_lock(&w->mu);
    bool stopping = w->stop;
    if (!stopping)
        g_ptr_array_add(w->tracks, t);
    g_mutex_unlock(&w->mu);
    if (stopping) {
        yj_pcap_writer_close(p);
        g_free(t->slots);
        g_free(t->path);
        g_mutex_clear(&t->mu);
        g_free(t);
        return NULL;
    }
    yj_counter_add(m_open, 1);
    return t;
}

void yj_rec_track_end(yj_rec_track_t *t)
{
    if (t)
        atomic_store(&t->ended, true);
}

void yj_rec_track_stats(yj_rec_track_t *t, yj_rec_track_stats_t *out)
{
    g_mutex_lock(&t->mu);
    *out = t->st;
    g_mutex_unlock(&t->mu);
    out->dropped = atomic_load_explicit(&t->dropped, memory_order_relaxed);
    out->ended = atomic_load(&t->ended);
}

const char *yj_rec_track_path(const yj_rec_track_t *t)
{
    return t ? t->path : NULL;
}

void *yj_rec_track_ud(const yj_rec_track_t *t)
{
    return t ? t->ud : NULL;
}

int yj_rec_track_release(yj_rec_track_t *t)
{
    if (!t)
        return 0;
    g_mutex_lock(&t->mu);
    bool closed = t->st.closed;
    g_mutex_unlock(&t->mu);
    if (!closed)
        return YJ_EBUSY;
    g_free(t->slots);
    g_free(t->path);
    g_mutex_clear(&t->mu);
    g_free(t);
    return 0;
}

uint64_t yj_rec_writer_bytes(yj_rec_writer_t *w)
{
    return w ? atomic_load(&w->bytes) : 0;
}
