/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lists.c — the routes a set-top box or player reads: the channel list as
 * M3U (GET /api/v1/channels.m3u, form=hls or multicast), the XMLTV guide
 * of the coming days (GET /api/v1/epg.xml) and each channel's live HLS
 * window (GET /iptv/{id}/{file}, from <data>/iptv/<id>/hls/, written by
 * the playout).
 *
 * Each answers an administrator or member signed in, or a station's
 * ?key=; a station's links carry its key on, so a box that was given one
 * URL needs nothing else. Live playlists are rewritten on the way out
 * for a key (each URI gets ?key=…) and may be cached for one second;
 * segments never change once written and are immutable, as VOD's are.
 */
#include "iptv_internal.h"
#include "api.h"
#include "lists.h"
#include "core/yj.h"

#include <string.h>

#define PLAYLIST_CC "public, max-age=1"
#define SEGMENT_CC "public, max-age=31536000, immutable"
#define MAX_PLAYLIST (256 * 1024)

static const char *base_url(yj_iptv_t *v)
{
    return v->app->public_url ? v->app->public_url : "";
}

/* "?key=…" or "&key=…" for a station, "" otherwise (g_free). */
static char *key_arg(const yj_iptv_viewer_t *who, char sep)
{
    if (!who->station_id)
        return g_strdup("");
    g_autofree char *esc = g_uri_escape_string(who->key, NULL, FALSE);
    return g_strdup_printf("%ckey=%s", sep, esc);
}

/* GET /api/v1/channels.m3u?form=hls|multicast */
static int m3u(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    if (yj_iptv_viewer(v, req, &who))
        return 0;
    const char *form = yj_req_query(req, "form");
    bool mc = form && !strcmp(form, "multicast");
    if (form && !mc && strcmp(form, "hls"))
        return yj_req_reply_error(req, 400, "invalid_form", "form", "form is hls or multicast");
    GArray *all = g_array_new(FALSE, TRUE, sizeof(yj_iptv_channel_t));
    int rc = yj_iptv_store_channels(v->store, who.admin_path, who.viewer_path, all);
    if (rc) {
        g_array_free(all, TRUE);
        return rc;
    }
    yj_m3u_channel_t *ch = g_new0(yj_m3u_channel_t, all->len + 1);
    GPtrArray *urls = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *karg = key_arg(&who, '?');
    for (guint i = 0; i < all->len; i++) {
        yj_iptv_channel_t *c = &g_array_index(all, yj_iptv_channel_t, i);
        char *url;
        if (mc) {
            json_t *j = yj_iptv_channel_json(v, c, false);
            url = g_strdup(json_string_value(json_object_get(j, "url")));
            json_decref(j);
        } else {
            url = g_strdup_printf("%s/iptv/%" G_GINT64_FORMAT "/live.m3u8%s", base_url(v), c->id,
                                  karg);
        }
        g_ptr_array_add(urls, url);
        ch[i] = (yj_m3u_channel_t){c->id, c->number, c->name, c->group, c->logo_url, url};
    }
    g_autofree char *epg = g_strdup_printf("%s/api/v1/epg.xml%s", base_url(v), karg);
    g_autofree char *doc = yj_iptv_m3u_write(ch, all->len, epg);
    g_free(ch);
    g_ptr_array_free(urls, TRUE);
    g_array_free(all, TRUE);
    yj_req_add_header(req, "Cache-Control", "no-cache");
    yj_req_add_header(req, "Content-Disposition", "inline; filename=\"yuanjiao.m3u\"");
    return yj_req_reply_data(req, 200, "audio/x-mpegurl; charset=utf-8", doc, strlen(doc));
}

typedef struct {
    GArray *progs; /* yj_xmltv_programme_t */
    const char *channel_id;
    GPtrArray *owned;
} epg_ctx_t;

static void epg_occ(const yj_iptv_entry_t *e, int64_t occ, int64_t start, int64_t end, void *ud)
{
    epg_ctx_t *x = ud;
    (void)occ;
    yj_xmltv_programme_t p = {x->channel_id, start, end, e->title, e->description};
    if (e->loop && (!p.desc || !*p.desc)) {
        char *d = g_strdup_printf("循环播放课程：%s", e->title ? e->title : "");
        g_ptr_array_add(x->owned, d);
        p.desc = d;
    }
    g_array_append_val(x->progs, p);
}

/* GET /api/v1/epg.xml?days=7 */
static int epg(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    if (yj_iptv_viewer(v, req, &who))
        return 0;
    const char *ds = yj_req_query(req, "days");
    int days = 7;
    if (ds) {
        char *end = NULL;
        long d = strtol(ds, &end, 10);
        if (!*ds || *end || d < 1 || d > 14)
            return yj_req_reply_error(req, 400, "invalid_days", "days", "days is 1 to 14");
        days = (int)d;
    }
    GArray *all = g_array_new(FALSE, TRUE, sizeof(yj_iptv_channel_t));
    int rc = yj_iptv_store_channels(v->store, who.admin_path, who.viewer_path, all);
    if (rc) {
        g_array_free(all, TRUE);
        return rc;
    }
    int64_t from = g_get_real_time() / 1000, to = from + days * YJ_IPTV_DAY_MS;
    yj_xmltv_channel_t *ch = g_new0(yj_xmltv_channel_t, all->len + 1);
    GPtrArray *owned = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *loaded = g_ptr_array_new_with_free_func((GDestroyNotify)yj_iptv_loaded_free);
    epg_ctx_t x = {g_array_new(FALSE, TRUE, sizeof(yj_xmltv_programme_t)), NULL, owned};
    for (guint i = 0; i < all->len; i++) {
        yj_iptv_channel_t *c = &g_array_index(all, yj_iptv_channel_t, i);
        char *id = g_strdup_printf("%" G_GINT64_FORMAT ".yuanjiao", c->id);
        g_ptr_array_add(owned, id);
        ch[i] = (yj_xmltv_channel_t){id, c->name, c->logo_url};
        yj_iptv_loaded_t *l = yj_iptv_load(v, c->id, from);
        if (!l)
            continue;
        g_ptr_array_add(loaded, l);
        x.channel_id = id;
        yj_iptv_schedule_each(l->e, l->n, from, to, 5000, epg_occ, &x);
    }
    g_autofree char *doc = yj_iptv_xmltv_write(
        ch, all->len, (yj_xmltv_programme_t *)(void *)x.progs->data, x.progs->len, "yuanjiao");
    g_array_free(x.progs, TRUE);
    g_ptr_array_free(loaded, TRUE);
    g_ptr_array_free(owned, TRUE);
    g_free(ch);
    g_array_free(all, TRUE);
    yj_req_add_header(req, "Cache-Control", "no-cache");
    return yj_req_reply_data(req, 200, "application/xml; charset=utf-8", doc, strlen(doc));
}

/* A file name the playout may write: [A-Za-z0-9_-][A-Za-z0-9_.-]*, no
 * "..", a media extension. */
static bool hls_name_ok(const char *f)
{
    size_t n = f ? strlen(f) : 0;
    if (n < 4 || n > 64 || f[0] == '.' || strstr(f, ".."))
        return false;
    for (const char *p = f; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
            return false;
    return g_str_has_suffix(f, ".m3u8") || g_str_has_suffix(f, ".ts") ||
           g_str_has_suffix(f, ".m4s") || g_str_has_suffix(f, ".mp4") ||
           g_str_has_suffix(f, ".aac");
}

/* GET /iptv/{id}/{file} */
static int hls(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    const char *file = yj_req_param(req, "file");
    if (!hls_name_ok(file))
        return yj_req_reply_error(req, 404, "not_found", "file", "no such file");
    yj_iptv_viewer_t who;
    yj_iptv_channel_t c;
    if (yj_iptv_viewer(v, req, &who) ||
        yj_iptv_channel_for(v, req, &who, yj_iptv_param_id(req, "id"), &c))
        return 0;
    g_autofree char *dir = yj_iptv_hls_dir(v, c.id);
    g_autofree char *path = g_build_filename(dir, file, NULL);
    if (!g_str_has_suffix(file, ".m3u8"))
        return yj_req_reply_file(req, path, yj_mime_type(path), SEGMENT_CC);
    gchar *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL) || len > MAX_PLAYLIST) {
        g_free(data);
        return yj_req_reply_error(req, 404, "not_found", "file",
                                  "the channel has no live HLS window (yet)");
    }
    yj_req_add_header(req, "Cache-Control", PLAYLIST_CC);
    if (!who.station_id) {
        int rc = yj_req_reply_data(req, 200, "application/vnd.apple.mpegurl", data, len);
        g_free(data);
        return rc;
    }
    /* carry the key on to every URI the playlist names */
    g_autofree char *karg = key_arg(&who, '?');
    g_autofree char *kamp = key_arg(&who, '&');
    GString *out = g_string_sized_new(len + 256);
    char **lines = g_strsplit(data, "\n", -1);
    g_free(data);
    for (char **l = lines; *l; l++) {
        const char *line = *l;
        if (!**l && !l[1])
            break;
        g_string_append(out, line);
        if (*line && *line != '#' && !g_str_has_suffix(line, "\r"))
            g_string_append(out, strchr(line, '?') ? kamp : karg);
        g_string_append_c(out, '\n');
    }
    g_strfreev(lines);
    int rc = yj_req_reply_data(req, 200, "application/vnd.apple.mpegurl", out->str, out->len);
    g_string_free(out, TRUE);
    return rc;
}

int yj_iptv_lists_register(yj_iptv_t *v, yj_http_t *http)
{
    int rc = yj_http_route(http, "GET", "/api/v1/channels.m3u", YJ_ROUTE_PUBLIC, 0, m3u, v);
    rc |= yj_http_route(http, "GET", "/api/v1/epg.xml", YJ_ROUTE_PUBLIC, 0, epg, v);
    rc |= yj_http_route(http, "GET", "/iptv/{id}/{file}", YJ_ROUTE_PUBLIC, 0, hls, v);
    return rc;
}
