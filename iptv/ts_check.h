/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ts_check.h — a small MPEG-TS analyzer: the ETSI TR 101 290 priority 1
 * and 2 checks a constant-bitrate IPTV channel must pass, plus the
 * channel's own rules (SDT/EIT repetition, bitrate per 1-s window,
 * 1316-byte datagrams).
 *
 * Used by the unit test, the playout integration test (through
 * build/yj-tscheck) and the IPTV bench. Time inside the stream is its
 * byte position on the nominal constant-bitrate line (pos × 8 / bitrate),
 * so a capture file is judged exactly as it would be on the wire; arrival
 * times, when given, are judged separately (pacing).
 *
 * It never trusts its input: every length is checked (it is fuzzed).
 * Not thread-safe; one checker per stream.
 */
#ifndef YJ_IPTV_TS_CHECK_H
#define YJ_IPTV_TS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct yj_ts_check yj_ts_check_t;

#define YJ_TS_CHECK_TITLES 8

typedef struct {
    uint64_t packets, datagrams, bad_datagrams, rtp_datagrams;
    uint64_t sync_errors, tei_errors, cc_errors, crc_errors;
    /* section counts and worst interval between repetitions, ms of stream time */
    uint64_t pat_count, pmt_count, sdt_count, eit_pf_count;
    double pat_max_ms, pmt_max_ms, sdt_max_ms, eit_pf_max_ms;
    /* PCR on the PMT's PCR_PID */
    uint64_t pcr_count;
    double pcr_max_ms;     /* worst PCR repetition interval */
    double pcr_max_acc_ns; /* worst |PCR − CBR line| */
    /* elementary streams (from the PMT) */
    int service_id, pmt_pid, pcr_pid, video_pid, audio_pid, video_type, audio_type;
    uint64_t video_pes, audio_pes;
    double pts_max_ms;      /* worst interval between PTS on an ES PID */
    uint64_t dts_backwards; /* DTS (or PTS) going back on an ES PID */
    uint64_t dts_repeats;   /* DTS (or PTS) equal to the previous one on an ES PID */
    uint64_t null_packets;
    /* bitrate per 1-s window from the stream's own PCR line */
    uint64_t windows;
    double br_min, br_max;
    /* bitrate per 1-s window of arrival time (datagrams with times only) */
    uint64_t arr_windows;
    double arr_br_min, arr_br_max, arr_gap_max_ms;
    /* SDT and EIT content, UTF-8 (DVB text decoded) */
    char provider[128], service[128];
    char titles[YJ_TS_CHECK_TITLES][160]; /* distinct EIT present titles in order */
    int ntitles;
    char following[160]; /* last EIT following title */
} yj_ts_report_t;

/* bitrate: the nominal mux rate (bit/s, > 0). datagram: expected TS
 * payload per datagram (1316), 0: not checked. */
yj_ts_check_t *yj_ts_check_new(int bitrate, int datagram);
void yj_ts_check_free(yj_ts_check_t *c);
/* Feeds a byte stream (a capture file), any chunking. */
void yj_ts_check_bytes(yj_ts_check_t *c, const uint8_t *buf, size_t len);
/* Feeds one UDP datagram (plain TS or RTP/MP2T) received at arrival_ns
 * (CLOCK_MONOTONIC; 0: unknown). */
void yj_ts_check_datagram(yj_ts_check_t *c, const uint8_t *buf, size_t len, int64_t arrival_ns);
/* The figures so far. */
void yj_ts_check_report(const yj_ts_check_t *c, yj_ts_report_t *r);
/* Writes r as one JSON object into a new string (g_free). */
char *yj_ts_report_json(const yj_ts_report_t *r);
/* Estimates the mux bitrate of a capture from its first and last PCR
 * (0 when it has fewer than two PCRs). */
int yj_ts_estimate_bitrate(const uint8_t *buf, size_t len);

#endif
