/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meeting_input.h — the JSON body of POST /api/v1/meetings and PATCH
 * /api/v1/meetings/{id} to a meeting spec, without the request object, so
 * the route and its fuzz target (tests/fuzz/fuzz_meeting_body.c) share one
 * parser. Only the shape and ranges are checked here; references (orgs,
 * members, hosts) and the start-in-the-past rule are the handler's and the
 * store's. Never: keep a reference to the body beyond its life.
 */
#ifndef YJ_MEETING_INPUT_H
#define YJ_MEETING_INPUT_H

#include "core/member_input.h"
#include "signaling/store.h"

#include <jansson.h>

/* 2000-01-01 and 2100-01-01 UTC: a meeting's start lies between. */
#define YJ_MEETING_START_MIN 946684800
#define YJ_MEETING_START_MAX 4102444800

/* Fills *sp from body b (an object): title, type (default
 * member_assembly), org_code (required), start (ISO-8601 or Unix seconds;
 * default now), duration_minutes (1..1440, default 60), threshold_percent
 * (1..100, default 50), host_admin or host_member (at most one; both NULL
 * means the caller), orgs and members (arrays of strings). Strings are
 * borrowed from b; sp->org_codes and sp->member_ids are g_malloc'd
 * (yj_meeting_input_clear). sp->by and sp->replace_id are left 0. Returns
 * 0, or YJ_EINVAL with *err filled and nothing to clear. */
int yj_meeting_input_from_json(json_t *b, int64_t now, yj_meeting_spec_t *sp,
                               yj_field_error_t *err);
/* Frees the lists of a spec filled by yj_meeting_input_from_json. */
void yj_meeting_input_clear(yj_meeting_spec_t *sp);

#endif
