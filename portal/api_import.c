/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_import.c — CSV import and export of an organisation's members.
 *
 * An import is all or nothing. The file is parsed and every cell checked
 * first (core/member_csv.h); then the store checks what needs the database
 * (org exists and is in reach, an existing identity number is in reach)
 * and writes every row in ONE transaction. If any row is bad at either
 * stage the answer lists every bad row with its line and nothing is
 * written; a crash mid-import leaves the database as it was (the
 * transaction never committed).
 */
#include "api_common.h"
#include "core/log.h"
#include "core/member_csv.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

#define IMPORT_MAX_BODY ((size_t)16 << 20)
#define MAX_REPORTED_ERRORS 5000

static int by_line(gconstpointer a, gconstpointer b)
{
    const yj_import_error_t *x = a, *y = b;
    return (x->line > y->line) - (x->line < y->line);
}

static int reply_bad_rows(yj_req_t *req, GArray *errors)
{
    /* Stable order by line: merge sort keeps same-line errors in order. */
    g_array_sort(errors, by_line);
    int bad_rows = 0, last = -1;
    json_t *rows = json_array();
    for (guint i = 0; i < errors->len; i++) {
        const yj_import_error_t *e = &g_array_index(errors, yj_import_error_t, i);
        if (e->line != last)
            bad_rows++;
        last = e->line;
        if (i >= MAX_REPORTED_ERRORS)
            continue;
        json_t *r =
            json_pack("{s:i,s:s,s:s}", "line", e->line, "code", e->e.code, "message", e->e.message);
        json_object_set_new(r, "field", e->e.field[0] ? json_string(e->e.field) : json_null());
        json_array_append_new(rows, r);
    }
    bool stopped = false;
    for (guint i = 0; i < errors->len && !stopped; i++)
        stopped =
            strcmp(g_array_index(errors, yj_import_error_t, i).e.code, "too_many_errors") == 0;
    char msg[96];
    g_snprintf(msg, sizeof msg, "%s%d bad row%s; nothing imported", stopped ? "at least " : "",
               bad_rows, bad_rows == 1 ? "" : "s");
    json_t *err = json_pack("{s:s,s:s,s:o,s:b}", "code", "invalid_csv", "message", msg, "rows",
                            rows, "rows_truncated", errors->len > MAX_REPORTED_ERRORS);
    return yj_req_reply_json(req, 400, json_pack("{s:o}", "error", err));
}

/* POST /api/v1/orgs/{code}/members/import (text/csv) */
static int import_members(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const char *code = yj_req_param(req, "code");
    const char *within = yj_api_within(req);
    yj_org_t org;
    int rc = yj_store_org_get(app->store, code, within, &org);
    if (rc == YJ_ENOENT)
        return yj_req_reply_error(req, 404, "not_found", "code",
                                  "no organisation with code %.40s in your organisation", code);
    if (rc)
        return rc;
    size_t len = 0;
    const char *body = yj_req_body(req, &len);
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(yj_import_row_t));
    GArray *errors = g_array_new(FALSE, FALSE, sizeof(yj_import_error_t));
    GPtrArray *ignored = g_ptr_array_new_with_free_func(g_free);
    rc = yj_member_csv_parse(body, len, YJ_IMPORT_MAX_ROWS, rows, errors, ignored);
    int created = 0, updated = 0;
    if (rc != YJ_ETOOBIG) {
        /* With bad rows already, still check the good ones against the
         * database so the answer lists every problem at once. */
        int src =
            yj_store_member_import(app->store, (const yj_import_row_t *)rows->data, rows->len,
                                   org.code, within, errors->len > 0, errors, &created, &updated);
        if (src && src != YJ_EINVAL)
            rc = src;
        else if (src)
            rc = YJ_EINVAL;
    }
    if (rc == YJ_EINVAL || rc == YJ_ETOOBIG) {
        rc = reply_bad_rows(req, errors);
    } else if (rc == 0) {
        json_t *ign = json_array();
        for (guint i = 0; i < ignored->len; i++)
            json_array_append_new(ign, json_string(g_ptr_array_index(ignored, i)));
        yj_info("records", "import into %s by %s: %d created, %d updated", org.code,
                yj_req_principal(req)->username, created, updated);
        rc = yj_req_reply_json(req, 200,
                               json_pack("{s:i,s:i,s:i,s:o}", "imported", created + updated,
                                         "created", created, "updated", updated, "ignored_columns",
                                         ign));
    }
    g_array_free(rows, TRUE);
    g_array_free(errors, TRUE);
    g_ptr_array_free(ignored, TRUE);
    return rc;
}

static int export_one(const yj_member_t *m, void *ud)
{
    yj_member_csv_row(ud, m);
    return 0;
}

/* GET /api/v1/orgs/{code}/members/export */
static int export_members(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const char *code = yj_req_param(req, "code");
    yj_org_t org;
    int rc = yj_store_org_get(app->store, code, yj_api_within(req), &org);
    if (rc == YJ_ENOENT)
        return yj_req_reply_error(req, 404, "not_found", "code",
                                  "no organisation with code %.40s in your organisation", code);
    if (rc)
        return rc;
    GString *csv = g_string_sized_new(4096);
    yj_member_csv_header(csv);
    rc = yj_store_member_each(app->store, org.path, export_one, csv);
    if (rc == 0) {
        char disp[96];
        g_snprintf(disp, sizeof disp, "attachment; filename=\"members-%s.csv\"", org.code);
        yj_req_add_header(req, "Content-Disposition", disp);
        yj_req_add_header(req, "Cache-Control", "no-store");
        rc = yj_req_reply_data(req, 200, "text/csv; charset=utf-8", csv->str, csv->len);
    }
    g_string_free(csv, TRUE);
    return rc;
}

int yj_api_import_register(yj_app_t *app, yj_http_t *http)
{
    int rc = 0;
    rc |= yj_http_route(http, "POST", "/api/v1/orgs/{code}/members/import", YJ_ROUTE_ADMIN,
                        IMPORT_MAX_BODY, import_members, app);
    rc |= yj_http_route(http, "GET", "/api/v1/orgs/{code}/members/export", YJ_ROUTE_ADMIN, 0,
                        export_members, app);
    return rc ? YJ_EINVAL : 0;
}
