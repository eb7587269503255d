/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve.c — GET /hls/{lesson}/{who}/{exp}/{sig}/{file}: v->serve_playlists,
 * segments and the poster, straight from the lesson's folder.
 *
 * A request is checked with one HMAC (sign.c) and a whitelist of file
 * names — no database lookup. Segments and the poster are served by
 * yj_req_reply_file: sendfile, a single Range, ETag/Last-Modified and
 * 304s, `public, max-age=31536000, immutable`. Playlists are tiny and
 * fetched far more often, so they are kept in memory once read and sent
 * with their headers in one write (same ETag and Last-Modified as the file,
 * same 304 rules; a Range on a playlist is ignored, which HTTP allows);
 * they may be cached only until the URL expires. Successful signature
 * checks are remembered too (keyed by the whole signed prefix), so a
 * player fetching segment after segment costs one HMAC per URL, not per
 * request. A bad or forged signature is 403, an expired one 403 with code
 * "expired", and any other file name (.., encoded variants, other files)
 * 404. Deleting a lesson drops its cached playlists (yj_vod_serve_forget).
 */
#include "serve.h"
#include "sign.h"
#include "vod_internal.h"
#include "core/yj.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IMMUTABLE "public, max-age=31536000, immutable"
#define MAX_PLAYLIST (256 * 1024)
#define MAX_CACHED 4096 /* entries per cache; both are cleared when full */

typedef struct {
    char *data;
    size_t len;
    char etag[64], lm[64];
} playlist_t;

static void playlist_free(gpointer p)
{
    playlist_t *pl = p;
    g_free(pl->data);
    g_free(pl);
}

/* The caches (yj_vod_t's serve_*, guarded by serve_lock). */
static void ensure_tables(yj_vod_t *v)
{
    if (!v->serve_playlists) {
        v->serve_playlists = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, playlist_free);
        v->serve_verified = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    }
}

void yj_vod_serve_forget(yj_vod_t *v, int64_t lesson_id)
{
    char prefix[32];
    g_snprintf(prefix, sizeof prefix, "%" G_GINT64_FORMAT "/", lesson_id);
    g_mutex_lock(&v->serve_lock);
    if (v->serve_playlists) {
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, v->serve_playlists);
        while (g_hash_table_iter_next(&it, &k, NULL))
            if (g_str_has_prefix(k, prefix))
                g_hash_table_iter_remove(&it);
    }
    g_mutex_unlock(&v->serve_lock);
}

void yj_vod_serve_clear(yj_vod_t *v)
{
    g_mutex_lock(&v->serve_lock);
    if (v->serve_playlists) {
        g_hash_table_destroy(v->serve_playlists);
        g_hash_table_destroy(v->serve_verified);
        v->serve_playlists = v->serve_verified = NULL;
    }
    g_mutex_unlock(&v->serve_lock);
}

static yj_sign_result_t check(yj_vod_t *v, yj_req_t *req, const char *lesson, int64_t now)
{
    const char *who = yj_req_param(req, "who"), *exp = yj_req_param(req, "exp"),
               *sig = yj_req_param(req, "sig");
    g_autofree char *key = g_strjoin("/", lesson, who, exp, sig, NULL);
    g_mutex_lock(&v->serve_lock);
    ensure_tables(v);
    int64_t *e = g_hash_table_lookup(v->serve_verified, key);
    int64_t known = e ? *e : -1;
    g_mutex_unlock(&v->serve_lock);
    if (known >= 0)
        return known < now ? YJ_SIGN_EXPIRED : YJ_SIGN_OK;
    yj_sign_result_t s =
        yj_vod_sign_verify((const unsigned char *)v->key, v->keylen, lesson, who, exp, sig, now);
    if (s == YJ_SIGN_OK) {
        int64_t *boxed = g_new(int64_t, 1);
        *boxed = g_ascii_strtoll(exp, NULL, 10);
        g_mutex_lock(&v->serve_lock);
        ensure_tables(v);
        if (g_hash_table_size(v->serve_verified) >= MAX_CACHED)
            g_hash_table_remove_all(v->serve_verified);
        g_hash_table_replace(v->serve_verified, g_steal_pointer(&key), boxed);
        g_mutex_unlock(&v->serve_lock);
    }
    return s;
}

/* Reads a playlist into a new cache entry; NULL if missing or too big. */
static playlist_t *load_playlist(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return NULL;
    playlist_t *pl = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= MAX_PLAYLIST) {
        pl = g_new0(playlist_t, 1);
        pl->data = g_malloc((size_t)st.st_size + 1);
        ssize_t n = read(fd, pl->data, (size_t)st.st_size);
        if (n != st.st_size) {
            playlist_free(pl);
            pl = NULL;
        } else {
            pl->len = (size_t)n;
            /* The same validators yj_req_reply_file would send. */
            g_snprintf(pl->etag, sizeof pl->etag, "\"%llx-%llx-%lx\"",
                       (unsigned long long)st.st_ino, (unsigned long long)st.st_size,
                       (long)st.st_mtime);
            struct tm tm;
            gmtime_r(&st.st_mtime, &tm);
            strftime(pl->lm, sizeof pl->lm, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        }
    }
    close(fd);
    return pl;
}

static int reply_playlist(yj_vod_t *v, yj_req_t *req, const char *lesson, const char *file,
                          int64_t exp, int64_t now)
{
    g_autofree char *key = g_strjoin("/", lesson, file, NULL);
    g_mutex_lock(&v->serve_lock);
    ensure_tables(v);
    playlist_t *pl = g_hash_table_lookup(v->serve_playlists, key);
    char *data = NULL;
    size_t len = 0;
    char etag[64] = "", lm[64] = "";
    if (pl) {
        data = g_memdup2(pl->data, pl->len);
        len = pl->len;
        memcpy(etag, pl->etag, sizeof etag);
        memcpy(lm, pl->lm, sizeof lm);
    }
    g_mutex_unlock(&v->serve_lock);
    if (!data) {
        g_autofree char *path = g_build_filename(v->lessons_dir, lesson, file, NULL);
        playlist_t *fresh = load_playlist(path);
        if (!fresh)
            return yj_req_reply_error(req, 404, "not_found", NULL, "no such file");
        data = g_memdup2(fresh->data, fresh->len);
        len = fresh->len;
        memcpy(etag, fresh->etag, sizeof etag);
        memcpy(lm, fresh->lm, sizeof lm);
        g_mutex_lock(&v->serve_lock);
        ensure_tables(v);
        if (g_hash_table_size(v->serve_playlists) >= MAX_CACHED)
            g_hash_table_remove_all(v->serve_playlists);
        g_hash_table_replace(v->serve_playlists, g_steal_pointer(&key), fresh);
        g_mutex_unlock(&v->serve_lock);
    }
    char cc[64];
    g_snprintf(cc, sizeof cc, "public, max-age=%" G_GINT64_FORMAT, MAX(exp - now, 0));
    yj_req_add_header(req, "ETag", etag);
    yj_req_add_header(req, "Last-Modified", lm);
    yj_req_add_header(req, "Cache-Control", cc);
    const char *inm = yj_req_header(req, "If-None-Match");
    const char *ims = yj_req_header(req, "If-Modified-Since");
    int rc;
    if ((inm && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0)) ||
        (!inm && ims && strcmp(ims, lm) == 0))
        rc = yj_req_reply_data(req, 304, "application/vnd.apple.mpegurl", "", 0);
    else
        rc = yj_req_reply_data(req, 200, "application/vnd.apple.mpegurl", data, len);
    g_free(data);
    return rc;
}

static int hls_get(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    const char *lesson = yj_req_param(req, "lesson"), *file = yj_req_param(req, "file");
    if (!yj_vod_sign_file_allowed(file))
        return yj_req_reply_error(req, 404, "not_found", NULL, "no such file");
    int64_t now = yj_now();
    yj_sign_result_t s = check(v, req, lesson, now);
    if (s == YJ_SIGN_BAD)
        return yj_req_reply_error(req, 403, "bad_signature", NULL,
                                  "this playback link is not valid");
    if (s == YJ_SIGN_EXPIRED)
        return yj_req_reply_error(req, 403, "expired", NULL,
                                  "this playback link has expired; open the lesson again");
    if (g_str_has_suffix(file, ".m3u8"))
        return reply_playlist(v, req, lesson, file,
                              g_ascii_strtoll(yj_req_param(req, "exp"), NULL, 10), now);
    g_autofree char *path = g_build_filename(v->lessons_dir, lesson, file, NULL);
    return yj_req_reply_file(req, path, NULL, IMMUTABLE);
}

int yj_vod_serve_register(yj_vod_t *v, yj_http_t *http)
{
    return yj_http_route(http, "GET", "/hls/{lesson}/{who}/{exp}/{sig}/{file*}",
                         YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0, hls_get, v)
               ? YJ_EINVAL
               : 0;
}
