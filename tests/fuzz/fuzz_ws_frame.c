/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ws_frame.c — libFuzzer target for the WebSocket frame parser
 * (signaling/ws_frame.c). The first byte picks how the input is split into
 * feeds (so partial headers and payloads are exercised) and the message
 * limit; the rest is client bytes. Checks the parser's own promises: events
 * only after a complete frame, text always valid UTF-8, control payloads at
 * most 125 bytes, messages within the limit, errors sticky.
 */
#include "signaling/ws_frame.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (data[0] & 0x0f) + 1;
    size_t max = (data[0] & 0x10) ? 64 : 4096;
    data++;
    size--;
    yj_ws_frame_parser_t *p = yj_ws_frame_parser_new(max);
    bool failed = false;
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        yj_ws_frame_parser_feed(p, data + off, n);
        yj_ws_event_t ev;
        for (int i = 0; i < 10000 && yj_ws_frame_parser_next(p, &ev); i++) {
            switch (ev.type) {
            case YJ_WS_EV_TEXT:
                if (failed || ev.len > max || !yj_ws_frame_utf8_valid(ev.data, ev.len))
                    abort();
                break;
            case YJ_WS_EV_BINARY:
                if (failed || ev.len > max)
                    abort();
                break;
            case YJ_WS_EV_PING:
            case YJ_WS_EV_PONG:
            case YJ_WS_EV_CLOSE:
                if (failed || ev.len > 125)
                    abort();
                if (ev.len)
                    (void)memchr(ev.data, 0, ev.len); /* touch every byte */
                break;
            case YJ_WS_EV_ERROR:
                if (ev.code != 1002 && ev.code != 1007 && ev.code != 1009)
                    abort();
                failed = true;
                i = 10000; /* sticky: stop asking */
                break;
            }
        }
    }
    yj_ws_frame_parser_free(p);
    return 0;
}
