/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meetings.c — the meetings subsystem: REST routes, the /ws endpoint, the
 * /meet/{id} page and the demo meeting; see meetings.h.
 *
 * Routes (documented in docs/openapi/30-meetings.json):
 *   POST /api/v1/meetings                 schedule (administrators)
 *   GET  /api/v1/meetings                 list what the caller may see
 *   GET  /api/v1/meetings/invitees?q=     members an administrator may invite
 *   GET  /api/v1/meetings/{id}            one meeting
 *   GET  /api/v1/orgs/{code}/meetings/attendance  ended meetings with counts
 *   PATCH /api/v1/meetings/{id}           edit before it starts (administrators)
 *   DELETE /api/v1/meetings/{id}          cancel before it starts (administrators)
 *   POST /api/v1/meetings/{id}/start      host or administrator
 *   POST /api/v1/meetings/{id}/end        host or administrator
 *   GET  /api/v1/meetings/{id}/report     invited/present/absent per org
 *   GET  /ws                              WebSocket signaling (ws.c, meeting_rooms.c)
 *
 * A meeting the caller may not see is a 404, never a 403, so ids cannot be
 * probed.
 */
#include "meetings.h"
#include "meeting_rooms.h"
#include "meeting_input.h"
#include "core/log.h"
#include "core/store_auth.h"
#include "core/store_records.h"
#include "signaling/store.h"
#include "core/member_input.h"
#include "core/yj.h"

#include <string.h>

typedef struct {
    yj_meeting_ended_fn fn;
    void *ud;
} ended_hook_t;

struct yj_meetings {
    yj_app_t *app;             /* borrowed */
    yj_meeting_rooms_t *rooms; /* owned; NULL after _stop */
    GArray *ended;             /* ended_hook_t; filled before _start, then read-only */
    bool started;
};

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
static bool visible(yj_meetings_t *M, yj_req_t *req, yj_meeting_info_t *m)
{
    int64_t id = param_id(req);
    const yj_principal_t *p = yj_req_principal(req);
    if (!id || yj_store_meeting_info(M->app->store, id, m) != 0 ||
        !yj_store_meeting_can_join(M->app->store, m, p)) {
        yj_req_reply_error(req, 404, "not_found", "id", "no such meeting");
        return false;
    }
    return true;
}

static bool host_only(yj_req_t *req, const yj_meeting_info_t *m);

static json_t *meeting_out(yj_meetings_t *M, int64_t id, const yj_principal_t *p)
{
    json_t *j = yj_store_meeting_json(M->app->store, id);
    if (!j)
        return NULL;
    json_object_set_new(j, "participants",
                        json_integer(yj_meeting_rooms_participants(M->rooms, id)));
    yj_meeting_info_t info;
    if (p && yj_store_meeting_info(M->app->store, id, &info) == 0)
        json_object_set_new(j, "you_host", json_boolean(yj_meeting_is_host(&info, p)));
    return j;
}

/* Start time: ISO-8601 (an offset or Z; without one, the server's local
 * time) or Unix seconds. Returns false when malformed. */
#define START_MIN YJ_MEETING_START_MIN
#define START_MAX YJ_MEETING_START_MAX

static bool parse_time(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return *out >= START_MIN && *out < START_MAX;
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
    return *out >= START_MIN && *out < START_MAX;
}

/* ------------------------------------------------------------------ */
/* handlers */

/* Schedules (replace_id 0) or edits a meeting from the body b (borrowed).
 * check_start: refuse a start in the past (a new meeting, or a new start). */
static int meeting_write(yj_meetings_t *M, yj_req_t *req, json_t *b, int64_t replace_id,
                         bool check_start)
{
    const yj_principal_t *me = yj_req_principal(req);
    yj_meeting_spec_t sp;
    yj_field_error_t fe;
    if (yj_meeting_input_from_json(b, yj_now(), &sp, &fe))
        return yj_req_reply_error(req, 400, fe.code, fe.field[0] ? fe.field : NULL, "%s",
                                  fe.message);
    sp.by = me;
    sp.replace_id = replace_id;
    /* A minute of slack for the time the form took to send. */
    if (check_start && sp.start_at < yj_now() - 60) {
        yj_meeting_input_clear(&sp);
        return yj_req_reply_error(req, 400, "start_in_past", "start",
                                  "start lies in the past: choose a time from now on");
    }
    if (!sp.host_admin && !sp.host_member)
        sp.host_admin = me->username;

    int64_t id = 0;
    const char *field = NULL;
    char *value = NULL;
    int rc = yj_store_meeting_create(M->app->store, &sp, &id, &field, &value);
    yj_meeting_input_clear(&sp);
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
    if (rc == YJ_ESTATE)
        return yj_req_reply_error(req, 409, "meeting_started", NULL,
                                  "this meeting has started or ended and can no longer be changed");
    if (rc)
        return rc;
    yj_info("meetings", "%s %s meeting %" G_GINT64_FORMAT " \"%s\" for %s", me->username,
            replace_id ? "changed" : "scheduled", id, sp.title, sp.org_code);
    if (replace_id)
        return yj_req_reply_json(req, 200, meeting_out(M, id, me));
    char loc[64];
    g_snprintf(loc, sizeof loc, "/api/v1/meetings/%" G_GINT64_FORMAT, id);
    yj_req_add_header(req, "Location", loc);
    return yj_req_reply_json(req, 201, meeting_out(M, id, me));
}

/* POST /api/v1/meetings */
static int meeting_create(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    json_t *start = json_object_get(b, "start");
    return meeting_write(M, req, b, 0, start && !json_is_null(start));
}

/* PATCH /api/v1/meetings/{id}: the fields given replace the current ones;
 * orgs and members, when given, replace the whole invitation list. */
static int meeting_patch(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    yj_meeting_info_t m;
    if (!visible(M, req, &m) || !host_only(req, &m))
        return 0;
    if (yj_req_principal(req)->kind != YJ_PRINCIPAL_ADMIN)
        return yj_req_reply_error(req, 403, "forbidden", NULL,
                                  "only an administrator may change a meeting");
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    if (strcmp(m.status, "scheduled") != 0)
        return yj_req_reply_error(req, 409, "meeting_started", NULL,
                                  "this meeting has started or ended and can no longer be changed");
    json_t *cur = yj_store_meeting_json(M->app->store, m.id);
    if (!cur)
        return YJ_EDB;
    json_t *host = json_object_get(cur, "host");
    const char *host_member = json_string_value(json_object_get(host, "id_number"));
    json_t *orgs = json_array(), *members = json_array(), *x;
    size_t i;
    json_array_foreach(json_object_get(cur, "invited_orgs"), i, x)
        json_array_append(orgs, json_object_get(x, "code"));
    json_array_foreach(json_object_get(cur, "invited_members"), i, x)
    {
        const char *id = json_string_value(json_object_get(x, "id_number"));
        if (!host_member || g_strcmp0(id, host_member) != 0)
            json_array_append(members, json_object_get(x, "id_number"));
    }
    json_t *all =
        json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:o,s:o}", "title", json_object_get(cur, "title"),
                  "type", json_object_get(cur, "type"), "org_code",
                  json_object_get(cur, "org_code"), "start", json_object_get(cur, "start"),
                  "duration_minutes", json_object_get(cur, "duration_minutes"), "threshold_percent",
                  json_object_get(cur, "threshold_percent"), "orgs", orgs, "members", members);
    if (host_member)
        json_object_set_new(all, "host_member", json_string(host_member));
    else
        json_object_set(all, "host_admin", json_object_get(host, "username"));
    if (json_object_get(b, "host_admin") || json_object_get(b, "host_member")) {
        json_object_del(all, "host_admin");
        json_object_del(all, "host_member");
    }
    json_object_update(all, b);
    json_t *start = json_object_get(b, "start");
    int rc = meeting_write(M, req, all, m.id, start && !json_is_null(start));
    json_decref(all);
    json_decref(cur);
    return rc;
}

/* DELETE /api/v1/meetings/{id}: cancel before it starts; nothing credited. */
static int meeting_cancel(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    yj_meeting_info_t m;
    if (!visible(M, req, &m) || !host_only(req, &m))
        return 0;
    if (yj_req_principal(req)->kind != YJ_PRINCIPAL_ADMIN)
        return yj_req_reply_error(req, 403, "forbidden", NULL,
                                  "only an administrator may cancel a meeting");
    int rc = yj_store_meeting_cancel(M->app->store, m.id);
    if (rc == YJ_ESTATE)
        return yj_req_reply_error(req, 409, "meeting_started", NULL,
                                  "this meeting has started (or someone joined) and cannot be "
                                  "cancelled; end it instead");
    if (rc == YJ_ENOENT)
        return yj_req_reply_error(req, 404, "not_found", "id", "no such meeting");
    if (rc)
        return rc;
    yj_info("meetings", "%s cancelled meeting %" G_GINT64_FORMAT " \"%s\"",
            yj_req_principal(req)->username, m.id, m.title);
    return yj_req_reply_data(req, 204, NULL, "", 0);
}

/* GET /api/v1/meetings/invitees?q= */
static int meeting_invitees(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    const char *q = yj_req_query(req, "q");
    if (!q || !*q || strlen(q) > 100)
        return yj_req_reply_error(req, 400, "invalid", "q",
                                  "q (a name or identity number, 1 to 100 bytes) is required");
    g_autofree char *tidy = g_strstrip(g_ascii_strup(q, -1));
    if (!*tidy)
        return yj_req_reply_error(req, 400, "invalid", "q", "q must not be blank");
    json_t *j = yj_store_meeting_invitees(M->app->store, yj_req_principal(req), tidy, 20);
    return j ? yj_req_reply_json(req, 200, j) : YJ_EDB;
}

/* GET /api/v1/orgs/{code}/meetings/attendance?from=&to= — ended meetings
 * of the subtree with invited/present/credited counts (default: the last
 * 12 months); the page groups them by month in its time zone. */
static int org_attendance(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    const yj_principal_t *me = yj_req_principal(req);
    yj_org_t o;
    if (yj_store_org_get(M->app->store, yj_req_param(req, "code"), me->org_path, &o) != 0)
        return yj_req_reply_error(req, 404, "not_found", "code",
                                  "no such organisation in your organisation");
    int64_t to = yj_now() + 1, from = to - 366 * 86400;
    const char *fs = yj_req_query(req, "from"), *ts = yj_req_query(req, "to");
    json_t *fj = fs ? json_string(fs) : NULL, *tj = ts ? json_string(ts) : NULL;
    bool ok = (!fs || (fj && parse_time(fj, &from))) && (!ts || (tj && parse_time(tj, &to)));
    json_decref(fj);
    json_decref(tj);
    if (!ok || to <= from || to - from > 5 * 366 * 86400)
        return yj_req_reply_error(req, 400, "invalid", ok ? "to" : (fs ? "from" : "to"),
                                  "from and to are ISO-8601 times, from before to, at most 5 "
                                  "years apart");
    json_t *j = yj_store_meeting_attendance(M->app->store, o.path, from, to);
    if (!j)
        return YJ_EDB;
    json_object_set_new(j, "org_code", json_string(o.code));
    return yj_req_reply_json(req, 200, j);
}

/* GET /api/v1/meetings?status=&limit=&offset= */
static int meeting_list(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    const char *status = yj_req_query(req, "status");
    if (status && strcmp(status, "scheduled") && strcmp(status, "live") && strcmp(status, "ended"))
        return yj_req_reply_error(req, 400, "invalid", "status",
                                  "status must be scheduled, live or ended");
    int64_t limit, offset;
    if (!yj_req_query_int(req, "limit", 1, 200, 50, &limit) ||
        !yj_req_query_int(req, "offset", 0, 100000000, 0, &offset))
        return 0;
    json_t *j =
        yj_store_meeting_list(M->app->store, yj_req_principal(req), status, (int)limit, (int)offset);
    if (!j)
        return YJ_EDB;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(j, "meetings"), i, m)
    {
        int64_t id = json_integer_value(json_object_get(m, "id"));
        json_object_set_new(m, "participants",
                            json_integer(yj_meeting_rooms_participants(M->rooms, id)));
    }
    return yj_req_reply_json(req, 200, j);
}

/* GET /api/v1/meetings/{id} */
static int meeting_get(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    yj_meeting_info_t m;
    if (!visible(M, req, &m))
        return 0;
    json_t *j = meeting_out(M, m.id, yj_req_principal(req));
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
    yj_meetings_t *M = ud;
    yj_meeting_info_t m;
    if (!visible(M, req, &m) || !host_only(req, &m))
        return 0;
    int rc = yj_store_meeting_start(M->app->store, m.id, yj_now());
    if (rc == YJ_ESTATE)
        return yj_req_reply_error(req, 409, "meeting_ended", NULL, "this meeting has ended");
    if (rc)
        return rc;
    return yj_req_reply_json(req, 200, meeting_out(M, m.id, yj_req_principal(req)));
}

/* POST /api/v1/meetings/{id}/end */
static int meeting_end(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    yj_meeting_info_t m;
    if (!visible(M, req, &m) || !host_only(req, &m))
        return 0;
    int credited = 0;
    int rc = yj_meeting_rooms_end(
        M->rooms, m.id, yj_req_principal(req)->kind == YJ_PRINCIPAL_ADMIN ? "admin" : "host",
        &credited);
    if (rc == YJ_ESTATE)
        return yj_req_reply_error(req, 409, "meeting_ended", NULL, "this meeting has ended");
    if (rc)
        return rc;
    json_t *j = meeting_out(M, m.id, yj_req_principal(req));
    json_object_set_new(j, "credited", json_integer(credited));
    return yj_req_reply_json(req, 200, j);
}

/* GET /api/v1/meetings/{id}/report */
static int meeting_report(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    yj_meeting_info_t m;
    if (!visible(M, req, &m) || !host_only(req, &m))
        return 0;
    json_t *j = yj_store_meeting_report(M->app->store, m.id, yj_now());
    return j ? yj_req_reply_json(req, 200, j) : YJ_EDB;
}

/* GET /ws */
static int ws_route(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    void *data = yj_meeting_rooms_conn_data(M->rooms, yj_req_principal(req));
    return yj_ws_handshake(yj_meeting_rooms_ws(M->rooms), req, data, g_free);
}

/* GET /meet/{meeting_id} — the meeting page (it reads the id from its URL).
 * The page's own files live beside it (/meet/meet.js, /meet/meet.css): a
 * segment that is not a number is one of them. */
static int meet_page(yj_req_t *req, void *ud)
{
    yj_meetings_t *M = ud;
    const char *seg = yj_req_param(req, "meeting_id");
    bool number = seg && *seg;
    for (const char *c = seg; number && *c; c++)
        number = g_ascii_isdigit(*c);
    if (!number) {
        /* The router refuses "." and ".." segments; a segment has no '/'. */
        g_autofree char *file = g_build_filename(M->app->web_dir, "meet", seg, NULL);
        return yj_req_reply_file(req, file, NULL, "no-cache");
    }
    g_autofree char *file = g_build_filename(M->app->web_dir, "meet.html", NULL);
    return yj_req_reply_file(req, file, "text/html; charset=utf-8", "no-cache");
}

/* ------------------------------------------------------------------ */
/* subsystem */

/* WHIP/WHEP (signaling/rtc.c) into a meeting's media room ("meeting-<id>"):
 * the meeting's invited members, its host and administrators of its
 * organisation's subtree, while it has not ended. Other rooms (broadcasts,
 * tests) are for administrators only. [HTTP thread] */
bool yj_meetings_may_use_room(yj_meetings_t *M, const char *room_id, const yj_principal_t *who)
{
    int64_t meeting = yj_meeting_rooms_meeting_of(room_id);
    if (!meeting)
        return who->kind == YJ_PRINCIPAL_ADMIN;
    return M->rooms && yj_meeting_rooms_may_enter(M->rooms, meeting, who);
}

static void demo_meeting(yj_meetings_t *M)
{
    if (yj_store_meeting_count(M->app->store) != 0)
        return;
    yj_principal_t district;
    if (yj_store_admin_find(M->app->store, "district", &district, NULL) != 0)
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
    int rc = yj_store_meeting_create(M->app->store, &sp, &id, NULL, NULL);
    if (rc)
        yj_warn("meetings", "cannot create the demo meeting: %s", yj_strerror(rc));
    else
        yj_info("meetings", "demo meeting %" G_GINT64_FORMAT " at /meet/%" G_GINT64_FORMAT, id, id);
}

/* The rooms' end-of-meeting notice, fanned out to the hooks. [ws thread] */
static void meeting_ended(int64_t meeting, void *ud)
{
    yj_meetings_t *M = ud;
    for (guint i = 0; i < M->ended->len; i++) {
        ended_hook_t *h = &g_array_index(M->ended, ended_hook_t, i);
        h->fn(meeting, h->ud);
    }
}

int yj_meetings_on_ended(yj_meetings_t *M, yj_meeting_ended_fn fn, void *ud)
{
    if (!fn || M->started)
        return YJ_ESTATE;
    ended_hook_t h = {fn, ud};
    g_array_append_val(M->ended, h);
    return 0;
}

yj_meetings_t *yj_meetings_new(yj_app_t *app, yj_http_t *http, yj_media_t *media, char **err)
{
    yj_meeting_rooms_options_t ro = {
        .grace_seconds = (int)yj_config_int(app->cfg, "meetings", "grace_seconds", 300),
        .heartbeat_seconds = (int)yj_config_int(app->cfg, "meetings", "heartbeat_seconds", 15),
        .ice_servers = yj_config_string(app->cfg, "meetings", "ice_servers", ""),
        .on_ended = meeting_ended,
        .attendance_signaling =
            strcmp(yj_config_string(app->cfg, "meetings", "attendance", "media"), "signaling") == 0,
    };
    yj_ws_options_t wo = {
        .max_message = (size_t)yj_config_int(app->cfg, "meetings", "max_message_bytes", 65536),
        .ping_seconds = (int)yj_config_int(app->cfg, "meetings", "ws_ping_seconds", 20),
        .idle_seconds = (int)yj_config_int(app->cfg, "meetings", "ws_idle_seconds", 60),
    };
    const char *att = yj_config_string(app->cfg, "meetings", "attendance", "media");
    if (strcmp(att, "media") && strcmp(att, "signaling")) {
        *err = g_strdup_printf("[meetings] attendance must be media or signaling, not \"%s\"", att);
        return NULL;
    }
    if (ro.grace_seconds < 0 || ro.heartbeat_seconds < 1 || wo.max_message < 1024 ||
        wo.max_message > (64u << 20) || wo.ping_seconds < 1 || wo.idle_seconds <= wo.ping_seconds) {
        *err = g_strdup("[meetings] needs grace_seconds >= 0, heartbeat_seconds >= 1, "
                        "max_message_bytes 1024..67108864, ws_idle_seconds > ws_ping_seconds");
        return NULL;
    }
    yj_meetings_t *M = g_new0(yj_meetings_t, 1);
    M->app = app;
    M->ended = g_array_new(FALSE, FALSE, sizeof(ended_hook_t));
    ro.on_ended_ud = M;
    M->rooms = yj_meeting_rooms_new(app, &ro, &wo);
    /* The engine belongs to the rtc subsystem, created before us and freed
     * after us; without it, signaling works without media. */
    yj_meeting_rooms_set_media(M->rooms, media);
    if (!media)
        yj_warn("meetings", "no media engine: meetings run without audio and video");
    int rc = 0;
    rc |= yj_http_route(http, "POST", "/api/v1/meetings", YJ_ROUTE_ADMIN, 0, meeting_create, M);
    rc |= yj_http_route(http, "GET", "/api/v1/meetings", YJ_ROUTE_AUTH, 0, meeting_list, M);
    rc |= yj_http_route(http, "GET", "/api/v1/meetings/invitees", YJ_ROUTE_ADMIN, 0,
                        meeting_invitees, M);
    rc |= yj_http_route(http, "GET", "/api/v1/orgs/{code}/meetings/attendance", YJ_ROUTE_ADMIN, 0,
                        org_attendance, M);
    rc |= yj_http_route(http, "GET", "/api/v1/meetings/{id}", YJ_ROUTE_AUTH, 0, meeting_get, M);
    rc |= yj_http_route(http, "PATCH", "/api/v1/meetings/{id}", YJ_ROUTE_ADMIN, 0, meeting_patch,
                        M);
    rc |= yj_http_route(http, "DELETE", "/api/v1/meetings/{id}", YJ_ROUTE_ADMIN, 0, meeting_cancel,
                        M);
    rc |= yj_http_route(http, "POST", "/api/v1/meetings/{id}/start", YJ_ROUTE_AUTH, 0,
                        meeting_start, M);
    rc |=
        yj_http_route(http, "POST", "/api/v1/meetings/{id}/end", YJ_ROUTE_AUTH, 0, meeting_end, M);
    rc |= yj_http_route(http, "GET", "/api/v1/meetings/{id}/report", YJ_ROUTE_AUTH, 0,
                        meeting_report, M);
    rc |= yj_http_route(http, "GET", "/ws", YJ_ROUTE_PUBLIC, 0, ws_route, M);
    rc |= yj_http_route(http, "GET", "/meet/{meeting_id}", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0,
                        meet_page, M);
    if (rc) {
        *err = g_strdup("cannot register the meetings routes");
        yj_meetings_free(M);
        return NULL;
    }
    return M;
}

yj_meeting_rooms_t *yj_meetings_rooms(yj_meetings_t *M)
{
    return M->rooms;
}

int yj_meetings_start(yj_meetings_t *M)
{
    int rc = yj_meeting_rooms_start(M->rooms);
    if (rc)
        return rc;
    M->started = true;
    if (M->app->demo)
        demo_meeting(M);
    return 0;
}

void yj_meetings_stop(yj_meetings_t *M)
{
    if (!M)
        return;
    /* Closes every connection; live meetings are recovered at next start. */
    yj_meeting_rooms_free(M->rooms);
    M->rooms = NULL;
}

void yj_meetings_free(yj_meetings_t *M)
{
    if (!M)
        return;
    yj_meetings_stop(M);
    g_array_free(M->ended, TRUE);
    g_free(M);
}
