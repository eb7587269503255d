/* SPDX-License-Identifier: Apache-2.0 */
/* test_vod_upload_offset.c — the resumable upload's offsets (vod/import.c,
 * PUT /api/v1/uploads/{id}?offset=N): the ?offset= parser takes plain
 * decimal digits only, and a chunk is accepted only at the received
 * offset and only if it stays within the declared size. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/yj.h"
#include "vod/import.h"

static void parse_offset(void **state)
{
    (void)state;
    int64_t off = -7;
    assert_int_equal(yj_vod_import_parse_offset("0", &off), 0);
    assert_int_equal(off, 0);
    assert_int_equal(yj_vod_import_parse_offset("8388608", &off), 0);
    assert_int_equal(off, 8388608);
    assert_int_equal(yj_vod_import_parse_offset("007", &off), 0);
    assert_int_equal(off, 7);
    const char *bad[] = {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "1e3", "abc", "1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        off = -7;
        if (yj_vod_import_parse_offset(bad[i], &off) != YJ_EINVAL)
            fail_msg("offset \"%s\" accepted", bad[i]);
        assert_int_equal(off, -7);
    }
    assert_int_equal(yj_vod_import_parse_offset(NULL, &off), YJ_EINVAL);
}

static void check_chunk(void **state)
{
    (void)state;
    /* size 100, 40 received */
    assert_int_equal(yj_vod_import_check_chunk(40, 60, 40, 100), 0);
    assert_int_equal(yj_vod_import_check_chunk(40, 0, 40, 100), 0);
    assert_int_equal(yj_vod_import_check_chunk(40, 61, 40, 100), YJ_EINVAL);
    assert_int_equal(yj_vod_import_check_chunk(0, 10, 40, 100), YJ_ESTATE);  /* resent */
    assert_int_equal(yj_vod_import_check_chunk(50, 10, 40, 100), YJ_ESTATE); /* a gap */
    assert_int_equal(yj_vod_import_check_chunk(100, 0, 100, 100), 0);        /* complete */
    assert_int_equal(yj_vod_import_check_chunk(100, 1, 100, 100), YJ_EINVAL);
    assert_int_equal(yj_vod_import_check_chunk(40, SIZE_MAX, 40, 100), YJ_EINVAL);
    assert_int_equal(yj_vod_import_check_chunk(INT64_MAX, 1, INT64_MAX, 100), YJ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_offset),
        cmocka_unit_test(check_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
