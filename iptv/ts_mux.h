/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ts_mux.h — a constant-bitrate single-programme MPEG-TS multiplexer.
 *
 * Written by hand because libavformat's mpegts muxer pads and stamps PCR
 * from its own estimate of time, not from the packet's byte position on a
 * constant-bitrate line, and cannot carry EIT present/following. Here the
 * output is a clock: packet n leaves at byte n × 188, so its PCR is exactly
 * (n × 188 + 10) × 8 × 27 MHz / bitrate and every packet is produced on
 * demand by yj_ts_mux_next() — PSI when due, PCR when due, elementary data
 * whose send time has come, else a null packet. The caller (the playout's
 * producer thread) queues access units ahead in the mux's own 90 kHz
 * timeline (yj_ts_mux_clock) and pulls packets; the mux outlives
 * programmes, so continuity counters and PCR never break at a change.
 *
 * It never blocks, never does I/O and is not thread-safe (one owner).
 */
#ifndef YJ_IPTV_TS_MUX_H
#define YJ_IPTV_TS_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YJ_TS_PACKET 188
#define YJ_TS_NULL_PID 0x1FFF

typedef struct yj_ts_mux yj_ts_mux_t;

typedef enum { YJ_TS_VIDEO = 0, YJ_TS_AUDIO = 1 } yj_ts_stream_t;

typedef struct {
    int bitrate;                              /* total mux rate, bit/s (>= 100000) */
    int service_id;                           /* program_number and SDT/EIT service id, 1..65535 */
    int ts_id;                                /* transport_stream_id; 0: 1 */
    int onid;                                 /* original_network_id; 0: 0xFF01 (private range) */
    uint16_t pmt_pid, video_pid, audio_pid;   /* 0: 0x1000, 0x100, 0x101 */
    const char *service_name, *provider_name; /* UTF-8; copied */
    int delay_ms; /* elementary data is sent this long before its DTS; 0: 600 */
} yj_ts_mux_cfg_t;

/* One EIT event. Strings UTF-8, borrowed during the call. */
typedef struct {
    uint16_t event_id;
    int64_t start_ms; /* UTC ms since the epoch */
    int64_t duration_ms;
    const char *title; /* event_name */
    const char *text;  /* short event text; may be NULL */
} yj_ts_event_t;

/* NULL on a bad configuration. Caller frees with yj_ts_mux_free. */
yj_ts_mux_t *yj_ts_mux_new(const yj_ts_mux_cfg_t *cfg);
void yj_ts_mux_free(yj_ts_mux_t *m);

/* Replaces EIT present/following (either may be NULL: no event); bumps
 * the EIT version only when something changed. */
void yj_ts_mux_set_events(yj_ts_mux_t *m, const yj_ts_event_t *present,
                          const yj_ts_event_t *following);

/* System time clock of the next packet to be produced, 90 kHz, monotonic,
 * not wrapped (wrapping to 33 bits happens only on the wire). */
int64_t yj_ts_mux_clock(const yj_ts_mux_t *m);
/* How far before its DTS an access unit is sent (90 kHz). */
int64_t yj_ts_mux_delay(const yj_ts_mux_t *m);
/* Packets produced so far. */
uint64_t yj_ts_mux_packets(const yj_ts_mux_t *m);

/* Queues one access unit (copied). Video: Annex B H.264 (an access unit
 * delimiter is added when missing); audio: AAC with ADTS headers.
 * pts/dts in the mux's 90 kHz timeline; dts must rise strictly per
 * stream (a repeated or earlier DTS is refused with YJ_EINVAL). Returns 0, YJ_EINVAL or YJ_ETOOBIG (queue over 8 MB). */
int yj_ts_mux_push(yj_ts_mux_t *m, yj_ts_stream_t st, const uint8_t *data, size_t len, int64_t pts,
                   int64_t dts, bool keyframe);
/* DTS of the last access unit queued on st (INT64_MIN: none yet). */
int64_t yj_ts_mux_queued_dts(const yj_ts_mux_t *m, yj_ts_stream_t st);
/* Bytes queued but not yet sent, all streams. */
size_t yj_ts_mux_queued_bytes(const yj_ts_mux_t *m);
/* Access units that were sent after their DTS had passed (underflow). */
uint64_t yj_ts_mux_late(const yj_ts_mux_t *m);

/* Produces the next 188-byte packet into out. Never fails. */
void yj_ts_mux_next(yj_ts_mux_t *m, uint8_t out[YJ_TS_PACKET]);

/* CRC-32/MPEG-2 of len bytes (libavutil's table, byte-swapped). */
uint32_t yj_ts_crc32(const uint8_t *buf, size_t len);
/* Encodes UTF-8 text as a DVB string (ETSI EN 300 468 Annex A): plain if
 * ASCII, else 0x15 + UTF-8; cut at a character boundary to fit max bytes.
 * Returns the length written to out. */
size_t yj_ts_dvb_text(const char *utf8, uint8_t *out, size_t max);

#endif
