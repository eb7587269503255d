/* SPDX-License-Identifier: Apache-2.0 */
/* test_ws_frame.c — the WebSocket frame parser: masking, the three length
 * encodings, fragmentation with interleaved control frames, byte-by-byte
 * feeding, every close-worthy violation with its code, UTF-8 validation,
 * the size limit, the handshake accept key, and the signaling message
 * parser's errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "signaling/protocol.h"
#include "signaling/ws.h"
#include "signaling/ws_frame.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

static const uint8_t MASK[4] = {0x37, 0xfa, 0x21, 0x3d};

/* A masked client frame into a new GByteArray. */
static GByteArray *cframe(uint8_t opcode, bool fin, const void *data, size_t len, uint8_t rsv,
                          bool masked)
{
    GByteArray *b = g_byte_array_new();
    uint8_t h[14];
    size_t hl = yj_ws_frame_header_write(h, opcode, fin, len, masked ? MASK : NULL);
    h[0] |= (uint8_t)(rsv << 4);
    g_byte_array_append(b, h, (guint)hl);
    g_byte_array_append(b, data, (guint)len);
    if (masked)
        yj_ws_frame_mask(b->data + hl, len, MASK, 0);
    return b;
}

static void feed_frame(yj_ws_frame_parser_t *p, uint8_t op, bool fin, const char *s)
{
    GByteArray *b = cframe(op, fin, s, strlen(s), 0, true);
    yj_ws_frame_parser_feed(p, b->data, b->len);
    g_byte_array_free(b, TRUE);
}

static void rfc_example_masked_hello(void **state)
{
    (void)state;
    /* RFC 6455 §5.7: a single-frame masked text message "Hello". */
    const uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    yj_ws_frame_parser_t *p = yj_ws_frame_parser_new(1024);
    yj_ws_event_t ev;
    /* Byte by byte: nothing until the last byte. */
    for (size_t i = 0; i < sizeof hello - 1; i++) {
        yj_ws_frame_parser_feed(p, hello + i, 1);
        assert_false(yj_ws_frame_parser_next(p, &ev));
    }
    yj_ws_frame_parser_feed(p, hello + sizeof hello - 1, 1);
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.type, YJ_WS_EV_TEXT);
    assert_int_equal(ev.len, 5);
    assert_memory_equal(ev.data, "Hello", 5);
    assert_false(yj_ws_frame_parser_next(p, &ev));
    yj_ws_frame_parser_free(p);
    yj_ws_frame_parser_free(NULL);
}

static void header_lengths(void **state)
{
    (void)state;
    uint8_t h[14];
    yj_ws_frame_header_t hd;
    assert_int_equal(yj_ws_frame_header_write(h, YJ_WS_OP_TEXT, true, 125, NULL), 2);
    assert_int_equal(yj_ws_frame_header_write(h, YJ_WS_OP_TEXT, true, 126, NULL), 4);
    assert_int_equal(yj_ws_frame_header_parse(h, 4, &hd), 4);
    assert_int_equal(hd.length, 126);
    assert_int_equal(yj_ws_frame_header_write(h, YJ_WS_OP_BINARY, false, 70000, MASK), 14);
    assert_int_equal(yj_ws_frame_header_parse(h, 13, &hd), 0); /* mask incomplete */
    assert_int_equal(yj_ws_frame_header_parse(h, 14, &hd), 14);
    assert_int_equal(hd.length, 70000);
    assert_false(hd.fin);
    assert_true(hd.masked);
    assert_memory_equal(hd.mask, MASK, 4);
    /* A 64-bit length with the top bit set is invalid. */
    uint8_t bad[10] = {0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1};
    assert_int_equal(yj_ws_frame_header_parse(bad, 10, &hd), -1);
}

static void large_message_16_and_64_bit(void **state)
{
    (void)state;
    yj_ws_frame_parser_t *p = yj_ws_frame_parser_new(200000);
    char *big = g_malloc(70000);
    memset(big, 'a', 70000);
    GByteArray *b = cframe(YJ_WS_OP_TEXT, true, big, 70000, 0, true);
    GByteArray *m = cframe(YJ_WS_OP_TEXT, true, big, 300, 0, true);
    g_byte_array_append(b, m->data, m->len);
    yj_ws_frame_parser_feed(p, b->data, b->len);
    yj_ws_event_t ev;
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.len, 70000);
    assert_memory_equal(ev.data, big, 70000);
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.len, 300);
    g_byte_array_free(b, TRUE);
    g_byte_array_free(m, TRUE);
    g_free(big);
    yj_ws_frame_parser_free(p);
}

static void fragmentation_with_control_frames(void **state)
{
    (void)state;
    yj_ws_frame_parser_t *p = yj_ws_frame_parser_new(1024);
    feed_frame(p, YJ_WS_OP_TEXT, false, "Hel");
    feed_frame(p, YJ_WS_OP_PING, true, "p1");
    feed_frame(p, YJ_WS_OP_CONT, false, "lo, ");
    feed_frame(p, YJ_WS_OP_PONG, true, "");
    feed_frame(p, YJ_WS_OP_CONT, true, "世界");
    yj_ws_event_t ev;
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.type, YJ_WS_EV_PING);
    assert_int_equal(ev.len, 2);
    assert_memory_equal(ev.data, "p1", 2);
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.type, YJ_WS_EV_PONG);
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.type, YJ_WS_EV_TEXT);
    assert_int_equal(ev.len, strlen("Hello, 世界"));
    assert_memory_equal(ev.data, "Hello, 世界", ev.len);
    /* A UTF-8 character split across fragments is fine. */
    const char *s = "é";
    feed_frame(p, YJ_WS_OP_TEXT, false, (char[]){s[0], 0});
    feed_frame(p, YJ_WS_OP_CONT, true, s + 1);
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.type, YJ_WS_EV_TEXT);
    assert_int_equal(ev.len, 2);
    yj_ws_frame_parser_free(p);
}

static void close_frames(void **state)
{
    (void)state;
    yj_ws_frame_parser_t *p = yj_ws_frame_parser_new(1024);
    uint8_t body[] = {0x03, 0xe8, 'b', 'y', 'e'};
    GByteArray *b = cframe(YJ_WS_OP_CLOSE, true, body, sizeof body, 0, true);
    yj_ws_frame_parser_feed(p, b->data, b->len);
    g_byte_array_free(b, TRUE);
    yj_ws_event_t ev;
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.type, YJ_WS_EV_CLOSE);
    assert_int_equal(ev.code, 1000);
    assert_int_equal(ev.len, 3);
    /* No body: 1005 (no status). */
    feed_frame(p, YJ_WS_OP_CLOSE, true, "");
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.code, YJ_WS_CLOSE_NO_STATUS);
    yj_ws_frame_parser_free(p);
    assert_true(yj_ws_frame_close_code_valid(1000));
    assert_true(yj_ws_frame_close_code_valid(4001));
    assert_false(yj_ws_frame_close_code_valid(1005));
    assert_false(yj_ws_frame_close_code_valid(1006));
    assert_false(yj_ws_frame_close_code_valid(999));
    assert_false(yj_ws_frame_close_code_valid(5000));
}

/* Feeds one frame to a new parser and expects an error with code. */
static void expect_error(GByteArray *b, unsigned code, size_t max)
{
    yj_ws_frame_parser_t *p = yj_ws_frame_parser_new(max);
    yj_ws_frame_parser_feed(p, b->data, b->len);
    g_byte_array_free(b, TRUE);
    yj_ws_event_t ev;
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.type, YJ_WS_EV_ERROR);
    assert_int_equal(ev.code, code);
    assert_non_null(ev.reason);
    /* Sticky: the same error again, and more input changes nothing. */
    yj_ws_frame_parser_feed(p, "\x81\x80\0\0\0\0", 6);
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.type, YJ_WS_EV_ERROR);
    assert_int_equal(ev.code, code);
    yj_ws_frame_parser_free(p);
}

static void violations(void **state)
{
    (void)state;
    /* unmasked client frame */
    expect_error(cframe(YJ_WS_OP_TEXT, true, "hi", 2, 0, false), 1002, 1024);
    /* reserved bits */
    expect_error(cframe(YJ_WS_OP_TEXT, true, "hi", 2, 4, true), 1002, 1024);
    /* reserved opcodes */
    expect_error(cframe(0x3, true, "hi", 2, 0, true), 1002, 1024);
    expect_error(cframe(0xB, true, "hi", 2, 0, true), 1002, 1024);
    /* fragmented control frame, oversized control frame */
    expect_error(cframe(YJ_WS_OP_PING, false, "hi", 2, 0, true), 1002, 1024);
    char big[126];
    memset(big, 'x', sizeof big);
    expect_error(cframe(YJ_WS_OP_PING, true, big, sizeof big, 0, true), 1002, 1024);
    /* continuation without a message */
    expect_error(cframe(YJ_WS_OP_CONT, true, "hi", 2, 0, true), 1002, 1024);
    /* invalid UTF-8: a lone continuation byte, an overlong, a surrogate */
    expect_error(cframe(YJ_WS_OP_TEXT, true, "\x80", 1, 0, true), 1007, 1024);
    expect_error(cframe(YJ_WS_OP_TEXT, true, "\xc0\xaf", 2, 0, true), 1007, 1024);
    expect_error(cframe(YJ_WS_OP_TEXT, true, "\xed\xa0\x80", 3, 0, true), 1007, 1024);
    /* close: 1-byte body, invalid code, non-UTF-8 reason */
    expect_error(cframe(YJ_WS_OP_CLOSE, true, "\x03", 1, 0, true), 1002, 1024);
    expect_error(cframe(YJ_WS_OP_CLOSE, true, "\x03\xed", 2, 0, true), 1002, 1024); /* 1005 */
    expect_error(cframe(YJ_WS_OP_CLOSE, true, "\x03\xe8\xff", 3, 0, true), 1007, 1024);
    /* too big, detected from the header alone */
    GByteArray *b = g_byte_array_new();
    uint8_t h[14];
    size_t hl = yj_ws_frame_header_write(h, YJ_WS_OP_TEXT, true, 1u << 30, MASK);
    g_byte_array_append(b, h, (guint)hl);
    expect_error(b, 1009, 1024);
    /* too big across fragments */
    yj_ws_frame_parser_t *p = yj_ws_frame_parser_new(10);
    feed_frame(p, YJ_WS_OP_TEXT, false, "123456");
    feed_frame(p, YJ_WS_OP_CONT, true, "78901");
    yj_ws_event_t ev;
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.type, YJ_WS_EV_ERROR);
    assert_int_equal(ev.code, 1009);
    yj_ws_frame_parser_free(p);
    /* a new message while a fragmented one is open */
    p = yj_ws_frame_parser_new(100);
    feed_frame(p, YJ_WS_OP_TEXT, false, "a");
    feed_frame(p, YJ_WS_OP_TEXT, true, "b");
    assert_true(yj_ws_frame_parser_next(p, &ev));
    assert_int_equal(ev.code, 1002);
    yj_ws_frame_parser_free(p);
}

static void utf8(void **state)
{
    (void)state;
    assert_true(yj_ws_frame_utf8_valid((const uint8_t *)"", 0));
    assert_true(yj_ws_frame_utf8_valid((const uint8_t *)"a\0b", 3));
    assert_true(yj_ws_frame_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4));  /* U+1F600 */
    assert_false(yj_ws_frame_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(yj_ws_frame_utf8_valid((const uint8_t *)"\xe4\xb8", 2));         /* truncated */
    assert_false(yj_ws_frame_utf8_valid((const uint8_t *)"\xff", 1));
}

static void accept_key(void **state)
{
    (void)state;
    char out[29];
    /* RFC 6455 §1.3 */
    yj_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void protocol_messages(void **state)
{
    (void)state;
    yj_protocol_msg_t m;
    yj_protocol_msg_error_t e;
    const char *ok = "{\"type\":\"join\",\"meeting\":\"42\",\"token\":\"t\",\"id\":\"r1\"}";
    assert_int_equal(yj_protocol_msg_parse(ok, strlen(ok), &m, &e), 0);
    assert_int_equal(m.type, YJ_MSG_JOIN);
    assert_int_equal(m.meeting, 42);
    assert_string_equal(m.token, "t");
    assert_string_equal(m.id, "r1");
    yj_protocol_msg_clear(&m);

    struct {
        const char *text, *code, *field;
    } bad[] = {
        {"{\"type\":", "bad_json", NULL},
        {"[1,2]", "bad_json", NULL},
        {"{\"type\":\"join\",\"type\":\"x\"}", "bad_json", NULL},
        {"{\"type\":3}", "bad_message", "type"},
        {"{\"type\":\"fly\"}", "unknown_type", "type"},
        {"{\"type\":\"join\",\"meeting\":-1}", "bad_message", "meeting"},
        {"{\"type\":\"join\",\"meeting\":1,\"replaces\":\"x1\"}", "bad_message", "replaces"},
        {"{\"type\":\"offer\"}", "bad_message", "sdp"},
        {"{\"type\":\"offer\",\"sdp\":\"hello\"}", "bad_sdp", "sdp"},
        {"{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\ns=-\\r\\n\"}",
         "bad_sdp", "sdp"},
        {"{\"type\":\"candidate\",\"candidate\":\"hello\"}", "bad_message", "candidate"},
        {"{\"type\":\"candidate\",\"candidate\":\"candidate:1\\r\\na=x\"}", "bad_message",
         "candidate"},
        {"{\"type\":\"mute\"}", "bad_message", "audio"},
        {"{\"type\":\"mute\",\"audio\":\"yes\"}", "bad_message", "audio"},
        {"{\"type\":\"hand\"}", "bad_message", "raised"},
        {"{\"type\":\"host\",\"action\":\"kick\"}", "bad_message", "action"},
        {"{\"type\":\"host\",\"action\":\"mute\"}", "bad_message", "pid"},
        {"{\"type\":\"host\",\"action\":\"mute\",\"pid\":\"p1\",\"kind\":\"smell\"}", "bad_message",
         "kind"},
        {"{\"type\":\"ping\",\"id\":{}}", "bad_message", "id"},
        {"{\"type\":\"view\"}", "bad_message", "height"},
        {"{\"type\":\"view\",\"height\":99999}", "bad_message", "height"},
        {"{\"type\":\"view\",\"height\":180,\"pid\":\"me\"}", "bad_message", "pid"},
    };
    for (size_t i = 0; i < YJ_ARRAY_LEN(bad); i++) {
        int rc = yj_protocol_msg_parse(bad[i].text, strlen(bad[i].text), &m, &e);
        if (rc != YJ_EINVAL || strcmp(e.code, bad[i].code) != 0 ||
            g_strcmp0(e.field, bad[i].field) != 0)
            fail_msg("%s: got %d %s %s (%s)", bad[i].text, rc, e.code, e.field, e.message);
        assert_true(strlen(e.message) > 0);
        assert_null(m.root);
    }
    const char *sdp =
        "{\"type\":\"answer\",\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\ns=-\\r\\n"
        "t=0 0\\r\\nm=audio 9 UDP/TLS/RTP/SAVPF 111\\r\\n\"}";
    assert_int_equal(yj_protocol_msg_parse(sdp, strlen(sdp), &m, &e), 0);
    assert_int_equal(m.type, YJ_MSG_ANSWER);
    yj_protocol_msg_clear(&m);
    const char *host = "{\"type\":\"host\",\"action\":\"mute\",\"pid\":\"p12\",\"kind\":\"video\"}";
    assert_int_equal(yj_protocol_msg_parse(host, strlen(host), &m, &e), 0);
    assert_int_equal(m.action, YJ_HOST_MUTE);
    assert_string_equal(m.target, "p12");
    assert_int_equal(m.kind, 1);
    yj_protocol_msg_clear(&m);

    const char *view = "{\"type\":\"view\",\"pid\":\"p3\",\"height\":360}";
    assert_int_equal(yj_protocol_msg_parse(view, strlen(view), &m, &e), 0);
    assert_int_equal(m.type, YJ_MSG_VIEW);
    assert_int_equal(m.height, 360);
    assert_string_equal(m.target, "p3");
    yj_protocol_msg_clear(&m);

    char *t = yj_protocol_msg_error_text("bad_json", NULL, "r9", "bad \xff byte");
    assert_non_null(strstr(t, "\"code\":\"bad_json\""));
    assert_non_null(strstr(t, "\"id\":\"r9\""));
    g_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc_example_masked_hello),
        cmocka_unit_test(header_lengths),
        cmocka_unit_test(large_message_16_and_64_bit),
        cmocka_unit_test(fragmentation_with_control_frames),
        cmocka_unit_test(close_frames),
        cmocka_unit_test(violations),
        cmocka_unit_test(utf8),
        cmocka_unit_test(accept_key),
        cmocka_unit_test(protocol_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
