/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_log_escape.c — libFuzzer target for the log's escaping
 * (yj_log_escape, core/log.h), fed with what a client controls: URLs,
 * user names, device strings. Invariants: the output is terminated and
 * within the buffer, and holds no C0 control, DEL, C1 control (UTF-8
 * C2 80–9F) or bidi control (U+202A–U+202E, U+2066–U+2069) — so no
 * logged field can forge a line or reorder what a reader sees.
 */
#include "core/log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char in[4097];
    memcpy(in, data, size);
    in[size] = 0;
    size_t caps[] = {1, 2, 7, 64, 9000};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        size_t n = caps[c];
        char *out = malloc(n);
        size_t len = yj_log_escape(in, out, n);
        if (len >= n || out[len] != 0 || strlen(out) != len)
            abort();
        const unsigned char *p = (const unsigned char *)out;
        for (size_t i = 0; i < len; i++) {
            if (p[i] < 0x20 || p[i] == 0x7f)
                abort();
            if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
                abort();
            if (p[i] == 0xe2 && i + 2 < len &&
                ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
                 (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)))
                abort();
        }
        free(out);
    }
    return 0;
}
