/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_records_int.h — helpers shared by store_records.c and
 * store_ledger.c; not a public interface.
 */
#ifndef YJ_STORE_RECORDS_INT_H
#define YJ_STORE_RECORDS_INT_H

#include "store.h"
#include "store_records.h"

#include <stdbool.h>
#include <stddef.h>

/* Copies a text column into dst ("" for NULL), cut to whole UTF-8
 * characters: dst is always valid UTF-8. */
void yj_rec_copy(char *dst, size_t n, sqlite3_stmt *s, int col);
/* The exclusive upper bound of the subtree range of path ("/1/4/" →
 * "/1/40"). */
void yj_rec_path_hi(const char *path, char *hi, size_t n);
/* True when within is NULL or path lies in its subtree. */
bool yj_rec_within(const char *within, const char *path);
/* The member with this identity number, on db; YJ_ENOENT when missing or
 * outside within. */
int yj_rec_member_by_id(yj_db_t *db, const char *id, const char *within, yj_member_t *out);

#endif
