/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtcp.h — RTCP compound packets (RFC 3550, RFC 4585, RFC 5104, REMB):
 * a validating parser that walks a compound and hands each understood
 * item to a visitor, and writers for the reports and feedback the SFU
 * sends (SR, RR, SDES CNAME, BYE, NACK, PLI, FIR, REMB).
 *
 * Pure functions on caller buffers; a malformed compound is refused as a
 * whole before any item is visited, so a visitor never sees half a packet.
 */
#ifndef YJ_RTCP_H
#define YJ_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    YJ_RTCP_SR = 200,
    YJ_RTCP_RR = 201,
    YJ_RTCP_SDES = 202,
    YJ_RTCP_BYE = 203,
    YJ_RTCP_APP = 204,
    YJ_RTCP_RTPFB = 205,
    YJ_RTCP_PSFB = 206,
};

typedef enum {
    YJ_RTCPI_SR,     /* sender info of `ssrc` */
    YJ_RTCPI_REPORT, /* one report block (from SR or RR) by `ssrc` about `media_ssrc` */
    YJ_RTCPI_BYE,    /* ssrc leaves */
    YJ_RTCPI_NACK,   /* media_ssrc: lost seq `pid` plus bitmask `blp` */
    YJ_RTCPI_PLI,
    YJ_RTCPI_FIR,  /* media_ssrc, fir_seq */
    YJ_RTCPI_REMB, /* bitrate for media_ssrc (each listed ssrc) */
    YJ_RTCPI_TWCC, /* transport-cc feedback present (not decoded) */
} yj_rtcp_item_kind_t;

typedef struct {
    yj_rtcp_item_kind_t kind;
    uint32_t ssrc;       /* packet sender */
    uint32_t media_ssrc; /* about this stream */
    /* SR */
    uint32_t ntp_sec, ntp_frac, rtp_ts, packets, octets;
    /* report block */
    uint8_t fraction_lost;
    int32_t cumulative_lost;
    uint32_t highest_seq, jitter, lsr, dlsr;
    /* NACK */
    uint16_t pid, blp;
    /* FIR */
    uint8_t fir_seq;
    /* REMB */
    uint64_t bitrate;
} yj_rtcp_item_t;

typedef void (*yj_rtcp_visit_fn)(const yj_rtcp_item_t *item, void *ud);

/* Validates the compound (every packet version 2, lengths within the
 * buffer, counts consistent with lengths, padding sane) and then visits
 * each item. Returns the number of RTCP packets or a negative YJ_EINVAL. */
int yj_rtcp_parse(const uint8_t *buf, size_t len, yj_rtcp_visit_fn fn, void *ud);

typedef struct {
    uint32_t ssrc; /* about */
    uint8_t fraction_lost;
    int32_t cumulative_lost;
    uint32_t highest_seq, jitter, lsr, dlsr;
} yj_rtcp_block_t;

/* Writers append to out (capacity cap) and return bytes written or -1. */
int yj_rtcp_write_sr(uint8_t *out, size_t cap, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
                     uint32_t packets, uint32_t octets, const yj_rtcp_block_t *blocks, int n);
int yj_rtcp_write_rr(uint8_t *out, size_t cap, uint32_t ssrc, const yj_rtcp_block_t *blocks, int n);
int yj_rtcp_write_sdes(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname);
int yj_rtcp_write_bye(uint8_t *out, size_t cap, uint32_t ssrc);
int yj_rtcp_write_pli(uint8_t *out, size_t cap, uint32_t ssrc, uint32_t media_ssrc);
int yj_rtcp_write_fir(uint8_t *out, size_t cap, uint32_t ssrc, uint32_t media_ssrc, uint8_t seq);
/* seqs: lost sequence numbers (any order); packs them into pid/blp pairs. */
int yj_rtcp_write_nack(uint8_t *out, size_t cap, uint32_t ssrc, uint32_t media_ssrc,
                       const uint16_t *seqs, int n);
int yj_rtcp_write_remb(uint8_t *out, size_t cap, uint32_t ssrc, uint64_t bitrate,
                       const uint32_t *ssrcs, int n);

/* NTP time (64-bit fixed point) from a wall-clock in µs since 1970. */
uint64_t yj_ntp_from_us(int64_t unix_us);
/* The middle 32 bits (LSR/DLSR units 1/65536 s). */
static inline uint32_t yj_ntp_mid(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

#endif
