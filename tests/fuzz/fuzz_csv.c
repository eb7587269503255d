/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_csv.c — libFuzzer target for the CSV reader (core/csv.h) and the
 * member import parser built on it (core/member_csv.h).
 *
 * The first input byte picks small or default limits so the bounds are
 * exercised too. Invariants checked: every record has 1..max fields, each
 * field is valid UTF-8 without NUL and within the size limit, line numbers
 * never go backwards, an error has a line and a message, and every import
 * row that parses is a valid, finished member input.
 */
#include "core/csv.h"
#include "core/idnum.h"
#include "core/member_csv.h"
#include "core/yj.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    bool small = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    int max_fields = small ? 3 : 0;
    size_t max_field = small ? 8 : 0;

    yj_csv_t *c = yj_csv_new(text, len, max_fields, max_field);
    yj_csv_row_t row;
    int r, last_line = 0;
    while ((r = yj_csv_next(c, &row)) == 1) {
        if (row.n < 1 || row.n > (small ? 3 : YJ_CSV_MAX_FIELDS))
            abort();
        if (row.line < last_line || row.end_line < row.line)
            abort();
        last_line = row.end_line;
        for (int i = 0; i < row.n; i++) {
            size_t n = strlen(row.fields[i]);
            if (n > (small ? 8 : YJ_CSV_MAX_FIELD) || !g_utf8_validate(row.fields[i], -1, NULL))
                abort();
        }
    }
    if (r < 0 && (yj_csv_error_line(c) < 1 || !yj_csv_error(c)))
        abort();
    yj_csv_free(c);

    GArray *rows = g_array_new(FALSE, FALSE, sizeof(yj_import_row_t));
    GArray *errors = g_array_new(FALSE, FALSE, sizeof(yj_import_error_t));
    GPtrArray *ignored = g_ptr_array_new_with_free_func(g_free);
    int rc = yj_member_csv_parse(text, len, 1000, rows, errors, ignored);
    if (rc == 0 && errors->len)
        abort();
    if (rc != 0 && !errors->len)
        abort();
    for (guint i = 0; i < rows->len; i++) {
        const yj_import_row_t *ir = &g_array_index(rows, yj_import_row_t, i);
        if (yj_idnum_parse(ir->in.id_number, NULL) != YJ_IDNUM_OK || ir->line < 2)
            abort();
    }
    g_array_free(rows, TRUE);
    g_array_free(errors, TRUE);
    g_ptr_array_free(ignored, TRUE);
    return 0;
}
