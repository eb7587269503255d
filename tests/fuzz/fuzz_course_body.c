/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_course_body.c — libFuzzer target for the JSON body of POST and
 * PATCH /api/v1/courses (yj_vod_course_input_from_json, vod/body_input.h),
 * parsed the way the HTTP layer does (jansson, duplicates rejected), both
 * as a create and as a PATCH.
 *
 * Invariants on success: a create has a title; a given title is plain text
 * of 1..200 characters; a category is plain text of at most 50; a
 * description valid UTF-8 of at most 4000 characters; a PATCH reads no
 * org_code. On failure: a code, a field and a message. No leak or
 * overflow.
 */
#include "vod/body_input.h"
#include "core/yj.h"

#include <glib.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int rc, const yj_vod_course_input_t *in, const yj_field_error_t *e, bool create)
{
    if (rc) {
        if (rc != YJ_EINVAL || !e->code[0] || !e->message[0])
            abort();
        return;
    }
    if (create && !in->title)
        abort();
    if (in->title && (yj_text_problem(in->title, 200) || g_utf8_strlen(in->title, -1) > 200))
        abort();
    if (in->category && in->category[0] && yj_text_problem(in->category, 50))
        abort();
    if (in->description &&
        (!g_utf8_validate(in->description, -1, NULL) || g_utf8_strlen(in->description, -1) > 4000))
        abort();
    if (!create && in->org_code)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return 0;
    yj_vod_course_input_t in;
    yj_field_error_t e;
    for (int create = 0; create < 2; create++) {
        memset(&e, 0, sizeof e);
        int rc = yj_vod_course_input_from_json(j, create, &in, &e);
        check(rc, &in, &e, create);
    }
    json_decref(j);
    return 0;
}
