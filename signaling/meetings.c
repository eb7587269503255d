/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meetings.c — the meetings subsystem: REST routes, the /ws endpoint, the
 * /meet/{id} page and the demo meeting; see meetings.h.
 *
 * Routes (documented in docs/openapi/30-meetings.json):
 *   POST /api/v1/meetings                 schedule (administrators)
 *   GET  /api/v1/meetings                 list what the caller may see
 *   GET  /api/v1/meetings/{id}            one meeting
 *   POST /api/v1/meetings/{id}/start      host or administrator
 *   POST /api/v1/meetings/{id}/end        host or administrator
 *   GET  /api/v1/meetings/{id}/report     invited/present/absent per org
 *   GET  /ws                              WebSocket signaling (ws.c, room.c)
 *
 * A meeting the caller may not see is a 404, never a 403, so ids cannot be
 * probed.
 */
#include "meetings.h"
#include "room.h"
#include "rtc.h"
#include "core/log.h"
#include "core/store_auth.h"
#include "core/store_meetings.h"
#include "core/yj.h"

#include <string.h>

static struct {
    yj_app_t *app;
    yj_rooms_t *rooms;
} M;

/* ------------------------------------------------------------------ */
/* helpers */

static int64_t param_id(yj_req_t *req)
{
    const char *s = yj_req_param(req, "id");
    char *end = NULL;
    if (!s || !*s)
        return 0;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    return end && !*end && v > 0 ? v : 0;
}

/* Loads the meeting the caller may see, or replies 404 and returns false. */
static bool visible(yj_req_t *req, yj_meeting_info_t *m)
{
    int64_t id = param_id(req);
    const yj_principal_t *p = yj_req_principal(req);
    if (!id || yj_store_meeting_info(M.app->store, id, m) != 0 ||
        !yj_store_meeting_can_join(M.app->store, m, p)) {
        yj_req_reply_error(req, 404, "not_found", "id", "no such meeting");
        return false;
    }
    return true;
}

static json_t *meeting_out(int64_t id, const yj_principal_t *p)
{
    json_t *j = yj_store_meeting_json(M.app->store, id);
    if (!j)
        return NULL;
    json_object_set_new(j, "participants", json_integer(yj_rooms_participants(M.rooms, id)));
    yj_meeting_info_t info;
    if (p && yj_store_meeting_info(M.app->store, id, &info) == 0)
        json_object_set_new(j, "you_host", json_boolean(yj_meeting_is_host(&info, p)));
    return j;
}

/* Start time: ISO-8601 (an offset or Z; without one, the server's local
 * time) or Unix seconds. Returns false when malformed. */
static bool parse_time(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return *out > 0;
    }
    if (!json_is_string(v))
        return false;
    GTimeZone *tz = g_time_zone_new_local();
    GDateTime *dt = g_date_time_new_from_iso8601(json_string_value(v), tz);
    g_time_zone_unref(tz);
    if (!dt)
        return false;
    *out = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return true;
}

/* Reads an array of strings (each ≤ max bytes) into a NULL-terminated
 * vector borrowed from the JSON; NULL on error (with the reply sent). */
static const char **string_list(yj_req_t *req, json_t *b, const char *key, size_t max, size_t *n)
{
    json_t *a = json_object_get(b, key);
    *n = 0;
    if (!a || json_is_null(a))
        return yj_req_alloc(req, sizeof(char *));
    if (!json_is_array(a) || json_array_size(a) > 1000) {
        yj_req_reply_error(req, 400, "invalid", key, "%s must be an array of at most 1000 strings",
                           key);
        return NULL;
    }
    const char **v = yj_req_alloc(req, (json_array_size(a) + 1) * sizeof(char *));
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x)
    {
        if (!json_is_string(x) || json_string_length(x) == 0 || json_string_length(x) > max) {
            yj_req_reply_error(req, 400, "invalid", key, "%s[%zu] must be a non-empty string", key,
                               i);
            return NULL;
        }
        v[i] = json_string_value(x);
    }
    *n = json_array_size(a);
    return v;
}

static bool opt_int(yj_req_t *req, json_t *b, const char *key, int lo, int hi, int *out)
{
    json_t *v = json_object_get(b, key);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        yj_req_reply_error(req, 400, "invalid", key, "%s must be a whole number from %d to %d", key,
                           lo, hi);
        return false;
    }
    *out = (int)json_integer_value(v);
    return true;
}

static const char *opt_str(json_t *b, const char *key)
{
    json_t *v = json_object_get(b, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ------------------------------------------------------------------ */
/* handlers */

/* POST /api/v1/meetings */
static int meeting_create(yj_req_t *req, void *ud)
{
    (void)ud;
    const yj_principal_t *me = yj_req_principal(req);
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_meeting_spec_t sp = {.by = me, .duration_minutes = 60, .threshold_percent = 50};
    sp.title = opt_str(b, "title");
    if (!sp.title || !*sp.title || g_utf8_strlen(sp.title, -1) > 200)
        return yj_req_reply_error(req, 400, "invalid", "title",
                                  "title is required (1 to 200 characters)");
    const char *type = opt_str(b, "type");
    sp.type = yj_meeting_type_slug(type ? type : "member_assembly");
    if (!sp.type)
        return yj_req_reply_error(
            req, 400, "invalid", "type",
            "type must be member_assembly (支部党员大会), committee (支委会), "
            "group (党小组会) or lecture (党课)");
    sp.org_code = opt_str(b, "org_code");
    if (!sp.org_code || !*sp.org_code)
        return yj_req_reply_error(req, 400, "missing_field", "org_code",
                                  "org_code is required: the organisation holding the meeting");
    json_t *start = json_object_get(b, "start");
    sp.start_at = yj_now();
    if (start && !json_is_null(start) && !parse_time(start, &sp.start_at))
        return yj_req_reply_error(req, 400, "invalid", "start",
                                  "start must be an ISO-8601 time such as "
                                  "2026-12-01T09:00:00+08:00");
    if (!opt_int(req, b, "duration_minutes", 1, 1440, &sp.duration_minutes) ||
        !opt_int(req, b, "threshold_percent", 1, 100, &sp.threshold_percent))
        return 0;
    sp.host_admin = opt_str(b, "host_admin");
    sp.host_member = opt_str(b, "host_member");
    if (sp.host_admin && sp.host_member)
        return yj_req_reply_error(req, 400, "invalid", "host_member",
                                  "give host_admin or host_member, not both");
    if (!sp.host_admin && !sp.host_member)
        sp.host_admin = me->username;
    const char **orgs = string_list(req, b, "orgs", 32, &sp.n_orgs);
    if (!orgs)
        return 0;
    const char **members = string_list(req, b, "members", 18, &sp.n_members);
    if (!members)
        return 0;
    sp.org_codes = orgs;
    sp.member_ids = members;

    int64_t id = 0;
    const char *field = NULL;
    char *value = NULL;
    int rc = yj_store_meeting_create(M.app->store, &sp, &id, &field, &value);
    if (rc == YJ_ENOENT || rc == YJ_EPERM) {
        int r =
            rc == YJ_EPERM
                ? yj_req_reply_error(req, 403, "forbidden", field,
                                     "%s is outside the organisations you administer",
                                     value ? value : "?")
                : yj_req_reply_error(req, 400, "not_found", field, "%s: no such %s you may invite",
                                     value ? value : "?",
                                     strcmp(field, "orgs") == 0 || strcmp(field, "org_code") == 0
                                         ? "organisation"
                                     : strcmp(field, "host_admin") == 0
                                         ? "administrator of this organisation"
                                         : "member (outside your organisations only migrant "
                                           "members can be invited)");
        g_free(value);
        return r;
    }
    g_free(value);
    if (rc == YJ_EINVAL)
        return yj_req_reply_error(req, 400, "invalid", field, "invalid meeting");
    if (rc)
        return rc;
    yj_info("meetings", "%s scheduled meeting %" G_GINT64_FORMAT " \"%s\" for %s", me->username, id,
            sp.title, sp.org_code);
    char loc[64];
    g_snprintf(loc, sizeof loc, "/api/v1/meetings/%" G_GINT64_FORMAT, id);
    yj_req_add_header(req, "Location", loc);
    return yj_req_reply_json(req, 201, meeting_out(id, me));
}

/* GET /api/v1/meetings?status=&limit=&offset= */
static int meeting_list(yj_req_t *req, void *ud)
{
    (void)ud;
    const char *status = yj_req_query(req, "status");
    if (status && strcmp(status, "scheduled") && strcmp(status, "live") && strcmp(status, "ended"))
        return yj_req_reply_error(req, 400, "invalid", "status",
                                  "status must be scheduled, live or ended");
    const char *ls = yj_req_query(req, "limit"), *os = yj_req_query(req, "offset");
    long limit = ls ? strtol(ls, NULL, 10) : 50, offset = os ? strtol(os, NULL, 10) : 0;
    if (limit < 1 || limit > 200)
        return yj_req_reply_error(req, 400, "invalid", "limit", "limit must be 1 to 200");
    if (offset < 0)
        return yj_req_reply_error(req, 400, "invalid", "offset", "offset must be 0 or more");
    json_t *j =
        yj_store_meeting_list(M.app->store, yj_req_principal(req), status, (int)limit, (int)offset);
    if (!j)
        return YJ_EDB;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(j, "meetings"), i, m)
    {
        int64_t id = json_integer_value(json_object_get(m, "id"));
        json_object_set_new(m, "participants", json_integer(yj_rooms_participants(M.rooms, id)));
    }
    return yj_req_reply_json(req, 200, j);
}

/* GET /api/v1/meetings/{id} */
static int meeting_get(yj_req_t *req, void *ud)
{
    (void)ud;
    yj_meeting_info_t m;
    if (!visible(req, &m))
        return 0;
    json_t *j = meeting_out(m.id, yj_req_principal(req));
    return j ? yj_req_reply_json(req, 200, j) : YJ_EDB;
}

static bool host_only(yj_req_t *req, const yj_meeting_info_t *m)
{
    if (yj_meeting_is_host(m, yj_req_principal(req)))
        return true;
    yj_req_reply_error(req, 403, "forbidden", NULL,
                       "only the host or an administrator of the organisation may do this");
    return false;
}

/* POST /api/v1/meetings/{id}/start */
static int meeting_start(yj_req_t *req, void *ud)
{
    (void)ud;
    yj_meeting_info_t m;
    if (!visible(req, &m) || !host_only(req, &m))
        return 0;
    int rc = yj_store_meeting_start(M.app->store, m.id, yj_now());
    if (rc == YJ_ESTATE)
        return yj_req_reply_error(req, 409, "meeting_ended", NULL, "this meeting has ended");
    if (rc)
        return rc;
    return yj_req_reply_json(req, 200, meeting_out(m.id, yj_req_principal(req)));
}

/* POST /api/v1/meetings/{id}/end */
static int meeting_end(yj_req_t *req, void *ud)
{
    (void)ud;
    yj_meeting_info_t m;
    if (!visible(req, &m) || !host_only(req, &m))
        return 0;
    int credited = 0;
    int rc = yj_rooms_end(M.rooms, m.id,
                          yj_req_principal(req)->kind == YJ_PRINCIPAL_ADMIN ? "admin" : "host",
                          &credited);
    if (rc == YJ_ESTATE)
        return yj_req_reply_error(req, 409, "meeting_ended", NULL, "this meeting has ended");
    if (rc)
        return rc;
    json_t *j = meeting_out(m.id, yj_req_principal(req));
    json_object_set_new(j, "credited", json_integer(credited));
    return yj_req_reply_json(req, 200, j);
}

/* GET /api/v1/meetings/{id}/report */
static int meeting_report(yj_req_t *req, void *ud)
{
    (void)ud;
    yj_meeting_info_t m;
    if (!visible(req, &m) || !host_only(req, &m))
        return 0;
    json_t *j = yj_store_meeting_report(M.app->store, m.id, yj_now());
    return j ? yj_req_reply_json(req, 200, j) : YJ_EDB;
}

/* GET /ws */
static int ws_route(yj_req_t *req, void *ud)
{
    (void)ud;
    void *data = yj_rooms_conn_data(M.rooms, yj_req_principal(req));
    return yj_ws_handshake(yj_rooms_ws(M.rooms), req, data, g_free);
}

/* GET /meet/{meeting_id} — the meeting page (it reads the id from its URL).
 * The page's own files live beside it (/meet/meet.js, /meet/meet.css): a
 * segment that is not a number is one of them. */
static int meet_page(yj_req_t *req, void *ud)
{
    (void)ud;
    const char *seg = yj_req_param(req, "meeting_id");
    bool number = seg && *seg;
    for (const char *c = seg; number && *c; c++)
        number = g_ascii_isdigit(*c);
    if (!number) {
        /* The router refuses "." and ".." segments; a segment has no '/'. */
        g_autofree char *file = g_build_filename(M.app->web_dir, "meet", seg, NULL);
        return yj_req_reply_file(req, file, NULL, "no-cache");
    }
    g_autofree char *file = g_build_filename(M.app->web_dir, "meet.html", NULL);
    return yj_req_reply_file(req, file, "text/html; charset=utf-8", "no-cache");
}

/* ------------------------------------------------------------------ */
/* subsystem */

/* WHIP/WHEP (signaling/rtc.c) into a meeting's media room ("meeting-<id>"):
 * the meeting's invited members, its host and administrators of its
 * organisation's subtree, while it has not ended. Other rooms (broadcasts,
 * tests) are for administrators only. [HTTP thread] */
static bool authorize(const char *room_id, const yj_principal_t *who, yj_rtc_role_t role, void *ud)
{
    (void)role;
    (void)ud;
    int64_t meeting = yj_rooms_meeting_of(room_id);
    if (!meeting)
        return who->kind == YJ_PRINCIPAL_ADMIN;
    return M.rooms && yj_rooms_may_enter(M.rooms, meeting, who);
}

static void demo_meeting(void)
{
    if (yj_store_meeting_count(M.app->store) != 0)
        return;
    yj_principal_t district;
    if (yj_store_admin_find(M.app->store, "district", &district, NULL) != 0)
        return;
    const char *orgs[] = {"330100"};
    yj_meeting_spec_t sp = {
        .title = "演示会议",
        .type = "lecture",
        .org_code = "330100",
        .start_at = yj_now(),
        .duration_minutes = 60,
        .threshold_percent = 50,
        .host_admin = "district",
        .org_codes = orgs,
        .n_orgs = 1,
        .by = &district,
    };
    int64_t id = 0;
    int rc = yj_store_meeting_create(M.app->store, &sp, &id, NULL, NULL);
    if (rc)
        yj_warn("meetings", "cannot create the demo meeting: %s", yj_strerror(rc));
    else
        yj_info("meetings", "demo meeting %" G_GINT64_FORMAT " at /meet/%" G_GINT64_FORMAT, id, id);
}

int yj_meetings_init(yj_app_t *app, yj_http_t *http)
{
    M.app = app;
    yj_rooms_options_t ro = {
        .grace_seconds = (int)yj_config_int(app->cfg, "meetings", "grace_seconds", 300),
        .heartbeat_seconds = (int)yj_config_int(app->cfg, "meetings", "heartbeat_seconds", 15),
        .ice_servers = yj_config_string(app->cfg, "meetings", "ice_servers", ""),
    };
    yj_ws_options_t wo = {
        .max_message = (size_t)yj_config_int(app->cfg, "meetings", "max_message_bytes", 65536),
        .ping_seconds = (int)yj_config_int(app->cfg, "meetings", "ws_ping_seconds", 20),
        .idle_seconds = (int)yj_config_int(app->cfg, "meetings", "ws_idle_seconds", 60),
    };
    if (ro.grace_seconds < 0 || ro.heartbeat_seconds < 1 || wo.max_message < 1024 ||
        wo.max_message > (64u << 20) || wo.ping_seconds < 1 || wo.idle_seconds <= wo.ping_seconds) {
        yj_error("meetings", "[meetings] needs grace_seconds >= 0, heartbeat_seconds >= 1, "
                             "max_message_bytes 1024..67108864, ws_idle_seconds > ws_ping_seconds");
        return YJ_EINVAL;
    }
    M.rooms = yj_rooms_new(app, &ro, &wo);
    /* The engine belongs to the rtc subsystem, initialised before us and
     * stopped after us; without it, signaling works without media. */
    yj_rooms_set_media(M.rooms, yj_rtc_engine());
    if (!yj_rtc_engine())
        yj_warn("meetings", "no media engine: meetings run without audio and video");
    int rc = 0;
    rc |= yj_http_route(http, "POST", "/api/v1/meetings", YJ_ROUTE_ADMIN, 0, meeting_create, NULL);
    rc |= yj_http_route(http, "GET", "/api/v1/meetings", YJ_ROUTE_AUTH, 0, meeting_list, NULL);
    rc |= yj_http_route(http, "GET", "/api/v1/meetings/{id}", YJ_ROUTE_AUTH, 0, meeting_get, NULL);
    rc |= yj_http_route(http, "POST", "/api/v1/meetings/{id}/start", YJ_ROUTE_AUTH, 0,
                        meeting_start, NULL);
    rc |= yj_http_route(http, "POST", "/api/v1/meetings/{id}/end", YJ_ROUTE_AUTH, 0, meeting_end,
                        NULL);
    rc |= yj_http_route(http, "GET", "/api/v1/meetings/{id}/report", YJ_ROUTE_AUTH, 0,
                        meeting_report, NULL);
    rc |= yj_http_route(http, "GET", "/ws", YJ_ROUTE_PUBLIC, 0, ws_route, NULL);
    rc |= yj_http_route(http, "GET", "/meet/{meeting_id}", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0,
                        meet_page, NULL);
    return rc ? YJ_EINVAL : 0;
}

struct yj_rooms *yj_meetings_rooms(void)
{
    return M.rooms;
}

int yj_meetings_start(void)
{
    int rc = yj_rooms_start(M.rooms);
    if (rc)
        return rc;
    yj_rtc_set_authorizer(authorize, NULL);
    if (M.app->demo)
        demo_meeting();
    return 0;
}

void yj_meetings_stop(void)
{
    if (M.rooms && M.app)
        yj_rtc_set_authorizer(NULL, NULL);
    yj_rooms_free(M.rooms);
    M.rooms = NULL;
    M.app = NULL;
}
