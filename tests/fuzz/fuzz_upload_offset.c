/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_upload_offset.c — libFuzzer target for the resumable upload's
 * offsets (vod/import.c, PUT /api/v1/uploads/{id}?offset=N). The first 24
 * bytes are the chunk length, the bytes received and the declared size;
 * the rest is the ?offset= text. No input may crash; a parsed offset is
 * never negative; a chunk accepted by yj_vod_import_check_chunk starts at
 * the received offset and ends within the declared size, so the pwrite in
 * upload_put can never write past it.
 */
#include "core/yj.h"
#include "vod/import.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 24)
        return 0;
    uint64_t len;
    int64_t received, declared;
    memcpy(&len, data, 8);
    memcpy(&received, data + 8, 8);
    memcpy(&declared, data + 16, 8);
    char *s = malloc(size - 24 + 1);
    if (!s)
        return 0;
    memcpy(s, data + 24, size - 24);
    s[size - 24] = 0;
    int64_t off = -1;
    int r = yj_vod_import_parse_offset(s, &off);
    if (r != 0 && r != YJ_EINVAL)
        abort();
    if (r == 0) {
        if (off < 0)
            abort();
        /* The store keeps 0 <= received <= size. */
        if (declared >= 0 && received >= 0 && received <= declared) {
            int c = yj_vod_import_check_chunk(off, (size_t)len, received, declared);
            if (c == 0 && (off != received || len > (uint64_t)(declared - off)))
                abort();
            if (c != 0 && c != YJ_ESTATE && c != YJ_EINVAL)
                abort();
        }
    }
    free(s);
    return 0;
}
