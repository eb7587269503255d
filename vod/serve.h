/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve.h — signed HLS serving with playlist and signature caches (serve.c).
 *
 * Internal to vod/ (see vod_internal.h for the convention): other folders
 * include vod/vod.h only.
 */
#ifndef YJ_VOD_SERVE_H
#define YJ_VOD_SERVE_H

#include "vod_internal.h"

/* Registers serve.c's routes on http (user data: v). 0 or YJ_EINVAL. */
int yj_vod_serve_register(yj_vod_t *v, yj_http_t *http);

/* Drops a lesson's cached playlists (on delete). Any thread. */
void yj_vod_serve_forget(yj_vod_t *v, int64_t lesson_id);
/* Drops every cache (on stop). */
void yj_vod_serve_clear(yj_vod_t *v);

#endif
