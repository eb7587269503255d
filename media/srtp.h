/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srtp.h — SRTP/SRTCP sessions (libsrtp2) keyed from DTLS-SRTP.
 *
 * One yj_srtp_t protects (outbound) or unprotects (inbound) every SSRC of
 * one direction of a peer's transport. Not thread-safe: the inbound one is
 * used on the peer's worker only; the outbound one under the peer's
 * out_lock (several publishers' workers feed one subscriber).
 */
#ifndef YJ_SRTP_H
#define YJ_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct yj_srtp yj_srtp_t;

/* Room a protected packet needs beyond the plain one. */
#define YJ_SRTP_OVERHEAD 148

/* Once per process (idempotent, thread-safe). 0 or YJ_ECRYPTO. */
int yj_srtp_global_init(void);

/* profile: YJ_SRTP_* from dtls.h; key: key||salt of keylen bytes.
 * NULL on failure. */
yj_srtp_t *yj_srtp_new(int profile, const uint8_t *key, size_t keylen, bool inbound);
void yj_srtp_free(yj_srtp_t *s);

/* In place. *len is the plain length in and the protected length out;
 * buf must have *len + YJ_SRTP_OVERHEAD bytes. 0 or YJ_ECRYPTO. */
int yj_srtp_protect(yj_srtp_t *s, uint8_t *buf, int *len);
int yj_srtp_protect_rtcp(yj_srtp_t *s, uint8_t *buf, int *len);
/* In place; *len shrinks. 0 or YJ_ECRYPTO (bad auth, replay, …). */
int yj_srtp_unprotect(yj_srtp_t *s, uint8_t *buf, int *len);
int yj_srtp_unprotect_rtcp(yj_srtp_t *s, uint8_t *buf, int *len);

const char *yj_srtp_profile_name(int profile);

#endif
