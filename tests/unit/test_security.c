/* SPDX-License-Identifier: Apache-2.0 */
/* test_security.c — pure pieces of issue 13's fixes: the password policy
 * (portal/password_policy.c) refuses short, common and account-equal
 * passwords and accepts ordinary strong ones; the log's escaping
 * (core/log.c) leaves no C0/C1/DEL/bidi control in a line and keeps plain
 * Chinese text as is; a stored hash made with another PBKDF2 cost asks
 * for a re-hash (core/crypto.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/crypto.h"
#include "core/log.h"
#include "portal/password_policy.h"

#include <glib.h>
#include <string.h>

static void password_policy(void **state)
{
    (void)state;
    assert_string_equal(yj_password_policy_check("short", "x"), "weak_password");
    assert_string_equal(yj_password_policy_check(NULL, "x"), "weak_password");
    assert_string_equal(yj_password_policy_check("12345678", "x"), "common_password");
    assert_string_equal(yj_password_policy_check("PassWord123", "x"), "common_password");
    assert_string_equal(yj_password_policy_check("woaini1314", "x"), "common_password");
    assert_string_equal(yj_password_policy_check("aaaaaaaaaa", "x"), "common_password");
    assert_null(yj_password_policy_check("3456789012", "x")); /* 9→0 breaks the run */
    assert_string_equal(yj_password_policy_check("23456789", "x"), "common_password");
    assert_string_equal(yj_password_policy_check("987654321", "x"), "common_password");
    assert_string_equal(yj_password_policy_check("330101199001010012", "330101199001010012"),
                        "common_password");
    assert_null(yj_password_policy_check("Lianxi-2026-春", "330101199001010012"));
    assert_null(yj_password_policy_check("长城长江黄河泰山", "qingshan"));
    assert_string_equal(yj_password_policy_check("\xff\xfe invalid utf8", "x"), "weak_password");
}

static void log_escape(void **state)
{
    (void)state;
    char out[256];
    yj_log_escape("GET /a\n2026 INFO forged\r\t\x1b[31m\x7f", out, sizeof out);
    assert_string_equal(out, "GET /a\\x0a2026 INFO forged\\x0d\\x09\\x1b[31m\\x7f");
    yj_log_escape("名\xe2\x80\xae字\xe2\x81\xa6\xc2\x85", out, sizeof out);
    assert_string_equal(out, "名\\u202e字\\u2066\\x85");
    yj_log_escape("普通的中文 — ok", out, sizeof out);
    assert_string_equal(out, "普通的中文 — ok");
    /* Truncation never splits an escape and always terminates. */
    char small[6];
    size_t n = yj_log_escape("ab\ncd", small, sizeof small);
    assert_int_equal(n, strlen(small));
    assert_string_equal(small, "ab");
}

static void rehash(void **state)
{
    (void)state;
    yj_crypto_set_iterations(1000);
    char *h = yj_password_hash("Lianxi-2026");
    assert_non_null(h);
    assert_false(yj_password_needs_rehash(h));
    assert_true(yj_password_verify("Lianxi-2026", h));
    yj_crypto_set_iterations(2000);
    assert_true(yj_password_needs_rehash(h));
    assert_true(yj_password_verify("Lianxi-2026", h)); /* still verifies */
    assert_true(yj_password_needs_rehash("bcrypt$whatever"));
    assert_true(yj_password_needs_rehash(NULL));
    yj_password_dummy_verify("anything"); /* runs, no crash */
    yj_password_dummy_verify(NULL);
    g_free(h);
    yj_crypto_set_iterations(0); /* back to the default */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(password_policy),
        cmocka_unit_test(log_escape),
        cmocka_unit_test(rehash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
