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

/* One-time sign-in codes: add, and consume (marks used; YJ_ENOENT when
 * unknown, used or expired). */
int yj_store_login_code_add(yj_store_t *st, const char *code_hash, const char *member_id,
                            int64_t issued_by, int64_t expires_at);
int yj_store_login_code_use(yj_store_t *st, const char *code_hash, yj_principal_t *p);

/* Path of an organisation ("/1/4/") into buf; 0 or YJ_ENOENT. */
int yj_store_org_path(yj_store_t *st, int64_t org_id, char *buf, size_t n);

#endif
