/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_ledger.c — writes to the credit ledger over HTTP: an administrator's
 * manual credit for a member in their subtree, and a correction of an
 * existing row (a new row pointing at it; the ledger is never edited).
 * Meetings, lessons and broadcasts credit the ledger in-process through
 * yj_store_credit (core/store_records.h), not through these routes.
 */
#include "api_common.h"
#include "core/crypto.h"
#include "core/yj.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

static bool reason_ok(yj_req_t *req, json_t *b, const char **reason)
{
    json_t *v = json_object_get(b, "reason");
    *reason = json_is_string(v) ? json_string_value(v) : NULL;
    if (!*reason || !**reason) {
        yj_req_reply_error(req, 400, "missing_field", "reason", "give a reason");
        return false;
    }
    const char *why = yj_text_problem(*reason, YJ_TEXT_CHARS);
    if (why || strlen(*reason) != json_string_length(v)) {
        yj_req_reply_error(req, 400, "invalid_reason", "reason",
                           "the reason %s (at most %d characters)",
                           why ? why : "contains a NUL character", YJ_TEXT_CHARS);
        return false;
    }
    return true;
}

static bool minutes_ok(yj_req_t *req, json_t *b, int min, int max, bool allow_zero, int *out)
{
    json_t *v = json_object_get(b, "minutes");
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    if (!json_is_integer(v) || n < min || n > max || (!allow_zero && n == 0)) {
        yj_req_reply_error(req, 400, v ? "invalid_minutes" : "missing_field", "minutes",
                           "minutes must be a whole number from %d to %d%s", min, max,
                           allow_zero ? "" : ", not 0");
        return false;
    }
    *out = (int)n;
    return true;
}

/* POST /api/v1/members/{id_number}/credits {minutes, reason, source_id?} */
static int credit_create(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    char id[19];
    if (!yj_api_path_id(req, id))
        return 0;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    int minutes;
    const char *reason;
    if (!minutes_ok(req, b, 1, YJ_CREDIT_MAX_MINUTES, false, &minutes) ||
        !reason_ok(req, b, &reason))
        return 0;
    json_t *sv = json_object_get(b, "source_id");
    char generated[64];
    const char *source = NULL;
    if (sv && !json_is_null(sv)) {
        source = json_is_string(sv) ? json_string_value(sv) : NULL;
        if (!source || !*source || strlen(source) > YJ_SOURCE_ID_MAX ||
            strlen(source) != json_string_length(sv))
            return yj_req_reply_error(req, 400, "invalid_source_id", "source_id",
                                      "source_id must be 1 to %d characters", YJ_SOURCE_ID_MAX);
    } else {
        /* Without a caller key, each request is its own event. */
        g_autofree char *rnd = yj_random_token(12);
        if (!rnd)
            return YJ_ECRYPTO;
        g_snprintf(generated, sizeof generated, "manual:%s", rnd);
        source = generated;
    }
    const yj_principal_t *p = yj_req_principal(req);
    yj_ledger_entry_t e;
    int rc = yj_store_credit_add(app->store, id, "manual", source, minutes, p->username, reason,
                                 p->org_path, &e);
    switch (rc) {
    case 0:
        return yj_req_reply_json(req, 201, yj_api_ledger_json(&e));
    case YJ_ENOENT:
        return yj_req_reply_error(req, 404, "not_found", "id_number", "no such member");
    case YJ_EEXIST:
        return yj_req_reply_error(req, 409, "already_credited", "source_id",
                                  "this member was already credited for %s", source);
    }
    return rc;
}

/* POST /api/v1/ledger/{entry_id}/correction {minutes, reason} */
static int correction_create(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const char *sid = yj_req_param(req, "entry_id");
    char *end = NULL;
    long long entry = g_ascii_strtoll(sid, &end, 10);
    if (!end || *end || entry <= 0)
        return yj_req_reply_error(req, 404, "not_found", "entry_id", "no such ledger entry");
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    int minutes;
    const char *reason;
    if (!minutes_ok(req, b, -YJ_CREDIT_MAX_MINUTES, YJ_CREDIT_MAX_MINUTES, false, &minutes) ||
        !reason_ok(req, b, &reason))
        return 0;
    const yj_principal_t *p = yj_req_principal(req);
    yj_ledger_entry_t e;
    char why[160];
    int rc = yj_store_ledger_correct(app->store, entry, minutes, p->username, reason, p->org_path,
                                     &e, why);
    switch (rc) {
    case 0:
        return yj_req_reply_json(req, 201, yj_api_ledger_json(&e));
    case YJ_ENOENT:
        return yj_req_reply_error(req, 404, "not_found", "entry_id", "no such ledger entry");
    case YJ_ESTATE:
        return yj_req_reply_error(req, 409, "invalid_correction", "minutes", "%s", why);
    }
    return rc;
}

int yj_api_ledger_register(yj_app_t *app, yj_http_t *http)
{
    int rc = 0;
    rc |= yj_http_route(http, "POST", "/api/v1/members/{id_number}/credits", YJ_ROUTE_ADMIN, 0,
                        credit_create, app);
    rc |= yj_http_route(http, "POST", "/api/v1/ledger/{entry_id}/correction", YJ_ROUTE_ADMIN, 0,
                        correction_create, app);
    return rc ? YJ_EINVAL : 0;
}
