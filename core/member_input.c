/* SPDX-License-Identifier: Apache-2.0 */
/*
 * member_input.c — member field validation and normalisation; see
 * member_input.h. The JSON entry point maps JSON types onto the same text
 * setter the CSV import uses, so the two paths cannot drift apart.
 */
#include "member_input.h"
#include "idnum.h"
#include "yj.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    yj_member_field_t f;
    const char *en, *zh;
} fields[] = {
    {YJ_MF_ID_NUMBER, "id_number", "身份证号"},
    {YJ_MF_NAME, "name", "姓名"},
    {YJ_MF_GENDER, "gender", "性别"},
    {YJ_MF_BIRTH_DATE, "birth_date", "出生日期"},
    {YJ_MF_PHONE, "phone", "手机"},
    {YJ_MF_ORG_CODE, "org_code", "组织编码"},
    {YJ_MF_JOINED_ON, "joined_on", "入党日期"},
    {YJ_MF_STATUS, "status", "状态"},
    {YJ_MF_MIGRANT, "migrant", "流动党员"},
    {YJ_MF_LOCATION, "location", "现居地"},
};

const char *yj_member_field_name(yj_member_field_t f)
{
    for (size_t i = 0; i < YJ_ARRAY_LEN(fields); i++)
        if (fields[i].f == f)
            return fields[i].en;
    return NULL;
}

yj_member_field_t yj_member_field_lookup(const char *name)
{
    if (!name)
        return 0;
    for (size_t i = 0; i < YJ_ARRAY_LEN(fields); i++)
        if (g_ascii_strcasecmp(name, fields[i].en) == 0 || strcmp(name, fields[i].zh) == 0)
            return fields[i].f;
    /* Common alternatives seen in spreadsheets. */
    static const struct {
        const char *name;
        yj_member_field_t f;
    } aliases[] = {
        {"公民身份号码", YJ_MF_ID_NUMBER},
        {"身份证号码", YJ_MF_ID_NUMBER},
        {"手机号", YJ_MF_PHONE},
        {"联系电话", YJ_MF_PHONE},
        {"电话", YJ_MF_PHONE},
        {"所在组织编码", YJ_MF_ORG_CODE},
        {"入党时间", YJ_MF_JOINED_ON},
        {"党员状态", YJ_MF_STATUS},
        {"是否流动党员", YJ_MF_MIGRANT},
        {"现居住地", YJ_MF_LOCATION},
    };
    for (size_t i = 0; i < YJ_ARRAY_LEN(aliases); i++)
        if (strcmp(name, aliases[i].name) == 0)
            return aliases[i].f;
    return 0;
}

static int refuse(yj_field_error_t *err, const char *field, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(yj_field_error_t *err, const char *field, const char *code, const char *fmt, ...)
{
    if (err) {
        g_strlcpy(err->field, field, sizeof err->field);
        g_strlcpy(err->code, code, sizeof err->code);
        va_list ap;
        va_start(ap, fmt);
        g_vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return YJ_EINVAL;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool real_date(int y, int m, int d)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= (m == 2 && leap(y) ? 29 : dim[m - 1]);
}

/* Reads 1..max digits at *p; -1 if none. */
static int digits(const char **p, int max, int *count)
{
    int v = 0, n = 0;
    while (n < max && **p >= '0' && **p <= '9') {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    if (count)
        *count = n;
    return n ? v : -1;
}

/* Skips one separator: - / . or 年 月 (UTF-8). */
static bool separator(const char **p)
{
    if (**p == '-' || **p == '/' || **p == '.') {
        (*p)++;
        return true;
    }
    if (strncmp(*p, "年", 3) == 0 || strncmp(*p, "月", 3) == 0) {
        *p += 3;
        return true;
    }
    return false;
}

bool yj_date_parse(const char *text, char out[11])
{
    if (!text)
        return false;
    const char *p = text;
    int n = 0, y, m, d;
    y = digits(&p, 8, &n);
    if (n == 8 && !*p) {
        d = y % 100;
        m = (y / 100) % 100;
        y /= 10000;
    } else {
        if (n != 4 || !separator(&p))
            return false;
        m = digits(&p, 2, NULL);
        if (m < 0 || !separator(&p))
            return false;
        d = digits(&p, 2, NULL);
        if (d < 0)
            return false;
        if (strncmp(p, "日", 3) == 0)
            p += 3;
        if (*p)
            return false;
    }
    if (!real_date(y, m, d))
        return false;
    g_snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return true;
}

const char *yj_text_problem(const char *text, int max_chars)
{
    if (!text || !*text)
        return "must not be empty";
    if (!g_utf8_validate(text, -1, NULL))
        return "is not valid UTF-8";
    if (strchr("=+-@", text[0]))
        return "must not start with = + - or @";
    int n = 0;
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        /* C0/C1 controls, line/paragraph separators, and the bidi
         * embedding/override/isolate controls that reorder what a reader
         * sees (U+202A–U+202E, U+2066–U+2069; issue 13). */
        if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
            (c >= 0x2066 && c <= 0x2069))
            return "must not contain control characters or line breaks";
        if (++n > max_chars)
            return "is too long";
    }
    return NULL;
}

bool yj_org_code_valid(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n < 1 || n > YJ_CODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(code[i]))
            return false;
    return true;
}

static bool one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (g_ascii_strcasecmp(s, *list) == 0)
            return true;
    return false;
}

int yj_member_input_set(yj_member_input_t *in, yj_member_field_t f, const char *text,
                        yj_field_error_t *err)
{
    const char *name = yj_member_field_name(f);
    if (!name)
        return refuse(err, "", "unknown_field", "unknown field");
    /* Trim surrounding white space into a bounded copy. */
    char buf[YJ_TEXT_BYTES + 8];
    const char *t = text ? text : "";
    while (*t == ' ' || *t == '\t')
        t++;
    size_t len = strlen(t);
    if (len >= sizeof buf)
        return refuse(err, name, "too_long", "%s is too long", name);
    memcpy(buf, t, len + 1);
    while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        buf[--len] = 0;
    if (!g_utf8_validate(buf, (gssize)len, NULL))
        return refuse(err, name, "invalid_text", "%s is not valid UTF-8", name);

    bool empty = len == 0;
    bool optional = f == YJ_MF_PHONE || f == YJ_MF_JOINED_ON || f == YJ_MF_LOCATION;
    if (empty && !optional)
        return refuse(err, name, "missing_field", "%s is required", name);

    switch (f) {
    case YJ_MF_ID_NUMBER: {
        yj_idnum_t id;
        yj_idnum_status_t s = yj_idnum_parse(buf, &id);
        if (s != YJ_IDNUM_OK)
            return refuse(err, name, "invalid_id_number", "invalid identity number: %s",
                          yj_idnum_reason(s));
        memcpy(in->id_number, id.number, sizeof in->id_number);
        break;
    }
    case YJ_MF_NAME: {
        const char *why = yj_text_problem(buf, YJ_NAME_CHARS);
        if (why)
            return refuse(err, name, "invalid_name", "the name %s (at most %d characters)", why,
                          YJ_NAME_CHARS);
        g_strlcpy(in->name, buf, sizeof in->name);
        break;
    }
    case YJ_MF_GENDER: {
        static const char *const male[] = {"male", "m", "男", NULL};
        static const char *const female[] = {"female", "f", "女", NULL};
        if (one_of(buf, male))
            in->female = false;
        else if (one_of(buf, female))
            in->female = true;
        else
            return refuse(err, name, "invalid_gender", "gender must be male or female (男/女)");
        break;
    }
    case YJ_MF_BIRTH_DATE:
    case YJ_MF_JOINED_ON: {
        char *dst = f == YJ_MF_BIRTH_DATE ? in->birth_date : in->joined_on;
        if (empty) {
            dst[0] = 0;
            break;
        }
        char d[11];
        if (!yj_date_parse(buf, d))
            return refuse(err, name, "invalid_date", "%s must be a real date written YYYY-MM-DD",
                          name);
        int today = yj_idnum_today();
        int v = atoi(d) * 10000 + atoi(d + 5) * 100 + atoi(d + 8);
        if (v > today)
            return refuse(err, name, "future_date", "%s is in the future", name);
        memcpy(dst, d, sizeof d);
        break;
    }
    case YJ_MF_PHONE: {
        char p[sizeof in->phone];
        size_t k = 0, ndig = 0;
        for (const char *s = buf; *s; s++) {
            if (*s == ' ' || *s == '-')
                continue;
            bool ok = (*s >= '0' && *s <= '9') || (*s == '+' && k == 0);
            if (!ok || k + 1 >= sizeof p)
                return refuse(err, name, "invalid_phone",
                              "a phone number has 5 to 20 digits (spaces, dashes and a leading "
                              "+ allowed)");
            ndig += *s != '+';
            p[k++] = *s;
        }
        p[k] = 0;
        if (!empty && (ndig < 5 || ndig > 20))
            return refuse(err, name, "invalid_phone", "a phone number has 5 to 20 digits");
        memcpy(in->phone, p, k + 1);
        break;
    }
    case YJ_MF_ORG_CODE:
        if (!yj_org_code_valid(buf))
            return refuse(err, name, "invalid_org_code",
                          "an organisation code has 1 to %d letters or digits", YJ_CODE_MAX);
        g_strlcpy(in->org_code, buf, sizeof in->org_code);
        break;
    case YJ_MF_STATUS: {
        static const char *const full[] = {"full", "正式党员", "正式", NULL};
        static const char *const prob[] = {"probationary", "预备党员", "预备", NULL};
        if (one_of(buf, full))
            in->probationary = false;
        else if (one_of(buf, prob))
            in->probationary = true;
        else
            return refuse(err, name, "invalid_status",
                          "status must be full or probationary (正式党员/预备党员)");
        break;
    }
    case YJ_MF_MIGRANT: {
        static const char *const yes[] = {"true", "1", "yes", "y", "是", NULL};
        static const char *const no[] = {"false", "0", "no", "n", "否", NULL};
        if (one_of(buf, yes))
            in->migrant = true;
        else if (one_of(buf, no))
            in->migrant = false;
        else
            return refuse(err, name, "invalid_migrant", "migrant must be true or false (是/否)");
        break;
    }
    case YJ_MF_LOCATION: {
        const char *why = empty ? NULL : yj_text_problem(buf, YJ_TEXT_CHARS);
        if (why)
            return refuse(err, name, "invalid_location", "the location %s (at most %d characters)",
                          why, YJ_TEXT_CHARS);
        g_strlcpy(in->location, buf, sizeof in->location);
        break;
    }
    }
    in->set |= f;
    return 0;
}

int yj_member_input_finish(yj_member_input_t *in, bool create, yj_field_error_t *err)
{
    if (!(in->set & YJ_MF_ID_NUMBER))
        return refuse(err, "id_number", "missing_field", "id_number is required");
    yj_idnum_t id;
    yj_idnum_status_t s = yj_idnum_parse(in->id_number, &id);
    if (s != YJ_IDNUM_OK)
        return refuse(err, "id_number", "invalid_id_number", "invalid identity number: %s",
                      yj_idnum_reason(s));
    if (create && !(in->set & YJ_MF_NAME))
        return refuse(err, "name", "missing_field", "name is required");
    if ((in->set & YJ_MF_GENDER) && in->female != id.female)
        return refuse(err, "gender", "id_number_mismatch", "the identity number says %s, not %s",
                      id.female ? "female" : "male", in->female ? "female" : "male");
    if ((in->set & YJ_MF_BIRTH_DATE) && in->birth_date[0] &&
        strcmp(in->birth_date, id.birth_date) != 0)
        return refuse(err, "birth_date", "id_number_mismatch",
                      "the identity number says the birth date is %s, not %s", id.birth_date,
                      in->birth_date);
    in->female = id.female;
    memcpy(in->birth_date, id.birth_date, sizeof in->birth_date);
    in->set |= YJ_MF_GENDER | YJ_MF_BIRTH_DATE;
    if ((in->set & YJ_MF_JOINED_ON) && in->joined_on[0] &&
        strcmp(in->joined_on, in->birth_date) <= 0)
        return refuse(err, "joined_on", "invalid_date", "joined_on must be after the birth date");
    return 0;
}

int yj_member_input_from_json(const json_t *body, const char *path_id, yj_member_input_t *in,
                              yj_field_error_t *err)
{
    memset(in, 0, sizeof *in);
    if (!json_is_object(body))
        return refuse(err, "", "invalid_json", "the request body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "org_name") == 0)
            continue;
        yj_member_field_t f = 0;
        for (size_t i = 0; i < YJ_ARRAY_LEN(fields); i++)
            if (strcmp(key, fields[i].en) == 0)
                f = fields[i].f;
        if (!f)
            return refuse(err, key[0] && strlen(key) < 24 ? key : "", "unknown_field",
                          "unknown field %.60s", key);
        if (f == YJ_MF_MIGRANT) {
            if (!json_is_boolean(v))
                return refuse(err, key, "invalid_migrant", "migrant must be true or false");
            in->migrant = json_is_true(v);
            in->set |= f;
            continue;
        }
        const char *text;
        if (json_is_null(v))
            text = NULL;
        else if (json_is_string(v))
            text = json_string_value(v);
        else
            return refuse(err, key, "invalid_type", "%s must be a string", key);
        if (text && strlen(text) != json_string_length(v))
            return refuse(err, key, "invalid_text", "%s contains a NUL character", key);
        if (f == YJ_MF_ID_NUMBER && path_id) {
            yj_idnum_t a;
            bool same = text && yj_idnum_parse(text, &a) == YJ_IDNUM_OK &&
                        g_ascii_strcasecmp(a.number, path_id) == 0;
            if (!same)
                return refuse(err, key, "id_number_immutable",
                              "the identity number of a member cannot be changed");
            continue;
        }
        int rc = yj_member_input_set(in, f, text, err);
        if (rc)
            return rc;
    }
    if (path_id) {
        int rc = yj_member_input_set(in, YJ_MF_ID_NUMBER, path_id, err);
        if (rc)
            return rc;
    } else {
        if (!(in->set & YJ_MF_ORG_CODE))
            return refuse(err, "org_code", "missing_field", "org_code is required");
    }
    return yj_member_input_finish(in, path_id == NULL, err);
}
