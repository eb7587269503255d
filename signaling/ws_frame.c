/* SPDX-License-Identifier: Apache-2.0 */
/* ws_frame.c — RFC 6455 frame parsing and writing; see ws_frame.h. */
#include "ws_frame.h"

#include <glib.h>
#include <string.h>

struct yj_ws_frame_parser {
    size_t max_message;
    GByteArray *in; /* received, unparsed bytes start at pos */
    size_t pos;
    GByteArray *msg;    /* fragments of the message being assembled */
    GByteArray *ready;  /* the last assembled message handed out */
    uint8_t msg_opcode; /* TEXT/BINARY while a fragmented message is open, else 0 */
    uint8_t control[125];
    bool failed;
    unsigned fail_code;
    const char *fail_reason;
};

int yj_ws_frame_header_parse(const uint8_t *buf, size_t len, yj_ws_frame_header_t *h)
{
    if (len < 2)
        return 0;
    memset(h, 0, sizeof *h);
    h->fin = (buf[0] & 0x80) != 0;
    h->rsv = (buf[0] >> 4) & 0x7;
    h->opcode = buf[0] & 0x0f;
    h->masked = (buf[1] & 0x80) != 0;
    uint64_t l = buf[1] & 0x7f;
    size_t n = 2;
    if (l == 126) {
        if (len < 4)
            return 0;
        l = ((uint64_t)buf[2] << 8) | buf[3];
        n = 4;
    } else if (l == 127) {
        if (len < 10)
            return 0;
        l = 0;
        for (int i = 0; i < 8; i++)
            l = (l << 8) | buf[2 + i];
        n = 10;
        if (l >> 63)
            return -1;
    }
    if (h->masked) {
        if (len < n + 4)
            return 0;
        memcpy(h->mask, buf + n, 4);
        n += 4;
    }
    h->length = l;
    h->header_len = n;
    return (int)n;
}

size_t yj_ws_frame_header_write(uint8_t out[14], uint8_t opcode, bool fin, uint64_t len,
                                const uint8_t mask[4])
{
    size_t n = 2;
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
    uint8_t m = mask ? 0x80 : 0;
    if (len < 126) {
        out[1] = (uint8_t)(m | len);
    } else if (len <= 0xffff) {
        out[1] = m | 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        n = 4;
    } else {
        out[1] = m | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
        n = 10;
    }
    if (mask) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

void yj_ws_frame_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset)
{
    for (size_t i = 0; i < len; i++)
        data[i] ^= mask[(offset + i) & 3];
}

bool yj_ws_frame_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;
            min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;
            min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

bool yj_ws_frame_close_code_valid(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

yj_ws_frame_parser_t *yj_ws_frame_parser_new(size_t max_message)
{
    yj_ws_frame_parser_t *p = g_new0(yj_ws_frame_parser_t, 1);
    p->max_message = max_message;
    p->in = g_byte_array_new();
    p->msg = g_byte_array_new();
    p->ready = g_byte_array_new();
    return p;
}

void yj_ws_frame_parser_free(yj_ws_frame_parser_t *p)
{
    if (!p)
        return;
    g_byte_array_free(p->in, TRUE);
    g_byte_array_free(p->msg, TRUE);
    g_byte_array_free(p->ready, TRUE);
    g_free(p);
}

void yj_ws_frame_parser_feed(yj_ws_frame_parser_t *p, const void *data, size_t len)
{
    if (p->failed || len == 0)
        return;
    /* Compact before growing so a long session does not creep. */
    if (p->pos > 0 && (p->pos == p->in->len || p->pos > 65536)) {
        g_byte_array_remove_range(p->in, 0, (guint)p->pos);
        p->pos = 0;
    }
    g_byte_array_append(p->in, data, (guint)len);
}

size_t yj_ws_frame_parser_buffered(const yj_ws_frame_parser_t *p)
{
    return p->in->len - p->pos;
}

static bool fail(yj_ws_frame_parser_t *p, yj_ws_event_t *ev, unsigned code, const char *reason)
{
    if (!p->failed) {
        p->failed = true;
        p->fail_code = code;
        p->fail_reason = reason;
        g_byte_array_set_size(p->in, 0);
        g_byte_array_set_size(p->msg, 0);
        p->pos = 0;
    }
    memset(ev, 0, sizeof *ev);
    ev->type = YJ_WS_EV_ERROR;
    ev->code = p->fail_code;
    ev->reason = p->fail_reason;
    return true;
}

bool yj_ws_frame_parser_next(yj_ws_frame_parser_t *p, yj_ws_event_t *ev)
{
    if (p->failed)
        return fail(p, ev, 0, NULL);
    g_byte_array_set_size(p->ready, 0);
    for (;;) {
        const uint8_t *buf = p->in->data + p->pos;
        size_t avail = p->in->len - p->pos;
        yj_ws_frame_header_t h;
        int hl = yj_ws_frame_header_parse(buf, avail, &h);
        if (hl < 0)
            return fail(p, ev, YJ_WS_CLOSE_PROTOCOL, "invalid frame length");
        if (hl == 0) {
            /* A header is at most 14 bytes; anything else is waiting. */
            return false;
        }
        if (h.rsv)
            return fail(p, ev, YJ_WS_CLOSE_PROTOCOL, "reserved bits set without an extension");
        if (!h.masked)
            return fail(p, ev, YJ_WS_CLOSE_PROTOCOL, "client frames must be masked");
        bool control = h.opcode & 0x8;
        if (control) {
            if (h.opcode != YJ_WS_OP_CLOSE && h.opcode != YJ_WS_OP_PING &&
                h.opcode != YJ_WS_OP_PONG)
                return fail(p, ev, YJ_WS_CLOSE_PROTOCOL, "unknown control opcode");
            if (!h.fin)
                return fail(p, ev, YJ_WS_CLOSE_PROTOCOL, "fragmented control frame");
            if (h.length > 125)
                return fail(p, ev, YJ_WS_CLOSE_PROTOCOL, "control frame over 125 bytes");
        } else {
            if (h.opcode != YJ_WS_OP_CONT && h.opcode != YJ_WS_OP_TEXT &&
                h.opcode != YJ_WS_OP_BINARY)
                return fail(p, ev, YJ_WS_CLOSE_PROTOCOL, "unknown data opcode");
            if (h.opcode == YJ_WS_OP_CONT && !p->msg_opcode)
                return fail(p, ev, YJ_WS_CLOSE_PROTOCOL, "continuation without a message");
            if (h.opcode != YJ_WS_OP_CONT && p->msg_opcode)
                return fail(p, ev, YJ_WS_CLOSE_PROTOCOL,
                            "new message before the fragmented one ended");
            if (h.length > p->max_message || p->msg->len + h.length > p->max_message)
                return fail(p, ev, YJ_WS_CLOSE_TOO_BIG, "message too big");
        }
        if (avail - (size_t)hl < h.length)
            return false;
        uint8_t *payload = p->in->data + p->pos + hl;
        size_t plen = (size_t)h.length;
        yj_ws_frame_mask(payload, plen, h.mask, 0);
        p->pos += (size_t)hl + plen;

        memset(ev, 0, sizeof *ev);
        if (control) {
            /* Copy: the input buffer may be compacted by the next feed. */
            memcpy(p->control, payload, plen);
            if (h.opcode == YJ_WS_OP_PING || h.opcode == YJ_WS_OP_PONG) {
                ev->type = h.opcode == YJ_WS_OP_PING ? YJ_WS_EV_PING : YJ_WS_EV_PONG;
                ev->data = p->control;
                ev->len = plen;
                return true;
            }
            if (plen == 1)
                return fail(p, ev, YJ_WS_CLOSE_PROTOCOL, "close frame with a 1-byte body");
            ev->type = YJ_WS_EV_CLOSE;
            ev->code = YJ_WS_CLOSE_NO_STATUS;
            if (plen >= 2) {
                ev->code = ((unsigned)p->control[0] << 8) | p->control[1];
                if (!yj_ws_frame_close_code_valid(ev->code))
                    return fail(p, ev, YJ_WS_CLOSE_PROTOCOL, "invalid close code");
                if (!yj_ws_frame_utf8_valid(p->control + 2, plen - 2))
                    return fail(p, ev, YJ_WS_CLOSE_BAD_DATA, "close reason is not UTF-8");
                ev->data = p->control + 2;
                ev->len = plen - 2;
            }
            return true;
        }
        uint8_t op = h.opcode == YJ_WS_OP_CONT ? p->msg_opcode : h.opcode;
        if (h.fin && p->msg->len == 0) {
            /* Unfragmented: hand out the payload in place. */
            if (op == YJ_WS_OP_TEXT && !yj_ws_frame_utf8_valid(payload, plen))
                return fail(p, ev, YJ_WS_CLOSE_BAD_DATA, "text message is not UTF-8");
            p->msg_opcode = 0;
            ev->type = op == YJ_WS_OP_TEXT ? YJ_WS_EV_TEXT : YJ_WS_EV_BINARY;
            ev->data = payload;
            ev->len = plen;
            return true;
        }
        g_byte_array_append(p->msg, payload, (guint)plen);
        p->msg_opcode = op;
        if (!h.fin)
            continue;
        p->msg_opcode = 0;
        if (op == YJ_WS_OP_TEXT && !yj_ws_frame_utf8_valid(p->msg->data, p->msg->len))
            return fail(p, ev, YJ_WS_CLOSE_BAD_DATA, "text message is not UTF-8");
        /* Hand out the assembled message: swap it with the (empty) ready
         * buffer, which is cleared at the next call. */
        GByteArray *t = p->ready;
        p->ready = p->msg;
        p->msg = t;
        g_byte_array_set_size(p->msg, 0);
        ev->type = op == YJ_WS_OP_TEXT ? YJ_WS_EV_TEXT : YJ_WS_EV_BINARY;
        ev->data = p->ready->data;
        ev->len = p->ready->len;
        return true;
    }
}
