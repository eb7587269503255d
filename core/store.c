/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c — SQLite connections, migrations and backup; see store.h.
 *
 * Durability: WAL with synchronous=NORMAL survives a process crash (kill -9)
 * without losing a committed transaction; [store] synchronous=full also
 * survives power loss at the cost of an fsync per commit.
 */
#include "store.h"
#include "log.h"
#include "metrics.h"
#include "yj.h"

#include <glib.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

struct yj_db {
    sqlite3 *db;
    GHashTable *stmts; /* const char *sql -> sqlite3_stmt* */
};

struct yj_store {
    char *path;
    uint64_t id; /* distinguishes stores for the thread-local cache */
    GMutex write_lock;
    yj_db_t *writer;
    GMutex readers_lock;
    GPtrArray *readers; /* every yj_db_t handed out by yj_store_reader */
};

static uint64_t next_store_id = 1;
static __thread uint64_t tl_store_id;
static __thread yj_db_t *tl_reader;

static yj_histogram_t *db_latency(void)
{
    static const double buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                     0.01,   0.025,   0.05,   0.1,   0.5};
    static yj_histogram_t *h;
    if (!g_atomic_pointer_get(&h))
        g_atomic_pointer_set(&h, yj_metrics_histogram("yj_db_transaction_seconds",
                                                      "Write transaction latency", buckets,
                                                      YJ_ARRAY_LEN(buckets)));
    return h;
}

int64_t yj_now(void)
{
    return (int64_t)time(NULL);
}

static void stmt_free(gpointer p)
{
    sqlite3_finalize(p);
}

static yj_db_t *db_open(const char *path, int flags, char **err)
{
    sqlite3 *h = NULL;
    if (sqlite3_open_v2(path, &h, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        if (err)
            *err = g_strdup_printf("cannot open database %s: %s", path,
                                   h ? sqlite3_errmsg(h) : "out of memory");
        sqlite3_close(h);
        return NULL;
    }
    sqlite3_busy_timeout(h, 5000);
    sqlite3_extended_result_codes(h, 0);
    char *msg = NULL;
    if (sqlite3_exec(h, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", NULL, NULL, &msg) !=
        SQLITE_OK) {
        if (err)
            *err = g_strdup_printf("cannot configure database: %s", msg);
        sqlite3_free(msg);
        sqlite3_close(h);
        return NULL;
    }
    yj_db_t *db = g_new0(yj_db_t, 1);
    db->db = h;
    db->stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, stmt_free);
    return db;
}

static void db_close(yj_db_t *db)
{
    if (!db)
        return;
    g_hash_table_destroy(db->stmts);
    sqlite3_close(db->db);
    g_free(db);
}

sqlite3 *yj_db_handle(yj_db_t *db)
{
    return db->db;
}

sqlite3_stmt *yj_db_stmt(yj_db_t *db, const char *sql)
{
    sqlite3_stmt *s = g_hash_table_lookup(db->stmts, sql);
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return s;
    }
    if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
        yj_error("store", "prepare failed: %s — %s", sqlite3_errmsg(db->db), sql);
        return NULL;
    }
    g_hash_table_insert(db->stmts, (gpointer)sql, s);
    return s;
}

int yj_db_step_done(yj_db_t *db, sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    int out = 0;
    if (rc == SQLITE_CONSTRAINT)
        out = YJ_EEXIST;
    else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        yj_error("store", "step failed: %s", sqlite3_errmsg(db->db));
        out = YJ_EDB;
    }
    sqlite3_reset(stmt);
    return out;
}

/* Arguments of yj_db_run/yj_store_run, read from a va_list once so that
 * they can cross to the writer thread. */
#define MAX_ARGS 16
typedef struct {
    const char *sql, *types;
    int if_none;
    int n;
    union {
        const char *s;
        int64_t i;
        double d;
    } v[MAX_ARGS];
} args_t;

static bool read_args(args_t *a, const char *sql, const char *types, va_list ap)
{
    a->sql = sql;
    a->types = types;
    a->n = (int)strlen(types);
    if (a->n > MAX_ARGS || strspn(types, "sIid") != (size_t)a->n) {
        yj_error("store", "bad parameter types \"%s\" for %s", types, sql);
        return false;
    }
    for (int k = 0; k < a->n; k++) {
        switch (types[k]) {
        case 's':
            a->v[k].s = va_arg(ap, const char *);
            break;
        case 'I':
            a->v[k].i = va_arg(ap, int64_t);
            break;
        case 'i':
            a->v[k].i = va_arg(ap, int);
            break;
        default:
            a->v[k].d = va_arg(ap, double);
            break;
        }
    }
    return true;
}

/* a->sql from the cache with a's parameters bound; NULL if unprepared. */
static sqlite3_stmt *bound(yj_db_t *db, const args_t *a)
{
    sqlite3_stmt *s = yj_db_stmt(db, a->sql);
    if (!s)
        return NULL;
    for (int k = 0; k < a->n; k++) {
        if (a->types[k] == 's')
            sqlite3_bind_text(s, k + 1, a->v[k].s, -1, SQLITE_TRANSIENT);
        else if (a->types[k] == 'd')
            sqlite3_bind_double(s, k + 1, a->v[k].d);
        else
            sqlite3_bind_int64(s, k + 1, a->v[k].i);
    }
    return s;
}

static int run_args(yj_db_t *db, const args_t *a)
{
    sqlite3_stmt *s = bound(db, a);
    return s ? yj_db_step_done(db, s) : YJ_EDB;
}

sqlite3_stmt *yj_db_query(yj_db_t *db, const char *sql, const char *types, ...)
{
    args_t a;
    va_list ap;
    va_start(ap, types);
    bool ok = db && read_args(&a, sql, types, ap);
    va_end(ap);
    return ok ? bound(db, &a) : NULL;
}

int yj_db_run(yj_db_t *db, const char *sql, const char *types, ...)
{
    args_t a;
    va_list ap;
    va_start(ap, types);
    bool ok = read_args(&a, sql, types, ap);
    va_end(ap);
    return ok ? run_args(db, &a) : YJ_EDB;
}

static int run_tx(yj_db_t *db, void *ud)
{
    const args_t *a = ud;
    int rc = run_args(db, a);
    if (rc == 0 && a->if_none && sqlite3_changes(db->db) == 0)
        rc = a->if_none;
    return rc;
}

int yj_store_run(yj_store_t *st, int if_none, const char *sql, const char *types, ...)
{
    args_t a;
    va_list ap;
    va_start(ap, types);
    bool ok = read_args(&a, sql, types, ap);
    va_end(ap);
    a.if_none = if_none;
    return ok ? yj_store_write(st, run_tx, &a) : YJ_EDB;
}

static int exec(yj_db_t *db, const char *sql, char **err)
{
    char *msg = NULL;
    if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        if (err)
            *err = g_strdup(msg ? msg : sqlite3_errmsg(db->db));
        sqlite3_free(msg);
        return YJ_EDB;
    }
    return 0;
}

static int user_version(yj_db_t *db)
{
    sqlite3_stmt *s = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

static int migrate(yj_db_t *db, const yj_migration_t *const *m, size_t count, char **err)
{
    int have = user_version(db);
    int n = (int)count;
    if (have < 0) {
        *err = g_strdup("cannot read schema version");
        return YJ_EDB;
    }
    if (have > n) {
        *err = g_strdup_printf("database schema %d is newer than this build (%d)", have, n);
        return YJ_ESTATE;
    }
    for (int i = have; i < n; i++) {
        char *e = NULL;
        char pragma[64];
        g_snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", i + 1);
        if (exec(db, "BEGIN IMMEDIATE", &e) || exec(db, m[i]->sql, &e) || exec(db, pragma, &e) ||
            exec(db, "COMMIT", &e)) {
            *err = g_strdup_printf("migration %d (%s) failed: %s", i + 1, m[i]->name, e ? e : "?");
            g_free(e);
            exec(db, "ROLLBACK", NULL);
            return YJ_EDB;
        }
        yj_info("store", "applied migration %d: %s", i + 1, m[i]->name);
    }
    return 0;
}

yj_store_t *yj_store_open(const char *path, const yj_migration_t *const *migrations, size_t n,
                          char **err)
{
    char *e = NULL;
    yj_db_t *w = db_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &e);
    if (!w)
        goto err;
    if (exec(w, "PRAGMA journal_mode=WAL", &e) || migrate(w, migrations, n, &e))
        goto err;
    yj_store_t *st = g_new0(yj_store_t, 1);
    st->path = g_strdup(path);
    st->id = __atomic_fetch_add(&next_store_id, 1, __ATOMIC_RELAXED);
    g_mutex_init(&st->write_lock);
    g_mutex_init(&st->readers_lock);
    st->writer = w;
    st->readers = g_ptr_array_new();
    return st;
err:
    db_close(w);
    if (err)
        *err = e;
    else
        g_free(e);
    return NULL;
}

void yj_store_close(yj_store_t *st)
{
    if (!st)
        return;
    for (guint i = 0; i < st->readers->len; i++)
        db_close(g_ptr_array_index(st->readers, i));
    g_ptr_array_free(st->readers, TRUE);
    /* A clean close checkpoints the WAL into the main file. */
    db_close(st->writer);
    g_mutex_clear(&st->write_lock);
    g_mutex_clear(&st->readers_lock);
    g_free(st->path);
    g_free(st);
}

yj_db_t *yj_store_reader(yj_store_t *st)
{
    if (tl_reader && tl_store_id == st->id)
        return tl_reader;
    char *e = NULL;
    yj_db_t *db = db_open(st->path, SQLITE_OPEN_READWRITE, &e);
    if (!db) {
        yj_error("store", "%s", e);
        g_free(e);
        return NULL;
    }
    g_mutex_lock(&st->readers_lock);
    g_ptr_array_add(st->readers, db);
    g_mutex_unlock(&st->readers_lock);
    tl_reader = db;
    tl_store_id = st->id;
    return db;
}

int yj_store_write(yj_store_t *st, int (*fn)(yj_db_t *db, void *ud), void *ud)
{
    gint64 t0 = g_get_monotonic_time();
    g_mutex_lock(&st->write_lock);
    char *e = NULL;
    int rc = exec(st->writer, "BEGIN IMMEDIATE", &e);
    if (rc == 0) {
        rc = fn(st->writer, ud);
        if (rc == 0) {
            if (exec(st->writer, "COMMIT", &e)) {
                rc = YJ_EDB;
                exec(st->writer, "ROLLBACK", NULL);
            }
        } else {
            exec(st->writer, "ROLLBACK", NULL);
        }
    }
    g_mutex_unlock(&st->write_lock);
    if (e) {
        yj_error("store", "transaction: %s", e);
        g_free(e);
    }
    yj_histogram_observe(db_latency(), (double)(g_get_monotonic_time() - t0) / 1e6);
    return rc;
}

int yj_store_backup(yj_store_t *st, const char *dest, char **err)
{
    sqlite3 *to = NULL;
    int rc = 0;
    if (sqlite3_open(dest, &to) != SQLITE_OK) {
        *err = g_strdup_printf("cannot open %s: %s", dest, sqlite3_errmsg(to));
        sqlite3_close(to);
        return YJ_EIO;
    }
    /* Copy from a private read connection so writers are never blocked for
     * long: the backup steps in pages and restarts if the source changes. */
    yj_db_t *src = db_open(st->path, SQLITE_OPEN_READONLY, err);
    if (!src) {
        sqlite3_close(to);
        return YJ_EDB;
    }
    sqlite3_backup *b = sqlite3_backup_init(to, "main", src->db, "main");
    if (!b) {
        *err = g_strdup_printf("backup: %s", sqlite3_errmsg(to));
        rc = YJ_EDB;
    } else {
        int s;
        while ((s = sqlite3_backup_step(b, 256)) == SQLITE_OK || s == SQLITE_BUSY ||
               s == SQLITE_LOCKED)
            sqlite3_sleep(5);
        sqlite3_backup_finish(b);
        if (s != SQLITE_DONE) {
            *err = g_strdup_printf("backup: %s", sqlite3_errstr(s));
            rc = YJ_EDB;
        }
    }
    db_close(src);
    sqlite3_close(to);
    return rc;
}

int yj_store_version(yj_store_t *st)
{
    g_mutex_lock(&st->write_lock);
    int v = user_version(st->writer);
    g_mutex_unlock(&st->write_lock);
    return v;
}
