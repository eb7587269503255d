/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ws_frame.h — the WebSocket (RFC 6455) frame layer, with no I/O: a
 * streaming parser that turns received bytes into messages and control
 * frames, and frame writers.
 *
 * The parser is the server side: every client frame must be masked; RSV
 * bits must be clear (no extension is negotiated); control frames are at
 * most 125 bytes and never fragmented; continuation frames only continue a
 * started message; a message is at most max_message bytes (checked from
 * the header, before the payload arrives); a text message and a close
 * reason must be valid UTF-8. Any violation yields one YJ_WS_EV_ERROR
 * carrying the close code to send (1002, 1007 or 1009) and a reason, after
 * which the parser only reports that error again.
 *
 * It owns no socket and never allocates more than max_message plus one
 * frame header beyond what it was fed, so it can be fuzzed on its own
 * (tests/fuzz/fuzz_ws_frame.c).
 */
#ifndef YJ_WS_FRAME_H
#define YJ_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    YJ_WS_OP_CONT = 0x0,
    YJ_WS_OP_TEXT = 0x1,
    YJ_WS_OP_BINARY = 0x2,
    YJ_WS_OP_CLOSE = 0x8,
    YJ_WS_OP_PING = 0x9,
    YJ_WS_OP_PONG = 0xA,
};

/* Close codes (RFC 6455 §7.4.1). */
enum {
    YJ_WS_CLOSE_NORMAL = 1000,
    YJ_WS_CLOSE_GOING_AWAY = 1001,
    YJ_WS_CLOSE_PROTOCOL = 1002,
    YJ_WS_CLOSE_UNSUPPORTED = 1003,
    YJ_WS_CLOSE_NO_STATUS = 1005, /* never sent: "no code in the close frame" */
    YJ_WS_CLOSE_BAD_DATA = 1007,
    YJ_WS_CLOSE_POLICY = 1008,
    YJ_WS_CLOSE_TOO_BIG = 1009,
    YJ_WS_CLOSE_INTERNAL = 1011,
};

/* One parsed frame header. */
typedef struct {
    bool fin;
    uint8_t rsv; /* the three RSV bits */
    uint8_t opcode;
    bool masked;
    uint8_t mask[4];
    uint64_t length;   /* payload length */
    size_t header_len; /* 2..14 bytes */
} yj_ws_frame_header_t;

/* Decodes a frame header from buf[0..len). Returns the header length (>0)
 * when complete, 0 when more bytes are needed, or -1 when the length field
 * is invalid (64-bit length with the top bit set). No other check. */
int yj_ws_frame_header_parse(const uint8_t *buf, size_t len, yj_ws_frame_header_t *h);

/* Writes a frame header for a payload of len bytes; mask NULL for server
 * frames (unmasked). Returns the header length (2..14) written to out. */
size_t yj_ws_frame_header_write(uint8_t out[14], uint8_t opcode, bool fin, uint64_t len,
                                const uint8_t mask[4]);

/* XORs data with the mask, starting at payload offset `offset`. */
void yj_ws_frame_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset);

/* True when data[0..len) is valid UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF; NUL bytes allowed). */
bool yj_ws_frame_utf8_valid(const uint8_t *data, size_t len);

/* True when code may appear in a close frame a peer sends. */
bool yj_ws_frame_close_code_valid(unsigned code);

typedef enum {
    YJ_WS_EV_TEXT,   /* a complete text message (valid UTF-8) */
    YJ_WS_EV_BINARY, /* a complete binary message */
    YJ_WS_EV_PING,
    YJ_WS_EV_PONG,
    YJ_WS_EV_CLOSE, /* code (YJ_WS_CLOSE_NO_STATUS when absent) and reason */
    YJ_WS_EV_ERROR, /* protocol violation: code to close with, reason */
} yj_ws_event_type_t;

typedef struct {
    yj_ws_event_type_t type;
    const uint8_t *data; /* payload (or close reason); valid until the next
                            yj_ws_frame_parser_* call */
    size_t len;
    unsigned code;      /* CLOSE / ERROR */
    const char *reason; /* ERROR: static English text */
} yj_ws_event_t;

typedef struct yj_ws_frame_parser yj_ws_frame_parser_t;

/* A server-side parser for messages of at most max_message bytes. */
yj_ws_frame_parser_t *yj_ws_frame_parser_new(size_t max_message);
void yj_ws_frame_parser_free(yj_ws_frame_parser_t *p);

/* Appends received bytes (copied). */
void yj_ws_frame_parser_feed(yj_ws_frame_parser_t *p, const void *data, size_t len);

/* Takes the next event from what was fed: returns true and fills *ev, or
 * false when more bytes are needed. After an ERROR every call returns that
 * error again. */
bool yj_ws_frame_parser_next(yj_ws_frame_parser_t *p, yj_ws_event_t *ev);

/* Bytes buffered but not yet consumed (for limits and tests). */
size_t yj_ws_frame_parser_buffered(const yj_ws_frame_parser_t *p);

#endif
