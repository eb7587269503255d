/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_lesson_body.c — libFuzzer target for the lesson fields of POST and
 * PATCH /api/v1/lessons and of an upload's completion
 * (yj_vod_lesson_input_from_json, vod/body_input.h), parsed the way the
 * HTTP layer does (jansson, duplicates rejected), both as a create and as
 * a PATCH.
 *
 * Invariants on success: a create has a title, minutes and a threshold; a
 * given title is plain text of 1..200 characters; minutes lie in 0..6000
 * (-1 only on a PATCH without them); the threshold in (0, 1] (-1 only on a
 * PATCH); orgs, when given, is an array of at most 1000. On failure: a
 * code, a field and a message. No leak or overflow.
 */
#include "vod/body_input.h"
#include "core/yj.h"

#include <glib.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int rc, const yj_vod_lesson_input_t *in, const yj_field_error_t *e, bool create)
{
    if (rc) {
        if (rc != YJ_EINVAL || !e->code[0] || !e->field[0] || !e->message[0])
            abort();
        return;
    }
    if (create && (!in->title || in->minutes < 0 || in->threshold < 0))
        abort();
    if (in->title && (yj_text_problem(in->title, 200) || g_utf8_strlen(in->title, -1) > 200))
        abort();
    if (in->minutes != -1 && (in->minutes < 0 || in->minutes > 6000))
        abort();
    if (in->threshold != -1 && !(in->threshold > 0 && in->threshold <= 1))
        abort();
    if (in->orgs && (!json_is_array(in->orgs) || json_array_size(in->orgs) > 1000))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return 0;
    if (!json_is_object(j)) {
        json_decref(j);
        return 0;
    }
    yj_vod_lesson_input_t in;
    yj_field_error_t e;
    for (int create = 0; create < 2; create++) {
        memset(&e, 0, sizeof e);
        int rc = yj_vod_lesson_input_from_json(j, create, &in, &e);
        check(rc, &in, &e, create);
    }
    json_decref(j);
    return 0;
}
