/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_signaling.c — libFuzzer target for the signaling protocol's message
 * parser (signaling/protocol.c): any bytes either parse into a message whose
 * fields respect the documented limits, or give an error with a code and a
 * message; the error text built from it is always valid JSON.
 */
#include "signaling/protocol.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yj_protocol_msg_t m;
    yj_protocol_msg_error_t e;
    int rc = yj_protocol_msg_parse((const char *)data, size, &m, &e);
    if (rc == 0) {
        if (!m.root)
            abort();
        if (m.type == YJ_MSG_JOIN && m.meeting <= 0)
            abort();
        if ((m.type == YJ_MSG_OFFER || m.type == YJ_MSG_ANSWER) &&
            (!m.sdp || strlen(m.sdp) > YJ_SDP_MAX))
            abort();
        if (m.type == YJ_MSG_CANDIDATE && m.candidate && strlen(m.candidate) > YJ_CANDIDATE_MAX)
            abort();
        if (m.type == YJ_MSG_HOST && m.action != YJ_HOST_END && !yj_protocol_pid_valid(m.target))
            abort();
        if (m.id && strlen(m.id) > 64)
            abort();
        yj_protocol_msg_clear(&m);
        if (m.root)
            abort();
        return 0;
    }
    if (!e.code || !e.message[0] || m.root)
        abort();
    char *t = yj_protocol_msg_error_text(e.code, e.field, NULL, "%s", e.message);
    json_t *j = json_loads(t, 0, NULL);
    if (!j)
        abort();
    json_decref(j);
    g_free(t);
    return 0;
}
