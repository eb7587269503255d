/* SPDX-License-Identifier: Apache-2.0 */
/* api_common.c — shared JSON shapes and request helpers; see api_common.h. */
#include "api_common.h"
#include "core/idnum.h"
#include "core/yj.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Strings from the store were validated as UTF-8 when they came in, so
 * the hot JSON shapes below skip jansson's re-validation (and json_pack's
 * format parsing): a record read builds about fifty values. */
static json_t *str(const char *s)
{
    return json_string_nocheck(s);
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string_nocheck(s) : json_null();
}

static void put(json_t *o, const char *key, json_t *v)
{
    json_object_set_new_nocheck(o, key, v);
}

json_t *yj_api_org_json(const yj_org_t *o)
{
    json_t *j = json_object();
    put(j, "id", json_integer(o->id));
    put(j, "code", str(o->code));
    put(j, "name", str(o->name));
    put(j, "parent_code", str_or_null(o->parent_code));
    put(j, "depth", json_integer(o->depth));
    put(j, "member_count", json_integer(o->member_count));
    return j;
}

json_t *yj_api_member_json(const yj_member_t *m)
{
    json_t *j = json_object();
    put(j, "id_number", str(m->id_number));
    put(j, "name", str(m->name));
    put(j, "gender", str(m->female ? "female" : "male"));
    put(j, "birth_date", str(m->birth_date));
    put(j, "phone", str_or_null(m->phone));
    put(j, "org_code", str(m->org_code));
    put(j, "org_name", str(m->org_name));
    put(j, "joined_on", str_or_null(m->joined_on));
    put(j, "status", str(m->probationary ? "probationary" : "full"));
    put(j, "migrant", json_boolean(m->migrant));
    put(j, "location", str_or_null(m->location));
    return j;
}

json_t *yj_api_hours(int64_t minutes)
{
    /* hundredths of an hour, rounded half away from zero, in integers */
    int64_t h = (minutes * 100 + (minutes < 0 ? -30 : 30)) / 60;
    return json_real((double)h / 100.0);
}

json_t *yj_api_time(int64_t t)
{
    /* localtime_r, not GDateTime: GLib re-reads /etc/localtime for every
     * local GDateTime, three system calls per ledger line. */
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        return json_null();
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;
    char s[40];
    g_snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 3600,
               (off / 60) % 60);
    return json_string_nocheck(s);
}

json_t *yj_api_ledger_json(const yj_ledger_entry_t *e)
{
    json_t *j = json_object();
    put(j, "id", json_integer(e->id));
    put(j, "member_id", str(e->member_id));
    put(j, "kind", str(e->kind));
    put(j, "source_id", str(e->source_id));
    put(j, "minutes", json_integer(e->minutes));
    put(j, "at", yj_api_time(e->at));
    put(j, "by_whom", str(e->by_whom));
    put(j, "reason", str_or_null(e->reason));
    put(j, "corrects", e->corrects ? json_integer(e->corrects) : json_null());
    return j;
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
