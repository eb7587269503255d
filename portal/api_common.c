/* SPDX-License-Identifier: Apache-2.0 */
/* api_common.c — shared JSON shapes and request helpers; see api_common.h. */
#include "api_common.h"
#include "core/idnum.h"
#include "core/yj.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *yj_api_org_json(const yj_org_t *o)
{
    return json_pack("{s:I,s:s,s:s,s:o,s:i,s:I}", "id", (json_int_t)o->id, "code", o->code, "name",
                     o->name, "parent_code", str_or_null(o->parent_code), "depth", o->depth,
                     "member_count", (json_int_t)o->member_count);
}

json_t *yj_api_member_json(const yj_member_t *m)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:o,s:s,s:b,s:o}", "id_number", m->id_number,
                     "name", m->name, "gender", m->female ? "female" : "male", "birth_date",
                     m->birth_date, "phone", str_or_null(m->phone), "org_code", m->org_code,
                     "org_name", m->org_name, "joined_on", str_or_null(m->joined_on), "status",
                     m->probationary ? "probationary" : "full", "migrant", m->migrant, "location",
                     str_or_null(m->location));
}

json_t *yj_api_hours(int64_t minutes)
{
    /* hundredths of an hour, rounded half away from zero, in integers */
    int64_t h = (minutes * 100 + (minutes < 0 ? -30 : 30)) / 60;
    return json_real((double)h / 100.0);
}

json_t *yj_api_time(int64_t t)
{
    GDateTime *dt = g_date_time_new_from_unix_local(t);
    if (!dt)
        return json_null();
    char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S%:z");
    g_date_time_unref(dt);
    json_t *j = s ? json_string(s) : json_null();
    g_free(s);
    return j;
}

json_t *yj_api_ledger_json(const yj_ledger_entry_t *e)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:i,s:o,s:s,s:o,s:o}", "id", (json_int_t)e->id, "member_id",
                     e->member_id, "kind", e->kind, "source_id", e->source_id, "minutes",
                     e->minutes, "at", yj_api_time(e->at), "by_whom", e->by_whom, "reason",
                     str_or_null(e->reason), "corrects",
                     e->corrects ? json_integer(e->corrects) : json_null());
}

const char *yj_api_within(yj_req_t *req)
{
    const yj_principal_t *p = yj_req_principal(req);
    return p->kind == YJ_PRINCIPAL_ADMIN ? p->org_path : NULL;
}

bool yj_api_query_int(yj_req_t *req, const char *name, long min, long max, long def, long *out)
{
    const char *v = yj_req_query(req, name);
    *out = def;
    if (!v || !*v)
        return true;
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < min || n > max) {
        char code[48];
        g_snprintf(code, sizeof code, "invalid_%s", name);
        yj_req_reply_error(req, 400, code, name, "%s must be a whole number from %ld to %ld", name,
                           min, max);
        return false;
    }
    *out = n;
    return true;
}

int yj_api_reply_field_error(yj_req_t *req, const yj_field_error_t *e)
{
    return yj_req_reply_error(req, 400, e->code, e->field[0] ? e->field : NULL, "%s", e->message);
}

bool yj_api_path_id(yj_req_t *req, char out[19])
{
    const char *id = yj_req_param(req, "id_number");
    yj_idnum_t n;
    yj_idnum_status_t s = yj_idnum_parse(id, &n);
    if (s != YJ_IDNUM_OK) {
        yj_req_reply_error(req, 400, "invalid_id_number", "id_number",
                           "invalid identity number: %s", yj_idnum_reason(s));
        return false;
    }
    memcpy(out, n.number, 19);
    return true;
}
