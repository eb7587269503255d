/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_json_request.c — libFuzzer target for the JSON → member fields
 * validation used by POST and PATCH /api/v1/members
 * (yj_member_input_from_json, core/member_input.h).
 *
 * The body is parsed the way the HTTP layer does (jansson, duplicates
 * rejected), then validated both as a create and as an update of a fixed
 * member. Invariants on success: the identity number is valid and gender
 * and birth date agree with it; text fields are valid UTF-8 without
 * control characters and within their limits; a create has a name and an
 * org code; an update keeps the path's identity number. On failure: an
 * error code and message.
 */
#include "core/idnum.h"
#include "core/member_input.h"
#include "core/yj.h"

#include <glib.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const yj_member_input_t *in, int rc, const yj_field_error_t *e, bool create,
                  const char *path_id)
{
    if (rc) {
        if (!e->code[0] || !e->message[0])
            abort();
        return;
    }
    yj_idnum_t id;
    if (yj_idnum_parse(in->id_number, &id) != YJ_IDNUM_OK)
        abort();
    if (id.female != in->female || strcmp(id.birth_date, in->birth_date) != 0)
        abort();
    if (path_id && strcmp(in->id_number, path_id) != 0)
        abort();
    if (create && (!(in->set & YJ_MF_NAME) || !(in->set & YJ_MF_ORG_CODE)))
        abort();
    if ((in->set & YJ_MF_NAME) && yj_text_problem(in->name, YJ_NAME_CHARS))
        abort();
    if ((in->set & YJ_MF_LOCATION) && in->location[0] &&
        yj_text_problem(in->location, YJ_TEXT_CHARS))
        abort();
    if ((in->set & YJ_MF_ORG_CODE) && !yj_org_code_valid(in->org_code))
        abort();
    char d[11];
    if ((in->set & YJ_MF_JOINED_ON) && in->joined_on[0] &&
        (!yj_date_parse(in->joined_on, d) || strcmp(in->joined_on, in->birth_date) <= 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return 0;
    yj_member_input_t in;
    yj_field_error_t e;
    memset(&e, 0, sizeof e);
    int rc = yj_member_input_from_json(j, NULL, &in, &e);
    check(&in, rc, &e, true, NULL);
    memset(&e, 0, sizeof e);
    rc = yj_member_input_from_json(j, "11010519491231002X", &in, &e);
    check(&in, rc, &e, false, "11010519491231002X");
    json_decref(j);
    return 0;
}
