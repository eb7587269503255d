/* SPDX-License-Identifier: Apache-2.0 */
/*
 * org_input.c — the organisation body parser (see org_input.h): pure JSON
 * to fields with a field error, shared by the handlers and the fuzz
 * target. Never: accept an unknown key, a non-string value (but the
 * read-only integers of a GET), or a name with control or bidi
 * characters.
 */
#include "org_input.h"
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

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Refuses keys other than the allowed ones and non-string values. */
static int only_keys(json_t *b, const char *const *allowed, yj_field_error_t *e)
{
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(k, *a) == 0;
        if (!ok)
            return fail(e, "unknown_field", NULL, "unknown field %.60s", k);
        if (!json_is_string(v) &&
            !(json_is_integer(v) && (strcmp(k, "id") == 0 || strcmp(k, "depth") == 0 ||
                                     strcmp(k, "member_count") == 0))) {
            if (json_is_null(v) && strcmp(k, "parent_code") == 0)
                return fail(e, "invalid_parent", k,
                            "an organisation must have a parent in your organisation");
            return fail(e, "invalid_type", k, "%s must be a string", k);
        }
    }
    return 0;
}

static int check_name(const char *name, yj_field_error_t *e)
{
    const char *why = yj_text_problem(name, YJ_TEXT_CHARS);
    if (why)
        return fail(e, "invalid_name", "name", "the name %s (at most %d characters)", why,
                    YJ_TEXT_CHARS);
    return 0;
}

int yj_org_input_from_json(json_t *b, const char *path_code, yj_org_input_t *out,
                           yj_field_error_t *e)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(b))
        return fail(e, "invalid", NULL, "the body must be a JSON object");
    if (!path_code) {
        static const char *const allowed[] = {"code", "name", "parent_code", NULL};
        if (only_keys(b, allowed, e))
            return YJ_EINVAL;
        out->code = jstr(b, "code");
        out->name = jstr(b, "name");
        out->parent_code = jstr(b, "parent_code");
        if (!out->code || !yj_org_code_valid(out->code))
            return fail(e, out->code ? "invalid_org_code" : "missing_field", "code",
                        "an organisation code has 1 to %d letters or digits", YJ_CODE_MAX);
        if (check_name(out->name, e))
            return YJ_EINVAL;
        if (!out->parent_code)
            return fail(e, "missing_field", "parent_code", "parent_code is required");
        return 0;
    }
    static const char *const allowed[] = {"name",  "parent_code",  "code", "id",
                                          "depth", "member_count", NULL};
    if (only_keys(b, allowed, e))
        return YJ_EINVAL;
    const char *same = jstr(b, "code");
    if (same && strcmp(same, path_code) != 0)
        return fail(e, "code_immutable", "code", "an organisation's code cannot be changed");
    out->code = path_code;
    out->name = jstr(b, "name");
    out->parent_code = jstr(b, "parent_code");
    if (!out->name && !out->parent_code)
        return fail(e, "missing_field", NULL, "give a new name and/or parent_code");
    if (out->name && check_name(out->name, e))
        return YJ_EINVAL;
    return 0;
}
