/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router.c — the forwarding path. For one decrypted packet of a published
 * track it visits every slot bound to the track and, under that
 * subscriber's out_lock: picks the simulcast layer (switching only at a
 * keyframe of the wanted layer), gates video until a keyframe, rewrites
 * SSRC/sequence/timestamp (rtp.c's rewriter), rebuilds the header with the
 * subscriber's payload type and extension ids (mid, audio level,
 * abs-send-time), SRTP-protects and sends. Also binds/unbinds slots.
 * Runs on the publisher's worker with track->lock held; allocates nothing.
 */
#include "internal.h"
#include "core/log.h"
#include "core/yj.h"

#include <string.h>

static bool is_keyframe(const yj_track_t *t, const yj_rtp_t *pkt)
{
    int codec = t->pt_codec[pkt->pt];
    if (codec == YJ_CODEC_VP8)
        return yj_vp8_is_keyframe(pkt->payload, pkt->payload_len);
    if (codec == YJ_CODEC_H264)
        return yj_h264_is_keyframe(pkt->payload, pkt->payload_len);
    return false;
}

int yj_router_build(yj_slot_t *s, yj_track_t *t, const yj_rtp_t *pkt, uint16_t seq, uint32_t ts,
                    bool rtx, uint8_t *out, size_t cap, int64_t now_us)
{
    int codec = t->pt_codec[pkt->pt];
    if (codec <= YJ_CODEC_NONE || codec >= YJ_CODEC_RTX)
        return -1;
    int pt = rtx ? s->rtx_pt_for[codec] : s->pt_for[codec];
    if (pt < 0)
        return -1;
    yj_rtp_ext_elem_t ext[3];
    int n = 0;
    size_t midlen = strlen(s->mid);
    if (s->ext_mid && midlen >= 1 && midlen <= 16) {
        ext[n].id = (uint8_t)s->ext_mid;
        ext[n].len = (uint8_t)midlen;
        memcpy(ext[n].data, s->mid, midlen);
        n++;
    }
    if (s->ext_level && t->ext_level) {
        const uint8_t *d;
        if (yj_rtp_ext_find(pkt, t->ext_level, &d) >= 1) {
            ext[n].id = (uint8_t)s->ext_level;
            ext[n].len = 1;
            ext[n].data[0] = d[0];
            n++;
        }
    }
    if (s->ext_abs) {
        uint32_t abs = (uint32_t)(((uint64_t)now_us << 18) / 1000000) & 0xffffff;
        ext[n].id = (uint8_t)s->ext_abs;
        ext[n].len = 3;
        ext[n].data[0] = (uint8_t)(abs >> 16);
        ext[n].data[1] = (uint8_t)(abs >> 8);
        ext[n].data[2] = (uint8_t)abs;
        n++;
    }
    int h = yj_rtp_write_header(out, cap, pkt->marker, (uint8_t)pt, rtx ? s->rtx_seq++ : seq, ts,
                                rtx ? s->rtx_ssrc : s->ssrc, ext, n);
    if (h < 0)
        return -1;
    size_t need = (size_t)h + (rtx ? 2 : 0) + pkt->payload_len;
    if (need > cap || need > YJ_RTP_MAX)
        return -1;
    uint8_t *p = out + h;
    if (rtx) {
        *p++ = (uint8_t)(seq >> 8);
        *p++ = (uint8_t)seq;
    }
    memcpy(p, pkt->payload, pkt->payload_len);
    return (int)need;
}

void yj_router_forward(yj_track_t *t, int li, const yj_rtp_t *pkt, int64_t now_us)
{
    bool video = t->kind == YJ_MEDIA_VIDEO;
    bool key = video && is_keyframe(t, pkt);
    bool want_key = false;
    uint8_t buf[YJ_RTP_MAX + YJ_SRTP_OVERHEAD];
    for (guint i = 0; i < t->sinks->len; i++) {
        yj_slot_t *s = t->sinks->pdata[i];
        yj_media_peer_t *sub = s->sub;
        g_mutex_lock(&sub->out_lock);
        if (!s->active || !sub->srtp_out) {
            g_mutex_unlock(&sub->out_lock);
            continue;
        }
        if (video && s->layer != li) {
            if (li != s->target_layer || !key) {
                /* Not our layer, or not yet a keyframe to start/switch on. */
                want_key |= li == s->target_layer || s->layer < 0;
                g_mutex_unlock(&sub->out_lock);
                continue;
            }
            s->layer = li;
            yj_rewriter_switch(&s->rw);
        } else if (!video && s->layer != li) {
            s->layer = li;
            yj_rewriter_switch(&s->rw);
        }
        uint16_t seq;
        uint32_t ts;
        if (!yj_rewriter_map(&s->rw, pkt->ssrc, pkt->seq, pkt->ts, (uint32_t)t->clock, now_us,
                             &seq, &ts)) {
            g_mutex_unlock(&sub->out_lock);
            continue;
        }
        int len = yj_router_build(s, t, pkt, seq, ts, false, buf, YJ_RTP_MAX, now_us);
        if (len > 0 && yj_peer_send_rtp_locked(sub, buf, len) == 0) {
            s->packets++;
            s->octets += pkt->payload_len;
            YJ_STAT_ADD(sub, st_packets_out, 1);
            YJ_STAT_ADD(sub, st_bytes_out, len);
            yj_counter_add(yj_m_forwarded, 1);
        }
        g_mutex_unlock(&sub->out_lock);
    }
    if (want_key)
        yj_track_request_keyframe_locked(t, false);
}

/* The best layer for slot s: the highest whose measured bitrate fits the
 * subscriber's REMB estimate and whose height fits what it displays. */
static int choose_layer(const yj_slot_t *s, const yj_track_t *t, uint32_t remb)
{
    if (t->n_layers <= 1)
        return 0;
    int best = -1;
    uint32_t best_rate = 0;
    int lowest = 0;
    uint32_t low_rate = UINT32_MAX;
    for (int l = 0; l < t->n_layers; l++) {
        const yj_layer_t *L = &t->layers[l];
        if (!L->active)
            continue;
        if (L->bitrate < low_rate) {
            low_rate = L->bitrate;
            lowest = l;
        }
        if (remb && L->bitrate > remb * 9 / 10)
            continue;
        if (s->max_height && L->height && L->height > s->max_height)
            continue;
        if (best < 0 || L->bitrate > best_rate) {
            best = l;
            best_rate = L->bitrate;
        }
    }
    return best >= 0 ? best : lowest;
}

int yj_slot_pick_layer(yj_slot_t *s, yj_track_t *t, uint32_t remb)
{
    return choose_layer(s, t, remb);
}

void yj_slot_bind_locked(yj_slot_t *s, yj_track_t *t)
{
    yj_media_peer_t *sub = s->sub;
    g_mutex_lock(&t->lock);
    int target = choose_layer(s, t, 0);
    g_ptr_array_add(t->sinks, s);
    g_mutex_lock(&sub->out_lock);
    s->track = yj_track_ref(t);
    s->layer = -1;
    s->target_layer = target;
    yj_rewriter_switch(&s->rw);
    g_mutex_unlock(&sub->out_lock);
    if (t->kind == YJ_MEDIA_VIDEO)
        yj_track_request_keyframe_locked(t, true);
    g_mutex_unlock(&t->lock);
    yj_debug("media", "room %s: %s slot %s <- %s", sub->room->id, sub->id, s->mid, t->id);
}

void yj_slot_unbind_locked(yj_slot_t *s)
{
    yj_track_t *t = s->track;
    if (!t)
        return;
    g_mutex_lock(&t->lock);
    g_ptr_array_remove_fast(t->sinks, s);
    g_mutex_lock(&s->sub->out_lock);
    s->track = NULL;
    s->layer = -1;
    yj_rewriter_switch(&s->rw);
    g_mutex_unlock(&s->sub->out_lock);
    g_mutex_unlock(&t->lock);
    yj_track_unref(t);
}

void yj_slot_free(yj_slot_t *s)
{
    if (!s)
        return;
    if (s->pending_track)
        yj_track_unref(s->pending_track);
    g_free(s);
}
