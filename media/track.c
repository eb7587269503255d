/* SPDX-License-Identifier: Apache-2.0 */
/*
 * track.c — a published track's life (refcounted; the room, the
 * publisher, the slots it feeds and taps hold references) and keyframe
 * requests to its publisher, throttled. Above the transport (it sends the
 * PLI on the publisher's transport), below everything that handles
 * packets. Any thread; the caller of a _locked form holds track->lock.
 */
#include "track.h"
#include "core/yj.h"

#include <string.h>

#define PLI_MIN_INTERVAL_US 300000

yj_track_t *yj_m_track_new(yj_media_peer_t *pub, const char *id, yj_media_kind_t kind)
{
    yj_track_t *t = g_new0(yj_track_t, 1);
    t->ref = 1;
    g_mutex_init(&t->lock);
    t->pub = pub;
    g_strlcpy(t->id, id, sizeof t->id);
    t->kind = kind;
    /* one fan-out list per worker (one when the publisher has no engine:
     * tests' in-process peers) */
    t->n_fan = pub && pub->m && pub->m->n_workers > 0 ? pub->m->n_workers : 1;
    t->fan = g_new0(yj_fan_t, t->n_fan);
    for (int i = 0; i < t->n_fan; i++) {
        g_mutex_init(&t->fan[i].lock);
        t->fan[i].sinks = g_ptr_array_new();
    }
    memset(t->rtx_apt, -1, sizeof t->rtx_apt);
    return t;
}

yj_track_t *yj_m_track_ref(yj_track_t *t)
{
    g_atomic_int_inc(&t->ref);
    return t;
}

void yj_m_track_unref(yj_track_t *t)
{
    if (!t || !g_atomic_int_dec_and_test(&t->ref))
        return;
    for (int i = 0; i < YJ_MAX_LAYERS; i++)
        yj_nack_cache_clear(&t->layers[i].cache);
    for (int i = 0; i < t->n_fan; i++) {
        g_ptr_array_free(t->fan[i].sinks, TRUE);
        g_mutex_clear(&t->fan[i].lock);
    }
    g_free(t->fan);
    g_mutex_clear(&t->lock);
    g_free(t);
}

void yj_m_track_request_keyframe_locked(yj_track_t *t, bool force)
{
    int64_t now = yj_m_now_us();
    if (t->kind != YJ_MEDIA_VIDEO || !t->pub)
        return;
    if (now - t->last_pli_us < (force ? PLI_MIN_INTERVAL_US / 3 : PLI_MIN_INTERVAL_US))
        return;
    /* atomic: other workers read it without the lock (yj_m_track_keyframe_due) */
    __atomic_store_n(&t->last_pli_us, now, __ATOMIC_RELAXED);
    yj_media_peer_t *pub = t->pub;
    uint8_t buf[12 * YJ_MAX_LAYERS + YJ_SRTP_OVERHEAD];
    int off = 0;
    for (int l = 0; l < t->n_layers; l++)
        if (t->layers[l].ssrc) {
            int n = yj_rtcp_write_pli(buf + off, 12, pub->rtcp_ssrc, t->layers[l].ssrc);
            if (n > 0)
                off += n;
        }
    if (off > 0 && yj_m_transport_send_rtcp(pub, buf, off) == 0) {
        YJ_STAT_ADD(pub, st_plis_out, 1);
        yj_counter_add(yj_m_plis_out, 1);
    }
}

bool yj_m_track_keyframe_due(yj_track_t *t, int64_t now_us)
{
    return now_us - __atomic_load_n(&t->last_pli_us, __ATOMIC_RELAXED) >= PLI_MIN_INTERVAL_US;
}

void yj_m_track_request_keyframe(yj_track_t *t, bool force)
{
    g_mutex_lock(&t->lock);
    yj_m_track_request_keyframe_locked(t, force);
    g_mutex_unlock(&t->lock);
}
