/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hls_live.h — inside iptv/: the live HLS window of a channel, written
 * from the same TS packets the sender sends (keyframe-aligned segments
 * that start with PAT/PMT, a sliding window playlist live.m3u8 (the name
 * GET /iptv/{id}/live.m3u8 serves, lists.c) with
 * EXT-X-PROGRAM-DATE-TIME). Used by the producer thread only.
 */
#ifndef YJ_IPTV_HLS_LIVE_H
#define YJ_IPTV_HLS_LIVE_H

#include <stdint.h>

typedef struct yj_iptv_hls yj_iptv_hls_t;

/* Writes into dir (created if missing): segments of at least target_s
 * seconds (cut at the first keyframe after), window segments in the
 * playlist. NULL with *err (g_free). */
yj_iptv_hls_t *yj_iptv_hls_new(const char *dir, int target_s, int window, char **err);
/* One 188-byte packet of the channel and its on-air UTC time (ms). */
void yj_iptv_hls_packet(yj_iptv_hls_t *h, const uint8_t *pkt, int64_t utc_ms);
/* Closes (the open segment is dropped; the window stays on disk). */
void yj_iptv_hls_free(yj_iptv_hls_t *h);

#endif
