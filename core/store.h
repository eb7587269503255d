/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h — the SQLite store: opening, migrations, connections, backup.
 *
 * One file database in WAL mode with foreign keys on. Writes go through a
 * single connection behind a mutex (yj_store_write runs a callback inside
 * BEGIN IMMEDIATE … COMMIT); reads use one connection per thread, opened
 * lazily. Statements are prepared once per connection and cached by their
 * SQL text pointer (pass string literals), so no SQL is ever built by
 * pasting values. Only store*.c files (any folder) include sqlite3.h: this header
 * names sqlite3 and sqlite3_stmt but does not declare the API, so a file
 * that is not a store file cannot call it (scripts/check-layering.sh).
 *
 * The schema belongs to the subsystems: each exports its migrations
 * (core/store_records.h: yj_records_migrations, signaling/store.h,
 * vod/store.h) and the daemon passes the ordered list to yj_store_open
 * (daemon/migrations.c). The domain modules (core/store_records.c,
 * signaling/store.c, vod/store.c, …) are thin functions over these
 * primitives; their prototypes live in their own headers.
 */
#ifndef YJ_STORE_H
#define YJ_STORE_H

#include <stddef.h>
#include <stdint.h>

/* SQLite's handles, opaque here (C11 allows the same typedef twice). */
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

typedef struct yj_store yj_store_t;
typedef struct yj_db yj_db_t; /* a connection plus its statement cache */

/* One schema migration, exported by the subsystem that owns its tables. */
typedef struct {
    const char *name;
    const char *sql; /* may hold several statements */
} yj_migration_t;

/* Opens (creating if needed) the database at path and applies pending
 * migrations, each in its own transaction. migrations[i] (0-based) brings
 * the schema to version i+1 (PRAGMA user_version): the list is append-only
 * across releases, whichever subsystem a new migration belongs to. The
 * list is borrowed for the call only. NULL on failure with *err set
 * (caller g_free()s), also when the database is newer than n. */
yj_store_t *yj_store_open(const char *path, const yj_migration_t *const *migrations, size_t n,
                          char **err);
/* Closes every connection. NULL-safe. No other thread may use the store. */
void yj_store_close(yj_store_t *st);

/* The calling thread's read connection (owned by the store). */
yj_db_t *yj_store_reader(yj_store_t *st);

/* Runs fn(db, ud) on the write connection inside BEGIN IMMEDIATE. A return
 * of 0 commits, anything else rolls back; the value is passed through. If
 * COMMIT itself fails, returns YJ_EDB. Calls may nest on the same thread
 * only through the db handle they were given, not by calling again. */
int yj_store_write(yj_store_t *st, int (*fn)(yj_db_t *db, void *ud), void *ud);

/* A prepared statement from db's cache, reset and with bindings cleared.
 * sql must be a string with static lifetime (its address is the key).
 * NULL on a prepare error (logged). Do not finalize the result. */
sqlite3_stmt *yj_db_stmt(yj_db_t *db, const char *sql);
/* Runs a statement that returns no rows, once; returns 0, YJ_EEXIST for a
 * constraint violation (unique / check / foreign key), or YJ_EDB. */
int yj_db_step_done(yj_db_t *db, sqlite3_stmt *stmt);
/* The raw handle, for sqlite3_changes / last_insert_rowid / errmsg. */
sqlite3 *yj_db_handle(yj_db_t *db);

/* One statement that returns no rows, with its parameters bound in order
 * from the arguments as `types` says: 's' text (const char *, NULL binds
 * NULL), 'I' int64_t (cast literals: (int64_t)0), 'i' int, 'd' double; at
 * most 16. sql as for yj_db_stmt. Returns what yj_db_step_done does, or
 * YJ_EDB when it cannot be prepared or types is wrong. */
int yj_db_run(yj_db_t *db, const char *sql, const char *types, ...);
/* The read side: sql from the cache with its parameters bound as for
 * yj_db_run, ready for sqlite3_step (reset it when done, do not
 * finalize); NULL when db is NULL, sql cannot be prepared or types is
 * wrong. */
sqlite3_stmt *yj_db_query(yj_db_t *db, const char *sql, const char *types, ...);
/* As yj_db_run, in a write transaction of its own (yj_store_write). When
 * the statement changed no row, returns if_none (0 when that is fine). */
int yj_store_run(yj_store_t *st, int if_none, const char *sql, const char *types, ...);

/* Online copy to dest with the SQLite backup API; safe while serving. */
int yj_store_backup(yj_store_t *st, const char *dest, char **err);

/* Schema version after migrations (PRAGMA user_version). */
int yj_store_version(yj_store_t *st);

/* Time now in Unix seconds (wrapped so tests can see one clock). */
int64_t yj_now(void);

#endif
