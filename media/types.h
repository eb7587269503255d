/* SPDX-License-Identifier: Apache-2.0 */
/*
 * types.h — the data the media/ engine's layers share behind media.h: the
 * structures only, no functions. The code is ordered in one direction
 * (docs/media.md): worker → transport → track → router → tap →
 * publisher/subscriber → sfu_room → negotiate → peer → engine; each
 * layer's functions are declared in its own header (worker.h, transport.h,
 * …) and a file includes only the headers of layers below it. A lower
 * layer reaches up only through the peer's yj_m_up_t table (set by
 * peer.c) or the tick. Nothing outside media/ includes this file (unit
 * tests may).
 *
 * NAMES: yj_media_* is public (media.h, tap.h); yj_m_<file>_* is internal
 * and lives in media/<file>.c, declared in media/<file>.h (tap.c's in
 * tap_internal.h, since tap.h is public). The protocol helpers below the
 * engine (rtp, rtcp, sdp, srtp, dtls, ice) keep yj_<protocol>_*.
 *
 * LOCKS, always taken in this order (never the reverse):
 *   engine->lock   rooms table, peer list
 *   room->lock     room membership, its tracks, every peer's slot list and
 *                  the binding of slots to tracks
 *   track->lock    a published track's layers' NACK caches and receive
 *                  statistics, its taps, and changes to its fan-out lists
 *   fan->lock      one worker's part of a track's fan-out (track->fan[i]):
 *                  the slots fed by the track whose subscriber lives on
 *                  worker i, and forwarding to them
 *   peer->out_lock a peer's outbound SRTP context, its slots' rewriters and
 *                  negotiated send parameters, and sending on its ICE
 *   room->cb_lock  (recursive) held while room watchers run
 * A peer's negotiation state (xcvrs, remote description) is touched only on
 * its worker thread. A packet is received on the publisher's worker, which
 * (under track->lock) runs the taps' callbacks (tap.c), forwards to the
 * subscribers on its own worker (under that fan->lock) and hands one copy
 * to every other worker with subscribers of the track (worker.c's
 * hand-off queue); each of those forwards to its own subscribers under
 * its fan->lock only, so one track's fan-out runs on every core. Each
 * subscriber is sent to under its out_lock.
 */
#ifndef YJ_MEDIA_TYPES_H
#define YJ_MEDIA_TYPES_H

#include "media.h"
#include "dtls.h"
#include "ice.h"
#include "rtcp.h"
#include "rtp.h"
#include "sdp.h"
#include "srtp.h"
#include "core/metrics.h"

#include <glib.h>

#define YJ_MAX_LAYERS 3
#define YJ_MAX_MISSING 64
#define YJ_STAT_ADD(p, f, v) __atomic_add_fetch(&(p)->f, (v), __ATOMIC_RELAXED)

typedef struct yj_track yj_track_t;
typedef struct yj_slot yj_slot_t;

/* One worker's part of a track's fan-out (router.c). */
typedef struct {
    GMutex lock;      /* sinks, and forwarding to them */
    GPtrArray *sinks; /* yj_slot_t* whose subscriber is on this worker */
    gint n;           /* sinks->len, read without the lock (atomic) */
} yj_fan_t;

/* The calls a lower layer makes upward, set by peer.c on every peer (one
 * table shared by all peers). Each is one predictable indirect call. */
typedef struct {
    /* transport.c: a decrypted RTP packet (publisher.c) */
    void (*on_rtp)(yj_media_peer_t *p, uint8_t *buf, size_t len, const yj_rtp_t *pkt);
    /* transport.c: one item of a decrypted RTCP compound */
    void (*on_rtcp)(yj_media_peer_t *p, const yj_rtcp_item_t *it, int64_t now_us);
    /* transport.c: SRTP keys are in place (the peer starts its video) */
    void (*on_connected)(yj_media_peer_t *p);
    /* tick.c: the once-a-second RTCP pass and the 20 ms loss pass */
    void (*rtcp_tick)(yj_media_peer_t *p, int64_t now_us);
    void (*nack_tick)(yj_media_peer_t *p, int64_t now_us);
    /* publisher.c: an audio level changed (sfu_room.c elects speakers) */
    void (*speaker)(yj_media_room_t *room, int64_t now_us);
    /* sfu_room.c, negotiate.c: the peer needs a server offer */
    void (*need_negotiation)(yj_media_peer_t *p);
    /* worker.c: the last reference went */
    void (*free)(yj_media_peer_t *p);
} yj_m_up_t;

#define YJ_TICK_MS 20    /* tick.c: one periodic timer per worker */
#define YJ_TICK_SLOTS 50 /* RTCP once a second: 50 slots of 20 ms */

/* worker.c: the hand-off queue, packets other workers give this worker to
 * forward to its own subscribers. Bounded, many producers, one consumer
 * (the worker), lock-free (D. Vyukov's bounded queue): a cell is free for
 * the producer that claimed position pos when its seq == pos, holds a
 * packet for the consumer when seq == pos + 1. */
#define YJ_HANDOFF_CAP 512 /* packets waiting per worker (a power of two) */
#define YJ_HANDOFF_DATA 1500
typedef struct yj_worker yj_worker_t;
typedef void (*yj_handoff_fn)(yj_worker_t *w, void *obj, uint64_t arg, const uint8_t *data,
                              size_t len);
typedef struct {
    gsize seq;
    yj_handoff_fn fn;
    void (*release)(void *obj);
    void *obj;
    uint64_t arg;
    size_t len;
    uint8_t data[YJ_HANDOFF_DATA];
} yj_handoff_cell_t;
typedef struct {
    yj_handoff_cell_t *cells; /* YJ_HANDOFF_CAP */
    _Alignas(64) gsize head;  /* next position to fill (producers, atomic) */
    _Alignas(64) gsize tail;  /* next position to take (the worker only) */
    gint64 ran;               /* packets run (atomic; tests) */
    _Alignas(64) gint wake;   /* 1: the worker is awake or being woken (atomic) */
    gint64 dropped, handed;   /* statistics (atomic) */
    GSource *src;             /* the worker's source that drains it */
} yj_handoff_t;

struct yj_worker {
    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
    int index;
    gint peers; /* pinned peers (for placement) */
    gint stop;  /* set by yj_media_free, then the context is woken */
    /* tick.c (worker thread only) */
    GSource *tick;
    GPtrArray *slots[YJ_TICK_SLOTS]; /* yj_media_peer_t* (weak) due in slot k */
    GPtrArray *nack;                 /* video publishers (weak) */
    int next_slot;
    int64_t slot_due_us; /* when next_slot is due (a late tick catches up) */
    /* busy share of the last second (‰ of one core), from the tick */
    gint load_pm;
    int64_t load_cpu_ns, load_wall_us;
    /* share of the last second the thread was runnable (on a CPU or
     * waiting for one), ‰, from /proc/thread-self/schedstat; -1: unknown */
    gint demand_pm; /* the highest of the last three seconds (admission) */
    int demand_hist[3];
    int64_t demand_ns;
    int schedstat_fd;
    /* peers whose ICE/DTLS handshake is under way (atomic; transport.c),
     * bounded by admission (engine.c, max_handshakes) */
    gint handshakes;
    /* worker.c: packets from other workers to forward to this one's
     * subscribers */
    yj_handoff_t ho;
    /* slots bound to a track on this worker (atomic; placement) */
    gint sinks;
};

struct yj_media {
    yj_media_config_t cfg; /* strings below are owned copies */
    char *interfaces, *stun_server, *turn_server, *turn_user, *turn_password;
    yj_ice_config_t ice;
    yj_dtls_cert_t *cert;
    int n_workers;
    yj_worker_t *workers;
    int next_worker;
    GMutex lock;
    GHashTable *rooms; /* id -> yj_media_room_t* (weak: removed when freed) */
    GPtrArray *peers;  /* every open peer (ref) */
    bool running, stopping;
    gint64 refuse_log_us; /* engine.c: last admission refusal logged (atomic) */
    gint64 full_until_us; /* engine.c: refuse for load until then (atomic) */
};

typedef struct {
    int id;
    yj_media_room_callbacks_t cb;
    void *ud;
} yj_watch_t;

struct yj_media_room {
    gint ref;
    yj_media_t *m;
    char id[64];
    GMutex lock;
    GPtrArray *peers;  /* yj_media_peer_t* (ref), join order */
    GPtrArray *tracks; /* yj_track_t* (ref), publish order */
    GRecMutex cb_lock;
    GArray *watches; /* yj_watch_t */
    int next_watch;
    /* active speaker (under lock) */
    char speaker[64];
    char candidate[64];
    int64_t candidate_since_us;
    int64_t last_eval_us;
};

/* One inbound RTP stream of a track (a simulcast layer, or the only one). */
typedef struct {
    char rid[16];
    uint32_t ssrc, rtx_ssrc; /* 0 until known */
    bool active;             /* packets seen */
    /* receive statistics (RFC 3550 A.3/A.8) */
    int64_t highest; /* extended highest seq */
    bool seq_init;
    int64_t base_seq;
    uint64_t received, expected_prior, received_prior;
    double jitter;
    int64_t last_transit;
    uint32_t last_sr_mid; /* middle 32 bits of the last SR's NTP */
    int64_t last_sr_us;
    /* loss recovery: missing sequence numbers we NACK */
    uint16_t missing[YJ_MAX_MISSING];
    uint8_t missing_tries[YJ_MAX_MISSING];
    int64_t missing_next_us[YJ_MAX_MISSING];
    int n_missing;
    yj_nack_cache_t cache; /* video only */
    /* bitrate (bits/s over the last second) and last keyframe */
    uint64_t bytes_window;
    int64_t window_start_us;
    uint32_t bitrate;
    int64_t last_keyframe_us;
    int height; /* from VP8 keyframes, 0 unknown */
} yj_layer_t;

/* A track a peer publishes (one client m-line it sends on). */
struct yj_track {
    gint ref;
    GMutex lock;
    yj_media_peer_t *pub; /* weak; NULL once unpublished (under lock) */
    char id[80];
    char mid[32]; /* the publisher's mid */
    yj_media_kind_t kind;
    yj_codec_t codec;
    int clock;
    bool muted;
    int ext_mid, ext_rid, ext_rrid, ext_level, ext_abs; /* publisher's ids */
    int8_t pt_codec[128]; /* publisher's pt -> yj_codec_t (YJ_CODEC_RTX for rtx) */
    int8_t rtx_apt[128];  /* rtx pt -> associated pt */
    int n_layers;
    yj_layer_t layers[YJ_MAX_LAYERS];
    /* the slots fed by this track (not refs), one list per worker: the
     * publisher's worker forwards to its own list and hands each packet
     * once to every other worker whose list is not empty (router.c) */
    yj_fan_t *fan;
    int n_fan;
    /* audio level: smoothed energy (0 silent … 127 loud), for speakers */
    double level;     /* fast attack, slow release: "is speaking" */
    double level_avg; /* ~2 s average: "who is louder" */
    int64_t level_us;
    int64_t last_pli_us; /* throttle of keyframe requests to the publisher */
    uint8_t fir_seq;
    bool nack;        /* the publisher accepts NACK */
    int pt, channels; /* the publisher's payload type for codec; Opus channels */
    char fmtp[128];   /* the publisher's a=fmtp for pt */
    /* tap.c: taps attached to this track (under lock); NULL on the hot
     * path when nobody taps, the only cost then being this check */
    struct yj_media_tap *taps;
};

/* A subscriber's sending m-line (the server sends a forwarded track). */
struct yj_slot {
    yj_media_peer_t *sub; /* owner */
    char mid[32];
    yj_media_kind_t kind;
    bool active;               /* negotiated with a send direction (under out_lock) */
    yj_track_t *track;         /* bound source (ref), under room->lock + out_lock */
    yj_track_t *pending_track; /* bound by a pending server offer (ref) */
    bool auto_bind;            /* client-offered slot: the room binds it; server-offered
                                  slots are bound only through offers */
    uint32_t ssrc, rtx_ssrc;
    int pt_for[5];     /* yj_codec_t -> subscriber's pt, -1 none */
    int rtx_pt_for[5]; /* yj_codec_t -> subscriber's rtx pt, -1 none */
    int ext_mid, ext_level, ext_abs;
    char cname[32];
    /* forwarding state (out_lock) */
    yj_rewriter_t rw;
    int layer;        /* layer being forwarded */
    int target_layer; /* wanted; switched at its next keyframe */
    bool need_keyframe;
    uint16_t rtx_seq;
    int max_height;        /* 0: no limit */
    int64_t hold_until_us; /* no layer step up before this */
    int64_t bound_us;      /* when bound (REMB ignored for 5 s after) */
    uint64_t packets, octets;
    int64_t last_pli_us;
};

/* One m-line of a peer's negotiated session. */
typedef struct {
    char mid[32];
    yj_media_kind_t kind;
    bool is_av; /* audio or video (else rejected/application) */
    bool rejected;
    int dir;            /* our direction: YJ_DIR_SEND (to client) / RECV */
    yj_sdp_media_t neg; /* negotiated codecs and extensions */
    yj_track_t *track;  /* RECV: what the client publishes here */
    yj_slot_t *slot;    /* SEND: what we forward here */
    bool pending;       /* added by a server offer not yet answered */
    bool simulcast;
    char rids[YJ_MAX_LAYERS][16];
    int n_rids;
} yj_xcvr_t;

typedef struct {
    void (*fn)(yj_media_peer_t *p, void *arg);
    void *arg;
} yj_task_t;

struct yj_media_peer {
    gint ref;
    const yj_m_up_t *up; /* upward calls (peer.c's table) */
    yj_media_t *m;
    yj_media_room_t *room; /* ref */
    yj_worker_t *w;
    char id[64];
    unsigned flags;
    yj_media_peer_callbacks_t cb;
    void *ud;
    gint closed; /* atomic: no more callbacks */
    yj_media_peer_state_t state;
    GMutex cb_mutex; /* serialises callbacks vs close from another thread */

    /* worker-only negotiation state */
    GPtrArray *xcvrs; /* yj_xcvr_t*, m-line order */
    bool answered;    /* a client offer was answered */
    bool offer_pending;
    bool restart_pending;
    bool nego_needed_sent;
    uint64_t sess_id, sess_version;
    char remote_ufrag[64], remote_pwd[160], remote_fp[160];
    int rtcp_rsize;
    int next_mid;
    /* client's payload types and extension ids, reused in server offers */
    /* point into a client-offered xcvr's neg (never freed before the peer) */
    const yj_sdp_media_t *caps_audio, *caps_video;

    yj_dtls_t *dtls;
    bool dtls_started;
    bool dtls_done; /* handshake confirmed and the DTLS state freed */
    int64_t connected_us;
    GSource *dtls_timer;
    /* transport.c: handshake work is deferred to a low-priority source so
     * connected peers' packets and the tick run first */
    bool handshaking; /* counted in w->handshakes */
    int64_t hs_start_us;
    GQueue dtls_in;    /* GBytes* DTLS records waiting for dtls_src */
    GSource *dtls_src; /* G_PRIORITY_DEFAULT_IDLE, while dtls_in is not empty */
    /* consent (RFC 7675) judged on what arrived: the last SRTP/SRTCP
     * packet that authenticated; libnice's keepalive verdict only makes
     * the peer suspect (see yj_m_transport_rtcp_tick) */
    int64_t last_auth_rx_us;
    int64_t suspect_since_us; /* libnice said failed/disconnected; 0: no */
    int tick_slot;            /* tick.c: RTCP slot, -1 none */
    bool tick_nack;           /* tick.c: in the 20 ms loss-recovery pass */
    GPtrArray *early_cands;   /* remote candidates before the offer */

    /* The forwarding loop's per-subscriber fields, together on one cache
     * line: it visits one subscriber after another, each a cache miss. */
    GMutex out_lock;
    yj_srtp_t *srtp_out; /* out_lock */
    yj_ice_t *ice;       /* set on the worker; cleared under out_lock */
    yj_srtp_t *srtp_in;  /* worker only */
    int srtp_profile;
    uint32_t rtcp_ssrc; /* our SSRC for RTCP feedback/reports */
    GPtrArray *slots;   /* yj_slot_t* (owned), under room->lock */
    GPtrArray *tracks;  /* yj_track_t* (ref) published, under room->lock */

    /* gathering wait for YJ_MEDIA_SDP_FULL */
    GMutex wait_lock;
    GCond wait_cond;
    bool gathered;

    /* subscription */
    bool audio_only;
    gint recv_codecs; /* atomic: 1 << yj_codec_t the client's last offer accepts on its
                         audio/video m-lines (0: none yet); see yj_m_sfu_room_can_receive */
    uint32_t remb_bps;
    double loss_out, rtt_ms;

    /* statistics (atomics) */
    gint64 st_packets_in, st_bytes_in, st_packets_out, st_bytes_out, st_lost_in;
    gint64 st_nacks_in, st_nacks_out, st_retransmits, st_plis_in, st_plis_out, st_dropped;
};

#endif
