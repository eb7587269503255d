/* SPDX-License-Identifier: Apache-2.0 */
/*
 * progress.h — playback progress, resume and learning-hour credit (progress.c).
 *
 * Internal to vod/ (see vod_internal.h for the convention): other folders
 * include vod/vod.h only.
 */
#ifndef YJ_VOD_PROGRESS_H
#define YJ_VOD_PROGRESS_H

#include "vod_internal.h"

/* Registers progress.c's routes on http (user data: v). 0 or YJ_EINVAL. */
int yj_vod_progress_register(yj_vod_t *v, yj_http_t *http);

#endif
