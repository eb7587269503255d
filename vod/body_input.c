/* SPDX-License-Identifier: Apache-2.0 */
/*
 * body_input.c — course and lesson body parsers (see body_input.h): pure
 * JSON to fields with a field error, shared by the handlers and the fuzz
 * targets. Never: accept control or bidi characters in a title or
 * category, a number outside its range, or touch the store.
 */
#include "body_input.h"
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

static int text_field(json_t *b, const char *key, int max, bool required, const char **out,
                      yj_field_error_t *e)
{
    json_t *v = json_object_get(b, key);
    *out = NULL;
    if (!v && !required)
        return 0;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    glong n = s && g_utf8_validate(s, -1, NULL) ? g_utf8_strlen(s, -1) : -1;
    /* Titles and names are one line of plain text: no control or bidi
     * characters (issue 13); descriptions may hold line breaks. */
    bool one_line = strcmp(key, "description") != 0;
    if (s && n >= 1 && one_line && yj_text_problem(s, max))
        n = -1;
    if (!s || n > max || (required && n < 1) || n < 0)
        return fail(e, "invalid_field", key, "%s must be text of %s%d characters", key,
                    required ? "1 to " : "at most ", max);
    *out = s;
    return 0;
}

int yj_vod_course_input_from_json(json_t *b, bool create, yj_vod_course_input_t *out,
                                  yj_field_error_t *e)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(b))
        return fail(e, "invalid", NULL, "the body must be a JSON object");
    if (text_field(b, "title", 200, create, &out->title, e) ||
        text_field(b, "description", 4000, false, &out->description, e) ||
        text_field(b, "category", 50, false, &out->category, e))
        return YJ_EINVAL;
    if (!create && out->title && !*out->title)
        return fail(e, "invalid_field", "title", "title cannot be empty");
    if (create) {
        json_t *c = json_object_get(b, "org_code");
        out->org_code = json_is_string(c) ? json_string_value(c) : NULL;
    }
    return 0;
}

int yj_vod_lesson_input_from_json(json_t *body, bool create, yj_vod_lesson_input_t *out,
                                  yj_field_error_t *e)
{
    memset(out, 0, sizeof *out);
    out->minutes = -1;
    out->threshold = -1;
    if (!json_is_object(body))
        return fail(e, "invalid", NULL, "the body must be a JSON object");
    json_t *t = json_object_get(body, "title");
    if (t || create) {
        const char *title = json_is_string(t) ? json_string_value(t) : NULL;
        glong n = title && g_utf8_validate(title, -1, NULL) ? g_utf8_strlen(title, -1) : 0;
        if (!title || n < 1 || n > 200 || yj_text_problem(title, 200))
            return fail(e, "invalid_title", "title", "title is required: 1 to 200 characters");
        out->title = title;
    }
    json_t *h = json_object_get(body, "hours"), *m = json_object_get(body, "minutes");
    if (h && m)
        return fail(e, "invalid_hours", "hours", "give hours or minutes, not both");
    if (h) {
        double d = json_is_number(h) ? json_number_value(h) : -1;
        if (!(d >= 0 && d <= 100))
            return fail(e, "invalid_hours", "hours", "hours must be a number from 0 to 100");
        out->minutes = (int)(d * 60 + 0.5);
    } else if (m) {
        json_int_t mi = json_is_integer(m) ? json_integer_value(m) : -1;
        if (mi < 0 || mi > 6000)
            return fail(e, "invalid_minutes", "minutes",
                        "minutes must be an integer from 0 to 6000");
        out->minutes = (int)mi;
    } else if (create) {
        out->minutes = 45; /* one class period (一课时) */
    }
    json_t *th = json_object_get(body, "threshold");
    if (th) {
        double d = json_is_number(th) ? json_number_value(th) : -1;
        if (!(d > 0 && d <= 1))
            return fail(e, "invalid_threshold", "threshold",
                        "threshold is the share of the lesson to watch, 0 < t <= 1");
        out->threshold = d;
    } else if (create) {
        out->threshold = 0.9;
    }
    json_t *orgs = json_object_get(body, "orgs");
    if (orgs && (!json_is_array(orgs) || json_array_size(orgs) > 1000))
        return fail(e, "invalid_orgs", "orgs", "orgs is an array of organisation codes");
    out->orgs = orgs;
    return 0;
}
