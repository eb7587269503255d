/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c — sign-in routes, the auth hook and the failed-attempt limiter.
 *
 * The limiter keeps, per account and per peer address, the failures in the
 * last 15 minutes; past a free allowance (5 per account, 30 per address)
 * the next attempt must wait 2^(n-free) seconds (capped at 15 minutes) and gets 429 with Retry-After until then. A success clears
 * the account's record. State is in memory: a restart forgets it, which
 * only ever makes the server more lenient, never locks anyone out.
 */
#include "auth.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/store_auth.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

#define FAIL_WINDOW 900
#define FAIL_FREE_ACCOUNT 5
/* Many members share one address behind a village station's NAT, so an
 * address gets more free failures than an account. */
#define FAIL_FREE_ADDRESS 30
#define SESSION_TTL (7 * 24 * 3600)

typedef struct {
    int failures;
    int64_t first, next_allowed;
} attempt_t;

/* The sign-in limiter's state; one per portal (yj_auth_new). */
struct yj_auth {
    yj_app_t *app;        /* borrowed */
    GMutex lock;          /* guards attempts */
    GHashTable *attempts; /* "acct:NAME" / "addr:IP" -> attempt_t* (owned) */
};

static int64_t limiter_wait(yj_auth_t *A, const char *key)
{
    int64_t now = g_get_real_time() / G_USEC_PER_SEC, wait = 0;
    g_mutex_lock(&A->lock);
    attempt_t *a = g_hash_table_lookup(A->attempts, key);
    if (a && now - a->first > FAIL_WINDOW)
        g_hash_table_remove(A->attempts, key);
    else if (a && a->next_allowed > now)
        wait = a->next_allowed - now;
    g_mutex_unlock(&A->lock);
    return wait;
}

static void limiter_fail(yj_auth_t *A, const char *key, int free_failures)
{
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;
    g_mutex_lock(&A->lock);
    if (g_hash_table_size(A->attempts) > 100000)
        g_hash_table_remove_all(A->attempts); /* bounded memory under a spray */
    attempt_t *a = g_hash_table_lookup(A->attempts, key);
    if (!a || now - a->first > FAIL_WINDOW) {
        a = g_new0(attempt_t, 1);
        a->first = now;
        g_hash_table_replace(A->attempts, g_strdup(key), a);
    }
    a->failures++;
    if (a->failures >= free_failures) {
        int shift = a->failures - free_failures;
        int64_t d = shift >= 10 ? FAIL_WINDOW : (int64_t)1 << shift;
        a->next_allowed = now + (d > FAIL_WINDOW ? FAIL_WINDOW : d);
    }
    g_mutex_unlock(&A->lock);
}

static void limiter_clear(yj_auth_t *A, const char *key)
{
    g_mutex_lock(&A->lock);
    g_hash_table_remove(A->attempts, key);
    g_mutex_unlock(&A->lock);
}

/* ------------------------------------------------------------------ */

static void auth_hook(yj_req_t *req, yj_principal_t *out, void *ud)
{
    yj_app_t *app = ud;
    const char *token = NULL;
    const char *h = yj_req_header(req, "Authorization");
    if (h && g_ascii_strncasecmp(h, "Bearer ", 7) == 0)
        token = h + 7;
    else
        token = yj_req_cookie(req, "yj_session");
    if (!token || !*token || strlen(token) > 128)
        return;
    char hash[65];
    yj_sha256_hex(token, strlen(token), hash);
    if (yj_store_session_get(app->store, hash, out) != 0)
        memset(out, 0, sizeof *out);
}

char *yj_auth_issue(yj_app_t *app, const yj_principal_t *p, const char *kind, const char *label,
                    int64_t ttl_seconds)
{
    char *token = yj_random_token(32);
    if (!token)
        return NULL;
    char hash[65];
    yj_sha256_hex(token, strlen(token), hash);
    if (yj_store_session_add(app->store, hash, kind, p, label, yj_now() + ttl_seconds) != 0) {
        g_free(token);
        return NULL;
    }
    return token;
}

bool yj_auth_can_see_member(const yj_principal_t *p, const char *member_id,
                            const char *member_org_path)
{
    if (p->kind == YJ_PRINCIPAL_ADMIN)
        return yj_path_within(p->org_path, member_org_path);
    if (p->kind == YJ_PRINCIPAL_MEMBER)
        return strcmp(p->member_id, member_id) == 0;
    return false;
}

static json_t *principal_json(const yj_principal_t *p)
{
    json_t *j = json_pack("{s:s,s:s,s:I}", "kind",
                          p->kind == YJ_PRINCIPAL_ADMIN ? "admin" : "member", "name", p->name,
                          "org_id", (json_int_t)p->org_id);
    if (p->kind == YJ_PRINCIPAL_ADMIN)
        json_object_set_new(j, "username", json_string(p->username));
    else
        json_object_set_new(j, "id_number", json_string(p->member_id));
    return j;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int too_many(yj_req_t *req, int64_t wait)
{
    char s[32];
    g_snprintf(s, sizeof s, "%" G_GINT64_FORMAT, wait);
    yj_req_add_header(req, "Retry-After", s);
    return yj_req_reply_error(req, 429, "rate_limited", NULL,
                              "too many failed sign-ins; try again in %s seconds", s);
}

/* POST /api/v1/session */
static int session_create(yj_req_t *req, void *ud)
{
    yj_auth_t *A = ud;
    yj_app_t *app = A->app;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    const char *username = jstr(b, "username"), *id_number = jstr(b, "id_number");
    const char *password = jstr(b, "password"), *code = jstr(b, "code");
    const char *account = username ? username : id_number;
    if (!account || !*account)
        return yj_req_reply_error(req, 400, "missing_field", "username",
                                  "give username (administrator) or id_number (member)");
    if (!password && !code)
        return yj_req_reply_error(req, 400, "missing_field", "password",
                                  "give password (or code for a member)");
    char acct_key[128], addr_key[96];
    g_snprintf(acct_key, sizeof acct_key, "acct:%s", account);
    g_snprintf(addr_key, sizeof addr_key, "addr:%s", yj_req_peer(req));
    int64_t wait = MAX(limiter_wait(A, acct_key), limiter_wait(A, addr_key));
    if (wait > 0)
        return too_many(req, wait);

    yj_principal_t p;
    bool ok = false;
    char *hash = NULL;
    if (username) {
        ok = yj_store_admin_find(app->store, username, &p, &hash) == 0 &&
             yj_password_verify(password ? password : "", hash);
    } else if (code) {
        char ch[65];
        g_autofree char *material = g_strdup_printf("%s:%s", id_number, code);
        yj_sha256_hex(material, strlen(material), ch);
        ok = yj_store_login_code_use(app->store, ch, &p) == 0;
    } else {
        ok = yj_store_member_find(app->store, id_number, &p, &hash) == 0 && hash &&
             yj_password_verify(password, hash);
    }
    g_free(hash);
    if (!ok) {
        limiter_fail(A, acct_key, FAIL_FREE_ACCOUNT);
        limiter_fail(A, addr_key, FAIL_FREE_ADDRESS);
        yj_info("auth", "failed sign-in for %s from %s", account, yj_req_peer(req));
        return yj_req_reply_error(req, 401, "bad_credentials", NULL,
                                  "wrong account, password or code");
    }
    limiter_clear(A, acct_key);
    char *token = yj_auth_issue(app, &p, "session", NULL, SESSION_TTL);
    if (!token)
        return YJ_EDB;
    char cookie[256];
    g_snprintf(cookie, sizeof cookie,
               "yj_session=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax", token, SESSION_TTL);
    yj_req_add_header(req, "Set-Cookie", cookie);
    json_t *out = principal_json(&p);
    json_object_set_new(out, "token", json_string(token));
    g_free(token);
    return yj_req_reply_json(req, 201, out);
}

/* GET /api/v1/session */
static int session_get(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    json_t *j = principal_json(yj_req_principal(req));
    /* The zone pages show times in ([portal] time_zone; times are UTC). */
    json_object_set_new(
        j, "time_zone",
        json_string(yj_config_string(app->cfg, "portal", "time_zone", "Asia/Shanghai")));
    return yj_req_reply_json(req, 200, j);
}

static const char *request_token(yj_req_t *req)
{
    const char *h = yj_req_header(req, "Authorization");
    if (h && g_ascii_strncasecmp(h, "Bearer ", 7) == 0)
        return h + 7;
    return yj_req_cookie(req, "yj_session");
}

/* DELETE /api/v1/session */
static int session_delete(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const char *token = request_token(req);
    if (token) {
        char hash[65];
        yj_sha256_hex(token, strlen(token), hash);
        yj_store_session_delete(app->store, hash);
    }
    yj_req_add_header(req, "Set-Cookie", "yj_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    return yj_req_reply_data(req, 204, NULL, "", 0);
}

/* POST /api/v1/tokens {label, days} — a bearer token for scripts. */
static int token_create(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    json_t *days = json_object_get(b, "days");
    json_int_t d = json_is_integer(days) ? json_integer_value(days) : 365;
    if (d < 1 || d > 3650)
        return yj_req_reply_error(req, 400, "invalid_days", "days",
                                  "days must be between 1 and 3650");
    const char *label = jstr(b, "label");
    char *token = yj_auth_issue(app, yj_req_principal(req), "token", label, (int64_t)d * 86400);
    if (!token)
        return YJ_EDB;
    json_t *out = json_pack("{s:s,s:I}", "token", token, "expires_in_days", d);
    g_free(token);
    return yj_req_reply_json(req, 201, out);
}

/* POST /api/v1/members/{id_number}/login-code — a one-time sign-in code,
 * valid 24 hours, for a member in the administrator's subtree. */
static int login_code_create(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const yj_principal_t *me = yj_req_principal(req);
    const char *id = yj_req_param(req, "id_number");
    yj_principal_t m;
    if (yj_store_member_find(app->store, id, &m, NULL) != 0 ||
        !yj_auth_can_see_member(me, m.member_id, m.org_path))
        return yj_req_reply_error(req, 404, "not_found", "id_number", "no such member");
    char code[16];
    uint32_t v;
    if (yj_random_bytes(&v, sizeof v))
        return YJ_ECRYPTO;
    g_snprintf(code, sizeof code, "%08u", v % 100000000u);
    char ch[65];
    g_autofree char *material = g_strdup_printf("%s:%s", m.member_id, code);
    yj_sha256_hex(material, strlen(material), ch);
    int64_t exp = yj_now() + 24 * 3600;
    int rc = yj_store_login_code_add(app->store, ch, m.member_id, me->admin_id, exp);
    if (rc)
        return rc;
    return yj_req_reply_json(req, 201, json_pack("{s:s,s:s,s:I}", "id_number", m.member_id,
                                                 "code", code, "expires_at", (json_int_t)exp));
}

/* PUT /api/v1/me/password {password} — a member sets their own password. */
static int password_set(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    const char *pw = jstr(b, "password");
    if (!pw || g_utf8_strlen(pw, -1) < 8 || strlen(pw) > 200)
        return yj_req_reply_error(req, 400, "weak_password", "password",
                                  "the password needs at least 8 characters");
    g_autofree char *hash = yj_password_hash(pw);
    int rc = hash ? yj_store_member_set_password(app->store, yj_req_principal(req)->member_id, hash)
                  : YJ_ECRYPTO;
    if (rc)
        return rc;
    return yj_req_reply_data(req, 204, NULL, "", 0);
}

yj_auth_t *yj_auth_new(yj_app_t *app, yj_http_t *http)
{
    yj_auth_t *A = g_new0(yj_auth_t, 1);
    A->app = app;
    g_mutex_init(&A->lock);
    A->attempts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    yj_http_set_auth(http, auth_hook, app);
    int rc = 0;
    rc |= yj_http_route(http, "POST", "/api/v1/session", YJ_ROUTE_PUBLIC, 0, session_create, A);
    rc |= yj_http_route(http, "GET", "/api/v1/session", YJ_ROUTE_AUTH, 0, session_get, app);
    rc |= yj_http_route(http, "DELETE", "/api/v1/session", YJ_ROUTE_PUBLIC, 0, session_delete,
                        app);
    rc |= yj_http_route(http, "POST", "/api/v1/tokens", YJ_ROUTE_AUTH, 0, token_create, app);
    rc |= yj_http_route(http, "POST", "/api/v1/members/{id_number}/login-code", YJ_ROUTE_ADMIN,
                        0, login_code_create, app);
    rc |= yj_http_route(http, "PUT", "/api/v1/me/password", YJ_ROUTE_MEMBER, 0, password_set,
                        app);
    if (rc) {
        yj_auth_free(A);
        return NULL;
    }
    return A;
}

void yj_auth_free(yj_auth_t *A)
{
    if (!A)
        return;
    g_hash_table_destroy(A->attempts);
    g_mutex_clear(&A->lock);
    g_free(A);
}
