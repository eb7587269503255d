/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_meeting_body.c — libFuzzer target for the JSON body of POST
 * /api/v1/meetings and PATCH /api/v1/meetings/{id}
 * (yj_meeting_input_from_json, signaling/meeting_input.h), parsed the way
 * the HTTP layer does (jansson, duplicates rejected).
 *
 * Invariants on success: title is plain text of 1..200 characters; type
 * is a known slug; org_code is non-empty; start lies in 2000..2100;
 * duration 1..1440 and threshold 1..100; not both hosts; the org and
 * member lists hold exactly n non-empty strings within their limits and
 * end in NULL. On failure: a code and a message. No leak or overflow.
 */
#include "signaling/meeting_input.h"
#include "core/yj.h"

#include <glib.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_list(const char *const *v, size_t n, size_t max)
{
    if (!v)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!v[i] || !v[i][0] || strlen(v[i]) > max)
            abort();
    if (v[n])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return 0;
    const int64_t now = 1796083200; /* 2026-12-01 */
    yj_meeting_spec_t sp;
    yj_field_error_t e;
    memset(&e, 0, sizeof e);
    int rc = yj_meeting_input_from_json(j, now, &sp, &e);
    if (rc) {
        if (rc != YJ_EINVAL || !e.code[0] || !e.message[0])
            abort();
    } else {
        if (yj_text_problem(sp.title, 200) || !sp.type || !yj_meeting_type_name(sp.type) ||
            !sp.org_code || !sp.org_code[0])
            abort();
        if (sp.start_at < YJ_MEETING_START_MIN || sp.start_at >= YJ_MEETING_START_MAX)
            abort();
        if (sp.duration_minutes < 1 || sp.duration_minutes > 1440 || sp.threshold_percent < 1 ||
            sp.threshold_percent > 100)
            abort();
        if (sp.host_admin && sp.host_member)
            abort();
        check_list(sp.org_codes, sp.n_orgs, 32);
        check_list(sp.member_ids, sp.n_members, 18);
        yj_meeting_input_clear(&sp);
    }
    json_decref(j);
    return 0;
}
