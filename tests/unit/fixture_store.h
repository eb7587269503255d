/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fixture_store.h — the cmocka fixture every store test shares: a fresh
 * database in a new temporary folder with the whole schema (the daemon's
 * migration list, daemon/migrations.h), optionally the demo data, and a
 * teardown that closes it and removes the folder with everything in it
 * (WAL, backups a test made there).
 *
 * Header-only (static functions) so that each test_*.c stays one program.
 * Tests are the one place besides the store*.c files allowed to use SQLite's API:
 * they assert on rows directly. This header brings sqlite3.h in for them;
 * scripts/check-layering.sh exempts it by name and nothing else in tests/.
 */
#ifndef YJ_FIXTURE_STORE_H
#define YJ_FIXTURE_STORE_H

/* cmocka.h must come first in the test (it needs these). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/crypto.h"
#include "core/demo.h"
#include "core/store.h"
#include "core/store_records.h"
#include "core/yj.h"
#include "daemon/migrations.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdbool.h>

typedef struct {
    char *dir;      /* the temporary folder (owned) */
    char *path;     /* dir/t.db (owned) */
    yj_store_t *st; /* open store (owned) */
} fixture_store_t;

/* Opens fs->st on a new file with every migration; with demo, loads the
 * demo organisation (tree 330100…, admins, members, credits). Fails the
 * test on any error. Password hashing is made cheap for tests. */
static inline void fixture_store_setup(fixture_store_t *fs, bool demo)
{
    yj_crypto_set_iterations(1000);
    fs->dir = g_dir_make_tmp("yj-test-XXXXXX", NULL);
    assert_non_null(fs->dir);
    fs->path = g_build_filename(fs->dir, "t.db", NULL);
    char *err = NULL;
    fs->st = yj_daemon_store_open(fs->path, &err);
    if (!fs->st)
        fail_msg("store: %s", err ? err : "?");
    if (demo)
        assert_int_equal(yj_demo_seed(fs->st, &err), 1);
}

/* Closes the store and removes the folder and every file in it. */
static inline void fixture_store_teardown(fixture_store_t *fs)
{
    yj_store_close(fs->st);
    fs->st = NULL;
    GDir *d = fs->dir ? g_dir_open(fs->dir, 0, NULL) : NULL;
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(fs->dir, n, NULL);
        g_unlink(p);
    }
    if (d)
        g_dir_close(d);
    if (fs->dir)
        g_rmdir(fs->dir);
    g_free(fs->path);
    g_free(fs->dir);
    fs->path = fs->dir = NULL;
}

/* Adds a bare member (no password) to the org with this code. */
static inline void fixture_store_add_member(fixture_store_t *fs, const char *id_number,
                                            const char *name, const char *org_code, bool migrant)
{
    yj_org_t org;
    assert_int_equal(yj_store_org_get(fs->st, org_code, NULL, &org), 0);
    assert_int_equal(yj_store_run(fs->st, 0,
                                  "INSERT INTO members(id_number, name, gender, birth_date, "
                                  "org_id, migrant, created_at, updated_at) "
                                  "VALUES (?, ?, 'male', '1990-01-01', ?, ?, 0, 0)",
                                  "ssIi", id_number, name, org.id, migrant ? 1 : 0),
                     0);
}

#endif
