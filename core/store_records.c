/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_records.c — SQL for organisations, members and member imports; see
 * store_records.h. The ledger, records and summaries are in store_ledger.c.
 *
 * Subtree tests use the materialised path: the subtree of "/1/4/" is every
 * path in the half-open range ["/1/4/", "/1/40"), because '/' sorts just
 * before '0' and paths hold only digits and slashes; that range is an index
 * scan on orgs(path). Access checks happen inside the write transaction
 * that acts on them, never before it, so they cannot race with a move.
 */
#include "store_records.h"
#include "store_records_int.h"
#include "log.h"
#include "principal.h"
#include "yj.h"

#include <sqlite3.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* shared helpers (store_records_int.h) */

void yj_rec_copy(char *dst, size_t n, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    g_strlcpy(dst, t ? (const char *)t : "", n);
    /* Never hand out a character cut in half by the buffer (or bytes that
     * were never UTF-8): the API emits these strings unchecked. */
    const char *end = NULL;
    if (!g_utf8_validate(dst, -1, &end))
        *(char *)end = 0;
}

void yj_rec_path_hi(const char *path, char *hi, size_t n)
{
    g_strlcpy(hi, path, n);
    size_t len = strlen(hi);
    if (len > 0)
        hi[len - 1] = '0';
}

bool yj_rec_within(const char *within, const char *path)
{
    return !within || yj_path_within(within, path);
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

static int path_depth(const char *path)
{
    int n = 0;
    for (const char *p = path; *p; p++)
        n += *p == '/';
    return n > 1 ? n - 2 : 0;
}

/* ------------------------------------------------------------------ */
/* organisations */

#define ORG_SELECT                                                                                 \
    "SELECT o.id, o.code, o.name, p.code, o.path, "                                                \
    "(SELECT count(*) FROM members m WHERE m.org_id = o.id) FROM orgs o "                          \
    "LEFT JOIN orgs p ON p.id = o.parent_id "

static void org_row(sqlite3_stmt *s, yj_org_t *o)
{
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(s, 0);
    yj_rec_copy(o->code, sizeof o->code, s, 1);
    yj_rec_copy(o->name, sizeof o->name, s, 2);
    yj_rec_copy(o->parent_code, sizeof o->parent_code, s, 3);
    yj_rec_copy(o->path, sizeof o->path, s, 4);
    o->depth = path_depth(o->path);
    o->member_count = sqlite3_column_int64(s, 5);
}

/* The only lookup of an organisation by code (store_records.h). */
int yj_org_by_code(yj_db_t *db, const char *code, const char *within, yj_org_t *out)
{
    sqlite3_stmt *s = yj_db_stmt(db, ORG_SELECT "WHERE o.code = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, code, -1, SQLITE_TRANSIENT);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        org_row(s, out);
        rc = yj_rec_within(within, out->path) ? 0 : YJ_ENOENT;
    }
    sqlite3_reset(s);
    return rc;
}

int yj_store_org_get(yj_store_t *st, const char *code, const char *within, yj_org_t *out)
{
    yj_db_t *db = yj_store_reader(st);
    return db ? yj_org_by_code(db, code, within, out) : YJ_EDB;
}

int yj_store_org_list(yj_store_t *st, const char *root_path, GArray *out)
{
    yj_db_t *db = yj_store_reader(st);
    /* Tree order: sort by the chain of codes from the root ('/' sorts
     * before every letter and digit, so a parent precedes its children). */
    sqlite3_stmt *s =
        db ? yj_db_stmt(db, "WITH RECURSIVE t(id, k) AS ("
                            "  SELECT id, code FROM orgs WHERE path = ?1"
                            "  UNION ALL SELECT c.id, t.k || '/' || c.code FROM orgs c"
                            "  JOIN t ON c.parent_id = t.id) " ORG_SELECT
                            "JOIN t ON t.id = o.id ORDER BY t.k")
           : NULL;
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, root_path, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        yj_org_t o;
        org_row(s, &o);
        g_array_append_val(out, o);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : YJ_EDB;
}

typedef struct {
    const char *code, *name, *parent_code, *within;
    yj_org_t *out;
    const char **bad_field;
    char *why;
} org_op_t;

static int org_create_tx(yj_db_t *db, void *ud)
{
    org_op_t *a = ud;
    yj_org_t parent = {0};
    if (a->parent_code) {
        int rc = yj_org_by_code(db, a->parent_code, a->within, &parent);
        if (rc)
            return rc;
        if (parent.depth + 1 >= YJ_ORG_MAX_DEPTH)
            return YJ_ETOOBIG;
    } else if (a->within) {
        return YJ_ENOENT;
    }
    sqlite3_stmt *s = yj_db_stmt(db, "INSERT INTO orgs(code, name, parent_id, path, created_at) "
                                     "VALUES (?, ?, ?, '#' || ?1, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, a->code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, a->name, -1, SQLITE_TRANSIENT);
    if (a->parent_code)
        sqlite3_bind_int64(s, 3, parent.id);
    sqlite3_bind_int64(s, 4, yj_now());
    int rc = yj_db_step_done(db, s);
    if (rc)
        return rc;
    int64_t id = sqlite3_last_insert_rowid(yj_db_handle(db));
    char path[256];
    g_snprintf(path, sizeof path, "%s%" G_GINT64_FORMAT "/", a->parent_code ? parent.path : "/",
               id);
    s = yj_db_stmt(db, "UPDATE orgs SET path = ? WHERE id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, id);
    rc = yj_db_step_done(db, s);
    return rc ? rc : yj_org_by_code(db, a->code, NULL, a->out);
}

int yj_store_org_create(yj_store_t *st, const char *code, const char *name, const char *parent_code,
                        const char *within, yj_org_t *out)
{
    if (!yj_org_code_valid(code) || yj_text_problem(name, YJ_TEXT_CHARS))
        return YJ_EINVAL;
    org_op_t a = {code, name, parent_code, within, out, NULL, NULL};
    return yj_store_write(st, org_create_tx, &a);
}

static int subtree_max_depth(yj_db_t *db, const char *path, int *depth)
{
    char hi[256];
    yj_rec_path_hi(path, hi, sizeof hi);
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT path FROM orgs WHERE path >= ? AND path < ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, hi, -1, SQLITE_TRANSIENT);
    int rc;
    *depth = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int d = path_depth((const char *)sqlite3_column_text(s, 0));
        if (d > *depth)
            *depth = d;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : YJ_EDB;
}

static int org_move(yj_db_t *db, const yj_org_t *org, const yj_org_t *parent)
{
    int max = 0, rc = subtree_max_depth(db, org->path, &max);
    if (rc)
        return rc;
    if (max - org->depth + parent->depth + 1 >= YJ_ORG_MAX_DEPTH)
        return YJ_ETOOBIG;
    char newpath[256], hi[256];
    g_snprintf(newpath, sizeof newpath, "%s%" G_GINT64_FORMAT "/", parent->path, org->id);
    yj_rec_path_hi(org->path, hi, sizeof hi);
    sqlite3_stmt *s = yj_db_stmt(db, "UPDATE orgs SET parent_id = ? WHERE id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, parent->id);
    sqlite3_bind_int64(s, 2, org->id);
    if ((rc = yj_db_step_done(db, s)))
        return rc;
    /* Every path in the subtree swaps its old prefix for the new one. No
     * new path can collide with an old one: each contains org->id exactly
     * once, and only subtree paths contain it. */
    s = yj_db_stmt(db, "UPDATE orgs SET path = ?1 || substr(path, length(?2) + 1) "
                       "WHERE path >= ?2 AND path < ?3");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, newpath, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, org->path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, hi, -1, SQLITE_TRANSIENT);
    return yj_db_step_done(db, s);
}

static int org_update_tx(yj_db_t *db, void *ud)
{
    org_op_t *a = ud;
    yj_org_t org;
    *a->bad_field = "code";
    int rc = yj_org_by_code(db, a->code, a->within, &org);
    if (rc)
        return rc;
    if (a->name) {
        sqlite3_stmt *s = yj_db_stmt(db, "UPDATE orgs SET name = ? WHERE id = ?");
        if (!s)
            return YJ_EDB;
        sqlite3_bind_text(s, 1, a->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, org.id);
        if ((rc = yj_db_step_done(db, s)))
            return rc;
    }
    if (a->parent_code) {
        *a->bad_field = "parent_code";
        yj_org_t parent;
        if ((rc = yj_org_by_code(db, a->parent_code, a->within, &parent)))
            return rc;
        if (a->within && strcmp(org.path, a->within) == 0)
            return YJ_EPERM;
        if (yj_path_within(org.path, parent.path))
            return YJ_ESTATE;
        if (strcmp(org.parent_code, parent.code) != 0 && (rc = org_move(db, &org, &parent)))
            return rc;
    }
    *a->bad_field = NULL;
    return yj_org_by_code(db, a->code, NULL, a->out);
}

int yj_store_org_update(yj_store_t *st, const char *code, const char *name, const char *parent_code,
                        const char *within, yj_org_t *out, const char **bad_field)
{
    const char *bf = NULL;
    if (name && yj_text_problem(name, YJ_TEXT_CHARS)) {
        if (bad_field)
            *bad_field = "name";
        return YJ_EINVAL;
    }
    org_op_t a = {code, name, parent_code, within, out, &bf, NULL};
    int rc = yj_store_write(st, org_update_tx, &a);
    if (bad_field)
        *bad_field = rc ? bf : NULL;
    return rc;
}

static int count_where(yj_db_t *db, sqlite3_stmt *s, int64_t id, int64_t *n)
{
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s) == SQLITE_ROW ? 0 : YJ_EDB;
    *n = rc ? 0 : sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    (void)db;
    return rc;
}

static int org_delete_tx(yj_db_t *db, void *ud)
{
    org_op_t *a = ud;
    yj_org_t org;
    int rc = yj_org_by_code(db, a->code, a->within, &org);
    if (rc)
        return rc;
    if (a->within && strcmp(org.path, a->within) == 0)
        return YJ_EPERM;
    int64_t members, children, admins;
    if ((rc = count_where(db, yj_db_stmt(db, "SELECT count(*) FROM members WHERE org_id = ?"),
                          org.id, &members)) ||
        (rc = count_where(db, yj_db_stmt(db, "SELECT count(*) FROM orgs WHERE parent_id = ?"),
                          org.id, &children)) ||
        (rc = count_where(db, yj_db_stmt(db, "SELECT count(*) FROM admins WHERE org_id = ?"),
                          org.id, &admins)))
        return rc;
    if (members || children || admins) {
        g_snprintf(a->why, 128,
                   "the organisation still has %" G_GINT64_FORMAT " members, %" G_GINT64_FORMAT
                   " sub-organisations and %" G_GINT64_FORMAT " administrators",
                   members, children, admins);
        return YJ_EBUSY;
    }
    sqlite3_stmt *s = yj_db_stmt(db, "DELETE FROM orgs WHERE id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, org.id);
    return yj_db_step_done(db, s);
}

int yj_store_org_delete(yj_store_t *st, const char *code, const char *within, char why[128])
{
    why[0] = 0;
    org_op_t a = {code, NULL, NULL, within, NULL, NULL, why};
    return yj_store_write(st, org_delete_tx, &a);
}

/* ------------------------------------------------------------------ */
/* members */

#define MEMBER_SELECT                                                                              \
    "SELECT m.id_number, m.name, m.gender, m.birth_date, m.phone, m.org_id, o.code, o.name, "      \
    "o.path, m.joined_on, m.status, m.migrant, m.location FROM members m "                         \
    "JOIN orgs o ON o.id = m.org_id "

static void member_row(sqlite3_stmt *s, yj_member_t *m)
{
    memset(m, 0, sizeof *m);
    yj_rec_copy(m->id_number, sizeof m->id_number, s, 0);
    yj_rec_copy(m->name, sizeof m->name, s, 1);
    const unsigned char *g = sqlite3_column_text(s, 2);
    m->female = g && strcmp((const char *)g, "female") == 0;
    yj_rec_copy(m->birth_date, sizeof m->birth_date, s, 3);
    yj_rec_copy(m->phone, sizeof m->phone, s, 4);
    m->org_id = sqlite3_column_int64(s, 5);
    yj_rec_copy(m->org_code, sizeof m->org_code, s, 6);
    yj_rec_copy(m->org_name, sizeof m->org_name, s, 7);
    yj_rec_copy(m->org_path, sizeof m->org_path, s, 8);
    yj_rec_copy(m->joined_on, sizeof m->joined_on, s, 9);
    const unsigned char *st = sqlite3_column_text(s, 10);
    m->probationary = st && strcmp((const char *)st, "probationary") == 0;
    m->migrant = sqlite3_column_int(s, 11) != 0;
    yj_rec_copy(m->location, sizeof m->location, s, 12);
}

int yj_rec_member_by_id(yj_db_t *db, const char *id, const char *within, yj_member_t *out)
{
    sqlite3_stmt *s = yj_db_stmt(db, MEMBER_SELECT "WHERE m.id_number = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        member_row(s, out);
        rc = yj_rec_within(within, out->org_path) ? 0 : YJ_ENOENT;
    }
    sqlite3_reset(s);
    return rc;
}

int yj_store_member_get(yj_store_t *st, const char *id_number, const char *within, yj_member_t *out)
{
    yj_db_t *db = yj_store_reader(st);
    return db ? yj_rec_member_by_id(db, id_number, within, out) : YJ_EDB;
}

int yj_records_member_insert(yj_db_t *db, const yj_member_input_t *in, int64_t org_id,
                             const char *password_hash)
{
    sqlite3_stmt *s = yj_db_stmt(
        db, "INSERT INTO members(id_number, name, gender, birth_date, phone, org_id, joined_on, "
            "status, migrant, location, password_hash, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?12, ?12)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, in->id_number, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, in->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, in->female ? "female" : "male", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, in->birth_date, -1, SQLITE_TRANSIENT);
    bind_text_or_null(s, 5, in->phone);
    sqlite3_bind_int64(s, 6, org_id);
    bind_text_or_null(s, 7, in->joined_on);
    sqlite3_bind_text(s, 8, in->probationary ? "probationary" : "full", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 9, in->migrant);
    bind_text_or_null(s, 10, in->location);
    bind_text_or_null(s, 11, password_hash);
    sqlite3_bind_int64(s, 12, yj_now());
    return yj_db_step_done(db, s);
}

/* Updates the fields set in `in` (identity-derived fields never change). */
static int member_apply(yj_db_t *db, const yj_member_input_t *in, int64_t org_id)
{
    sqlite3_stmt *s =
        yj_db_stmt(db, "UPDATE members SET name = iif(?2, ?3, name), phone = iif(?4, ?5, phone), "
                       "org_id = iif(?6, ?7, org_id), joined_on = iif(?8, ?9, joined_on), "
                       "status = iif(?10, ?11, status), migrant = iif(?12, ?13, migrant), "
                       "location = iif(?14, ?15, location), updated_at = ?16 WHERE id_number = ?1");
    if (!s)
        return YJ_EDB;
    unsigned f = in->set;
    sqlite3_bind_text(s, 1, in->id_number, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, !!(f & YJ_MF_NAME));
    sqlite3_bind_text(s, 3, in->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 4, !!(f & YJ_MF_PHONE));
    bind_text_or_null(s, 5, in->phone);
    sqlite3_bind_int(s, 6, org_id != 0);
    sqlite3_bind_int64(s, 7, org_id);
    sqlite3_bind_int(s, 8, !!(f & YJ_MF_JOINED_ON));
    bind_text_or_null(s, 9, in->joined_on);
    sqlite3_bind_int(s, 10, !!(f & YJ_MF_STATUS));
    sqlite3_bind_text(s, 11, in->probationary ? "probationary" : "full", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 12, !!(f & YJ_MF_MIGRANT));
    sqlite3_bind_int(s, 13, in->migrant);
    sqlite3_bind_int(s, 14, !!(f & YJ_MF_LOCATION));
    bind_text_or_null(s, 15, in->location);
    sqlite3_bind_int64(s, 16, yj_now());
    int rc = yj_db_step_done(db, s);
    if (rc == 0 && sqlite3_changes(yj_db_handle(db)) == 0)
        rc = YJ_ENOENT;
    return rc;
}

typedef struct {
    const char *id;
    const yj_member_input_t *in;
    const char *within;
    yj_member_t *out;
    const char **bad_field;
} member_op_t;

static int member_create_tx(yj_db_t *db, void *ud)
{
    member_op_t *a = ud;
    yj_org_t org;
    *a->bad_field = "org_code";
    int rc = yj_org_by_code(db, a->in->org_code, a->within, &org);
    if (rc)
        return rc;
    *a->bad_field = "id_number";
    if ((rc = yj_records_member_insert(db, a->in, org.id, NULL)))
        return rc;
    *a->bad_field = NULL;
    return yj_rec_member_by_id(db, a->in->id_number, NULL, a->out);
}

int yj_store_member_create(yj_store_t *st, const yj_member_input_t *in, const char *within,
                           yj_member_t *out, const char **bad_field)
{
    const char *bf = NULL;
    member_op_t a = {in->id_number, in, within, out, &bf};
    int rc = (in->set & YJ_MF_ORG_CODE) ? yj_store_write(st, member_create_tx, &a) : YJ_EINVAL;
    if (bad_field)
        *bad_field = rc ? (bf ? bf : "org_code") : NULL;
    return rc;
}

static int member_update_tx(yj_db_t *db, void *ud)
{
    member_op_t *a = ud;
    yj_member_t cur;
    *a->bad_field = "id_number";
    int rc = yj_rec_member_by_id(db, a->id, a->within, &cur);
    if (rc)
        return rc;
    int64_t org_id = 0;
    if (a->in->set & YJ_MF_ORG_CODE) {
        yj_org_t org;
        *a->bad_field = "org_code";
        if ((rc = yj_org_by_code(db, a->in->org_code, a->within, &org)))
            return rc;
        org_id = org.id;
    }
    if ((rc = member_apply(db, a->in, org_id)))
        return rc;
    *a->bad_field = NULL;
    return yj_rec_member_by_id(db, a->id, NULL, a->out);
}

int yj_store_member_update(yj_store_t *st, const char *id_number, const yj_member_input_t *in,
                           const char *within, yj_member_t *out, const char **bad_field)
{
    const char *bf = NULL;
    if (strcmp(id_number, in->id_number) != 0)
        return YJ_EINVAL;
    member_op_t a = {id_number, in, within, out, &bf};
    int rc = yj_store_write(st, member_update_tx, &a);
    if (bad_field)
        *bad_field = rc ? bf : NULL;
    return rc;
}

int yj_store_member_list(yj_store_t *st, const yj_member_query_t *q, GArray *out, int64_t *total)
{
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return YJ_EDB;
    char hi[256];
    yj_rec_path_hi(q->org_path, hi, sizeof hi);
    const char *text = q->q && *q->q ? q->q : NULL;
    /* Two shapes, so each keeps an index-friendly WHERE clause. */
    sqlite3_stmt *c, *s;
#define MEMBER_FILTER                                                                              \
    " AND (?3 IS NULL OR instr(m.name, ?3) > 0 OR instr(m.id_number, upper(?3)) > 0 "              \
    "OR instr(m.phone, ?3) > 0)"
    if (q->subtree) {
        c = yj_db_stmt(db, "SELECT count(*) FROM members m JOIN orgs o ON o.id = m.org_id "
                           "WHERE o.path >= ?1 AND o.path < ?2" MEMBER_FILTER);
        s = yj_db_stmt(db, MEMBER_SELECT "WHERE o.path >= ?1 AND o.path < ?2" MEMBER_FILTER
                                         " ORDER BY m.name, m.id_number LIMIT ?4 OFFSET ?5");
    } else {
        c = yj_db_stmt(db, "SELECT count(*) FROM members m JOIN orgs o ON o.id = m.org_id "
                           "WHERE o.path = ?1 AND ?2 IS NOT NULL" MEMBER_FILTER);
        s = yj_db_stmt(db, MEMBER_SELECT "WHERE o.path = ?1 AND ?2 IS NOT NULL" MEMBER_FILTER
                                         " ORDER BY m.name, m.id_number LIMIT ?4 OFFSET ?5");
    }
#undef MEMBER_FILTER
    if (!c || !s)
        return YJ_EDB;
    sqlite3_stmt *both[2] = {c, s};
    for (int i = 0; i < 2; i++) {
        sqlite3_bind_text(both[i], 1, q->org_path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(both[i], 2, hi, -1, SQLITE_TRANSIENT);
        if (text)
            sqlite3_bind_text(both[i], 3, text, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int(s, 4, q->limit);
    sqlite3_bind_int(s, 5, q->offset);
    int rc = sqlite3_step(c);
    *total = rc == SQLITE_ROW ? sqlite3_column_int64(c, 0) : 0;
    sqlite3_reset(c);
    if (rc != SQLITE_ROW)
        return YJ_EDB;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        yj_member_t m;
        member_row(s, &m);
        g_array_append_val(out, m);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : YJ_EDB;
}

int yj_store_member_each(yj_store_t *st, const char *root_path,
                         int (*fn)(const yj_member_t *m, void *ud), void *ud)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = db ? yj_db_stmt(db, MEMBER_SELECT "WHERE o.path >= ? AND o.path < ? "
                                                        "ORDER BY o.path, m.name, m.id_number")
                         : NULL;
    if (!s)
        return YJ_EDB;
    char hi[256];
    yj_rec_path_hi(root_path, hi, sizeof hi);
    sqlite3_bind_text(s, 1, root_path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, hi, -1, SQLITE_TRANSIENT);
    int rc, out = 0;
    yj_member_t *m = g_new(yj_member_t, 1);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        member_row(s, m);
        if ((out = fn(m, ud)))
            break;
    }
    g_free(m);
    sqlite3_reset(s);
    if (out)
        return out;
    return rc == SQLITE_DONE ? 0 : YJ_EDB;
}

/* ------------------------------------------------------------------ */
/* import */

typedef struct {
    int64_t id; /* 0: out of reach or missing */
} org_slot_t;

typedef struct {
    const yj_import_row_t *rows;
    size_t n;
    const char *within, *default_org;
    GArray *errors;
    bool check_only;
    int created, updated;
} import_t;

static void import_error(import_t *a, int line, const char *field, const char *code,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void import_error(import_t *a, int line, const char *field, const char *code,
                         const char *fmt, ...)
{
    yj_import_error_t e;
    memset(&e, 0, sizeof e);
    e.line = line;
    g_strlcpy(e.e.field, field, sizeof e.e.field);
    g_strlcpy(e.e.code, code, sizeof e.e.code);
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(e.e.message, sizeof e.e.message, fmt, ap);
    va_end(ap);
    g_array_append_val(a->errors, e);
}

static int import_tx(yj_db_t *db, void *ud)
{
    import_t *a = ud;
    GHashTable *orgs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    /* 1 = create, 2 = update, per row; 0 = bad */
    guint8 *action = g_new0(guint8, a->n ? a->n : 1);
    int64_t *org_ids = g_new0(int64_t, a->n ? a->n : 1);
    int rc = 0;
    guint bad_before = a->errors->len;
    sqlite3_stmt *exists =
        yj_db_stmt(db, "SELECT o.path FROM members m JOIN orgs o ON o.id = m.org_id "
                       "WHERE m.id_number = ?");
    if (!exists) {
        rc = YJ_EDB;
        goto out;
    }
    for (size_t i = 0; i < a->n; i++) {
        const yj_import_row_t *r = &a->rows[i];
        bool explicit_org = r->in.set & YJ_MF_ORG_CODE;
        const char *code = explicit_org ? r->in.org_code : a->default_org;
        org_slot_t *slot = g_hash_table_lookup(orgs, code);
        if (!slot) {
            slot = g_new0(org_slot_t, 1);
            yj_org_t o;
            int orc = yj_org_by_code(db, code, a->within, &o);
            if (orc && orc != YJ_ENOENT) {
                g_free(slot);
                rc = orc;
                goto out;
            }
            slot->id = orc ? 0 : o.id;
            g_hash_table_insert(orgs, g_strdup(code), slot);
        }
        if (!slot->id) {
            import_error(a, r->line, "org_code", "unknown_org",
                         "no organisation with code %s in your organisation", code);
            continue;
        }
        org_ids[i] = slot->id;
        sqlite3_bind_text(exists, 1, r->in.id_number, -1, SQLITE_TRANSIENT);
        int s = sqlite3_step(exists);
        if (s == SQLITE_ROW) {
            const char *path = (const char *)sqlite3_column_text(exists, 0);
            if (yj_rec_within(a->within, path ? path : "")) {
                action[i] = 2;
                if (!explicit_org)
                    org_ids[i] = 0; /* an update keeps the member's org */
            } else
                import_error(a, r->line, "id_number", "member_out_of_reach",
                             "this identity number belongs to a member of another "
                             "organisation; ask its administrator to transfer them");
        } else if (s == SQLITE_DONE) {
            action[i] = 1;
        } else {
            sqlite3_reset(exists);
            rc = YJ_EDB;
            goto out;
        }
        sqlite3_reset(exists);
        if (action[i] == 1 && !(r->in.set & YJ_MF_NAME)) {
            action[i] = 0;
            import_error(a, r->line, "name", "missing_field", "name is required for a new member");
        }
    }
    if (a->errors->len > bad_before || a->check_only) {
        rc = YJ_EINVAL;
        goto out;
    }
    for (size_t i = 0; i < a->n; i++)
        if (a->rows[i].check_only) { /* the caller's parse found errors: write nothing */
            rc = YJ_EINVAL;
            goto out;
        }
    for (size_t i = 0; i < a->n && rc == 0; i++) {
        if (action[i] == 1) {
            rc = yj_records_member_insert(db, &a->rows[i].in, org_ids[i], NULL);
            a->created++;
        } else {
            rc = member_apply(db, &a->rows[i].in, org_ids[i]);
            a->updated++;
        }
    }
out:
    g_free(action);
    g_free(org_ids);
    g_hash_table_destroy(orgs);
    return rc;
}

int yj_store_member_import(yj_store_t *st, const yj_import_row_t *rows, size_t n,
                           const char *default_org, const char *within, bool check_only,
                           GArray *errors, int *created, int *updated)
{
    import_t a = {rows, n, within, default_org, errors, check_only, 0, 0};
    int rc = yj_store_write(st, import_tx, &a);
    if (created)
        *created = rc ? 0 : a.created;
    if (updated)
        *updated = rc ? 0 : a.updated;
    return rc;
}
