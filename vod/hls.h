/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hls.h — HLS packaging: the master playlist from the renditions (hls.c).
 *
 * Internal to vod/ (see vod_internal.h for the convention): other folders
 * include vod/vod.h only.
 */
#ifndef YJ_VOD_HLS_H
#define YJ_VOD_HLS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char name[16];
    bool video;
    int width, height;
    double fps;
    char codecs[64]; /* "avc1.4d401f,mp4a.40.2" */
} yj_hls_rendition_t;

/* Measures each rendition's media playlist (peak and average bit rate
 * from segment sizes and EXTINF durations), writes outdir/master.m3u8 and
 * returns the renditions as a JSON array string (g_free) or NULL with
 * err set. */
char *yj_hls_write_master(const char *outdir, const yj_hls_rendition_t *r, size_t n, char *err,
                          size_t errlen);

#endif
