/* SPDX-License-Identifier: Apache-2.0 */
/* demo.c — the demo organisation; see demo.h. */
#include "demo.h"
#include "crypto.h"
#include "yj.h"

#include <glib.h>

typedef struct {
    const char *code, *name, *parent;
} demo_org_t;

static const demo_org_t orgs[] = {
    {"330100", "城东区委", NULL},
    {"330101", "青山镇党委", "330100"},
    {"330102", "绿水街道党工委", "330100"},
    {"33010101", "青山村党支部", "330101"},
    {"33010102", "竹林村党支部", "330101"},
    {"33010201", "河畔社区党支部", "330102"},
    {"33010202", "新桥社区党支部", "330102"},
};

/* username, org code */
static const char *admins[][2] = {
    {YJ_DEMO_ADMIN, "330100"},
    {"qingshan", "330101"},
    {"lvshui", "330102"},
};

static int insert_org(yj_db_t *db, const demo_org_t *o)
{
    int64_t parent = 0;
    g_autofree char *ppath = NULL;
    if (o->parent) {
        sqlite3_stmt *s = yj_db_stmt(db, "SELECT id, path FROM orgs WHERE code = ?");
        if (!s)
            return YJ_EDB;
        sqlite3_bind_text(s, 1, o->parent, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_ROW)
            return YJ_ENOENT;
        parent = sqlite3_column_int64(s, 0);
        ppath = g_strdup((const char *)sqlite3_column_text(s, 1));
        sqlite3_reset(s);
    }
    /* The path needs the new id: insert with a unique placeholder, then set. */
    sqlite3_stmt *s = yj_db_stmt(db, "INSERT INTO orgs(code, name, parent_id, path, created_at) "
                                     "VALUES (?, ?, ?, '#' || ?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, o->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, o->name, -1, SQLITE_STATIC);
    if (parent)
        sqlite3_bind_int64(s, 3, parent);
    sqlite3_bind_text(s, 4, o->code, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, yj_now());
    int rc = yj_db_step_done(db, s);
    if (rc)
        return rc;
    int64_t id = sqlite3_last_insert_rowid(yj_db_handle(db));
    g_autofree char *path = g_strdup_printf("%s%" G_GINT64_FORMAT "/", ppath ? ppath : "/", id);
    s = yj_db_stmt(db, "UPDATE orgs SET path = ? WHERE id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, id);
    return yj_db_step_done(db, s);
}

static int seed_tx(yj_db_t *db, void *ud)
{
    int *loaded = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT count(*) FROM orgs");
    if (!s || sqlite3_step(s) != SQLITE_ROW)
        return YJ_EDB;
    int n = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    if (n > 0)
        return 0;
    for (size_t i = 0; i < YJ_ARRAY_LEN(orgs); i++) {
        int rc = insert_org(db, &orgs[i]);
        if (rc)
            return rc;
    }
    g_autofree char *hash = yj_password_hash(YJ_DEMO_PASSWORD);
    for (size_t i = 0; i < YJ_ARRAY_LEN(admins); i++) {
        s = yj_db_stmt(db, "INSERT INTO admins(username, password_hash, org_id, created_at) "
                           "SELECT ?, ?, id, ? FROM orgs WHERE code = ?");
        if (!s)
            return YJ_EDB;
        sqlite3_bind_text(s, 1, admins[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, yj_now());
        sqlite3_bind_text(s, 4, admins[i][1], -1, SQLITE_STATIC);
        int rc = yj_db_step_done(db, s);
        if (rc)
            return rc;
    }
    *loaded = 1;
    return 0;
}

int yj_demo_seed(yj_store_t *st, char **err)
{
    int loaded = 0;
    int rc = yj_store_write(st, seed_tx, &loaded);
    if (rc) {
        if (err)
            *err = g_strdup_printf("cannot load demo data: %s", yj_strerror(rc));
        return rc;
    }
    return loaded;
}
