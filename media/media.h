/* SPDX-License-Identifier: Apache-2.0 */
/*
 * media.h — the public face of the real-time media plane: a WebRTC SFU.
 *
 * Three opaque, refcounted handles:
 *
 *   yj_media_t       the engine: N worker threads (each a GMainContext +
 *                    GMainLoop), the DTLS certificate, ICE settings.
 *   yj_media_room_t  a named room; its peers' published tracks are
 *                    forwarded to its subscribing peers.
 *   yj_media_peer_t  one browser/WHIP/WHEP PeerConnection: full ICE
 *                    (libnice), DTLS 1.2 (passive) → SRTP, BUNDLE and
 *                    rtcp-mux only, one transport for every m-line.
 *
 * media/ knows nothing of HTTP, JSON or SQL: signaling/ drives it through
 * these calls and receives events through C callbacks.
 *
 * THREADS
 *   - A peer is pinned to one worker for its whole life. Every callback
 *     about a peer (candidate, state, negotiation needed) runs on that
 *     peer's worker thread. Room callbacks (tracks changed, active speaker)
 *     run on the worker of the peer that caused the event.
 *   - Callbacks must be quick and must not block: no disk or network I/O,
 *     no waiting for another thread. Copy what you need and post it to your
 *     own thread/queue. They may call the non-blocking functions below
 *     (marked [any thread, non-blocking]).
 *   - Functions marked [blocking] run their work on the peer's worker and
 *     wait for it. Call them from your own threads (HTTP, WebSocket, main).
 *     Called from the peer's own worker (inside its callback) they run
 *     inline. Never call them from inside a callback of ANOTHER peer (that
 *     worker may be waiting on yours): post to your own thread instead.
 *   - yj_media_peer_close() guarantees that no callback of that peer runs
 *     after it returns (unless called from that peer's own callback, in
 *     which case no further callback starts after the current one).
 *
 * OFFER/ANSWER (Chromium unified plan, BUNDLE, rtcp-mux required)
 *   A peer has flags: PUBLISH (accept media the client sends), SUBSCRIBE
 *   (send the other publishers of the room to the client).
 *
 *   - The client offers first (WHIP, WHEP, the meeting page's first
 *     offer). In its offer each m-line means:
 *       sendonly  → a track the client publishes (needs PUBLISH);
 *       recvonly  → a receive slot (needs SUBSCRIBE). With YJ_MEDIA_STATIC
 *                   (WHEP) the server fills it at once with another
 *                   publisher's track of that kind; otherwise it is
 *                   answered a=inactive and filled by the next server
 *                   offer, so the track arrives with the right a=msid;
 *       sendrecv  → both; inactive/port 0 → nothing.
 *     yj_media_peer_answer() returns the answer (DTLS setup:passive).
 *   - Server re-offers: when the room has more tracks than a SUBSCRIBE
 *     peer has free slots of that kind, or a slot's publisher left, the
 *     peer's on_negotiation_needed fires. The owner then calls
 *     yj_media_peer_offer() (existing m-lines kept in order; new sendonly
 *     m-lines appended, one per unbound publisher track; a slot whose
 *     publisher left goes a=inactive and is recycled for the next new track
 *     of its kind — Chromium fires ontrack again for it), sends it, and
 *     passes the client's answer to yj_media_peer_set_answer(). The
 *     forwarded track's a=msid is "<publisher peer id> <track id>", so the
 *     page groups a participant's audio and video by stream id = peer id.
 *   - Glare: if a client offer arrives while a server offer is pending, the
 *     server rolls its offer back (it is the polite side), answers the
 *     client, and raises on_negotiation_needed again afterwards.
 *   - YJ_MEDIA_STATIC peers (WHEP viewers) cannot be re-offered; their
 *     slots are bound to the room's publishers in the order the publishers
 *     joined and rebound when one leaves (the a=msid in the answer then
 *     does not name the publisher); on_negotiation_needed may be ignored.
 *
 * ICE
 *   Full ICE (RFC 8445 via libnice, controlled side when answering). Host
 *   candidates on the configured interfaces, srflx via the STUN server,
 *   relay via the TURN server. Trickle both ways: local candidates arrive
 *   via on_candidate (end of gathering: candidate NULL); remote ones go in
 *   via yj_media_peer_add_candidate(). With YJ_MEDIA_SDP_FULL the SDP call
 *   waits (up to the configured gather timeout) until gathering is done and
 *   puts every candidate in the SDP (WHIP/WHEP, where the server cannot
 *   trickle). ICE restart: a client offer with new ice-ufrag/pwd restarts
 *   ICE; yj_media_peer_restart_ice() makes the next server offer do it.
 *
 * ERRORS: functions return 0 or a negative YJ_E* (core/yj.h); when an
 * `err` out-parameter is given it receives a newly allocated English
 * message naming the problem (caller g_free()s), e.g. "m-line 2: no
 * supported video codec". A failed SDP call changes nothing.
 */
#ifndef YJ_MEDIA_H
#define YJ_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct yj_media yj_media_t;
typedef struct yj_media_room yj_media_room_t;
typedef struct yj_media_peer yj_media_peer_t;

/* ------------------------------------------------------------------ */
/* Engine                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    int workers;            /* media threads; 0: number of cores */
    int port_min, port_max; /* UDP port range for ICE; 0,0: any port */
    /* Comma-separated local IP addresses to gather host candidates on
     * (e.g. "192.0.2.10,127.0.0.1"); NULL or "": every address of the host
     * except loopback (loopback only if there is nothing else). Tests use
     * "127.0.0.1". */
    const char *interfaces;
    const char *stun_server; /* "host:port" (UDP), NULL or "": none */
    const char *turn_server; /* "host:port" (UDP TURN), NULL or "": none */
    const char *turn_user;   /* TURN long-term credentials */
    const char *turn_password;
    int gather_timeout_ms; /* cap for YJ_MEDIA_SDP_FULL; 0: 3000 */
    int max_publish_kbps;  /* REMB cap sent to publishers; 0: 2500 */
    int nack_cache_ms;     /* per-publisher retransmission cache; 0: 1000 */
    /* Admission of newcomers (yj_media_admit): refuse while every worker
     * was runnable (on a CPU or waiting for one) more than this percentage
     * of the last second; 0: no load limit. */
    int max_load_percent;
    /* ... or while this many peers per worker are still handshaking (ICE,
     * DTLS); 0: no limit. */
    int max_handshakes;
} yj_media_config_t;

/* Creates the engine: the DTLS certificate (ECDSA P-256, self-signed,
 * fresh at each start), libsrtp, the workers' contexts (threads do not run
 * yet). Strings in cfg are copied. Returns NULL with *err set (g_free) on
 * a bad configuration (e.g. port_min > port_max, unparseable address). */
yj_media_t *yj_media_new(const yj_media_config_t *cfg, char **err);
/* Starts the worker threads. 0 or YJ_E*. */
int yj_media_start(yj_media_t *m);
/* Closes every peer, stops and joins the workers, frees the engine.
 * Rooms/peers still referenced by the caller become inert (calls on them
 * return YJ_ESTATE) until unreffed. NULL is a no-op. */
void yj_media_free(yj_media_t *m);
/* The DTLS certificate fingerprint, "sha-256 AB:CD:…" (owned by engine). */
const char *yj_media_fingerprint(const yj_media_t *m);
/* How busy the least busy worker was over the last second, in percent of
 * one core (its thread's CPU time over wall time). A node whose workers
 * are all near 100 % cannot take another subscriber without making every
 * subscriber lose packets. [any thread] */
int yj_media_load_percent(yj_media_t *m);
/* How much the busiest worker needed a CPU over the last seconds, in
 * percent: the highest of the last three one-second readings of its
 * runnable share (on a CPU or waiting in the run queue), the measure
 * admission uses (yj_media_admit) but for the busiest worker rather than
 * the least busy. The daemon's background jobs yield while it is high: a
 * worker that waits for a CPU delays a meeting's packets. 0 before start.
 * [any thread, non-blocking] */
int yj_media_demand_percent(yj_media_t *m);

typedef enum {
    YJ_MEDIA_ADMIT = 0,       /* come in */
    YJ_MEDIA_FULL_LOAD,       /* every worker above max_load_percent */
    YJ_MEDIA_FULL_HANDSHAKES, /* max_handshakes per worker under way */
} yj_media_admission_t;

/* May one more newcomer (a viewer, a meeting member) be given a peer
 * now? Established peers come first: a newcomer's handshake (ICE checks,
 * DTLS with its ECDSA signature, SDP work) costs the worker that also
 * forwards everyone else's packets. A refusal is counted in
 * yj_media_admission_refused_total{reason=load|handshakes} and logged at
 * most once per 10 s, with `who` ("WHEP viewer", "meeting member"). *load
 * (may be NULL) gets the least busy worker's runnable share of the last
 * second, in percent (its CPU time plus its time waiting in the run
 * queue: a worker that never sleeps is behind even when the machine gives
 * it only part of a core). [any thread, non-blocking] */
yj_media_admission_t yj_media_admit(yj_media_t *m, const char *who, int *load);

/* ------------------------------------------------------------------ */
/* Rooms                                                               */
/* ------------------------------------------------------------------ */

typedef enum { YJ_MEDIA_AUDIO = 0, YJ_MEDIA_VIDEO = 1 } yj_media_kind_t;

/* Returns the room named id (created empty when absent) with a new
 * reference the caller drops with yj_media_room_unref. id: 1–63 chars of
 * [A-Za-z0-9._-]; NULL if invalid or the engine is stopping.
 * [any thread, non-blocking] */
yj_media_room_t *yj_media_room_get(yj_media_t *m, const char *id);
yj_media_room_t *yj_media_room_ref(yj_media_room_t *room);
/* A room lives while referenced or while it has peers. NULL: no-op. */
void yj_media_room_unref(yj_media_room_t *room);
const char *yj_media_room_id(const yj_media_room_t *room);

typedef struct {
    /* The set of published tracks changed (a publisher came, left, added
     * or removed a track, or was muted). Re-read yj_media_room_tracks. */
    void (*on_tracks_changed)(yj_media_room_t *room, void *ud);
    /* The loudest publisher (from the audio-level header extension, held
     * at least 1.5 s) changed; peer_id NULL when the room fell silent. */
    void (*on_active_speaker)(yj_media_room_t *room, const char *peer_id, void *ud);
} yj_media_room_callbacks_t;

/* Adds an observer (callbacks struct copied). Returns a watch id > 0, or
 * YJ_E*. Remove it with yj_media_room_unwatch before ud dies; after unwatch
 * returns no callback of that watch runs. [any thread] */
int yj_media_room_watch(yj_media_room_t *room, const yj_media_room_callbacks_t *cb, void *ud);
void yj_media_room_unwatch(yj_media_room_t *room, int watch_id);

typedef struct {
    char peer_id[64];  /* publisher */
    char track_id[80]; /* stable within the room: "<peer_id>-a0", "-v1", … */
    yj_media_kind_t kind;
    char codec[16]; /* "opus", "VP8", "H264" */
    int layers;     /* simulcast layers (1 when no simulcast) */
    bool muted;     /* by yj_media_peer_set_muted */
} yj_media_track_info_t;

/* Snapshot of the room's published tracks in publish order; *out is a
 * g_malloc'd array the caller g_free()s (NULL when *n is 0).
 * [any thread, non-blocking] */
int yj_media_room_tracks(yj_media_room_t *room, yj_media_track_info_t **out, size_t *n);
/* The current active speaker's peer id copied into buf ("" when none). */
void yj_media_room_active_speaker(yj_media_room_t *room, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Peers                                                               */
/* ------------------------------------------------------------------ */

enum {
    YJ_MEDIA_PUBLISH = 1 << 0,    /* accept the client's media */
    YJ_MEDIA_SUBSCRIBE = 1 << 1,  /* send the room's other publishers */
    YJ_MEDIA_AUDIO_ONLY = 1 << 2, /* subscribe to audio only (weak links) */
    YJ_MEDIA_STATIC = 1 << 3,     /* never re-offered (WHEP): fill the client's
                                     recvonly m-lines directly */
};

typedef enum {
    YJ_PEER_NEW,          /* created, no remote description yet */
    YJ_PEER_CONNECTING,   /* ICE checking or DTLS handshake */
    YJ_PEER_CONNECTED,    /* SRTP keys in place, media flows */
    YJ_PEER_DISCONNECTED, /* ICE lost consent; may recover or restart */
    YJ_PEER_FAILED,       /* ICE failed or DTLS failed; close it */
    YJ_PEER_CLOSED,
} yj_media_peer_state_t;

const char *yj_media_peer_state_name(yj_media_peer_state_t st);

typedef struct {
    /* A local ICE candidate ("candidate:…" without "a="), for the m-line
     * with the given mid (always the first BUNDLE mid) and mline index 0.
     * candidate NULL: gathering finished (send end-of-candidates). */
    void (*on_candidate)(yj_media_peer_t *p, const char *mid, const char *candidate, void *ud);
    void (*on_state)(yj_media_peer_t *p, yj_media_peer_state_t st, void *ud);
    /* The server wants to (re)offer: call yj_media_peer_offer from your
     * thread. Fires at most once until the next offer is made. */
    void (*on_negotiation_needed)(yj_media_peer_t *p, void *ud);
} yj_media_peer_callbacks_t;

/* Creates a peer in room (takes its own room reference) and pins it to a
 * worker. peer_id: unique within the room, 1–63 chars of [A-Za-z0-9._-]
 * (e.g. a WHIP session id or "m330101-3"); it appears in msid lines and in
 * active-speaker events. cb is copied; ud is borrowed until close.
 * Returns NULL if the id is taken or invalid, or the engine is stopping.
 * [any thread, non-blocking] */
yj_media_peer_t *yj_media_peer_new(yj_media_room_t *room, const char *peer_id, unsigned flags,
                                   const yj_media_peer_callbacks_t *cb, void *ud);
/* Ends the connection (sends RTCP BYE and a DTLS close_notify), removes
 * its tracks from the room (subscribers are updated) and drops the
 * caller's reference. See THREADS for the callback guarantee. NULL: no-op.
 * [blocking] */
void yj_media_peer_close(yj_media_peer_t *p);
/* Extra references, to share a handle between threads: a referenced peer
 * stays valid memory after yj_media_peer_close (calls on it then return
 * YJ_ESTATE); the last unref frees it. [any thread] */
yj_media_peer_t *yj_media_peer_ref(yj_media_peer_t *p);
void yj_media_peer_unref(yj_media_peer_t *p);
const char *yj_media_peer_id(const yj_media_peer_t *p);
yj_media_room_t *yj_media_peer_room(const yj_media_peer_t *p); /* borrowed */
yj_media_peer_state_t yj_media_peer_state(const yj_media_peer_t *p);

/* SDP options. */
enum {
    YJ_MEDIA_SDP_FULL = 1 << 0, /* wait for gathering; all candidates in SDP */
};

/* Applies the client's offer and writes the answer (g_malloc'd string the
 * caller g_free()s) into *answer. Starts ICE on first use. Rejects (YJ_EINVAL
 * + *err) offers without BUNDLE of every active m-line, rtcp-mux, ice
 * credentials, a sha-256 fingerprint, or with setup:passive; m-lines with no
 * supported codec are answered port 0 (rejected), not an error.
 * [blocking] */
int yj_media_peer_answer(yj_media_peer_t *p, const char *offer, unsigned opts, char **answer,
                         char **err);
/* Writes a server offer into *offer (g_free) — see OFFER/ANSWER. YJ_ESTATE
 * before the first client offer has been answered. [blocking] */
int yj_media_peer_offer(yj_media_peer_t *p, unsigned opts, char **offer, char **err);
/* Applies the client's answer to the pending server offer. YJ_ESTATE when
 * no offer is pending. [blocking] */
int yj_media_peer_set_answer(yj_media_peer_t *p, const char *answer, char **err);

/* A remote trickled candidate: "candidate:…" or "a=candidate:…". mid may
 * be NULL (BUNDLE: one transport). candidate NULL or "": end of remote
 * candidates. Malformed → YJ_EINVAL. Candidates arriving before the remote
 * description are queued. [any thread, non-blocking] */
int yj_media_peer_add_candidate(yj_media_peer_t *p, const char *mid, const char *candidate);

/* WHIP/WHEP PATCH (RFC 8840 application/trickle-ice-sdpfrag): applies the
 * fragment's candidates; if its ice-ufrag/ice-pwd differ from the current
 * remote ones, restarts ICE and writes the server's new credentials and
 * candidates as a fragment into *answer_frag (g_free); otherwise sets
 * *answer_frag NULL (→ 204). Wrong ufrag for a trickle → YJ_ESTATE.
 * [blocking] */
int yj_media_peer_patch(yj_media_peer_t *p, const char *sdpfrag, char **answer_frag, char **err);

/* Makes the next yj_media_peer_offer carry new ICE credentials and raises
 * on_negotiation_needed. [any thread, non-blocking] */
int yj_media_peer_restart_ice(yj_media_peer_t *p);

/* Host mute: stop (true) or resume forwarding this peer's published audio
 * or video to everyone. Subscribers keep their slots; room watchers get
 * on_tracks_changed. [any thread, non-blocking] */
int yj_media_peer_set_muted(yj_media_peer_t *p, yj_media_kind_t kind, bool muted);
/* Subscription: receive audio only (true), or audio and video. Video slots
 * stop being fed at once; a later false resumes them with a keyframe
 * request. [any thread, non-blocking] */
int yj_media_peer_set_audio_only(yj_media_peer_t *p, bool audio_only);
/* Subscription: the largest video height this peer displays for the
 * tracks of publisher_id (NULL: every publisher); picks the simulcast
 * layer that fits, within the measured bandwidth. 0: no limit.
 * [any thread, non-blocking] */
int yj_media_peer_set_video_height(yj_media_peer_t *p, const char *publisher_id, int height);

typedef struct {
    yj_media_peer_state_t state;
    char local_candidate[96]; /* selected pair, "udp 127.0.0.1:50000 host" */
    char remote_candidate[96];
    char srtp_profile[32];           /* "AEAD_AES_128_GCM" or "AES_CM_128_HMAC_SHA1_80" */
    uint64_t packets_in, bytes_in;   /* RTP received (publisher side) */
    uint64_t packets_out, bytes_out; /* RTP sent (forwarded + retransmitted) */
    uint64_t packets_lost_in;        /* gaps seen in received sequences */
    uint64_t nacks_in, nacks_out;    /* NACKed packets received / requested */
    uint64_t retransmits;            /* packets resent from the cache */
    uint64_t plis_in, plis_out;      /* PLI/FIR received / sent */
    uint64_t dropped;                /* malformed or undecryptable packets */
    double rtt_ms;                   /* from RTCP SR/RR (0: unknown) */
    double loss_out;                 /* fraction lost reported by the client */
    uint32_t remb_bps;               /* client's REMB estimate (0: none) */
    int tracks_published, slots_bound;
} yj_media_peer_stats_t;

/* Fills *out. [any thread, non-blocking] */
int yj_media_peer_get_stats(yj_media_peer_t *p, yj_media_peer_stats_t *out);

#endif
