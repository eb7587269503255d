/* SPDX-License-Identifier: Apache-2.0 */
/* test_core.c — config, crypto, store (migrations, transactions, ledger
 * append-only rule) and metrics rendering. */
#include "fixture_store.h"

#include "core/config.h"
#include "core/crypto.h"
#include "core/metrics.h"
#include "core/store.h"
#include "core/yj.h"
#include "signaling/store.h"
#include "vod/store.h"
#include "iptv/store.h"
#include "recordings/store.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static char *write_tmp(const char *text)
{
    char *path = NULL;
    int fd = g_file_open_tmp("yj-conf-XXXXXX.ini", &path, NULL);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void config_defaults_and_types(void **state)
{
    (void)state;
    char *path = write_tmp("[server]\nhttp_port=9000\nthreads=many\n[x]\nflag=true\n");
    char *err = NULL;
    yj_config_t *c = yj_config_load(path, &err);
    assert_non_null(c);
    assert_int_equal(yj_config_int(c, "server", "http_port", 8080), 9000);
    assert_int_equal(yj_config_int(c, "server", "missing", 7), 7);
    assert_true(yj_config_bool(c, "x", "flag", false));
    assert_string_equal(yj_config_string(c, "server", "nope", "dflt"), "dflt");
    assert_int_equal(yj_config_check(c, &err), 0);
    /* A malformed integer falls back to the default but is reported. */
    assert_int_equal(yj_config_int(c, "server", "threads", 3), 3);
    assert_int_equal(yj_config_check(c, &err), YJ_EINVAL);
    assert_non_null(strstr(err, "[server] threads"));
    g_free(err);
    yj_config_set(c, "server", "http_port", "1234");
    assert_int_equal(yj_config_int(c, "server", "http_port", 0), 1234);
    yj_config_free(c);
    yj_config_free(NULL);
    g_unlink(path);
    g_free(path);

    err = NULL;
    assert_null(yj_config_load("/nonexistent/yj.conf", &err));
    assert_non_null(err);
    g_free(err);
}

static void passwords_and_tokens(void **state)
{
    (void)state;
    yj_crypto_set_iterations(1000);
    char *h = yj_password_hash("correct horse");
    assert_non_null(h);
    assert_true(yj_password_verify("correct horse", h));
    assert_false(yj_password_verify("correct horsf", h));
    assert_false(yj_password_verify("x", "garbage"));
    assert_false(yj_password_verify("x", "pbkdf2-sha256$0$AA$AA"));
    char *h2 = yj_password_hash("correct horse");
    assert_string_not_equal(h, h2); /* per-user salt */
    g_free(h);
    g_free(h2);
    char *t1 = yj_random_token(32), *t2 = yj_random_token(32);
    assert_int_equal(strlen(t1), 43);
    assert_string_not_equal(t1, t2);
    g_free(t1);
    g_free(t2);
    char hex[65];
    yj_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(yj_str_equal_ct("abc", "abc"));
    assert_false(yj_str_equal_ct("abc", "abd"));
    assert_false(yj_str_equal_ct("abc", "ab"));
}

typedef struct {
    const char *sql;
    int fail_after;
} tx_t;

static int run_sql(yj_db_t *db, void *ud)
{
    tx_t *t = ud;
    sqlite3_stmt *s = yj_db_stmt(db, t->sql);
    if (!s)
        return YJ_EDB;
    int rc = yj_db_step_done(db, s);
    return rc ? rc : t->fail_after;
}

static void store_transactions_and_ledger(void **state)
{
    (void)state;
    fixture_store_t fs;
    fixture_store_setup(&fs, false);
    yj_store_t *st = fs.st;
    char *err = NULL;
    assert_int_equal(yj_store_version(st), (int)yj_daemon_migrations_count);

    tx_t org = {"INSERT INTO orgs(code, name, path, created_at) VALUES ('1', 'a', '/1/', 0)", 0};
    assert_int_equal(yj_store_write(st, run_sql, &org), 0);
    /* A failing callback rolls its work back. */
    tx_t org2 = {"INSERT INTO orgs(code, name, path, created_at) VALUES ('2', 'b', '/2/', 0)",
                 YJ_EINVAL};
    assert_int_equal(yj_store_write(st, run_sql, &org2), YJ_EINVAL);
    /* Unique key violation maps to YJ_EEXIST. */
    assert_int_equal(yj_store_write(st, run_sql, &org), YJ_EEXIST);

    tx_t mem = {"INSERT INTO members(id_number, name, gender, birth_date, org_id, created_at, "
                "updated_at) VALUES ('11010519491231002X', 'm', 'female', '1949-12-31', 1, 0, 0)",
                0};
    assert_int_equal(yj_store_write(st, run_sql, &mem), 0);
    tx_t credit = {"INSERT INTO ledger(member_id, kind, source_id, minutes, at, by_whom) VALUES "
                   "('11010519491231002X', 'meeting', 'm1', 60, 0, 'test')",
                   0};
    assert_int_equal(yj_store_write(st, run_sql, &credit), 0);
    /* The same event cannot be credited twice… */
    assert_int_equal(yj_store_write(st, run_sql, &credit), YJ_EEXIST);
    /* …and the ledger is append-only. */
    tx_t upd = {"UPDATE ledger SET minutes = 600", 0};
    assert_int_not_equal(yj_store_write(st, run_sql, &upd), 0);
    tx_t del = {"DELETE FROM ledger", 0};
    assert_int_not_equal(yj_store_write(st, run_sql, &del), 0);

    /* One-statement writes with bound parameters. */
    assert_int_equal(yj_store_run(st, 0,
                                  "INSERT INTO orgs(code, name, path, created_at) "
                                  "VALUES (?, ?, ?, ?)",
                                  "sssI", "3", "c", "/3/", (int64_t)7),
                     0);
    assert_int_equal(
        yj_store_run(st, YJ_ENOENT, "UPDATE orgs SET name = ? WHERE code = ?", "ss", "c2", "3"), 0);
    assert_int_equal(yj_store_run(st, YJ_ENOENT, "UPDATE orgs SET name = ? WHERE code = ?", "ss",
                                  "x", "no such org"),
                     YJ_ENOENT);
    assert_int_equal(
        yj_store_run(st, 0, "UPDATE orgs SET name = ? WHERE code = ?", "ss", "x", "no such org"),
        0);
    assert_int_equal(yj_store_run(st, 0,
                                  "INSERT INTO orgs(code, name, path, created_at) "
                                  "VALUES (?, ?, ?, ?)",
                                  "sssI", "3", "dup", "/3b/", (int64_t)7),
                     YJ_EEXIST);
    /* A wrong type letter or too many parameters change nothing. */
    assert_int_equal(yj_store_run(st, 0, "DELETE FROM orgs WHERE code = ?", "q", "3"), YJ_EDB);
    assert_int_equal(yj_store_run(st, 0, "DELETE FROM orgs WHERE code = ?", "sssssssssssssssss",
                                  "3", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
                                  ""),
                     YJ_EDB);
    assert_int_equal(yj_store_run(st, 0, "DELETE FROM orgs WHERE code = ?", "s", "3"), 0);

    yj_db_t *r = yj_store_reader(st);
    /* Reads with bound parameters. */
    sqlite3_stmt *q = yj_db_query(r, "SELECT name FROM orgs WHERE code = ? AND created_at >= ?",
                                  "sI", "1", (int64_t)0);
    assert_non_null(q);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "a");
    sqlite3_reset(q);
    assert_null(yj_db_query(r, "SELECT 1 WHERE ? = 1", "x", 1));
    assert_null(yj_db_query(NULL, "SELECT 1", ""));
    sqlite3_stmt *s = yj_db_stmt(r, "SELECT count(*) FROM orgs WHERE code = '3'");
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 0);
    sqlite3_reset(s);
    s = yj_db_stmt(r, "SELECT count(*), sum(minutes) FROM ledger");
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 1);
    assert_int_equal(sqlite3_column_int(s, 1), 60);
    sqlite3_reset(s);
    s = yj_db_stmt(r, "SELECT count(*) FROM orgs");
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 1);
    sqlite3_reset(s);

    char *copy = g_build_filename(fs.dir, "copy.db", NULL);
    assert_int_equal(yj_store_backup(st, copy, &err), 0);
    yj_store_close(st);
    yj_store_close(NULL);

    /* The copy opens as a complete database at the same version. */
    fs.st = yj_daemon_store_open(copy, &err);
    assert_non_null(fs.st);
    assert_int_equal(yj_store_version(fs.st), (int)yj_daemon_migrations_count);
    r = yj_store_reader(fs.st);
    s = yj_db_stmt(r, "SELECT count(*) FROM ledger");
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), 1);
    sqlite3_reset(s);
    g_free(copy);
    fixture_store_teardown(&fs);
}

/* 1 if table exists in st's schema, else 0. */
static int has_table(yj_store_t *st, const char *table)
{
    sqlite3_stmt *s = yj_db_query(yj_store_reader(st),
                                  "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                  "AND name = ?",
                                  "s", table);
    assert_non_null(s);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int n = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    return n;
}

/* The daemon's list keeps the on-disk numbering of the releases before
 * the subsystems owned their migrations (1 records, 2 meetings, 3 vod); a
 * database made by an older list is brought forward by the newer one and
 * only by the migrations it lacks; a database newer than the list is
 * refused and left alone. */
static void store_migrations_in_order(void **state)
{
    (void)state;
    assert_int_equal(yj_daemon_migrations_count, 9);
    assert_ptr_equal(yj_daemon_migrations[0], &yj_records_migrations[0]);
    assert_ptr_equal(yj_daemon_migrations[1], &yj_signaling_migrations[0]);
    assert_ptr_equal(yj_daemon_migrations[2], &yj_vod_migrations[0]);
    assert_ptr_equal(yj_daemon_migrations[3], &yj_iptv_migrations[0]);
    assert_ptr_equal(yj_daemon_migrations[4], &yj_records_migrations[1]);
    assert_ptr_equal(yj_daemon_migrations[5], &yj_vod_migrations[1]);
    assert_ptr_equal(yj_daemon_migrations[6], &yj_records_migrations[2]);
    assert_ptr_equal(yj_daemon_migrations[7], &yj_recordings_migrations[0]);
    assert_ptr_equal(yj_daemon_migrations[8], &yj_vod_migrations[2]);
    assert_non_null(strstr(yj_daemon_migrations[1]->name, "meetings"));
    assert_non_null(strstr(yj_daemon_migrations[2]->name, "vod"));

    fixture_store_t fs;
    fixture_store_setup(&fs, false);
    yj_store_close(fs.st);
    g_unlink(fs.path);
    char *err = NULL;
    /* An older build: records and meetings only. */
    fs.st = yj_store_open(fs.path, yj_daemon_migrations, 2, &err);
    assert_non_null(fs.st);
    assert_int_equal(yj_store_version(fs.st), 2);
    assert_int_equal(has_table(fs.st, "meetings"), 1);
    assert_int_equal(has_table(fs.st, "vod_lessons"), 0);
    assert_int_equal(yj_store_run(fs.st, 0,
                                  "INSERT INTO orgs(code, name, path, created_at) "
                                  "VALUES ('1', 'a', '/1/', 0)",
                                  ""),
                     0);
    yj_store_close(fs.st);
    /* This build adds the rest and keeps the rows. */
    fs.st = yj_daemon_store_open(fs.path, &err);
    assert_non_null(fs.st);
    assert_int_equal(yj_store_version(fs.st), (int)yj_daemon_migrations_count);
    assert_int_equal(has_table(fs.st, "vod_lessons"), 1);
    assert_int_equal(has_table(fs.st, "orgs"), 1);
    yj_store_close(fs.st);
    /* A build that knows fewer migrations than the file refuses it. */
    fs.st = yj_store_open(fs.path, yj_daemon_migrations, 1, &err);
    assert_null(fs.st);
    assert_non_null(strstr(err, "newer"));
    g_free(err);
    err = NULL;
    fs.st = yj_daemon_store_open(fs.path, &err);
    assert_non_null(fs.st);
    assert_int_equal(yj_store_version(fs.st), (int)yj_daemon_migrations_count);
    fixture_store_teardown(&fs);
}

static void metrics_render(void **state)
{
    (void)state;
    yj_counter_t *c = yj_metrics_counter("yj_test_total{kind=\"a\"}", "test counter");
    yj_counter_add(c, 3);
    assert_ptr_equal(c, yj_metrics_counter("yj_test_total{kind=\"a\"}", "test counter"));
    const double b[] = {1, 10};
    yj_histogram_t *h = yj_metrics_histogram("yj_test_seconds", "test histogram", b, 2);
    yj_histogram_observe(h, 0.5);
    yj_histogram_observe(h, 5);
    yj_histogram_observe(h, 50);
    char *text = yj_metrics_render();
    assert_non_null(strstr(text, "# TYPE yj_test_total counter\n"));
    assert_non_null(strstr(text, "yj_test_total{kind=\"a\"} 3\n"));
    assert_non_null(strstr(text, "yj_test_seconds_bucket{le=\"1\"} 1\n"));
    assert_non_null(strstr(text, "yj_test_seconds_bucket{le=\"10\"} 2\n"));
    assert_non_null(strstr(text, "yj_test_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(text, "yj_test_seconds_count 3\n"));
    g_free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_defaults_and_types),
        cmocka_unit_test(passwords_and_tokens),
        cmocka_unit_test(store_transactions_and_ledger),
        cmocka_unit_test(store_migrations_in_order),
        cmocka_unit_test(metrics_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
