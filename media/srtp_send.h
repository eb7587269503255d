/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srtp_send.h — the sending half of SRTP/SRTCP on OpenSSL (see
 * srtp_send.c for why it is not libsrtp). Used through srtp.h's
 * yj_srtp_protect/_rtcp on an outbound yj_srtp_t; the receiving half is
 * libsrtp's.
 */
#ifndef YJ_SRTP_SEND_H
#define YJ_SRTP_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <openssl/evp.h>

/* Rollover state of one outgoing SSRC (RFC 3711 section 3.3.1). */
typedef struct {
    uint32_t ssrc;
    uint32_t roc;
    uint16_t highest;
} yj_srtp_roc_t;

/* Session keys of one direction (RTP or RTCP). */
typedef struct {
    EVP_CIPHER_CTX *cipher; /* keyed AES-128-GCM or AES-128-CTR */
    EVP_MAC_CTX *mac;       /* keyed HMAC-SHA1 (CM only) */
    uint8_t salt[14];
} yj_srtp_dir_t;

/* The first few SSRCs' rollover counters live inline, beside the keys:
 * the forwarding loop touches one subscriber after another, and every
 * pointer it follows is a cache miss. A subscriber receives an audio, a
 * video and an RTX SSRC per participant it sees; beyond YJ_SRTP_FEW_SSRCS
 * they go to a hash table. The struct is embedded by srtp.c. */
#define YJ_SRTP_FEW_SSRCS 6
typedef struct {
    bool gcm;
    int n_few;
    yj_srtp_roc_t few[YJ_SRTP_FEW_SSRCS];
    GHashTable *more;     /* ssrc -> yj_srtp_roc_t* */
    uint32_t srtcp_index; /* 31 bits; the first packet has 1, as libsrtp */
    yj_srtp_dir_t rtp, rtcp;
} yj_srtp_send_t;

/* profile: YJ_SRTP_* (dtls.h); key: master key || master salt (28 bytes
 * for GCM, 30 for CM). 0, or -1 on a bad profile/length or an OpenSSL
 * error (s is then cleared). */
int yj_srtp_send_init(yj_srtp_send_t *s, int profile, const uint8_t *key, size_t keylen);
void yj_srtp_send_clear(yj_srtp_send_t *s);

/* Protect in place: *len is the plain length in and the protected length
 * out (at most 20 bytes longer); 0, or -1 for a packet too short to be
 * RTP/RTCP or an OpenSSL failure. Allocates nothing except the first time
 * an SSRC is seen (its rollover counter). */
int yj_srtp_send_rtp(yj_srtp_send_t *s, uint8_t *buf, int *len);
int yj_srtp_send_rtcp(yj_srtp_send_t *s, uint8_t *buf, int *len);

#endif
