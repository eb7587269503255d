/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_members.c — /api/v1/members: create, read and change a member, and a
 * member's record (党员电子活动证: totals per year and kind, ledger lines).
 *
 * Administrators act on members whose home org is in their subtree;
 * a member may read only their own member object and record. Anything out
 * of reach is a 404, the same answer as a member that does not exist.
 * Request bodies go through yj_member_input_from_json (core/member_input.h),
 * the same rules the CSV import applies.
 */
#include "api_common.h"
#include "core/member_input.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

#define RECORD_MAX_LINES 1000

static int no_member(yj_req_t *req)
{
    return yj_req_reply_error(req, 404, "not_found", "id_number", "no such member");
}

/* The identity number in the path if the caller may ask for it (an admin,
 * or the member themself) and the subtree to read it in; replies and
 * returns false otherwise. */
static bool path_member(yj_req_t *req, char id[19], const char **within)
{
    if (!yj_api_path_id(req, id))
        return false;
    const yj_principal_t *p = yj_req_principal(req);
    if (p->kind == YJ_PRINCIPAL_MEMBER && strcmp(p->member_id, id) != 0) {
        no_member(req);
        return false;
    }
    *within = p->kind == YJ_PRINCIPAL_ADMIN ? p->org_path : NULL;
    return true;
}

/* POST /api/v1/members */
static int member_create(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_member_input_t in;
    yj_field_error_t e;
    if (yj_member_input_from_json(b, NULL, &in, &e))
        return yj_api_reply_field_error(req, &e);
    yj_member_t m;
    const char *bad = NULL;
    int rc = yj_store_member_create(app->store, &in, yj_api_within(req), &m, &bad);
    switch (rc) {
    case 0:
        return yj_req_reply_json(req, 201, yj_api_member_json(&m));
    case YJ_ENOENT:
        return yj_req_reply_error(req, 404, "not_found", "org_code",
                                  "no organisation with code %s in your organisation", in.org_code);
    case YJ_EEXIST:
        return yj_req_reply_error(req, 409, "member_exists", "id_number",
                                  "a member with this identity number exists already");
    }
    return rc;
}

/* GET /api/v1/members/{id_number} */
static int member_get(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    char id[19];
    const char *within;
    if (!path_member(req, id, &within))
        return 0;
    yj_member_t m;
    int rc = yj_store_member_get(app->store, id, within, &m);
    if (rc == YJ_ENOENT)
        return no_member(req);
    return rc ? rc : yj_req_reply_json(req, 200, yj_api_member_json(&m));
}

/* PATCH /api/v1/members/{id_number} */
static int member_patch(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    char id[19];
    if (!yj_api_path_id(req, id))
        return 0;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_member_input_t in;
    yj_field_error_t e;
    if (yj_member_input_from_json(b, id, &in, &e))
        return yj_api_reply_field_error(req, &e);
    yj_member_t m;
    const char *bad = NULL;
    int rc = yj_store_member_update(app->store, id, &in, yj_api_within(req), &m, &bad);
    if (rc == YJ_ENOENT && bad && strcmp(bad, "org_code") == 0)
        return yj_req_reply_error(req, 404, "not_found", "org_code",
                                  "no organisation with code %s in your organisation", in.org_code);
    if (rc == YJ_ENOENT)
        return no_member(req);
    return rc ? rc : yj_req_reply_json(req, 200, yj_api_member_json(&m));
}

/* GET /api/v1/members/{id_number}/record?year=YYYY */
static int member_record(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    long year;
    if (!yj_api_query_int(req, "year", 1900, 2999, 0, &year))
        return 0;
    char id[19];
    const char *within;
    if (!path_member(req, id, &within))
        return 0;
    yj_member_t m;
    GArray *totals = g_array_new(FALSE, FALSE, sizeof(yj_record_total_t));
    GArray *lines = g_array_new(FALSE, FALSE, sizeof(yj_ledger_entry_t));
    bool more = false;
    int rc = yj_store_member_record(app->store, id, within, (int)year, RECORD_MAX_LINES, &m, totals,
                                    lines, &more);
    if (rc) {
        g_array_free(totals, TRUE);
        g_array_free(lines, TRUE);
        return rc == YJ_ENOENT ? no_member(req) : rc;
    }
    json_t *t = json_array(), *l = json_array();
    int64_t sum = 0;
    for (guint i = 0; i < totals->len; i++) {
        const yj_record_total_t *r = &g_array_index(totals, yj_record_total_t, i);
        sum += r->minutes;
        json_array_append_new(t, json_pack("{s:i,s:s,s:I,s:o}", "year", r->year, "kind", r->kind,
                                           "minutes", (json_int_t)r->minutes, "hours",
                                           yj_api_hours(r->minutes)));
    }
    for (guint i = 0; i < lines->len; i++)
        json_array_append_new(l, yj_api_ledger_json(&g_array_index(lines, yj_ledger_entry_t, i)));
    g_array_free(totals, TRUE);
    g_array_free(lines, TRUE);
    json_t *out = json_pack("{s:o,s:o,s:I,s:o,s:o,s:b}", "member", yj_api_member_json(&m), "totals",
                            t, "total_minutes", (json_int_t)sum, "total_hours", yj_api_hours(sum),
                            "ledger", l, "ledger_truncated", more);
    json_object_set_new(out, "year", year ? json_integer(year) : json_null());
    return yj_req_reply_json(req, 200, out);
}

int yj_api_members_register(yj_app_t *app, yj_http_t *http)
{
    int rc = 0;
    rc |= yj_http_route(http, "POST", "/api/v1/members", YJ_ROUTE_ADMIN, 0, member_create, app);
    rc |= yj_http_route(http, "GET", "/api/v1/members/{id_number}", YJ_ROUTE_AUTH, 0, member_get,
                        app);
    rc |= yj_http_route(http, "PATCH", "/api/v1/members/{id_number}", YJ_ROUTE_ADMIN, 0,
                        member_patch, app);
    rc |= yj_http_route(http, "GET", "/api/v1/members/{id_number}/record", YJ_ROUTE_AUTH, 0,
                        member_record, app);
    return rc ? YJ_EINVAL : 0;
}
