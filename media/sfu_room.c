/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sfu_room.c — the SFU's rooms (not signaling's meeting rooms): who is in them, which tracks are
 * published, which subscriber slot is fed by which track (binding), the watchers told when tracks
 * change, and the active-speaker election from audio levels.
 *
 * Binding rules: a subscriber receives every track of the room except its
 * own (audio only if it asked). Client-offered receive slots (WHEP and any
 * recvonly m-line) are bound automatically, first free slot of the kind to
 * the earliest unserved track; server-offered slots are bound when the
 * client accepts the offer naming the track. A track nobody can serve
 * makes the subscriber's owner re-offer (on_negotiation_needed). A track
 * whose codec the subscriber did not offer (an H.264 publisher and a
 * VP8-only viewer) is skipped with a warning: the SFU does not transcode.
 */
#include "sfu_room.h"
#include "core/log.h"
#include "core/yj.h"

#include <string.h>

#define SPEAKER_HOLD_US 1500000
#define SPEAKER_EVAL_US 300000
#define SPEAKER_MIN_LEVEL 40.0 /* louder than about -87 dBov, smoothed */
#define SPEAKER_MARGIN 8.0     /* how much louder a newcomer must be */

static bool valid_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
            return false;
    return true;
}

yj_media_room_t *yj_media_room_get(yj_media_t *m, const char *id)
{
    if (!m || !valid_id(id))
        return NULL;
    g_mutex_lock(&m->lock);
    if (m->stopping) {
        g_mutex_unlock(&m->lock);
        return NULL;
    }
    yj_media_room_t *r = g_hash_table_lookup(m->rooms, id);
    if (r) {
        g_atomic_int_inc(&r->ref);
    } else {
        r = g_new0(yj_media_room_t, 1);
        r->ref = 1;
        r->m = m;
        g_strlcpy(r->id, id, sizeof r->id);
        g_mutex_init(&r->lock);
        g_rec_mutex_init(&r->cb_lock);
        r->peers = g_ptr_array_new();
        r->tracks = g_ptr_array_new();
        r->watches = g_array_new(FALSE, TRUE, sizeof(yj_watch_t));
        g_hash_table_insert(m->rooms, r->id, r);
        yj_counter_add(yj_m_rooms, 1);
    }
    g_mutex_unlock(&m->lock);
    return r;
}

yj_media_room_t *yj_media_room_ref(yj_media_room_t *room)
{
    g_atomic_int_inc(&room->ref);
    return room;
}

void yj_media_room_unref(yj_media_room_t *room)
{
    if (!room)
        return;
    yj_media_t *m = room->m;
    /* The engine lock makes "last reference" and "lookup" atomic. */
    g_mutex_lock(&m->lock);
    if (!g_atomic_int_dec_and_test(&room->ref)) {
        g_mutex_unlock(&m->lock);
        return;
    }
    g_hash_table_remove(m->rooms, room->id);
    g_mutex_unlock(&m->lock);
    yj_counter_add(yj_m_rooms, -1);
    g_ptr_array_free(room->peers, TRUE);
    for (guint i = 0; i < room->tracks->len; i++)
        yj_m_track_unref(room->tracks->pdata[i]);
    g_ptr_array_free(room->tracks, TRUE);
    g_array_free(room->watches, TRUE);
    g_mutex_clear(&room->lock);
    g_rec_mutex_clear(&room->cb_lock);
    g_free(room);
}

const char *yj_media_room_id(const yj_media_room_t *room)
{
    return room->id;
}

int yj_media_room_watch(yj_media_room_t *room, const yj_media_room_callbacks_t *cb, void *ud)
{
    if (!room || !cb)
        return YJ_EINVAL;
    g_rec_mutex_lock(&room->cb_lock);
    yj_watch_t w = {.id = ++room->next_watch, .cb = *cb, .ud = ud};
    g_array_append_val(room->watches, w);
    g_rec_mutex_unlock(&room->cb_lock);
    return w.id;
}

void yj_media_room_unwatch(yj_media_room_t *room, int watch_id)
{
    if (!room)
        return;
    g_rec_mutex_lock(&room->cb_lock);
    for (guint i = 0; i < room->watches->len; i++)
        if (g_array_index(room->watches, yj_watch_t, i).id == watch_id) {
            g_array_remove_index(room->watches, i);
            break;
        }
    g_rec_mutex_unlock(&room->cb_lock);
}

void yj_m_sfu_room_notify_tracks(yj_media_room_t *room)
{
    g_rec_mutex_lock(&room->cb_lock);
    for (guint i = 0; i < room->watches->len; i++) {
        yj_watch_t w = g_array_index(room->watches, yj_watch_t, i);
        if (w.cb.on_tracks_changed)
            w.cb.on_tracks_changed(room, w.ud);
    }
    g_rec_mutex_unlock(&room->cb_lock);
}

static void notify_speaker(yj_media_room_t *room, const char *peer_id)
{
    g_rec_mutex_lock(&room->cb_lock);
    for (guint i = 0; i < room->watches->len; i++) {
        yj_watch_t w = g_array_index(room->watches, yj_watch_t, i);
        if (w.cb.on_active_speaker)
            w.cb.on_active_speaker(room, peer_id, w.ud);
    }
    g_rec_mutex_unlock(&room->cb_lock);
}

int yj_media_room_tracks(yj_media_room_t *room, yj_media_track_info_t **out, size_t *n)
{
    if (!room || !out || !n)
        return YJ_EINVAL;
    g_mutex_lock(&room->lock);
    *n = room->tracks->len;
    *out = *n ? g_new0(yj_media_track_info_t, *n) : NULL;
    for (guint i = 0; i < room->tracks->len; i++) {
        yj_track_t *t = room->tracks->pdata[i];
        yj_media_track_info_t *o = &(*out)[i];
        g_mutex_lock(&t->lock);
        g_strlcpy(o->peer_id, t->pub ? t->pub->id : "", sizeof o->peer_id);
        g_strlcpy(o->track_id, t->id, sizeof o->track_id);
        o->kind = t->kind;
        g_strlcpy(o->codec,
                  t->codec == YJ_CODEC_OPUS   ? "opus"
                  : t->codec == YJ_CODEC_VP8  ? "VP8"
                  : t->codec == YJ_CODEC_H264 ? "H264"
                                              : "",
                  sizeof o->codec);
        o->layers = t->n_layers;
        o->muted = t->muted;
        g_mutex_unlock(&t->lock);
    }
    g_mutex_unlock(&room->lock);
    return 0;
}

void yj_media_room_active_speaker(yj_media_room_t *room, char *buf, size_t size)
{
    g_mutex_lock(&room->lock);
    g_strlcpy(buf, room->speaker, size);
    g_mutex_unlock(&room->lock);
}

int yj_m_sfu_room_add_peer(yj_media_room_t *room, yj_media_peer_t *p)
{
    g_mutex_lock(&room->lock);
    for (guint i = 0; i < room->peers->len; i++)
        if (strcmp(((yj_media_peer_t *)room->peers->pdata[i])->id, p->id) == 0) {
            g_mutex_unlock(&room->lock);
            return YJ_EEXIST;
        }
    g_ptr_array_add(room->peers, yj_m_worker_ref(p));
    g_mutex_unlock(&room->lock);
    return 0;
}

static bool track_live(yj_track_t *t)
{
    g_mutex_lock(&t->lock);
    bool live = t->pub != NULL;
    g_mutex_unlock(&t->lock);
    return live;
}

static bool slot_serves(yj_slot_t *s, yj_track_t *t)
{
    return s->track == t || s->pending_track == t;
}

static const char *codec_name(yj_codec_t c)
{
    return c == YJ_CODEC_OPUS   ? "opus"
           : c == YJ_CODEC_VP8  ? "VP8"
           : c == YJ_CODEC_H264 ? "H264"
                                : "";
}

bool yj_m_sfu_room_can_receive(const yj_media_peer_t *s, const yj_track_t *t)
{
    unsigned mask = (unsigned)g_atomic_int_get((gint *)&s->recv_codecs);
    unsigned kind = t->kind == YJ_MEDIA_VIDEO ? (1u << YJ_CODEC_VP8) | (1u << YJ_CODEC_H264)
                                              : 1u << YJ_CODEC_OPUS;
    if (!(mask & kind))
        return true; /* nothing known of this kind: a server offer will tell */
    return t->codec > YJ_CODEC_NONE && t->codec < YJ_CODEC_RTX && (mask & (1u << t->codec));
}

/* Tracks a subscriber is given, codec aside. */
static bool wants_kind(yj_media_peer_t *s, yj_track_t *t)
{
    return t->pub != s && !(s->audio_only && t->kind == YJ_MEDIA_VIDEO);
}

static bool wants(yj_media_peer_t *s, yj_track_t *t)
{
    return wants_kind(s, t) && yj_m_sfu_room_can_receive(s, t);
}

static void warn_codec(yj_media_room_t *room, yj_media_peer_t *s, yj_track_t *t)
{
    yj_warn("media",
            "room %s: %s cannot receive %s (%s) from %s: its offer has no compatible %s codec, "
            "so it gets no %s from that publisher",
            room->id, s->id, t->id, codec_name(t->codec), t->pub ? t->pub->id : "-",
            t->kind == YJ_MEDIA_VIDEO ? "video" : "audio",
            t->kind == YJ_MEDIA_VIDEO ? "video" : "audio");
}

void yj_m_sfu_room_warn_codecs(yj_media_room_t *room, yj_media_peer_t *p)
{
    if (!(p->flags & YJ_MEDIA_SUBSCRIBE))
        return;
    g_mutex_lock(&room->lock);
    for (guint i = 0; i < room->tracks->len; i++) {
        yj_track_t *t = room->tracks->pdata[i];
        if (wants_kind(p, t) && !yj_m_sfu_room_can_receive(p, t))
            warn_codec(room, p, t);
    }
    g_mutex_unlock(&room->lock);
}

int yj_m_sfu_room_unserved_locked(yj_media_room_t *room, yj_media_peer_t *p, yj_track_t **out,
                                  int max)
{
    int n = 0;
    if (!(p->flags & YJ_MEDIA_SUBSCRIBE))
        return 0;
    for (guint i = 0; i < room->tracks->len && n < max; i++) {
        yj_track_t *t = room->tracks->pdata[i];
        if (!wants(p, t))
            continue;
        bool served = false;
        for (guint k = 0; k < p->slots->len && !served; k++)
            served = slot_serves(p->slots->pdata[k], t);
        if (!served)
            out[n++] = t;
    }
    return n;
}

void yj_m_sfu_room_rebind_locked(yj_media_room_t *room)
{
    for (guint i = 0; i < room->peers->len; i++) {
        yj_media_peer_t *s = room->peers->pdata[i];
        if (!(s->flags & YJ_MEDIA_SUBSCRIBE) || g_atomic_int_get(&s->closed))
            continue;
        bool need = false;
        for (guint k = 0; k < s->slots->len; k++) {
            yj_slot_t *sl = s->slots->pdata[k];
            if (sl->track && (!track_live(sl->track) || !wants(s, sl->track))) {
                yj_m_router_unbind_locked(sl);
                need |= !sl->auto_bind;
            }
        }
        for (guint j = 0; j < room->tracks->len; j++) {
            yj_track_t *t = room->tracks->pdata[j];
            if (!wants(s, t))
                continue;
            bool served = false;
            for (guint k = 0; k < s->slots->len && !served; k++)
                served = slot_serves(s->slots->pdata[k], t);
            if (served)
                continue;
            yj_slot_t *free_slot = NULL;
            for (guint k = 0; k < s->slots->len && !free_slot; k++) {
                yj_slot_t *sl = s->slots->pdata[k];
                if (sl->auto_bind && sl->active && !sl->track && !sl->pending_track &&
                    sl->kind == t->kind && t->codec > YJ_CODEC_NONE && t->codec < YJ_CODEC_RTX &&
                    sl->pt_for[t->codec] >= 0)
                    free_slot = sl;
            }
            if (free_slot)
                yj_m_router_bind_locked(free_slot, t);
            else
                need = true;
        }
        if (need)
            s->up->need_negotiation(s);
    }
}

void yj_m_sfu_room_rebind(yj_media_room_t *room)
{
    g_mutex_lock(&room->lock);
    yj_m_sfu_room_rebind_locked(room);
    g_mutex_unlock(&room->lock);
}

void yj_m_sfu_room_add_slot(yj_media_room_t *room, yj_media_peer_t *p, yj_slot_t *s)
{
    g_mutex_lock(&room->lock);
    g_ptr_array_add(p->slots, s);
    g_mutex_unlock(&room->lock);
}

void yj_m_sfu_room_publish(yj_media_room_t *room, yj_media_peer_t *p, yj_track_t *t)
{
    g_mutex_lock(&room->lock);
    g_ptr_array_add(room->tracks, yj_m_track_ref(t));
    g_ptr_array_add(p->tracks, yj_m_track_ref(t));
    yj_m_sfu_room_rebind_locked(room);
    for (guint i = 0; i < room->peers->len; i++) {
        yj_media_peer_t *s = room->peers->pdata[i];
        if ((s->flags & YJ_MEDIA_SUBSCRIBE) && wants_kind(s, t) && !yj_m_sfu_room_can_receive(s, t))
            warn_codec(room, s, t);
    }
    g_mutex_unlock(&room->lock);
    yj_info("media", "room %s: %s publishes %s", room->id, p->id, t->id);
    yj_m_sfu_room_notify_tracks(room);
}

/* Removes t from the room and from every slot it feeds (room->lock). */
static void unpublish_locked(yj_media_room_t *room, yj_track_t *t)
{
    g_mutex_lock(&t->lock);
    yj_media_peer_t *pub = t->pub;
    t->pub = NULL;
    if (t->taps)
        yj_m_tap_end_all(t);
    g_mutex_unlock(&t->lock);
    if (pub && g_ptr_array_remove(pub->tracks, t))
        yj_m_track_unref(t);
    if (g_ptr_array_remove(room->tracks, t))
        yj_m_track_unref(t);
}

void yj_m_sfu_room_unpublish(yj_media_room_t *room, yj_track_t *t)
{
    g_mutex_lock(&room->lock);
    unpublish_locked(room, t);
    yj_m_sfu_room_rebind_locked(room);
    g_mutex_unlock(&room->lock);
    yj_m_sfu_room_notify_tracks(room);
}

void yj_m_sfu_room_remove_peer(yj_media_room_t *room, yj_media_peer_t *p)
{
    g_mutex_lock(&room->lock);
    bool had_tracks = p->tracks->len > 0;
    while (p->tracks->len > 0)
        unpublish_locked(room, p->tracks->pdata[0]);
    for (guint k = 0; k < p->slots->len; k++) {
        yj_slot_t *sl = p->slots->pdata[k];
        if (sl->track)
            yj_m_router_unbind_locked(sl);
        if (sl->pending_track) {
            yj_m_track_unref(sl->pending_track);
            sl->pending_track = NULL;
        }
    }
    bool was = g_ptr_array_remove(room->peers, p);
    if (strcmp(room->speaker, p->id) == 0)
        room->speaker[0] = 0;
    yj_m_sfu_room_rebind_locked(room);
    g_mutex_unlock(&room->lock);
    if (had_tracks)
        yj_m_sfu_room_notify_tracks(room);
    if (was)
        yj_m_worker_unref(p);
}

void yj_m_sfu_room_eval_speaker(yj_media_room_t *room, int64_t now_us)
{
    if (!g_mutex_trylock(&room->lock))
        return;
    if (now_us - room->last_eval_us < SPEAKER_EVAL_US) {
        g_mutex_unlock(&room->lock);
        return;
    }
    room->last_eval_us = now_us;
    /* The floor holder is the speaker, or while there is none the current
     * candidate: it keeps the floor unless someone is clearly louder. */
    const char *holder = room->speaker[0] ? room->speaker : room->candidate;
    char loudest[64] = "", held[64] = "";
    double best = -1, held_level = -1;
    for (guint i = 0; i < room->tracks->len; i++) {
        yj_track_t *t = room->tracks->pdata[i];
        if (t->kind != YJ_MEDIA_AUDIO)
            continue;
        g_mutex_lock(&t->lock);
        /* speaking: the fast level over the threshold; compared on the
         * ~2 s average, so two voices of similar loudness do not flap */
        bool speaking =
            !t->muted && now_us - t->level_us <= 1000000 && t->level > SPEAKER_MIN_LEVEL;
        double lv = speaking ? t->level_avg : 0;
        if (t->pub && speaking && lv > best) {
            best = lv;
            g_strlcpy(loudest, t->pub->id, sizeof loudest);
        }
        if (t->pub && speaking && holder[0] && strcmp(t->pub->id, holder) == 0 && lv > held_level) {
            held_level = lv;
            g_strlcpy(held, t->pub->id, sizeof held);
        }
        g_mutex_unlock(&t->lock);
    }
    const char *want = held[0] && best - held_level < SPEAKER_MARGIN ? held : loudest;
    char fire[64] = "";
    bool changed = false;
    if (strcmp(want, room->speaker) == 0) {
        room->candidate[0] = 0;
    } else if (strcmp(want, room->candidate) != 0) {
        g_strlcpy(room->candidate, want, sizeof room->candidate);
        room->candidate_since_us = now_us;
    } else if (now_us - room->candidate_since_us >= SPEAKER_HOLD_US) {
        g_strlcpy(room->speaker, want, sizeof room->speaker);
        g_strlcpy(fire, want, sizeof fire);
        room->candidate[0] = 0;
        changed = true;
    }
    g_mutex_unlock(&room->lock);
    if (changed) {
        yj_debug("media", "room %s: active speaker %s", room->id, fire[0] ? fire : "(none)");
        notify_speaker(room, fire[0] ? fire : NULL);
    }
}

yj_media_tap_t *yj_media_room_tap(yj_media_room_t *room, const char *track_id, int layer,
                                  const yj_media_tap_callbacks_t *cb, void *ud,
                                  yj_media_tap_info_t *info)
{
    if (!room || !track_id || !cb)
        return NULL;
    yj_track_t *t = NULL;
    g_mutex_lock(&room->lock);
    for (guint i = 0; i < room->tracks->len; i++) {
        yj_track_t *x = room->tracks->pdata[i];
        if (strcmp(x->id, track_id) == 0) {
            t = yj_m_track_ref(x);
            break;
        }
    }
    g_mutex_unlock(&room->lock);
    if (!t)
        return NULL;
    yj_media_tap_t *tap = yj_m_tap_attach(t, layer, cb, ud, info);
    yj_m_track_unref(t);
    return tap;
}
