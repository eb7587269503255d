/* SPDX-License-Identifier: Apache-2.0 */
/*
 * member_input.h — validation of member fields, whether they arrive as JSON
 * (POST/PATCH /api/v1/members) or as CSV cells (imports).
 *
 * Both paths feed the same per-field setter, so a rule holds everywhere:
 * the identity number is checked (idnum.h); gender and birth date, derived
 * from it, must agree when given; dates are real and not in the future;
 * text is valid UTF-8 without control characters, of bounded length, and
 * never starts with = + - @ (so an export opened in a spreadsheet cannot
 * run a formula). Values are normalised (X upper-case, dates YYYY-MM-DD,
 * phone without spaces or dashes, 男/女 → male/female, 正式党员 → full).
 *
 * Everything here is pure: no I/O, no database (whether org_code exists is
 * the store's question), no global state.
 */
#ifndef YJ_MEMBER_INPUT_H
#define YJ_MEMBER_INPUT_H

#include <jansson.h>
#include <stdbool.h>

#define YJ_NAME_CHARS 50  /* member name, characters */
#define YJ_TEXT_CHARS 100 /* org name, location, reason: characters */
#define YJ_CODE_MAX 32    /* org code: ASCII letters and digits */
#define YJ_TEXT_BYTES (YJ_TEXT_CHARS * 4 + 1)

/* One bit per field, in yj_member_input_t.set. */
typedef enum {
    YJ_MF_ID_NUMBER = 1 << 0,
    YJ_MF_NAME = 1 << 1,
    YJ_MF_GENDER = 1 << 2,
    YJ_MF_BIRTH_DATE = 1 << 3,
    YJ_MF_PHONE = 1 << 4,
    YJ_MF_ORG_CODE = 1 << 5,
    YJ_MF_JOINED_ON = 1 << 6,
    YJ_MF_STATUS = 1 << 7,
    YJ_MF_MIGRANT = 1 << 8,
    YJ_MF_LOCATION = 1 << 9,
} yj_member_field_t;

/* A refused field: English message, machine code, field name. */
typedef struct {
    char field[24];
    char code[32];
    char message[200];
} yj_field_error_t;

/* Fields given for a create or an update; only those with their bit in
 * `set` are meaningful. For phone, joined_on and location an empty string
 * with the bit set means "clear it" (null). */
typedef struct {
    unsigned set;
    char id_number[19];
    char name[YJ_NAME_CHARS * 4 + 1];
    bool female;
    char birth_date[11];
    char phone[24];
    char org_code[YJ_CODE_MAX + 1];
    char joined_on[11];
    bool probationary;
    bool migrant;
    char location[YJ_TEXT_BYTES];
} yj_member_input_t;

/* The field's JSON/CSV name ("id_number", …) or NULL for an unknown bit. */
const char *yj_member_field_name(yj_member_field_t f);
/* The field for an English or Chinese column/key name (身份证号, 姓名, …),
 * or 0 when unknown. */
yj_member_field_t yj_member_field_lookup(const char *name);

/* Sets one field from text (trimmed of surrounding white space first).
 * NULL or empty text clears an optional field (phone, joined_on,
 * location) and is refused for the others. Returns 0, or YJ_EINVAL with
 * *err filled. */
int yj_member_input_set(yj_member_input_t *in, yj_member_field_t f, const char *text,
                        yj_field_error_t *err);

/* Cross-field rules once every field is in: the identity number is
 * required; gender and birth_date must agree with it (code
 * "id_number_mismatch"); joined_on must be after birth. With `create`,
 * name is required too. Fills gender/birth_date from the number when not
 * given. Returns 0 or YJ_EINVAL with *err filled. */
int yj_member_input_finish(yj_member_input_t *in, bool create, yj_field_error_t *err);

/* The JSON request body of POST /members (path_id NULL: create) or PATCH
 * /members/{path_id} (update) to a validated input. Unknown keys are
 * refused ("unknown_field"); the read-only "org_name" is ignored; on an
 * update an id_number different from path_id is refused
 * ("id_number_immutable"). Does not keep references to body. Returns 0 or
 * YJ_EINVAL with *err filled. */
int yj_member_input_from_json(const json_t *body, const char *path_id, yj_member_input_t *in,
                              yj_field_error_t *err);

/* Parses a forgiving date ("2001-07-01", "2001/7/1", "2001.7.1",
 * "20010701", "2001年7月1日") into "YYYY-MM-DD". false if it is no real
 * date between 1900-01-01 and 2999-12-31. */
bool yj_date_parse(const char *text, char out[11]);

/* Checks display text: valid UTF-8, 1..max_chars characters, no control
 * characters, no leading = + - @. Returns NULL or a static English reason. */
const char *yj_text_problem(const char *text, int max_chars);

/* True for 1..YJ_CODE_MAX ASCII letters and digits. */
bool yj_org_code_valid(const char *code);

#endif
