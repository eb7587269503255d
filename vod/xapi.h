/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xapi.h — xAPI statement export of learning records (xapi.c).
 *
 * Internal to vod/ (see vod_internal.h for the convention): other folders
 * include vod/vod.h only.
 */
#ifndef YJ_VOD_XAPI_H
#define YJ_VOD_XAPI_H

#include "vod_internal.h"

/* Registers xapi.c's routes on http (user data: v). 0 or YJ_EINVAL. */
int yj_vod_xapi_register(yj_vod_t *v, yj_http_t *http);

#endif
