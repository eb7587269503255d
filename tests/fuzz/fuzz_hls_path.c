/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_hls_path.c — libFuzzer target for the playback URL checks
 * (vod/sign.c): the signature parser and the lesson file-name whitelist
 * that stands between a request path and the file system. The input is
 * split like a request path "/lesson/who/exp/sig/file…". No input may
 * crash; an accepted file name never contains "..", a backslash, a NUL
 * or a leading slash; a forged signature never verifies.
 */
#include "vod/sign.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char key[] = "fuzz-key-fuzz-key-fuzz-key-12345";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = g_strndup((const char *)data, size);
    char **p = g_strsplit(s, "/", 5);
    if (g_strv_length(p) == 5) {
        if (yj_vod_sign_file_allowed(p[4])) {
            if (strstr(p[4], "..") || strchr(p[4], '\\') || p[4][0] == '/' || !p[4][0])
                abort();
        }
        yj_sign_result_t r = yj_vod_sign_verify(key, 32, p[0], p[1], p[2], p[3], 0);
        if (r != YJ_SIGN_BAD) {
            /* Only a real signature verifies: recompute and compare. */
            char *want = yj_vod_sign(key, 32, g_ascii_strtoll(p[0], NULL, 10), p[1],
                                     g_ascii_strtoll(p[2], NULL, 10));
            if (!want || strcmp(want, p[3]) != 0)
                abort();
            g_free(want);
        }
    }
    yj_vod_sign_file_allowed(s);
    g_strfreev(p);
    g_free(s);
    return 0;
}
