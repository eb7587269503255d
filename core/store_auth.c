/* SPDX-License-Identifier: Apache-2.0 */
/* store_auth.c — SQL for administrators, sessions and sign-in codes.
 * Never stores or returns a secret: rows are keyed by SHA-256 hashes, and
 * a session is shown to its owner by the first 16 hex digits of its hash. */
#include "store_auth.h"
#include "store_records.h"
#include "yj.h"

#include <glib.h>
#include <sqlite3.h>
#include <string.h>

static void copy_text(char *dst, size_t n, const unsigned char *src)
{
    g_strlcpy(dst, src ? (const char *)src : "", n);
}

typedef struct {
    const char *username, *hash, *org_code;
} admin_add_t;

static int admin_add_tx(yj_db_t *db, void *ud)
{
    admin_add_t *a = ud;
    yj_org_t org;
    int rc = yj_org_by_code(db, a->org_code, NULL, &org);
    if (rc)
        return rc;
    sqlite3_stmt *s =
        yj_db_stmt(db, "INSERT INTO admins(username, password_hash, org_id, created_at) "
                       "VALUES (?, ?, ?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, a->username, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, a->hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, org.id);
    sqlite3_bind_int64(s, 4, yj_now());
    return yj_db_step_done(db, s);
}

int yj_store_admin_add(yj_store_t *st, const char *username, const char *password_hash,
                       const char *org_code)
{
    admin_add_t a = {username, password_hash, org_code};
    return yj_store_write(st, admin_add_tx, &a);
}

typedef struct {
    const char *username, *name;
} admin_name_t;

static int admin_name_tx(yj_db_t *db, void *ud)
{
    admin_name_t *a = ud;
    int rc = yj_db_run(db, "UPDATE admins SET name = ? WHERE username = ?", "ss", a->name,
                       a->username);
    if (rc == 0 && sqlite3_changes(yj_db_handle(db)) == 0)
        rc = YJ_ENOENT;
    return rc;
}

int yj_store_admin_set_name(yj_store_t *st, const char *username, const char *name)
{
    glong n = name && g_utf8_validate(name, -1, NULL) ? g_utf8_strlen(name, -1) : 0;
    if (n < 1 || n > 64)
        return YJ_EINVAL;
    admin_name_t a = {username, name};
    return yj_store_write(st, admin_name_tx, &a);
}

int yj_store_admin_find(yj_store_t *st, const char *username, yj_principal_t *p, char **hash_out)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = db ? yj_db_stmt(db, "SELECT a.id, a.username, a.password_hash, a.org_id, "
                                          "o.path FROM admins a JOIN orgs o ON o.id = a.org_id "
                                          "WHERE a.username = ?")
                         : NULL;
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, username, -1, SQLITE_TRANSIENT);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        memset(p, 0, sizeof *p);
        p->kind = YJ_PRINCIPAL_ADMIN;
        p->admin_id = sqlite3_column_int64(s, 0);
        copy_text(p->username, sizeof p->username, sqlite3_column_text(s, 1));
        copy_text(p->name, sizeof p->name, sqlite3_column_text(s, 1));
        if (hash_out)
            *hash_out = g_strdup((const char *)sqlite3_column_text(s, 2));
        p->org_id = sqlite3_column_int64(s, 3);
        copy_text(p->org_path, sizeof p->org_path, sqlite3_column_text(s, 4));
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

static void member_row(sqlite3_stmt *s, int col, yj_principal_t *p)
{
    memset(p, 0, sizeof *p);
    p->kind = YJ_PRINCIPAL_MEMBER;
    copy_text(p->member_id, sizeof p->member_id, sqlite3_column_text(s, col));
    copy_text(p->username, sizeof p->username, sqlite3_column_text(s, col));
    copy_text(p->name, sizeof p->name, sqlite3_column_text(s, col + 1));
    p->org_id = sqlite3_column_int64(s, col + 2);
    copy_text(p->org_path, sizeof p->org_path, sqlite3_column_text(s, col + 3));
}

int yj_store_member_find(yj_store_t *st, const char *id_number, yj_principal_t *p, char **hash_out)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = db ? yj_db_stmt(db, "SELECT m.id_number, m.name, m.org_id, o.path, "
                                          "m.password_hash FROM members m "
                                          "JOIN orgs o ON o.id = m.org_id WHERE m.id_number = ?")
                         : NULL;
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, id_number, -1, SQLITE_TRANSIENT);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        member_row(s, 0, p);
        if (hash_out)
            *hash_out = sqlite3_column_type(s, 4) == SQLITE_NULL
                            ? NULL
                            : g_strdup((const char *)sqlite3_column_text(s, 4));
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

typedef struct {
    const char *id, *hash;
} pw_t;

static int set_pw_tx(yj_db_t *db, void *ud)
{
    pw_t *a = ud;
    sqlite3_stmt *s =
        yj_db_stmt(db, "UPDATE members SET password_hash = ?, updated_at = ? WHERE id_number = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, a->hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, yj_now());
    sqlite3_bind_text(s, 3, a->id, -1, SQLITE_TRANSIENT);
    int rc = yj_db_step_done(db, s);
    if (rc == 0 && sqlite3_changes(yj_db_handle(db)) == 0)
        rc = YJ_ENOENT;
    return rc;
}

int yj_store_member_set_password(yj_store_t *st, const char *id_number, const char *hash)
{
    pw_t a = {id_number, hash};
    return yj_store_write(st, set_pw_tx, &a);
}

typedef struct {
    const char *token_hash, *kind, *label;
    const yj_principal_t *p;
    int64_t expires_at;
    const char *parent, *peer, *ua;
} sess_t;

static void bind_opt(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static int session_add_tx(yj_db_t *db, void *ud)
{
    sess_t *a = ud;
    sqlite3_stmt *s =
        yj_db_stmt(db, "INSERT INTO sessions(token_hash, kind, admin_id, member_id, label, "
                       "created_at, expires_at, parent, peer, user_agent) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, a->token_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, a->kind, -1, SQLITE_TRANSIENT);
    if (a->p->kind == YJ_PRINCIPAL_ADMIN)
        sqlite3_bind_int64(s, 3, a->p->admin_id);
    else
        sqlite3_bind_text(s, 4, a->p->member_id, -1, SQLITE_TRANSIENT);
    if (a->label)
        sqlite3_bind_text(s, 5, a->label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 6, yj_now());
    sqlite3_bind_int64(s, 7, a->expires_at);
    bind_opt(s, 8, a->parent);
    bind_opt(s, 9, a->peer);
    bind_opt(s, 10, a->ua);
    return yj_db_step_done(db, s);
}

int yj_store_session_add(yj_store_t *st, const char *token_hash, const char *kind,
                         const yj_principal_t *p, const char *label, int64_t expires_at)
{
    return yj_store_session_add_full(st, token_hash, kind, p, label, expires_at, NULL, NULL, NULL);
}

int yj_store_session_add_full(yj_store_t *st, const char *token_hash, const char *kind,
                              const yj_principal_t *p, const char *label, int64_t expires_at,
                              const char *parent, const char *peer, const char *user_agent)
{
    sess_t a = {token_hash, kind, label, p, expires_at, parent, peer, user_agent};
    return yj_store_write(st, session_add_tx, &a);
}

/* "the account's rows": admin_id = ? or member_id = ?, bound at index i. */
static void bind_owner(sqlite3_stmt *s, int i, const yj_principal_t *p)
{
    if (p->kind == YJ_PRINCIPAL_ADMIN)
        sqlite3_bind_int64(s, i, p->admin_id);
    else
        sqlite3_bind_text(s, i + 1, p->member_id, -1, SQLITE_TRANSIENT);
}

static int tree_del_tx(yj_db_t *db, void *ud)
{
    sqlite3_stmt *s = yj_db_stmt(db, "DELETE FROM sessions WHERE token_hash = ?1 OR parent = ?1");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, ud, -1, SQLITE_TRANSIENT);
    return yj_db_step_done(db, s);
}

int yj_store_session_delete_tree(yj_store_t *st, const char *token_hash)
{
    return yj_store_write(st, tree_del_tx, (void *)token_hash);
}

json_t *yj_store_sessions_list(yj_store_t *st, const yj_principal_t *p, const char *current_hash)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s =
        db ? yj_db_stmt(db, "SELECT token_hash, kind, label, created_at, expires_at, peer, "
                            "user_agent FROM sessions WHERE (admin_id = ?1 OR member_id = ?2) "
                            "AND expires_at > ?3 ORDER BY created_at DESC, token_hash LIMIT 500")
           : NULL;
    if (!s)
        return NULL;
    bind_owner(s, 1, p);
    sqlite3_bind_int64(s, 3, yj_now());
    json_t *a = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(s, 0);
        char id[17];
        g_strlcpy(id, h ? h : "", sizeof id);
        json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:b}", "id", id, "kind",
                              (const char *)sqlite3_column_text(s, 1), "created_at",
                              (json_int_t)sqlite3_column_int64(s, 3), "expires_at",
                              (json_int_t)sqlite3_column_int64(s, 4), "current",
                              current_hash && h && strcmp(h, current_hash) == 0);
        static const struct {
            int col;
            const char *name;
        } opt[] = {{2, "label"}, {5, "peer"}, {6, "user_agent"}};
        for (size_t i = 0; i < G_N_ELEMENTS(opt); i++) {
            const unsigned char *t = sqlite3_column_text(s, opt[i].col);
            json_object_set_new(o, opt[i].name, t ? json_string((const char *)t) : json_null());
        }
        json_array_append_new(a, o);
    }
    sqlite3_reset(s);
    return a;
}

typedef struct {
    const yj_principal_t *p;
    const char *id, *keep;
    int n;
} owner_op_t;

static int revoke_tx(yj_db_t *db, void *ud)
{
    owner_op_t *o = ud;
    if (strlen(o->id) != 16 || strspn(o->id, "0123456789abcdef") != 16)
        return YJ_ENOENT;
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT token_hash FROM sessions WHERE substr(token_hash, "
                                     "1, 16) = ?3 AND (admin_id = ?1 OR member_id = ?2)");
    if (!s)
        return YJ_EDB;
    bind_owner(s, 1, o->p);
    sqlite3_bind_text(s, 3, o->id, -1, SQLITE_TRANSIENT);
    GPtrArray *hashes = g_ptr_array_new_with_free_func(g_free);
    while (sqlite3_step(s) == SQLITE_ROW)
        g_ptr_array_add(hashes, g_strdup((const char *)sqlite3_column_text(s, 0)));
    sqlite3_reset(s);
    int rc = hashes->len ? 0 : YJ_ENOENT;
    for (guint i = 0; rc == 0 && i < hashes->len; i++)
        rc = tree_del_tx(db, hashes->pdata[i]);
    g_ptr_array_free(hashes, TRUE);
    return rc;
}

int yj_store_session_revoke(yj_store_t *st, const yj_principal_t *p, const char *id)
{
    owner_op_t o = {p, id, NULL, 0};
    return yj_store_write(st, revoke_tx, &o);
}

static int end_all_tx(yj_db_t *db, void *ud)
{
    owner_op_t *o = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "DELETE FROM sessions WHERE (admin_id = ?1 OR member_id = ?2) "
                                     "AND token_hash IS NOT ?3");
    if (!s)
        return YJ_EDB;
    bind_owner(s, 1, o->p);
    bind_opt(s, 3, o->keep);
    int rc = yj_db_step_done(db, s);
    o->n = rc == 0 ? sqlite3_changes(yj_db_handle(db)) : 0;
    return rc;
}

int yj_store_sessions_end_all(yj_store_t *st, const yj_principal_t *p, const char *keep_hash,
                              int *ended)
{
    owner_op_t o = {p, NULL, keep_hash, 0};
    int rc = yj_store_write(st, end_all_tx, &o);
    if (ended)
        *ended = o.n;
    return rc;
}

typedef struct {
    int64_t id;
    const char *hash;
} admin_pw_t;

static int admin_pw_tx(yj_db_t *db, void *ud)
{
    admin_pw_t *a = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "UPDATE admins SET password_hash = ? WHERE id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, a->hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, a->id);
    int rc = yj_db_step_done(db, s);
    if (rc == 0 && sqlite3_changes(yj_db_handle(db)) == 0)
        rc = YJ_ENOENT;
    return rc;
}

int yj_store_admin_set_password(yj_store_t *st, int64_t admin_id, const char *hash)
{
    admin_pw_t a = {admin_id, hash};
    return yj_store_write(st, admin_pw_tx, &a);
}

typedef struct {
    int64_t now;
    int n;
} purge_t;

static int purge_tx(yj_db_t *db, void *ud)
{
    purge_t *u = ud;
    /* Sign-in codes stay: who issued which, and when it was used, is an
     * audit trail. */
    static const char *const sqls[] = {
        "DELETE FROM sessions WHERE expires_at <= ?",
    };
    u->n = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(sqls); i++) {
        sqlite3_stmt *s = yj_db_stmt(db, sqls[i]);
        if (!s)
            return YJ_EDB;
        sqlite3_bind_int64(s, 1, u->now);
        int rc = yj_db_step_done(db, s);
        if (rc)
            return rc;
        u->n += sqlite3_changes(yj_db_handle(db));
    }
    return 0;
}

int yj_store_auth_purge(yj_store_t *st, int64_t now, int *n)
{
    purge_t u = {now, 0};
    int rc = yj_store_write(st, purge_tx, &u);
    if (n)
        *n = u.n;
    return rc;
}

int yj_store_session_get(yj_store_t *st, const char *token_hash, yj_principal_t *p)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = db ? yj_db_stmt(db, "SELECT s.admin_id, a.username, a.org_id, ao.path, "
                                          "m.id_number, m.name, m.org_id, mo.path FROM sessions s "
                                          "LEFT JOIN admins a ON a.id = s.admin_id "
                                          "LEFT JOIN orgs ao ON ao.id = a.org_id "
                                          "LEFT JOIN members m ON m.id_number = s.member_id "
                                          "LEFT JOIN orgs mo ON mo.id = m.org_id "
                                          "WHERE s.token_hash = ? AND s.expires_at > ?")
                         : NULL;
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, token_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, yj_now());
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
            memset(p, 0, sizeof *p);
            p->kind = YJ_PRINCIPAL_ADMIN;
            p->admin_id = sqlite3_column_int64(s, 0);
            copy_text(p->username, sizeof p->username, sqlite3_column_text(s, 1));
            copy_text(p->name, sizeof p->name, sqlite3_column_text(s, 1));
            p->org_id = sqlite3_column_int64(s, 2);
            copy_text(p->org_path, sizeof p->org_path, sqlite3_column_text(s, 3));
        } else {
            member_row(s, 4, p);
        }
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

static int session_del_tx(yj_db_t *db, void *ud)
{
    sqlite3_stmt *s = yj_db_stmt(db, "DELETE FROM sessions WHERE token_hash = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, ud, -1, SQLITE_TRANSIENT);
    return yj_db_step_done(db, s);
}

int yj_store_session_delete(yj_store_t *st, const char *token_hash)
{
    return yj_store_write(st, session_del_tx, (void *)token_hash);
}

typedef struct {
    const char *code_hash, *member_id;
    int64_t issued_by, expires_at;
    yj_principal_t *p;
} code_t;

static int code_add_tx(yj_db_t *db, void *ud)
{
    code_t *a = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "INSERT INTO login_codes(code_hash, member_id, issued_by, "
                                     "expires_at) VALUES (?, ?, ?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, a->code_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, a->member_id, -1, SQLITE_TRANSIENT);
    if (a->issued_by)
        sqlite3_bind_int64(s, 3, a->issued_by);
    sqlite3_bind_int64(s, 4, a->expires_at);
    return yj_db_step_done(db, s);
}

int yj_store_login_code_add(yj_store_t *st, const char *code_hash, const char *member_id,
                            int64_t issued_by, int64_t expires_at)
{
    code_t a = {code_hash, member_id, issued_by, expires_at, NULL};
    return yj_store_write(st, code_add_tx, &a);
}

static int code_use_tx(yj_db_t *db, void *ud)
{
    code_t *a = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "UPDATE login_codes SET used_at = ? WHERE code_hash = ? "
                                     "AND used_at IS NULL AND expires_at > ? "
                                     "RETURNING member_id");
    if (!s)
        return YJ_EDB;
    int64_t now = yj_now();
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_text(s, 2, a->code_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, now);
    char member[19] = "";
    if (sqlite3_step(s) == SQLITE_ROW)
        copy_text(member, sizeof member, sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    if (!member[0])
        return YJ_ENOENT;
    s = yj_db_stmt(db, "SELECT m.id_number, m.name, m.org_id, o.path FROM members m "
                       "JOIN orgs o ON o.id = m.org_id WHERE m.id_number = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, member, -1, SQLITE_TRANSIENT);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        member_row(s, 0, a->p);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

int yj_store_login_code_use(yj_store_t *st, const char *code_hash, yj_principal_t *p)
{
    code_t a = {code_hash, NULL, 0, 0, p};
    return yj_store_write(st, code_use_tx, &a);
}

int yj_store_org_path(yj_store_t *st, int64_t org_id, char *buf, size_t n)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = db ? yj_db_stmt(db, "SELECT path FROM orgs WHERE id = ?") : NULL;
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, org_id);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        copy_text(buf, n, sqlite3_column_text(s, 0));
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}
