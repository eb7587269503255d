/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h — sign-in, sessions, API tokens and the request auth hook.
 *
 * Administrators sign in with username + password; members with identity
 * number + password or a one-time code from their branch administrator.
 * A sign-in sets an HttpOnly SameSite=Lax cookie "yj_session" and also
 * returns the token, so phone apps and scripts can send it as a bearer
 * token. Failed sign-ins are slowed down per account and per address.
 */
#ifndef YJ_AUTH_H
#define YJ_AUTH_H

#include "core/app.h"
#include "http/http.h"

typedef struct yj_auth yj_auth_t;

/* Registers the /api/v1/session, /tokens, login-code and password routes
 * and installs the auth hook; the result owns the sign-in limiter. app
 * and http are borrowed and must outlive it. NULL if a route fails. */
yj_auth_t *yj_auth_new(yj_app_t *app, yj_http_t *http);
/* NULL: no-op. */
void yj_auth_free(yj_auth_t *auth);

/* Creates a session for p and returns its secret token (g_free). */
char *yj_auth_issue(yj_app_t *app, const yj_principal_t *p, const char *kind, const char *label,
                    int64_t ttl_seconds);

/* Access rule shared by every route that touches a member: an admin may act
 * on members whose home org path lies in their subtree; a member only on
 * themself. member_org_path is the member's org path. */
bool yj_auth_can_see_member(const yj_principal_t *p, const char *member_id,
                            const char *member_org_path);

#endif
