/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transcode.h — one source into the HLS ladder with libav* (transcode.c).
 *
 * Internal to vod/ (see vod_internal.h for the convention): other folders
 * include vod/vod.h only.
 */
#ifndef YJ_VOD_TRANSCODE_H
#define YJ_VOD_TRANSCODE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *source;
    const char *outdir; /* must exist and be empty */
    int segment_seconds;
    const char *preset;
    void (*progress)(int percent, void *ud);
    void *ud;
    const int *cancel; /* atomic flag; non-zero stops the job */
} yj_transcode_opts_t;

typedef struct {
    int64_t duration_ms;
    int width, height; /* of the top rendition */
    char *renditions;  /* JSON array; g_free */
} yj_transcode_result_t;

int yj_vod_transcode(const yj_transcode_opts_t *o, yj_transcode_result_t *res, char *err,
                     size_t errlen);

#endif
