/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve.c — GET /hls/{lesson}/{who}/{exp}/{sig}/{file}: playlists,
 * segments and the poster, straight from the lesson's folder.
 *
 * A request is checked with one HMAC (sign.c) and a whitelist of file
 * names — no database lookup — and then served by yj_req_reply_file:
 * sendfile, a single Range, ETag/Last-Modified and 304s. Segments and the
 * poster never change, so they are `public, max-age=31536000, immutable`;
 * playlists may be cached only until the URL expires. A bad or forged
 * signature is 403, an expired one 403 with code "expired", and any other
 * file name (.., encoded variants, other files) 404.
 */
#include "vod_internal.h"
#include "sign.h"
#include "core/yj.h"

#include <string.h>

#define IMMUTABLE "public, max-age=31536000, immutable"

static int hls_get(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    const char *lesson = yj_req_param(req, "lesson"), *file = yj_req_param(req, "file");
    if (!yj_vod_file_allowed(file))
        return yj_req_reply_error(req, 404, "not_found", NULL, "no such file");
    int64_t now = yj_now();
    yj_sign_result_t s =
        yj_vod_verify((const unsigned char *)v->key, v->keylen, lesson, yj_req_param(req, "who"),
                      yj_req_param(req, "exp"), yj_req_param(req, "sig"), now);
    if (s == YJ_SIGN_BAD)
        return yj_req_reply_error(req, 403, "bad_signature", NULL,
                                  "this playback link is not valid");
    if (s == YJ_SIGN_EXPIRED)
        return yj_req_reply_error(req, 403, "expired", NULL,
                                  "this playback link has expired; open the lesson again");
    g_autofree char *path = g_build_filename(v->lessons_dir, lesson, file, NULL);
    if (g_str_has_suffix(file, ".m3u8")) {
        int64_t exp = g_ascii_strtoll(yj_req_param(req, "exp"), NULL, 10);
        char cc[64];
        g_snprintf(cc, sizeof cc, "public, max-age=%" G_GINT64_FORMAT, MAX(exp - now, 0));
        return yj_req_reply_file(req, path, "application/vnd.apple.mpegurl", cc);
    }
    return yj_req_reply_file(req, path, NULL, IMMUTABLE);
}

int yj_vod_serve_register(yj_vod_t *v, yj_http_t *http)
{
    return yj_http_route(http, "GET", "/hls/{lesson}/{who}/{exp}/{sig}/{file*}",
                         YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0, hls_get, v)
               ? YJ_EINVAL
               : 0;
}
