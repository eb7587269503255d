/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reports.c — learning pages and reports:
 *   GET /api/v1/me/learning?year=                 a member's learning page
 *   GET /api/v1/orgs/{code}/learning?year=&quarter=   per-organisation report
 *   GET /api/v1/orgs/{code}/learning/ranking?year=&limit=
 * Years and quarters are calendar periods in the server's local time zone
 * (Asia/Shanghai in deployment). Hours are lesson credits from the ledger.
 */
#include "reports.h"
#include "vod_internal.h"
#include "core/yj.h"

#include <stdlib.h>
#include <string.h>

static int64_t local_unix(int year, int month)
{
    GDateTime *d = g_date_time_new_local(year, month, 1, 0, 0, 0);
    int64_t t = d ? g_date_time_to_unix(d) : 0;
    if (d)
        g_date_time_unref(d);
    return t;
}

/* Reads ?year (default: this year) and ?quarter (default: the current
 * one in the current year, else the fourth). */
static int period(yj_req_t *req, int *year, int *quarter)
{
    GDateTime *now = g_date_time_new_now_local();
    int cy = g_date_time_get_year(now), cq = (g_date_time_get_month(now) - 1) / 3 + 1;
    g_date_time_unref(now);
    const char *ys = yj_req_query(req, "year"), *qs = yj_req_query(req, "quarter");
    char *end = NULL;
    *year = ys ? (int)strtol(ys, &end, 10) : cy;
    if (ys && (*end || *year < 2000 || *year > 2100)) {
        yj_req_reply_error(req, 400, "invalid_year", "year", "year is 2000 to 2100");
        return YJ_EINVAL;
    }
    *quarter = qs ? (int)strtol(qs, &end, 10) : (*year == cy ? cq : 4);
    if (qs && (*end || *quarter < 1 || *quarter > 4)) {
        yj_req_reply_error(req, 400, "invalid_quarter", "quarter", "quarter is 1 to 4");
        return YJ_EINVAL;
    }
    return 0;
}

/* GET /api/v1/me/learning */
static int me_learning(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    const yj_principal_t *me = yj_req_principal(req);
    int year, q;
    if (period(req, &year, &q))
        return 0;
    json_t *out = yj_store_vod_member_learning(v->store, me->member_id, me->org_path,
                                               local_unix(year, 1), local_unix(year + 1, 1));
    if (!out)
        return YJ_EDB;
    json_object_set_new(out, "year", json_integer(year));
    return yj_req_reply_json(req, 200, out);
}

/* The organisation {code} if it lies in the caller's subtree; else 404. */
static int org_in_scope(yj_vod_t *v, yj_req_t *req, char *path, size_t n)
{
    const char *code = yj_req_param(req, "code");
    if (!code || yj_store_vod_org(v->store, code, NULL, path, n) != 0 ||
        !yj_path_within(yj_req_principal(req)->org_path, path)) {
        yj_req_reply_error(req, 404, "not_found", "code", "no such organisation in your subtree");
        return YJ_ENOENT;
    }
    return 0;
}

/* GET /api/v1/orgs/{code}/learning */
static int org_learning(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    char path[256];
    int year, q;
    if (org_in_scope(v, req, path, sizeof path) || period(req, &year, &q))
        return 0;
    json_t *out = yj_store_vod_org_report(
        v->store, path, local_unix(year, 1), local_unix(year + 1, 1), local_unix(year, 3 * q - 2),
        q == 4 ? local_unix(year + 1, 1) : local_unix(year, 3 * q + 1));
    if (!out)
        return YJ_EDB;
    json_object_set_new(out, "org_code", json_string(yj_req_param(req, "code")));
    json_object_set_new(out, "year", json_integer(year));
    json_object_set_new(out, "quarter", json_integer(q));
    return yj_req_reply_json(req, 200, out);
}

/* GET /api/v1/orgs/{code}/learning/ranking */
static int org_ranking(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    char path[256];
    int year, q;
    if (org_in_scope(v, req, path, sizeof path) || period(req, &year, &q))
        return 0;
    int64_t limit;
    if (!yj_req_query_int(req, "limit", 1, 1000, 100, &limit))
        return 0;
    json_t *out = yj_store_vod_org_ranking(v->store, path, local_unix(year, 1),
                                           local_unix(year + 1, 1), (int)limit);
    if (!out)
        return YJ_EDB;
    json_object_set_new(out, "org_code", json_string(yj_req_param(req, "code")));
    json_object_set_new(out, "year", json_integer(year));
    return yj_req_reply_json(req, 200, out);
}

int yj_vod_reports_register(yj_vod_t *v, yj_http_t *http)
{
    int rc = 0;
    rc |= yj_http_route(http, "GET", "/api/v1/me/learning", YJ_ROUTE_MEMBER, 0, me_learning, v);
    rc |= yj_http_route(http, "GET", "/api/v1/orgs/{code}/learning",
                        YJ_ROUTE_ADMIN | YJ_ROUTE_BACKGROUND, 0, org_learning, v);
    rc |= yj_http_route(http, "GET", "/api/v1/orgs/{code}/learning/ranking",
                        YJ_ROUTE_ADMIN | YJ_ROUTE_BACKGROUND, 0, org_ranking, v);
    return rc ? YJ_EINVAL : 0;
}
