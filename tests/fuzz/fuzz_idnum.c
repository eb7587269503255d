/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_idnum.c — libFuzzer target for identity numbers (core/idnum.h) and
 * the forgiving date parser (core/member_input.h).
 *
 * Invariants: an accepted number is 18 characters, normalised (upper-case
 * X), its check character is the computed one, its birth date parses back
 * as a real date, and parsing the normalised form again gives the same
 * result; a refusal always has a reason.
 */
#include "core/idnum.h"
#include "core/member_input.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[64];
    size_t n = size < sizeof buf - 1 ? size : sizeof buf - 1;
    memcpy(buf, data, n);
    buf[n] = 0;
    yj_idnum_t id;
    yj_idnum_status_t st = yj_idnum_parse_at(buf, 20261122, &id);
    if (!yj_idnum_reason(st))
        abort();
    if (st == YJ_IDNUM_OK) {
        if (strlen(id.number) != 18 || id.number[17] == 'x')
            abort();
        if (yj_idnum_check_char(id.number) != id.number[17])
            abort();
        char d[11];
        if (!yj_date_parse(id.birth_date, d) || strcmp(d, id.birth_date) != 0)
            abort();
        yj_idnum_t again;
        if (yj_idnum_parse_at(id.number, 20261122, &again) != YJ_IDNUM_OK ||
            memcmp(&again, &id, sizeof id) != 0)
            abort();
        if (id.female != ((id.number[16] - '0') % 2 == 0))
            abort();
    }
    char d[11];
    if (yj_date_parse(buf, d)) {
        if (strlen(d) != 10 || d[4] != '-' || d[7] != '-')
            abort();
        char d2[11];
        if (!yj_date_parse(d, d2) || strcmp(d, d2) != 0)
            abort();
    }
    return 0;
}
