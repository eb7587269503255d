/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dtls.h — DTLS 1.2 for DTLS-SRTP (RFC 5764) with OpenSSL over memory BIOs.
 *
 * The engine makes one certificate (ECDSA P-256, self-signed, fresh each
 * start); its SHA-256 fingerprint goes in every SDP. Each peer gets a
 * yj_dtls_t: datagrams received from ICE are fed in with yj_dtls_feed,
 * and whatever OpenSSL wants to send comes out through the send callback,
 * one datagram per call. After the handshake the peer's certificate is
 * checked against the fingerprint from its SDP and the SRTP keys are
 * exported. Not thread-safe: a yj_dtls_t lives on its peer's worker.
 */
#ifndef YJ_DTLS_H
#define YJ_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct yj_dtls_cert yj_dtls_cert_t;
typedef struct yj_dtls yj_dtls_t;

/* Generates the certificate and the shared SSL_CTX. NULL + *err on
 * failure. */
yj_dtls_cert_t *yj_dtls_cert_new(char **err);
void yj_dtls_cert_free(yj_dtls_cert_t *c);
/* "sha-256 AB:CD:…" (owned by c). */
const char *yj_dtls_cert_fingerprint(const yj_dtls_cert_t *c);

/* SRTP protection profiles (RFC 5764 / RFC 7714 ids). */
enum { YJ_SRTP_AES128_CM_SHA1_80 = 0x0001, YJ_SRTP_AEAD_AES_128_GCM = 0x0007 };

typedef void (*yj_dtls_send_fn)(const uint8_t *data, size_t len, void *ud);

/* A DTLS endpoint. active: we send the ClientHello (remote setup:passive);
 * otherwise we wait for it (server, our setup:passive). remote_fp is the
 * SDP's "sha-256 …" value (copied). */
yj_dtls_t *yj_dtls_new(yj_dtls_cert_t *cert, bool active, const char *remote_fp,
                       yj_dtls_send_fn send, void *ud);
void yj_dtls_free(yj_dtls_t *d);

/* Starts the handshake (sends the ClientHello when active). */
int yj_dtls_start(yj_dtls_t *d);

typedef enum {
    YJ_DTLS_PENDING,   /* handshake in progress */
    YJ_DTLS_CONNECTED, /* just completed: call yj_dtls_srtp_keys */
    YJ_DTLS_OPEN,      /* already connected; record ignored */
    YJ_DTLS_CLOSED,    /* peer sent close_notify */
    YJ_DTLS_FAILED,    /* handshake or verification failed */
} yj_dtls_status_t;

/* Feeds one received datagram. */
yj_dtls_status_t yj_dtls_feed(yj_dtls_t *d, const uint8_t *buf, size_t len);

/* Retransmission timer: µs until yj_dtls_tick must be called, or -1. */
int64_t yj_dtls_timeout_us(yj_dtls_t *d);
yj_dtls_status_t yj_dtls_tick(yj_dtls_t *d);

/* After CONNECTED: the negotiated profile and the keys (key||salt) for our
 * outbound and inbound directions. Lengths: 30 bytes for AES-CM-80,
 * 28 for AEAD-AES-128-GCM. Returns 0 or YJ_ECRYPTO. */
int yj_dtls_srtp_keys(yj_dtls_t *d, int *profile, uint8_t local[32], uint8_t remote[32],
                      size_t *keylen);

/* Sends close_notify (best effort). */
void yj_dtls_close(yj_dtls_t *d);
/* Why the handshake failed (static string). */
const char *yj_dtls_error(const yj_dtls_t *d);

#endif
