/* SPDX-License-Identifier: Apache-2.0 */
/*
 * library.h — courses and lessons: the admin API and the member catalogue (library.c).
 *
 * Internal to vod/ (see vod_internal.h for the convention): other folders
 * include vod/vod.h only.
 */
#ifndef YJ_VOD_LIBRARY_H
#define YJ_VOD_LIBRARY_H

#include "vod_internal.h"

/* Registers library.c's routes on http (user data: v). 0 or YJ_EINVAL. */
int yj_vod_library_register(yj_vod_t *v, yj_http_t *http);

#endif
