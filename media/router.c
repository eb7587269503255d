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
#include "router.h"
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

int yj_m_router_build(yj_slot_t *s, yj_track_t *t, const yj_rtp_t *pkt, uint16_t seq, uint32_t ts,
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

void yj_m_router_forward(yj_track_t *t, int li, const yj_rtp_t *pkt, int64_t now_us)
{
    bool video = t->kind == YJ_MEDIA_VIDEO;
    bool key = video && is_keyframe(t, pkt);
    bool want_key = false;
    uint8_t buf[YJ_RTP_MAX + YJ_SRTP_OVERHEAD];
    int64_t forwarded = 0;
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
        if (!yj_rewriter_map(&s->rw, pkt->ssrc, pkt->seq, pkt->ts, (uint32_t)t->clock, now_us, &seq,
                             &ts)) {
            g_mutex_unlock(&sub->out_lock);
            continue;
        }
        int len = yj_m_router_build(s, t, pkt, seq, ts, false, buf, YJ_RTP_MAX, now_us);
        if (len > 0 && yj_m_transport_send_rtp_locked(sub, buf, len) == 0) {
            s->packets++;
            s->octets += pkt->payload_len;
            YJ_STAT_ADD(sub, st_packets_out, 1);
            YJ_STAT_ADD(sub, st_bytes_out, len);
            forwarded++;
        }
        g_mutex_unlock(&sub->out_lock);
    }
    yj_counter_add(yj_m_forwarded, forwarded); /* one shared-line update a packet */
    if (want_key)
        yj_m_track_request_keyframe_locked(t, false);
}

/* Simulcast layer choice for slot s (t->lock and the subscriber's
 * out_lock held or the slot not yet shared). Layers rank by measured
 * bitrate; a layer taller than the subscriber displays is never chosen
 * (heights come from VP8 keyframes). A new binding starts on the best
 * allowed layer. Afterwards: congestion (REMB below the current layer's
 * rate, or more than 10 % loss in the client's reports) steps down one
 * layer and holds 15 s; a clean link (under 2 % loss) steps up one layer
 * at a time, at most every 3 s. No bandwidth probing is done. */
static int choose_layer(yj_slot_t *s, const yj_track_t *t, uint32_t remb, double loss, int64_t now)
{
    if (t->n_layers <= 1)
        return 0;
    int order[YJ_MAX_LAYERS], n = 0;
    for (int l = 0; l < t->n_layers; l++)
        if (t->layers[l].active)
            order[n++] = l;
    if (n == 0)
        return s->target_layer >= 0 ? s->target_layer : 0;
    for (int i = 1; i < n; i++) /* ascending bitrate */
        for (int j = i; j > 0 && t->layers[order[j]].bitrate < t->layers[order[j - 1]].bitrate;
             j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    int top = 0; /* highest allowed index in order[] */
    for (int i = 0; i < n; i++) {
        const yj_layer_t *L = &t->layers[order[i]];
        if (!s->max_height || !L->height || L->height <= s->max_height)
            top = i;
    }
    int cur = -1;
    for (int i = 0; i < n; i++)
        if (order[i] == s->target_layer)
            cur = i;
    if (s->layer < 0 || cur < 0)
        return order[top];
    if (cur > top)
        return order[top]; /* taller than displayed: down at once */
    uint32_t rate = t->layers[order[cur]].bitrate;
    bool settled = now - s->bound_us > 5000000; /* receivers' REMB starts low */
    if ((settled && remb && rate && remb < rate / 10 * 9) || loss > 0.10) {
        s->hold_until_us = now + 15000000;
        return order[cur > 0 ? cur - 1 : 0];
    }
    if (cur < top && loss < 0.02 && now >= s->hold_until_us) {
        s->hold_until_us = now + 3000000;
        return order[cur + 1];
    }
    return order[cur];
}

int yj_m_router_pick_layer(yj_slot_t *s, yj_track_t *t, uint32_t remb, double loss, int64_t now)
{
    return choose_layer(s, t, remb, loss, now);
}

void yj_m_router_bind_locked(yj_slot_t *s, yj_track_t *t)
{
    yj_media_peer_t *sub = s->sub;
    g_mutex_lock(&t->lock);
    s->layer = -1;
    s->bound_us = yj_m_now_us();
    int target = choose_layer(s, t, 0, 0, s->bound_us);
    g_ptr_array_add(t->sinks, s);
    g_mutex_lock(&sub->out_lock);
    s->track = yj_m_track_ref(t);
    s->layer = -1;
    s->target_layer = target;
    yj_rewriter_switch(&s->rw);
    g_mutex_unlock(&sub->out_lock);
    if (t->kind == YJ_MEDIA_VIDEO)
        yj_m_track_request_keyframe_locked(t, true);
    g_mutex_unlock(&t->lock);
    yj_debug("media", "room %s: %s slot %s <- %s", sub->room->id, sub->id, s->mid, t->id);
}

void yj_m_router_unbind_locked(yj_slot_t *s)
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
    yj_m_track_unref(t);
}

void yj_m_router_slot_free(yj_slot_t *s)
{
    if (!s)
        return;
    if (s->pending_track)
        yj_m_track_unref(s->pending_track);
    g_free(s);
}
