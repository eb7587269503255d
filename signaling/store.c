/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signaling/store.c — SQL for meetings, invitations and attendance, and
 * the meetings tables' migrations; see signaling/store.h for the model and
 * the crash rule.
 *
 * The interval arithmetic is signaling/attendance.c; this file only moves
 * rows. Every statement is a literal with bound parameters.
 *
 * The ledger rows are written with yj_ledger_credit (core/store_records.h)
 * inside the transaction that ends the meeting, rather than through
 * yj_store_credit, which runs its own transaction: a crash can then never
 * leave an ended meeting without its credits.
 */
#include "signaling/store.h"
#include "signaling/attendance.h"
#include "core/log.h"
#include "core/store_records.h"
#include "core/yj.h"

#include <sqlite3.h>
#include <string.h>

static const char meetings_sql[] =
    "CREATE TABLE meetings ("
    "  id INTEGER PRIMARY KEY,"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),"
    "  type TEXT NOT NULL CHECK (type IN ('member_assembly','committee','group','lecture')),"
    "  start_at INTEGER NOT NULL,"
    "  duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),"
    "  threshold_percent INTEGER NOT NULL DEFAULT 50"
    "    CHECK (threshold_percent BETWEEN 1 AND 100),"
    "  host_admin_id INTEGER REFERENCES admins(id),"
    "  host_member_id TEXT REFERENCES members(id_number),"
    "  status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','live','ended')),"
    "  started_at INTEGER,"
    "  ended_at INTEGER,"
    /* last moment the server is known to have held the meeting live: the
     * latest join, leave or heartbeat; open intervals end here after a crash */
    "  alive_at INTEGER,"
    "  end_reason TEXT,"
    "  created_by TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  CHECK ((host_admin_id IS NULL) <> (host_member_id IS NULL)));"
    "CREATE INDEX meetings_org ON meetings(org_id, start_at);"
    "CREATE INDEX meetings_status ON meetings(status);"

    "CREATE TABLE meeting_orgs ("
    "  meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  PRIMARY KEY (meeting_id, org_id)) WITHOUT ROWID;"

    "CREATE TABLE meeting_members ("
    "  meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    "  member_id TEXT NOT NULL REFERENCES members(id_number),"
    "  PRIMARY KEY (meeting_id, member_id)) WITHOUT ROWID;"
    "CREATE INDEX meeting_members_member ON meeting_members(member_id);"

    /* One row per connection interval; left_at NULL while connected. */
    "CREATE TABLE attendance ("
    "  id INTEGER PRIMARY KEY,"
    "  meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    "  member_id TEXT NOT NULL REFERENCES members(id_number),"
    "  device TEXT,"
    "  joined_at INTEGER NOT NULL,"
    "  left_at INTEGER,"
    "  CHECK (left_at IS NULL OR left_at >= joined_at));"
    "CREATE INDEX attendance_meeting ON attendance(meeting_id, member_id);"
    "CREATE INDEX attendance_open ON attendance(meeting_id) WHERE left_at IS NULL;"

    /* Computed once when the meeting ends; minutes 0 = below threshold. */
    "CREATE TABLE meeting_results ("
    "  meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    "  member_id TEXT NOT NULL REFERENCES members(id_number),"
    "  seconds INTEGER NOT NULL,"
    "  minutes INTEGER NOT NULL,"
    "  PRIMARY KEY (meeting_id, member_id)) WITHOUT ROWID;";

const yj_migration_t yj_signaling_migrations[] = {
    {"meetings: meetings, invitations, attendance, results", meetings_sql},
};
const size_t yj_signaling_migrations_count = YJ_ARRAY_LEN(yj_signaling_migrations);

static const struct {
    const char *slug, *name;
} types[] = {
    {"member_assembly", "支部党员大会"},
    {"committee", "支委会"},
    {"group", "党小组会"},
    {"lecture", "党课"},
};

const char *yj_meeting_type_slug(const char *s)
{
    if (!s)
        return NULL;
    for (size_t i = 0; i < YJ_ARRAY_LEN(types); i++)
        if (strcmp(s, types[i].slug) == 0 || strcmp(s, types[i].name) == 0)
            return types[i].slug;
    return NULL;
}

const char *yj_meeting_type_name(const char *slug)
{
    for (size_t i = 0; slug && i < YJ_ARRAY_LEN(types); i++)
        if (strcmp(slug, types[i].slug) == 0)
            return types[i].name;
    return NULL;
}

json_t *yj_json_time(int64_t t)
{
    if (t <= 0)
        return json_null();
    GDateTime *dt = g_date_time_new_from_unix_utc(t);
    if (!dt)
        return json_null();
    char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(dt);
    json_t *j = json_string(s);
    g_free(s);
    return j;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : "";
}

static json_t *col_json_text(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? json_null() : json_string(col_text(s, i));
}

/* The SQL predicate "member ?M is invited to meeting m". */
#define INVITED(M)                                                                                 \
    "(m.host_member_id = " M " OR EXISTS (SELECT 1 FROM meeting_members inv_mm "                   \
    "WHERE inv_mm.meeting_id = m.id AND inv_mm.member_id = " M ") OR EXISTS (SELECT 1 "            \
    "FROM meeting_orgs inv_mo JOIN orgs inv_o ON inv_o.id = inv_mo.org_id "                        \
    "JOIN members inv_me ON inv_me.id_number = " M " JOIN orgs inv_ho ON inv_ho.id = "             \
    "inv_me.org_id WHERE inv_mo.meeting_id = m.id "                                                \
    "AND substr(inv_ho.path, 1, length(inv_o.path)) = inv_o.path))"

/* ------------------------------------------------------------------ */
/* create */

typedef struct {
    const yj_meeting_spec_t *spec;
    int64_t id;
    const char *bad_field;
    char *bad_value;
} create_t;

static int bad(create_t *c, int rc, const char *field, const char *value)
{
    c->bad_field = field;
    g_free(c->bad_value);
    c->bad_value = g_strdup(value);
    return rc;
}

/* Looks an org up by code (yj_org_by_code); *path receives its path. 0,
 * YJ_ENOENT. */
static int org_by_code(yj_db_t *db, const char *code, int64_t *id, char *path, size_t n)
{
    yj_org_t o;
    int rc = yj_org_by_code(db, code, NULL, &o);
    if (rc == 0) {
        *id = o.id;
        g_strlcpy(path, o.path, n);
    }
    return rc;
}

/* A member may be invited by an admin when in the admin's subtree or a
 * migrant member of any org. Unknown and unreachable look the same. */
static int member_invitable(yj_db_t *db, const char *id, const yj_principal_t *by)
{
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT o.path, me.migrant FROM members me "
                                     "JOIN orgs o ON o.id = me.org_id WHERE me.id_number = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW &&
        (yj_path_within(by->org_path, col_text(s, 0)) || sqlite3_column_int(s, 1) != 0))
        rc = 0;
    sqlite3_reset(s);
    return rc;
}

static int status_of(yj_db_t *db, int64_t id, char *buf, size_t n);

static int create_tx(yj_db_t *db, void *ud)
{
    create_t *c = ud;
    const yj_meeting_spec_t *sp = c->spec;
    int64_t org_id = 0, host_admin = 0;
    char path[256];
    int rc = org_by_code(db, sp->org_code, &org_id, path, sizeof path);
    if (rc == YJ_ENOENT)
        return bad(c, rc, "org_code", sp->org_code);
    if (rc)
        return rc;
    if (!yj_path_within(sp->by->org_path, path))
        return bad(c, YJ_EPERM, "org_code", sp->org_code);

    if (sp->host_admin) {
        sqlite3_stmt *s = yj_db_stmt(db, "SELECT a.id, o.path FROM admins a JOIN orgs o "
                                         "ON o.id = a.org_id WHERE a.username = ?");
        if (!s)
            return YJ_EDB;
        sqlite3_bind_text(s, 1, sp->host_admin, -1, SQLITE_TRANSIENT);
        bool ok = false;
        if (sqlite3_step(s) == SQLITE_ROW) {
            host_admin = sqlite3_column_int64(s, 0);
            /* The host administrator's rights must cover the meeting's org. */
            ok = yj_path_within(col_text(s, 1), path);
        }
        sqlite3_reset(s);
        if (!ok)
            return bad(c, YJ_ENOENT, "host_admin", sp->host_admin);
    } else {
        rc = member_invitable(db, sp->host_member, sp->by);
        if (rc == YJ_ENOENT)
            return bad(c, rc, "host_member", sp->host_member);
        if (rc)
            return rc;
    }

    sqlite3_stmt *s;
    if (sp->replace_id) {
        /* An edit: only a meeting nobody has joined yet, and its
         * invitations are replaced whole. */
        char st[16];
        if ((rc = status_of(db, sp->replace_id, st, sizeof st)))
            return rc;
        if (strcmp(st, "scheduled") != 0)
            return YJ_ESTATE;
        rc = yj_db_run(
            db,
            "UPDATE meetings SET org_id = ?2, title = ?3, type = ?4, start_at = ?5, "
            "duration_minutes = ?6, threshold_percent = ?7, host_admin_id = nullif(?8, 0), "
            "host_member_id = ?9 WHERE id = ?1 AND status = 'scheduled'",
            "IIssIiiIs", sp->replace_id, org_id, sp->title, sp->type, sp->start_at,
            sp->duration_minutes, sp->threshold_percent, host_admin,
            host_admin ? NULL : sp->host_member);
        if (rc)
            return rc == YJ_EEXIST ? bad(c, YJ_EINVAL, "title", sp->title) : rc;
        if ((rc = yj_db_run(db, "DELETE FROM meeting_orgs WHERE meeting_id = ?", "I",
                            sp->replace_id)) ||
            (rc = yj_db_run(db, "DELETE FROM meeting_members WHERE meeting_id = ?", "I",
                            sp->replace_id)))
            return rc;
        c->id = sp->replace_id;
        goto invitations;
    }
    s = yj_db_stmt(db, "INSERT INTO meetings(org_id, title, type, start_at, duration_minutes, "
                       "threshold_percent, host_admin_id, host_member_id, created_by, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, org_id);
    sqlite3_bind_text(s, 2, sp->title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, sp->type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, sp->start_at);
    sqlite3_bind_int(s, 5, sp->duration_minutes);
    sqlite3_bind_int(s, 6, sp->threshold_percent);
    if (host_admin)
        sqlite3_bind_int64(s, 7, host_admin);
    else
        sqlite3_bind_text(s, 8, sp->host_member, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 9, sp->by->username, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 10, yj_now());
    rc = yj_db_step_done(db, s);
    if (rc)
        return rc == YJ_EEXIST ? bad(c, YJ_EINVAL, "title", sp->title) : rc;
    c->id = sqlite3_last_insert_rowid(yj_db_handle(db));

invitations:;
    size_t n_orgs = sp->n_orgs;
    const char *const *codes = sp->org_codes;
    const char *own[1] = {sp->org_code};
    if (n_orgs == 0) {
        codes = own;
        n_orgs = 1;
    }
    for (size_t i = 0; i < n_orgs; i++) {
        int64_t oid;
        char opath[256];
        rc = org_by_code(db, codes[i], &oid, opath, sizeof opath);
        if (rc == YJ_ENOENT)
            return bad(c, rc, "orgs", codes[i]);
        if (rc)
            return rc;
        if (!yj_path_within(sp->by->org_path, opath))
            return bad(c, YJ_EPERM, "orgs", codes[i]);
        s = yj_db_stmt(db, "INSERT OR IGNORE INTO meeting_orgs(meeting_id, org_id) VALUES (?, ?)");
        if (!s)
            return YJ_EDB;
        sqlite3_bind_int64(s, 1, c->id);
        sqlite3_bind_int64(s, 2, oid);
        if ((rc = yj_db_step_done(db, s)))
            return rc;
    }
    for (size_t i = 0; i <= sp->n_members; i++) {
        /* The host member is always individually invited. */
        const char *mid = i < sp->n_members ? sp->member_ids[i] : sp->host_member;
        if (!mid)
            continue;
        rc = member_invitable(db, mid, sp->by);
        if (rc == YJ_ENOENT)
            return bad(c, rc, i < sp->n_members ? "members" : "host_member", mid);
        if (rc)
            return rc;
        s = yj_db_stmt(db, "INSERT OR IGNORE INTO meeting_members(meeting_id, member_id) "
                           "VALUES (?, ?)");
        if (!s)
            return YJ_EDB;
        sqlite3_bind_int64(s, 1, c->id);
        sqlite3_bind_text(s, 2, mid, -1, SQLITE_TRANSIENT);
        if ((rc = yj_db_step_done(db, s)))
            return rc;
    }
    return 0;
}

int yj_store_meeting_create(yj_store_t *st, const yj_meeting_spec_t *spec, int64_t *id_out,
                            const char **bad_field, char **bad_value)
{
    if (!spec || !spec->by || !spec->title || !spec->type || !spec->org_code ||
        (!spec->host_admin == !spec->host_member))
        return YJ_EINVAL;
    create_t c = {.spec = spec};
    int rc = yj_store_write(st, create_tx, &c);
    if (rc == 0 && id_out)
        *id_out = c.id;
    if (bad_field)
        *bad_field = rc ? c.bad_field : NULL;
    if (bad_value && rc)
        *bad_value = c.bad_value;
    else
        g_free(c.bad_value);
    return rc;
}

static int cancel_tx(yj_db_t *db, void *ud)
{
    int64_t id = *(int64_t *)ud;
    char st[16];
    int rc = status_of(db, id, st, sizeof st);
    if (rc)
        return rc;
    /* Once anyone joined, attendance exists and must stay provable. */
    sqlite3_stmt *s = yj_db_query(db, "SELECT 1 FROM attendance WHERE meeting_id = ?", "I", id);
    if (!s)
        return YJ_EDB;
    bool joined = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    if (strcmp(st, "scheduled") != 0 || joined)
        return YJ_ESTATE;
    if ((rc = yj_db_run(db, "DELETE FROM meeting_orgs WHERE meeting_id = ?", "I", id)) ||
        (rc = yj_db_run(db, "DELETE FROM meeting_members WHERE meeting_id = ?", "I", id)))
        return rc;
    return yj_db_run(db, "DELETE FROM meetings WHERE id = ? AND status = 'scheduled'", "I", id);
}

int yj_store_meeting_cancel(yj_store_t *st, int64_t id)
{
    return yj_store_write(st, cancel_tx, &id);
}

json_t *yj_store_meeting_invitees(yj_store_t *st, const yj_principal_t *by, const char *q,
                                  int limit)
{
    yj_db_t *db = yj_store_reader(st);
    if (!db || !by || by->kind != YJ_PRINCIPAL_ADMIN)
        return NULL;
    g_autofree char *like = g_strdup_printf("%%%s%%", q);
    /* In the subtree: by part of the name or of the identity number.
     * Elsewhere: only migrant members, and only by their full name or full
     * identity number, so the search cannot list another county's members. */
    sqlite3_stmt *s = yj_db_query(
        db,
        "SELECT me.id_number, me.name, o.code, o.name, me.migrant, "
        "substr(o.path, 1, length(?1)) = ?1 AS mine FROM members me "
        "JOIN orgs o ON o.id = me.org_id WHERE "
        "(substr(o.path, 1, length(?1)) = ?1 AND (instr(me.name, ?2) > 0 "
        "OR me.id_number LIKE ?3)) OR (me.migrant != 0 AND (me.name = ?2 OR me.id_number = ?2)) "
        "ORDER BY mine DESC, o.path, me.name LIMIT ?4",
        "sssi", by->org_path, q, like, limit);
    if (!s)
        return NULL;
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "id_number",
                                             col_text(s, 0), "name", col_text(s, 1), "org_code",
                                             col_text(s, 2), "org_name", col_text(s, 3), "migrant",
                                             sqlite3_column_int(s, 4), "in_subtree",
                                             sqlite3_column_int(s, 5)));
    sqlite3_reset(s);
    return json_pack("{s:o}", "members", arr);
}

json_t *yj_store_meeting_attendance(yj_store_t *st, const char *org_path, int64_t from, int64_t to)
{
    yj_db_t *db = yj_store_reader(st);
    /* Per ended meeting of the subtree: how many were invited (as the
     * report counts them), how many came, how many were credited. */
    sqlite3_stmt *s = yj_db_query(
        db,
        "SELECT m.id, m.title, m.start_at, o.code, o.name, "
        "(SELECT count(*) FROM members me WHERE " INVITED(
            "me.id_number") "), "
                            "(SELECT count(DISTINCT a.member_id) FROM attendance a WHERE "
                            "a.meeting_id = m.id), "
                            "(SELECT count(*) FROM meeting_results r WHERE r.meeting_id = m.id AND "
                            "r.minutes > 0) "
                            "FROM meetings m JOIN orgs o ON o.id = m.org_id "
                            "WHERE substr(o.path, 1, length(?1)) = ?1 AND m.status = 'ended' "
                            "AND m.start_at >= ?2 AND m.start_at < ?3 ORDER BY m.start_at, m.id "
                            "LIMIT 5000",
        "sII", org_path, from, to);
    if (!s)
        return NULL;
    json_t *arr = json_array();
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(arr, json_pack("{s:I,s:s,s:o,s:s,s:s,s:I,s:I,s:I}", "id",
                                             (json_int_t)sqlite3_column_int64(s, 0), "title",
                                             col_text(s, 1), "start",
                                             yj_json_time(sqlite3_column_int64(s, 2)), "org_code",
                                             col_text(s, 3), "org_name", col_text(s, 4), "invited",
                                             (json_int_t)sqlite3_column_int64(s, 5), "present",
                                             (json_int_t)sqlite3_column_int64(s, 6), "credited",
                                             (json_int_t)sqlite3_column_int64(s, 7)));
    sqlite3_reset(s);
    return json_pack("{s:o,s:o,s:o}", "meetings", arr, "from", yj_json_time(from), "to",
                     yj_json_time(to));
}

/* ------------------------------------------------------------------ */
/* reads */

int yj_store_meeting_info(yj_store_t *st, int64_t id, yj_meeting_info_t *out)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s =
        db ? yj_db_stmt(db, "SELECT m.id, m.org_id, o.path, m.status, m.title, "
                            "m.host_admin_id, m.host_member_id, m.duration_minutes, "
                            "m.threshold_percent, m.start_at, m.started_at, m.ended_at, "
                            "m.alive_at FROM meetings m JOIN orgs o ON o.id = m.org_id "
                            "WHERE m.id = ?")
           : NULL;
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, id);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        out->id = sqlite3_column_int64(s, 0);
        out->org_id = sqlite3_column_int64(s, 1);
        g_strlcpy(out->org_path, col_text(s, 2), sizeof out->org_path);
        g_strlcpy(out->status, col_text(s, 3), sizeof out->status);
        g_strlcpy(out->title, col_text(s, 4), sizeof out->title);
        out->host_admin_id = sqlite3_column_int64(s, 5);
        g_strlcpy(out->host_member_id, col_text(s, 6), sizeof out->host_member_id);
        out->duration_minutes = sqlite3_column_int(s, 7);
        out->threshold_percent = sqlite3_column_int(s, 8);
        out->start_at = sqlite3_column_int64(s, 9);
        out->started_at = sqlite3_column_int64(s, 10);
        out->ended_at = sqlite3_column_int64(s, 11);
        out->alive_at = sqlite3_column_int64(s, 12);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

bool yj_store_meeting_invited(yj_store_t *st, int64_t id, const char *member_id)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s =
        db ? yj_db_stmt(db, "SELECT 1 FROM meetings m WHERE m.id = ?1 AND " INVITED("?2")) : NULL;
    if (!s || !member_id)
        return false;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, member_id, -1, SQLITE_TRANSIENT);
    bool ok = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return ok;
}

bool yj_meeting_is_host(const yj_meeting_info_t *m, const yj_principal_t *p)
{
    if (p->kind == YJ_PRINCIPAL_ADMIN)
        return m->host_admin_id == p->admin_id || yj_path_within(p->org_path, m->org_path);
    if (p->kind == YJ_PRINCIPAL_MEMBER)
        return m->host_member_id[0] && strcmp(m->host_member_id, p->member_id) == 0;
    return false;
}

bool yj_store_meeting_can_join(yj_store_t *st, const yj_meeting_info_t *m, const yj_principal_t *p)
{
    if (p->kind == YJ_PRINCIPAL_ADMIN)
        return yj_meeting_is_host(m, p);
    if (p->kind == YJ_PRINCIPAL_MEMBER)
        return yj_store_meeting_invited(st, m->id, p->member_id);
    return false;
}

json_t *yj_store_meeting_json(yj_store_t *st, int64_t id)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s =
        db ? yj_db_stmt(db, "SELECT m.id, m.title, m.type, o.code, o.name, m.start_at, "
                            "m.duration_minutes, m.threshold_percent, a.username, "
                            "m.host_member_id, hm.name, m.status, m.started_at, m.ended_at, "
                            "m.end_reason, m.created_by, m.created_at, "
                            "COALESCE(NULLIF(a.name, ''), a.username) FROM meetings m "
                            "JOIN orgs o ON o.id = m.org_id "
                            "LEFT JOIN admins a ON a.id = m.host_admin_id "
                            "LEFT JOIN members hm ON hm.id_number = m.host_member_id "
                            "WHERE m.id = ?")
           : NULL;
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return NULL;
    }
    int duration = sqlite3_column_int(s, 6), pct = sqlite3_column_int(s, 7);
    int64_t thr = yj_attendance_threshold_seconds(duration, pct);
    json_t *host = sqlite3_column_type(s, 8) != SQLITE_NULL
                       ? json_pack("{s:s,s:s,s:s}", "kind", "admin", "username", col_text(s, 8),
                                   "name", col_text(s, 17))
                       : json_pack("{s:s,s:s,s:s}", "kind", "member", "id_number", col_text(s, 9),
                                   "name", col_text(s, 10));
    char url[64];
    g_snprintf(url, sizeof url, "/meet/%" G_GINT64_FORMAT, id);
    const char *type = col_text(s, 2);
    json_t *j = json_pack(
        "{s:I,s:s,s:s,s:s?,s:s,s:s,s:o,s:i,s:i,s:I,s:o,s:s,s:o,s:o,s:o,s:s,s:s,s:o}", "id",
        (json_int_t)sqlite3_column_int64(s, 0), "title", col_text(s, 1), "type", type, "type_name",
        yj_meeting_type_name(type), "org_code", col_text(s, 3), "org_name", col_text(s, 4), "start",
        yj_json_time(sqlite3_column_int64(s, 5)), "duration_minutes", duration, "threshold_percent",
        pct, "threshold_seconds", (json_int_t)thr, "host", host, "status", col_text(s, 11),
        "started_at", yj_json_time(sqlite3_column_int64(s, 12)), "ended_at",
        yj_json_time(sqlite3_column_int64(s, 13)), "end_reason", col_json_text(s, 14), "created_by",
        col_text(s, 15), "join_url", url, "created_at", yj_json_time(sqlite3_column_int64(s, 16)));
    sqlite3_reset(s);
    if (!j)
        return NULL;

    json_t *orgs = json_array();
    s = yj_db_stmt(db, "SELECT o.code, o.name FROM meeting_orgs mo JOIN orgs o "
                       "ON o.id = mo.org_id WHERE mo.meeting_id = ? ORDER BY o.path");
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        while (sqlite3_step(s) == SQLITE_ROW)
            json_array_append_new(
                orgs, json_pack("{s:s,s:s}", "code", col_text(s, 0), "name", col_text(s, 1)));
        sqlite3_reset(s);
    }
    json_object_set_new(j, "invited_orgs", orgs);
    json_t *members = json_array();
    s = yj_db_stmt(db, "SELECT me.id_number, me.name, o.code, me.migrant FROM meeting_members mm "
                       "JOIN members me ON me.id_number = mm.member_id "
                       "JOIN orgs o ON o.id = me.org_id WHERE mm.meeting_id = ? "
                       "ORDER BY o.path, me.id_number");
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        while (sqlite3_step(s) == SQLITE_ROW)
            json_array_append_new(members,
                                  json_pack("{s:s,s:s,s:s,s:b}", "id_number", col_text(s, 0),
                                            "name", col_text(s, 1), "org_code", col_text(s, 2),
                                            "migrant", sqlite3_column_int(s, 3)));
        sqlite3_reset(s);
    }
    json_object_set_new(j, "invited_members", members);
    return j;
}

json_t *yj_store_meeting_list(yj_store_t *st, const yj_principal_t *p, const char *status,
                              int limit, int offset)
{
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return NULL;
    sqlite3_stmt *s, *cnt;
    if (p->kind == YJ_PRINCIPAL_ADMIN) {
        s = yj_db_stmt(db, "SELECT m.id FROM meetings m JOIN orgs o ON o.id = m.org_id "
                           "WHERE (substr(o.path, 1, length(?1)) = ?1 OR m.host_admin_id = ?2) "
                           "AND (?3 IS NULL OR m.status = ?3) "
                           "ORDER BY m.start_at DESC, m.id DESC LIMIT ?4 OFFSET ?5");
        cnt = yj_db_stmt(db, "SELECT count(*) FROM meetings m JOIN orgs o ON o.id = m.org_id "
                             "WHERE (substr(o.path, 1, length(?1)) = ?1 OR m.host_admin_id = ?2) "
                             "AND (?3 IS NULL OR m.status = ?3)");
        if (!s || !cnt)
            return NULL;
        for (int k = 0; k < 2; k++) {
            sqlite3_stmt *x = k ? cnt : s;
            sqlite3_bind_text(x, 1, p->org_path, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(x, 2, p->admin_id);
        }
    } else if (p->kind == YJ_PRINCIPAL_MEMBER) {
        s = yj_db_stmt(db, "SELECT m.id FROM meetings m WHERE " INVITED(
                               "?1") " AND (?3 IS NULL OR m.status = ?3) "
                                     "ORDER BY m.start_at DESC, m.id DESC LIMIT ?4 OFFSET ?5");
        cnt = yj_db_stmt(db, "SELECT count(*) FROM meetings m WHERE " INVITED(
                                 "?1") " AND (?3 IS NULL OR m.status = ?3)");
        if (!s || !cnt)
            return NULL;
        sqlite3_bind_text(s, 1, p->member_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(cnt, 1, p->member_id, -1, SQLITE_TRANSIENT);
    } else {
        return json_pack("{s:[],s:i}", "meetings", "total", 0);
    }
    if (status) {
        sqlite3_bind_text(s, 3, status, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(cnt, 3, status, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int(s, 4, limit);
    sqlite3_bind_int(s, 5, offset);
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    while (sqlite3_step(s) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0);
        g_array_append_val(ids, id);
    }
    sqlite3_reset(s);
    json_int_t total = 0;
    if (sqlite3_step(cnt) == SQLITE_ROW)
        total = sqlite3_column_int64(cnt, 0);
    sqlite3_reset(cnt);
    json_t *arr = json_array();
    for (guint i = 0; i < ids->len; i++) {
        json_t *m = yj_store_meeting_json(st, g_array_index(ids, gint64, i));
        if (m)
            json_array_append_new(arr, m);
    }
    g_array_unref(ids);
    return json_pack("{s:o,s:I}", "meetings", arr, "total", total);
}

int64_t yj_store_meeting_count(yj_store_t *st)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = db ? yj_db_stmt(db, "SELECT count(*) FROM meetings") : NULL;
    if (!s)
        return YJ_EDB;
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : YJ_EDB;
    sqlite3_reset(s);
    return n;
}

/* ------------------------------------------------------------------ */
/* state changes */

typedef struct {
    int64_t id, at, interval;
    const char *member, *device, *reason;
    int credited;
    GArray *ids;
} write_t;

/* Current status of a meeting inside a transaction; YJ_ENOENT if none. */
static int status_of(yj_db_t *db, int64_t id, char *buf, size_t n)
{
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT status FROM meetings WHERE id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, id);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        g_strlcpy(buf, col_text(s, 0), n);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

/* scheduled → live at `at`, advancing alive_at; YJ_ENOENT for no such
 * meeting, YJ_ESTATE once it has ended. */
static int go_live(yj_db_t *db, int64_t id, int64_t at)
{
    char st[16];
    int rc = status_of(db, id, st, sizeof st);
    if (rc)
        return rc;
    if (strcmp(st, "ended") == 0)
        return YJ_ESTATE;
    return yj_db_run(
        db,
        "UPDATE meetings SET status = 'live', started_at = coalesce(started_at, ?2), "
        "alive_at = max(coalesce(alive_at, 0), ?2) WHERE id = ?1 AND status != 'ended'",
        "II", id, at);
}

static int start_tx(yj_db_t *db, void *ud)
{
    write_t *w = ud;
    return go_live(db, w->id, w->at);
}

int yj_store_meeting_start(yj_store_t *st, int64_t id, int64_t at)
{
    write_t w = {.id = id, .at = at};
    return yj_store_write(st, start_tx, &w);
}

static int join_tx(yj_db_t *db, void *ud)
{
    write_t *w = ud;
    int rc = go_live(db, w->id, w->at);
    if (rc)
        return rc;
    sqlite3_stmt *s = yj_db_stmt(db, "INSERT INTO attendance(meeting_id, member_id, device, "
                                     "joined_at) VALUES (?, ?, ?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, w->id);
    sqlite3_bind_text(s, 2, w->member, -1, SQLITE_TRANSIENT);
    if (w->device)
        sqlite3_bind_text(s, 3, w->device, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, w->at);
    if ((rc = yj_db_step_done(db, s)))
        return rc == YJ_EEXIST ? YJ_ENOENT : rc; /* unknown member */
    w->interval = sqlite3_last_insert_rowid(yj_db_handle(db));
    return 0;
}

int yj_store_attendance_join(yj_store_t *st, int64_t meeting_id, const char *member_id,
                             const char *device, int64_t at, int64_t *interval_id)
{
    write_t w = {.id = meeting_id, .at = at, .member = member_id, .device = device};
    int rc = yj_store_write(st, join_tx, &w);
    if (rc == 0 && interval_id)
        *interval_id = w.interval;
    return rc;
}

static int leave_tx(yj_db_t *db, void *ud)
{
    write_t *w = ud;
    int rc = yj_db_run(db,
                       "UPDATE attendance SET left_at = max(joined_at, ?2) "
                       "WHERE id = ?1 AND left_at IS NULL",
                       "II", w->interval, w->at);
    if (rc || sqlite3_changes(yj_db_handle(db)) == 0)
        return rc;
    return yj_db_run(db,
                     "UPDATE meetings SET alive_at = max(coalesce(alive_at, 0), ?2) "
                     "WHERE id = (SELECT meeting_id FROM attendance WHERE id = ?1) "
                     "AND status = 'live'",
                     "II", w->interval, w->at);
}

int yj_store_attendance_leave(yj_store_t *st, int64_t interval_id, int64_t at)
{
    write_t w = {.interval = interval_id, .at = at};
    return yj_store_write(st, leave_tx, &w);
}

int yj_store_meeting_heartbeat(yj_store_t *st, int64_t id, int64_t at)
{
    return yj_store_run(st, 0,
                        "UPDATE meetings SET alive_at = max(coalesce(alive_at, 0), ?2) "
                        "WHERE id = ?1 AND status = 'live'",
                        "II", id, at);
}

/* Inserts one member's result and credit. */
static int settle_member(yj_db_t *db, write_t *w, const char *member, const char *title, GArray *iv,
                         int64_t from, int64_t to, int64_t threshold)
{
    int64_t secs = yj_interval_union((yj_interval_t *)(void *)iv->data, iv->len, from, to);
    int minutes = yj_attendance_credit_minutes(secs, threshold);
    if (minutes > 6000)
        minutes = 6000; /* the ledger's largest single credit (store_records.h) */
    int rc = yj_db_run(db,
                       "INSERT OR REPLACE INTO meeting_results(meeting_id, member_id, seconds, "
                       "minutes) VALUES (?, ?, ?, ?)",
                       "IsIi", w->id, member, secs, minutes);
    if (rc || minutes <= 0)
        return rc;
    char source[48];
    g_snprintf(source, sizeof source, "meeting:%" G_GINT64_FORMAT, w->id);
    /* The ledger's UNIQUE (member_id, kind, source_id) makes this once:
     * YJ_EEXIST is a credit made by an earlier try. */
    rc = yj_ledger_credit(db,
                          &(yj_credit_t){.member_id = member,
                                         .kind = "meeting",
                                         .source_id = source,
                                         .minutes = minutes,
                                         .at = to,
                                         .by_whom = "system",
                                         .reason = title},
                          NULL);
    if (rc == 0)
        w->credited++;
    return rc == YJ_EEXIST ? 0 : rc;
}

static int end_tx(yj_db_t *db, void *ud)
{
    write_t *w = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT status, started_at, duration_minutes, "
                                     "threshold_percent, title FROM meetings WHERE id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, w->id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return YJ_ENOENT;
    }
    bool ended = strcmp(col_text(s, 0), "ended") == 0;
    int64_t started = sqlite3_column_int64(s, 1);
    int64_t threshold =
        yj_attendance_threshold_seconds(sqlite3_column_int(s, 2), sqlite3_column_int(s, 3));
    g_autofree char *title = g_strdup(col_text(s, 4));
    sqlite3_reset(s);
    if (ended)
        return YJ_ESTATE;
    int64_t at = w->at;
    if (started && at < started)
        at = started;

    s = yj_db_stmt(db, "UPDATE attendance SET left_at = max(joined_at, ?2) "
                       "WHERE meeting_id = ?1 AND left_at IS NULL");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, w->id);
    sqlite3_bind_int64(s, 2, at);
    int rc = yj_db_step_done(db, s);
    if (rc)
        return rc;

    if (started) {
        s = yj_db_stmt(db, "SELECT member_id, joined_at, left_at FROM attendance "
                           "WHERE meeting_id = ? ORDER BY member_id");
        if (!s)
            return YJ_EDB;
        sqlite3_bind_int64(s, 1, w->id);
        /* Collect first: settle_member uses other statements. */
        GPtrArray *members = g_ptr_array_new_with_free_func(g_free);
        GPtrArray *ivs = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *mid = col_text(s, 0);
            if (members->len == 0 ||
                strcmp(g_ptr_array_index(members, members->len - 1), mid) != 0) {
                g_ptr_array_add(members, g_strdup(mid));
                g_ptr_array_add(ivs, g_array_new(FALSE, FALSE, sizeof(yj_interval_t)));
            }
            yj_interval_t iv = {sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2)};
            g_array_append_val(g_ptr_array_index(ivs, ivs->len - 1), iv);
        }
        sqlite3_reset(s);
        for (guint i = 0; i < members->len && rc == 0; i++)
            rc = settle_member(db, w, g_ptr_array_index(members, i), title,
                               g_ptr_array_index(ivs, i), started, at, threshold);
        g_ptr_array_free(members, TRUE);
        g_ptr_array_free(ivs, TRUE);
        if (rc)
            return rc;
    }
    s = yj_db_stmt(db, "UPDATE meetings SET status = 'ended', ended_at = ?2, end_reason = ?3, "
                       "alive_at = max(coalesce(alive_at, 0), ?2) WHERE id = ?1");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, w->id);
    sqlite3_bind_int64(s, 2, at);
    sqlite3_bind_text(s, 3, w->reason ? w->reason : "host", -1, SQLITE_TRANSIENT);
    return yj_db_step_done(db, s);
}

int yj_store_meeting_end(yj_store_t *st, int64_t id, int64_t at, const char *reason, int *credited)
{
    write_t w = {.id = id, .at = at, .reason = reason};
    int rc = yj_store_write(st, end_tx, &w);
    if (credited)
        *credited = rc == 0 ? w.credited : 0;
    return rc;
}

static int recover_tx(yj_db_t *db, void *ud)
{
    write_t *w = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT id FROM meetings WHERE status = 'live'");
    if (!s)
        return YJ_EDB;
    while (sqlite3_step(s) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0);
        g_array_append_val(w->ids, id);
    }
    sqlite3_reset(s);
    for (guint i = 0; i < w->ids->len; i++) {
        s = yj_db_stmt(db, "UPDATE attendance SET left_at = max(joined_at, (SELECT "
                           "coalesce(alive_at, started_at, 0) FROM meetings WHERE id = ?1)) "
                           "WHERE meeting_id = ?1 AND left_at IS NULL");
        if (!s)
            return YJ_EDB;
        sqlite3_bind_int64(s, 1, g_array_index(w->ids, gint64, i));
        int rc = yj_db_step_done(db, s);
        if (rc)
            return rc;
        int n = sqlite3_changes(yj_db_handle(db));
        if (n)
            yj_info("meetings",
                    "meeting %" G_GINT64_FORMAT ": closed %d open attendance "
                    "interval(s) at the last known live time",
                    g_array_index(w->ids, gint64, i), n);
    }
    return 0;
}

GArray *yj_store_meetings_recover(yj_store_t *st)
{
    write_t w = {.ids = g_array_new(FALSE, FALSE, sizeof(gint64))};
    if (yj_store_write(st, recover_tx, &w)) {
        g_array_unref(w.ids);
        return NULL;
    }
    return w.ids;
}

/* ------------------------------------------------------------------ */
/* report */

json_t *yj_store_meeting_report(yj_store_t *st, int64_t id, int64_t now)
{
    yj_meeting_info_t m;
    if (yj_store_meeting_info(st, id, &m))
        return NULL;
    json_t *meeting = yj_store_meeting_json(st, id);
    yj_db_t *db = yj_store_reader(st);
    if (!meeting || !db) {
        json_decref(meeting);
        return NULL;
    }
    int64_t to = m.ended_at ? m.ended_at : now;
    int64_t threshold = yj_attendance_threshold_seconds(m.duration_minutes, m.threshold_percent);
    bool ended = strcmp(m.status, "ended") == 0;

    /* member id → GArray of intervals */
    GHashTable *att =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
    GHashTable *joins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GHashTable *first = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT member_id, joined_at, coalesce(left_at, ?2) "
                                     "FROM attendance WHERE meeting_id = ?1");
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, to);
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *mid = col_text(s, 0);
            GArray *a = g_hash_table_lookup(att, mid);
            if (!a) {
                a = g_array_new(FALSE, FALSE, sizeof(yj_interval_t));
                g_hash_table_insert(att, g_strdup(mid), a);
            }
            yj_interval_t iv = {sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2)};
            g_array_append_val(a, iv);
            g_hash_table_insert(
                joins, g_strdup(mid),
                GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(joins, mid)) + 1));
            int64_t *f = g_hash_table_lookup(first, mid);
            if (!f || iv.from < *f)
                g_hash_table_insert(first, g_strdup(mid), g_memdup2(&iv.from, sizeof iv.from));
        }
        sqlite3_reset(s);
    }
    GHashTable *credits = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s = yj_db_stmt(db, "SELECT member_id, minutes FROM meeting_results WHERE meeting_id = ?");
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        while (sqlite3_step(s) == SQLITE_ROW)
            g_hash_table_insert(credits, g_strdup(col_text(s, 0)),
                                GINT_TO_POINTER(sqlite3_column_int(s, 1) + 1));
        sqlite3_reset(s);
    }

    json_t *orgs = json_array(), *org = NULL;
    int n_inv = 0, n_present = 0, n_credited = 0, n_late = 0;
    s = yj_db_stmt(db, "SELECT me.id_number, me.name, o.code, o.name, me.migrant "
                       "FROM members me JOIN orgs o ON o.id = me.org_id "
                       "WHERE EXISTS (SELECT 1 FROM meetings m WHERE m.id = ?1 AND " INVITED(
                           "me.id_number") ") ORDER BY o.path, me.id_number");
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *mid = col_text(s, 0), *code = col_text(s, 2);
            if (!org || strcmp(json_string_value(json_object_get(org, "code")), code) != 0) {
                org = json_pack("{s:s,s:s,s:[],s:[],s:[]}", "code", code, "name", col_text(s, 3),
                                "invited", "present", "absent");
                json_array_append_new(orgs, org);
            }
            GArray *a = g_hash_table_lookup(att, mid);
            int64_t secs = a ? yj_interval_union((yj_interval_t *)(void *)a->data, a->len,
                                                 m.started_at ? m.started_at : to, to)
                             : 0;
            json_t *who = json_pack("{s:s,s:s,s:b}", "id_number", mid, "name", col_text(s, 1),
                                    "migrant", sqlite3_column_int(s, 4));
            json_array_append_new(json_object_get(org, "invited"), json_copy(who));
            n_inv++;
            if (a) {
                n_present++;
                int credited = GPOINTER_TO_INT(g_hash_table_lookup(credits, mid)) - 1;
                json_object_set_new(who, "attended_seconds", json_integer(secs));
                json_object_set_new(who, "attended_minutes", json_integer((secs + 30) / 60));
                json_object_set_new(who, "joins",
                                    json_integer(GPOINTER_TO_INT(g_hash_table_lookup(joins, mid))));
                json_object_set_new(who, "meets_threshold", json_boolean(secs >= threshold));
                /* Late: first joined more than YJ_MEETING_LATE_SECONDS after
                 * the later of the planned and the actual start. */
                int64_t *f = g_hash_table_lookup(first, mid);
                int64_t due = MAX(m.start_at, m.started_at);
                json_object_set_new(who, "first_joined_at", yj_json_time(f ? *f : 0));
                json_object_set_new(who, "late",
                                    json_boolean(f && *f > due + YJ_MEETING_LATE_SECONDS));
                if (f && *f > due + YJ_MEETING_LATE_SECONDS)
                    n_late++;
                json_object_set_new(who, "credited_minutes",
                                    ended && credited >= 0 ? json_integer(credited) : json_null());
                if (credited > 0)
                    n_credited++;
                json_array_append(json_object_get(org, "present"), who);
            } else {
                json_array_append(json_object_get(org, "absent"), who);
            }
            json_decref(who);
        }
        sqlite3_reset(s);
    }
    g_hash_table_destroy(att);
    g_hash_table_destroy(joins);
    g_hash_table_destroy(credits);
    g_hash_table_destroy(first);
    return json_pack("{s:o,s:o,s:{s:i,s:i,s:i,s:i,s:i},s:o,s:i}", "meeting", meeting, "as_of",
                     yj_json_time(to), "totals", "invited", n_inv, "present", n_present, "absent",
                     n_inv - n_present, "credited", n_credited, "late", n_late, "orgs", orgs,
                     "late_after_seconds", YJ_MEETING_LATE_SECONDS);
}
