/* SPDX-License-Identifier: Apache-2.0 */
/*
 * member_csv.c — members as CSV; see member_csv.h.
 *
 * Parsing checks everything that needs no database: CSV syntax, the
 * header, each cell (member_input.h), cross-field rules, and duplicates of
 * one identity number within the file. Whether an org exists and is in
 * reach is the store's question (yj_store_member_import).
 */
#include "member_csv.h"
#include "csv.h"
#include "yj.h"

#include <string.h>

#define MAX_COLUMNS 64

static void add_error(GArray *errors, int line, const char *field, const char *code,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add_error(GArray *errors, int line, const char *field, const char *code,
                      const char *fmt, ...)
{
    yj_import_error_t e;
    memset(&e, 0, sizeof e);
    e.line = line;
    g_strlcpy(e.e.field, field ? field : "", sizeof e.e.field);
    g_strlcpy(e.e.code, code, sizeof e.e.code);
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(e.e.message, sizeof e.e.message, fmt, ap);
    va_end(ap);
    g_array_append_val(errors, e);
}

static void add_field_error(GArray *errors, int line, const yj_field_error_t *fe)
{
    yj_import_error_t e;
    memset(&e, 0, sizeof e);
    e.line = line;
    e.e = *fe;
    g_array_append_val(errors, e);
}

static bool blank_cell(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

static bool blank_row(const yj_csv_row_t *row)
{
    for (int i = 0; i < row->n; i++)
        if (!blank_cell(row->fields[i]))
            return false;
    return true;
}

/* Reads the header: cols[i] = field of column i (0 = ignored). */
static int read_header(const yj_csv_row_t *row, yj_member_field_t *cols, GArray *errors,
                       GPtrArray *ignored)
{
    unsigned seen = 0;
    int bad = 0;
    for (int i = 0; i < row->n; i++) {
        g_autofree char *name = g_strstrip(g_strdup(row->fields[i]));
        yj_member_field_t f = yj_member_field_lookup(name);
        cols[i] = f;
        if (!f) {
            if (ignored && *name)
                g_ptr_array_add(ignored, g_strdup(name));
            continue;
        }
        if (seen & f) {
            add_error(errors, row->line, yj_member_field_name(f), "duplicate_column",
                      "the column %s appears twice in the header", yj_member_field_name(f));
            bad++;
        }
        seen |= f;
    }
    static const yj_member_field_t required[] = {YJ_MF_ID_NUMBER, YJ_MF_NAME};
    for (size_t i = 0; i < YJ_ARRAY_LEN(required); i++) {
        if (!(seen & required[i])) {
            add_error(errors, row->line, yj_member_field_name(required[i]), "missing_column",
                      "the header has no %s column", yj_member_field_name(required[i]));
            bad++;
        }
    }
    return bad ? YJ_EINVAL : 0;
}

int yj_member_csv_parse(const char *data, size_t len, int max_rows, GArray *rows, GArray *errors,
                        GPtrArray *ignored)
{
    yj_csv_t *c = yj_csv_new(data, len, MAX_COLUMNS, 0);
    yj_member_field_t cols[MAX_COLUMNS] = {0};
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    yj_csv_row_t row;
    int ncols = 0, rc = 0, n = 0;
    guint errors_before = errors->len;
    int r;
    /* The header is the first non-blank record. */
    while ((r = yj_csv_next(c, &row)) == 1 && blank_row(&row))
        ;
    if (r != 1) {
        if (r == 0)
            add_error(errors, 1, NULL, "empty_file", "the file has no header row");
        rc = YJ_EINVAL;
        goto syntax;
    }
    ncols = row.n;
    if (read_header(&row, cols, errors, ignored)) {
        rc = YJ_EINVAL;
        goto out;
    }
    while ((r = yj_csv_next(c, &row)) == 1) {
        if (blank_row(&row))
            continue;
        if (++n > max_rows) {
            add_error(errors, row.line, NULL, "too_many_rows",
                      "more than %d members in one file; split it", max_rows);
            rc = YJ_ETOOBIG;
            goto out;
        }
        yj_import_row_t ir;
        memset(&ir, 0, sizeof ir);
        ir.line = row.line;
        bool bad = false;
        for (int i = ncols; i < row.n; i++) {
            if (row.fields[i][0]) {
                add_error(errors, row.line, NULL, "too_many_fields",
                          "this row has %d fields but the header has %d", row.n, ncols);
                bad = true;
                break;
            }
        }
        yj_field_error_t fe;
        bool id_refused = false;
        for (int i = 0; i < row.n && i < ncols; i++) {
            if (!cols[i] || blank_cell(row.fields[i]))
                continue; /* an empty cell is "not given" */
            if (yj_member_input_set(&ir.in, cols[i], row.fields[i], &fe) == 0)
                continue;
            add_field_error(errors, row.line, &fe);
            id_refused |= cols[i] == YJ_MF_ID_NUMBER;
            bad = true;
        }
        if (!(ir.in.set & YJ_MF_ID_NUMBER)) {
            if (!id_refused)
                add_error(errors, row.line, "id_number", "missing_field",
                          "the identity number is missing");
            bad = true;
        }
        if (!bad && yj_member_input_finish(&ir.in, false, &fe)) {
            add_field_error(errors, row.line, &fe);
            bad = true;
        }
        if ((ir.in.set & YJ_MF_ID_NUMBER) && !bad) {
            gpointer first = g_hash_table_lookup(seen, ir.in.id_number);
            if (first) {
                add_error(errors, row.line, "id_number", "duplicate_id_number",
                          "this identity number is also on line %d", GPOINTER_TO_INT(first));
                bad = true;
            } else {
                g_hash_table_insert(seen, g_strdup(ir.in.id_number), GINT_TO_POINTER(row.line));
            }
        }
        if (!bad)
            g_array_append_val(rows, ir);
        else if ((ir.in.set & YJ_MF_ID_NUMBER) && !id_refused && !(ir.in.set & YJ_MF_NAME)) {
            /* A bad row without a name: still checked against the database
             * (nothing is written while any error exists), so that "name
             * required for a new member" comes in the same answer. */
            ir.check_only = true;
            g_array_append_val(rows, ir);
        }
        if (errors->len - errors_before >= YJ_IMPORT_MAX_ERRORS) {
            add_error(errors, row.line, NULL, "too_many_errors",
                      "more than %d errors; stopped reading at line %d", YJ_IMPORT_MAX_ERRORS,
                      row.line);
            rc = YJ_EINVAL;
            goto out;
        }
    }
syntax:
    if (r < 0)
        add_error(errors, yj_csv_error_line(c), NULL, "csv_syntax", "%s", yj_csv_error(c));
out:
    if (!rc && errors->len > errors_before)
        rc = YJ_EINVAL;
    g_hash_table_destroy(seen);
    yj_csv_free(c);
    return rc;
}

void yj_member_csv_header(GString *out)
{
    g_string_append(out, "\xEF\xBB\xBF"
                         "id_number,name,gender,birth_date,phone,org_code,joined_on,status,"
                         "migrant,location\r\n");
}

void yj_member_csv_row(GString *out, const yj_member_t *m)
{
    const char *cells[] = {m->id_number,
                           m->name,
                           m->female ? "female" : "male",
                           m->birth_date,
                           m->phone,
                           m->org_code,
                           m->joined_on,
                           m->probationary ? "probationary" : "full",
                           m->migrant ? "true" : "false",
                           m->location};
    for (size_t i = 0; i < YJ_ARRAY_LEN(cells); i++) {
        if (i)
            g_string_append_c(out, ',');
        yj_csv_append_field(out, cells[i]);
    }
    g_string_append(out, "\r\n");
}
