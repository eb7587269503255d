/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.c — /api/v1/channels: channels and their programmes.
 *
 * Who may do what: an administrator manages channels owned by an
 * organisation in their subtree and sees, without changing them, the
 * channels serving their subtree or an organisation above it; a member
 * or a station (?key=) sees the channels serving its organisation or an
 * ancestor. Everything else is 404.
 *
 * Every field is checked before anything is written, and a refusal names
 * the field: times need an explicit offset, end > start, a repeated
 * programme lasts no longer than its period and stops within 400 days,
 * no two programmes of a channel overlap (half-open intervals: abutting
 * is fine), the bitrate lies in 300 kbit/s … 20 Mbit/s, addresses parse.
 * The overlap check runs inside the write transaction (store.c).
 */
#include "iptv_internal.h"
#include "api.h"
#include "signaling/store.h"
#include "vod/store.h"
#include "core/yj.h"

#include <gio/gio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* parsing (also used by the fuzz target) */

int yj_iptv_check_address(const char *s, bool *multicast)
{
    if (!s || !*s || strlen(s) > 45)
        return YJ_EINVAL;
    GInetAddress *a = g_inet_address_new_from_string(s);
    if (!a)
        return YJ_EINVAL;
    bool bad = g_inet_address_get_is_any(a);
    if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV4) {
        const guint8 *b = g_inet_address_to_bytes(a);
        bad |= b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255;
    }
    if (multicast)
        *multicast = g_inet_address_get_is_multicast(a);
    g_object_unref(a);
    return bad ? YJ_EINVAL : 0;
}

int yj_iptv_parse_feed_url(const char *url, char *host, size_t hostlen, int *port, bool *rtp)
{
    if (!url || strlen(url) > 200)
        return YJ_EINVAL;
    const char *p;
    if (g_str_has_prefix(url, "udp://"))
        p = url + 6, *rtp = false;
    else if (g_str_has_prefix(url, "rtp://"))
        p = url + 6, *rtp = true;
    else
        return YJ_EINVAL;
    const char *at = strchr(p, '@');
    if (at) {
        if (at > p) {
            char src[64];
            if ((size_t)(at - p) >= sizeof src)
                return YJ_EINVAL;
            memcpy(src, p, (size_t)(at - p));
            src[at - p] = 0;
            if (yj_iptv_check_address(src, NULL))
                return YJ_EINVAL;
        }
        p = at + 1;
    }
    const char *colon;
    char h[64];
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close || close[1] != ':' || (size_t)(close - p - 1) >= sizeof h)
            return YJ_EINVAL;
        memcpy(h, p + 1, (size_t)(close - p - 1));
        h[close - p - 1] = 0;
        colon = close + 1;
    } else {
        colon = strrchr(p, ':');
        if (!colon || (size_t)(colon - p) >= sizeof h)
            return YJ_EINVAL;
        memcpy(h, p, (size_t)(colon - p));
        h[colon - p] = 0;
    }
    if (yj_iptv_check_address(h, NULL))
        return YJ_EINVAL;
    const char *ps = colon + 1;
    if (!*ps || strlen(ps) > 5)
        return YJ_EINVAL;
    for (const char *c = ps; *c; c++)
        if (*c < '0' || *c > '9')
            return YJ_EINVAL;
    int n = atoi(ps);
    if (n < 1 || n > 65535)
        return YJ_EINVAL;
    if (host)
        g_strlcpy(host, h, hostlen);
    if (port)
        *port = n;
    return 0;
}

/* ------------------------------------------------------------------ */
/* JSON shapes */

json_t *yj_iptv_channel_json(yj_iptv_t *v, const yj_iptv_channel_t *c, bool editable)
{
    bool mc = false;
    yj_iptv_check_address(c->address, &mc);
    bool v6 = strchr(c->address, ':') != NULL;
    /* "@": the receiver binds (and joins, for multicast) the address */
    g_autofree char *url = g_strdup_printf("%s://@%s%s%s:%d", c->rtp ? "rtp" : "udp", v6 ? "[" : "",
                                           c->address, v6 ? "]" : "", c->port);
    g_autofree char *hls = g_strdup_printf("/iptv/%" G_GINT64_FORMAT "/live.m3u8", c->id);
    json_t *orgs = yj_iptv_store_channel_orgs(v->store, c->id);
    return json_pack("{s:I,s:i,s:s,s:s,s:s,s:o,s:s,s:s,s:i,s:i,s:s,s:s,s:i,s:b,s:s,s:s,s:b}", "id",
                     (json_int_t)c->id, "number", c->number, "name", c->name, "group", c->group,
                     "logo_url", c->logo_url, "orgs", orgs ? orgs : json_array(), "owner_org",
                     c->org_code, "address", c->address, "port", c->port, "ttl", c->ttl,
                     "interface", c->interface, "protocol", c->rtp ? "rtp" : "udp", "bitrate",
                     c->bitrate, "multicast", mc, "url", url, "hls_url", hls, "editable", editable);
}

json_t *yj_iptv_prog_json(const yj_iptv_prog_t *p)
{
    json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:s*,s:o,s:o,s:s,s:b,s:i}", "id", (json_int_t)p->id,
                          "channel_id", (json_int_t)p->channel_id, "kind", p->kind, "title",
                          p->title ? p->title : "", "description", p->description, "start",
                          yj_iptv_time_json(p->start_ms), "end", yj_iptv_time_json(p->end_ms),
                          "repeat", p->repeat, "creditable", p->creditable, "minutes", p->minutes);
    if (strcmp(p->repeat, "none"))
        json_object_set_new(o, "repeat_until", yj_iptv_time_json(p->until_ms));
    if (!strcmp(p->kind, "lesson") || !strcmp(p->kind, "recording"))
        json_object_set_new(o, "lesson_id", json_integer(p->lesson_id));
    if (!strcmp(p->kind, "loop"))
        json_object_set_new(o, "course_id", json_integer(p->course_id));
    if (!strcmp(p->kind, "live"))
        json_object_set_new(o, "meeting_id", json_integer(p->meeting_id));
    if (!strcmp(p->kind, "feed")) {
        json_object_set_new(o, "feed_url", json_string(p->feed_url ? p->feed_url : ""));
        json_object_set_new(o, "feed_program", json_integer(p->feed_program));
    }
    return o;
}

/* ------------------------------------------------------------------ */
/* access */

static bool may_edit(const yj_principal_t *me, const yj_iptv_channel_t *c)
{
    return me->kind == YJ_PRINCIPAL_ADMIN && yj_path_within(me->org_path, c->org_path);
}

/* The channel if the signed-in administrator may change it. */
static int channel_for_admin(yj_iptv_t *v, yj_req_t *req, yj_iptv_channel_t *c)
{
    yj_iptv_viewer_t who;
    if (yj_iptv_viewer(v, req, &who))
        return YJ_EPERM;
    int64_t id = yj_iptv_param_id(req, "id");
    if (yj_iptv_channel_for(v, req, &who, id, c))
        return YJ_ENOENT;
    if (!may_edit(yj_req_principal(req), c)) {
        yj_req_reply_error(req, 403, "forbidden", "id",
                           "the channel belongs to a higher organisation");
        return YJ_EPERM;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* channels */

void yj_iptv_ferr_set(yj_iptv_ferr_t *e, int status, const char *code, const char *field,
                      const char *fmt, ...)
{
    e->status = status;
    g_strlcpy(e->code, code, sizeof e->code);
    g_strlcpy(e->field, field, sizeof e->field);
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

static int reply_ferr(yj_req_t *req, const yj_iptv_ferr_t *e)
{
    return yj_req_reply_error(req, (unsigned)e->status, e->code, e->field, "%s", e->message);
}

static int ptext(yj_iptv_ferr_t *e, json_t *b, const char *key, int min, int max, const char **out)
{
    json_t *j = json_object_get(b, key);
    if (!j)
        return 0;
    const char *s = json_is_string(j) ? json_string_value(j) : NULL;
    glong n = s && g_utf8_validate(s, -1, NULL) ? g_utf8_strlen(s, -1) : -1;
    bool ctrl = false;
    for (const char *p = s; p && *p; p++)
        ctrl |= (unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f;
    if (!s || n < min || n > max || ctrl) {
        yj_iptv_ferr_set(e, 400, "invalid_field", key,
                         "%s must be text of %d to %d characters, without control characters", key,
                         min, max);
        return YJ_EINVAL;
    }
    *out = s;
    return 0;
}

static int pinteger(yj_iptv_ferr_t *e, json_t *b, const char *key, long min, long max, int *out,
                    const char *what)
{
    json_t *j = json_object_get(b, key);
    if (!j)
        return 0;
    if (!json_is_integer(j) || json_integer_value(j) < min || json_integer_value(j) > max) {
        yj_iptv_ferr_set(e, 400, "invalid_field", key, "%s must be %s from %ld to %ld", key, what,
                         min, max);
        return YJ_EINVAL;
    }
    *out = (int)json_integer_value(j);
    return 0;
}

static int text(yj_req_t *req, json_t *b, const char *key, int min, int max, const char **out)
{
    yj_iptv_ferr_t e;
    int rc = ptext(&e, b, key, min, max, out);
    if (rc)
        reply_ferr(req, &e);
    return rc;
}

static int integer(yj_req_t *req, json_t *b, const char *key, long min, long max, int *out,
                   const char *what)
{
    yj_iptv_ferr_t e;
    int rc = pinteger(&e, b, key, min, max, out, what);
    if (rc)
        reply_ferr(req, &e);
    return rc;
}

/* Fills c (defaults already in it) and the served organisations from the
 * body; queues a 4xx and returns non-zero on the first bad field. */
static int channel_fields(yj_iptv_t *v, yj_req_t *req, json_t *b, bool create, yj_iptv_channel_t *c,
                          GArray *orgs, bool *set_orgs)
{
    const yj_principal_t *me = yj_req_principal(req);
    static const char *const required[] = {"number", "name", "address", "port"};
    for (size_t i = 0; create && i < YJ_ARRAY_LEN(required); i++)
        if (!json_object_get(b, required[i]))
            return yj_req_reply_error(req, 400, "missing_field", required[i], "%s is required",
                                      required[i]),
                   YJ_EINVAL;
    const char *name = NULL, *group = NULL, *logo = NULL, *addr = NULL, *ifc = NULL, *proto = NULL;
    if (integer(req, b, "number", 1, 9999, &c->number, "a channel number") ||
        text(req, b, "name", 1, 64, &name) || text(req, b, "group", 0, 64, &group) ||
        text(req, b, "logo_url", 0, 1000, &logo) || text(req, b, "address", 1, 45, &addr) ||
        integer(req, b, "port", 1, 65535, &c->port, "a port") ||
        integer(req, b, "ttl", 1, 255, &c->ttl, "a multicast TTL") ||
        text(req, b, "interface", 0, 45, &ifc) || text(req, b, "protocol", 1, 8, &proto) ||
        integer(req, b, "bitrate", 300000, 20000000, &c->bitrate,
                "a constant mux bitrate in bit/s"))
        return YJ_EINVAL;
    if (name)
        g_strlcpy(c->name, name, sizeof c->name);
    if (group)
        g_strlcpy(c->group, group, sizeof c->group);
    if (logo) {
        if (*logo && !g_str_has_prefix(logo, "https://") && !g_str_has_prefix(logo, "http://") &&
            logo[0] != '/')
            return yj_req_reply_error(req, 400, "invalid_logo_url", "logo_url",
                                      "logo_url must be an http(s) URL or a path on this server"),
                   YJ_EINVAL;
        for (const char *p = logo; *p; p++)
            if (*p == ' ' || *p == '"' || *p == '<' || *p == '>')
                return yj_req_reply_error(req, 400, "invalid_logo_url", "logo_url",
                                          "logo_url must not contain spaces, quotes or <>"),
                       YJ_EINVAL;
        g_strlcpy(c->logo_url, logo, sizeof c->logo_url);
    }
    if (addr) {
        if (yj_iptv_check_address(addr, NULL))
            return yj_req_reply_error(req, 400, "invalid_address", "address",
                                      "address must be a unicast or multicast IP address such "
                                      "as 239.1.1.1 or 127.0.0.1"),
                   YJ_EINVAL;
        g_strlcpy(c->address, addr, sizeof c->address);
    }
    if (ifc) {
        bool mc = false;
        if (*ifc && (yj_iptv_check_address(ifc, &mc) || mc))
            return yj_req_reply_error(req, 400, "invalid_interface", "interface",
                                      "interface is the outgoing interface's unicast address, "
                                      "or empty for the default"),
                   YJ_EINVAL;
        g_strlcpy(c->interface, ifc, sizeof c->interface);
    }
    if (proto) {
        if (strcmp(proto, "udp") && strcmp(proto, "rtp"))
            return yj_req_reply_error(req, 400, "invalid_protocol", "protocol",
                                      "protocol is udp or rtp"),
                   YJ_EINVAL;
        c->rtp = !strcmp(proto, "rtp");
    }
    json_t *jo = json_object_get(b, "orgs");
    if (jo) {
        if (!json_is_array(jo) || json_array_size(jo) < 1 || json_array_size(jo) > 1000)
            return yj_req_reply_error(req, 400, "invalid_orgs", "orgs",
                                      "orgs is a list of 1 to 1000 organisation codes"),
                   YJ_EINVAL;
        size_t i;
        json_t *e;
        json_array_foreach(jo, i, e)
        {
            char path[256], field[32];
            int64_t id = 0;
            g_snprintf(field, sizeof field, "orgs[%zu]", i);
            if (!json_is_string(e) ||
                yj_iptv_store_org(v->store, json_string_value(e), &id, path, sizeof path) ||
                !yj_path_within(me->org_path, path))
                return yj_req_reply_error(req, 404, "unknown_org", field,
                                          "no such organisation in your subtree"),
                       YJ_EINVAL;
            g_array_append_val(orgs, id);
        }
        *set_orgs = true;
    } else if (create) {
        g_array_append_val(orgs, me->org_id);
        *set_orgs = true;
    }
    return 0;
}

static int channel_save(yj_iptv_t *v, yj_req_t *req, yj_iptv_channel_t *c, GArray *orgs,
                        bool set_orgs, unsigned status)
{
    const char *taken = NULL;
    int rc = yj_iptv_store_channel_put(v->store, c, (const int64_t *)(void *)orgs->data, orgs->len,
                                       set_orgs, &taken);
    if (rc == YJ_EEXIST && taken && !strcmp(taken, "number"))
        return yj_req_reply_error(req, 409, "number_taken", "number", "channel number %d is taken",
                                  c->number);
    if (rc == YJ_EEXIST)
        return yj_req_reply_error(req, 409, "address_taken", "address",
                                  "another channel is sent to %s port %d", c->address, c->port);
    if (rc == YJ_ENOENT)
        return yj_req_reply_error(req, 404, "not_found", "id", "no such channel");
    if (rc)
        return rc;
    yj_iptv_channel_changed(v, c->id);
    yj_iptv_channel_t fresh;
    if (yj_iptv_store_channel_get(v->store, c->id, &fresh))
        return YJ_EDB;
    return yj_req_reply_json(req, status, yj_iptv_channel_json(v, &fresh, true));
}

/* POST /api/v1/channels */
static int channel_create(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_iptv_channel_t c = {.ttl = 16, .bitrate = 2000000};
    c.org_id = yj_req_principal(req)->org_id;
    g_autoptr(GArray) orgs = g_array_new(FALSE, FALSE, sizeof(int64_t));
    bool set = false;
    if (channel_fields(v, req, b, true, &c, orgs, &set))
        return 0;
    return channel_save(v, req, &c, orgs, set, 201);
}

/* PATCH /api/v1/channels/{id} */
static int channel_patch(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_channel_t c;
    if (channel_for_admin(v, req, &c))
        return 0;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    g_autoptr(GArray) orgs = g_array_new(FALSE, FALSE, sizeof(int64_t));
    bool set = false;
    if (channel_fields(v, req, b, false, &c, orgs, &set))
        return 0;
    return channel_save(v, req, &c, orgs, set, 200);
}

/* DELETE /api/v1/channels/{id} */
static int channel_delete(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_channel_t c;
    if (channel_for_admin(v, req, &c))
        return 0;
    yj_iptv_channel_deleted(v, c.id);
    int rc = yj_iptv_store_channel_delete(v->store, c.id);
    if (rc)
        return yj_req_reply_errno(req, rc, "id");
    return yj_req_reply_json(req, 200, json_pack("{s:b}", "deleted", 1));
}

/* GET /api/v1/channels */
static int channels_list(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    if (yj_iptv_viewer(v, req, &who))
        return 0;
    GArray *all = g_array_new(FALSE, TRUE, sizeof(yj_iptv_channel_t));
    int rc = yj_iptv_store_channels(v->store, who.admin_path, who.viewer_path, all);
    if (rc) {
        g_array_free(all, TRUE);
        return rc;
    }
    const yj_principal_t *me = yj_req_principal(req);
    json_t *arr = json_array();
    for (guint i = 0; i < all->len; i++) {
        yj_iptv_channel_t *c = &g_array_index(all, yj_iptv_channel_t, i);
        json_array_append_new(arr, yj_iptv_channel_json(v, c, who.admin_path && may_edit(me, c)));
    }
    g_array_free(all, TRUE);
    return yj_req_reply_json(req, 200, json_pack("{s:o}", "channels", arr));
}

/* GET /api/v1/channels/{id} */
static int channel_get(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    yj_iptv_channel_t c;
    if (yj_iptv_viewer(v, req, &who) ||
        yj_iptv_channel_for(v, req, &who, yj_iptv_param_id(req, "id"), &c))
        return 0;
    return yj_req_reply_json(
        req, 200,
        yj_iptv_channel_json(v, &c, who.admin_path && may_edit(yj_req_principal(req), &c)));
}

/* ------------------------------------------------------------------ */
/* programmes */

typedef struct {
    int64_t other_id;
    int64_t other_start;
    char other_title[256];
} overlap_t;

static int no_overlap(const yj_iptv_prog_t *p, const yj_iptv_prog_t *others, size_t n, void *ud)
{
    overlap_t *o = ud;
    yj_iptv_entry_t a, b;
    yj_iptv_entry_of(p, &a);
    for (size_t i = 0; i < n; i++) {
        yj_iptv_entry_of(&others[i], &b);
        if (yj_iptv_entries_overlap(&a, &b)) {
            o->other_id = others[i].id;
            o->other_start = others[i].start_ms;
            g_strlcpy(o->other_title, others[i].title ? others[i].title : "",
                      sizeof o->other_title);
            return YJ_EBUSY;
        }
    }
    return 0;
}

static int time_field(yj_iptv_ferr_t *e, json_t *b, const char *key, int64_t *out)
{
    json_t *j = json_object_get(b, key);
    if (!j)
        return 0;
    if (!json_is_string(j) || !yj_iptv_parse_time(json_string_value(j), out)) {
        yj_iptv_ferr_set(e, 400, "invalid_time", key,
                         "%s must be an ISO 8601 time with an explicit offset, e.g. "
                         "2026-12-08T09:00:00+08:00",
                         key);
        return YJ_EINVAL;
    }
    return 0;
}

static int id_field(yj_iptv_ferr_t *e, json_t *b, const char *key, int64_t *out)
{
    json_t *j = json_object_get(b, key);
    if (!j)
        return 0;
    if (!json_is_integer(j) || json_integer_value(j) < 1) {
        yj_iptv_ferr_set(e, 400, "invalid_field", key, "%s must be a positive id", key);
        return YJ_EINVAL;
    }
    *out = json_integer_value(j);
    return 0;
}

static bool admin_may_view(const yj_principal_t *me, const char *org_path)
{
    return yj_path_within(me->org_path, org_path) || g_str_has_prefix(me->org_path, org_path);
}

#define FAIL(...) return yj_iptv_ferr_set(e, __VA_ARGS__), YJ_EINVAL

int yj_iptv_prog_parse(json_t *b, yj_iptv_prog_t *p, yj_iptv_ferr_t *e)
{
    const char *kind = NULL, *title = NULL, *desc = NULL, *repeat = NULL, *feed = NULL;
    if (!json_is_object(b))
        FAIL(400, "invalid_json", "", "the body must be a JSON object");
    if (ptext(e, b, "kind", 1, 16, &kind) || ptext(e, b, "title", 1, 200, &title) ||
        ptext(e, b, "repeat", 1, 8, &repeat) || ptext(e, b, "feed_url", 1, 200, &feed) ||
        time_field(e, b, "start", &p->start_ms) || time_field(e, b, "end", &p->end_ms) ||
        time_field(e, b, "repeat_until", &p->until_ms) ||
        id_field(e, b, "lesson_id", &p->lesson_id) || id_field(e, b, "course_id", &p->course_id) ||
        id_field(e, b, "meeting_id", &p->meeting_id) ||
        pinteger(e, b, "feed_program", 0, 65535, &p->feed_program, "a programme number") ||
        pinteger(e, b, "minutes", 1, 600, &p->minutes, "credit minutes"))
        return YJ_EINVAL;
    json_t *jd = json_object_get(b, "description");
    if (jd && !json_is_null(jd)) {
        desc = json_is_string(jd) ? json_string_value(jd) : NULL;
        if (!desc || !g_utf8_validate(desc, -1, NULL) || g_utf8_strlen(desc, -1) > 2000)
            FAIL(400, "invalid_field", "description",
                 "description is text of at most 2000 characters");
    }
    json_t *jc = json_object_get(b, "creditable");
    if (jc && !json_is_boolean(jc))
        FAIL(400, "invalid_field", "creditable", "creditable is true or false");
    if (jc)
        p->creditable = json_is_true(jc);
    if (kind) {
        static const char *const kinds[] = {"lesson", "recording", "live", "feed", "loop"};
        bool ok = false;
        for (size_t i = 0; i < YJ_ARRAY_LEN(kinds); i++)
            ok |= !strcmp(kind, kinds[i]);
        if (!ok)
            FAIL(400, "invalid_kind", "kind", "kind is lesson, recording, live, feed or loop");
        g_strlcpy(p->kind, kind, sizeof p->kind);
    }
    if (!p->kind[0])
        FAIL(400, "missing_field", "kind", "kind is required");
    if (repeat) {
        if (strcmp(repeat, "none") && strcmp(repeat, "daily") && strcmp(repeat, "weekly"))
            FAIL(400, "invalid_repeat", "repeat", "repeat is none, daily or weekly");
        g_strlcpy(p->repeat, repeat, sizeof p->repeat);
    }
    if (!p->repeat[0])
        g_strlcpy(p->repeat, "none", sizeof p->repeat);
    if (!p->start_ms)
        FAIL(400, "missing_field", "start", "start is required");
    if (!p->end_ms)
        FAIL(400, "missing_field", "end", "end is required");
    if (p->end_ms <= p->start_ms)
        FAIL(400, "invalid_end", "end", "end must be after start");
    int64_t len = p->end_ms - p->start_ms;
    int64_t per = !strcmp(p->repeat, "daily")    ? YJ_IPTV_DAY_MS
                  : !strcmp(p->repeat, "weekly") ? YJ_IPTV_WEEK_MS
                                                 : 0;
    if (len > (per ? per : YJ_IPTV_WEEK_MS))
        FAIL(400, "invalid_end", "end",
             per ? "a repeated programme lasts at most its period"
                 : "a programme lasts at most 7 days");
    if (per) {
        if (!p->until_ms)
            FAIL(400, "missing_field", "repeat_until", "repeat_until is required with repeat");
        if (p->until_ms <= p->start_ms || p->until_ms - p->start_ms > YJ_IPTV_REPEAT_MAX_MS)
            FAIL(400, "invalid_repeat_until", "repeat_until",
                 "repeat_until must be after start and within 400 days");
    } else {
        p->until_ms = 0;
    }
    bool media = !strcmp(p->kind, "lesson") || !strcmp(p->kind, "recording");
    if (media && !p->lesson_id)
        FAIL(400, "missing_field", "lesson_id", "lesson_id is required for a %s", p->kind);
    if (!strcmp(p->kind, "loop") && !p->course_id)
        FAIL(400, "missing_field", "course_id", "course_id is required for a loop");
    if (!strcmp(p->kind, "live") && !p->meeting_id)
        FAIL(400, "missing_field", "meeting_id", "meeting_id is required for a live lecture");
    if (!strcmp(p->kind, "feed")) {
        if (feed) {
            g_free(p->feed_url);
            p->feed_url = g_strdup(feed);
        }
        bool rtp;
        if (!p->feed_url)
            FAIL(400, "missing_field", "feed_url", "feed_url is required for a feed");
        if (yj_iptv_parse_feed_url(p->feed_url, NULL, 0, NULL, &rtp))
            FAIL(400, "invalid_feed_url", "feed_url",
                 "feed_url is udp://[source@]address:port or rtp://[source@]address:port");
        if (!title && !p->title)
            FAIL(400, "missing_field", "title", "title is required for a feed");
    }
    if (title) {
        g_free(p->title);
        p->title = g_strdup(title);
    }
    if (jd) {
        g_free(p->description);
        p->description = desc ? g_strdup(desc) : NULL;
    }
    if (!json_object_get(b, "minutes") && p->creditable && !p->minutes)
        p->minutes = (int)MIN((len + 30000) / 60000, 600);
    if (p->creditable && p->minutes < 1)
        p->minutes = 1;
    return 0;
}

/* Parses the body over p, then checks what it refers to (lesson, course,
 * meeting) against the administrator's reach and takes its title when
 * none was given. Queues a 4xx and returns non-zero on a bad field. */
static int prog_fields(yj_iptv_t *v, yj_req_t *req, json_t *b, yj_iptv_prog_t *p)
{
    const yj_principal_t *me = yj_req_principal(req);
    yj_iptv_ferr_t err, *e = &err;
    int rc = yj_iptv_prog_parse(b, p, e);
    char dtitle[700] = "";
    bool ok = true;
    if (!rc && (!strcmp(p->kind, "lesson") || !strcmp(p->kind, "recording"))) {
        yj_vod_lesson_t l;
        if (yj_store_vod_lesson_get(v->store, p->lesson_id, &l) == 0) {
            ok = admin_may_view(me, l.course_org_path ? l.course_org_path : "");
            g_strlcpy(dtitle, l.title ? l.title : "", sizeof dtitle);
            yj_vod_lesson_clear(&l);
        } else {
            ok = false;
        }
        if (!ok)
            rc = (yj_iptv_ferr_set(e, 404, "unknown_lesson", "lesson_id", "no such lesson"),
                  YJ_EINVAL);
    } else if (!rc && !strcmp(p->kind, "loop")) {
        yj_vod_course_t c;
        if (yj_store_vod_course_get(v->store, p->course_id, &c) == 0) {
            ok = admin_may_view(me, c.org_path ? c.org_path : "");
            g_strlcpy(dtitle, c.title ? c.title : "", sizeof dtitle);
            yj_vod_course_clear(&c);
        } else {
            ok = false;
        }
        if (!ok)
            rc = (yj_iptv_ferr_set(e, 404, "unknown_course", "course_id", "no such course"),
                  YJ_EINVAL);
    } else if (!rc && !strcmp(p->kind, "live")) {
        yj_meeting_info_t m;
        if (yj_store_meeting_info(v->store, p->meeting_id, &m) || !admin_may_view(me, m.org_path))
            rc = (yj_iptv_ferr_set(e, 404, "unknown_meeting", "meeting_id", "no such meeting"),
                  YJ_EINVAL);
        else
            g_strlcpy(dtitle, m.title, sizeof dtitle);
    }
    if (rc) {
        reply_ferr(req, e);
        return rc;
    }
    if (!p->title) {
        /* the lesson's, course's or meeting's title, cut to 200 characters */
        const char *end = dtitle;
        for (int i = 0; i < 200 && *end; i++)
            end = g_utf8_next_char(end);
        p->title = g_strndup(dtitle, (gsize)(end - dtitle));
    }
    return 0;
}

static int prog_save(yj_iptv_t *v, yj_req_t *req, yj_iptv_prog_t *p, unsigned status)
{
    overlap_t o = {0};
    int rc = yj_iptv_store_prog_put(v->store, p, no_overlap, &o);
    if (rc == YJ_EBUSY) {
        g_autofree char *when = yj_iptv_format_time(o.other_start);
        return yj_req_reply_error(req, 409, "overlap", "start",
                                  "overlaps programme %" G_GINT64_FORMAT " (%s, from %s)",
                                  o.other_id, o.other_title, when);
    }
    if (rc == YJ_ENOENT)
        return yj_req_reply_error(req, 404, "not_found", "id", "no such channel or programme");
    if (rc)
        return rc;
    yj_iptv_schedule_changed(v, p->channel_id);
    return yj_req_reply_json(req, status, yj_iptv_prog_json(p));
}

/* POST /api/v1/channels/{id}/programmes */
static int prog_create(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_channel_t c;
    if (channel_for_admin(v, req, &c))
        return 0;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_iptv_prog_t p = {.channel_id = c.id};
    int rc = 0;
    if (prog_fields(v, req, b, &p) == 0)
        rc = prog_save(v, req, &p, 201);
    yj_iptv_prog_clear(&p);
    return rc;
}

/* The programme {pid} of channel {id} for an administrator who may edit. */
static int prog_for_admin(yj_iptv_t *v, yj_req_t *req, yj_iptv_prog_t *p)
{
    yj_iptv_channel_t c;
    if (channel_for_admin(v, req, &c))
        return YJ_EPERM;
    int64_t pid = yj_iptv_param_id(req, "pid");
    if (!pid || yj_iptv_store_prog_get(v->store, pid, p) || p->channel_id != c.id) {
        yj_iptv_prog_clear(p);
        yj_req_reply_error(req, 404, "not_found", "pid", "no such programme on this channel");
        return YJ_ENOENT;
    }
    return 0;
}

/* PATCH /api/v1/channels/{id}/programmes/{pid} */
static int prog_patch(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_prog_t p = {0};
    if (prog_for_admin(v, req, &p))
        return 0;
    json_t *b = yj_req_json_body(req);
    int rc = 0;
    if (b && prog_fields(v, req, b, &p) == 0)
        rc = prog_save(v, req, &p, 200);
    yj_iptv_prog_clear(&p);
    return rc;
}

/* DELETE /api/v1/channels/{id}/programmes/{pid} */
static int prog_delete(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_prog_t p = {0};
    if (prog_for_admin(v, req, &p))
        return 0;
    int rc = yj_iptv_store_prog_delete(v->store, p.id);
    int64_t ch = p.channel_id;
    yj_iptv_prog_clear(&p);
    if (rc)
        return yj_req_reply_errno(req, rc, "pid");
    yj_iptv_schedule_changed(v, ch);
    return yj_req_reply_json(req, 200, json_pack("{s:b}", "deleted", 1));
}

/* GET /api/v1/channels/{id}/programmes/{pid} */
static int prog_get(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    yj_iptv_channel_t c;
    if (yj_iptv_viewer(v, req, &who) ||
        yj_iptv_channel_for(v, req, &who, yj_iptv_param_id(req, "id"), &c))
        return 0;
    yj_iptv_prog_t p = {0};
    int64_t pid = yj_iptv_param_id(req, "pid");
    if (!pid || yj_iptv_store_prog_get(v->store, pid, &p) || p.channel_id != c.id) {
        yj_iptv_prog_clear(&p);
        return yj_req_reply_error(req, 404, "not_found", "pid", "no such programme");
    }
    json_t *o = yj_iptv_prog_json(&p);
    yj_iptv_prog_clear(&p);
    return yj_req_reply_json(req, 200, o);
}

/* GET /api/v1/channels/{id}/programmes */
static int progs_list(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    yj_iptv_channel_t c;
    if (yj_iptv_viewer(v, req, &who) ||
        yj_iptv_channel_for(v, req, &who, yj_iptv_param_id(req, "id"), &c))
        return 0;
    GArray *a = yj_iptv_store_progs(v->store, c.id, 0);
    if (!a)
        return YJ_EDB;
    json_t *arr = json_array();
    for (guint i = 0; i < a->len; i++)
        json_array_append_new(arr, yj_iptv_prog_json(&g_array_index(a, yj_iptv_prog_t, i)));
    yj_iptv_progs_free(a);
    return yj_req_reply_json(req, 200, json_pack("{s:o}", "programmes", arr));
}

typedef struct {
    json_t *arr;
    const yj_iptv_loaded_t *l;
} occ_ctx_t;

static void occ_json(const yj_iptv_entry_t *e, int64_t occ, int64_t start, int64_t end, void *ud)
{
    occ_ctx_t *x = ud;
    const yj_iptv_prog_t *p = yj_iptv_loaded_prog(x->l, e);
    json_array_append_new(
        x->arr, json_pack("{s:I,s:I,s:I,s:s,s:s,s:o,s:o,s:s,s:b}", "programme_id",
                          (json_int_t)e->id, "occurrence", (json_int_t)occ, "occurrence_id",
                          (json_int_t)YJ_IPTV_OCC_ID(e->id, occ, 0), "kind", p ? p->kind : "",
                          "title", e->title ? e->title : "", "start", yj_iptv_time_json(start),
                          "end", yj_iptv_time_json(end), "repeat", p ? p->repeat : "none",
                          "creditable", p && p->creditable));
}

/* GET /api/v1/channels/{id}/schedule?from=&to= — occurrences (repeats
 * expanded, loops as one block each) overlapping [from, to). */
static int schedule_get(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    yj_iptv_channel_t c;
    if (yj_iptv_viewer(v, req, &who) ||
        yj_iptv_channel_for(v, req, &who, yj_iptv_param_id(req, "id"), &c))
        return 0;
    int64_t now = g_get_real_time() / 1000, from = now, to;
    const char *fs = yj_req_query(req, "from"), *ts = yj_req_query(req, "to");
    if (fs && !yj_iptv_parse_time(fs, &from))
        return yj_req_reply_error(req, 400, "invalid_time", "from",
                                  "from must be an ISO 8601 time with an explicit offset");
    to = from + YJ_IPTV_WEEK_MS;
    if (ts && !yj_iptv_parse_time(ts, &to))
        return yj_req_reply_error(req, 400, "invalid_time", "to",
                                  "to must be an ISO 8601 time with an explicit offset");
    if (to <= from || to - from > 31 * YJ_IPTV_DAY_MS)
        return yj_req_reply_error(req, 400, "invalid_range", "to",
                                  "to must be after from, at most 31 days later");
    yj_iptv_loaded_t *l = yj_iptv_load(v, c.id, from);
    if (!l)
        return YJ_EDB;
    occ_ctx_t x = {json_array(), l};
    yj_iptv_schedule_each(l->e, l->n, from, to, 5000, occ_json, &x);
    yj_iptv_loaded_free(l);
    return yj_req_reply_json(req, 200,
                             json_pack("{s:o,s:o,s:o}", "from", yj_iptv_time_json(from), "to",
                                       yj_iptv_time_json(to), "occurrences", x.arr));
}

static json_t *programme_json(const yj_iptv_programme_t *p)
{
    static const char *const kinds[] = {"slate", "lesson", "feed", "live"};
    json_t *o =
        json_pack("{s:I,s:s,s:s*,s:s*,s:o,s:o}", "id", (json_int_t)p->id, "kind",
                  kinds[p->kind & 3], "title", p->title, "description", p->description, "start",
                  yj_iptv_time_json(p->start_ms), "end", yj_iptv_time_json(p->end_ms));
    if (p->id)
        json_object_set_new(o, "programme_id", json_integer(YJ_IPTV_OCC_ENTRY(p->id)));
    return o;
}

/* GET /api/v1/channels/{id}/now?at= — what the playout is told. */
static int now_get(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    yj_iptv_channel_t c;
    if (yj_iptv_viewer(v, req, &who) ||
        yj_iptv_channel_for(v, req, &who, yj_iptv_param_id(req, "id"), &c))
        return 0;
    int64_t at = g_get_real_time() / 1000;
    const char *as = yj_req_query(req, "at");
    if (as && !yj_iptv_parse_time(as, &at))
        return yj_req_reply_error(req, 400, "invalid_time", "at",
                                  "at must be an ISO 8601 time with an explicit offset");
    yj_iptv_programme_t now, next;
    int rc = yj_iptv_schedule_ops.programme_at(c.id, at, &now, &next, v);
    if (rc)
        return rc;
    json_t *o = json_pack("{s:o,s:o,s:o}", "at", yj_iptv_time_json(at), "now", programme_json(&now),
                          "next", programme_json(&next));
    yj_iptv_programme_clear(&now);
    yj_iptv_programme_clear(&next);
    return yj_req_reply_json(req, 200, o);
}

int yj_iptv_api_register(yj_iptv_t *v, yj_http_t *http)
{
    const unsigned pub = YJ_ROUTE_PUBLIC, adm = YJ_ROUTE_ADMIN;
    int rc = yj_http_route(http, "GET", "/api/v1/channels", pub, 0, channels_list, v);
    rc |= yj_http_route(http, "POST", "/api/v1/channels", adm, 0, channel_create, v);
    rc |= yj_http_route(http, "GET", "/api/v1/channels/{id}", pub, 0, channel_get, v);
    rc |= yj_http_route(http, "PATCH", "/api/v1/channels/{id}", adm, 0, channel_patch, v);
    rc |= yj_http_route(http, "DELETE", "/api/v1/channels/{id}", adm, 0, channel_delete, v);
    rc |= yj_http_route(http, "GET", "/api/v1/channels/{id}/programmes", pub, 0, progs_list, v);
    rc |= yj_http_route(http, "POST", "/api/v1/channels/{id}/programmes", adm, 0, prog_create, v);
    rc |= yj_http_route(http, "GET", "/api/v1/channels/{id}/programmes/{pid}", pub, 0, prog_get, v);
    rc |= yj_http_route(http, "PATCH", "/api/v1/channels/{id}/programmes/{pid}", adm, 0, prog_patch,
                        v);
    rc |= yj_http_route(http, "DELETE", "/api/v1/channels/{id}/programmes/{pid}", adm, 0,
                        prog_delete, v);
    rc |= yj_http_route(http, "GET", "/api/v1/channels/{id}/schedule", pub, 0, schedule_get, v);
    rc |= yj_http_route(http, "GET", "/api/v1/channels/{id}/now", pub, 0, now_get, v);
    return rc;
}
