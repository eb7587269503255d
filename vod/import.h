/* SPDX-License-Identifier: Apache-2.0 */
/*
 * import.h — resumable chunked uploads, server-path import and probing (import.c).
 *
 * Internal to vod/ (see vod_internal.h for the convention): other folders
 * include vod/vod.h only.
 */
#ifndef YJ_VOD_IMPORT_H
#define YJ_VOD_IMPORT_H

#include "vod_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Registers import.c's routes on http (user data: v). 0 or YJ_EINVAL. */
int yj_vod_import_register(yj_vod_t *v, yj_http_t *http);

/* The resumable upload's ?offset=N (import.c, PUT /api/v1/uploads/{id}):
 * decimal digits only, no sign or space. 0 with *off set, or YJ_EINVAL
 * (400 invalid_offset). Exposed for tests/unit and tests/fuzz. */
int yj_vod_import_parse_offset(const char *s, int64_t *off);
/* May a chunk of len bytes at off be written to an upload of size bytes
 * that has received bytes? 0: yes, and off + len <= size; YJ_ESTATE: off
 * is not the received offset (409 offset_mismatch); YJ_EINVAL: the chunk
 * goes past the declared size (400 too_much_data). */
int yj_vod_import_check_chunk(int64_t off, size_t len, int64_t received, int64_t size);

/* A probed media file. */
typedef struct {
    int64_t duration_ms;
    int width, height; /* display size of the video (0, 0: audio only) */
    bool has_audio;
    bool audio_only; /* no video: only yj_vod_import_probe_media accepts it */
    char video_codec[32];
    char format[64];
} yj_vod_import_probe_t;

/* Opens path with libavformat (local files only, common containers only),
 * requires a decodable video stream and decodes its first frame. Returns 0
 * or YJ_EMEDIA with a one-line reason in err. */
int yj_vod_import_probe(const char *path, yj_vod_import_probe_t *p, char *err, size_t errlen);
/* As yj_vod_import_probe, but a file with no video and a decodable audio
 * stream is accepted too (audio_only: an audio lesson). For other
 * subsystems' files (yj_vod_import_file: recorded meetings where nobody
 * had a camera on); uploads stay video only. */
int yj_vod_import_probe_media(const char *path, yj_vod_import_probe_t *p, char *err, size_t errlen);

/* libavformat options that keep a hostile file from reaching other files
 * or the network (protocol whitelist, container whitelist). */
struct AVDictionary;
void yj_vod_import_safe_options(struct AVDictionary **opts);

#endif
