/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_org_body.c — libFuzzer target for the JSON body of POST
 * /api/v1/orgs and PATCH /api/v1/orgs/{code} (yj_org_input_from_json,
 * portal/org_input.h), parsed the way the HTTP layer does (jansson,
 * duplicates rejected), as a create and as a PATCH of org 33010101.
 *
 * Invariants on success: a create has a valid code, a plain-text name and
 * a parent code; a PATCH keeps the path's code and has a name or a parent,
 * the name plain text; every key of the body is an allowed one. On
 * failure: a code and a message. No leak or overflow.
 */
#include "portal/org_input.h"
#include "core/yj.h"

#include <glib.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool allowed_key(const char *k, bool create)
{
    static const char *const c[] = {"code", "name", "parent_code", NULL};
    static const char *const p[] = {"name",  "parent_code",  "code", "id",
                                    "depth", "member_count", NULL};
    for (const char *const *a = create ? c : p; *a; a++)
        if (strcmp(*a, k) == 0)
            return true;
    return false;
}

static void check(json_t *j, int rc, const yj_org_input_t *in, const yj_field_error_t *e,
                  const char *path_code)
{
    if (rc) {
        if (rc != YJ_EINVAL || !e->code[0] || !e->message[0])
            abort();
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v)
    {
        if (!allowed_key(k, !path_code))
            abort();
    }
    if (!path_code) {
        if (!in->code || !yj_org_code_valid(in->code) || !in->name || !in->parent_code)
            abort();
    } else {
        if (!in->code || strcmp(in->code, path_code) != 0 || (!in->name && !in->parent_code))
            abort();
    }
    if (in->name && yj_text_problem(in->name, YJ_TEXT_CHARS))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return 0;
    yj_org_input_t in;
    yj_field_error_t e;
    memset(&e, 0, sizeof e);
    check(j, yj_org_input_from_json(j, NULL, &in, &e), &in, &e, NULL);
    memset(&e, 0, sizeof e);
    check(j, yj_org_input_from_json(j, "33010101", &in, &e), &in, &e, "33010101");
    json_decref(j);
    return 0;
}
