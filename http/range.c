/* SPDX-License-Identifier: Apache-2.0 */
/*
 * range.c — the Range header parser; see range.h. Its own file so that
 * tests/unit/test_http_range.c and tests/fuzz/fuzz_http_range.c can reach
 * it. It must never produce a range that reaches past the file.
 */
#include "range.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int yj_http_parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
    if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    const char *p = h + 6;
    char *end;
    if (*p == '-') {
        /* strtoull would take "-1" (as ULLONG_MAX) or " 5": digits only. */
        if (p[1] < '0' || p[1] > '9')
            return 0;
        errno = 0;
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (errno || end == p + 1 || *end)
            return 0;
        if (n == 0 || size == 0)
            return -1;
        *from = n >= size ? 0 : size - n;
        *to = size - 1;
        return 1;
    }
    if (*p < '0' || *p > '9')
        return 0;
    errno = 0;
    unsigned long long a = strtoull(p, &end, 10);
    if (errno || *end != '-')
        return 0;
    p = end + 1;
    unsigned long long b = size ? size - 1 : 0;
    if (*p) {
        if (*p < '0' || *p > '9')
            return 0;
        b = strtoull(p, &end, 10);
        if (errno || *end || b < a)
            return 0;
        if (b >= size)
            b = size - 1;
    }
    if (a >= size)
        return -1;
    *from = a;
    *to = b;
    return 1;
}
