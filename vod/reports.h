/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reports.h — learning reports per organisation and member (reports.c).
 *
 * Internal to vod/ (see vod_internal.h for the convention): other folders
 * include vod/vod.h only.
 */
#ifndef YJ_VOD_REPORTS_H
#define YJ_VOD_REPORTS_H

#include "vod_internal.h"

/* Registers reports.c's routes on http (user data: v). 0 or YJ_EINVAL. */
int yj_vod_reports_register(yj_vod_t *v, yj_http_t *http);

#endif
