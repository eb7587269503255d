/* SPDX-License-Identifier: Apache-2.0 */
/*
 * password_policy.h — what a new password must be: 8 to 200 bytes, at
 * least 8 characters, not one of the most common passwords (a small
 * built-in list, docs/records.md) and not the account's own name or
 * identity number. Pure: no I/O, never logs the password.
 */
#ifndef YJ_PASSWORD_POLICY_H
#define YJ_PASSWORD_POLICY_H

#include <stdbool.h>

/* NULL when pw is acceptable for the account (its username or identity
 * number); otherwise a static error code: "weak_password" (too short or
 * long) or "common_password". */
const char *yj_password_policy_check(const char *pw, const char *account);

/* True when pw (case-insensitively) is on the built-in list. */
bool yj_password_is_common(const char *pw);

#endif
