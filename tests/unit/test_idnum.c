/* SPDX-License-Identifier: Apache-2.0 */
/* test_idnum.c — GB 11643 identity numbers: check character, every
 * refusal reason, normalisation, derived birth date and gender. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/idnum.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#define TODAY 20261122

static void known_numbers(void **state)
{
    (void)state;
    yj_idnum_t id;
    /* The example number of the standard's commentary: female, 1949-12-31. */
    assert_int_equal(yj_idnum_parse_at("11010519491231002X", TODAY, &id), YJ_IDNUM_OK);
    assert_string_equal(id.number, "11010519491231002X");
    assert_string_equal(id.birth_date, "1949-12-31");
    assert_true(id.female);
    /* Lower-case x is accepted and normalised. */
    assert_int_equal(yj_idnum_parse_at("11010519491231002x", TODAY, &id), YJ_IDNUM_OK);
    assert_string_equal(id.number, "11010519491231002X");
    /* An odd 17th digit is male. */
    assert_int_equal(yj_idnum_parse_at("330102195603120130", TODAY, &id), YJ_IDNUM_OK);
    assert_false(id.female);
    assert_string_equal(id.birth_date, "1956-03-12");
    assert_int_equal(yj_idnum_check_char("11010519491231002"), 'X');
    assert_int_equal(yj_idnum_check_char("33010219560312013"), '0');
    assert_int_equal(yj_idnum_check_char("3301021956031201a"), 0);
    /* out may be NULL. */
    assert_int_equal(yj_idnum_parse_at("11010519491231002X", TODAY, NULL), YJ_IDNUM_OK);
}

static void every_reason(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        yj_idnum_status_t want;
    } cases[] = {
        {NULL, YJ_IDNUM_EMPTY},
        {"", YJ_IDNUM_EMPTY},
        {"11010519491231002", YJ_IDNUM_LENGTH},
        {"11010519491231002X1", YJ_IDNUM_LENGTH},
        {"11010519491231002XXXXXXXXXXXXXXXXXXX", YJ_IDNUM_LENGTH},
        {"1101051949123100AX", YJ_IDNUM_CHARS},
        {"11010519491231002Y", YJ_IDNUM_CHARS},
        {"X10105194912310020", YJ_IDNUM_CHARS},
        {"11010519491231 02X", YJ_IDNUM_CHARS},
        {"00010519491231002X", YJ_IDNUM_REGION},
        {"99010519491231002X", YJ_IDNUM_REGION},
        {"16010519491231002X", YJ_IDNUM_REGION},
        {"11010519491331002X", YJ_IDNUM_DATE}, /* month 13 */
        {"11010519490230002X", YJ_IDNUM_DATE}, /* 30 February */
        {"11010519000229002X", YJ_IDNUM_DATE}, /* 1900 was no leap year */
        {"11010519491200002X", YJ_IDNUM_DATE}, /* day 0 */
        {"11010518991231002X", YJ_IDNUM_TOO_OLD},
        {"11010520261123002X", YJ_IDNUM_FUTURE},
        {"11010519491231002 1", YJ_IDNUM_LENGTH},
        {"110105194912310021", YJ_IDNUM_CHECKSUM},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        yj_idnum_t id;
        memset(&id, 0x55, sizeof id);
        yj_idnum_status_t got = yj_idnum_parse_at(cases[i].s, TODAY, &id);
        if (got != cases[i].want)
            fail_msg("%s: got %d, want %d", cases[i].s ? cases[i].s : "(null)", got, cases[i].want);
    }
    /* Reasons are distinct, non-empty English sentences. */
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (int s = YJ_IDNUM_OK; s <= YJ_IDNUM_CHECKSUM; s++) {
        const char *r = yj_idnum_reason(s);
        assert_non_null(r);
        assert_true(strlen(r) > 4);
        assert_false(g_hash_table_contains(seen, r));
        g_hash_table_add(seen, (gpointer)r);
    }
    g_hash_table_destroy(seen);
}

static void dates_at_the_edges(void **state)
{
    (void)state;
    char first[18], num[19];
    /* Born today is fine, tomorrow is not; 29 February 2000 exists. */
    const char *births[] = {"20261122", "20000229", "19000101"};
    for (size_t i = 0; i < 3; i++) {
        g_snprintf(first, sizeof first, "330106%s001", births[i]);
        g_snprintf(num, sizeof num, "%s%c", first, yj_idnum_check_char(first));
        assert_int_equal(yj_idnum_parse_at(num, TODAY, NULL), YJ_IDNUM_OK);
    }
    g_snprintf(first, sizeof first, "330106%s001", "20261123");
    g_snprintf(num, sizeof num, "%s%c", first, yj_idnum_check_char(first));
    assert_int_equal(yj_idnum_parse_at(num, TODAY, NULL), YJ_IDNUM_FUTURE);
    assert_int_equal(yj_idnum_parse_at(num, 20261123, NULL), YJ_IDNUM_OK);
    /* yj_idnum_parse uses the real date: a number born in 2999 is future. */
    g_snprintf(first, sizeof first, "330106%s001", "29991231");
    g_snprintf(num, sizeof num, "%s%c", first, yj_idnum_check_char(first));
    assert_int_equal(yj_idnum_parse(num, NULL), YJ_IDNUM_FUTURE);
    assert_true(yj_idnum_today() > 20240000);
}

/* MOD 11-2 catches every single-digit substitution and every wrong check
 * character; verified over many generated numbers. */
static void check_character_catches_typos(void **state)
{
    (void)state;
    GRand *r = g_rand_new_with_seed(11643);
    for (int n = 0; n < 2000; n++) {
        char first[18], num[19];
        int y = g_rand_int_range(r, 1900, 2020), m = g_rand_int_range(r, 1, 13),
            d = g_rand_int_range(r, 1, 29);
        g_snprintf(first, sizeof first, "%02d%04d%04d%02d%02d%03d", g_rand_int_range(r, 31, 38),
                   g_rand_int_range(r, 0, 10000), y, m, d, g_rand_int_range(r, 0, 1000));
        g_snprintf(num, sizeof num, "%s%c", first, yj_idnum_check_char(first));
        yj_idnum_t id;
        assert_int_equal(yj_idnum_parse_at(num, TODAY, &id), YJ_IDNUM_OK);
        assert_int_equal(id.female, (first[16] - '0') % 2 == 0);
        /* every other check character */
        const char all[] = "0123456789X";
        for (int k = 0; all[k]; k++) {
            if (all[k] == num[17])
                continue;
            char bad[19];
            memcpy(bad, num, sizeof bad);
            bad[17] = all[k];
            assert_int_equal(yj_idnum_parse_at(bad, TODAY, NULL), YJ_IDNUM_CHECKSUM);
        }
        /* a typo in the sequence code (positions that stay a valid date) */
        for (int pos = 14; pos < 17; pos++) {
            char bad[19];
            memcpy(bad, num, sizeof bad);
            bad[pos] = (char)('0' + (bad[pos] - '0' + 1 + g_rand_int_range(r, 0, 9)) % 10);
            if (bad[pos] == num[pos])
                continue;
            assert_int_equal(yj_idnum_parse_at(bad, TODAY, NULL), YJ_IDNUM_CHECKSUM);
        }
    }
    g_rand_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_numbers),
        cmocka_unit_test(every_reason),
        cmocka_unit_test(dates_at_the_edges),
        cmocka_unit_test(check_character_catches_typos),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
