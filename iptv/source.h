/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source.h — inside iptv/: what the playout reads access units from.
 *
 * A source yields H.264 (Annex B) and AAC (ADTS) access units in its own
 * 90 kHz timeline that starts at 0 on a video keyframe; the playout maps
 * that timeline onto the muxer's so PTS keeps rising across programmes.
 * Sources are opened on the playout's lookahead thread (they may read
 * files) and then read on its producer thread; one owner at a time.
 * Internal to iptv/ (yj_iptv_src_ prefix), not part of playout.h.
 */
#ifndef YJ_IPTV_SOURCE_H
#define YJ_IPTV_SOURCE_H

#include "iptv/playout.h"
#include "iptv/ts_mux.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct yj_iptv_src yj_iptv_src_t;

typedef struct {
    yj_ts_stream_t st;
    const uint8_t *data; /* owned by the source, valid until the next read */
    size_t len;
    int64_t pts, dts; /* 90 kHz, source timeline (0 = first keyframe) */
    int64_t duration; /* 90 kHz, 0 if unknown */
    bool key;
} yj_iptv_au_t;

/* Reads the next access unit: 1 with *au, 0 at the end, 2 when a live
 * source has nothing yet (ask again later), YJ_EMEDIA when the media
 * turned out corrupt or unreadable. */
int yj_iptv_src_read(yj_iptv_src_t *s, yj_iptv_au_t *au);
void yj_iptv_src_free(yj_iptv_src_t *s);

/* A library lesson: master is its master.m3u8 (or a media playlist). The
 * rendition with the highest BANDWIDTH ≤ mux_bitrate × 0.85 is picked
 * (else the lowest with video). Starts at the segment holding offset_ms
 * (resume after a restart); *remaining_ms (if not NULL) gets the media
 * left from there. NULL with *err (g_free) when the playlist or its first
 * segment cannot be read. */
yj_iptv_src_t *yj_iptv_src_lesson_open(const char *master, int mux_bitrate, int64_t offset_ms,
                                       int64_t *remaining_ms, char **err);
/* The rendition's playlist path that would be chosen (g_free), or NULL. */
char *yj_iptv_lesson_pick(const char *master, int mux_bitrate, int *bandwidth);

/* A slate clip: a few seconds of H.264 + AAC with text rendered by
 * GStreamer (textoverlay with font "Noto Sans CJK SC"). Shared and
 * refcounted; a source loops it forever. */
typedef struct yj_iptv_slate yj_iptv_slate_t;
/* Renders text (lines separated by \n) in w×h; NULL with *err. Slow
 * (about a second of CPU): call on the lookahead thread. */
yj_iptv_slate_t *yj_iptv_slate_render(const char *text, int w, int h, int video_bitrate,
                                      char **err);
/* The slate's background (opaque ARGB) and the roll-call card's. */
#define YJ_IPTV_SLATE_COLOUR 0xFF1E3A5Fu
#define YJ_IPTV_CARD_COLOUR 0xFF8B1A1Au
/* The same clip on another background colour (the roll-call card). */
yj_iptv_slate_t *yj_iptv_card_render(const char *text, uint32_t argb, int w, int h,
                                     int video_bitrate, char **err);
yj_iptv_slate_t *yj_iptv_slate_ref(yj_iptv_slate_t *sl);
void yj_iptv_slate_unref(yj_iptv_slate_t *sl);
/* A source looping sl (takes a reference). */
yj_iptv_src_t *yj_iptv_src_slate_open(yj_iptv_slate_t *sl);

/* The roll-call card over a programme's source, in that source's own
 * timeline: card (referenced) loops from `at` (the inner timeline's time
 * after everything read so far: a keyframe of the card starts there) for
 * at least `duration` (90 kHz); meanwhile the inner source runs on
 * unseen (its access units are read and dropped, so the programme keeps
 * its place in the schedule), and it comes back on its first video
 * keyframe after the card's last frame, the card looping until then.
 * Audio of the inner source that would not follow the card's strictly is
 * dropped. Takes inner (freed with the result). Never NULL. */
yj_iptv_src_t *yj_iptv_src_card_open(yj_iptv_src_t *inner, yj_iptv_slate_t *card, int64_t at,
                                     int64_t duration);

/* An external MPEG-TS feed: url "udp://[source@]address:port" or
 * "rtp://…" (multicast is joined, source-specific when a source is
 * given), programme number `program` (0: the first in the PAT). Shows
 * slate (referenced) until the feed's first keyframe and whenever it stops
 * for 500 ms. label names the channel in /metrics. NULL with *err on a bad
 * URL or socket error. */
yj_iptv_src_t *yj_iptv_src_feed_open(const char *url, int program, yj_iptv_slate_t *slate,
                                     const char *label, char **err);
/* The feed's demuxer alone over data cut into 1316-byte datagrams (for
 * the fuzz target); returns the access units it found. */
size_t yj_iptv_feed_demux_run(const uint8_t *data, size_t size, int program);

/* A live lecture: the speaker of meeting (the host while the host
 * publishes video, else whoever is on, else the active speaker, else the
 * first publisher with video) tapped from its media room (ops), decoded
 * and encoded to H.264 + AAC sized for mux_bitrate on the source's own
 * threads (never a media worker). Shows slate (referenced) until the
 * first keyframe and whenever no speaker publishes; returns to the
 * speaker on their next keyframe. DTS strictly rises per stream. label
 * names the channel in logs and /metrics. NULL with *err when GStreamer
 * lacks an element. [opened on the lookahead thread, read on the
 * producer thread] */
yj_iptv_src_t *yj_iptv_src_live_open(const yj_iptv_live_ops_t *ops, void *ud, int64_t meeting,
                                     int mux_bitrate, yj_iptv_slate_t *slate, const char *label,
                                     char **err);
/* What the live source encodes for a channel of mux_bitrate: frame size
 * and the video encoder's bit rate (for the bench). */
void yj_iptv_live_geometry(int mux_bitrate, int *w, int *h, int *video_bitrate);
/* The GStreamer description the live source runs (g_free): appsrc vsrc
 * (RTP video_codec "VP8"/"H264" with video_pt) → … → appsink vsink
 * (H.264 Annex B); with audio_pt ≥ 0 also appsrc asrc (RTP Opus) → … →
 * appsink asink (AAC ADTS). Shared with bench/iptv. */
char *yj_iptv_live_pipeline_desc(const char *video_codec, int video_pt, int audio_pt,
                                 int mux_bitrate);

/* The source vtable, for source_*.c only. */
typedef struct {
    int (*read)(void *impl, yj_iptv_au_t *au);
    void (*free)(void *impl);
} yj_iptv_src_ops_t;
yj_iptv_src_t *yj_iptv_src_wrap(const yj_iptv_src_ops_t *ops, void *impl);

#endif
