/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sender.h — inside iptv/: a channel's socket and its evenly paced sending
 * thread.
 *
 * The producer (playout.c) writes 1316-byte datagrams (7 TS packets) into
 * a single-producer single-consumer ring ahead of time; the sender thread
 * sends datagram k at t0 + k × 1316 × 8 / bitrate (CLOCK_MONOTONIC,
 * clock_nanosleep TIMER_ABSTIME), as plain UDP or RTP/MP2T (RFC 2250, PT
 * 33, 90 kHz timestamps of the send time). It never blocks on anything but
 * its clock: no lock, no allocation, MSG_DONTWAIT sends.
 */
#ifndef YJ_IPTV_SENDER_H
#define YJ_IPTV_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#define YJ_IPTV_DGRAM 1316

typedef struct yj_iptv_sender yj_iptv_sender_t;

typedef struct {
    const char *address; /* IPv4 destination, unicast or multicast */
    int port;
    int ttl;               /* multicast TTL (1..255); 0: 1 */
    const char *interface; /* multicast: interface address or name; NULL: default */
    bool rtp;
    int bitrate;
    int ring;          /* datagrams in the ring; 0: about 2 s */
    const char *label; /* metric label value (channel number) */
} yj_iptv_sender_cfg_t;

/* Opens the socket (errors in *err, g_free); the thread starts with
 * yj_iptv_sender_start. */
yj_iptv_sender_t *yj_iptv_sender_new(const yj_iptv_sender_cfg_t *cfg, char **err);
/* Starts sending: datagram 0 leaves at the next tick. Returns the UTC time
 * (ms since the epoch) at which datagram 0 is sent. */
int64_t yj_iptv_sender_start(yj_iptv_sender_t *s);
/* Producer side: a slot for datagram number `produced`, or NULL when the
 * ring is full; commit publishes it. */
uint8_t *yj_iptv_sender_slot(yj_iptv_sender_t *s);
void yj_iptv_sender_commit(yj_iptv_sender_t *s);
/* Datagrams produced / sent so far. */
uint64_t yj_iptv_sender_produced(const yj_iptv_sender_t *s);
uint64_t yj_iptv_sender_sent(const yj_iptv_sender_t *s);
/* Nanoseconds per datagram. */
double yj_iptv_sender_period_ns(const yj_iptv_sender_t *s);
/* Stops the thread, closes the socket, frees. NULL: no-op. */
void yj_iptv_sender_free(yj_iptv_sender_t *s);

#endif
