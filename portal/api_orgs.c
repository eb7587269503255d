/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_orgs.c — /api/v1/orgs: the organisation tree (list, create, rename,
 * move, delete), an org's member list and its yearly summary with the
 * ranking of its members.
 *
 * Every route is for administrators and limited to their subtree: an org
 * outside it answers 404 exactly like a missing one, so nothing about
 * other townships leaks. The store re-checks reach inside the transaction
 * that changes anything (core/store_records.h).
 */
#include "api_common.h"
#include "org_input.h"
#include "core/idnum.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

static int no_org(yj_req_t *req, const char *field, const char *code)
{
    return yj_req_reply_error(req, 404, "not_found", field,
                              "no organisation with code %.40s in your organisation", code);
}

/* GET /api/v1/orgs */
static int orgs_list(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    GArray *orgs = g_array_new(FALSE, FALSE, sizeof(yj_org_t));
    int rc = yj_store_org_list(app->store, yj_api_within(req), orgs);
    if (rc) {
        g_array_free(orgs, TRUE);
        return rc;
    }
    json_t *list = json_array();
    for (guint i = 0; i < orgs->len; i++)
        json_array_append_new(list, yj_api_org_json(&g_array_index(orgs, yj_org_t, i)));
    g_array_free(orgs, TRUE);
    return yj_req_reply_json(req, 200, json_pack("{s:o}", "orgs", list));
}

/* POST /api/v1/orgs {code, name, parent_code} */
static int org_create(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_org_input_t in;
    yj_field_error_t fe;
    if (yj_org_input_from_json(b, NULL, &in, &fe))
        return yj_req_reply_error(req, 400, fe.code, fe.field[0] ? fe.field : NULL, "%s",
                                  fe.message);
    const char *code = in.code, *name = in.name, *parent = in.parent_code;
    yj_org_t o;
    int rc = yj_store_org_create(app->store, code, name, parent, yj_api_within(req), &o);
    switch (rc) {
    case 0:
        return yj_req_reply_json(req, 201, yj_api_org_json(&o));
    case YJ_ENOENT:
        return no_org(req, "parent_code", parent);
    case YJ_EEXIST:
        return yj_req_reply_error(req, 409, "org_exists", "code",
                                  "an organisation with code %s exists already", code);
    case YJ_ETOOBIG:
        return yj_req_reply_error(req, 400, "too_deep", "parent_code",
                                  "the tree may have at most %d levels", YJ_ORG_MAX_DEPTH);
    }
    return rc;
}

/* GET /api/v1/orgs/{code} */
static int org_get(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const char *code = yj_req_param(req, "code");
    yj_org_t o;
    int rc = yj_store_org_get(app->store, code, yj_api_within(req), &o);
    if (rc == YJ_ENOENT)
        return no_org(req, "code", code);
    return rc ? rc : yj_req_reply_json(req, 200, yj_api_org_json(&o));
}

/* PATCH /api/v1/orgs/{code} {name?, parent_code?} */
static int org_patch(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const char *code = yj_req_param(req, "code");
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_org_input_t in;
    yj_field_error_t fe;
    if (yj_org_input_from_json(b, code, &in, &fe))
        return yj_req_reply_error(req, 400, fe.code, fe.field[0] ? fe.field : NULL, "%s",
                                  fe.message);
    const char *name = in.name, *parent = in.parent_code;
    yj_org_t o;
    const char *bad = NULL;
    int rc = yj_store_org_update(app->store, code, name, parent, yj_api_within(req), &o, &bad);
    switch (rc) {
    case 0:
        return yj_req_reply_json(req, 200, yj_api_org_json(&o));
    case YJ_ENOENT:
        return bad && strcmp(bad, "parent_code") == 0 ? no_org(req, "parent_code", parent)
                                                      : no_org(req, "code", code);
    case YJ_EPERM:
        return yj_req_reply_error(req, 403, "forbidden", "parent_code",
                                  "you cannot move your own organisation; ask the level above");
    case YJ_ESTATE:
        return yj_req_reply_error(req, 400, "invalid_parent", "parent_code",
                                  "an organisation cannot move inside itself");
    case YJ_ETOOBIG:
        return yj_req_reply_error(req, 400, "too_deep", "parent_code",
                                  "the tree may have at most %d levels", YJ_ORG_MAX_DEPTH);
    }
    return rc;
}

/* DELETE /api/v1/orgs/{code} */
static int org_delete(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const char *code = yj_req_param(req, "code");
    char why[128];
    int rc = yj_store_org_delete(app->store, code, yj_api_within(req), why);
    switch (rc) {
    case 0:
        return yj_req_reply_data(req, 204, NULL, "", 0);
    case YJ_ENOENT:
        return no_org(req, "code", code);
    case YJ_EPERM:
        return yj_req_reply_error(req, 403, "forbidden", "code",
                                  "you cannot delete your own organisation");
    case YJ_EBUSY:
        return yj_req_reply_error(req, 409, "org_not_empty", "code", "%s", why);
    }
    return rc;
}

/* GET /api/v1/orgs/{code}/members?subtree=1&q=&limit=50&offset=0 */
static int org_members(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const char *code = yj_req_param(req, "code");
    long limit, offset, subtree = 0;
    const char *st = yj_req_query(req, "subtree");
    if (st && (strcmp(st, "true") == 0 || strcmp(st, "false") == 0))
        subtree = st[0] == 't';
    else if (!yj_api_query_int(req, "subtree", 0, 1, 0, &subtree))
        return 0;
    if (!yj_api_query_int(req, "limit", 1, 500, 50, &limit) ||
        !yj_api_query_int(req, "offset", 0, 100000000, 0, &offset))
        return 0;
    const char *q = yj_req_query(req, "q");
    if (q && (strlen(q) > 100 || !g_utf8_validate(q, -1, NULL)))
        return yj_req_reply_error(req, 400, "invalid_q", "q", "the search text is too long");
    yj_org_t o;
    int rc = yj_store_org_get(app->store, code, yj_api_within(req), &o);
    if (rc == YJ_ENOENT)
        return no_org(req, "code", code);
    if (rc)
        return rc;
    yj_member_query_t mq = {o.path, subtree == 1, q, (int)limit, (int)offset};
    GArray *list = g_array_new(FALSE, FALSE, sizeof(yj_member_t));
    int64_t total = 0;
    rc = yj_store_member_list(app->store, &mq, list, &total);
    if (rc) {
        g_array_free(list, TRUE);
        return rc;
    }
    json_t *arr = json_array();
    for (guint i = 0; i < list->len; i++)
        json_array_append_new(arr, yj_api_member_json(&g_array_index(list, yj_member_t, i)));
    g_array_free(list, TRUE);
    return yj_req_reply_json(req, 200,
                             json_pack("{s:o,s:I}", "members", arr, "total", (json_int_t)total));
}

/* GET /api/v1/orgs/{code}/summary?year=2026 */
static int org_summary(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const char *code = yj_req_param(req, "code");
    long year;
    if (!yj_api_query_int(req, "year", 1900, 2999, yj_year_of(yj_now()), &year))
        return 0;
    yj_org_t o;
    int rc = yj_store_org_get(app->store, code, yj_api_within(req), &o);
    if (rc == YJ_ENOENT)
        return no_org(req, "code", code);
    if (rc)
        return rc;
    int64_t count = 0, minutes = 0;
    GArray *ranks = g_array_new(FALSE, FALSE, sizeof(yj_rank_t));
    rc = yj_store_org_summary(app->store, o.path, (int)year, 100, &count, &minutes, ranks);
    if (rc) {
        g_array_free(ranks, TRUE);
        return rc;
    }
    json_t *arr = json_array();
    for (guint i = 0; i < ranks->len; i++) {
        const yj_rank_t *r = &g_array_index(ranks, yj_rank_t, i);
        json_array_append_new(arr, json_pack("{s:i,s:s,s:s,s:s,s:I,s:o}", "rank", r->rank,
                                             "id_number", r->id_number, "name", r->name, "org_code",
                                             r->org_code, "minutes", (json_int_t)r->minutes,
                                             "hours", yj_api_hours(r->minutes)));
    }
    g_array_free(ranks, TRUE);
    return yj_req_reply_json(req, 200,
                             json_pack("{s:o,s:i,s:I,s:I,s:o,s:o}", "org", yj_api_org_json(&o),
                                       "year", (int)year, "member_count", (json_int_t)count,
                                       "minutes", (json_int_t)minutes, "hours",
                                       yj_api_hours(minutes), "ranking", arr));
}

int yj_api_orgs_register(yj_app_t *app, yj_http_t *http)
{
    int rc = 0;
    rc |= yj_http_route(http, "GET", "/api/v1/orgs", YJ_ROUTE_ADMIN, 0, orgs_list, app);
    rc |= yj_http_route(http, "POST", "/api/v1/orgs", YJ_ROUTE_ADMIN, 0, org_create, app);
    rc |= yj_http_route(http, "GET", "/api/v1/orgs/{code}", YJ_ROUTE_ADMIN, 0, org_get, app);
    rc |= yj_http_route(http, "PATCH", "/api/v1/orgs/{code}", YJ_ROUTE_ADMIN, 0, org_patch, app);
    rc |= yj_http_route(http, "DELETE", "/api/v1/orgs/{code}", YJ_ROUTE_ADMIN, 0, org_delete, app);
    rc |= yj_http_route(http, "GET", "/api/v1/orgs/{code}/members", YJ_ROUTE_ADMIN, 0, org_members,
                        app);
    rc |= yj_http_route(http, "GET", "/api/v1/orgs/{code}/summary", YJ_ROUTE_ADMIN, 0, org_summary,
                        app);
    return rc ? YJ_EINVAL : 0;
}
