/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_ledger.c — the credit ledger, member records and organisation
 * summaries; see store_records.h.
 *
 * The ledger is append-only (triggers in the schema refuse UPDATE and
 * DELETE) and unique on (member_id, kind, source_id): crediting one event
 * twice is a constraint violation, reported as YJ_EEXIST, never a second
 * row. A correction is a row with `corrects` set; it counts in the year of
 * the row it corrects (its "effective time"), so correcting last year's
 * meeting changes last year's total, while `at` still records when the
 * correction was made.
 */
#include "store_records.h"
#include "store_records_int.h"
#include "yj.h"

#include <sqlite3.h>
#include <string.h>
#include <time.h>

/* The effective time of ledger row l (c = the row it corrects, if any). */
#define EFFECTIVE_AT "COALESCE(c.at, l.at)"

/* Local time through libc (GDateTime's local zone re-reads /etc/localtime
 * on every call). */
int yj_year_of(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    return localtime_r(&tt, &tm) ? tm.tm_year + 1900 : 1970;
}

int64_t yj_year_start(int year)
{
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mday = 1;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

static void year_range(int year, int64_t *from, int64_t *to)
{
    if (year <= 0) {
        *from = INT64_MIN;
        *to = INT64_MAX;
    } else {
        *from = yj_year_start(year);
        *to = yj_year_start(year + 1);
    }
}

static bool kind_valid(const char *kind)
{
    static const char *const kinds[] = {"meeting", "lesson", "broadcast", "manual"};
    for (size_t i = 0; kind && i < YJ_ARRAY_LEN(kinds); i++)
        if (strcmp(kind, kinds[i]) == 0)
            return true;
    return false;
}

static bool source_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= YJ_SOURCE_ID_MAX && g_utf8_validate(s, (gssize)n, NULL);
}

#define LEDGER_COLS                                                                                \
    "l.id, l.member_id, l.kind, l.source_id, l.minutes, l.at, l.by_whom, "                         \
    "l.reason, l.corrects"

static void ledger_row(sqlite3_stmt *s, yj_ledger_entry_t *e)
{
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(s, 0);
    yj_rec_copy(e->member_id, sizeof e->member_id, s, 1);
    yj_rec_copy(e->kind, sizeof e->kind, s, 2);
    yj_rec_copy(e->source_id, sizeof e->source_id, s, 3);
    e->minutes = sqlite3_column_int(s, 4);
    e->at = sqlite3_column_int64(s, 5);
    yj_rec_copy(e->by_whom, sizeof e->by_whom, s, 6);
    yj_rec_copy(e->reason, sizeof e->reason, s, 7);
    e->corrects = sqlite3_column_int64(s, 8);
}

/* The row with this id and its member's org path; YJ_ENOENT if missing or
 * out of reach. */
static int entry_by_id(yj_db_t *db, int64_t id, const char *within, yj_ledger_entry_t *out)
{
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT " LEDGER_COLS ", o.path FROM ledger l "
                                     "JOIN members m ON m.id_number = l.member_id "
                                     "JOIN orgs o ON o.id = m.org_id WHERE l.id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, id);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        ledger_row(s, out);
        const char *path = (const char *)sqlite3_column_text(s, 9);
        rc = yj_rec_within(within, path ? path : "") ? 0 : YJ_ENOENT;
    }
    sqlite3_reset(s);
    return rc;
}

int yj_store_ledger_get(yj_store_t *st, int64_t entry_id, const char *within,
                        yj_ledger_entry_t *out)
{
    yj_db_t *db = yj_store_reader(st);
    return db ? entry_by_id(db, entry_id, within, out) : YJ_EDB;
}

int yj_ledger_credit(yj_db_t *db, const yj_credit_t *c, int64_t *id)
{
    sqlite3_stmt *s = yj_db_stmt(db, "INSERT INTO ledger(member_id, kind, source_id, minutes, at, "
                                     "by_whom, reason, corrects) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, c->member_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, c->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, c->source_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 4, c->minutes);
    sqlite3_bind_int64(s, 5, c->at);
    sqlite3_bind_text(s, 6, c->by_whom, -1, SQLITE_TRANSIENT);
    if (c->reason && *c->reason)
        sqlite3_bind_text(s, 7, c->reason, -1, SQLITE_TRANSIENT);
    if (c->corrects)
        sqlite3_bind_int64(s, 8, c->corrects);
    int rc = yj_db_step_done(db, s);
    if (rc == 0 && id)
        *id = sqlite3_last_insert_rowid(yj_db_handle(db));
    return rc;
}

typedef struct {
    const char *member_id, *kind, *source_id, *by_whom, *reason, *within;
    int minutes;
    int64_t entry_id;
    yj_ledger_entry_t *out;
    char *why;
} credit_t;

static int member_path(yj_db_t *db, const char *id, const char *within)
{
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT o.path FROM members m JOIN orgs o "
                                     "ON o.id = m.org_id WHERE m.id_number = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(s, 0);
        rc = yj_rec_within(within, path ? path : "") ? 0 : YJ_ENOENT;
    }
    sqlite3_reset(s);
    return rc;
}

static int credit_tx(yj_db_t *db, void *ud)
{
    credit_t *a = ud;
    /* Check the member first: a foreign-key failure would look like a
     * duplicate credit. */
    int rc = member_path(db, a->member_id, a->within);
    if (rc)
        return rc;
    int64_t id = 0;
    rc = yj_ledger_credit(db,
                          &(yj_credit_t){.member_id = a->member_id,
                                         .kind = a->kind,
                                         .source_id = a->source_id,
                                         .minutes = a->minutes,
                                         .at = yj_now(),
                                         .by_whom = a->by_whom,
                                         .reason = a->reason},
                          &id);
    if (rc || !a->out)
        return rc;
    return entry_by_id(db, id, NULL, a->out);
}

int yj_store_credit_add(yj_store_t *st, const char *member_id, const char *kind,
                        const char *source_id, int minutes, const char *by_whom, const char *reason,
                        const char *within, yj_ledger_entry_t *out)
{
    if (!member_id || !kind_valid(kind) || !source_valid(source_id) || minutes < 1 ||
        minutes > YJ_CREDIT_MAX_MINUTES || !by_whom || !*by_whom ||
        (reason && yj_text_problem(reason, YJ_TEXT_CHARS) && *reason))
        return YJ_EINVAL;
    credit_t a = {member_id, kind, source_id, by_whom, reason, within, minutes, 0, out, NULL};
    return yj_store_write(st, credit_tx, &a);
}

int yj_store_credit(yj_store_t *st, const char *member_id, const char *kind, const char *source_id,
                    int minutes, const char *by_whom, const char *reason)
{
    return yj_store_credit_add(st, member_id, kind, source_id, minutes, by_whom, reason, NULL,
                               NULL);
}

static int correct_tx(yj_db_t *db, void *ud)
{
    credit_t *a = ud;
    yj_ledger_entry_t e;
    int rc = entry_by_id(db, a->entry_id, a->within, &e);
    if (rc)
        return rc;
    if (e.corrects) {
        g_snprintf(a->why, 160,
                   "entry %" G_GINT64_FORMAT
                   " is itself a correction; correct entry %" G_GINT64_FORMAT " instead",
                   e.id, e.corrects);
        return YJ_ESTATE;
    }
    sqlite3_stmt *s =
        yj_db_stmt(db, "SELECT count(*), COALESCE(SUM(minutes), 0) FROM ledger WHERE corrects = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, e.id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return YJ_EDB;
    }
    int64_t n = sqlite3_column_int64(s, 0), sum = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    int64_t after = e.minutes + sum + a->minutes;
    if (after < 0 || after > YJ_CREDIT_MAX_MINUTES) {
        g_snprintf(a->why, 160,
                   "entry %" G_GINT64_FORMAT " would then count %" G_GINT64_FORMAT
                   " minutes; it must stay between 0 and %d",
                   e.id, after, YJ_CREDIT_MAX_MINUTES);
        return YJ_ESTATE;
    }
    char source[64];
    g_snprintf(source, sizeof source, "correction:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, e.id,
               n + 1);
    int64_t id = 0;
    rc = yj_ledger_credit(db,
                          &(yj_credit_t){.member_id = e.member_id,
                                         .kind = e.kind,
                                         .source_id = source,
                                         .minutes = a->minutes,
                                         .at = yj_now(),
                                         .by_whom = a->by_whom,
                                         .reason = a->reason,
                                         .corrects = e.id},
                          &id);
    if (rc)
        return rc;
    return entry_by_id(db, id, NULL, a->out);
}

int yj_store_ledger_correct(yj_store_t *st, int64_t entry_id, int minutes, const char *by_whom,
                            const char *reason, const char *within, yj_ledger_entry_t *out,
                            char why[160])
{
    why[0] = 0;
    if (minutes == 0 || minutes < -YJ_CREDIT_MAX_MINUTES || minutes > YJ_CREDIT_MAX_MINUTES ||
        !by_whom || !*by_whom || yj_text_problem(reason, YJ_TEXT_CHARS))
        return YJ_EINVAL;
    credit_t a = {NULL, NULL, NULL, by_whom, reason, within, minutes, entry_id, out, why};
    return yj_store_write(st, correct_tx, &a);
}

/* Ends a read transaction begun with BEGIN on a reader. */
static void read_end(yj_db_t *db)
{
    sqlite3_stmt *s = yj_db_stmt(db, "COMMIT");
    if (s)
        yj_db_step_done(db, s);
}

static int record_read(yj_db_t *db, const char *id_number, int64_t from, int64_t to, int max_lines,
                       GArray *totals, GArray *lines, bool *more)
{
    sqlite3_stmt *t = yj_db_stmt(
        db, "SELECT CAST(strftime('%Y', " EFFECTIVE_AT ", 'unixepoch', 'localtime') AS INTEGER) "
            "AS y, l.kind, SUM(l.minutes) FROM ledger l LEFT JOIN ledger c ON c.id = l.corrects "
            "WHERE l.member_id = ?1 AND " EFFECTIVE_AT " >= ?2 AND " EFFECTIVE_AT " < ?3 "
            "GROUP BY y, l.kind ORDER BY y, l.kind");
    sqlite3_stmt *s = yj_db_stmt(
        db, "SELECT " LEDGER_COLS " FROM ledger l LEFT JOIN ledger c ON c.id = l.corrects "
            "WHERE l.member_id = ?1 AND " EFFECTIVE_AT " >= ?2 AND " EFFECTIVE_AT " < ?3 "
            "ORDER BY l.at DESC, l.id DESC LIMIT ?4");
    if (!t || !s)
        return YJ_EDB;
    sqlite3_stmt *both[2] = {t, s};
    for (int i = 0; i < 2; i++) {
        sqlite3_bind_text(both[i], 1, id_number, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(both[i], 2, from);
        sqlite3_bind_int64(both[i], 3, to);
    }
    sqlite3_bind_int(s, 4, max_lines + 1);
    int rc;
    while ((rc = sqlite3_step(t)) == SQLITE_ROW) {
        yj_record_total_t r = {0};
        r.year = sqlite3_column_int(t, 0);
        yj_rec_copy(r.kind, sizeof r.kind, t, 1);
        r.minutes = sqlite3_column_int64(t, 2);
        g_array_append_val(totals, r);
    }
    sqlite3_reset(t);
    if (rc != SQLITE_DONE)
        return YJ_EDB;
    *more = false;
    int n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n++ == max_lines) {
            *more = true;
            rc = SQLITE_DONE;
            break;
        }
        yj_ledger_entry_t e;
        ledger_row(s, &e);
        g_array_append_val(lines, e);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : YJ_EDB;
}

int yj_store_member_record(yj_store_t *st, const char *id_number, const char *within, int year,
                           int max_lines, yj_member_t *member, GArray *totals, GArray *lines,
                           bool *more)
{
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return YJ_EDB;
    int64_t from, to;
    year_range(year, &from, &to);
    /* One read transaction: one consistent snapshot, one set of locks. */
    sqlite3_stmt *b = yj_db_stmt(db, "BEGIN");
    if (!b || yj_db_step_done(db, b))
        return YJ_EDB;
    yj_member_t m;
    int rc = yj_rec_member_by_id(db, id_number, within, member ? member : &m);
    if (rc == 0)
        rc = record_read(db, id_number, from, to, max_lines, totals, lines, more);
    read_end(db);
    return rc;
}

int yj_store_org_summary(yj_store_t *st, const char *org_path, int year, int limit,
                         int64_t *member_count, int64_t *minutes, GArray *ranking)
{
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return YJ_EDB;
    int64_t from, to;
    year_range(year, &from, &to);
    char hi[256];
    yj_rec_path_hi(org_path, hi, sizeof hi);
    sqlite3_stmt *cnt = yj_db_stmt(db, "SELECT count(*) FROM members m JOIN orgs o "
                                       "ON o.id = m.org_id WHERE o.path >= ?1 AND o.path < ?2");
    sqlite3_stmt *sum = yj_db_stmt(
        db, "SELECT COALESCE(SUM(l.minutes), 0) FROM orgs o "
            "JOIN members m ON m.org_id = o.id JOIN ledger l ON l.member_id = m.id_number "
            "LEFT JOIN ledger c ON c.id = l.corrects WHERE o.path >= ?1 AND o.path < ?2 "
            "AND " EFFECTIVE_AT " >= ?3 AND " EFFECTIVE_AT " < ?4");
    sqlite3_stmt *rank = yj_db_stmt(
        db, "SELECT m.id_number, m.name, o.code, COALESCE(SUM(CASE WHEN " EFFECTIVE_AT
            " >= ?3 AND " EFFECTIVE_AT " < ?4 THEN l.minutes END), 0) AS mins FROM orgs o "
            "JOIN members m ON m.org_id = o.id LEFT JOIN ledger l ON l.member_id = m.id_number "
            "LEFT JOIN ledger c ON c.id = l.corrects WHERE o.path >= ?1 AND o.path < ?2 "
            "GROUP BY m.id_number ORDER BY mins DESC, m.id_number LIMIT ?5");
    if (!cnt || !sum || !rank)
        return YJ_EDB;
    sqlite3_stmt *all[3] = {cnt, sum, rank};
    for (int i = 0; i < 3; i++) {
        sqlite3_bind_text(all[i], 1, org_path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(all[i], 2, hi, -1, SQLITE_TRANSIENT);
        if (i) {
            sqlite3_bind_int64(all[i], 3, from);
            sqlite3_bind_int64(all[i], 4, to);
        }
    }
    sqlite3_bind_int(rank, 5, limit);
    int rc = YJ_EDB;
    if (sqlite3_step(cnt) == SQLITE_ROW && sqlite3_step(sum) == SQLITE_ROW) {
        *member_count = sqlite3_column_int64(cnt, 0);
        *minutes = sqlite3_column_int64(sum, 0);
        int s, pos = 0;
        yj_rank_t prev = {0};
        while ((s = sqlite3_step(rank)) == SQLITE_ROW) {
            yj_rank_t r = {0};
            yj_rec_copy(r.id_number, sizeof r.id_number, rank, 0);
            yj_rec_copy(r.name, sizeof r.name, rank, 1);
            yj_rec_copy(r.org_code, sizeof r.org_code, rank, 2);
            r.minutes = sqlite3_column_int64(rank, 3);
            pos++;
            r.rank = pos > 1 && r.minutes == prev.minutes ? prev.rank : pos;
            prev = r;
            g_array_append_val(ranking, r);
        }
        rc = s == SQLITE_DONE ? 0 : YJ_EDB;
    }
    sqlite3_reset(cnt);
    sqlite3_reset(sum);
    sqlite3_reset(rank);
    return rc;
}
