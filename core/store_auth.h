/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_auth.h — administrators, sign-in sessions, API tokens and one-time
 * codes. Secrets never reach the database: callers pass SHA-256 hex of
 * tokens and codes, and encoded password hashes (core/crypto.h).
 */
#ifndef YJ_STORE_AUTH_H
#define YJ_STORE_AUTH_H

#include "principal.h"
#include "store.h"

#include <jansson.h>
#include <stdint.h>

/* Creates an administrator of the organisation with code org_code.
 * Returns 0, YJ_ENOENT (no such org), YJ_EEXIST (username taken). */
int yj_store_admin_add(yj_store_t *st, const char *username, const char *password_hash,
                       const char *org_code);

/* Sets an administrator's real name (1–64 characters, shown where they
 * host a meeting or act). 0, YJ_ENOENT, YJ_EINVAL. */
int yj_store_admin_set_name(yj_store_t *st, const char *username, const char *name);

/* Looks up an administrator or member by credentials id and fills *p and
 * the stored password hash (hash_out, g_free; NULL if none set).
 * Returns 0 or YJ_ENOENT. */
int yj_store_admin_find(yj_store_t *st, const char *username, yj_principal_t *p, char **hash_out);
int yj_store_member_find(yj_store_t *st, const char *id_number, yj_principal_t *p,
                         char **hash_out);

/* Sets a member's password hash. 0 or YJ_ENOENT. */
int yj_store_member_set_password(yj_store_t *st, const char *id_number, const char *hash);

/* Stores a session or API token (kind "session" / "token") for p. */
int yj_store_session_add(yj_store_t *st, const char *token_hash, const char *kind,
                         const yj_principal_t *p, const char *label, int64_t expires_at);
/* Resolves an unexpired session to its principal. 0 or YJ_ENOENT. */
int yj_store_session_get(yj_store_t *st, const char *token_hash, yj_principal_t *p);
int yj_store_session_delete(yj_store_t *st, const char *token_hash);

/* Stores a session or token with its details: parent (the hash of the
 * session a token was minted from, or NULL), peer address and user agent
 * (shown to the owner; may be NULL). */
int yj_store_session_add_full(yj_store_t *st, const char *token_hash, const char *kind,
                              const yj_principal_t *p, const char *label, int64_t expires_at,
                              const char *parent, const char *peer, const char *user_agent);
/* Deletes a session and every token minted from it. */
int yj_store_session_delete_tree(yj_store_t *st, const char *token_hash);
/* The unexpired sessions and tokens of p's account, newest first, as a JSON
 * array of {id, kind, label, created_at, expires_at, peer, user_agent,
 * current}; id is the first 16 hex digits of the stored hash (never the
 * secret); current marks current_hash. NULL on a database error. */
json_t *yj_store_sessions_list(yj_store_t *st, const yj_principal_t *p, const char *current_hash);
/* Revokes one session or token of p's account by its listed id (and the
 * tokens minted from it). 0 or YJ_ENOENT (not theirs / unknown). */
int yj_store_session_revoke(yj_store_t *st, const yj_principal_t *p, const char *id);
/* Ends every session and token of an account (p's kind and id) except
 * keep_hash (may be NULL); *ended receives the count (may be NULL). */
int yj_store_sessions_end_all(yj_store_t *st, const yj_principal_t *p, const char *keep_hash,
                              int *ended);
/* Sets an administrator's password hash. 0 or YJ_ENOENT. */
int yj_store_admin_set_password(yj_store_t *st, int64_t admin_id, const char *hash);
/* Deletes expired sessions and tokens; *n gets the count (may be NULL). */
int yj_store_auth_purge(yj_store_t *st, int64_t now, int *n);

/* One-time sign-in codes: add, and consume (marks used; YJ_ENOENT when
 * unknown, used or expired). */
int yj_store_login_code_add(yj_store_t *st, const char *code_hash, const char *member_id,
                            int64_t issued_by, int64_t expires_at);
int yj_store_login_code_use(yj_store_t *st, const char *code_hash, yj_principal_t *p);

/* Path of an organisation ("/1/4/") into buf; 0 or YJ_ENOENT. */
int yj_store_org_path(yj_store_t *st, int64_t org_id, char *buf, size_t n);

#endif
