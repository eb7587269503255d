/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_common.h — helpers shared by the records API modules (api_orgs.c,
 * api_members.c, api_ledger.c, api_import.c): JSON shapes of orgs,
 * members and ledger rows, the caller's subtree, and strict query-number
 * parsing. Internal to portal/.
 */
#ifndef YJ_API_COMMON_H
#define YJ_API_COMMON_H

#include "core/app.h"
#include "core/store_records.h"
#include "http/http.h"

#include <jansson.h>
#include <stdbool.h>

/* Register functions of each module (called from api.c). */
int yj_api_orgs_register(yj_app_t *app, yj_http_t *http);
int yj_api_members_register(yj_app_t *app, yj_http_t *http);
int yj_api_ledger_register(yj_app_t *app, yj_http_t *http);
int yj_api_import_register(yj_app_t *app, yj_http_t *http);

/* New JSON objects (caller owns the reference). */
json_t *yj_api_org_json(const yj_org_t *o);
json_t *yj_api_member_json(const yj_member_t *m);
json_t *yj_api_ledger_json(const yj_ledger_entry_t *e);
/* minutes / 60 rounded to two decimals. */
json_t *yj_api_hours(int64_t minutes);
/* Unix seconds as local ISO-8601 with offset ("2026-11-22T10:00:00+08:00"). */
json_t *yj_api_time(int64_t t);

/* The subtree root of an administrator (NULL for anyone else, which the
 * store would read as "everything": only pass it for admin routes). */
const char *yj_api_within(yj_req_t *req);

/* Parses an optional integer query parameter in [min, max]; absent → def.
 * On a malformed value replies 400 (code "invalid_<name>") and returns
 * false. */
bool yj_api_query_int(yj_req_t *req, const char *name, long min, long max, long def, long *out);

/* Replies 400 with the field error's code, field and message. */
int yj_api_reply_field_error(yj_req_t *req, const yj_field_error_t *e);

/* Normalises an identity number from the path (lower-case x → X) into
 * out[19]; false (after a 400 invalid_id_number reply) when malformed. */
bool yj_api_path_id(yj_req_t *req, char out[19]);

#endif
