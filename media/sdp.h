/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdp.h — the session-description layer: a plain C model of a WebRTC SDP
 * (BUNDLE, rtcp-mux, one ICE/DTLS transport) parsed from and written to
 * text with GStreamer's GstSDP, plus the codec/extension negotiation rules
 * of this SFU (Opus; VP8; H.264 packetization-mode=1 constrained baseline;
 * RTX; NACK/PLI/FIR/REMB feedback; mid, rid, audio-level, abs-send-time).
 *
 * Everything here is pure: no sockets, no threads, no global state, so the
 * unit tests and the fuzzer drive it directly. Parsing validates what the
 * rest of media/ relies on and reports the first problem in English.
 */
#ifndef YJ_SDP_H
#define YJ_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YJ_SDP_MAX_CODECS 16
#define YJ_SDP_MAX_EXT 16
#define YJ_SDP_MAX_RIDS 3
#define YJ_SDP_MAX_SSRCS 8
#define YJ_SDP_MAX_CANDS 32
#define YJ_SDP_MAX_MEDIA 64

/* Direction bits, from the point of view of the description's author. */
enum { YJ_DIR_INACTIVE = 0, YJ_DIR_SEND = 1, YJ_DIR_RECV = 2, YJ_DIR_SENDRECV = 3 };

/* rtcp-fb bits. */
enum {
    YJ_FB_NACK = 1 << 0,
    YJ_FB_PLI = 1 << 1,
    YJ_FB_FIR = 1 << 2,
    YJ_FB_REMB = 1 << 3,
    YJ_FB_TWCC = 1 << 4,
};

/* Header extensions this SFU understands (index into yj_sdp_ext_uri). */
typedef enum {
    YJ_EXT_NONE = 0,
    YJ_EXT_MID,
    YJ_EXT_RID,
    YJ_EXT_RRID,
    YJ_EXT_AUDIO_LEVEL,
    YJ_EXT_ABS_SEND_TIME,
    YJ_EXT_COUNT
} yj_ext_t;

const char *yj_sdp_ext_uri(yj_ext_t e);
yj_ext_t yj_sdp_ext_from_uri(const char *uri);

typedef enum {
    YJ_CODEC_NONE = 0,
    YJ_CODEC_OPUS,
    YJ_CODEC_VP8,
    YJ_CODEC_H264,
    YJ_CODEC_RTX
} yj_codec_t;

typedef struct {
    int pt; /* 0–127 */
    yj_codec_t codec;
    char name[16]; /* encoding name as written */
    int clock;
    int channels;
    char fmtp[160];
    int apt;     /* RTX: associated payload type, else -1 */
    unsigned fb; /* YJ_FB_* */
} yj_sdp_codec_t;

typedef struct {
    int id; /* 1–14 (one-byte) or 1–255 */
    yj_ext_t ext;
} yj_sdp_extmap_t;

typedef struct {
    char kind[12]; /* "audio", "video", "application", … */
    bool is_audio; /* kind == audio */
    bool is_video;
    bool rejected; /* port 0 */
    char proto[32];
    char mid[32];
    int dir; /* YJ_DIR_* */
    yj_sdp_codec_t codecs[YJ_SDP_MAX_CODECS];
    int n_codecs;
    yj_sdp_extmap_t ext[YJ_SDP_MAX_EXT];
    int n_ext;
    bool rtcp_mux, rtcp_rsize;
    /* Sender side: SSRCs announced (a=ssrc), with the FID (RTX) pairs. */
    uint32_t ssrc[YJ_SDP_MAX_SSRCS];
    int n_ssrc;
    uint32_t rtx_ssrc[YJ_SDP_MAX_SSRCS]; /* rtx_ssrc[i] repairs ssrc[i]; 0: none */
    char cname[64];
    char msid[130]; /* "stream track" */
    /* Simulcast: rids in a=simulcast order; rid_send true for "send" rids. */
    char rid[YJ_SDP_MAX_RIDS][16];
    int n_rid;
    bool simulcast; /* a=simulcast present */
    bool rid_send;
    /* Transport (per m-line; BUNDLE: the first m-line's apply). */
    char ufrag[64];
    char pwd[160];
    char fingerprint[160]; /* "sha-256 AB:CD:…" */
    char setup[10];        /* actpass, active, passive, holdconn, "" */
} yj_sdp_media_t;

typedef struct {
    uint64_t sess_id, sess_version;
    char bundle[YJ_SDP_MAX_MEDIA][32]; /* mids of a=group:BUNDLE */
    int n_bundle;
    bool ice_lite;
    bool trickle;
    /* Session-level transport attributes (m-level ones win). */
    char ufrag[64], pwd[160], fingerprint[160], setup[10];
    /* ICE candidates of the BUNDLE transport (from any m-line when parsed;
     * written on the first non-rejected m-line). Kept here, not per
     * m-line, so a negotiated m-line stays small. */
    char cands[YJ_SDP_MAX_CANDS][256]; /* "candidate:…" */
    int n_cands;
    bool end_of_candidates;
    yj_sdp_media_t *m;
    int n_m;
} yj_sdp_t;

/* Parses text into a newly allocated model (yj_sdp_free). On failure
 * returns NULL and, if err, a g_malloc'd message naming the problem.
 * Checks: syntax, ≤ 64 m-lines, a BUNDLE group covering every non-rejected
 * m-line, rtcp-mux on each, ICE ufrag/pwd and a sha-256 fingerprint
 * (session or media level), mids unique, payload types 0–127. */
yj_sdp_t *yj_sdp_parse(const char *text, char **err);
void yj_sdp_free(yj_sdp_t *s);

/* Writes the model as SDP text (g_free). Every non-rejected m-line gets the
 * transport attributes of s (ufrag, pwd, fingerprint, setup); candidates
 * of m[0] are written on m[0] only (BUNDLE). NULL on an invalid model. */
char *yj_sdp_write(const yj_sdp_t *s);

/* Transport attributes of the whole description (m-level of the first
 * bundled m-line, else session level); never NULL, may be "". */
const char *yj_sdp_ufrag(const yj_sdp_t *s);
const char *yj_sdp_pwd(const yj_sdp_t *s);
const char *yj_sdp_fingerprint(const yj_sdp_t *s);
const char *yj_sdp_setup(const yj_sdp_t *s);

/* Codec negotiation for one offered m-line: copies into out the codecs
 * this SFU accepts, in its preference order (Opus; VP8 then H.264
 * pm=1 constrained baseline), keeping the offerer's payload types and only
 * the feedback both support, plus the RTX types of the kept codecs. Also
 * copies the supported extmaps (offerer's ids). Returns the number of media
 * codecs kept (0: the m-line must be rejected). prefer_h264 puts H.264
 * first. */
int yj_sdp_negotiate_codecs(const yj_sdp_media_t *offered, yj_sdp_media_t *out, bool prefer_h264);

/* Finds codec kind c in m; NULL if absent. And the RTX type for pt (-1). */
const yj_sdp_codec_t *yj_sdp_find_codec(const yj_sdp_media_t *m, yj_codec_t c);
int yj_sdp_rtx_for(const yj_sdp_media_t *m, int pt);
/* Extension id for e in m, 0 if not negotiated. */
int yj_sdp_ext_id(const yj_sdp_media_t *m, yj_ext_t e);

/* Parses an RFC 8840 trickle fragment: ice-ufrag, ice-pwd, candidates,
 * end-of-candidates (media-level lines after "m=" are accepted). Fills
 * ufrag/pwd ("" if absent) and up to max candidates ("candidate:…").
 * Returns the number of candidates or YJ_EINVAL (with *err). */
int yj_sdp_parse_frag(const char *frag, char ufrag[64], char pwd[160], char (*cands)[256], int max,
                      bool *end, char **err);

/* Direction attribute name, "sendrecv" etc. */
const char *yj_sdp_dir_name(int dir);

#endif
