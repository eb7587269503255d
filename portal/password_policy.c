/* SPDX-License-Identifier: Apache-2.0 */
/*
 * password_policy.c — see password_policy.h. The list holds the most
 * frequent passwords of 8 characters or more from public breach-frequency
 * lists (keyboard walks, digit runs, "password" variants) and the pinyin
 * and number patterns common among Chinese users. It is short on purpose:
 * it stops the guesses an online attacker tries first; the sign-in limiter
 * and PBKDF2 cost do the rest.
 */
#include "password_policy.h"

#include <glib.h>
#include <string.h>

static const char *const common[] = {
    "12345678",       "123456789",   "1234567890", "0123456789",    "87654321",     "11111111",
    "00000000",       "88888888",    "66666666",   "12341234",      "11223344",     "12344321",
    "123123123",      "123456123",   "1234512345", "147258369",     "123654789",    "789456123",
    "741852963",      "159357456",   "1qaz2wsx",   "1q2w3e4r",      "1q2w3e4r5t",   "qwertyui",
    "qwertyuiop",     "asdfghjk",    "asdfghjkl",  "zxcvbnm123",    "qwe123456",    "qwer1234",
    "asdf1234",       "zxcv1234",    "abcd1234",   "abc123456",     "a1234567",     "a12345678",
    "aa123456",       "aa12345678",  "password",   "password1",     "password12",   "password123",
    "passw0rd",       "p@ssw0rd",    "p@ssword",   "iloveyou",      "iloveyou1",    "sunshine",
    "princess",       "football",    "baseball",   "superman",      "whatever",     "trustno1",
    "starwars",       "computer",    "michelle",   "corvette",      "mercedes",     "letmein1",
    "welcome1",       "admin123",    "admin1234",  "administrator", "root1234",     "changeme",
    "woaini1314",     "woaini520",   "woaini123",  "5201314520",    "52013145",     "13145200",
    "1314520520",     "wangyang",    "zhangwei",   "woaini1314520", "qq123456",     "qq5201314",
    "yuanjiao",       "yuanjiao123", "dangyuan",   "dangyuan123",   "gongchandang", "zhongguo",
    "zhongguo123",    "abcdefgh",    "abcdefg1",   "12qwaszx",      "q1w2e3r4",     "1a2b3c4d",
    "demo-pass-2026",
};

bool yj_password_is_common(const char *pw)
{
    if (!pw)
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(common); i++)
        if (g_ascii_strcasecmp(pw, common[i]) == 0)
            return true;
    /* One character repeated, or a plain ascending/descending digit run. */
    size_t n = strlen(pw);
    bool same = n > 0, up = n > 1, down = n > 1;
    for (size_t i = 1; i < n; i++) {
        same &= pw[i] == pw[0];
        up &= g_ascii_isdigit(pw[i]) && pw[i] == pw[i - 1] + 1;
        down &= g_ascii_isdigit(pw[i]) && pw[i] == pw[i - 1] - 1;
    }
    return same || up || down;
}

const char *yj_password_policy_check(const char *pw, const char *account)
{
    if (!pw || strlen(pw) > 200 || !g_utf8_validate(pw, -1, NULL) || g_utf8_strlen(pw, -1) < 8)
        return "weak_password";
    if (yj_password_is_common(pw) || (account && *account && g_ascii_strcasecmp(pw, account) == 0))
        return "common_password";
    return NULL;
}
