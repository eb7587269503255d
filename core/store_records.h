/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_records.h — organisations, members, the credit ledger, member
 * records and organisation summaries (the records model of DESIGN.md).
 *
 * Authority is enforced here, inside the same transaction as the change:
 * functions that take `within` (an administrator's subtree root path, e.g.
 * "/1/2/") treat every organisation or member outside it as absent
 * (YJ_ENOENT), so a caller can never learn or change anything out of
 * reach. Pass NULL for `within` only from trusted code (CLI, demo, other
 * subsystems crediting the ledger).
 *
 * Totals and rankings are always computed from the ledger; nothing derived
 * is stored. The ledger is append-only: a correction is a new row that
 * points at the row it corrects.
 *
 * Strings in the structs below are copies (fixed buffers): callers own the
 * structs and free nothing inside them. Lists are GArrays of those structs
 * that the caller creates and frees.
 */
#ifndef YJ_STORE_RECORDS_H
#define YJ_STORE_RECORDS_H

#include "member_input.h"
#include "store.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define YJ_ORG_MAX_DEPTH 12
#define YJ_SOURCE_ID_MAX 128
#define YJ_CREDIT_MAX_MINUTES 6000

/* The records domain's migrations (orgs, members, admins, sessions,
 * ledger), oldest first; the daemon lists them first. Append only. */
extern const yj_migration_t yj_records_migrations[];
extern const size_t yj_records_migrations_count;

typedef struct {
    int64_t id;
    char code[YJ_CODE_MAX + 1];
    char name[YJ_TEXT_BYTES];
    char parent_code[YJ_CODE_MAX + 1]; /* "" for a root */
    char path[256];
    int depth;            /* 0 for a root */
    int64_t member_count; /* own members only */
} yj_org_t;

typedef struct {
    char id_number[19];
    char name[YJ_NAME_CHARS * 4 + 1];
    bool female;
    char birth_date[11];
    char phone[24]; /* "" = none */
    int64_t org_id;
    char org_code[YJ_CODE_MAX + 1];
    char org_name[YJ_TEXT_BYTES];
    char org_path[256];
    char joined_on[11]; /* "" = unknown */
    bool probationary;
    bool migrant;
    char location[YJ_TEXT_BYTES]; /* "" = none */
} yj_member_t;

typedef struct {
    int64_t id;
    char member_id[19];
    char kind[12];
    char source_id[YJ_SOURCE_ID_MAX + 1];
    int minutes;
    int64_t at; /* Unix seconds */
    char by_whom[64];
    char reason[YJ_TEXT_BYTES]; /* "" = none */
    int64_t corrects;           /* 0 = not a correction */
} yj_ledger_entry_t;

typedef struct {
    int year;
    char kind[12];
    int64_t minutes;
} yj_record_total_t;

typedef struct {
    int rank; /* competition ranking: 1, 2, 2, 4 */
    char id_number[19];
    char name[YJ_NAME_CHARS * 4 + 1];
    char org_code[YJ_CODE_MAX + 1];
    int64_t minutes;
} yj_rank_t;

/* ---- organisations ---- */

/* The org with this code (member_count filled). 0 or YJ_ENOENT (also when
 * outside `within`). */
int yj_store_org_get(yj_store_t *st, const char *code, const char *within, yj_org_t *out);

/* Appends the subtree at root_path to out (GArray of yj_org_t), parents
 * before children, siblings by code. */
int yj_store_org_list(yj_store_t *st, const char *root_path, GArray *out);

/* Creates an org under parent_code (NULL: a new root, only when within is
 * NULL). Returns 0, YJ_ENOENT (parent missing/out of reach), YJ_EEXIST
 * (code taken), YJ_EINVAL (bad code/name), YJ_ETOOBIG (too deep). */
int yj_store_org_create(yj_store_t *st, const char *code, const char *name, const char *parent_code,
                        const char *within, yj_org_t *out);

/* Renames (name != NULL) and/or moves (parent_code != NULL) an org; a move
 * rewrites the paths of the whole subtree in the same transaction.
 * Returns 0, YJ_ENOENT (org or new parent out of reach; *bad_field says
 * which: "code" or "parent_code"), YJ_EPERM (moving `within`'s own root),
 * YJ_ESTATE (new parent inside the org itself), YJ_ETOOBIG, YJ_EINVAL. */
int yj_store_org_update(yj_store_t *st, const char *code, const char *name, const char *parent_code,
                        const char *within, yj_org_t *out, const char **bad_field);

/* Deletes an empty org. YJ_ENOENT, YJ_EPERM (own root), YJ_EBUSY with a
 * reason in why[] when it still has members, children or administrators. */
int yj_store_org_delete(yj_store_t *st, const char *code, const char *within, char why[128]);

/* ---- members ---- */

/* 0 or YJ_ENOENT (also when outside `within`). */
int yj_store_member_get(yj_store_t *st, const char *id_number, const char *within,
                        yj_member_t *out);

/* Creates a member from a finished input (yj_member_input_finish with
 * create); the org must be in `within`. Returns 0, YJ_ENOENT (org;
 * *bad_field "org_code"), YJ_EEXIST (identity number taken). */
int yj_store_member_create(yj_store_t *st, const yj_member_input_t *in, const char *within,
                           yj_member_t *out, const char **bad_field);

/* Updates the fields set in `in`. Returns 0 or YJ_ENOENT (*bad_field
 * "id_number" for the member, "org_code" for a new org out of reach). */
int yj_store_member_update(yj_store_t *st, const char *id_number, const yj_member_input_t *in,
                           const char *within, yj_member_t *out, const char **bad_field);

typedef struct {
    const char *org_path; /* the org whose members are listed */
    bool subtree;         /* include every org below it */
    const char *q;        /* NULL or text to find in name, id number or phone */
    int limit, offset;
} yj_member_query_t;

/* Appends matching members (yj_member_t) to out, by name then id number,
 * and sets *total to the number matching without limit/offset. */
int yj_store_member_list(yj_store_t *st, const yj_member_query_t *q, GArray *out, int64_t *total);

/* Calls fn for every member of the subtree at root_path (by org path, then
 * name); stops early and returns fn's value when it is not 0. */
int yj_store_member_each(yj_store_t *st, const char *root_path,
                         int (*fn)(const yj_member_t *m, void *ud), void *ud);

/* ---- import ---- */

typedef struct {
    int line;             /* CSV line for error reports */
    yj_member_input_t in; /* finished input */
    bool check_only;      /* the row has errors already: only checked, never written */
} yj_import_row_t;

typedef struct {
    int line;
    yj_field_error_t e;
} yj_import_error_t;

/* Creates or updates every row in ONE write transaction. A row's org is
 * its org_code when set, else default_org (for a new member; an existing
 * member then keeps their org); it must exist within `within`, and an
 * existing identity number must belong to a member within `within`. Every
 * row is checked first; if any fails, the errors (yj_import_error_t) are
 * appended to errors, nothing is written and YJ_EINVAL is returned.
 * Otherwise 0 with *created / *updated set. With check_only the rows are
 * checked and nothing is ever written (YJ_EINVAL whatever the outcome):
 * used to report every problem of a file that has bad rows already. */
int yj_store_member_import(yj_store_t *st, const yj_import_row_t *rows, size_t n,
                           const char *default_org, const char *within, bool check_only,
                           GArray *errors, int *created, int *updated);

/* ---- the credit ledger ---- */

/* Credits a member for one event. kind: meeting, lesson, broadcast or
 * manual; source_id identifies the event (1..128 bytes); minutes
 * 1..6000. Returns 0, YJ_EEXIST when (member, kind, source_id) is already
 * credited, YJ_ENOENT for an unknown member, YJ_EINVAL for bad arguments.
 * Safe from any thread; for meetings, VOD and broadcasts. */
int yj_store_credit(yj_store_t *st, const char *member_id, const char *kind, const char *source_id,
                    int minutes, const char *by_whom, const char *reason);

/* As yj_store_credit, limited to members within `within`, and fills *out
 * with the new row. */
int yj_store_credit_add(yj_store_t *st, const char *member_id, const char *kind,
                        const char *source_id, int minutes, const char *by_whom, const char *reason,
                        const char *within, yj_ledger_entry_t *out);

/* Appends a correction of entry_id (minutes != 0, may be negative; reason
 * required): same member and kind, `corrects` = entry_id, its own source id
 * "correction:ENTRY:N". A correction counts in the year of the entry it
 * corrects. Returns 0, YJ_ENOENT (entry missing or member out of reach),
 * YJ_ESTATE with why[] explaining (entry_id is itself a correction, or the
 * corrected entry would fall below zero minutes), YJ_EINVAL. */
int yj_store_ledger_correct(yj_store_t *st, int64_t entry_id, int minutes, const char *by_whom,
                            const char *reason, const char *within, yj_ledger_entry_t *out,
                            char why[160]);

/* One ledger row by id (member within `within`). 0 or YJ_ENOENT. */
int yj_store_ledger_get(yj_store_t *st, int64_t entry_id, const char *within,
                        yj_ledger_entry_t *out);

/* A member's record, read in one transaction: the member (into *member
 * when not NULL), totals per (year, kind) ascending into totals
 * (yj_record_total_t), and the newest max_lines ledger rows
 * (yj_ledger_entry_t) into lines; year 0 means all years. *more is set
 * when lines were cut. YJ_ENOENT when the member is missing or outside
 * `within`. */
int yj_store_member_record(yj_store_t *st, const char *id_number, const char *within, int year,
                           int max_lines, yj_member_t *member, GArray *totals, GArray *lines,
                           bool *more);

/* The subtree of org_path in a year: member count, minutes credited, and
 * the top `limit` members by minutes (yj_rank_t; zero-minute members
 * included, ties by identity number). */
int yj_store_org_summary(yj_store_t *st, const char *org_path, int year, int limit,
                         int64_t *member_count, int64_t *minutes, GArray *ranking);

/* ---- on a connection, inside the caller's transaction ----
 * For other subsystems' store files (signaling/store.c, vod/store.c) and
 * the demo seed: each runs inside whatever transaction db is in, so a
 * subsystem can credit the ledger atomically with its own rows. */

/* The only lookup of an organisation by code: fills *out (member_count
 * included). 0, YJ_ENOENT when missing or outside `within` (NULL: no
 * limit), YJ_EDB. */
int yj_org_by_code(yj_db_t *db, const char *code, const char *within, yj_org_t *out);

/* One ledger row. Strings are borrowed for the call. */
typedef struct {
    const char *member_id;
    const char *kind;      /* meeting, lesson, broadcast, manual */
    const char *source_id; /* with member and kind: the event, credited once */
    int minutes;           /* > 0, or != 0 for a correction */
    int64_t at;            /* Unix seconds */
    const char *by_whom;
    const char *reason; /* NULL or "": none */
    int64_t corrects;   /* 0, or the id of the row this one corrects */
} yj_credit_t;

/* The only place a ledger row is written. Appends c on db and, when id is
 * not NULL, stores the new row's id there. Returns 0, YJ_EEXIST when
 * (member, kind, source_id) was credited before (or another constraint
 * fails: unknown member, minutes out of range) — the statement then
 * changes nothing and the caller's transaction stays usable — or YJ_EDB.
 * Validating kind and range for untrusted input is the caller's job
 * (yj_store_credit_add). */
int yj_ledger_credit(yj_db_t *db, const yj_credit_t *c, int64_t *id);

/* Inserts a member with an optional password hash; in must be finished. */
int yj_records_member_insert(yj_db_t *db, const yj_member_input_t *in, int64_t org_id,
                             const char *password_hash);

/* Local-time year of a Unix time, and the Unix time of 1 January 00:00 of
 * a year (local time). */
int yj_year_of(int64_t t);
int64_t yj_year_start(int year);

#endif
