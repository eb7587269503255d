/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tap.h — the media tap: how other subsystems (recordings, IPTV live
 * lectures) receive the packets of a track published in a room.
 *
 * A tap is attached to one published track (and, for a simulcast video
 * track, one layer). It receives every decrypted RTP packet of that track
 * exactly as the publisher sent it (original SSRC, sequence number,
 * timestamp and payload type; header extensions included) and every RTCP
 * sender report of that SSRC, then one end-of-track call when the
 * publisher leaves or stops publishing the track.
 *
 * THREADS: callbacks run on the publisher's media worker, in the middle
 * of the forwarding path. A callback must only copy what it needs into
 * its own bounded queue and return: no disk, no network, no locks that
 * another thread may hold for long, no media calls. A full queue drops
 * and counts; it never waits.
 *
 * The tap never changes what subscribers receive, and taps are not
 * counted as subscribers. While a host mutes the track (what subscribers
 * receive stops), the tap receives nothing either.
 *
 * Each sequence number is delivered at most once: a retransmission (RTX,
 * unwrapped to the original SSRC, sequence number and payload type) is
 * delivered only when it fills a gap the server was waiting for; a
 * duplicate or a packet older than the loss-recovery window is not.
 */
#ifndef YJ_MEDIA_TAP_H
#define YJ_MEDIA_TAP_H

#include "media/media.h"

#include <stddef.h>
#include <stdint.h>

typedef struct yj_media_tap yj_media_tap_t;

/* What a tap is bound to; filled once when the tap is created. */
typedef struct {
    char peer_id[64]; /* publisher */
    char track_id[80];
    yj_media_kind_t kind;
    char codec[16];      /* "opus", "VP8", "H264" */
    int payload_type;    /* the publisher's RTP payload type for codec */
    int clock_rate;      /* 48000 for Opus, 90000 for video */
    int channels;        /* Opus: 2; video: 0 */
    int layer;           /* simulcast layer tapped (0 lowest); 0 if none */
    int layers;          /* layers the track has (1 when no simulcast) */
    char fmtp[128];      /* the publisher's a=fmtp for payload_type ("" if none) */
    int audio_level_ext; /* header extension id of ssrc-audio-level, 0: none */
} yj_media_tap_info_t;

typedef struct {
    /* One decrypted RTP packet (header and payload). pkt is valid only
     * during the call. arrival_us: wall clock (g_get_real_time) at
     * receipt. Retransmissions (RTX) are delivered unwrapped, as the
     * original packet, at most once per sequence number. */
    void (*on_rtp)(const uint8_t *pkt, size_t len, int64_t arrival_us, void *ud);
    /* One RTCP sender report for the tapped SSRC, as its own compound
     * packet of exactly one SR (28 bytes, no report blocks). */
    void (*on_sr)(const uint8_t *pkt, size_t len, int64_t arrival_us, void *ud);
    /* The track ended (publisher left, track removed, room closed). No
     * callback of this tap runs after this one; the owner still calls
     * yj_media_tap_close to free the tap. */
    void (*on_end)(void *ud);
} yj_media_tap_callbacks_t;

/* Attaches a tap to the published track track_id of room. layer: the
 * simulcast layer to tap (0 lowest, -1 the highest the track has; for a
 * track without simulcast any value means its only stream). cb is copied;
 * ud is borrowed until yj_media_tap_close returns. *info (optional) is
 * filled. Returns NULL when no such track is published. A keyframe is
 * requested from the publisher at once so the tap starts decodable.
 * [any thread, non-blocking] */
yj_media_tap_t *yj_media_room_tap(yj_media_room_t *room, const char *track_id, int layer,
                                  const yj_media_tap_callbacks_t *cb, void *ud,
                                  yj_media_tap_info_t *info);

/* Asks the publisher for a keyframe (PLI) on behalf of the tap, subject
 * to the track's usual rate limit. 0, or YJ_ESTATE after the track ended.
 * [any thread, non-blocking] */
int yj_media_tap_request_keyframe(yj_media_tap_t *tap);

/* RTP packets delivered to the tap so far (for the owner's metrics). */
uint64_t yj_media_tap_packets(const yj_media_tap_t *tap);

/* Detaches and frees the tap. After it returns no callback of this tap
 * runs or is running (unless called from inside one of its own
 * callbacks, where it is forbidden: it would deadlock). It may wait for
 * a callback in progress on the publisher's worker. NULL: no-op.
 * [any thread] */
void yj_media_tap_close(yj_media_tap_t *tap);

#endif
