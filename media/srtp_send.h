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

typedef struct yj_srtp_send yj_srtp_send_t;

/* profile: YJ_SRTP_* (dtls.h); key: master key || master salt (28 bytes
 * for GCM, 30 for CM). NULL on a bad profile/length or an OpenSSL error. */
yj_srtp_send_t *yj_srtp_send_new(int profile, const uint8_t *key, size_t keylen);
void yj_srtp_send_free(yj_srtp_send_t *s);

/* Protect in place: *len is the plain length in and the protected length
 * out (at most 20 bytes longer); 0, or -1 for a packet too short to be
 * RTP/RTCP or an OpenSSL failure. Allocates nothing except the first time
 * an SSRC is seen (its rollover counter). */
int yj_srtp_send_rtp(yj_srtp_send_t *s, uint8_t *buf, int *len);
int yj_srtp_send_rtcp(yj_srtp_send_t *s, uint8_t *buf, int *len);

#endif
