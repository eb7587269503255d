/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tick.c — one 20 ms timer per worker drives every peer's periodic work:
 * the RTCP pass once a second (reports, REMB, feedback upkeep) and the
 * 20 ms loss-recovery pass of peers that publish video.
 *
 * Before, every peer had a 1 s GSource of its own. A worker with a
 * thousand subscribers then woke a thousand extra times a second, and each
 * wake-up walks every source of the GMainContext and polls every socket
 * of its peers: work that grows with the square of the peer count. Now
 * peers sit in one of 50 slots (chosen when they are added, so they are
 * spread over the second); each tick serves one slot and every
 * video publisher. Everything here runs on the worker's thread.
 *
 * Once a second the tick also measures the worker thread's busy share
 * (its CPU time over wall time, yj_media_load_percent) and its demand:
 * the share of the second it was runnable, on a CPU or waiting in the
 * run queue for one (Linux schedstat). Admission (yj_media_admit) uses
 * the demand: on a machine whose cores are shared, a worker that is
 * behind may get only a fraction of a core, so its CPU time stays low
 * while it never gets to sleep. What a pass does for a peer is the upper
 * layers' business: the tick calls p->up->rtcp_tick / nack_tick.
 */
#include "worker.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Time on a CPU plus time waiting for one, ns; -1 when unknown. */
static int64_t thread_runnable_ns(yj_worker_t *w)
{
    if (w->schedstat_fd < 0)
        return -1;
    char buf[128];
    ssize_t n = pread(w->schedstat_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    unsigned long long run = 0, wait = 0;
    if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
        return -1;
    return (int64_t)(run + wait);
}

static void measure_load(yj_worker_t *w, int64_t now)
{
    if (now - w->load_wall_us < 1000000)
        return;
    int64_t cpu = thread_cpu_ns(), runnable = thread_runnable_ns(w);
    if (w->load_wall_us > 0) {
        int64_t wall = now - w->load_wall_us;
        int64_t pm = (cpu - w->load_cpu_ns) / wall;
        g_atomic_int_set(&w->load_pm, (gint)CLAMP(pm, 0, 1000));
        int64_t dpm = runnable >= 0 && w->demand_ns >= 0 ? (runnable - w->demand_ns) / wall : pm;
        /* Admission reads the highest of the last three seconds: one
         * quieter second must not let in a burst of newcomers. */
        w->demand_hist[2] = w->demand_hist[1];
        w->demand_hist[1] = w->demand_hist[0];
        w->demand_hist[0] = (int)CLAMP(dpm, 0, 1000);
        g_atomic_int_set(&w->demand_pm,
                         MAX(w->demand_hist[0], MAX(w->demand_hist[1], w->demand_hist[2])));
    }
    w->load_cpu_ns = cpu;
    w->demand_ns = runnable;
    w->load_wall_us = now;
}

static gboolean on_tick(gpointer data)
{
    yj_worker_t *w = data;
    int64_t now = yj_m_now_us();
    /* The callbacks send packets; none of them adds or removes peers. */
    for (guint i = 0; i < w->nack->len; i++) {
        yj_media_peer_t *p = w->nack->pdata[i];
        p->up->nack_tick(p, now);
    }
    /* One slot a tick; a tick that comes late (the worker was starved)
     * serves every slot that fell due meanwhile, so each peer still gets
     * its RTCP pass about once a second. */
    if (w->slot_due_us == 0)
        w->slot_due_us = now;
    for (int k = 0; k < YJ_TICK_SLOTS && w->slot_due_us <= now; k++) {
        GPtrArray *slot = w->slots[w->next_slot];
        for (guint i = 0; i < slot->len; i++) {
            yj_media_peer_t *p = slot->pdata[i];
            p->up->rtcp_tick(p, now);
        }
        w->next_slot = (w->next_slot + 1) % YJ_TICK_SLOTS;
        w->slot_due_us += YJ_TICK_MS * 1000;
    }
    if (w->slot_due_us <= now) /* more than a second behind: start afresh */
        w->slot_due_us = now + YJ_TICK_MS * 1000;
    measure_load(w, now);
    return G_SOURCE_CONTINUE;
}

/* The tick runs from the worker's start, so that its load is measured
 * even before any peer joins. */
void yj_m_tick_start(yj_worker_t *w)
{
    if (w->tick)
        return;
    w->schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    w->tick = g_timeout_source_new(YJ_TICK_MS);
    /* Before anything else on the worker: RTCP, NACKs and the consent
     * verdicts of connected peers must not wait behind a burst of
     * packets or handshakes. It is short (one slot of peers a tick). */
    g_source_set_priority(w->tick, G_PRIORITY_HIGH);
    g_source_set_callback(w->tick, on_tick, w, NULL);
    g_source_attach(w->tick, w->ctx);
}

void yj_m_tick_init(yj_worker_t *w)
{
    for (int i = 0; i < YJ_TICK_SLOTS; i++)
        w->slots[i] = g_ptr_array_new();
    w->nack = g_ptr_array_new();
    w->schedstat_fd = -1;
}

void yj_m_tick_clear(yj_worker_t *w)
{
    if (w->schedstat_fd >= 0)
        close(w->schedstat_fd);
    w->schedstat_fd = -1;
    if (w->tick) {
        g_source_destroy(w->tick);
        g_source_unref(w->tick);
        w->tick = NULL;
    }
    for (int i = 0; i < YJ_TICK_SLOTS; i++)
        if (w->slots[i])
            g_ptr_array_free(w->slots[i], TRUE);
    if (w->nack)
        g_ptr_array_free(w->nack, TRUE);
}

void yj_m_tick_add_rtcp(yj_media_peer_t *p)
{
    yj_worker_t *w = p->w;
    if (p->tick_slot >= 0)
        return;
    /* The slot served last before the current one comes round again:
     * first report about a second from now. */
    p->tick_slot = (w->next_slot + YJ_TICK_SLOTS - 1) % YJ_TICK_SLOTS;
    g_ptr_array_add(w->slots[p->tick_slot], p);
}

void yj_m_tick_add_nack(yj_media_peer_t *p)
{
    if (p->tick_nack)
        return;
    p->tick_nack = true;
    g_ptr_array_add(p->w->nack, p);
}

void yj_m_tick_remove(yj_media_peer_t *p)
{
    yj_worker_t *w = p->w;
    if (p->tick_slot >= 0)
        g_ptr_array_remove_fast(w->slots[p->tick_slot], p);
    p->tick_slot = -1;
    if (p->tick_nack)
        g_ptr_array_remove_fast(w->nack, p);
    p->tick_nack = false;
}
