/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c — sign-in routes, the auth hook, sessions and tokens, passwords
 * and the failed-attempt limiter.
 *
 * The limiter keeps, per (account, peer address) pair and per address, the
 * failures in the last 15 minutes; past a free allowance (5 per pair, 30
 * per address) the next attempt must wait 2^(n-free) seconds (capped at 15
 * minutes) and gets 429 with Retry-After until then. Counting per pair
 * means an attacker elsewhere cannot lock the real owner out. A success
 * clears the pair's record. State is in memory: a restart forgets it,
 * which only ever makes the server more lenient, never locks anyone out.
 *
 * The hook refuses (403 cross_site) a state-changing request that rides on
 * the session cookie when its Origin (or, without one, Sec-Fetch-Site)
 * says it comes from another site: SameSite=Lax alone let a text/plain
 * POST from another site through (issue 13). Bearer tokens are not
 * ambient and are not checked. Unknown accounts cost the same PBKDF2 work
 * as known ones, so timing does not tell who exists; a hash made with
 * another cost is re-hashed at the next successful sign-in. Expired
 * sessions and tokens are purged at each sign-in and every [auth]
 * purge_seconds (default an hour) on the main loop.
 *
 * Never: log a password, a token or a code; return a stored hash.
 */
#include "auth.h"
#include "password_policy.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/store_auth.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

#define FAIL_WINDOW 900
#define FAIL_FREE_PAIR 5
/* Many members share one address behind a village station's NAT, so an
 * address gets more free failures than an account. */
#define FAIL_FREE_ADDRESS 30
#define SESSION_TTL (7 * 24 * 3600)
#define ADMIN_TOKEN_MAX_DAYS 3650
#define ADMIN_TOKEN_DEFAULT_DAYS 365

typedef struct {
    int failures;
    int64_t first, next_allowed;
} attempt_t;

/* The portal's sign-in state; one per portal (yj_auth_new). */
struct yj_auth {
    yj_app_t *app;         /* borrowed */
    bool secure;           /* Secure cookie (and HSTS) */
    int member_token_days; /* [auth] member_token_max_days */
    GMutex lock;           /* guards attempts */
    GHashTable *attempts;  /* "pair:…" / "addr:IP" -> attempt_t* (owned) */
    guint purge_source;    /* periodic purge on the main loop; 0: none */
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

static bool state_changing(const char *m)
{
    return strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS");
}

/* scheme://host[:port] of a URL equals origin (exactly, case-insensitive). */
static bool origin_is(const char *origin, const char *url)
{
    if (!url || !*url)
        return false;
    const char *sep = strstr(url, "://");
    if (!sep)
        return false;
    size_t n = (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#");
    return strlen(origin) == n && g_ascii_strncasecmp(origin, url, n) == 0;
}

/* Whether a browser sent this request from our own pages. */
static bool same_site(yj_req_t *req, const yj_app_t *app)
{
    const char *origin = yj_req_header(req, "Origin");
    if (origin) {
        const char *sep = strstr(origin, "://");
        const char *host = yj_req_header(req, "Host");
        if (sep && host && g_ascii_strcasecmp(sep + 3, host) == 0)
            return true;
        return origin_is(origin, app->public_url);
    }
    const char *site = yj_req_header(req, "Sec-Fetch-Site");
    if (site)
        return strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0;
    return true; /* not a browser, or one too old to say: no ambient cookie risk known */
}

static void auth_hook(yj_req_t *req, yj_principal_t *out, void *ud)
{
    yj_auth_t *A = ud;
    yj_app_t *app = A->app;
    const char *token = NULL;
    const char *h = yj_req_header(req, "Authorization");
    bool bearer = h && g_ascii_strncasecmp(h, "Bearer ", 7) == 0;
    if (bearer)
        token = h + 7;
    else
        token = yj_req_cookie(req, "yj_session");
    if (!token || !*token || strlen(token) > 128)
        return;
    if (!bearer && state_changing(yj_req_method(req)) && !same_site(req, app)) {
        yj_info("auth", "refused a cross-site %s %s from %s", yj_req_method(req), yj_req_path(req),
                yj_req_peer(req));
        yj_req_reply_error(req, 403, "cross_site", NULL,
                           "a signed-in change must come from this site's own pages");
        return;
    }
    char hash[65];
    yj_sha256_hex(token, strlen(token), hash);
    if (yj_store_session_get(app->store, hash, out) != 0)
        memset(out, 0, sizeof *out);
}

static const char *request_token(yj_req_t *req)
{
    const char *h = yj_req_header(req, "Authorization");
    if (h && g_ascii_strncasecmp(h, "Bearer ", 7) == 0)
        return h + 7;
    return yj_req_cookie(req, "yj_session");
}

/* SHA-256 hex of the presented credential into out; false if none. */
static bool request_hash(yj_req_t *req, char out[65])
{
    const char *t = request_token(req);
    if (!t || !*t || strlen(t) > 128)
        return false;
    yj_sha256_hex(t, strlen(t), out);
    return true;
}

/* Issues a session or token for p, remembering parent and the client. */
static char *issue(yj_app_t *app, yj_req_t *req, const yj_principal_t *p, const char *kind,
                   const char *label, int64_t ttl_seconds, const char *parent)
{
    char *token = yj_random_token(32);
    if (!token)
        return NULL;
    char hash[65];
    yj_sha256_hex(token, strlen(token), hash);
    char ua[160] = "";
    const char *u = req ? yj_req_header(req, "User-Agent") : NULL;
    if (u)
        g_strlcpy(ua, u, sizeof ua);
    if (!g_utf8_validate(ua, -1, NULL))
        ua[0] = 0;
    if (yj_store_session_add_full(app->store, hash, kind, p, label, yj_now() + ttl_seconds, parent,
                                  req ? yj_req_peer(req) : NULL, ua[0] ? ua : NULL) != 0) {
        g_free(token);
        return NULL;
    }
    return token;
}

char *yj_auth_issue(yj_app_t *app, const yj_principal_t *p, const char *kind, const char *label,
                    int64_t ttl_seconds)
{
    return issue(app, NULL, p, kind, label, ttl_seconds, NULL);
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
    json_t *j =
        json_pack("{s:s,s:s,s:I}", "kind", p->kind == YJ_PRINCIPAL_ADMIN ? "admin" : "member",
                  "name", p->name, "org_id", (json_int_t)p->org_id);
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
    char pair_key[256], addr_key[96];
    g_snprintf(pair_key, sizeof pair_key, "pair:%s|%s", yj_req_peer(req), account);
    g_snprintf(addr_key, sizeof addr_key, "addr:%s", yj_req_peer(req));
    int64_t wait = MAX(limiter_wait(A, pair_key), limiter_wait(A, addr_key));
    if (wait > 0)
        return too_many(req, wait);

    yj_principal_t p;
    bool ok = false, found = false;
    char *hash = NULL;
    if (username) {
        found = yj_store_admin_find(app->store, username, &p, &hash) == 0 && hash;
    } else if (code) {
        char ch[65];
        g_autofree char *material = g_strdup_printf("%s:%s", id_number, code);
        yj_sha256_hex(material, strlen(material), ch);
        ok = yj_store_login_code_use(app->store, ch, &p) == 0;
    } else {
        found = yj_store_member_find(app->store, id_number, &p, &hash) == 0 && hash;
    }
    if (!code) {
        /* The same PBKDF2 work whether or not the account exists. */
        if (found)
            ok = yj_password_verify(password ? password : "", hash);
        else
            yj_password_dummy_verify(password);
    }
    if (!ok) {
        g_free(hash);
        limiter_fail(A, pair_key, FAIL_FREE_PAIR);
        limiter_fail(A, addr_key, FAIL_FREE_ADDRESS);
        yj_info("auth", "failed sign-in for %s from %s", account, yj_req_peer(req));
        return yj_req_reply_error(req, 401, "bad_credentials", NULL,
                                  "wrong account, password or code");
    }
    limiter_clear(A, pair_key);
    if (found && yj_password_needs_rehash(hash)) {
        g_autofree char *nh = yj_password_hash(password);
        int rc = !nh ? YJ_ECRYPTO
                 : p.kind == YJ_PRINCIPAL_ADMIN
                     ? yj_store_admin_set_password(app->store, p.admin_id, nh)
                     : yj_store_member_set_password(app->store, p.member_id, nh);
        if (rc)
            yj_warn("auth", "cannot re-hash the password of %s: %s", account, yj_strerror(rc));
    }
    g_free(hash);
    int purged = 0;
    if (yj_store_auth_purge(app->store, yj_now(), &purged) == 0 && purged > 0)
        yj_debug("auth", "purged %d expired sessions and tokens", purged);
    char *token = issue(app, req, &p, "session", NULL, SESSION_TTL, NULL);
    if (!token)
        return YJ_EDB;
    char cookie[256];
    g_snprintf(cookie, sizeof cookie, "yj_session=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
               token, SESSION_TTL, A->secure ? "; Secure" : "");
    yj_req_add_header(req, "Set-Cookie", cookie);
    json_t *out = principal_json(&p);
    json_object_set_new(out, "token", json_string(token));
    g_free(token);
    return yj_req_reply_json(req, 201, out);
}

/* GET /api/v1/session */
static int session_get(yj_req_t *req, void *ud)
{
    yj_auth_t *A = ud;
    json_t *j = principal_json(yj_req_principal(req));
    /* The zone pages show times in ([portal] time_zone; times are UTC). */
    json_object_set_new(
        j, "time_zone",
        json_string(yj_config_string(A->app->cfg, "portal", "time_zone", "Asia/Shanghai")));
    return yj_req_reply_json(req, 200, j);
}

/* DELETE /api/v1/session — signs out: the presented session and every
 * token minted from it. */
static int session_delete(yj_req_t *req, void *ud)
{
    yj_auth_t *A = ud;
    yj_app_t *app = A->app;
    char hash[65];
    if (request_hash(req, hash))
        yj_store_session_delete_tree(app->store, hash);
    yj_req_add_header(req, "Set-Cookie",
                      A->secure ? "yj_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"
                                 : "yj_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    return yj_req_reply_data(req, 204, NULL, "", 0);
}

/* POST /api/v1/tokens {label, days} — a bearer token for scripts. A
 * member's lives at most [auth] member_token_max_days (30). */
static int token_create(yj_req_t *req, void *ud)
{
    yj_auth_t *A = ud;
    yj_app_t *app = A->app;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    const yj_principal_t *me = yj_req_principal(req);
    int max = me->kind == YJ_PRINCIPAL_ADMIN ? ADMIN_TOKEN_MAX_DAYS : A->member_token_days;
    int def = me->kind == YJ_PRINCIPAL_ADMIN ? ADMIN_TOKEN_DEFAULT_DAYS : A->member_token_days;
    json_t *days = json_object_get(b, "days");
    if (days && !json_is_integer(days))
        return yj_req_reply_error(req, 400, "invalid_days", "days",
                                  "days must be a whole number from 1 to %d", max);
    json_int_t d = days ? json_integer_value(days) : def;
    if (d < 1 || d > max)
        return yj_req_reply_error(req, 400, "invalid_days", "days", "days must be between 1 and %d",
                                  max);
    json_t *lv = json_object_get(b, "label");
    if (lv && (!json_is_string(lv) || json_string_length(lv) > 100))
        return yj_req_reply_error(req, 400, "invalid_label", "label",
                                  "label must be text of at most 100 bytes");
    const char *label = lv ? json_string_value(lv) : NULL;
    char parent[65];
    char *token = issue(app, req, me, "token", label, (int64_t)d * 86400,
                        request_hash(req, parent) ? parent : NULL);
    if (!token)
        return YJ_EDB;
    json_t *out = json_pack("{s:s,s:I}", "token", token, "expires_in_days", d);
    g_free(token);
    return yj_req_reply_json(req, 201, out);
}

/* GET /api/v1/me/sessions — one's own sessions and tokens (no secrets). */
static int sessions_list(yj_req_t *req, void *ud)
{
    yj_auth_t *A = ud;
    yj_app_t *app = A->app;
    char hash[65];
    json_t *a = yj_store_sessions_list(app->store, yj_req_principal(req),
                                       request_hash(req, hash) ? hash : NULL);
    if (!a)
        return YJ_EDB;
    return yj_req_reply_json(req, 200, json_pack("{s:o}", "sessions", a));
}

/* DELETE /api/v1/me/sessions/{id} — revoke one of one's own. */
static int session_revoke(yj_req_t *req, void *ud)
{
    yj_auth_t *A = ud;
    yj_app_t *app = A->app;
    int rc = yj_store_session_revoke(app->store, yj_req_principal(req), yj_req_param(req, "id"));
    if (rc == YJ_ENOENT)
        return yj_req_reply_error(req, 404, "not_found", "id", "no such session or token");
    if (rc)
        return rc;
    return yj_req_reply_data(req, 204, NULL, "", 0);
}

/* A member in the administrator's subtree, or a 404 reply (false). */
static bool member_in_scope(yj_app_t *app, yj_req_t *req, yj_principal_t *m)
{
    const char *id = yj_req_param(req, "id_number");
    if (id && yj_store_member_find(app->store, id, m, NULL) == 0 &&
        yj_auth_can_see_member(yj_req_principal(req), m->member_id, m->org_path))
        return true;
    yj_req_reply_error(req, 404, "not_found", "id_number", "no such member");
    return false;
}

/* DELETE /api/v1/members/{id_number}/sessions — an administrator ends
 * every session and token of a member in their subtree. */
static int member_sessions_end(yj_req_t *req, void *ud)
{
    yj_auth_t *A = ud;
    yj_app_t *app = A->app;
    yj_principal_t m;
    if (!member_in_scope(app, req, &m))
        return 0;
    int n = 0;
    int rc = yj_store_sessions_end_all(app->store, &m, NULL, &n);
    if (rc)
        return rc;
    yj_info("auth", "%s ended %d sessions of member %s", yj_req_principal(req)->username, n,
            m.member_id);
    return yj_req_reply_json(req, 200, json_pack("{s:i}", "ended", n));
}

/* POST /api/v1/members/{id_number}/login-code — a one-time sign-in code,
 * valid 24 hours, for a member in the administrator's subtree. */
static int login_code_create(yj_req_t *req, void *ud)
{
    yj_auth_t *A = ud;
    yj_app_t *app = A->app;
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
    return yj_req_reply_json(req, 201,
                             json_pack("{s:s,s:s,s:I}", "id_number", m.member_id, "code", code,
                                       "expires_at", (json_int_t)exp));
}

static int policy_error(yj_req_t *req, const char *code)
{
    if (strcmp(code, "common_password") == 0)
        return yj_req_reply_error(req, 400, code, "password",
                                  "this password is among the most common ones or is the account "
                                  "name; choose another");
    return yj_req_reply_error(req, 400, code, "password", "the password needs 8 to 200 characters");
}

/* PUT /api/v1/me/password {password, current_password} — set or change
 * one's own password. Changing needs the current one (a member who signed
 * in with a code and has none yet sets a first password without); every
 * other session and token of the account ends. */
static int password_set(yj_req_t *req, void *ud)
{
    yj_auth_t *A = ud;
    yj_app_t *app = A->app;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    const yj_principal_t *me = yj_req_principal(req);
    const char *pw = jstr(b, "password"), *cur = jstr(b, "current_password");
    if (!pw)
        return yj_req_reply_error(req, 400, "missing_field", "password", "give the new password");
    yj_principal_t p;
    char *stored = NULL;
    int rc = me->kind == YJ_PRINCIPAL_ADMIN
                 ? yj_store_admin_find(app->store, me->username, &p, &stored)
                 : yj_store_member_find(app->store, me->member_id, &p, &stored);
    if (rc) {
        g_free(stored);
        return rc;
    }
    if (stored) {
        char key[256];
        g_snprintf(key, sizeof key, "pair:%s|%s", yj_req_peer(req), me->username);
        int64_t wait = limiter_wait(A, key);
        bool ok = cur && wait == 0 && yj_password_verify(cur, stored);
        g_free(stored);
        if (wait > 0)
            return too_many(req, wait);
        if (!cur)
            return yj_req_reply_error(req, 400, "missing_field", "current_password",
                                      "give the current password to change it");
        if (!ok) {
            limiter_fail(A, key, FAIL_FREE_PAIR);
            return yj_req_reply_error(req, 403, "wrong_password", "current_password",
                                      "the current password is wrong");
        }
    }
    const char *bad = yj_password_policy_check(pw, me->username);
    if (bad)
        return policy_error(req, bad);
    g_autofree char *hash = yj_password_hash(pw);
    if (!hash)
        return YJ_ECRYPTO;
    rc = me->kind == YJ_PRINCIPAL_ADMIN
             ? yj_store_admin_set_password(app->store, me->admin_id, hash)
             : yj_store_member_set_password(app->store, me->member_id, hash);
    if (rc)
        return rc;
    char keep[65];
    int n = 0;
    rc = yj_store_sessions_end_all(app->store, me, request_hash(req, keep) ? keep : NULL, &n);
    if (rc)
        return rc;
    yj_info("auth", "%s changed their password; %d other sessions and tokens ended", me->username,
            n);
    return yj_req_reply_data(req, 204, NULL, "", 0);
}

/* PUT /api/v1/members/{id_number}/password {password} — an administrator
 * resets the password of a member in their subtree; the member's sessions
 * and tokens end. */
static int member_password_reset(yj_req_t *req, void *ud)
{
    yj_auth_t *A = ud;
    yj_app_t *app = A->app;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_principal_t m;
    if (!member_in_scope(app, req, &m))
        return 0;
    const char *pw = jstr(b, "password");
    const char *bad = yj_password_policy_check(pw, m.member_id);
    if (bad)
        return policy_error(req, bad);
    g_autofree char *hash = yj_password_hash(pw);
    if (!hash)
        return YJ_ECRYPTO;
    int rc = yj_store_member_set_password(app->store, m.member_id, hash);
    if (rc == 0)
        rc = yj_store_sessions_end_all(app->store, &m, NULL, NULL);
    if (rc)
        return rc;
    yj_info("auth", "%s reset the password of member %s", yj_req_principal(req)->username,
            m.member_id);
    return yj_req_reply_data(req, 204, NULL, "", 0);
}

/* Deletes expired sessions and tokens. Runs on the GLib main loop (the
 * daemon's main thread), never on an HTTP thread, so a member who never
 * signs in again does not leave rows behind and no request pays for it. */
static gboolean purge_tick(gpointer ud)
{
    yj_auth_t *A = ud;
    int purged = 0;
    int rc = yj_store_auth_purge(A->app->store, yj_now(), &purged);
    if (rc)
        yj_warn("auth", "cannot purge expired sessions: %s", yj_strerror(rc));
    else if (purged > 0)
        yj_info("auth", "purged %d expired sessions and tokens", purged);
    return G_SOURCE_CONTINUE;
}

yj_auth_t *yj_auth_new(yj_app_t *app, yj_http_t *http)
{
    yj_auth_t *A = g_new0(yj_auth_t, 1);
    A->app = app;
    A->member_token_days = 30;
    g_mutex_init(&A->lock);
    A->attempts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    const char *sc = yj_config_string(app->cfg, "auth", "secure_cookie", "auto");
    const char *pub = yj_config_string(app->cfg, "server", "public_url", "");
    if (strcmp(sc, "auto") == 0)
        A->secure = g_ascii_strncasecmp(pub, "https://", 8) == 0;
    else if (strcmp(sc, "true") == 0 || strcmp(sc, "false") == 0)
        A->secure = strcmp(sc, "true") == 0;
    else {
        yj_error("auth", "[auth] secure_cookie must be auto, true or false, not \"%s\"", sc);
        goto fail;
    }
    A->member_token_days = (int)yj_config_int(app->cfg, "auth", "member_token_max_days", 30);
    if (A->member_token_days < 1 || A->member_token_days > ADMIN_TOKEN_MAX_DAYS) {
        yj_error("auth", "[auth] member_token_max_days must be 1 to %d", ADMIN_TOKEN_MAX_DAYS);
        goto fail;
    }
    int64_t purge = yj_config_int(app->cfg, "auth", "purge_seconds", 3600);
    if (purge < 1 || purge > 7 * 24 * 3600) {
        yj_error("auth", "[auth] purge_seconds must be 1 to %d", 7 * 24 * 3600);
        goto fail;
    }
    A->purge_source = g_timeout_add_seconds((guint)purge, purge_tick, A);
    if (A->secure) /* behind TLS: browsers must not fall back to http */
        yj_http_add_default_header(http, "Strict-Transport-Security", "max-age=31536000");
    yj_http_set_auth(http, auth_hook, A);
    int rc = 0;
    rc |= yj_http_route(http, "POST", "/api/v1/session", YJ_ROUTE_PUBLIC, 0, session_create, A);
    rc |= yj_http_route(http, "GET", "/api/v1/session", YJ_ROUTE_AUTH, 0, session_get, A);
    rc |= yj_http_route(http, "DELETE", "/api/v1/session", YJ_ROUTE_PUBLIC, 0, session_delete, A);
    rc |= yj_http_route(http, "POST", "/api/v1/tokens", YJ_ROUTE_AUTH, 0, token_create, A);
    rc |= yj_http_route(http, "GET", "/api/v1/me/sessions", YJ_ROUTE_AUTH, 0, sessions_list, A);
    rc |= yj_http_route(http, "DELETE", "/api/v1/me/sessions/{id}", YJ_ROUTE_AUTH, 0,
                        session_revoke, A);
    rc |= yj_http_route(http, "POST", "/api/v1/members/{id_number}/login-code", YJ_ROUTE_ADMIN, 0,
                        login_code_create, A);
    rc |= yj_http_route(http, "DELETE", "/api/v1/members/{id_number}/sessions", YJ_ROUTE_ADMIN, 0,
                        member_sessions_end, A);
    rc |= yj_http_route(http, "PUT", "/api/v1/members/{id_number}/password", YJ_ROUTE_ADMIN, 0,
                        member_password_reset, A);
    rc |= yj_http_route(http, "PUT", "/api/v1/me/password", YJ_ROUTE_AUTH, 0, password_set, A);
    if (rc)
        goto fail;
    return A;
fail:
    yj_auth_free(A);
    return NULL;
}

void yj_auth_free(yj_auth_t *A)
{
    if (!A)
        return;
    if (A->purge_source)
        g_source_remove(A->purge_source);
    g_hash_table_destroy(A->attempts);
    g_mutex_clear(&A->lock);
    g_free(A);
}
