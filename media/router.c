/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router.c — the forwarding path. For one decrypted packet of a published
 * track it visits every slot bound to the track and, under that
 * subscriber's out_lock: picks the simulcast layer (switching only at a
 * keyframe of the wanted layer), gates video until a keyframe, rewrites
 * SSRC/sequence/timestamp (rtp.c's rewriter), rebuilds the header with the
 * subscriber's payload type and extension ids (mid, audio level,
 * abs-send-time), SRTP-protects and sends. Also binds/unbinds slots.
 *
 * A track's slots are kept in one list per worker (the subscriber's). The
 * publisher's worker (track->lock held) hands one copy of each packet to
 * every other worker whose list is not empty (worker.c's hand-off queue,
 * holding a track reference until it ran) and forwards to its own list;
 * a worker handed a packet forwards to its list under that list's lock
 * only. So one track's fan-out uses every core, each subscriber is sent
 * to by its own worker, and per subscriber the packets keep their order
 * (one producer, one FIFO queue). Allocates nothing.
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

/* What forwarding needs of the track, read by the publisher's worker
 * under track->lock and carried with a packet handed to another worker
 * (which must not read the track's negotiated fields without that lock). */
typedef struct {
    int codec;     /* yj_codec_t of the packet's payload type */
    int ext_level; /* the publisher's audio-level extension id */
    int clock;
    bool video, key;
    int li;
} fwd_t;

static uint64_t fwd_pack(const fwd_t *f)
{
    return (uint64_t)(f->li & 0xff) | (uint64_t)(f->codec & 0xff) << 8 |
           (uint64_t)(f->ext_level & 0xff) << 16 | (uint64_t)f->video << 24 |
           (uint64_t)f->key << 25 | (uint64_t)(uint32_t)f->clock << 32;
}

static fwd_t fwd_unpack(uint64_t a)
{
    fwd_t f = {.li = (int)(a & 0xff),
               .codec = (int)(int8_t)(a >> 8 & 0xff),
               .ext_level = (int)(a >> 16 & 0xff),
               .video = (a >> 24 & 1) != 0,
               .key = (a >> 25 & 1) != 0,
               .clock = (int)(uint32_t)(a >> 32)};
    return f;
}

static int build(yj_slot_t *s, int codec, int ext_level, const yj_rtp_t *pkt, uint16_t seq,
                 uint32_t ts, bool rtx, uint8_t *out, size_t cap, int64_t now_us)
{
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
    if (s->ext_level && ext_level) {
        const uint8_t *d;
        if (yj_rtp_ext_find(pkt, ext_level, &d) >= 1) {
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

int yj_m_router_build(yj_slot_t *s, yj_track_t *t, const yj_rtp_t *pkt, uint16_t seq, uint32_t ts,
                      bool rtx, uint8_t *out, size_t cap, int64_t now_us)
{
    return build(s, t->pt_codec[pkt->pt], t->ext_level, pkt, seq, ts, rtx, out, cap, now_us);
}

/* Forwards one packet to the slots of one worker's fan-out list (its
 * lock held). Returns whether a slot waits for a keyframe. */
static bool forward_fan(yj_fan_t *fan, const fwd_t *f, const yj_rtp_t *pkt, int64_t now_us)
{
    bool want_key = false;
    int li = f->li;
    uint8_t buf[YJ_RTP_MAX + YJ_SRTP_OVERHEAD];
    int64_t forwarded = 0;
    for (guint i = 0; i < fan->sinks->len; i++) {
        yj_slot_t *s = fan->sinks->pdata[i];
        yj_media_peer_t *sub = s->sub;
        g_mutex_lock(&sub->out_lock);
        if (!s->active || !sub->srtp_out) {
            g_mutex_unlock(&sub->out_lock);
            continue;
        }
        if (f->video && s->layer != li) {
            if (li != s->target_layer || !f->key) {
                /* Not our layer, or not yet a keyframe to start/switch on. */
                want_key |= li == s->target_layer || s->layer < 0;
                g_mutex_unlock(&sub->out_lock);
                continue;
            }
            s->layer = li;
            yj_rewriter_switch(&s->rw);
        } else if (!f->video && s->layer != li) {
            s->layer = li;
            yj_rewriter_switch(&s->rw);
        }
        uint16_t seq;
        uint32_t ts;
        if (!yj_rewriter_map(&s->rw, pkt->ssrc, pkt->seq, pkt->ts, (uint32_t)f->clock, now_us, &seq,
                             &ts)) {
            g_mutex_unlock(&sub->out_lock);
            continue;
        }
        int len = build(s, f->codec, f->ext_level, pkt, seq, ts, false, buf, YJ_RTP_MAX, now_us);
        if (len > 0 && yj_m_transport_send_rtp_locked(sub, buf, len) == 0) {
            s->packets++;
            s->octets += pkt->payload_len;
            YJ_STAT_ADD(sub, st_packets_out, 1);
            YJ_STAT_ADD(sub, st_bytes_out, len);
            forwarded++;
        }
        g_mutex_unlock(&sub->out_lock);
    }
    if (forwarded)
        yj_counter_add(yj_m_forwarded, forwarded); /* one shared-line update a packet */
    return want_key;
}

/* On a worker that was handed a packet: forward it to the track's slots
 * on this worker. Holds only this worker's fan lock (never track->lock
 * while forwarding), so the workers forward one track in parallel. */
static void forward_handed(yj_worker_t *w, void *obj, uint64_t arg, const uint8_t *data, size_t len)
{
    yj_track_t *t = obj;
    if (w->index >= t->n_fan)
        return;
    yj_rtp_t pkt;
    if (yj_rtp_parse(data, len, &pkt) != 0)
        return;
    fwd_t f = fwd_unpack(arg);
    yj_fan_t *fan = &t->fan[w->index];
    int64_t now = yj_m_now_us();
    g_mutex_lock(&fan->lock);
    bool want_key = forward_fan(fan, &f, &pkt, now);
    g_mutex_unlock(&fan->lock);
    /* throttled; the unlocked check keeps a worker waiting for a keyframe
     * from taking the publisher's track lock on every packet */
    if (want_key && yj_m_track_keyframe_due(t, now))
        yj_m_track_request_keyframe(t, false);
}

static void release_track(void *obj)
{
    yj_m_track_unref(obj);
}

static int fan_index(const yj_track_t *t, const yj_media_peer_t *p)
{
    int i = p && p->w ? p->w->index : 0;
    return i < t->n_fan ? i : 0;
}

void yj_m_router_forward(yj_track_t *t, int li, const uint8_t *buf, size_t len, const yj_rtp_t *pkt,
                         int64_t now_us)
{
    fwd_t f = {.li = li,
               .codec = t->pt_codec[pkt->pt],
               .ext_level = t->ext_level,
               .clock = t->clock,
               .video = t->kind == YJ_MEDIA_VIDEO};
    f.key = f.video && is_keyframe(t, pkt);
    yj_media_peer_t *pub = t->pub;
    int own = fan_index(t, pub);
    /* One copy to every other worker with subscribers of the track first,
     * so they work while this one serves its own. */
    if (t->n_fan > 1 && pub && pub->m && pub->m->workers) {
        uint64_t arg = fwd_pack(&f);
        for (int i = 0; i < t->n_fan; i++) {
            if (i == own || g_atomic_int_get(&t->fan[i].n) == 0)
                continue;
            if (yj_m_worker_hand_off(&pub->m->workers[i], forward_handed, release_track,
                                     yj_m_track_ref(t), arg, buf, len) == 0)
                yj_counter_add(yj_m_handed_off, 1);
        }
    }
    yj_fan_t *fan = &t->fan[own];
    bool want_key = false;
    if (g_atomic_int_get(&fan->n) > 0) {
        g_mutex_lock(&fan->lock);
        want_key = forward_fan(fan, &f, pkt, now_us);
        g_mutex_unlock(&fan->lock);
    }
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
    g_mutex_lock(&sub->out_lock);
    s->track = yj_m_track_ref(t);
    s->layer = -1;
    s->target_layer = target;
    yj_rewriter_switch(&s->rw);
    g_mutex_unlock(&sub->out_lock);
    /* into the list of the subscriber's worker, which forwards to it */
    yj_fan_t *fan = &t->fan[fan_index(t, sub)];
    g_mutex_lock(&fan->lock);
    g_ptr_array_add(fan->sinks, s);
    g_atomic_int_set(&fan->n, (gint)fan->sinks->len);
    g_mutex_unlock(&fan->lock);
    if (sub->w)
        g_atomic_int_inc(&sub->w->sinks);
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
    /* once out of the list (under its lock) no worker touches the slot */
    yj_fan_t *fan = &t->fan[fan_index(t, s->sub)];
    g_mutex_lock(&fan->lock);
    bool had = g_ptr_array_remove_fast(fan->sinks, s);
    g_atomic_int_set(&fan->n, (gint)fan->sinks->len);
    g_mutex_unlock(&fan->lock);
    if (had && s->sub->w)
        g_atomic_int_add(&s->sub->w->sinks, -1);
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
