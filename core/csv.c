/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv.c — RFC 4180 reader and field writer; see csv.h.
 *
 * One pass per record: bytes are copied into a scratch buffer (quotes
 * removed, doubled quotes folded), field start offsets are kept, and only
 * when the record is complete are the offsets turned into pointers (the
 * buffer may move while it grows). The raw bytes of each record are then
 * checked for UTF-8 and NUL, so a bad byte is reported with its own line.
 */
#include "csv.h"
#include "yj.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

struct yj_csv {
    const char *data, *p, *end;
    int line; /* physical line at p */
    int max_fields;
    size_t max_field;
    GByteArray *buf;     /* field bytes, each NUL-terminated */
    size_t *offsets;     /* max_fields */
    const char **fields; /* max_fields */
    char err[160];
    int err_line;
    bool failed;
};

yj_csv_t *yj_csv_new(const char *data, size_t len, int max_fields, size_t max_field)
{
    yj_csv_t *c = g_new0(yj_csv_t, 1);
    c->data = data ? data : "";
    c->p = c->data;
    c->end = c->data + (data ? len : 0);
    if (c->end - c->p >= 3 && memcmp(c->p, "\xEF\xBB\xBF", 3) == 0)
        c->p += 3;
    c->line = 1;
    c->max_fields = max_fields > 0 ? max_fields : YJ_CSV_MAX_FIELDS;
    c->max_field = max_field > 0 ? max_field : YJ_CSV_MAX_FIELD;
    c->buf = g_byte_array_new();
    c->offsets = g_new0(size_t, c->max_fields);
    c->fields = g_new0(const char *, c->max_fields);
    return c;
}

void yj_csv_free(yj_csv_t *c)
{
    if (!c)
        return;
    g_byte_array_free(c->buf, TRUE);
    g_free(c->offsets);
    g_free(c->fields);
    g_free(c);
}

const char *yj_csv_error(const yj_csv_t *c)
{
    return c->failed ? c->err : NULL;
}

int yj_csv_error_line(const yj_csv_t *c)
{
    return c->failed ? c->err_line : 0;
}

/* Counts line breaks (CRLF, CR, LF) in [a, b). */
static int breaks(const char *a, const char *b)
{
    int n = 0;
    for (const char *q = a; q < b; q++) {
        if (*q == '\n')
            n++;
        else if (*q == '\r' && !(q + 1 < b && q[1] == '\n'))
            n++;
    }
    return n;
}

/* Checks [a, b) (which starts on line first_line) for NUL and invalid
 * UTF-8; records the error and returns false on the first bad byte. */
static bool check_text(yj_csv_t *c, const char *a, const char *b, int first_line)
{
    const char *bad = NULL;
    if (g_utf8_validate(a, b - a, &bad))
        return true;
    c->failed = true;
    c->err_line = first_line + breaks(a, bad);
    g_strlcpy(c->err, *bad ? "invalid UTF-8 (save the file as UTF-8)" : "NUL byte in the text",
              sizeof c->err);
    return false;
}

static int fail(yj_csv_t *c, const char *rec_start, int rec_line, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(yj_csv_t *c, const char *rec_start, int rec_line, int line, const char *fmt, ...)
{
    /* A bad byte earlier in the record is the better thing to report. */
    if (!check_text(c, rec_start, c->p, rec_line))
        return YJ_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->failed = true;
    c->err_line = line;
    return YJ_EINVAL;
}

/* Consumes one line break at c->p if there is one. */
static bool eat_break(yj_csv_t *c)
{
    if (c->p >= c->end)
        return false;
    if (*c->p == '\r') {
        c->p += (c->p + 1 < c->end && c->p[1] == '\n') ? 2 : 1;
    } else if (*c->p == '\n') {
        c->p++;
    } else {
        return false;
    }
    c->line++;
    return true;
}

int yj_csv_next(yj_csv_t *c, yj_csv_row_t *row)
{
    if (c->failed)
        return YJ_EINVAL;
    if (c->p >= c->end)
        return 0;
    const char *rec = c->p;
    int rec_line = c->line;
    int n = 0;
    g_byte_array_set_size(c->buf, 0);
    for (;;) {
        if (n == c->max_fields)
            return fail(c, rec, rec_line, c->line, "more than %d fields in one record",
                        c->max_fields);
        c->offsets[n] = c->buf->len;
        size_t flen = 0;
        if (c->p < c->end && *c->p == '"') {
            int open_line = c->line;
            c->p++;
            for (;;) {
                if (c->p >= c->end)
                    return fail(c, rec, rec_line, open_line,
                                "a quoted field opened on line %d is never closed", open_line);
                char ch = *c->p;
                if (ch == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        c->p += 2;
                    } else {
                        c->p++;
                        break;
                    }
                } else if (ch == '\r' || ch == '\n') {
                    const char *from = c->p;
                    eat_break(c);
                    size_t k = (size_t)(c->p - from);
                    if (flen + k > c->max_field)
                        return fail(c, rec, rec_line, c->line, "a field is longer than %zu bytes",
                                    c->max_field);
                    g_byte_array_append(c->buf, (const guint8 *)from, (guint)k);
                    flen += k;
                    continue;
                } else {
                    c->p++;
                }
                if (++flen > c->max_field)
                    return fail(c, rec, rec_line, c->line, "a field is longer than %zu bytes",
                                c->max_field);
                g_byte_array_append(c->buf, (const guint8 *)&ch, 1);
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n')
                return fail(c, rec, rec_line, c->line,
                            "unexpected text after a closing quote (field %d)", n + 1);
        } else {
            const char *s = c->p;
            while (c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n') {
                if (*c->p == '"')
                    return fail(c, rec, rec_line, c->line,
                                "a quote inside an unquoted field %d: quote the whole field "
                                "and double the quote (\"\")",
                                n + 1);
                c->p++;
            }
            flen = (size_t)(c->p - s);
            if (flen > c->max_field)
                return fail(c, rec, rec_line, c->line, "a field is longer than %zu bytes",
                            c->max_field);
            g_byte_array_append(c->buf, (const guint8 *)s, (guint)flen);
        }
        g_byte_array_append(c->buf, (const guint8 *)"", 1);
        n++;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        const char *rec_end = c->p;
        int end_line = c->line;
        eat_break(c);
        if (!check_text(c, rec, rec_end, rec_line))
            return YJ_EINVAL;
        for (int i = 0; i < n; i++)
            c->fields[i] = (const char *)c->buf->data + c->offsets[i];
        row->n = n;
        row->fields = c->fields;
        row->line = rec_line;
        row->end_line = end_line;
        return 1;
    }
}

void yj_csv_append_field(GString *out, const char *field)
{
    if (!field)
        field = "";
    size_t n = strlen(field);
    bool quote =
        strpbrk(field, ",\"\r\n") != NULL || (n > 0 && (field[0] == ' ' || field[n - 1] == ' '));
    if (!quote) {
        g_string_append_len(out, field, (gssize)n);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = field; *p; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}
