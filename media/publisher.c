/* SPDX-License-Identifier: Apache-2.0 */
/*
 * publisher.c — the receiving side of a peer: maps incoming SSRCs to its
 * published tracks and simulcast layers (by a=ssrc, then the mid/rid/rrid
 * header extensions, then the payload type), unwraps RTX, keeps receive
 * statistics (RFC 3550 loss and jitter), caches video packets for NACKs,
 * NACKs its own losses upstream, measures audio levels for the active
 * speaker (the election itself is sfu_room.c's, reached through
 * p->up->speaker), hands packets to taps, and sends the publisher RR +
 * REMB. Runs on the publisher's worker; a track's shared state is under
 * track->lock.
 */
#include "publisher.h"
#include "core/log.h"
#include "core/yj.h"

#include <string.h>

#define NACK_MAX_TRIES 3
#define NACK_MAX_GAP 200

/* Finds the track/layer of an SSRC, learning unknown SSRCs from the
 * mid/rid/rrid extensions or, failing that, from the payload type. */
static yj_track_t *lookup(yj_media_peer_t *p, const yj_rtp_t *pkt, int *li, bool *rtx)
{
    GPtrArray *tracks = p->tracks; /* modified on this worker only */
    for (guint i = 0; i < tracks->len; i++) {
        yj_track_t *t = tracks->pdata[i];
        for (int l = 0; l < t->n_layers; l++) {
            if (t->layers[l].ssrc == pkt->ssrc) {
                *li = l;
                *rtx = false;
                return t;
            }
            if (t->layers[l].rtx_ssrc == pkt->ssrc) {
                *li = l;
                *rtx = true;
                return t;
            }
        }
    }
    /* Unknown SSRC: learn it from this track's own extension ids (mid,
     * then rid or repaired rid), else from the payload type. */
    for (guint i = 0; i < tracks->len; i++) {
        yj_track_t *t = tracks->pdata[i];
        const uint8_t *d;
        char mid[32] = "", rid[16] = "";
        int n;
        if (t->ext_mid && (n = yj_rtp_ext_find(pkt, t->ext_mid, &d)) > 0 && n < (int)sizeof mid) {
            memcpy(mid, d, (size_t)n);
            mid[n] = 0;
        }
        if (mid[0] && strcmp(mid, t->mid) != 0)
            continue;
        int8_t c = t->pt_codec[pkt->pt];
        if (c == YJ_CODEC_NONE)
            continue;
        bool is_rtx = c == YJ_CODEC_RTX;
        if (t->ext_rid && (n = yj_rtp_ext_find(pkt, t->ext_rid, &d)) > 0 && n < (int)sizeof rid) {
            memcpy(rid, d, (size_t)n);
            rid[n] = 0;
        } else if (t->ext_rrid && (n = yj_rtp_ext_find(pkt, t->ext_rrid, &d)) > 0 &&
                   n < (int)sizeof rid) {
            memcpy(rid, d, (size_t)n);
            rid[n] = 0;
            is_rtx = true;
        }
        for (int l = 0; l < t->n_layers; l++) {
            yj_layer_t *L = &t->layers[l];
            if (rid[0] ? strcmp(rid, L->rid) != 0 : t->n_layers > 1)
                continue;
            uint32_t *slot = is_rtx ? &L->rtx_ssrc : &L->ssrc;
            if (*slot && !mid[0])
                continue; /* a payload-type guess only fills empty places */
            g_mutex_lock(&t->lock);
            *slot = pkt->ssrc;
            g_mutex_unlock(&t->lock);
            yj_debug("media", "peer %s: ssrc %u is %s layer %d%s", p->id, pkt->ssrc, t->id, l,
                     is_rtx ? " (rtx)" : "");
            *li = l;
            *rtx = is_rtx;
            return t;
        }
    }
    return NULL;
}

static void note_missing(yj_layer_t *L, uint16_t seq, int64_t now)
{
    for (int i = 0; i < L->n_missing; i++)
        if (L->missing[i] == seq)
            return;
    if (L->n_missing == YJ_MAX_MISSING) { /* forget the oldest */
        memmove(L->missing, L->missing + 1, sizeof L->missing[0] * (YJ_MAX_MISSING - 1));
        memmove(L->missing_tries, L->missing_tries + 1, YJ_MAX_MISSING - 1);
        memmove(L->missing_next_us, L->missing_next_us + 1,
                sizeof L->missing_next_us[0] * (YJ_MAX_MISSING - 1));
        L->n_missing--;
    }
    L->missing[L->n_missing] = seq;
    L->missing_tries[L->n_missing] = 0;
    L->missing_next_us[L->n_missing] = now;
    L->n_missing++;
}

static bool got_missing(yj_layer_t *L, uint16_t seq)
{
    for (int i = 0; i < L->n_missing; i++)
        if (L->missing[i] == seq) {
            L->n_missing--;
            L->missing[i] = L->missing[L->n_missing];
            L->missing_tries[i] = L->missing_tries[L->n_missing];
            L->missing_next_us[i] = L->missing_next_us[L->n_missing];
            return true;
        }
    return false;
}

/* Receive statistics and loss detection; t->lock held. Returns false for
 * a packet older than the highest seen that was not awaited as missing
 * (a duplicate, a late retransmission, or a reordered packet beyond the
 * NACK window): taps take each sequence number at most once. */
static bool account(yj_media_peer_t *p, yj_track_t *t, yj_layer_t *L, const yj_rtp_t *pkt,
                    size_t len, int64_t now)
{
    int64_t before = L->highest;
    bool first = !L->seq_init, fresh = true;
    int64_t ext = yj_seq_unwrap(pkt->seq, &L->highest, &L->seq_init);
    if (first) {
        L->base_seq = ext;
        L->active = true;
    } else if (ext > before + 1) {
        int64_t gap = ext - before - 1;
        YJ_STAT_ADD(p, st_lost_in, gap);
        if (t->nack && t->kind == YJ_MEDIA_VIDEO && gap < NACK_MAX_GAP)
            for (int64_t s = before + 1; s < ext; s++)
                note_missing(L, (uint16_t)s, now);
    } else if (ext <= before) {
        fresh = L->n_missing && got_missing(L, pkt->seq);
    }
    L->received++;
    /* Interarrival jitter in RTP clock units. */
    if (t->clock > 0) {
        int64_t arrival = now * t->clock / 1000000;
        int64_t transit = arrival - (int64_t)pkt->ts;
        if (L->received > 1) {
            int64_t d = transit - L->last_transit;
            if (d < 0)
                d = -d;
            if (d < (int64_t)t->clock * 10)
                L->jitter += ((double)d - L->jitter) / 16.0;
        }
        L->last_transit = transit;
    }
    if (now - L->window_start_us >= 1000000) {
        int64_t span = now - L->window_start_us;
        L->bitrate = L->window_start_us ? (uint32_t)(L->bytes_window * 8 * 1000000 / span) : 0;
        L->bytes_window = 0;
        L->window_start_us = now;
    }
    L->bytes_window += len;
    return fresh;
}

void yj_m_publisher_on_rtp(yj_media_peer_t *p, uint8_t *buf, size_t len, const yj_rtp_t *in)
{
    if (!(p->flags & YJ_MEDIA_PUBLISH)) {
        yj_m_transport_count_drop(p, YJ_DROP_UNKNOWN_SSRC);
        return;
    }
    int li = 0;
    bool rtx = false;
    yj_track_t *t = lookup(p, in, &li, &rtx);
    if (!t) {
        yj_m_transport_count_drop(p, YJ_DROP_UNKNOWN_SSRC);
        return;
    }
    int64_t now = yj_m_now_us();
    yj_rtp_t pkt = *in;
    uint8_t orig[YJ_RTP_MAX];
    if (rtx) {
        /* RFC 4588: OSN then the original payload. Padding-only RTX
         * packets are bandwidth probes: nothing to forward. */
        if (in->payload_len < 2)
            return;
        int apt = t->rtx_apt[in->pt];
        uint32_t ssrc = t->layers[li].ssrc;
        if (apt < 0 || !ssrc || in->header_len + in->payload_len - 2 > sizeof orig) {
            yj_m_transport_count_drop(p, YJ_DROP_UNKNOWN_SSRC);
            return;
        }
        uint16_t osn = (uint16_t)(in->payload[0] << 8 | in->payload[1]);
        memcpy(orig, buf, in->header_len);
        memcpy(orig + in->header_len, in->payload + 2, in->payload_len - 2);
        orig[0] &= (uint8_t)~0x20; /* padding removed */
        orig[1] = (uint8_t)((orig[1] & 0x80) | apt);
        orig[2] = (uint8_t)(osn >> 8);
        orig[3] = (uint8_t)osn;
        orig[8] = (uint8_t)(ssrc >> 24);
        orig[9] = (uint8_t)(ssrc >> 16);
        orig[10] = (uint8_t)(ssrc >> 8);
        orig[11] = (uint8_t)ssrc;
        buf = orig;
        len = in->header_len + in->payload_len - 2;
        if (yj_rtp_parse(buf, len, &pkt) != 0)
            return;
    }
    YJ_STAT_ADD(p, st_packets_in, 1);
    YJ_STAT_ADD(p, st_bytes_in, (gint64)len);
    yj_counter_add(yj_m_received, 1);
    yj_layer_t *L = &t->layers[li];
    g_mutex_lock(&t->lock);
    bool fresh = account(p, t, L, &pkt, len, now);
    if (t->kind == YJ_MEDIA_VIDEO) {
        yj_nack_cache_put(&L->cache, pkt.seq, buf, len, now);
        int codec = t->pt_codec[pkt.pt];
        bool key = codec == YJ_CODEC_VP8    ? yj_vp8_is_keyframe(pkt.payload, pkt.payload_len)
                   : codec == YJ_CODEC_H264 ? yj_h264_is_keyframe(pkt.payload, pkt.payload_len)
                                            : false;
        if (key) {
            L->last_keyframe_us = now;
            int w, h;
            if (codec == YJ_CODEC_VP8 && yj_vp8_keyframe_size(pkt.payload, pkt.payload_len, &w, &h))
                L->height = h;
            else if (codec == YJ_CODEC_H264 &&
                     yj_h264_sps_size(pkt.payload, pkt.payload_len, &w, &h))
                L->height = h;
        }
    } else if (t->ext_level) {
        int lv = yj_rtp_audio_level(&pkt, t->ext_level);
        if (lv >= 0) {
            /* Fast attack, slow release (~1.3 s at 50 packets/s), so a
             * speaker keeps the floor through the pauses of speech. */
            double loud = 127 - lv;
            if (loud > t->level)
                t->level = t->level * 0.7 + loud * 0.3;
            else
                t->level = t->level * 0.985 + loud * 0.015;
            t->level_avg += (loud - t->level_avg) * 0.01;
            t->level_us = now;
        }
    }
    bool speaker_eval = t->kind == YJ_MEDIA_AUDIO && t->ext_level;
    if (!t->muted) {
        if (t->taps && fresh) /* the whole cost of taps when none is attached */
            yj_m_tap_deliver_rtp(t, li, buf, len);
        yj_m_router_forward(t, li, buf, len, &pkt, now);
    }
    g_mutex_unlock(&t->lock);
    if (speaker_eval)
        p->up->speaker(p->room, now);
}

void yj_m_publisher_on_sr(yj_media_peer_t *p, const yj_rtcp_item_t *sr, int64_t now_us)
{
    for (guint i = 0; i < p->tracks->len; i++) {
        yj_track_t *t = p->tracks->pdata[i];
        for (int l = 0; l < t->n_layers; l++)
            if (t->layers[l].ssrc == sr->ssrc) {
                g_mutex_lock(&t->lock);
                t->layers[l].last_sr_mid = (uint32_t)(sr->ntp_sec << 16 | sr->ntp_frac >> 16);
                t->layers[l].last_sr_us = now_us;
                if (t->taps)
                    yj_m_tap_deliver_sr(t, l, sr);
                g_mutex_unlock(&t->lock);
                return;
            }
    }
}

/* One RR block for layer L (t->lock held). */
static void report_block(yj_layer_t *L, int64_t now, yj_rtcp_block_t *b)
{
    int64_t expected = L->highest - L->base_seq + 1;
    int64_t lost = expected - (int64_t)L->received;
    int64_t exp_int = expected - (int64_t)L->expected_prior;
    int64_t rec_int = (int64_t)L->received - (int64_t)L->received_prior;
    L->expected_prior = (uint64_t)expected;
    L->received_prior = L->received;
    int64_t lost_int = exp_int - rec_int;
    b->ssrc = L->ssrc;
    b->fraction_lost = (exp_int <= 0 || lost_int <= 0) ? 0 : (uint8_t)((lost_int << 8) / exp_int);
    b->cumulative_lost = (int32_t)(lost < 0 ? 0 : lost > 0x7fffff ? 0x7fffff : lost);
    b->highest_seq = (uint32_t)(L->highest - 65536);
    b->jitter = (uint32_t)L->jitter;
    b->lsr = L->last_sr_mid;
    b->dlsr = L->last_sr_us ? (uint32_t)((now - L->last_sr_us) * 65536 / 1000000) : 0;
}

void yj_m_publisher_rtcp_tick(yj_media_peer_t *p, int64_t now_us)
{
    if (p->tracks->len == 0)
        return;
    yj_rtcp_block_t blocks[31];
    uint32_t video[16];
    int nb = 0, nv = 0;
    for (guint i = 0; i < p->tracks->len; i++) {
        yj_track_t *t = p->tracks->pdata[i];
        g_mutex_lock(&t->lock);
        for (int l = 0; l < t->n_layers; l++) {
            yj_layer_t *L = &t->layers[l];
            if (!L->active || !L->ssrc)
                continue;
            if (nb < 31)
                report_block(L, now_us, &blocks[nb++]);
            if (t->kind == YJ_MEDIA_VIDEO && nv < 16)
                video[nv++] = L->ssrc;
        }
        g_mutex_unlock(&t->lock);
    }
    if (nb == 0)
        return;
    uint8_t buf[1200 + YJ_SRTP_OVERHEAD];
    int off = yj_rtcp_write_rr(buf, 1200, p->rtcp_ssrc, blocks, nb);
    if (off < 0)
        return;
    if (nv > 0) {
        int n = yj_rtcp_write_remb(buf + off, 1200 - (size_t)off, p->rtcp_ssrc,
                                   (uint64_t)p->m->cfg.max_publish_kbps * 1000, video, nv);
        if (n > 0)
            off += n;
    }
    yj_m_transport_send_rtcp(p, buf, off);
}

void yj_m_publisher_nack_tick(yj_media_peer_t *p, int64_t now_us)
{
    double rtt = p->rtt_ms > 10 ? p->rtt_ms : 10;
    for (guint i = 0; i < p->tracks->len; i++) {
        yj_track_t *t = p->tracks->pdata[i];
        if (t->kind != YJ_MEDIA_VIDEO || !t->nack)
            continue;
        for (int l = 0; l < t->n_layers; l++) {
            uint16_t seqs[YJ_MAX_MISSING];
            int n = 0;
            uint32_t ssrc;
            g_mutex_lock(&t->lock);
            yj_layer_t *L = &t->layers[l];
            ssrc = L->ssrc;
            for (int k = 0; k < L->n_missing;) {
                if (L->missing_tries[k] >= NACK_MAX_TRIES) {
                    got_missing(L, L->missing[k]);
                    continue;
                }
                if (L->missing_next_us[k] <= now_us) {
                    seqs[n++] = L->missing[k];
                    L->missing_tries[k]++;
                    L->missing_next_us[k] = now_us + (int64_t)(rtt * 1500);
                }
                k++;
            }
            g_mutex_unlock(&t->lock);
            if (n == 0 || !ssrc)
                continue;
            uint8_t buf[600 + YJ_SRTP_OVERHEAD];
            int len = yj_rtcp_write_nack(buf, 600, p->rtcp_ssrc, ssrc, seqs, n);
            if (len > 0 && yj_m_transport_send_rtcp(p, buf, len) == 0) {
                YJ_STAT_ADD(p, st_nacks_out, n);
                yj_counter_add(yj_m_nacks_out, n);
            }
        }
    }
}
