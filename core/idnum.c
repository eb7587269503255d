/* SPDX-License-Identifier: Apache-2.0 */
/*
 * idnum.c — GB 11643 identity numbers; see idnum.h.
 *
 * The check character is ISO 7064 MOD 11-2: digit i (0-based from the
 * left) has weight 2^(17-i) mod 11; the sum modulo 11 indexes
 * "10X98765432". Province codes follow GB/T 2260 (plus 81/82/83 used by
 * the residence permits of Hong Kong, Macao and Taiwan residents).
 */
#include "idnum.h"

#include <string.h>
#include <time.h>

static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char check_chars[] = "10X98765432";

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

char yj_idnum_check_char(const char *first17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!is_digit(first17[i]))
            return 0;
        sum += (first17[i] - '0') * weights[i];
    }
    return check_chars[sum % 11];
}

static bool province_ok(int p)
{
    return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
           (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
           (p >= 81 && p <= 83);
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int yj_idnum_today(void)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

yj_idnum_status_t yj_idnum_parse_at(const char *s, int today, yj_idnum_t *out)
{
    if (!s || !*s)
        return YJ_IDNUM_EMPTY;
    size_t n = strnlen(s, YJ_IDNUM_LEN + 1);
    if (n != YJ_IDNUM_LEN)
        return YJ_IDNUM_LENGTH;
    char buf[YJ_IDNUM_LEN + 1];
    memcpy(buf, s, sizeof buf);
    if (buf[17] == 'x')
        buf[17] = 'X';
    for (int i = 0; i < 17; i++)
        if (!is_digit(buf[i]))
            return YJ_IDNUM_CHARS;
    if (!is_digit(buf[17]) && buf[17] != 'X')
        return YJ_IDNUM_CHARS;
    if (!province_ok(num(buf, 2)))
        return YJ_IDNUM_REGION;
    int y = num(buf + 6, 4), m = num(buf + 10, 2), d = num(buf + 12, 2);
    if (m < 1 || m > 12 || d < 1 || y < 1 || d > days_in_month(y, m))
        return YJ_IDNUM_DATE;
    if (y < 1900)
        return YJ_IDNUM_TOO_OLD;
    if (y * 10000 + m * 100 + d > today)
        return YJ_IDNUM_FUTURE;
    if (yj_idnum_check_char(buf) != buf[17])
        return YJ_IDNUM_CHECKSUM;
    if (out) {
        memcpy(out->number, buf, sizeof buf);
        memcpy(out->birth_date, buf + 6, 4);
        out->birth_date[4] = '-';
        memcpy(out->birth_date + 5, buf + 10, 2);
        out->birth_date[7] = '-';
        memcpy(out->birth_date + 8, buf + 12, 2);
        out->birth_date[10] = 0;
        out->female = (buf[16] - '0') % 2 == 0;
    }
    return YJ_IDNUM_OK;
}

yj_idnum_status_t yj_idnum_parse(const char *s, yj_idnum_t *out)
{
    return yj_idnum_parse_at(s, yj_idnum_today(), out);
}

const char *yj_idnum_reason(yj_idnum_status_t st)
{
    switch (st) {
    case YJ_IDNUM_OK:
        return "valid";
    case YJ_IDNUM_EMPTY:
        return "the identity number is missing";
    case YJ_IDNUM_LENGTH:
        return "an identity number has exactly 18 characters";
    case YJ_IDNUM_CHARS:
        return "an identity number has 17 digits followed by a digit or X";
    case YJ_IDNUM_REGION:
        return "the first two digits are not a province code";
    case YJ_IDNUM_DATE:
        return "digits 7-14 are not a valid birth date (YYYYMMDD)";
    case YJ_IDNUM_TOO_OLD:
        return "the birth date is before 1900";
    case YJ_IDNUM_FUTURE:
        return "the birth date is in the future";
    case YJ_IDNUM_CHECKSUM:
        return "the check character (last one) does not match; please check for a typo";
    }
    return "invalid identity number";
}
