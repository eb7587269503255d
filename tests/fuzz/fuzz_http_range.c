/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_http_range.c — libFuzzer target for the Range header parser
 * (http/range.c) behind every file the server sends. The first 8 bytes
 * pick the file size (small sizes are the interesting ones, so half the
 * inputs use size % 4096); the rest is the header. No input may crash or
 * read past the string; an accepted range never leaves the file.
 */
#include "http/range.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint64_t fsize;
    memcpy(&fsize, data, 8);
    if (fsize & 1)
        fsize = (fsize >> 1) % 4096;
    char *h = malloc(size - 8 + 1);
    if (!h)
        return 0;
    memcpy(h, data + 8, size - 8);
    h[size - 8] = 0;
    uint64_t from = 0, to = 0;
    int r = yj_http_parse_range(h, fsize, &from, &to);
    if (r < -1 || r > 1)
        abort();
    if (r == 1 && (from > to || to >= fsize))
        abort();
    free(h);
    return 0;
}
