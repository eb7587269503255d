/* SPDX-License-Identifier: Apache-2.0 */
/*
 * idnum.h — resident identity numbers (GB 11643-1999, 公民身份号码).
 *
 * Eighteen characters: a 6-digit address code, an 8-digit birth date
 * (YYYYMMDD), a 3-digit sequence code whose last digit is odd for men and
 * even for women, and an ISO 7064 MOD 11-2 check character (0-9 or X).
 * A lowercase x is accepted and normalised to X. The birth date must be a
 * real calendar date, not before 1900-01-01 and not after "today".
 *
 * Pure functions over caller buffers: no allocation, no global state, safe
 * on any thread. Never logs the number (it is personal data).
 */
#ifndef YJ_IDNUM_H
#define YJ_IDNUM_H

#include <stdbool.h>
#include <stddef.h>

#define YJ_IDNUM_LEN 18

/* Why a number was refused; each has its own message (yj_idnum_reason). */
typedef enum {
    YJ_IDNUM_OK = 0,
    YJ_IDNUM_EMPTY,    /* missing or empty */
    YJ_IDNUM_LENGTH,   /* not 18 characters */
    YJ_IDNUM_CHARS,    /* a non-digit among the first 17, or a last char not 0-9/X */
    YJ_IDNUM_REGION,   /* the first two digits are no province code */
    YJ_IDNUM_DATE,     /* birth date is no calendar date */
    YJ_IDNUM_TOO_OLD,  /* born before 1900 */
    YJ_IDNUM_FUTURE,   /* born after today */
    YJ_IDNUM_CHECKSUM, /* check character does not match */
} yj_idnum_status_t;

typedef struct {
    char number[YJ_IDNUM_LEN + 1]; /* normalised: upper-case X */
    char birth_date[11];           /* "YYYY-MM-DD" */
    bool female;                   /* from the 17th digit (even: female) */
} yj_idnum_t;

/* Checks s (NUL-terminated, may be NULL) against "today" given as
 * YYYYMMDD (e.g. 20261122). On YJ_IDNUM_OK fills *out when out is not
 * NULL. Leading/trailing whitespace is NOT trimmed: callers trim. */
yj_idnum_status_t yj_idnum_parse_at(const char *s, int today_yyyymmdd, yj_idnum_t *out);

/* Same, with today's local date. */
yj_idnum_status_t yj_idnum_parse(const char *s, yj_idnum_t *out);

/* The check character ('0'-'9' or 'X') for 17 leading digits, or 0 when
 * first17 holds a non-digit. */
char yj_idnum_check_char(const char *first17);

/* A short English explanation of a status (static string, never NULL). */
const char *yj_idnum_reason(yj_idnum_status_t st);

/* Today's local date as YYYYMMDD. */
int yj_idnum_today(void);

#endif
