/* SPDX-License-Identifier: Apache-2.0 */
/*
 * negotiate.c — offer/answer for one peer (JSEP, unified plan): turns the
 * client's offer into an answer plus published tracks and receive slots,
 * writes server re-offers that add or recycle sending m-lines for the
 * room's other publishers, applies the client's answer, and rolls a pending
 * offer back on glare. Runs on the peer's worker only; the room's lock is
 * taken when tracks or slots are registered.
 */
#include "negotiate.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/yj.h"

#include <string.h>

static int set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_err(char **err, const char *fmt, ...)
{
    if (err && !*err) {
        va_list ap;
        va_start(ap, fmt);
        *err = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    return YJ_EINVAL;
}

void yj_m_negotiate_xcvr_free(yj_xcvr_t *x)
{
    if (!x)
        return;
    if (x->track)
        yj_m_track_unref(x->track);
    /* x->slot is owned by p->slots. */
    g_free(x);
}

static uint32_t random_ssrc(void)
{
    uint32_t v = 0;
    while (v == 0)
        yj_random_bytes(&v, sizeof v);
    return v;
}

static yj_slot_t *slot_new(yj_media_peer_t *p, yj_media_kind_t kind, const char *mid)
{
    yj_slot_t *s = g_new0(yj_slot_t, 1);
    s->sub = p;
    s->kind = kind;
    g_strlcpy(s->mid, mid, sizeof s->mid);
    s->ssrc = random_ssrc();
    s->rtx_ssrc = random_ssrc();
    for (int i = 0; i < 5; i++)
        s->pt_for[i] = s->rtx_pt_for[i] = -1;
    g_snprintf(s->cname, sizeof s->cname, "yj-%08x", p->rtcp_ssrc);
    yj_random_bytes(&s->rw.last_seq, sizeof s->rw.last_seq);
    yj_random_bytes(&s->rw.last_ts, sizeof s->rw.last_ts);
    s->rtx_seq = (uint16_t)random_ssrc();
    return s;
}

/* Copies the negotiated payload types and extension ids into the slot. */
static void slot_params(yj_media_peer_t *p, yj_slot_t *s, const yj_sdp_media_t *neg, bool active)
{
    g_mutex_lock(&p->out_lock);
    for (int i = 0; i < 5; i++)
        s->pt_for[i] = s->rtx_pt_for[i] = -1;
    for (int i = 0; i < neg->n_codecs; i++) {
        const yj_sdp_codec_t *c = &neg->codecs[i];
        if (c->codec > YJ_CODEC_NONE && c->codec < YJ_CODEC_RTX && s->pt_for[c->codec] < 0) {
            s->pt_for[c->codec] = c->pt;
            s->rtx_pt_for[c->codec] = yj_sdp_rtx_for(neg, c->pt);
        }
    }
    s->ext_mid = yj_sdp_ext_id(neg, YJ_EXT_MID);
    s->ext_level = yj_sdp_ext_id(neg, YJ_EXT_AUDIO_LEVEL);
    s->ext_abs = yj_sdp_ext_id(neg, YJ_EXT_ABS_SEND_TIME);
    s->active = active;
    g_mutex_unlock(&p->out_lock);
}

/* Fills a's SSRC/msid lines for a sending slot. */
static void describe_slot(const yj_slot_t *s, yj_track_t *t, const yj_media_peer_t *p,
                          yj_sdp_media_t *a)
{
    a->n_ssrc = 1;
    a->ssrc[0] = s->ssrc;
    a->rtx_ssrc[0] = yj_sdp_find_codec(a, YJ_CODEC_RTX) ? s->rtx_ssrc : 0;
    g_strlcpy(a->cname, s->cname, sizeof a->cname);
    if (t) {
        g_mutex_lock(&t->lock);
        g_snprintf(a->msid, sizeof a->msid, "%s %s", t->pub ? t->pub->id : "-", t->id);
        g_mutex_unlock(&t->lock);
    } else {
        g_snprintf(a->msid, sizeof a->msid, "yj-%s %s-%s", p->id, p->id, s->mid);
    }
}

/* Sets up (or updates) the track the client publishes on m-line x. */
static void track_params(yj_media_peer_t *p, yj_xcvr_t *x, const yj_sdp_media_t *om)
{
    yj_track_t *t = x->track;
    g_mutex_lock(&t->lock);
    memset(t->pt_codec, 0, sizeof t->pt_codec);
    memset(t->rtx_apt, -1, sizeof t->rtx_apt);
    t->codec = YJ_CODEC_NONE;
    t->nack = false;
    for (int i = 0; i < x->neg.n_codecs; i++) {
        const yj_sdp_codec_t *c = &x->neg.codecs[i];
        t->nack |= (c->fb & YJ_FB_NACK) != 0;
        t->pt_codec[c->pt] = (int8_t)c->codec;
        if (c->codec == YJ_CODEC_RTX && c->apt >= 0)
            t->rtx_apt[c->pt] = (int8_t)c->apt;
        else if (t->codec == YJ_CODEC_NONE) {
            t->codec = c->codec;
            t->clock = c->clock;
            t->pt = c->pt;
            t->channels = c->channels;
            g_strlcpy(t->fmtp, c->fmtp, sizeof t->fmtp);
        }
    }
    t->ext_mid = yj_sdp_ext_id(&x->neg, YJ_EXT_MID);
    t->ext_rid = yj_sdp_ext_id(&x->neg, YJ_EXT_RID);
    t->ext_rrid = yj_sdp_ext_id(&x->neg, YJ_EXT_RRID);
    t->ext_level = yj_sdp_ext_id(&x->neg, YJ_EXT_AUDIO_LEVEL);
    t->ext_abs = yj_sdp_ext_id(&x->neg, YJ_EXT_ABS_SEND_TIME);
    g_strlcpy(t->mid, x->mid, sizeof t->mid);
    if (t->n_layers == 0) {
        if (om->simulcast && om->rid_send && om->n_rid > 0) {
            t->n_layers = om->n_rid;
            for (int i = 0; i < om->n_rid; i++)
                g_strlcpy(t->layers[i].rid, om->rid[i], sizeof t->layers[i].rid);
        } else {
            t->n_layers = 1;
            t->layers[0].ssrc = om->n_ssrc > 0 ? om->ssrc[0] : 0;
            t->layers[0].rtx_ssrc = om->n_ssrc > 0 ? om->rtx_ssrc[0] : 0;
        }
        for (int i = 0; i < t->n_layers; i++)
            if (t->kind == YJ_MEDIA_VIDEO)
                yj_nack_cache_init(&t->layers[i].cache, (int64_t)p->m->cfg.nack_cache_ms * 1000);
    }
    g_mutex_unlock(&t->lock);
}

static void remember_caps(yj_media_peer_t *p, const yj_sdp_media_t *neg)
{
    if (neg->is_audio && neg->n_codecs > 0)
        p->caps_audio = neg;
    else if (neg->is_video && neg->n_codecs > 0)
        p->caps_video = neg;
}

static yj_xcvr_t *xcvr_at(yj_media_peer_t *p, int i)
{
    return i < (int)p->xcvrs->len ? p->xcvrs->pdata[i] : NULL;
}

static void fill_bundle(yj_sdp_t *s)
{
    s->n_bundle = 0;
    for (int i = 0; i < s->n_m; i++)
        if (!s->m[i].rejected && s->m[i].mid[0])
            g_strlcpy(s->bundle[s->n_bundle++], s->m[i].mid, sizeof s->bundle[0]);
}

/* Stops receiving on x (client no longer sends there). */
static void drop_track(yj_media_peer_t *p, yj_xcvr_t *x)
{
    if (!x->track)
        return;
    yj_m_sfu_room_unpublish(p->room, x->track);
    yj_m_track_unref(x->track);
    x->track = NULL;
}

int yj_m_negotiate_answer(yj_media_peer_t *p, const yj_sdp_t *offer, yj_sdp_t **answer, char **err)
{
    bool glare = false;
    if (p->offer_pending) {
        yj_m_negotiate_rollback(p);
        glare = true;
    }
    int have = (int)p->xcvrs->len;
    if (offer->n_m < have)
        return set_err(err, "the offer has %d m-lines but %d were negotiated", offer->n_m, have);
    for (int i = 0; i < have; i++) {
        yj_xcvr_t *x = xcvr_at(p, i);
        if (!offer->m[i].rejected && x->mid[0] && strcmp(offer->m[i].mid, x->mid) != 0)
            return set_err(err, "m-line %d changed its mid from %s to %s", i, x->mid,
                           offer->m[i].mid);
    }
    const char *setup = yj_sdp_setup(offer);
    if (strcmp(setup, "passive") == 0)
        return set_err(err, "a=setup:passive is not supported: the server is the DTLS server");
    if (setup[0] && strcmp(setup, "actpass") != 0 && strcmp(setup, "active") != 0)
        return set_err(err, "bad a=setup:%s", setup);
    if (p->remote_fp[0] && g_ascii_strcasecmp(p->remote_fp, yj_sdp_fingerprint(offer)) != 0)
        return set_err(err, "the DTLS fingerprint cannot change during a session");
    for (int i = 0; i < offer->n_m; i++)
        if (!offer->m[i].rejected && !p->answered && !offer->m[i].is_audio &&
            !offer->m[i].is_video && i == 0 && offer->n_m == 1)
            return set_err(err, "the offer has no audio or video m-line");

    yj_sdp_t *a = g_new0(yj_sdp_t, 1);
    a->n_m = offer->n_m;
    a->m = g_new0(yj_sdp_media_t, a->n_m);
    a->sess_id = p->sess_id;
    a->sess_version = ++p->sess_version;
    g_strlcpy(a->setup, "passive", sizeof a->setup);
    GPtrArray *new_tracks = g_ptr_array_new();
    GPtrArray *new_slots = g_ptr_array_new();
    int active = 0;

    for (int i = 0; i < offer->n_m; i++) {
        const yj_sdp_media_t *om = &offer->m[i];
        yj_sdp_media_t *am = &a->m[i];
        g_strlcpy(am->kind, om->kind, sizeof am->kind);
        g_strlcpy(am->proto, om->proto, sizeof am->proto);
        g_strlcpy(am->mid, om->mid, sizeof am->mid);
        am->is_audio = om->is_audio;
        am->is_video = om->is_video;
        am->rtcp_mux = true;
        am->rtcp_rsize = om->rtcp_rsize;
        yj_xcvr_t *x = xcvr_at(p, i);
        if (!x) {
            x = g_new0(yj_xcvr_t, 1);
            g_strlcpy(x->mid, om->mid, sizeof x->mid);
            x->kind = om->is_video ? YJ_MEDIA_VIDEO : YJ_MEDIA_AUDIO;
            x->is_av = om->is_audio || om->is_video;
            g_ptr_array_add(p->xcvrs, x);
        }
        bool ok =
            !om->rejected && (om->is_audio || om->is_video) && strstr(om->proto, "SAVPF") != NULL;
        if (ok && yj_sdp_negotiate_codecs(om, am, false) == 0)
            ok = false;
        if (!ok) {
            am->rejected = true;
            am->n_codecs = 0;
            am->n_ext = 0;
            x->rejected = true;
            drop_track(p, x);
            if (x->slot)
                slot_params(p, x->slot, &x->neg, false);
            x->dir = YJ_DIR_INACTIVE;
            continue;
        }
        x->rejected = false;
        bool recv = (om->dir & YJ_DIR_SEND) && (p->flags & YJ_MEDIA_PUBLISH);
        bool send = (om->dir & YJ_DIR_RECV) && (p->flags & YJ_MEDIA_SUBSCRIBE);
        x->dir = (recv ? YJ_DIR_RECV : 0) | (send ? YJ_DIR_SEND : 0);
        x->neg = *am;
        remember_caps(p, &x->neg);
        am->dir = x->dir;
        if (recv) {
            if (om->simulcast && om->rid_send) {
                am->simulcast = true;
                am->rid_send = false;
                am->n_rid = om->n_rid;
                memcpy(am->rid, om->rid, sizeof am->rid);
                x->simulcast = true;
                x->n_rids = om->n_rid;
                memcpy(x->rids, om->rid, sizeof x->rids);
            }
            if (!x->track) {
                char id[80];
                g_snprintf(id, sizeof id, "%s-%c%d", p->id, om->is_video ? 'v' : 'a', i);
                x->track = yj_m_track_new(p, id, x->kind);
                g_ptr_array_add(new_tracks, x->track);
                if (x->kind == YJ_MEDIA_VIDEO)
                    yj_m_transport_enable_nack(p);
            }
            track_params(p, x, om);
        } else {
            drop_track(p, x);
        }
        if (send) {
            if (!x->slot) {
                x->slot = slot_new(p, x->kind, x->mid);
                x->slot->auto_bind = (p->flags & YJ_MEDIA_STATIC) != 0;
                g_ptr_array_add(new_slots, x->slot);
            }
            slot_params(p, x->slot, am, true);
        } else if (x->slot) {
            slot_params(p, x->slot, am, false);
        }
        active++;
    }
    if (active == 0) {
        /* Nothing usable: undo the m-lines we just appended. */
        while ((int)p->xcvrs->len > have) {
            yj_xcvr_t *x = g_ptr_array_steal_index(p->xcvrs, p->xcvrs->len - 1);
            if (x->track) {
                yj_m_sfu_room_unpublish(p->room, x->track);
            }
            if (x->slot) {
                yj_m_router_slot_free(x->slot);
                x->slot = NULL;
            }
            yj_m_negotiate_xcvr_free(x);
        }
        g_ptr_array_free(new_tracks, TRUE);
        g_ptr_array_free(new_slots, TRUE);
        yj_sdp_free(a);
        return set_err(err, "no m-line has a supported codec (Opus, VP8, H.264 "
                            "packetization-mode=1 constrained baseline) and direction");
    }
    /* What the client can decode decides which tracks it is given. */
    unsigned codecs = 0;
    for (int i = 0; i < a->n_m; i++)
        for (int c = 0; !a->m[i].rejected && c < a->m[i].n_codecs; c++)
            if (a->m[i].codecs[c].codec < YJ_CODEC_RTX)
                codecs |= 1u << a->m[i].codecs[c].codec;
    g_atomic_int_set(&p->recv_codecs, (gint)codecs);
    for (guint i = 0; i < new_slots->len; i++)
        yj_m_sfu_room_add_slot(p->room, p, new_slots->pdata[i]);
    for (guint i = 0; i < new_tracks->len; i++)
        yj_m_sfu_room_publish(p->room, p, new_tracks->pdata[i]);
    if (new_tracks->len == 0 && new_slots->len > 0)
        yj_m_sfu_room_rebind(p->room);
    g_ptr_array_free(new_tracks, TRUE);
    g_ptr_array_free(new_slots, TRUE);
    yj_m_sfu_room_warn_codecs(p->room, p);

    g_mutex_lock(&p->room->lock);
    for (int i = 0; i < a->n_m; i++) {
        yj_xcvr_t *x = xcvr_at(p, i);
        if (!x->slot || !(x->dir & YJ_DIR_SEND))
            continue;
        yj_track_t *t = x->slot->track ? x->slot->track : x->slot->pending_track;
        if (!t && !x->slot->auto_bind)
            a->m[i].dir &= ~YJ_DIR_SEND; /* filled by a later server offer */
        else
            describe_slot(x->slot, t, p, &a->m[i]);
    }
    g_mutex_unlock(&p->room->lock);
    fill_bundle(a);
    p->answered = true;
    *answer = a;
    /* More tracks in the room than the client gave us slots for, or a
     * rolled-back offer: ask the owner for a server offer. */
    g_mutex_lock(&p->room->lock);
    yj_track_t *unserved[1];
    bool need = (p->flags & YJ_MEDIA_SUBSCRIBE) &&
                yj_m_sfu_room_unserved_locked(p->room, p, unserved, 1) > 0;
    g_mutex_unlock(&p->room->lock);
    if (glare || need) {
        p->nego_needed_sent = false;
        p->up->need_negotiation(p);
    }
    return 0;
}

/* Payload type free in every negotiated m-line of p, preferring want. */
static bool pt_used(yj_media_peer_t *p, int pt, yj_codec_t except)
{
    for (guint i = 0; i < p->xcvrs->len; i++) {
        yj_xcvr_t *x = p->xcvrs->pdata[i];
        for (int c = 0; c < x->neg.n_codecs; c++)
            if (x->neg.codecs[c].pt == pt && x->neg.codecs[c].codec != except)
                return true;
    }
    return false;
}

static int pick_pt(yj_media_peer_t *p, int want, yj_codec_t codec)
{
    if (!pt_used(p, want, codec))
        return want;
    for (int pt = 96; pt < 128; pt++)
        if (!pt_used(p, pt, YJ_CODEC_NONE))
            return pt;
    return want;
}

static int ext_id_for(yj_media_peer_t *p, yj_ext_t e)
{
    for (guint i = 0; i < p->xcvrs->len; i++) {
        yj_xcvr_t *x = p->xcvrs->pdata[i];
        int id = yj_sdp_ext_id(&x->neg, e);
        if (id)
            return id;
    }
    /* Not negotiated anywhere: the first id nobody uses. */
    for (int id = 1; id <= 14; id++) {
        bool used = false;
        for (guint i = 0; i < p->xcvrs->len && !used; i++) {
            yj_xcvr_t *x = p->xcvrs->pdata[i];
            for (int k = 0; k < x->neg.n_ext; k++)
                used |= x->neg.ext[k].id == id;
        }
        if (!used)
            return id;
    }
    return 0;
}

/* The negotiated description of a new sending m-line for track t. */
static void new_sending_media(yj_media_peer_t *p, yj_track_t *t, yj_sdp_media_t *m)
{
    memset(m, 0, sizeof *m);
    bool video = t->kind == YJ_MEDIA_VIDEO;
    g_strlcpy(m->kind, video ? "video" : "audio", sizeof m->kind);
    m->is_audio = !video;
    m->is_video = video;
    g_strlcpy(m->proto, "UDP/TLS/RTP/SAVPF", sizeof m->proto);
    m->rtcp_mux = true;
    m->rtcp_rsize = true;
    const yj_sdp_media_t *caps = video ? p->caps_video : p->caps_audio;
    const yj_sdp_codec_t *cc = caps ? yj_sdp_find_codec(caps, t->codec) : NULL;
    if (cc) {
        m->codecs[m->n_codecs++] = *cc;
        int rtx = yj_sdp_rtx_for(caps, cc->pt);
        for (int i = 0; rtx >= 0 && i < caps->n_codecs; i++)
            if (caps->codecs[i].pt == rtx)
                m->codecs[m->n_codecs++] = caps->codecs[i];
    } else {
        yj_sdp_codec_t c = {.apt = -1, .codec = t->codec, .clock = t->clock};
        if (t->codec == YJ_CODEC_OPUS) {
            c.pt = pick_pt(p, 111, YJ_CODEC_OPUS);
            g_strlcpy(c.name, "opus", sizeof c.name);
            c.channels = 2;
            g_strlcpy(c.fmtp, "minptime=10;useinbandfec=1", sizeof c.fmtp);
        } else {
            bool h264 = t->codec == YJ_CODEC_H264;
            c.pt = pick_pt(p, h264 ? 102 : 96, t->codec);
            g_strlcpy(c.name, h264 ? "H264" : "VP8", sizeof c.name);
            c.clock = 90000;
            if (h264)
                g_strlcpy(c.fmtp,
                          "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
                          sizeof c.fmtp);
            c.fb = YJ_FB_NACK | YJ_FB_PLI | YJ_FB_FIR | YJ_FB_REMB;
        }
        m->codecs[m->n_codecs++] = c;
        if (video) {
            yj_sdp_codec_t r = {.apt = c.pt, .codec = YJ_CODEC_RTX, .clock = 90000};
            r.pt = pick_pt(p, c.pt + 1, YJ_CODEC_RTX);
            g_strlcpy(r.name, "rtx", sizeof r.name);
            g_snprintf(r.fmtp, sizeof r.fmtp, "apt=%d", c.pt);
            m->codecs[m->n_codecs++] = r;
        }
    }
    yj_ext_t exts[3] = {YJ_EXT_MID, video ? YJ_EXT_ABS_SEND_TIME : YJ_EXT_AUDIO_LEVEL,
                        video ? YJ_EXT_NONE : YJ_EXT_ABS_SEND_TIME};
    for (int i = 0; i < 3; i++) {
        if (exts[i] == YJ_EXT_NONE)
            continue;
        int id = ext_id_for(p, exts[i]);
        if (id)
            m->ext[m->n_ext++] = (yj_sdp_extmap_t){.id = id, .ext = exts[i]};
    }
    m->dir = YJ_DIR_SEND;
}

static void next_mid(yj_media_peer_t *p, char *out, size_t size)
{
    for (;;) {
        g_snprintf(out, size, "%d", p->next_mid++ + (int)p->xcvrs->len);
        bool used = false;
        for (guint i = 0; i < p->xcvrs->len && !used; i++)
            used = strcmp(((yj_xcvr_t *)p->xcvrs->pdata[i])->mid, out) == 0;
        if (!used)
            return;
    }
}

int yj_m_negotiate_offer(yj_media_peer_t *p, yj_sdp_t **offer, char **err)
{
    if (!p->answered)
        return set_err(err, "the client must offer first");
    if (p->offer_pending)
        yj_m_negotiate_rollback(p);
    p->nego_needed_sent = false;

    yj_track_t *unserved[32];
    g_mutex_lock(&p->room->lock);
    int n = (p->flags & YJ_MEDIA_SUBSCRIBE)
                ? yj_m_sfu_room_unserved_locked(p->room, p, unserved, 32)
                : 0;
    for (int i = 0; i < n; i++) {
        yj_track_t *t = unserved[i];
        yj_xcvr_t *reuse = NULL;
        for (guint k = 0; k < p->xcvrs->len && !reuse; k++) {
            yj_xcvr_t *x = p->xcvrs->pdata[k];
            if (x->slot && !x->slot->auto_bind && !x->slot->track && !x->slot->pending_track &&
                !x->track && !x->rejected && x->kind == t->kind &&
                yj_sdp_find_codec(&x->neg, t->codec))
                reuse = x;
        }
        if (reuse) {
            reuse->slot->pending_track = yj_m_track_ref(t);
            continue;
        }
        if (p->xcvrs->len >= YJ_SDP_MAX_MEDIA)
            break;
        yj_xcvr_t *x = g_new0(yj_xcvr_t, 1);
        next_mid(p, x->mid, sizeof x->mid);
        x->kind = t->kind;
        x->is_av = true;
        x->pending = true;
        x->dir = YJ_DIR_SEND;
        new_sending_media(p, t, &x->neg);
        g_strlcpy(x->neg.mid, x->mid, sizeof x->neg.mid);
        x->slot = slot_new(p, t->kind, x->mid);
        x->slot->pending_track = yj_m_track_ref(t);
        g_ptr_array_add(p->slots, x->slot); /* inactive until answered */
        g_ptr_array_add(p->xcvrs, x);
    }
    g_mutex_unlock(&p->room->lock);

    yj_sdp_t *o = g_new0(yj_sdp_t, 1);
    o->n_m = (int)p->xcvrs->len;
    o->m = g_new0(yj_sdp_media_t, o->n_m);
    o->sess_id = p->sess_id;
    o->sess_version = ++p->sess_version;
    g_mutex_lock(&p->room->lock);
    for (int i = 0; i < o->n_m; i++) {
        yj_xcvr_t *x = p->xcvrs->pdata[i];
        yj_sdp_media_t *m = &o->m[i];
        *m = x->neg;
        m->ufrag[0] = m->pwd[0] = m->fingerprint[0] = m->setup[0] = 0;
        g_strlcpy(m->mid, x->mid, sizeof m->mid);
        if (x->rejected) {
            m->rejected = true;
            continue;
        }
        m->rejected = false;
        m->rtcp_mux = true;
        int dir = x->dir;
        if (x->slot) {
            yj_track_t *t = x->slot->pending_track ? x->slot->pending_track : x->slot->track;
            if (!t && !x->slot->auto_bind)
                dir &= ~YJ_DIR_SEND;
            if (dir & YJ_DIR_SEND)
                describe_slot(x->slot, t, p, m);
        }
        m->dir = dir;
        m->simulcast = x->simulcast && (dir & YJ_DIR_RECV);
        m->rid_send = false;
        m->n_rid = m->simulcast ? x->n_rids : 0;
        memcpy(m->rid, x->rids, sizeof m->rid);
        if (!(dir & YJ_DIR_SEND)) {
            m->n_ssrc = 0;
            m->msid[0] = 0;
        }
    }
    g_mutex_unlock(&p->room->lock);
    fill_bundle(o);
    o->trickle = true;
    p->offer_pending = true;
    *offer = o;
    return 0;
}

void yj_m_negotiate_rollback(yj_media_peer_t *p)
{
    if (!p->offer_pending)
        return;
    g_mutex_lock(&p->room->lock);
    while (p->xcvrs->len > 0) {
        yj_xcvr_t *x = p->xcvrs->pdata[p->xcvrs->len - 1];
        if (!x->pending)
            break;
        g_ptr_array_remove_index(p->xcvrs, p->xcvrs->len - 1);
        if (x->slot) {
            g_ptr_array_remove(p->slots, x->slot);
            if (x->slot->pending_track) {
                yj_m_track_unref(x->slot->pending_track);
                x->slot->pending_track = NULL;
            }
            yj_m_router_slot_free(x->slot);
        }
        yj_m_negotiate_xcvr_free(x);
    }
    for (guint i = 0; i < p->xcvrs->len; i++) {
        yj_xcvr_t *x = p->xcvrs->pdata[i];
        if (x->slot && x->slot->pending_track) {
            yj_m_track_unref(x->slot->pending_track);
            x->slot->pending_track = NULL;
        }
    }
    g_mutex_unlock(&p->room->lock);
    p->offer_pending = false;
    p->sess_version++;
}

int yj_m_negotiate_set_answer(yj_media_peer_t *p, const yj_sdp_t *ans, char **err)
{
    if (!p->offer_pending)
        return set_err(err, "no server offer is waiting for an answer");
    if (ans->n_m != (int)p->xcvrs->len)
        return set_err(err, "the answer has %d m-lines, the offer had %u", ans->n_m, p->xcvrs->len);
    for (int i = 0; i < ans->n_m; i++) {
        yj_xcvr_t *x = p->xcvrs->pdata[i];
        if (!ans->m[i].rejected && strcmp(ans->m[i].mid, x->mid) != 0)
            return set_err(err, "m-line %d: mid %s does not match the offer's %s", i, ans->m[i].mid,
                           x->mid);
    }
    if (strcmp(yj_sdp_setup(ans), "passive") == 0)
        return set_err(err, "a=setup:passive is not supported: the server is the DTLS server");
    if (p->remote_fp[0] && g_ascii_strcasecmp(p->remote_fp, yj_sdp_fingerprint(ans)) != 0)
        return set_err(err, "the DTLS fingerprint cannot change during a session");
    bool unbound_slot = false;
    g_mutex_lock(&p->room->lock);
    for (int i = 0; i < ans->n_m; i++) {
        yj_xcvr_t *x = p->xcvrs->pdata[i];
        const yj_sdp_media_t *am = &ans->m[i];
        if (!x->slot)
            continue;
        yj_track_t *t = x->slot->pending_track;
        x->slot->pending_track = NULL;
        bool accepted = !am->rejected && (am->dir & YJ_DIR_RECV);
        if (x->pending) {
            x->pending = false;
            if (!accepted) {
                x->rejected = true;
                x->dir = YJ_DIR_INACTIVE;
            }
        }
        if (t && accepted) {
            g_mutex_unlock(&p->room->lock);
            slot_params(p, x->slot, &x->neg, true);
            g_mutex_lock(&p->room->lock);
            if (x->slot->track)
                yj_m_router_unbind_locked(x->slot);
            bool live;
            g_mutex_lock(&t->lock);
            live = t->pub != NULL;
            g_mutex_unlock(&t->lock);
            if (live)
                yj_m_router_bind_locked(x->slot, t);
            else
                unbound_slot = true;
        } else if (t) {
            unbound_slot = true;
        }
        if (t)
            yj_m_track_unref(t);
    }
    yj_track_t *more[1];
    bool need = yj_m_sfu_room_unserved_locked(p->room, p, more, 1) > 0;
    g_mutex_unlock(&p->room->lock);
    p->offer_pending = false;
    if (need || unbound_slot) {
        p->nego_needed_sent = false;
        p->up->need_negotiation(p);
    }
    return 0;
}
