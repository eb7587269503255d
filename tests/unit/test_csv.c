/* SPDX-License-Identifier: Apache-2.0 */
/* test_csv.c — the RFC 4180 reader (quotes, line ends, BOM, line numbers,
 * bounds, hostile bytes) and the field writer (round trip). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/csv.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

/* Reads all of text into "a|b\n" lines of "LINE:fields" (or "ERR LINE msg"). */
static char *dump(const char *text, size_t len, int max_fields, size_t max_field)
{
    yj_csv_t *c = yj_csv_new(text, len, max_fields, max_field);
    GString *out = g_string_new(NULL);
    yj_csv_row_t row;
    int r;
    while ((r = yj_csv_next(c, &row)) == 1) {
        g_string_append_printf(out, "%d:", row.line);
        for (int i = 0; i < row.n; i++)
            g_string_append_printf(out, "%s[%s]", i ? "," : "", row.fields[i]);
        g_string_append_c(out, '\n');
    }
    if (r < 0) {
        g_string_append_printf(out, "ERR %d %s\n", yj_csv_error_line(c), yj_csv_error(c));
        /* An error is sticky. */
        assert_int_equal(yj_csv_next(c, &row), YJ_EINVAL);
    } else {
        assert_null(yj_csv_error(c));
        assert_int_equal(yj_csv_error_line(c), 0);
    }
    yj_csv_free(c);
    return g_string_free(out, FALSE);
}

static void expect(const char *text, const char *want)
{
    char *got = dump(text, strlen(text), 0, 0);
    if (strcmp(got, want) != 0)
        fail_msg("input %s\n got: %s\nwant: %s", text, got, want);
    g_free(got);
}

static void expect_error(const char *text, size_t len, int line, const char *msg_part)
{
    yj_csv_t *c = yj_csv_new(text, len, 4, 16);
    yj_csv_row_t row;
    int r;
    while ((r = yj_csv_next(c, &row)) == 1)
        ;
    assert_int_equal(r, YJ_EINVAL);
    if (yj_csv_error_line(c) != line || !strstr(yj_csv_error(c), msg_part))
        fail_msg("got line %d '%s', want line %d containing '%s'", yj_csv_error_line(c),
                 yj_csv_error(c), line, msg_part);
    yj_csv_free(c);
}

static void records_and_lines(void **state)
{
    (void)state;
    expect("", "");
    expect("a", "1:[a]\n");
    expect("a,b\r\nc,d\r\n", "1:[a],[b]\n2:[c],[d]\n");
    expect("a,b\nc,d", "1:[a],[b]\n2:[c],[d]\n");
    expect("a\rb\r", "1:[a]\n2:[b]\n");
    expect("a,,\n,\n", "1:[a],[],[]\n2:[],[]\n");
    expect("\n\nx\n", "1:[]\n2:[]\n3:[x]\n");
    expect("\xEF\xBB\xBFid,name\n", "1:[id],[name]\n");
    expect("\"a,b\",\"say \"\"hi\"\"\",\"\"\n", "1:[a,b],[say \"hi\"],[]\n");
    /* A quoted line break keeps its bytes and the next record's line. */
    expect("\"x\r\ny\",z\r\nnext\n", "1:[x\r\ny],[z]\n3:[next]\n");
    expect("\"a\nb\nc\"\nd\n", "1:[a\nb\nc]\n4:[d]\n");
    expect("  spaced , kept \n", "1:[  spaced ],[ kept ]\n");
    expect("身份证号,姓名\n11010519491231002X,张三\n",
           "1:[身份证号],[姓名]\n2:[11010519491231002X],[张三]\n");
    expect("a,\"b\"", "1:[a],[b]\n");
}

static void hostile_input(void **state)
{
    (void)state;
    expect_error("a,\"open\nstill\n", 14, 1, "never closed");
    expect_error("ok\na,b\"c\n", 9, 2, "quote inside");
    expect_error("ok\n\"a\"b,c\n", 10, 2, "after a closing quote");
    expect_error("ok\nok\nbad\xff\n", 11, 3, "UTF-8");
    expect_error("ok\n\"multi\nline\xc3\"\n", 18, 3, "UTF-8");
    expect_error("ok\nnul\0here\n", 12, 2, "NUL");
    expect_error("a,b,c,d,e\n", 10, 1, "more than 4 fields");
    expect_error("ok\n0123456789abcdefg\n", 21, 2, "longer than 16");
    expect_error("ok\n\"0123456789abcdefg\"\n", 23, 2, "longer than 16");
    /* Exactly at the limits is fine. */
    char *got = dump("a,b,c,d\n0123456789abcdef\n", 25, 4, 16);
    assert_string_equal(got, "1:[a],[b],[c],[d]\n2:[0123456789abcdef]\n");
    g_free(got);
    /* A bad byte before a syntax error in the same record is reported. */
    expect_error("x\xff,\"y\"z\n", 8, 1, "UTF-8");
    /* A record with a NUL in a quoted field. */
    expect_error("\"a\0b\"\n", 6, 1, "NUL");
    /* NULL data reads as empty. */
    yj_csv_t *c = yj_csv_new(NULL, 5, 0, 0);
    yj_csv_row_t row;
    assert_int_equal(yj_csv_next(c, &row), 0);
    yj_csv_free(c);
    yj_csv_free(NULL);
}

static void writer_round_trip(void **state)
{
    (void)state;
    const char *fields[] = {"plain",  "with,comma", "say \"hi\"", "two\r\nlines", " lead",
                            "trail ", "",           "张三",       "=1+1",         "a\nb"};
    GString *out = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        if (i)
            g_string_append_c(out, ',');
        yj_csv_append_field(out, fields[i]);
    }
    g_string_append(out, "\r\n");
    yj_csv_t *c = yj_csv_new(out->str, out->len, 0, 0);
    yj_csv_row_t row;
    assert_int_equal(yj_csv_next(c, &row), 1);
    assert_int_equal(row.n, (int)G_N_ELEMENTS(fields));
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
        assert_string_equal(row.fields[i], fields[i]);
    assert_int_equal(yj_csv_next(c, &row), 0);
    yj_csv_free(c);
    assert_non_null(strstr(out->str, "plain,\"with,comma\",\"say \"\"hi\"\"\""));
    g_string_free(out, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_and_lines),
        cmocka_unit_test(hostile_input),
        cmocka_unit_test(writer_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
