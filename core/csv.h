/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv.h — an RFC 4180 CSV reader (and a small writer) for member imports
 * and exports.
 *
 * The reader pulls one record at a time from a caller buffer: fields may be
 * quoted ("a,b", "say ""hi"""), quoted fields may span lines, records end
 * with CRLF, LF or a lone CR, and a UTF-8 byte-order mark at the very start
 * is skipped. Input is hostile: NUL bytes and invalid UTF-8 are errors, and
 * the record width and field size are bounded, so memory use is
 * O(max_fields * max_field) whatever the input. Errors name the physical
 * line (1-based) where they happen.
 *
 * The reader never allocates per field: a record's fields point into a
 * scratch buffer owned by the reader and valid until the next call.
 */
#ifndef YJ_CSV_H
#define YJ_CSV_H

#include <glib.h>
#include <stddef.h>

#define YJ_CSV_MAX_FIELDS 64
#define YJ_CSV_MAX_FIELD 4096

typedef struct yj_csv yj_csv_t;

typedef struct {
    int n;               /* number of fields (>= 1) */
    const char **fields; /* n NUL-terminated UTF-8 strings, owned by the reader */
    int line;            /* physical line where the record starts (1-based) */
    int end_line;        /* physical line where it ends */
} yj_csv_row_t;

/* A reader over data[0..len). data must outlive the reader. max_fields and
 * max_field of 0 pick YJ_CSV_MAX_FIELDS / YJ_CSV_MAX_FIELD. Never NULL. */
yj_csv_t *yj_csv_new(const char *data, size_t len, int max_fields, size_t max_field);
/* NULL-safe. */
void yj_csv_free(yj_csv_t *c);

/* Reads the next record into *row. Returns 1 when a record was read, 0 at
 * the end of the input, or YJ_EINVAL on malformed input (then
 * yj_csv_error/yj_csv_error_line describe it and further calls return
 * YJ_EINVAL). An empty line is a record of one empty field. */
int yj_csv_next(yj_csv_t *c, yj_csv_row_t *row);

/* The last error's English message (static or reader-owned), or NULL. */
const char *yj_csv_error(const yj_csv_t *c);
/* The physical line of the last error (1-based), or 0. */
int yj_csv_error_line(const yj_csv_t *c);

/* Appends one field to out, quoted when it holds a comma, quote, CR or LF
 * or starts/ends with a space. */
void yj_csv_append_field(GString *out, const char *field);

#endif
