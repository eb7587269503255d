/* SPDX-License-Identifier: Apache-2.0 */
/*
 * principal.h — who is acting: an administrator (whose rights cover one
 * organisation's subtree) or a member (who sees only their own record).
 *
 * Organisation paths are materialised id chains ("/1/4/9/"): org B is in
 * A's subtree exactly when A's path is a prefix of B's.
 */
#ifndef YJ_PRINCIPAL_H
#define YJ_PRINCIPAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef enum { YJ_PRINCIPAL_NONE, YJ_PRINCIPAL_ADMIN, YJ_PRINCIPAL_MEMBER } yj_principal_kind_t;

typedef struct {
    yj_principal_kind_t kind;
    int64_t admin_id;   /* ADMIN */
    char username[64];  /* ADMIN: username; MEMBER: identity number */
    char name[64];      /* display name */
    int64_t org_id;     /* ADMIN: root of their subtree; MEMBER: home org */
    char org_path[256]; /* materialised path of org_id */
    char member_id[19]; /* MEMBER: identity number */
} yj_principal_t;

/* True when path lies in the subtree rooted at root_path (inclusive). */
static inline bool yj_path_within(const char *root_path, const char *path)
{
    size_t n = strlen(root_path);
    return n > 0 && strncmp(root_path, path, n) == 0;
}

#endif
