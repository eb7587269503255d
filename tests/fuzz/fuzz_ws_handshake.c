/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ws_handshake.c — libFuzzer target for the WebSocket opening
 * handshake's header checks (yj_ws_check_handshake, signaling/ws.h). The
 * input is split on NUL bytes into Upgrade, Connection, Sec-WebSocket-
 * Version, Sec-WebSocket-Key, Origin and Host (fewer parts: the rest
 * absent). Invariants: an accepted handshake has "websocket" in Upgrade,
 * "upgrade" in Connection, version exactly "13", a key of 24 characters
 * decoding to 16 bytes, and an Origin (if any) whose host equals Host; a
 * refusal names the header and a status of 400, 403 or 426. Also the
 * accept key is always 28 characters.
 */
#define _GNU_SOURCE /* strcasestr */
#include "signaling/ws.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *buf = g_malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = 0;
    const char *part[6] = {NULL};
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < 6; i++)
        if (i == size || buf[i] == 0) {
            part[n++] = buf + start;
            start = i + 1;
        }
    unsigned status = 0;
    const char *field = NULL;
    const char *err = yj_ws_check_handshake(part[0], part[1], part[2], part[3], part[4], part[5],
                                            &status, &field);
    if (err) {
        if (!field || (status != 400 && status != 403 && status != 426))
            abort();
    } else {
        if (!part[0] || !strcasestr(part[0], "websocket") || !part[1] ||
            !strcasestr(part[1], "upgrade") || !part[2] || strcmp(part[2], "13") != 0 || !part[3] ||
            strlen(part[3]) != 24)
            abort();
        gsize klen = 0;
        g_free(g_base64_decode(part[3], &klen));
        if (klen != 16)
            abort();
        if (part[4]) {
            const char *h = strstr(part[4], "://");
            if (!h || !part[5] || g_ascii_strncasecmp(h + 3, part[5], strlen(part[5])) != 0)
                abort();
        }
        char accept[29];
        yj_ws_accept_key(part[3], accept);
        if (strlen(accept) != 28)
            abort();
    }
    g_free(buf);
    return 0;
}
