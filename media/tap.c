/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tap.c — the media tap (tap.h): hands the decrypted packets and sender
 * reports of one published track to another subsystem (recordings, IPTV).
 *
 * A track keeps its taps in a singly linked list under track->lock. The
 * publisher's worker delivers to them while it holds that lock (it holds
 * it anyway for the forwarding), so detaching under the same lock is the
 * whole of the no-callback-after-close guarantee: once yj_media_tap_close
 * has taken and released track->lock with the tap unlinked, no callback of
 * it runs or can start. When nobody taps a track the forwarding path pays
 * one pointer check (publisher.c); nothing here runs.
 *
 * The room finds the track (yj_media_room_tap in sfu_room.c); the tap
 * sits below the publisher, which delivers to it.
 *
 * OWNERSHIP: the tap owns a reference to its track (the track's memory
 * outlives the publisher until the tap is closed); the list links are
 * weak. A tap ended by its track (yj_m_tap_end_all) is unlinked there and
 * freed only by yj_media_tap_close.
 *
 * Must never: block or allocate in the delivery functions, call a tap's
 * callback without track->lock, or call one after on_end.
 */
#include "tap_internal.h"
#include "core/log.h"
#include "core/yj.h"

#include <string.h>

struct yj_media_tap {
    yj_media_tap_t *next; /* track->lock */
    yj_track_t *track;    /* ref */
    int layer;            /* layer index tapped */
    yj_media_tap_callbacks_t cb;
    void *ud;
    bool ended;       /* track->lock: on_end ran, unlinked */
    uint64_t packets; /* written under track->lock, read by anyone (relaxed atomics) */
};

static const char *codec_name(yj_codec_t c)
{
    return c == YJ_CODEC_OPUS   ? "opus"
           : c == YJ_CODEC_VP8  ? "VP8"
           : c == YJ_CODEC_H264 ? "H264"
                                : "";
}

/* t->lock held. */
static void fill_info(const yj_track_t *t, int layer, yj_media_tap_info_t *info)
{
    memset(info, 0, sizeof *info);
    if (t->pub)
        g_strlcpy(info->peer_id, t->pub->id, sizeof info->peer_id);
    g_strlcpy(info->track_id, t->id, sizeof info->track_id);
    info->kind = t->kind;
    g_strlcpy(info->codec, codec_name(t->codec), sizeof info->codec);
    info->payload_type = t->pt;
    info->clock_rate = t->clock;
    info->channels = t->kind == YJ_MEDIA_AUDIO ? (t->channels > 0 ? t->channels : 2) : 0;
    info->layer = t->n_layers > 1 ? layer : 0;
    info->layers = t->n_layers > 0 ? t->n_layers : 1;
    g_strlcpy(info->fmtp, t->fmtp, sizeof info->fmtp);
    info->audio_level_ext = t->kind == YJ_MEDIA_AUDIO ? t->ext_level : 0;
}

yj_media_tap_t *yj_m_tap_attach(yj_track_t *t, int layer, const yj_media_tap_callbacks_t *cb,
                                void *ud, yj_media_tap_info_t *info)
{
    yj_media_tap_t *tap = g_new0(yj_media_tap_t, 1);
    tap->track = yj_m_track_ref(t);
    tap->cb = *cb;
    tap->ud = ud;
    g_mutex_lock(&t->lock);
    if (!t->pub) { /* unpublished meanwhile */
        g_mutex_unlock(&t->lock);
        yj_m_track_unref(t);
        g_free(tap);
        return NULL;
    }
    int n = t->n_layers > 0 ? t->n_layers : 1;
    tap->layer = layer < 0 || layer >= n ? n - 1 : layer;
    if (info)
        fill_info(t, tap->layer, info);
    tap->next = t->taps;
    t->taps = tap;
    if (t->kind == YJ_MEDIA_VIDEO)
        yj_m_track_request_keyframe_locked(t, true);
    g_mutex_unlock(&t->lock);
    yj_info("media", "tap on %s layer %d", t->id, tap->layer);
    return tap;
}

void yj_m_tap_deliver_rtp(yj_track_t *t, int li, const uint8_t *pkt, size_t len)
{
    int64_t now = 0;
    for (yj_media_tap_t *tap = t->taps; tap; tap = tap->next) {
        if (tap->layer != li)
            continue;
        __atomic_add_fetch(&tap->packets, 1, __ATOMIC_RELAXED);
        if (!tap->cb.on_rtp)
            continue;
        if (!now)
            now = g_get_real_time();
        tap->cb.on_rtp(pkt, len, now, tap->ud);
    }
}

void yj_m_tap_deliver_sr(yj_track_t *t, int li, const yj_rtcp_item_t *sr)
{
    uint8_t buf[28];
    int n = -1;
    int64_t now = 0;
    for (yj_media_tap_t *tap = t->taps; tap; tap = tap->next) {
        if (tap->layer != li || !tap->cb.on_sr)
            continue;
        if (n < 0) {
            n = yj_rtcp_write_sr(buf, sizeof buf, sr->ssrc,
                                 (uint64_t)sr->ntp_sec << 32 | sr->ntp_frac, sr->rtp_ts,
                                 sr->packets, sr->octets, NULL, 0);
            if (n < 0)
                return;
            now = g_get_real_time();
        }
        tap->cb.on_sr(buf, (size_t)n, now, tap->ud);
    }
}

void yj_m_tap_end_all(yj_track_t *t)
{
    yj_media_tap_t *tap = t->taps;
    t->taps = NULL;
    while (tap) {
        yj_media_tap_t *next = tap->next;
        tap->ended = true;
        tap->next = NULL;
        if (tap->cb.on_end)
            tap->cb.on_end(tap->ud);
        tap = next;
    }
}

int yj_media_tap_request_keyframe(yj_media_tap_t *tap)
{
    if (!tap)
        return YJ_EINVAL;
    yj_track_t *t = tap->track;
    g_mutex_lock(&t->lock);
    bool ended = tap->ended;
    if (!ended)
        yj_m_track_request_keyframe_locked(t, false);
    g_mutex_unlock(&t->lock);
    return ended ? YJ_ESTATE : 0;
}

uint64_t yj_media_tap_packets(const yj_media_tap_t *tap)
{
    return tap ? __atomic_load_n(&tap->packets, __ATOMIC_RELAXED) : 0;
}

void yj_media_tap_close(yj_media_tap_t *tap)
{
    if (!tap)
        return;
    yj_track_t *t = tap->track;
    g_mutex_lock(&t->lock);
    if (!tap->ended)
        for (yj_media_tap_t **pp = &t->taps; *pp; pp = &(*pp)->next)
            if (*pp == tap) {
                *pp = tap->next;
                break;
            }
    g_mutex_unlock(&t->lock);
    yj_m_track_unref(t);
    g_free(tap);
}
