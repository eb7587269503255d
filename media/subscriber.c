/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subscriber.c — the sending side of a peer: RTCP from the client about
 * the streams we forward to it (receiver reports → loss and RTT, NACK →
 * resend from the publisher's cache, as RTX when negotiated; PLI/FIR →
 * keyframe request to the publisher, throttled; REMB → simulcast layer
 * choice) and our periodic sender reports. Runs on the subscriber's
 * worker; touches a publisher's track only under track->lock.
 */
#include "subscriber.h"
#include "core/log.h"
#include "core/yj.h"

#include <string.h>

static yj_slot_t *slot_by_ssrc(yj_media_peer_t *p, uint32_t ssrc)
{
    for (guint i = 0; i < p->slots->len; i++) {
        yj_slot_t *s = p->slots->pdata[i];
        if (s->ssrc == ssrc)
            return s;
    }
    return NULL;
}

/* The slot's bound track with a new reference (NULL if none). */
static yj_track_t *slot_track(yj_media_peer_t *p, yj_slot_t *s, int *layer)
{
    g_mutex_lock(&p->out_lock);
    yj_track_t *t = s->track ? yj_m_track_ref(s->track) : NULL;
    *layer = s->layer;
    g_mutex_unlock(&p->out_lock);
    return t;
}

static void resend(yj_media_peer_t *p, yj_slot_t *s, uint16_t out_seq, int64_t now)
{
    int layer;
    yj_track_t *t = slot_track(p, s, &layer);
    if (!t)
        return;
    uint8_t pkt_buf[YJ_RTP_MAX];
    size_t len = 0;
    bool found = false;
    uint16_t src;
    g_mutex_lock(&p->out_lock);
    bool mapped = s->track == t && s->layer == layer && layer >= 0 &&
                  yj_rewriter_unmap_seq(&s->rw, out_seq, &src);
    g_mutex_unlock(&p->out_lock);
    if (mapped && layer < YJ_MAX_LAYERS) {
        g_mutex_lock(&t->lock);
        const uint8_t *c = yj_nack_cache_get(&t->layers[layer].cache, src, now, &len);
        if (c) {
            memcpy(pkt_buf, c, len);
            found = true;
        }
        g_mutex_unlock(&t->lock);
    }
    if (found) {
        yj_rtp_t pkt;
        if (yj_rtp_parse(pkt_buf, len, &pkt) == 0) {
            uint8_t out[YJ_RTP_MAX + YJ_SRTP_OVERHEAD];
            g_mutex_lock(&p->out_lock);
            if (s->track == t && s->active) {
                int codec = t->pt_codec[pkt.pt];
                bool rtx =
                    codec > YJ_CODEC_NONE && codec < YJ_CODEC_RTX && s->rtx_pt_for[codec] >= 0;
                uint32_t ts = pkt.ts + s->rw.ts_delta;
                int n = yj_m_router_build(s, t, &pkt, out_seq, ts, rtx, out, YJ_RTP_MAX, now);
                if (n > 0 && yj_m_transport_send_rtp_locked(p, out, n) == 0) {
                    YJ_STAT_ADD(p, st_retransmits, 1);
                    YJ_STAT_ADD(p, st_packets_out, 1);
                    yj_counter_add(yj_m_retransmits, 1);
                }
            }
            g_mutex_unlock(&p->out_lock);
        }
    }
    yj_m_track_unref(t);
}

static void keyframe_for(yj_media_peer_t *p, yj_slot_t *s)
{
    int layer;
    yj_track_t *t = slot_track(p, s, &layer);
    if (t) {
        yj_m_track_request_keyframe(t, false);
        yj_m_track_unref(t);
    }
}

static void update_layers(yj_media_peer_t *p)
{
    for (guint i = 0; i < p->slots->len; i++) {
        yj_slot_t *s = p->slots->pdata[i];
        if (s->kind != YJ_MEDIA_VIDEO)
            continue;
        int layer;
        yj_track_t *t = slot_track(p, s, &layer);
        if (!t)
            continue;
        g_mutex_lock(&t->lock);
        bool multi = t->n_layers > 1;
        g_mutex_lock(&p->out_lock);
        int want =
            multi ? yj_m_router_pick_layer(s, t, p->remb_bps, p->loss_out, yj_m_now_us()) : 0;
        bool change = multi && s->track == t && s->target_layer != want;
        if (change)
            s->target_layer = want;
        g_mutex_unlock(&p->out_lock);
        if (change) {
            yj_debug("media", "peer %s: slot %s wants layer %d of %s", p->id, s->mid, want, t->id);
            yj_m_track_request_keyframe_locked(t, true);
        }
        g_mutex_unlock(&t->lock);
        yj_m_track_unref(t);
    }
}

void yj_m_subscriber_on_rtcp_item(yj_media_peer_t *p, const yj_rtcp_item_t *it, int64_t now_us)
{
    yj_slot_t *s;
    switch (it->kind) {
    case YJ_RTCPI_REPORT:
        if (!(s = slot_by_ssrc(p, it->media_ssrc)))
            return;
        g_mutex_lock(&p->out_lock);
        p->loss_out = it->fraction_lost / 256.0;
        if (it->lsr) {
            uint32_t now_mid = yj_ntp_mid(yj_ntp_from_us(g_get_real_time()));
            uint32_t rtt = now_mid - it->lsr - it->dlsr;
            if (rtt < 65536 * 10) /* under 10 s: plausible */
                p->rtt_ms = rtt * 1000.0 / 65536.0;
        }
        g_mutex_unlock(&p->out_lock);
        return;
    case YJ_RTCPI_NACK: {
        if (!(s = slot_by_ssrc(p, it->media_ssrc)))
            return;
        int n = 0;
        for (int b = -1; b < 16; b++) {
            if (b >= 0 && !(it->blp & (1u << b)))
                continue;
            uint16_t seq = (uint16_t)(it->pid + (b + 1));
            resend(p, s, seq, now_us);
            n++;
        }
        YJ_STAT_ADD(p, st_nacks_in, n);
        yj_counter_add(yj_m_nacks_in, n);
        return;
    }
    case YJ_RTCPI_PLI:
    case YJ_RTCPI_FIR:
        if (!(s = slot_by_ssrc(p, it->media_ssrc)))
            return;
        YJ_STAT_ADD(p, st_plis_in, 1);
        yj_counter_add(yj_m_plis_in, 1);
        keyframe_for(p, s);
        return;
    case YJ_RTCPI_REMB:
        if (!slot_by_ssrc(p, it->media_ssrc))
            return;
        g_mutex_lock(&p->out_lock);
        p->remb_bps = it->bitrate > UINT32_MAX ? UINT32_MAX : (uint32_t)it->bitrate;
        g_mutex_unlock(&p->out_lock);
        return;
    default:
        return;
    }
}

void yj_m_subscriber_rtcp_tick(yj_media_peer_t *p, int64_t now_us)
{
    if (p->slots->len == 0)
        return;
    update_layers(p);
    uint8_t buf[1200 + YJ_SRTP_OVERHEAD];
    int off = 0;
    uint64_t ntp = yj_ntp_from_us(g_get_real_time());
    g_mutex_lock(&p->out_lock);
    for (guint i = 0; i < p->slots->len; i++) {
        yj_slot_t *s = p->slots->pdata[i];
        if (!s->active || !s->rw.started || !s->track)
            continue;
        uint32_t clock = s->track->clock > 0 ? (uint32_t)s->track->clock : 90000;
        int64_t el = now_us - s->rw.last_us;
        uint32_t ts = s->rw.last_ts + (uint32_t)((el > 0 ? el : 0) * (int64_t)clock / 1000000);
        if (off + 28 + 40 > 1200) {
            yj_m_transport_send_rtcp_locked(p, buf, off);
            off = 0;
        }
        int n = yj_rtcp_write_sr(buf + off, 1200 - (size_t)off, s->ssrc, ntp, ts,
                                 (uint32_t)s->packets, (uint32_t)s->octets, NULL, 0);
        if (n > 0)
            off += n;
    }
    if (off > 0) {
        int n = yj_rtcp_write_sdes(buf + off, 1200 - (size_t)off, p->rtcp_ssrc, "yuanjiao");
        if (n > 0)
            off += n;
        yj_m_transport_send_rtcp_locked(p, buf, off);
    }
    g_mutex_unlock(&p->out_lock);
}
