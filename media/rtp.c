/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtp.c — see rtp.h. Every read is checked against the buffer length
 * before it happens; a malformed packet yields a drop reason, never a read
 * past the end.
 */
#include "rtp.h"
#include "bytes.h"
#include "core/yj.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

static const char *drop_names[YJ_DROP_COUNT] = {
    [YJ_DROP_NONE] = "none",           [YJ_DROP_SHORT] = "short",
    [YJ_DROP_VERSION] = "version",     [YJ_DROP_PADDING] = "padding",
    [YJ_DROP_EXTENSION] = "extension", [YJ_DROP_RTCP] = "rtcp",
    [YJ_DROP_SRTP] = "srtp",           [YJ_DROP_UNKNOWN_SSRC] = "unknown_ssrc",
    [YJ_DROP_DTLS] = "dtls",           [YJ_DROP_DEMUX] = "demux",
};

const char *yj_drop_name(yj_drop_t r)
{
    return r >= 0 && r < YJ_DROP_COUNT ? drop_names[r] : "other";
}

yj_pkt_kind_t yj_pkt_classify(const uint8_t *buf, size_t len)
{
    if (len < 1)
        return YJ_PKT_UNKNOWN;
    uint8_t b = buf[0];
    if (b <= 3)
        return YJ_PKT_STUN;
    if (b >= 20 && b <= 63)
        return YJ_PKT_DTLS;
    if (b >= 128 && b <= 191) {
        if (len < 2)
            return YJ_PKT_UNKNOWN;
        /* RFC 5761 §4: payload types 64–95 (with marker) are RTCP 192–223. */
        uint8_t pt = buf[1] & 0x7f;
        return pt >= 64 && pt <= 95 ? YJ_PKT_RTCP : YJ_PKT_RTP;
    }
    return YJ_PKT_UNKNOWN;
}

int yj_rtp_parse(const uint8_t *buf, size_t len, yj_rtp_t *out)
{
    memset(out, 0, sizeof *out);
    if (len < 12)
        return YJ_DROP_SHORT;
    if ((buf[0] >> 6) != 2)
        return YJ_DROP_VERSION;
    bool padding = buf[0] & 0x20, ext = buf[0] & 0x10;
    out->cc = buf[0] & 0x0f;
    out->marker = buf[1] & 0x80;
    out->pt = buf[1] & 0x7f;
    out->seq = yj_rd16(buf + 2);
    out->ts = yj_rd32(buf + 4);
    out->ssrc = yj_rd32(buf + 8);
    size_t off = 12;
    if (len < off + 4u * out->cc)
        return YJ_DROP_SHORT;
    for (int i = 0; i < out->cc; i++, off += 4)
        out->csrc[i] = yj_rd32(buf + off);
    if (ext) {
        if (len < off + 4)
            return YJ_DROP_EXTENSION;
        out->ext_profile = yj_rd16(buf + off);
        size_t words = yj_rd16(buf + off + 2);
        off += 4;
        if (len < off + 4 * words)
            return YJ_DROP_EXTENSION;
        out->ext = buf + off;
        out->ext_len = 4 * words;
        off += 4 * words;
        if (out->ext_profile == 0)
            out->ext_profile = 0xffff; /* present but no known form */
    }
    size_t end = len;
    if (padding) {
        if (end <= off)
            return YJ_DROP_PADDING;
        uint8_t pad = buf[end - 1];
        if (pad == 0 || pad > end - off)
            return YJ_DROP_PADDING;
        out->pad_len = pad;
        end -= pad;
    }
    out->header_len = off;
    out->payload = buf + off;
    out->payload_len = end - off;
    return 0;
}

int yj_rtp_ext_find(const yj_rtp_t *p, int id, const uint8_t **data)
{
    if (!p->ext || id <= 0)
        return -1;
    const uint8_t *e = p->ext;
    size_t n = p->ext_len, i = 0;
    if (p->ext_profile == 0xBEDE) {
        while (i < n) {
            uint8_t b = e[i];
            if (b == 0) { /* padding byte */
                i++;
                continue;
            }
            int eid = b >> 4;
            size_t elen = (size_t)(b & 0x0f) + 1;
            if (eid == 15)
                return -1; /* stop: reserved id ends the list */
            if (i + 1 + elen > n)
                return -1;
            if (eid == id) {
                *data = e + i + 1;
                return (int)elen;
            }
            i += 1 + elen;
        }
    } else if ((p->ext_profile & 0xfff0) == 0x1000) {
        while (i < n) {
            if (e[i] == 0) {
                i++;
                continue;
            }
            if (i + 2 > n)
                return -1;
            int eid = e[i];
            size_t elen = e[i + 1];
            if (i + 2 + elen > n)
                return -1;
            if (eid == id) {
                *data = e + i + 2;
                return (int)elen;
            }
            i += 2 + elen;
        }
    }
    return -1;
}

int yj_rtp_write_header(uint8_t *out, size_t cap, bool marker, uint8_t pt, uint16_t seq,
                        uint32_t ts, uint32_t ssrc, const yj_rtp_ext_elem_t *ext, int n_ext)
{
    if (cap < 12)
        return -1;
    size_t body = 0;
    for (int i = 0; i < n_ext; i++) {
        if (ext[i].id < 1 || ext[i].id > 14 || ext[i].len < 1 || ext[i].len > 16)
            return -1;
        body += 1u + ext[i].len;
    }
    size_t words = (body + 3) / 4;
    size_t total = 12 + (n_ext > 0 ? 4 + 4 * words : 0);
    if (total > cap)
        return -1;
    out[0] = (uint8_t)(0x80 | (n_ext > 0 ? 0x10 : 0));
    out[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    yj_wr16(out + 2, seq);
    yj_wr32(out + 4, ts);
    yj_wr32(out + 8, ssrc);
    if (n_ext > 0) {
        uint8_t *p = out + 12;
        yj_wr16(p, 0xBEDE);
        yj_wr16(p + 2, (uint16_t)words);
        p += 4;
        for (int i = 0; i < n_ext; i++) {
            *p++ = (uint8_t)(ext[i].id << 4 | (ext[i].len - 1));
            memcpy(p, ext[i].data, ext[i].len);
            p += ext[i].len;
        }
        while ((size_t)(p - out) < total)
            *p++ = 0;
    }
    return (int)total;
}

int64_t yj_seq_unwrap(uint16_t seq, int64_t *highest, bool *init)
{
    if (!*init) {
        *init = true;
        *highest = seq + 65536; /* room to go back below the first */
        return *highest;
    }
    int64_t hi = *highest;
    int16_t diff = (int16_t)(seq - (uint16_t)hi);
    int64_t ext = hi + diff;
    if (ext > hi)
        *highest = ext;
    return ext;
}

void yj_rewriter_switch(yj_rewriter_t *rw)
{
    rw->switching = true;
}

bool yj_rewriter_map(yj_rewriter_t *rw, uint32_t ssrc, uint16_t seq, uint32_t ts, uint32_t clock,
                     int64_t now_us, uint16_t *out_seq, uint32_t *out_ts)
{
    if (!rw->started || rw->switching || ssrc != rw->src_ssrc) {
        if (rw->started && !rw->switching)
            return false; /* another source while no switch was asked */
        uint16_t next_seq = (uint16_t)(rw->last_seq + 1);
        uint32_t next_ts = rw->last_ts;
        if (rw->started) {
            int64_t el = now_us - rw->last_us;
            if (el < 0)
                el = 0;
            uint64_t adv = (uint64_t)el * clock / 1000000u;
            next_ts += (uint32_t)(adv ? adv : 1);
        }
        rw->seq_delta = (uint16_t)(next_seq - seq);
        rw->ts_delta = next_ts - ts;
        rw->src_ssrc = ssrc;
        rw->in_init = false;
        rw->epoch_start = yj_seq_unwrap(seq, &rw->in_highest, &rw->in_init);
        rw->started = true;
        rw->switching = false;
        rw->last_seq = next_seq;
        rw->last_ts = next_ts;
        rw->last_us = now_us;
        *out_seq = next_seq;
        *out_ts = next_ts;
        return true;
    }
    int64_t before = rw->in_highest;
    int64_t ext = yj_seq_unwrap(seq, &rw->in_highest, &rw->in_init);
    if (ext < rw->epoch_start)
        return false; /* older than the epoch: its output number is taken */
    uint16_t o = (uint16_t)(seq + rw->seq_delta);
    uint32_t t = ts + rw->ts_delta;
    if (ext > before) {
        rw->last_seq = o;
        if ((int32_t)(t - rw->last_ts) >= 0) {
            rw->last_ts = t;
            rw->last_us = now_us;
        }
    }
    *out_seq = o;
    *out_ts = t;
    return true;
}

bool yj_rewriter_unmap_seq(const yj_rewriter_t *rw, uint16_t out_seq, uint16_t *src_seq)
{
    if (!rw->started || rw->switching)
        return false;
    /* Output numbers in the window (last_seq - 0x8000, last_seq]. */
    uint16_t back = (uint16_t)(rw->last_seq - out_seq);
    if (back >= 0x8000)
        return false;
    uint16_t s = (uint16_t)(out_seq - rw->seq_delta);
    int64_t ext = rw->in_highest + (int16_t)(s - (uint16_t)rw->in_highest);
    if (ext < rw->epoch_start || ext > rw->in_highest)
        return false;
    *src_seq = s;
    return true;
}

/* Offset of the VP8 payload header after the descriptor, or -1. Sets
 * *start when S=1 and partition 0. */
static long vp8_header(const uint8_t *p, size_t len, bool *start)
{
    if (len < 1)
        return -1;
    size_t i = 0;
    uint8_t b0 = p[i++];
    bool x = b0 & 0x80;
    *start = (b0 & 0x10) && (b0 & 0x07) == 0;
    if (x) {
        if (i >= len)
            return -1;
        uint8_t xb = p[i++];
        if (xb & 0x80) { /* I: picture id, 7 or 15 bits */
            if (i >= len)
                return -1;
            i += (p[i] & 0x80) ? 2 : 1;
        }
        if (xb & 0x40) /* L: tl0picidx */
            i++;
        if (xb & 0x30) /* T or K */
            i++;
    }
    return i < len ? (long)i : -1;
}

bool yj_vp8_is_keyframe(const uint8_t *p, size_t len)
{
    bool start;
    long i = vp8_header(p, len, &start);
    /* VP8 payload header: P bit (inverse keyframe) is bit 0 of byte 0. */
    return i >= 0 && start && (p[i] & 0x01) == 0;
}

bool yj_vp8_keyframe_size(const uint8_t *p, size_t len, int *width, int *height)
{
    bool start;
    long i = vp8_header(p, len, &start);
    if (i < 0 || !start || (p[i] & 0x01) || (size_t)i + 10 > len)
        return false;
    const uint8_t *k = p + i + 3;
    if (k[0] != 0x9d || k[1] != 0x01 || k[2] != 0x2a)
        return false;
    *width = (k[3] | k[4] << 8) & 0x3fff;
    *height = (k[5] | k[6] << 8) & 0x3fff;
    return true;
}

static bool h264_nal_key(uint8_t type)
{
    return type == 5 || type == 7; /* IDR slice or SPS */
}

static bool h264_nal_sps(uint8_t type)
{
    return type == 7;
}

/* The first whole NAL unit of an H.264 RTP payload (RFC 6184) whose type
 * `want` accepts: the payload itself when it is a single NAL unit, or one
 * of a STAP-A's units. NULL if none; FU-A fragments are not whole units. */
static const uint8_t *h264_find_nal(const uint8_t *p, size_t len, bool (*want)(uint8_t),
                                    size_t *n_out)
{
    if (len < 1)
        return NULL;
    uint8_t type = p[0] & 0x1f;
    if (type >= 1 && type <= 23) {
        *n_out = len;
        return want(type) ? p : NULL;
    }
    if (type != 24) /* STAP-A: 16-bit size, unit, … */
        return NULL;
    size_t i = 1;
    while (i + 2 < len) {
        size_t n = yj_rd16(p + i);
        i += 2;
        if (n == 0 || i + n > len)
            return NULL;
        if (want(p[i] & 0x1f)) {
            *n_out = n;
            return p + i;
        }
        i += n;
    }
    return NULL;
}

bool yj_h264_is_keyframe(const uint8_t *p, size_t len)
{
    size_t n;
    if (h264_find_nal(p, len, h264_nal_key, &n))
        return true;
    if (len >= 2 && (p[0] & 0x1f) == 28) /* FU-A: start bit + type */
        return (p[1] & 0x80) && h264_nal_key(p[1] & 0x1f);
    return false;
}

/* H.264 sequence parameter set (ITU-T H.264 7.3.2.1.1), read for the
 * picture size only. The RBSP is unescaped (00 00 03 -> 00 00) into a
 * bounded buffer; every read is checked, and an Exp-Golomb code longer than
 * 32 bits or a value out of range fails the parse. */
typedef struct {
    const uint8_t *p;
    size_t n, bit; /* bytes, next bit */
    bool bad;
} bits_t;

static unsigned get_bit(bits_t *b)
{
    if (b->bit >= b->n * 8) {
        b->bad = true;
        return 0;
    }
    unsigned v = (b->p[b->bit >> 3] >> (7 - (b->bit & 7))) & 1;
    b->bit++;
    return v;
}

static unsigned get_bits(bits_t *b, int n)
{
    unsigned v = 0;
    while (n-- > 0)
        v = v << 1 | get_bit(b);
    return v;
}

static uint32_t get_ue(bits_t *b)
{
    int zeros = 0;
    while (!b->bad && get_bit(b) == 0)
        if (++zeros > 31) {
            b->bad = true;
            return 0;
        }
    if (b->bad)
        return 0;
    return (uint32_t)(((uint64_t)1 << zeros) - 1 + get_bits(b, zeros));
}

static int32_t get_se(bits_t *b)
{
    uint32_t k = get_ue(b);
    return k & 1 ? (int32_t)((k + 1) / 2) : -(int32_t)(k / 2);
}

static void skip_scaling_list(bits_t *b, int size)
{
    int last = 8, next = 8;
    for (int j = 0; j < size && !b->bad; j++) {
        if (next != 0) {
            int32_t delta = get_se(b);
            if (delta < -128 || delta > 127) {
                b->bad = true;
                return;
            }
            next = (last + delta + 256) % 256;
        }
        last = next == 0 ? last : next;
    }
}

/* Size of the picture an SPS NAL unit (header byte included) describes. */
static bool sps_size(const uint8_t *nal, size_t len, int *width, int *height)
{
    uint8_t rbsp[640]; /* 4:4:4 with twelve scaling lists fits */
    size_t n = 0;
    int zeros = 0;
    for (size_t i = 1; i < len && n < sizeof rbsp; i++) {
        if (zeros >= 2 && nal[i] == 3) {
            zeros = 0; /* emulation prevention byte */
            continue;
        }
        rbsp[n++] = nal[i];
        zeros = nal[i] == 0 ? zeros + 1 : 0;
    }
    bits_t b = {.p = rbsp, .n = n};
    unsigned profile = get_bits(&b, 8);
    get_bits(&b, 16); /* constraint flags, level */
    if (get_ue(&b) > 31)
        return false; /* seq_parameter_set_id */
    unsigned chroma = 1, separate = 0;
    if (profile == 100 || profile == 110 || profile == 122 || profile == 244 || profile == 44 ||
        profile == 83 || profile == 86 || profile == 118 || profile == 128 || profile == 138 ||
        profile == 139 || profile == 134 || profile == 135) {
        chroma = get_ue(&b);
        if (chroma > 3)
            return false;
        if (chroma == 3)
            separate = get_bit(&b);
        if (get_ue(&b) > 6 || get_ue(&b) > 6)
            return false; /* bit depths */
        get_bit(&b);      /* qpprime_y_zero_transform_bypass_flag */
        if (get_bit(&b))  /* seq_scaling_matrix_present_flag */
            for (int i = 0; i < (chroma != 3 ? 8 : 12) && !b.bad; i++)
                if (get_bit(&b))
                    skip_scaling_list(&b, i < 6 ? 16 : 64);
    }
    if (get_ue(&b) > 12)
        return false; /* log2_max_frame_num_minus4 */
    uint32_t poc = get_ue(&b);
    if (poc == 0) {
        if (get_ue(&b) > 12)
            return false;
    } else if (poc == 1) {
        get_bit(&b);
        get_se(&b);
        get_se(&b);
        uint32_t cycle = get_ue(&b);
        if (cycle > 255)
            return false;
        for (uint32_t i = 0; i < cycle && !b.bad; i++)
            get_se(&b);
    } else if (poc != 2) {
        return false;
    }
    get_ue(&b);  /* max_num_ref_frames */
    get_bit(&b); /* gaps_in_frame_num_value_allowed_flag */
    uint32_t w_mbs = get_ue(&b) + 1, h_units = get_ue(&b) + 1;
    unsigned frame_mbs_only = get_bit(&b);
    if (!frame_mbs_only)
        get_bit(&b); /* mb_adaptive_frame_field_flag */
    get_bit(&b);     /* direct_8x8_inference_flag */
    uint32_t crop[4] = {0, 0, 0, 0};
    if (get_bit(&b))
        for (int i = 0; i < 4; i++)
            crop[i] = get_ue(&b);
    if (b.bad || w_mbs > 1024 || h_units > 1024)
        return false;
    unsigned type = separate ? 0 : chroma;
    unsigned cx = type == 0 ? 1 : type == 3 ? 1 : 2;
    unsigned cy = (type == 1 ? 2 : 1) * (2 - frame_mbs_only);
    int64_t w = (int64_t)w_mbs * 16 - (int64_t)cx * (crop[0] + crop[1]);
    int64_t h = (int64_t)h_units * 16 * (2 - frame_mbs_only) - (int64_t)cy * (crop[2] + crop[3]);
    if (w <= 0 || h <= 0)
        return false;
    *width = (int)w;
    *height = (int)h;
    return true;
}

bool yj_h264_sps_size(const uint8_t *p, size_t len, int *width, int *height)
{
    size_t n;
    const uint8_t *sps = h264_find_nal(p, len, h264_nal_sps, &n);
    return sps && sps_size(sps, n, width, height);
}

int yj_rtp_audio_level(const yj_rtp_t *p, int ext_id)
{
    const uint8_t *d;
    int n = yj_rtp_ext_find(p, ext_id, &d);
    if (n < 1)
        return -1;
    return d[0] & 0x7f;
}

int yj_nack_cache_init(yj_nack_cache_t *c, int64_t max_age_us)
{
    c->slots = g_try_new0(yj_nack_slot_t, YJ_NACK_CACHE_SLOTS);
    c->max_age_us = max_age_us;
    return c->slots ? 0 : YJ_ENOMEM;
}

void yj_nack_cache_clear(yj_nack_cache_t *c)
{
    g_free(c->slots);
    c->slots = NULL;
}

void yj_nack_cache_put(yj_nack_cache_t *c, uint16_t seq, const uint8_t *pkt, size_t len,
                       int64_t now_us)
{
    if (!c->slots || len > YJ_RTP_MAX)
        return;
    yj_nack_slot_t *s = &c->slots[seq % YJ_NACK_CACHE_SLOTS];
    s->used = true;
    s->seq = seq;
    s->len = (uint16_t)len;
    s->at_us = now_us;
    memcpy(s->data, pkt, len);
}

const uint8_t *yj_nack_cache_get(const yj_nack_cache_t *c, uint16_t seq, int64_t now_us,
                                 size_t *len)
{
    if (!c->slots)
        return NULL;
    const yj_nack_slot_t *s = &c->slots[seq % YJ_NACK_CACHE_SLOTS];
    if (!s->used || s->seq != seq || now_us - s->at_us > c->max_age_us)
        return NULL;
    *len = s->len;
    return s->data;
}
