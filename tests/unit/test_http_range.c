/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_range.c — the Range header parser (http/range.c) that
 * yj_req_reply_file uses: single ranges, suffixes, open ends clamped to
 * the file, unsatisfiable starts (416) and headers to ignore (200 with the
 * whole file). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/range.h"

#define SIZE 1000

static int parse(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
    *from = *to = 0xdeadbeef;
    return yj_http_parse_range(h, size, from, to);
}

static void satisfiable(void **state)
{
    (void)state;
    uint64_t a, b;
    assert_int_equal(parse("bytes=0-0", SIZE, &a, &b), 1);
    assert_int_equal(a, 0);
    assert_int_equal(b, 0);
    assert_int_equal(parse("bytes=10-19", SIZE, &a, &b), 1);
    assert_int_equal(a, 10);
    assert_int_equal(b, 19);
    assert_int_equal(parse("bytes=990-", SIZE, &a, &b), 1); /* open end */
    assert_int_equal(a, 990);
    assert_int_equal(b, 999);
    assert_int_equal(parse("bytes=500-5000", SIZE, &a, &b), 1); /* end clamped */
    assert_int_equal(a, 500);
    assert_int_equal(b, 999);
    assert_int_equal(parse("bytes=999-999", SIZE, &a, &b), 1); /* last byte */
    assert_int_equal(a, 999);
    assert_int_equal(b, 999);
}

static void suffix(void **state)
{
    (void)state;
    uint64_t a, b;
    assert_int_equal(parse("bytes=-100", SIZE, &a, &b), 1);
    assert_int_equal(a, 900);
    assert_int_equal(b, 999);
    assert_int_equal(parse("bytes=-5000", SIZE, &a, &b), 1); /* longer than the file */
    assert_int_equal(a, 0);
    assert_int_equal(b, 999);
    assert_int_equal(parse("bytes=-0", SIZE, &a, &b), -1);
    assert_int_equal(parse("bytes=-1", 0, &a, &b), -1); /* empty file */
}

static void unsatisfiable(void **state)
{
    (void)state;
    uint64_t a, b;
    assert_int_equal(parse("bytes=1000-", SIZE, &a, &b), -1);
    assert_int_equal(parse("bytes=1000-2000", SIZE, &a, &b), -1);
    assert_int_equal(parse("bytes=0-", 0, &a, &b), -1);
}

static void ignored(void **state)
{
    (void)state;
    uint64_t a, b;
    const char *bad[] = {
        "",
        "bytes",
        "bytes=",
        "bytes=-",
        "bytes=abc",
        "bytes=5",
        "bytes=5-x",
        "bytes=20-10",                 /* last < first */
        "bytes=0-1,5-6",               /* several ranges: whole file */
        "items=0-10",                  /* another unit */
        "Bytes=0-10",                  /* the unit is case-sensitive here */
        "bytes=99999999999999999999-", /* overflows */
        "bytes=-99999999999999999999",
        "bytes=0-99999999999999999999",
        "bytes=0-10 ",
        "bytes=-1x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int r = parse(bad[i], SIZE, &a, &b);
        if (r != 0)
            fail_msg("\"%s\" gave %d, want 0 (ignored)", bad[i], r);
        assert_int_equal(a, 0xdeadbeef); /* outputs untouched */
    }
}

/* Whatever is accepted stays inside the file. */
static void never_past_the_end(void **state)
{
    (void)state;
    const char *h[] = {"bytes=0-", "bytes=-1", "bytes=3-3", "bytes=0-0", "bytes=-7", "bytes=2-100"};
    for (uint64_t size = 1; size < 12; size++)
        for (size_t i = 0; i < sizeof h / sizeof *h; i++) {
            uint64_t a, b;
            if (parse(h[i], size, &a, &b) == 1) {
                assert_true(a <= b);
                assert_true(b < size);
            }
        }
}

/* Known defect, left for its own issue: a second '-' after the suffix
 * dash is read by strtoull as a negative number (ULLONG_MAX), so
 * "bytes=--1" is taken as "the whole file" (206) instead of being
 * ignored. This test records today's behaviour; when it is fixed, change
 * the expectation to 0. */
/* "bytes=--1" once became the suffix range of ULLONG_MAX bytes (strtoull
 * accepts a sign), a 206 of the whole file; a suffix is digits only, and
 * anything else is no range at all (the whole file with 200). */
static void signs_and_spaces_are_no_range(void **state)
{
    (void)state;
    uint64_t a, b;
    assert_int_equal(parse("bytes=--1", SIZE, &a, &b), 0);
    assert_int_equal(parse("bytes=-+5", SIZE, &a, &b), 0);
    assert_int_equal(parse("bytes=- 5", SIZE, &a, &b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(satisfiable),        cmocka_unit_test(suffix),
        cmocka_unit_test(unsatisfiable),      cmocka_unit_test(ignored),
        cmocka_unit_test(never_past_the_end), cmocka_unit_test(signs_and_spaces_are_no_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
