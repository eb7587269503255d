/* SPDX-License-Identifier: Apache-2.0 */
/*
 * member_csv.h — members as CSV: turning an uploaded file into validated
 * import rows (every bad row reported with its line), and writing the
 * export that the import reads back.
 *
 * Columns are named by the header row, in English or Chinese (id_number /
 * 身份证号, name / 姓名, gender / 性别, birth_date / 出生日期, phone / 手机,
 * org_code / 组织编码, joined_on / 入党日期, status / 状态, migrant /
 * 流动党员, location / 现居地), in any order; unknown columns (a 序号 row
 * counter, notes) are ignored and listed. An empty cell means "not given":
 * a new member gets the default, an existing member keeps the value.
 * Blank lines are skipped.
 */
#ifndef YJ_MEMBER_CSV_H
#define YJ_MEMBER_CSV_H

#include "store_records.h"

#include <glib.h>

#define YJ_IMPORT_MAX_ROWS 50000
/* Past this many errors parsing stops (one last error, "too_many_errors"):
 * memory stays bounded whatever the file. */
#define YJ_IMPORT_MAX_ERRORS 10000

/* Parses data[0..len) into rows (GArray of yj_import_row_t, each finished
 * for creation except that a row may lack org_code — the store then uses
 * the import's org) and errors (GArray of yj_import_error_t, every bad row,
 * in line order). ignored (may be NULL) receives copies of unknown header
 * names (g_free). Returns 0 when every row is good, YJ_EINVAL when errors
 * were appended, YJ_ETOOBIG past max_rows data rows (one error appended).
 * A syntax error stops parsing at its line (one error, code "csv_syntax"). */
int yj_member_csv_parse(const char *data, size_t len, int max_rows, GArray *rows, GArray *errors,
                        GPtrArray *ignored);

/* Appends the UTF-8 BOM and the English header row (CRLF). */
void yj_member_csv_header(GString *out);
/* Appends one member as a CSV record (CRLF). */
void yj_member_csv_row(GString *out, const yj_member_t *m);

#endif
