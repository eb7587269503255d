/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign.h — signed playback URLs.
 *
 * A playback URL is /hls/{lesson}/{who}/{exp}/{sig}/{file}: who is an
 * opaque per-viewer tag (a keyed hash of the member's identity number, so
 * no identity number ends up in a cache's log), exp a Unix time, and sig
 * the HMAC-SHA256 (base64url) of "lesson/who/exp" under the server's key.
 * Every file of the lesson (master and media playlists, segments, poster)
 * shares the prefix, so relative URIs inside playlists keep working, a
 * cache can hold each object, and checking a request needs one HMAC and no
 * database lookup. Pure functions; the key is passed in.
 */
#ifndef YJ_VOD_SIGN_H
#define YJ_VOD_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YJ_VOD_KEY_BYTES 32

/* The viewer tag for a member (or "a<admin id>" for previews): 16
 * base64url characters. out must hold 17 bytes. */
void yj_vod_sign_viewer_tag(const unsigned char *key, size_t keylen, const char *viewer,
                            char out[17]);

/* Signature of lesson/who/exp; newly allocated (g_free), NULL on error. */
char *yj_vod_sign(const unsigned char *key, size_t keylen, int64_t lesson, const char *who,
                  int64_t exp);

/* The URL path prefix "/hls/LESSON/WHO/EXP/SIG/" (g_free). exp is rounded up
 * to a multiple of bucket seconds past now + ttl so one viewer gets the
 * same URL (and browser cache hits) for a while. */
char *yj_vod_sign_url_prefix(const unsigned char *key, size_t keylen, int64_t lesson,
                             const char *viewer, int64_t now, int64_t ttl, int64_t bucket);

typedef enum {
    YJ_SIGN_OK = 0,
    YJ_SIGN_BAD,     /* malformed or forged */
    YJ_SIGN_EXPIRED, /* well signed, but past exp */
} yj_sign_result_t;

/* Checks the path parts of a request at time now. Constant-time on sig. */
yj_sign_result_t yj_vod_sign_verify(const unsigned char *key, size_t keylen, const char *lesson,
                                    const char *who, const char *exp, const char *sig, int64_t now);

/* True when rel is a file name a lesson folder can hold: "master.m3u8",
 * "poster.jpg", or "<rendition>/index.m3u8" / "<rendition>/segNNNNN.ts"
 * with a rendition name of [a-z0-9]{1,16}. Everything else (.., encoded
 * variants, absolute paths, other names) is refused. */
bool yj_vod_sign_file_allowed(const char *rel);

#endif
