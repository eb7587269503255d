/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c — SQL for IPTV: channels, served organisations, programmes,
 * stations and roll-call confirmations (migration 4).
 *
 * Station keys and all other secrets never reach the database: callers
 * pass the SHA-256 hex of a key. The roll-call's credit goes into the
 * ledger (core/store_records.h) in the same transaction as the
 * confirmation, so a crash never leaves one without the other, and the
 * ledger's unique (member, kind, source) key makes a replay a no-op.
 * Nothing here decides a rule; callers pass checks in.
 */
#include "store.h"
#include "core/store_records.h"
#include "core/yj.h"

#include <sqlite3.h>
#include <string.h>

static const char iptv_sql[] =
    "CREATE TABLE iptv_channels ("
    "  id INTEGER PRIMARY KEY,"
    "  number INTEGER NOT NULL UNIQUE CHECK (number BETWEEN 1 AND 9999),"
    "  name TEXT NOT NULL,"
    "  grp TEXT NOT NULL DEFAULT '',"
    "  logo_url TEXT NOT NULL DEFAULT '',"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  address TEXT NOT NULL,"
    "  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
    "  ttl INTEGER NOT NULL DEFAULT 16,"
    "  interface TEXT NOT NULL DEFAULT '',"
    "  protocol TEXT NOT NULL DEFAULT 'udp' CHECK (protocol IN ('udp','rtp')),"
    "  bitrate INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (address, port));"
    "CREATE TABLE iptv_channel_orgs ("
    "  channel_id INTEGER NOT NULL REFERENCES iptv_channels(id) ON DELETE CASCADE,"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  PRIMARY KEY (channel_id, org_id));"
    "CREATE TABLE iptv_programmes ("
    "  id INTEGER PRIMARY KEY,"
    "  channel_id INTEGER NOT NULL REFERENCES iptv_channels(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('lesson','recording','live','feed','loop')),"
    "  title TEXT NOT NULL,"
    "  description TEXT,"
    "  lesson_id INTEGER,"
    "  course_id INTEGER,"
    "  meeting_id INTEGER,"
    "  feed_url TEXT,"
    "  feed_program INTEGER NOT NULL DEFAULT 0,"
    "  start_ms INTEGER NOT NULL,"
    "  end_ms INTEGER NOT NULL,"
    "  repeat TEXT NOT NULL DEFAULT 'none' CHECK (repeat IN ('none','daily','weekly')),"
    "  until_ms INTEGER NOT NULL DEFAULT 0,"
    "  creditable INTEGER NOT NULL DEFAULT 0,"
    "  minutes INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  CHECK (end_ms > start_ms));"
    "CREATE INDEX iptv_programmes_channel ON iptv_programmes(channel_id, start_ms);"
    "CREATE TABLE iptv_stations ("
    "  id INTEGER PRIMARY KEY,"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  name TEXT NOT NULL,"
    "  key_hash TEXT UNIQUE,"
    "  key_hint TEXT NOT NULL DEFAULT '',"
    "  revoked_at INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    /* One row per member and programme occurrence: the start code's
     * confirmation, then the end code's (which credits the ledger). */
    "CREATE TABLE iptv_rollcall ("
    "  programme_id INTEGER NOT NULL,"
    "  occ_start_ms INTEGER NOT NULL,"
    "  member_id TEXT NOT NULL REFERENCES members(id_number),"
    "  station_id INTEGER NOT NULL DEFAULT 0,"
    "  start_at INTEGER NOT NULL,"
    "  end_at INTEGER,"
    "  by_whom TEXT NOT NULL,"
    "  PRIMARY KEY (programme_id, occ_start_ms, member_id));";

const yj_migration_t yj_iptv_migrations[] = {
    {"iptv: channels, programmes, stations, roll-call", iptv_sql},
};
const size_t yj_iptv_migrations_count = YJ_ARRAY_LEN(yj_iptv_migrations);

static void copy_col(char *dst, size_t n, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    g_strlcpy(dst, t ? (const char *)t : "", n);
}

static char *dup_col(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? g_strdup((const char *)t) : NULL;
}

static int finish(sqlite3_stmt *s, int rc)
{
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : YJ_EDB;
}

int yj_iptv_store_org(yj_store_t *st, const char *code, int64_t *id, char *path, size_t n)
{
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return YJ_EDB;
    yj_org_t org;
    int rc = yj_org_by_code(db, code, NULL, &org);
    if (rc == 0) {
        *id = org.id;
        g_strlcpy(path, org.path, n);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* channels */

#define CHANNEL_COLS                                                                               \
    "c.id, c.number, c.name, c.grp, c.logo_url, c.org_id, c.address, c.port, c.ttl, "              \
    "c.interface, c.protocol, c.bitrate, c.created_at, c.updated_at, o.code, o.path "

static void channel_row(sqlite3_stmt *s, yj_iptv_channel_t *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(s, 0);
    c->number = sqlite3_column_int(s, 1);
    copy_col(c->name, sizeof c->name, s, 2);
    copy_col(c->group, sizeof c->group, s, 3);
    copy_col(c->logo_url, sizeof c->logo_url, s, 4);
    c->org_id = sqlite3_column_int64(s, 5);
    copy_col(c->address, sizeof c->address, s, 6);
    c->port = sqlite3_column_int(s, 7);
    c->ttl = sqlite3_column_int(s, 8);
    copy_col(c->interface, sizeof c->interface, s, 9);
    c->rtp = g_strcmp0((const char *)sqlite3_column_text(s, 10), "rtp") == 0;
    c->bitrate = sqlite3_column_int(s, 11);
    c->created_at = sqlite3_column_int64(s, 12);
    c->updated_at = sqlite3_column_int64(s, 13);
    copy_col(c->org_code, sizeof c->org_code, s, 14);
    copy_col(c->org_path, sizeof c->org_path, s, 15);
}

typedef struct {
    yj_iptv_channel_t *c;
    const int64_t *orgs;
    size_t n;
    bool set_orgs;
    const char **taken;
} channel_put_t;

static int channel_put_tx(yj_db_t *db, void *ud)
{
    channel_put_t *a = ud;
    yj_iptv_channel_t *c = a->c;
    int64_t now = yj_now();
    /* name the field a unique key would refuse */
    sqlite3_stmt *s = yj_db_query(db,
                                  "SELECT (SELECT count(*) FROM iptv_channels WHERE number = ?1 "
                                  "AND id <> ?3), (SELECT count(*) FROM iptv_channels WHERE "
                                  "address = ?2 AND port = ?4 AND id <> ?3)",
                                  "isIi", c->number, c->address, c->id, c->port);
    if (!s)
        return YJ_EDB;
    if (sqlite3_step(s) == SQLITE_ROW) {
        int num = sqlite3_column_int(s, 0), addr = sqlite3_column_int(s, 1);
        sqlite3_reset(s);
        if (num || addr) {
            if (a->taken)
                *a->taken = num ? "number" : "address";
            return YJ_EEXIST;
        }
    } else {
        sqlite3_reset(s);
    }
    int rc;
    if (c->id == 0) {
        rc = yj_db_run(db,
                       "INSERT INTO iptv_channels(number, name, grp, logo_url, org_id, address, "
                       "port, ttl, interface, protocol, bitrate, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "isssIsiissiII", c->number, c->name, c->group, c->logo_url, c->org_id,
                       c->address, c->port, c->ttl, c->interface, c->rtp ? "rtp" : "udp",
                       c->bitrate, now, now);
        if (rc)
            return rc;
        c->id = sqlite3_last_insert_rowid(yj_db_handle(db));
    } else {
        rc = yj_db_run(db,
                       "UPDATE iptv_channels SET number = ?, name = ?, grp = ?, logo_url = ?, "
                       "address = ?, port = ?, ttl = ?, interface = ?, protocol = ?, bitrate = ?, "
                       "updated_at = ? WHERE id = ?",
                       "issssiissiII", c->number, c->name, c->group, c->logo_url, c->address,
                       c->port, c->ttl, c->interface, c->rtp ? "rtp" : "udp", c->bitrate, now,
                       c->id);
        if (rc)
            return rc;
        if (sqlite3_changes(yj_db_handle(db)) == 0)
            return YJ_ENOENT;
    }
    if (a->set_orgs) {
        rc = yj_db_run(db, "DELETE FROM iptv_channel_orgs WHERE channel_id = ?", "I", c->id);
        for (size_t i = 0; !rc && i < a->n; i++) {
            rc = yj_db_run(db,
                           "INSERT OR IGNORE INTO iptv_channel_orgs(channel_id, org_id) "
                           "VALUES (?, ?)",
                           "II", c->id, a->orgs[i]);
        }
    }
    return rc;
}

int yj_iptv_store_channel_put(yj_store_t *st, yj_iptv_channel_t *c, const int64_t *orgs, size_t n,
                              bool set_orgs, const char **taken)
{
    int64_t old = c->id;
    channel_put_t a = {c, orgs, n, set_orgs, taken};
    int rc = yj_store_write(st, channel_put_tx, &a);
    if (rc)
        c->id = old;
    return rc;
}

int yj_iptv_store_channel_get(yj_store_t *st, int64_t id, yj_iptv_channel_t *c)
{
    sqlite3_stmt *s = yj_db_query(yj_store_reader(st),
                                  "SELECT " CHANNEL_COLS "FROM iptv_channels c "
                                  "JOIN orgs o ON o.id = c.org_id WHERE c.id = ?",
                                  "I", id);
    if (!s)
        return YJ_EDB;
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        channel_row(s, c);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

int yj_iptv_store_channel_delete(yj_store_t *st, int64_t id)
{
    return yj_store_run(st, YJ_ENOENT, "DELETE FROM iptv_channels WHERE id = ?", "I", id);
}

/* "o is the organisation at path p or an ancestor of it" */
#define SERVES(chan, p)                                                                            \
    "EXISTS (SELECT 1 FROM iptv_channel_orgs co JOIN orgs so ON so.id = co.org_id "                \
    "WHERE co.channel_id = " chan " AND substr(" p ", 1, length(so.path)) = so.path)"

int yj_iptv_store_channels(yj_store_t *st, const char *admin_path, const char *viewer_path,
                           GArray *out)
{
    sqlite3_stmt *s = yj_db_query(
        yj_store_reader(st),
        "SELECT " CHANNEL_COLS "FROM iptv_channels c JOIN orgs o ON o.id = c.org_id "
        "WHERE (?1 IS NULL OR substr(o.path, 1, length(?1)) = ?1 OR " SERVES(
            "c.id", "?1") " OR "
                          "EXISTS (SELECT 1 FROM iptv_channel_orgs co2 JOIN orgs so2 ON so2.id = "
                          "co2.org_id "
                          "WHERE co2.channel_id = c.id AND substr(so2.path, 1, length(?1)) = ?1)) "
                          "AND (?2 IS NULL OR " SERVES("c.id", "?2") ") ORDER BY c.number",
        "ss", admin_path, viewer_path);
    if (!s)
        return YJ_EDB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        yj_iptv_channel_t c;
        channel_row(s, &c);
        g_array_append_val(out, c);
    }
    return finish(s, rc);
}

bool yj_iptv_store_channel_serves(yj_store_t *st, int64_t id, const char *viewer_path)
{
    sqlite3_stmt *s =
        yj_db_query(yj_store_reader(st), "SELECT " SERVES("?1", "?2"), "Is", id, viewer_path);
    if (!s)
        return false;
    bool yes = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    return yes;
}

json_t *yj_iptv_store_channel_orgs(yj_store_t *st, int64_t id)
{
    sqlite3_stmt *s = yj_db_query(yj_store_reader(st),
                                  "SELECT o.code, o.name FROM iptv_channel_orgs co JOIN orgs o "
                                  "ON o.id = co.org_id WHERE co.channel_id = ? ORDER BY o.code",
                                  "I", id);
    if (!s)
        return NULL;
    json_t *a = json_array();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        json_array_append_new(a, json_pack("{s:s,s:s}", "code", sqlite3_column_text(s, 0), "name",
                                           sqlite3_column_text(s, 1)));
    if (finish(s, rc)) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* ------------------------------------------------------------------ */
/* programmes */

void yj_iptv_prog_clear(yj_iptv_prog_t *p)
{
    if (!p)
        return;
    g_free(p->title);
    g_free(p->description);
    g_free(p->feed_url);
    memset(p, 0, sizeof *p);
}

void yj_iptv_progs_free(GArray *a)
{
    if (!a)
        return;
    for (guint i = 0; i < a->len; i++)
        yj_iptv_prog_clear(&g_array_index(a, yj_iptv_prog_t, i));
    g_array_free(a, TRUE);
}

#define PROG_COLS                                                                                  \
    "id, channel_id, kind, title, description, lesson_id, course_id, meeting_id, feed_url, "       \
    "feed_program, start_ms, end_ms, repeat, until_ms, creditable, minutes, created_at, "          \
    "updated_at "

static void prog_row(sqlite3_stmt *s, yj_iptv_prog_t *p)
{
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(s, 0);
    p->channel_id = sqlite3_column_int64(s, 1);
    copy_col(p->kind, sizeof p->kind, s, 2);
    p->title = dup_col(s, 3);
    p->description = dup_col(s, 4);
    p->lesson_id = sqlite3_column_int64(s, 5);
    p->course_id = sqlite3_column_int64(s, 6);
    p->meeting_id = sqlite3_column_int64(s, 7);
    p->feed_url = dup_col(s, 8);
    p->feed_program = sqlite3_column_int(s, 9);
    p->start_ms = sqlite3_column_int64(s, 10);
    p->end_ms = sqlite3_column_int64(s, 11);
    copy_col(p->repeat, sizeof p->repeat, s, 12);
    p->until_ms = sqlite3_column_int64(s, 13);
    p->creditable = sqlite3_column_int(s, 14) != 0;
    p->minutes = sqlite3_column_int(s, 15);
    p->created_at = sqlite3_column_int64(s, 16);
    p->updated_at = sqlite3_column_int64(s, 17);
}

static GArray *progs_on(yj_db_t *db, int64_t channel_id, int64_t from_ms)
{
    sqlite3_stmt *s = yj_db_query(db,
                                  "SELECT " PROG_COLS "FROM iptv_programmes WHERE channel_id = ? "
                                  "AND (? = 0 OR max(end_ms, until_ms + end_ms - start_ms) > ?) "
                                  "ORDER BY start_ms, id",
                                  "III", channel_id, from_ms, from_ms);
    if (!s)
        return NULL;
    GArray *a = g_array_new(FALSE, TRUE, sizeof(yj_iptv_prog_t));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        yj_iptv_prog_t p;
        prog_row(s, &p);
        g_array_append_val(a, p);
    }
    if (finish(s, rc)) {
        yj_iptv_progs_free(a);
        return NULL;
    }
    return a;
}

GArray *yj_iptv_store_progs(yj_store_t *st, int64_t channel_id, int64_t from_ms)
{
    return progs_on(yj_store_reader(st), channel_id, from_ms);
}

typedef struct {
    yj_iptv_prog_t *p;
    yj_iptv_prog_check_fn check;
    void *ud;
} prog_put_t;

static int prog_put_tx(yj_db_t *db, void *ud)
{
    prog_put_t *a = ud;
    yj_iptv_prog_t *p = a->p;
    sqlite3_stmt *s =
        yj_db_query(db, "SELECT 1 FROM iptv_channels WHERE id = ?", "I", p->channel_id);
    if (!s)
        return YJ_EDB;
    bool have = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    if (!have)
        return YJ_ENOENT;
    GArray *all = progs_on(db, p->channel_id, 0);
    if (!all)
        return YJ_EDB;
    GArray *others = g_array_new(FALSE, TRUE, sizeof(yj_iptv_prog_t));
    for (guint i = 0; i < all->len; i++) {
        yj_iptv_prog_t *o = &g_array_index(all, yj_iptv_prog_t, i);
        if (o->id != p->id)
            g_array_append_val(others, *o);
    }
    int rc = a->check ? a->check(p, (yj_iptv_prog_t *)(void *)others->data, others->len, a->ud) : 0;
    g_array_free(others, TRUE); /* elements are owned by all */
    yj_iptv_progs_free(all);
    if (rc)
        return rc;
    int64_t now = yj_now();
    if (p->id == 0) {
        rc = yj_db_run(
            db,
            "INSERT INTO iptv_programmes(channel_id, kind, title, description, "
            "lesson_id, course_id, meeting_id, feed_url, feed_program, start_ms, end_ms, "
            "repeat, until_ms, creditable, minutes, created_at, updated_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
            "?16, ?16)",
            "IsssIIIsiIIsIiiI", p->channel_id, p->kind, p->title, p->description, p->lesson_id,
            p->course_id, p->meeting_id, p->feed_url, p->feed_program, p->start_ms, p->end_ms,
            p->repeat, p->until_ms, (int)p->creditable, p->minutes, now);
        if (!rc)
            p->id = sqlite3_last_insert_rowid(yj_db_handle(db));
        return rc;
    }
    rc =
        yj_db_run(db,
                  "UPDATE iptv_programmes SET kind = ?, title = ?, description = ?, lesson_id = ?, "
                  "course_id = ?, meeting_id = ?, feed_url = ?, feed_program = ?, start_ms = ?, "
                  "end_ms = ?, repeat = ?, until_ms = ?, creditable = ?, minutes = ?, "
                  "updated_at = ? WHERE id = ?",
                  "sssIIIsiIIsIiiII", p->kind, p->title, p->description, p->lesson_id, p->course_id,
                  p->meeting_id, p->feed_url, p->feed_program, p->start_ms, p->end_ms, p->repeat,
                  p->until_ms, (int)p->creditable, p->minutes, now, p->id);
    if (!rc && sqlite3_changes(yj_db_handle(db)) == 0)
        rc = YJ_ENOENT;
    return rc;
}

int yj_iptv_store_prog_put(yj_store_t *st, yj_iptv_prog_t *p, yj_iptv_prog_check_fn check, void *ud)
{
    int64_t old = p->id;
    prog_put_t a = {p, check, ud};
    int rc = yj_store_write(st, prog_put_tx, &a);
    if (rc)
        p->id = old;
    return rc;
}

int yj_iptv_store_prog_get(yj_store_t *st, int64_t id, yj_iptv_prog_t *p)
{
    sqlite3_stmt *s = yj_db_query(yj_store_reader(st),
                                  "SELECT " PROG_COLS "FROM iptv_programmes WHERE id = ?", "I", id);
    if (!s)
        return YJ_EDB;
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        prog_row(s, p);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

int yj_iptv_store_prog_delete(yj_store_t *st, int64_t id)
{
    return yj_store_run(st, YJ_ENOENT, "DELETE FROM iptv_programmes WHERE id = ?", "I", id);
}
