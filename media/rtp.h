/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtp.h — RTP packets (RFC 3550) and the bookkeeping the SFU does on them:
 * a bounds-checked parser (CSRCs, one-byte and two-byte header extensions
 * RFC 8285, padding), a header writer, 16-bit sequence unwrapping, the
 * per-subscriber SSRC/sequence/timestamp rewriter, RFC 7983 demultiplexing
 * and the audio-level / VP8 / H.264 keyframe probes.
 *
 * Pure functions on caller-owned buffers: nothing here allocates, locks or
 * logs, so the forwarding path and the fuzzer use them directly.
 */
#ifndef YJ_RTP_H
#define YJ_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a UDP datagram on a WebRTC transport carries (RFC 7983 §7). */
typedef enum { YJ_PKT_UNKNOWN, YJ_PKT_STUN, YJ_PKT_DTLS, YJ_PKT_RTP, YJ_PKT_RTCP } yj_pkt_kind_t;
yj_pkt_kind_t yj_pkt_classify(const uint8_t *buf, size_t len);

/* Why a packet was refused (label values of yj_media_dropped_total). */
typedef enum {
    YJ_DROP_NONE = 0,
    YJ_DROP_SHORT,     /* shorter than its headers say */
    YJ_DROP_VERSION,   /* not RTP version 2 */
    YJ_DROP_PADDING,   /* padding count larger than the payload */
    YJ_DROP_EXTENSION, /* header extension overruns the packet */
    YJ_DROP_RTCP,      /* malformed RTCP compound */
    YJ_DROP_SRTP,      /* authentication/decryption failed */
    YJ_DROP_UNKNOWN_SSRC,
    YJ_DROP_DTLS,
    YJ_DROP_DEMUX, /* first byte matches no protocol */
    YJ_DROP_COUNT
} yj_drop_t;
const char *yj_drop_name(yj_drop_t r);

typedef struct {
    bool marker;
    uint8_t pt;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint8_t cc;
    uint32_t csrc[15];
    uint16_t ext_profile; /* 0xBEDE (one-byte), 0x100X (two-byte), other, 0 none */
    const uint8_t *ext;   /* extension elements (after the 4-byte header) */
    size_t ext_len;
    size_t header_len;      /* fixed + CSRC + extension */
    const uint8_t *payload; /* after the header, padding removed */
    size_t payload_len;
    uint8_t pad_len;
} yj_rtp_t;

/* Parses buf (not copied: out points into it). Returns 0 or a YJ_DROP_*
 * reason (> 0). */
int yj_rtp_parse(const uint8_t *buf, size_t len, yj_rtp_t *out);

/* Finds extension element id in p (one- or two-byte form). Returns its
 * length and sets *data, or -1 when absent or malformed. */
int yj_rtp_ext_find(const yj_rtp_t *p, int id, const uint8_t **data);

typedef struct {
    uint8_t id;  /* 1–14 */
    uint8_t len; /* 1–16 */
    uint8_t data[16];
} yj_rtp_ext_elem_t;

/* Writes a 12-byte header plus one-byte extension elements (RFC 8285)
 * into out (size cap). Returns the header length or -1 if it does not fit.
 * No CSRCs, no padding. */
int yj_rtp_write_header(uint8_t *out, size_t cap, bool marker, uint8_t pt, uint16_t seq,
                        uint32_t ts, uint32_t ssrc, const yj_rtp_ext_elem_t *ext, int n_ext);

/* Extends a 16-bit sequence number to 64 bits relative to *highest (the
 * extended highest seen; *init false the first time). Updates *highest
 * when newer. Returns the extended number. */
int64_t yj_seq_unwrap(uint16_t seq, int64_t *highest, bool *init);

/* Per-output-stream rewriter: the subscriber sees one continuous stream
 * (its own SSRC, contiguous sequence numbers and a timestamp that keeps
 * running) even when the source behind it changes (another publisher, a
 * simulcast layer, a pause). */
typedef struct {
    bool started;       /* a packet has been sent */
    bool switching;     /* the next packet starts a new source epoch */
    uint32_t src_ssrc;  /* current source */
    uint16_t seq_delta; /* out = in + delta (mod 2^16) */
    uint32_t ts_delta;
    uint16_t last_seq; /* highest output seq sent */
    uint32_t last_ts;
    int64_t last_us;     /* wall clock of last_ts */
    int64_t in_highest;  /* extended highest source seq in this epoch */
    int64_t epoch_start; /* extended source seq of the epoch's first packet */
    bool in_init;
} yj_rewriter_t;

/* Begins a new epoch: the next packet (from any source) continues the
 * output stream after the last one sent. */
void yj_rewriter_switch(yj_rewriter_t *rw);
/* Maps a source packet (ssrc, seq, ts) arriving at now_us (monotonic µs)
 * with clock rate `clock`. Returns false if the packet belongs to a
 * previous epoch/source and must not be sent; otherwise sets *seq, *ts. */
bool yj_rewriter_map(yj_rewriter_t *rw, uint32_t ssrc, uint16_t seq, uint32_t ts, uint32_t clock,
                     int64_t now_us, uint16_t *out_seq, uint32_t *out_ts);
/* For a NACKed output sequence number, the source sequence number in the
 * current epoch; false if it lies before the epoch began. */
bool yj_rewriter_unmap_seq(const yj_rewriter_t *rw, uint16_t out_seq, uint16_t *src_seq);

/* Is this payload the start of a keyframe? (VP8 RFC 7741 / H.264 RFC 6184
 * IDR or SPS, in single NAL, STAP-A or FU-A start.) */
bool yj_vp8_is_keyframe(const uint8_t *payload, size_t len);
bool yj_h264_is_keyframe(const uint8_t *payload, size_t len);
/* Frame size from a VP8 keyframe's first packet; false if not one. */
bool yj_vp8_keyframe_size(const uint8_t *payload, size_t len, int *width, int *height);
/* Picture size (cropped) from the H.264 SPS carried by an RTP payload as a
 * single NAL unit or inside a STAP-A; false if there is none or it does
 * not parse (a fragmented SPS is not reassembled). */
bool yj_h264_sps_size(const uint8_t *payload, size_t len, int *width, int *height);

/* Audio level (RFC 6464) of p with the given extension id: 0 (loud) …
 * 127 (silence), or -1 when absent. */
int yj_rtp_audio_level(const yj_rtp_t *p, int ext_id);

/* Fixed-size retransmission cache of one RTP stream, indexed by sequence
 * number (RFC 4588 style): stores the packet as received (decrypted) and
 * returns it while younger than max_age_us. Not thread-safe by itself. */
#define YJ_NACK_CACHE_SLOTS 1024
#define YJ_RTP_MAX 1500
typedef struct {
    int64_t at_us;
    uint16_t seq;
    uint16_t len;
    bool used;
    uint8_t data[YJ_RTP_MAX];
} yj_nack_slot_t;
typedef struct {
    yj_nack_slot_t *slots; /* YJ_NACK_CACHE_SLOTS entries */
    int64_t max_age_us;
} yj_nack_cache_t;

int yj_nack_cache_init(yj_nack_cache_t *c, int64_t max_age_us);
void yj_nack_cache_clear(yj_nack_cache_t *c); /* frees the slots */
void yj_nack_cache_put(yj_nack_cache_t *c, uint16_t seq, const uint8_t *pkt, size_t len,
                       int64_t now_us);
/* The cached packet for seq, or NULL if absent/expired; *len set. */
const uint8_t *yj_nack_cache_get(const yj_nack_cache_t *c, uint16_t seq, int64_t now_us,
                                 size_t *len);

#endif
