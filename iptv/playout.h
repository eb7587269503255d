/* SPDX-License-Identifier: Apache-2.0 */
/*
 * playout.h — one IPTV channel's playout: the contract between the
 * channel/schedule side of iptv/ (store, API, M3U, EPG, stations) and the
 * transport-stream side (muxer, sources, pacing, live HLS).
 *
 * A playout is one channel on the air: its own thread(s) build a
 * constant-bitrate single-programme MPEG-TS from whatever the schedule
 * says is on now (a library lesson remuxed without re-encoding, an
 * external feed passed through, a live lecture, or the generated slate)
 * and send it, paced evenly, as 7 × 188-byte UDP (or RTP, RFC 2250)
 * datagrams to the channel's address; optionally it also writes a live
 * HLS window. It asks the schedule through the ops table below and never
 * waits on the database or HTTP on its sending thread: the ops are
 * called from a separate lookahead thread, or must be non-blocking.
 */
#ifndef YJ_IPTV_PLAYOUT_H
#define YJ_IPTV_PLAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct yj_iptv_playout yj_iptv_playout_t;

typedef enum {
    YJ_IPTV_SLATE = 0,  /* nothing scheduled: the generated slate */
    YJ_IPTV_LESSON = 1, /* a library lesson (or meeting recording) */
    YJ_IPTV_FEED = 2,   /* an external MPEG-TS feed (satellite) */
    YJ_IPTV_LIVE = 3,   /* a live lecture from a meeting */
} yj_iptv_kind_t;

/* One programme, as the playout needs it. Strings are owned by the
 * struct; yj_iptv_programme_clear frees them. Times are UTC milliseconds
 * since the epoch, half-open [start_ms, end_ms). */
typedef struct {
    int64_t id; /* schedule entry (occurrence) id; 0 for the slate */
    yj_iptv_kind_t kind;
    int64_t start_ms, end_ms;
    char *title;       /* Chinese; shown in EIT and on the slate */
    char *description; /* EIT short event text; may be NULL */
    /* YJ_IPTV_LESSON: the HLS master playlist of the lesson
     * (<data>/lessons/<id>/master.m3u8); the playout picks the rendition
     * that fits the channel's bitrate. */
    char *media_path;
    /* YJ_IPTV_FEED: "udp://[source@]group:port" or "rtp://…", and the
     * programme number to pick from a multi-programme stream (0: first). */
    char *feed_url;
    int feed_program;
    /* YJ_IPTV_LIVE: the meeting whose speaker is broadcast. */
    int64_t meeting_id;
} yj_iptv_programme_t;

void yj_iptv_programme_clear(yj_iptv_programme_t *p);

typedef struct {
    /* Fills *now with the programme on at now_ms (kind SLATE with the
     * hole's bounds when nothing is scheduled) and *next with the one
     * after it (kind SLATE, title NULL, when none within 7 days).
     * Returns 0 or YJ_E*. Called from the playout's lookahead thread. */
    int (*programme_at)(int64_t channel_id, int64_t now_ms, yj_iptv_programme_t *now,
                        yj_iptv_programme_t *next, void *ud);
    /* Optional (NULL: no roll-call card). The roll-call code of the
     * creditable programme on at now_ms when one of its code windows is
     * open: fills code[8] (six digits) and the window [*from_ms,
     * *until_ms), and returns 0; YJ_ENOENT when no window is open. The
     * playout shows each code once, on a card, for YJ_IPTV_CARD_MS of the
     * programme's time. Called from the playout's lookahead thread. */
    int (*rollcall_at)(int64_t channel_id, int64_t now_ms, char code[8], int64_t *from_ms,
                       int64_t *until_ms, void *ud);
} yj_iptv_schedule_ops_t;

/* How a live lecture finds its meeting's speaker. iptv/ does not know
 * signaling's rooms: the daemon gives these (NULL: live lectures show the
 * slate). Both are called from the live source's own thread. */
typedef struct {
    /* The media room of a meeting (a new reference the caller drops with
     * yj_media_room_unref), or NULL. */
    struct yj_media_room *(*room)(int64_t meeting, void *ud);
    /* The media peer id of the meeting's host into buf; false ("") when no
     * host is in. Non-blocking. May be NULL (no host preference). */
    bool (*host_peer)(int64_t meeting, char *buf, size_t n, void *ud);
} yj_iptv_live_ops_t;
/* How long the roll-call card stays on the screen by default. */
#define YJ_IPTV_CARD_MS 25000

typedef struct {
    int64_t id;
    int number;            /* channel number (tvg-chno), also the TS service id */
    const char *name;      /* SDT service name, Chinese, UTF-8 */
    const char *provider;  /* SDT provider name */
    const char *address;   /* destination, "239.1.1.1" or "127.0.0.1" */
    int port;
    int ttl;               /* multicast TTL */
    const char *interface; /* outgoing interface address for multicast; NULL: default */
    bool rtp;              /* RTP/MP2T (RFC 2250) instead of plain UDP */
    int bitrate;           /* constant mux bitrate, bit/s */
    const char *hls_dir;   /* live HLS window written here; NULL: none */
    const char *slate_font; /* font file for the slate text (Noto CJK) */
    /* live lectures (borrowed for the playout's life); NULL: the slate */
    const yj_iptv_live_ops_t *live;
    void *live_ud;
    int card_ms;            /* how long a roll-call card shows; 0: YJ_IPTV_CARD_MS */
} yj_iptv_channel_cfg_t;

/* Creates and starts a channel's playout (copies cfg). NULL with *err
 * (g_free) on a bad configuration or socket error. */
yj_iptv_playout_t *yj_iptv_playout_new(const yj_iptv_channel_cfg_t *cfg,
                                        const yj_iptv_schedule_ops_t *ops, void *ud, char **err);
/* The schedule changed: re-ask programme_at soon (does not cut the
 * current programme unless it no longer is on). [any thread] */
void yj_iptv_playout_reschedule(yj_iptv_playout_t *p);
/* Stops the threads and frees. NULL: no-op. */
void yj_iptv_playout_free(yj_iptv_playout_t *p);

#endif
