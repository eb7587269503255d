/* SPDX-License-Identifier: Apache-2.0 */
/*
 * org_input.h — the JSON bodies of POST /api/v1/orgs and PATCH
 * /api/v1/orgs/{code} to validated fields, without the request object, so
 * the handlers and the fuzz target (tests/fuzz/fuzz_org_body.c) share one
 * parser. References (does the parent exist, is it in the caller's
 * subtree, would the tree get too deep) are the store's. Never: keep a
 * reference to the body beyond its life, or touch the store.
 */
#ifndef YJ_ORG_INPUT_H
#define YJ_ORG_INPUT_H

#include "core/member_input.h"

#include <jansson.h>

/* Strings borrowed from the body, NULL when absent. */
typedef struct {
    const char *code;        /* create: a valid org code */
    const char *name;        /* plain text of at most YJ_TEXT_CHARS */
    const char *parent_code; /* create: required */
} yj_org_input_t;

/* path_code NULL: a create {code, name, parent_code}; else a PATCH of that
 * org {name?, parent_code?} which may repeat the read-only code (equal to
 * path_code), id, depth and member_count of a GET. Unknown keys are
 * refused. Returns 0 or YJ_EINVAL with *err filled. */
int yj_org_input_from_json(json_t *body, const char *path_code, yj_org_input_t *out,
                           yj_field_error_t *err);

#endif
