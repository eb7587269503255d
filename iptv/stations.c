/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stations.c — village reception stations (站点) and their access keys,
 * and who is asking a read route: an administrator, a member, or a
 * station through ?key=.
 *
 * A key is shown once, when it is made; only its SHA-256 is stored (like
 * sessions and API tokens, core/store_auth). A station's set-top box puts
 * it in the M3U, EPG and HLS URLs, so it needs no sign-in and sees only
 * the channels serving its organisation or an ancestor. An administrator
 * of the station's subtree can make a new key (the old one stops
 * working) or revoke it: a revoked key gets 403 "key_revoked", an
 * unknown one 403 "invalid_key". A key never grants anything else.
 */
#include "iptv_internal.h"
#include "core/crypto.h"
#include "core/yj.h"

#include <string.h>

#define KEY_PREFIX "yjst_"

int yj_iptv_viewer(yj_iptv_t *v, yj_req_t *req, yj_iptv_viewer_t *out)
{
    memset(out, 0, sizeof *out);
    const char *key = yj_req_query(req, "key");
    if (key) {
        char hash[65];
        yj_iptv_station_t s;
        if (strlen(key) < 10 || strlen(key) >= sizeof out->key) {
            yj_req_reply_error(req, 403, "invalid_key", "key", "this station key is not valid");
            return YJ_EAUTH;
        }
        yj_sha256_hex(key, strlen(key), hash);
        if (yj_iptv_store_station_by_key(v->store, hash, &s)) {
            yj_req_reply_error(req, 403, "invalid_key", "key", "this station key is not valid");
            return YJ_EAUTH;
        }
        if (s.revoked_at) {
            yj_req_reply_error(req, 403, "key_revoked", "key",
                               "this station key was revoked; ask the administrator for a new one");
            return YJ_EAUTH;
        }
        g_strlcpy(out->path_buf, s.org_path, sizeof out->path_buf);
        g_strlcpy(out->key, key, sizeof out->key);
        out->viewer_path = out->path_buf;
        out->station_id = s.id;
        return 0;
    }
    const yj_principal_t *me = yj_req_principal(req);
    if (!me || me->kind == YJ_PRINCIPAL_NONE) {
        yj_req_reply_error(req, 401, "unauthorized", NULL,
                           "sign in, or give a station key (?key=)");
        return YJ_EAUTH;
    }
    g_strlcpy(out->path_buf, me->org_path, sizeof out->path_buf);
    if (me->kind == YJ_PRINCIPAL_ADMIN)
        out->admin_path = out->path_buf;
    else
        out->viewer_path = out->path_buf;
    return 0;
}

int yj_iptv_channel_for(yj_iptv_t *v, yj_req_t *req, const yj_iptv_viewer_t *who, int64_t id,
                        yj_iptv_channel_t *c)
{
    bool ok = id > 0 && yj_iptv_store_channel_get(v->store, id, c) == 0;
    if (ok && who->admin_path) {
        ok = yj_path_within(who->admin_path, c->org_path);
        if (!ok) {
            /* serving the subtree or above: the listing's rule */
            GArray *all = g_array_new(FALSE, TRUE, sizeof(yj_iptv_channel_t));
            yj_iptv_store_channels(v->store, who->admin_path, NULL, all);
            for (guint i = 0; i < all->len && !ok; i++)
                ok = g_array_index(all, yj_iptv_channel_t, i).id == id;
            g_array_free(all, TRUE);
        }
    } else if (ok) {
        ok = yj_iptv_store_channel_serves(v->store, id, who->viewer_path);
    }
    if (!ok) {
        yj_req_reply_error(req, 404, "not_found", "id", "no such channel");
        return YJ_ENOENT;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* administration */

static json_t *station_json(const yj_iptv_station_t *s)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:b,s:I}", "id", (json_int_t)s->id, "name", s->name,
                     "org_code", s->org_code, "org_name", s->org_name, "key_hint", s->key_hint,
                     "has_key", s->has_key, "revoked", s->revoked_at != 0, "created_at",
                     (json_int_t)s->created_at);
}

/* A new key: its text (g_free) and, into hash/hint, what is stored. */
static char *new_key(char hash[65], char hint[16])
{
    g_autofree char *tok = yj_random_token(24);
    if (!tok)
        return NULL;
    char *key = g_strconcat(KEY_PREFIX, tok, NULL);
    yj_sha256_hex(key, strlen(key), hash);
    g_strlcpy(hint, key, 10);
    return key;
}

static json_t *key_reply(yj_iptv_t *v, const yj_iptv_station_t *s, const char *key)
{
    g_autofree char *m3u = g_strdup_printf("/api/v1/channels.m3u?key=%s", key);
    g_autofree char *m3u_mc = g_strdup_printf("/api/v1/channels.m3u?form=multicast&key=%s", key);
    g_autofree char *epg = g_strdup_printf("/api/v1/epg.xml?key=%s", key);
    (void)v;
    return json_pack("{s:o,s:s,s:{s:s,s:s,s:s}}", "station", station_json(s), "key", key, "links",
                     "m3u", m3u, "m3u_multicast", m3u_mc, "epg", epg);
}

static int org_field(yj_iptv_t *v, yj_req_t *req, json_t *b, int64_t *org)
{
    json_t *j = json_object_get(b, "org_code");
    if (!j)
        return 0;
    char path[256];
    if (!json_is_string(j) ||
        yj_iptv_store_org(v->store, json_string_value(j), org, path, sizeof path) ||
        !yj_path_within(yj_req_principal(req)->org_path, path)) {
        yj_req_reply_error(req, 404, "unknown_org", "org_code",
                           "no such organisation in your subtree");
        return YJ_EINVAL;
    }
    return 0;
}

static int name_field(yj_req_t *req, json_t *b, bool required, const char **out)
{
    json_t *j = json_object_get(b, "name");
    *out = NULL;
    if (!j && !required)
        return 0;
    const char *s = json_is_string(j) ? json_string_value(j) : NULL;
    glong n = s && g_utf8_validate(s, -1, NULL) ? g_utf8_strlen(s, -1) : -1;
    bool ctrl = false;
    for (const char *p = s; p && *p; p++)
        ctrl |= (unsigned char)*p < 0x20;
    if (n < 1 || n > 64 || ctrl) {
        yj_req_reply_error(req, 400, "invalid_field", "name",
                           "name is required: 1 to 64 characters without line breaks");
        return YJ_EINVAL;
    }
    *out = s;
    return 0;
}

/* The station {id} if within the administrator's subtree. */
static int station_for_admin(yj_iptv_t *v, yj_req_t *req, yj_iptv_station_t *s)
{
    int64_t id = yj_iptv_param_id(req, "id");
    if (!id || yj_iptv_store_station_get(v->store, id, s) ||
        !yj_path_within(yj_req_principal(req)->org_path, s->org_path)) {
        yj_req_reply_error(req, 404, "not_found", "id", "no such station");
        return YJ_ENOENT;
    }
    return 0;
}

/* POST /api/v1/stations {name, org_code?} */
static int station_create(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    const char *name;
    int64_t org = yj_req_principal(req)->org_id;
    if (name_field(req, b, true, &name) || org_field(v, req, b, &org))
        return 0;
    char hash[65], hint[16];
    g_autofree char *key = new_key(hash, hint);
    if (!key)
        return YJ_ECRYPTO;
    int64_t id = 0;
    int rc = yj_iptv_store_station_add(v->store, org, name, hash, hint, &id);
    yj_iptv_station_t s;
    if (rc || (rc = yj_iptv_store_station_get(v->store, id, &s)))
        return rc;
    return yj_req_reply_json(req, 201, key_reply(v, &s, key));
}

/* GET /api/v1/stations */
static int stations_list(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    GArray *a = g_array_new(FALSE, TRUE, sizeof(yj_iptv_station_t));
    int rc = yj_iptv_store_stations(v->store, yj_req_principal(req)->org_path, a);
    json_t *arr = json_array();
    for (guint i = 0; !rc && i < a->len; i++)
        json_array_append_new(arr, station_json(&g_array_index(a, yj_iptv_station_t, i)));
    g_array_free(a, TRUE);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    return yj_req_reply_json(req, 200, json_pack("{s:o}", "stations", arr));
}

/* GET /api/v1/stations/{id} */
static int station_get(yj_req_t *req, void *ud)
{
    yj_iptv_station_t s;
    if (station_for_admin(ud, req, &s))
        return 0;
    return yj_req_reply_json(req, 200, station_json(&s));
}

/* PATCH /api/v1/stations/{id} {name?, org_code?} */
static int station_patch(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_station_t s;
    if (station_for_admin(v, req, &s))
        return 0;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    const char *name;
    int64_t org = 0;
    if (name_field(req, b, false, &name) || org_field(v, req, b, &org))
        return 0;
    int rc = yj_iptv_store_station_update(v->store, s.id, name, org);
    if (rc || (rc = yj_iptv_store_station_get(v->store, s.id, &s)))
        return yj_req_reply_errno(req, rc, "id");
    return yj_req_reply_json(req, 200, station_json(&s));
}

/* DELETE /api/v1/stations/{id} */
static int station_delete(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_station_t s;
    if (station_for_admin(v, req, &s))
        return 0;
    int rc = yj_iptv_store_station_delete(v->store, s.id);
    if (rc)
        return yj_req_reply_errno(req, rc, "id");
    return yj_req_reply_json(req, 200, json_pack("{s:b}", "deleted", 1));
}

/* POST /api/v1/stations/{id}/key — a new key; the old one stops working. */
static int key_new(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_station_t s;
    if (station_for_admin(v, req, &s))
        return 0;
    char hash[65], hint[16];
    g_autofree char *key = new_key(hash, hint);
    if (!key)
        return YJ_ECRYPTO;
    int rc = yj_iptv_store_station_key(v->store, s.id, hash, hint);
    if (rc || (rc = yj_iptv_store_station_get(v->store, s.id, &s)))
        return yj_req_reply_errno(req, rc, "id");
    return yj_req_reply_json(req, 201, key_reply(v, &s, key));
}

/* DELETE /api/v1/stations/{id}/key — revoke. */
static int key_revoke(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_station_t s;
    if (station_for_admin(v, req, &s))
        return 0;
    if (s.revoked_at || !s.has_key)
        return yj_req_reply_error(req, 409, "already_revoked", "id",
                                  "the station's key is revoked already");
    int rc = yj_iptv_store_station_key(v->store, s.id, NULL, NULL);
    if (rc || (rc = yj_iptv_store_station_get(v->store, s.id, &s)))
        return yj_req_reply_errno(req, rc, "id");
    return yj_req_reply_json(req, 200, station_json(&s));
}

/* GET /api/v1/station?key= — the station a key belongs to (for the box). */
static int station_self(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    if (yj_iptv_viewer(v, req, &who))
        return 0;
    yj_iptv_station_t s;
    if (!who.station_id || yj_iptv_store_station_get(v->store, who.station_id, &s))
        return yj_req_reply_error(req, 400, "missing_key", "key", "give the station key as ?key=");
    return yj_req_reply_json(req, 200, station_json(&s));
}

int yj_iptv_stations_register(yj_iptv_t *v, yj_http_t *http)
{
    const unsigned adm = YJ_ROUTE_ADMIN;
    int rc = yj_http_route(http, "GET", "/api/v1/stations", adm, 0, stations_list, v);
    rc |= yj_http_route(http, "POST", "/api/v1/stations", adm, 0, station_create, v);
    rc |= yj_http_route(http, "GET", "/api/v1/stations/{id}", adm, 0, station_get, v);
    rc |= yj_http_route(http, "PATCH", "/api/v1/stations/{id}", adm, 0, station_patch, v);
    rc |= yj_http_route(http, "DELETE", "/api/v1/stations/{id}", adm, 0, station_delete, v);
    rc |= yj_http_route(http, "POST", "/api/v1/stations/{id}/key", adm, 0, key_new, v);
    rc |= yj_http_route(http, "DELETE", "/api/v1/stations/{id}/key", adm, 0, key_revoke, v);
    rc |= yj_http_route(http, "GET", "/api/v1/station", YJ_ROUTE_PUBLIC, 0, station_self, v);
    return rc;
}
