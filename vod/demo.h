/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo.h — the generated demo clip (demo.c).
 *
 * Internal to vod/ (see vod_internal.h for the convention): other folders
 * include vod/vod.h only.
 */
#ifndef YJ_VOD_DEMO_H
#define YJ_VOD_DEMO_H

#include <stddef.h>

/* Generates the demo source clip: seconds of a moving test pattern with a
 * tone, 1280x720, H.264/AAC in MPEG-TS. 0 or an error with err set. */
int yj_vod_demo_generate(const char *path, int seconds, char *err, size_t errlen);

#endif
