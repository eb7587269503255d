/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meeting_input.c — the meeting body parser (see meeting_input.h): pure
 * JSON to spec with a field error, shared by the REST handler and the fuzz
 * target. Never: touch the store or the request, or accept a start outside
 * 2000..2100.
 */
#include "meeting_input.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

static int fail(yj_field_error_t *e, const char *code, const char *field, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static int fail(yj_field_error_t *e, const char *code, const char *field, const char *fmt, ...)
{
    g_strlcpy(e->code, code, sizeof e->code);
    g_strlcpy(e->field, field ? field : "", sizeof e->field);
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return YJ_EINVAL;
}

static const char *opt_str(json_t *b, const char *key)
{
    json_t *v = json_object_get(b, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Start time: ISO-8601 (an offset or Z; without one, the server's local
 * time) or Unix seconds. Returns false when malformed or out of range. */
static bool parse_time(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return *out >= YJ_MEETING_START_MIN && *out < YJ_MEETING_START_MAX;
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
    return *out >= YJ_MEETING_START_MIN && *out < YJ_MEETING_START_MAX;
}

/* An array of strings (each 1..max bytes) into a NULL-terminated vector
 * (g_malloc'd; the strings borrowed from the JSON); NULL on error. */
static const char **string_list(json_t *b, const char *key, size_t max, size_t *n,
                                yj_field_error_t *e)
{
    json_t *a = json_object_get(b, key);
    *n = 0;
    if (!a || json_is_null(a))
        return g_new0(const char *, 1);
    if (!json_is_array(a) || json_array_size(a) > 1000) {
        fail(e, "invalid", key, "%s must be an array of at most 1000 strings", key);
        return NULL;
    }
    const char **v = g_new0(const char *, json_array_size(a) + 1);
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x)
    {
        if (!json_is_string(x) || json_string_length(x) == 0 || json_string_length(x) > max) {
            fail(e, "invalid", key, "%s[%zu] must be a non-empty string", key, i);
            g_free(v);
            return NULL;
        }
        v[i] = json_string_value(x);
    }
    *n = json_array_size(a);
    return v;
}

static bool opt_int(json_t *b, const char *key, int lo, int hi, int *out, yj_field_error_t *e)
{
    json_t *v = json_object_get(b, key);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        fail(e, "invalid", key, "%s must be a whole number from %d to %d", key, lo, hi);
        return false;
    }
    *out = (int)json_integer_value(v);
    return true;
}

int yj_meeting_input_from_json(json_t *b, int64_t now, yj_meeting_spec_t *sp, yj_field_error_t *e)
{
    memset(sp, 0, sizeof *sp);
    sp->duration_minutes = 60;
    sp->threshold_percent = 50;
    if (!json_is_object(b))
        return fail(e, "invalid", NULL, "the body must be a JSON object");
    sp->title = opt_str(b, "title");
    const char *why = yj_text_problem(sp->title, 200);
    if (why)
        return fail(e, "invalid", "title", "title %s (1 to 200 characters, no control characters)",
                    why);
    const char *type = opt_str(b, "type");
    sp->type = yj_meeting_type_slug(type ? type : "member_assembly");
    if (!sp->type)
        return fail(e, "invalid", "type",
                    "type must be member_assembly (支部党员大会), committee (支委会), "
                    "group (党小组会) or lecture (党课)");
    sp->org_code = opt_str(b, "org_code");
    if (!sp->org_code || !*sp->org_code)
        return fail(e, "missing_field", "org_code",
                    "org_code is required: the organisation holding the meeting");
    json_t *start = json_object_get(b, "start");
    sp->start_at = now;
    if (start && !json_is_null(start) && !parse_time(start, &sp->start_at))
        return fail(e, "invalid", "start",
                    "start must be an ISO-8601 time between 2000 and 2100 such "
                    "as 2026-12-01T09:00:00+08:00");
    if (!opt_int(b, "duration_minutes", 1, 1440, &sp->duration_minutes, e) ||
        !opt_int(b, "threshold_percent", 1, 100, &sp->threshold_percent, e))
        return YJ_EINVAL;
    sp->host_admin = opt_str(b, "host_admin");
    sp->host_member = opt_str(b, "host_member");
    if (sp->host_admin && sp->host_member)
        return fail(e, "invalid", "host_member", "give host_admin or host_member, not both");
    const char **orgs = string_list(b, "orgs", 32, &sp->n_orgs, e);
    if (!orgs)
        return YJ_EINVAL;
    const char **members = string_list(b, "members", 18, &sp->n_members, e);
    if (!members) {
        g_free(orgs);
        sp->n_orgs = 0;
        return YJ_EINVAL;
    }
    sp->org_codes = orgs;
    sp->member_ids = members;
    return 0;
}

void yj_meeting_input_clear(yj_meeting_spec_t *sp)
{
    g_free((gpointer)sp->org_codes);
    g_free((gpointer)sp->member_ids);
    sp->org_codes = sp->member_ids = NULL;
    sp->n_orgs = sp->n_members = 0;
}
