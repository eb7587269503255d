/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtcp.c — see rtcp.h. Two passes over a compound: the first checks every
 * header and length, the second visits items; both read only inside the
 * bounds established by the first.
 */
#include "rtcp.h"
#include "bytes.h"
#include "core/yj.h"

#include <string.h>

/* Checks one packet at buf (len bytes left); returns its size or -1. */
static long check_packet(const uint8_t *p, size_t len)
{
    if (len < 4 || (p[0] >> 6) != 2)
        return -1;
    size_t size = 4u * ((size_t)yj_rd16(p + 2) + 1);
    if (size > len)
        return -1;
    int count = p[0] & 0x1f;
    uint8_t pt = p[1];
    size_t body = size;
    if (p[0] & 0x20) { /* padding: only valid when the count byte fits */
        uint8_t pad = p[size - 1];
        if (pad == 0 || pad > size - 4)
            return -1;
        body = size - pad;
    }
    switch (pt) {
    case YJ_RTCP_SR:
        if (body < 28 + 24u * (size_t)count)
            return -1;
        break;
    case YJ_RTCP_RR:
        if (body < 8 + 24u * (size_t)count)
            return -1;
        break;
    case YJ_RTCP_BYE:
        if (body < 4 + 4u * (size_t)count)
            return -1;
        break;
    case YJ_RTCP_RTPFB:
    case YJ_RTCP_PSFB:
        if (body < 12)
            return -1;
        break;
    default:
        break; /* SDES, APP and others: skipped by length */
    }
    return (long)size;
}

static void visit_blocks(const uint8_t *p, int count, uint32_t ssrc, yj_rtcp_visit_fn fn, void *ud)
{
    for (int i = 0; i < count; i++, p += 24) {
        yj_rtcp_item_t it = {.kind = YJ_RTCPI_REPORT, .ssrc = ssrc};
        it.media_ssrc = yj_rd32(p);
        it.fraction_lost = p[4];
        int32_t lost = (int32_t)((uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7]);
        if (lost & 0x800000)
            lost -= 0x1000000; /* 24-bit signed */
        it.cumulative_lost = lost;
        it.highest_seq = yj_rd32(p + 8);
        it.jitter = yj_rd32(p + 12);
        it.lsr = yj_rd32(p + 16);
        it.dlsr = yj_rd32(p + 20);
        fn(&it, ud);
    }
}

static void visit_packet(const uint8_t *p, size_t size, yj_rtcp_visit_fn fn, void *ud)
{
    int count = p[0] & 0x1f;
    uint8_t pt = p[1];
    size_t body = size;
    if (p[0] & 0x20)
        body = size - p[size - 1];
    switch (pt) {
    case YJ_RTCP_SR: {
        yj_rtcp_item_t it = {.kind = YJ_RTCPI_SR, .ssrc = yj_rd32(p + 4)};
        it.ntp_sec = yj_rd32(p + 8);
        it.ntp_frac = yj_rd32(p + 12);
        it.rtp_ts = yj_rd32(p + 16);
        it.packets = yj_rd32(p + 20);
        it.octets = yj_rd32(p + 24);
        fn(&it, ud);
        visit_blocks(p + 28, count, it.ssrc, fn, ud);
        break;
    }
    case YJ_RTCP_RR:
        visit_blocks(p + 8, count, yj_rd32(p + 4), fn, ud);
        break;
    case YJ_RTCP_BYE:
        for (int i = 0; i < count; i++) {
            yj_rtcp_item_t it = {.kind = YJ_RTCPI_BYE, .ssrc = yj_rd32(p + 4 + 4 * i)};
            fn(&it, ud);
        }
        break;
    case YJ_RTCP_RTPFB: {
        uint32_t s = yj_rd32(p + 4), m = yj_rd32(p + 8);
        if (count == 1) { /* generic NACK */
            for (size_t off = 12; off + 4 <= body; off += 4) {
                yj_rtcp_item_t it = {.kind = YJ_RTCPI_NACK, .ssrc = s, .media_ssrc = m};
                it.pid = yj_rd16(p + off);
                it.blp = yj_rd16(p + off + 2);
                fn(&it, ud);
            }
        } else if (count == 15) {
            yj_rtcp_item_t it = {.kind = YJ_RTCPI_TWCC, .ssrc = s, .media_ssrc = m};
            fn(&it, ud);
        }
        break;
    }
    case YJ_RTCP_PSFB: {
        uint32_t s = yj_rd32(p + 4), m = yj_rd32(p + 8);
        if (count == 1) {
            yj_rtcp_item_t it = {.kind = YJ_RTCPI_PLI, .ssrc = s, .media_ssrc = m};
            fn(&it, ud);
        } else if (count == 4) {
            for (size_t off = 12; off + 8 <= body; off += 8) {
                yj_rtcp_item_t it = {.kind = YJ_RTCPI_FIR, .ssrc = s};
                it.media_ssrc = yj_rd32(p + off);
                it.fir_seq = p[off + 4];
                fn(&it, ud);
            }
        } else if (count == 15 && body >= 20 && memcmp(p + 12, "REMB", 4) == 0) {
            int n = p[16];
            uint8_t exp = p[17] >> 2;
            uint64_t mant = (uint64_t)(p[17] & 3) << 16 | (uint64_t)p[18] << 8 | p[19];
            uint64_t br = exp > 46 ? UINT64_MAX >> 1 : mant << exp;
            if (20 + 4u * (size_t)n > body)
                n = (int)((body - 20) / 4);
            for (int i = 0; i < n; i++) {
                yj_rtcp_item_t it = {.kind = YJ_RTCPI_REMB, .ssrc = s};
                it.media_ssrc = yj_rd32(p + 20 + 4 * i);
                it.bitrate = br;
                fn(&it, ud);
            }
        }
        break;
    }
    default:
        break;
    }
}

int yj_rtcp_parse(const uint8_t *buf, size_t len, yj_rtcp_visit_fn fn, void *ud)
{
    if (!buf || len < 4)
        return YJ_EINVAL;
    size_t off = 0;
    int n = 0;
    while (off < len) {
        long sz = check_packet(buf + off, len - off);
        if (sz < 0)
            return YJ_EINVAL;
        off += (size_t)sz;
        n++;
    }
    if (fn) {
        off = 0;
        while (off < len) {
            size_t sz = 4u * ((size_t)yj_rd16(buf + off + 2) + 1);
            visit_packet(buf + off, sz, fn, ud);
            off += sz;
        }
    }
    return n;
}

static void hdr(uint8_t *out, int count, uint8_t pt, size_t size)
{
    out[0] = (uint8_t)(0x80 | (count & 0x1f));
    out[1] = pt;
    yj_wr16(out + 2, (uint16_t)(size / 4 - 1));
}

static void write_blocks(uint8_t *p, const yj_rtcp_block_t *b, int n)
{
    for (int i = 0; i < n; i++, p += 24) {
        yj_wr32(p, b[i].ssrc);
        p[4] = b[i].fraction_lost;
        int32_t lost = b[i].cumulative_lost;
        if (lost > 0x7fffff)
            lost = 0x7fffff;
        if (lost < -0x800000)
            lost = -0x800000;
        uint32_t u = (uint32_t)lost & 0xffffff;
        p[5] = (uint8_t)(u >> 16);
        p[6] = (uint8_t)(u >> 8);
        p[7] = (uint8_t)u;
        yj_wr32(p + 8, b[i].highest_seq);
        yj_wr32(p + 12, b[i].jitter);
        yj_wr32(p + 16, b[i].lsr);
        yj_wr32(p + 20, b[i].dlsr);
    }
}

int yj_rtcp_write_sr(uint8_t *out, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
                     uint32_t packets, uint32_t octets, const yj_rtcp_block_t *blocks, int n)
{
    if (n < 0 || n > 31)
        return -1;
    size_t size = 28 + 24u * (size_t)n;
    if (size > cap)
        return -1;
    hdr(out, n, YJ_RTCP_SR, size);
    yj_wr32(out + 4, ssrc);
    yj_wr32(out + 8, (uint32_t)(ntp >> 32));
    yj_wr32(out + 12, (uint32_t)ntp);
    yj_wr32(out + 16, rtp_ts);
    yj_wr32(out + 20, packets);
    yj_wr32(out + 24, octets);
    write_blocks(out + 28, blocks, n);
    return (int)size;
}

int yj_rtcp_write_rr(uint8_t *out, size_t cap, uint32_t ssrc, const yj_rtcp_block_t *blocks, int n)
{
    if (n < 0 || n > 31)
        return -1;
    size_t size = 8 + 24u * (size_t)n;
    if (size > cap)
        return -1;
    hdr(out, n, YJ_RTCP_RR, size);
    yj_wr32(out + 4, ssrc);
    write_blocks(out + 8, blocks, n);
    return (int)size;
}

int yj_rtcp_write_sdes(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname)
{
    size_t cl = strlen(cname);
    if (cl > 255)
        return -1;
    size_t chunk = 4 + 2 + cl + 1; /* ssrc, type+len, text, END */
    size_t size = 4 + ((chunk + 3) & ~(size_t)3);
    if (size > cap)
        return -1;
    memset(out, 0, size);
    hdr(out, 1, YJ_RTCP_SDES, size);
    yj_wr32(out + 4, ssrc);
    out[8] = 1; /* CNAME */
    out[9] = (uint8_t)cl;
    memcpy(out + 10, cname, cl);
    return (int)size;
}

int yj_rtcp_write_bye(uint8_t *out, size_t cap, uint32_t ssrc)
{
    if (cap < 8)
        return -1;
    hdr(out, 1, YJ_RTCP_BYE, 8);
    yj_wr32(out + 4, ssrc);
    return 8;
}

int yj_rtcp_write_pli(uint8_t *out, size_t cap, uint32_t ssrc, uint32_t media_ssrc)
{
    if (cap < 12)
        return -1;
    hdr(out, 1, YJ_RTCP_PSFB, 12);
    yj_wr32(out + 4, ssrc);
    yj_wr32(out + 8, media_ssrc);
    return 12;
}

int yj_rtcp_write_fir(uint8_t *out, size_t cap, uint32_t ssrc, uint32_t media_ssrc, uint8_t seq)
{
    if (cap < 20)
        return -1;
    hdr(out, 4, YJ_RTCP_PSFB, 20);
    yj_wr32(out + 4, ssrc);
    yj_wr32(out + 8, 0);
    yj_wr32(out + 12, media_ssrc);
    out[16] = seq;
    out[17] = out[18] = out[19] = 0;
    return 20;
}

int yj_rtcp_write_nack(uint8_t *out, size_t cap, uint32_t ssrc, uint32_t media_ssrc,
                       const uint16_t *seqs, int n)
{
    if (n <= 0 || cap < 16)
        return -1;
    size_t off = 12;
    bool done[256] = {false};
    if (n > 256)
        n = 256;
    for (int i = 0; i < n; i++) {
        if (done[i])
            continue;
        uint16_t pid = seqs[i], blp = 0;
        for (int j = i + 1; j < n; j++) {
            uint16_t d = (uint16_t)(seqs[j] - pid);
            if (d >= 1 && d <= 16) {
                blp |= (uint16_t)(1u << (d - 1));
                done[j] = true;
            } else if (d == 0) {
                done[j] = true;
            }
        }
        if (off + 4 > cap)
            return -1;
        yj_wr16(out + off, pid);
        yj_wr16(out + off + 2, blp);
        off += 4;
    }
    hdr(out, 1, YJ_RTCP_RTPFB, off);
    yj_wr32(out + 4, ssrc);
    yj_wr32(out + 8, media_ssrc);
    return (int)off;
}

int yj_rtcp_write_remb(uint8_t *out, size_t cap, uint32_t ssrc, uint64_t bitrate,
                       const uint32_t *ssrcs, int n)
{
    if (n < 1 || n > 255)
        return -1;
    size_t size = 20 + 4u * (size_t)n;
    if (size > cap)
        return -1;
    uint8_t exp = 0;
    while ((bitrate >> exp) > 0x3ffff)
        exp++;
    uint32_t mant = (uint32_t)(bitrate >> exp);
    hdr(out, 15, YJ_RTCP_PSFB, size);
    yj_wr32(out + 4, ssrc);
    yj_wr32(out + 8, 0);
    memcpy(out + 12, "REMB", 4);
    out[16] = (uint8_t)n;
    out[17] = (uint8_t)(exp << 2 | (mant >> 16));
    out[18] = (uint8_t)(mant >> 8);
    out[19] = (uint8_t)mant;
    for (int i = 0; i < n; i++)
        yj_wr32(out + 20 + 4 * i, ssrcs[i]);
    return (int)size;
}

uint64_t yj_ntp_from_us(int64_t unix_us)
{
    uint64_t sec = (uint64_t)(unix_us / 1000000) + 2208988800ULL;
    uint64_t frac = ((uint64_t)(unix_us % 1000000) << 32) / 1000000;
    return sec << 32 | frac;
}
