/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport.c — a peer's transport: the ICE agent (ice.c), DTLS (dtls.c)
 * and the SRTP contexts it keys, the RFC 7983 demultiplexer for received
 * datagrams, protected sending, the peer's state and drop counts. What a
 * decrypted packet means is the upper layers' business: RTP and RTCP go
 * up through p->up (publisher, subscriber), as does "connected".
 * Runs on the peer's worker; sending takes the peer's out_lock. Must never
 * call a layer above it directly.
 *
 * Established peers come first. A newcomer's DTLS records (the handshake
 * signs with ECDSA, the costliest thing a worker does for a peer) wait in
 * a queue served by a source of idle priority, so the packets of connected
 * peers and the tick (higher priority) always run before them; the worker
 * counts its peers whose handshake is under way, which admission bounds
 * (engine.c). Consent (RFC 7675) is judged on what arrived: libnice's
 * keepalive checks time out when the worker is too busy to read their
 * answers in time, so its "failed" only makes a connected peer suspect;
 * the peer fails when nothing authenticated (SRTP/SRTCP) came from it for
 * YJ_CONSENT_US.
 */
#include "transport.h"
#include "core/log.h"
#include "core/yj.h"

#include <string.h>

#define YJ_CONSENT_US (30 * G_USEC_PER_SEC)   /* RFC 7675: consent expires after 30 s */
#define YJ_QUIET_US (5 * G_USEC_PER_SEC)      /* suspect and silent: disconnected */
#define YJ_HANDSHAKE_US (10 * G_USEC_PER_SEC) /* a handshake counts against admission this long */
#define YJ_DTLS_QUEUE 32                      /* DTLS records waiting per peer */

const char *yj_media_peer_state_name(yj_media_peer_state_t st)
{
    static const char *names[] = {"new",          "connecting", "connected",
                                  "disconnected", "failed",     "closed"};
    return st <= YJ_PEER_CLOSED ? names[st] : "?";
}

void yj_m_transport_count_drop(yj_media_peer_t *p, yj_drop_t why)
{
    YJ_STAT_ADD(p, st_dropped, 1);
    yj_m_worker_drop(why);
}

static void handshake_end(yj_media_peer_t *p)
{
    if (!p->handshaking)
        return;
    p->handshaking = false;
    g_atomic_int_dec_and_test(&p->w->handshakes);
}

void yj_m_transport_set_state(yj_media_peer_t *p, yj_media_peer_state_t st)
{
    if (st == YJ_PEER_CONNECTED || st == YJ_PEER_FAILED || st == YJ_PEER_CLOSED)
        handshake_end(p);
    if (p->state == st || p->state == YJ_PEER_CLOSED)
        return;
    g_atomic_int_set((gint *)&p->state, st);
    yj_debug("media", "peer %s/%s: %s", p->room->id, p->id, yj_media_peer_state_name(st));
    if (!g_atomic_int_get(&p->closed) && p->cb.on_state)
        p->cb.on_state(p, st, p->ud);
}

static void destroy_timer(GSource **s)
{
    if (*s) {
        g_source_destroy(*s);
        g_source_unref(*s);
        *s = NULL;
    }
}

/* ------------------------------------------------------------------ */
/* sending                                                             */
/* ------------------------------------------------------------------ */

static int send_protected(yj_media_peer_t *p, uint8_t *buf, int len, bool rtcp)
{
    if (!p->srtp_out || !p->ice)
        return YJ_ESTATE;
    int rc = rtcp ? yj_srtp_protect_rtcp(p->srtp_out, buf, &len)
                  : yj_srtp_protect(p->srtp_out, buf, &len);
    return rc ? YJ_ECRYPTO : yj_ice_send(p->ice, buf, (size_t)len);
}

int yj_m_transport_send_rtp_locked(yj_media_peer_t *p, uint8_t *buf, int len)
{
    return send_protected(p, buf, len, false);
}

int yj_m_transport_send_rtcp_locked(yj_media_peer_t *p, uint8_t *buf, int len)
{
    return send_protected(p, buf, len, true);
}

int yj_m_transport_send_rtcp(yj_media_peer_t *p, uint8_t *buf, int len)
{
    g_mutex_lock(&p->out_lock);
    int rc = yj_m_transport_send_rtcp_locked(p, buf, len);
    g_mutex_unlock(&p->out_lock);
    return rc;
}

static void dtls_send(const uint8_t *data, size_t len, void *ud)
{
    yj_media_peer_t *p = ud;
    g_mutex_lock(&p->out_lock);
    if (p->ice)
        yj_ice_send(p->ice, data, len);
    g_mutex_unlock(&p->out_lock);
}

/* ------------------------------------------------------------------ */
/* receiving                                                           */
/* ------------------------------------------------------------------ */

static void arm_dtls_timer(yj_media_peer_t *p);

static void on_dtls_connected(yj_media_peer_t *p)
{
    int profile;
    uint8_t lk[32], rk[32];
    size_t klen;
    if (yj_dtls_srtp_keys(p->dtls, &profile, lk, rk, &klen)) {
        yj_warn("media", "peer %s: cannot export SRTP keys", p->id);
        yj_m_transport_set_state(p, YJ_PEER_FAILED);
        return;
    }
    yj_srtp_t *in = yj_srtp_new(profile, rk, klen, true);
    yj_srtp_t *out = yj_srtp_new(profile, lk, klen, false);
    memset(lk, 0, sizeof lk);
    memset(rk, 0, sizeof rk);
    if (!in || !out) {
        yj_srtp_free(in);
        yj_srtp_free(out);
        yj_m_transport_set_state(p, YJ_PEER_FAILED);
        return;
    }
    yj_srtp_free(p->srtp_in);
    p->srtp_in = in;
    g_mutex_lock(&p->out_lock);
    yj_srtp_free(p->srtp_out);
    p->srtp_out = out;
    p->srtp_profile = profile;
    g_mutex_unlock(&p->out_lock);
    p->connected_us = yj_m_now_us();
    char lc[96], rc[96];
    yj_ice_selected(p->ice, lc, sizeof lc, rc, sizeof rc);
    yj_info("media", "peer %s/%s connected (%s) over %s <-> %s", p->room->id, p->id,
            yj_srtp_profile_name(profile), lc, rc);
    yj_m_transport_set_state(p, YJ_PEER_CONNECTED);
    p->up->on_connected(p);
}

static void handle_dtls_status(yj_media_peer_t *p, yj_dtls_status_t st)
{
    if (st == YJ_DTLS_CONNECTED)
        on_dtls_connected(p);
    else if (st == YJ_DTLS_FAILED) {
        yj_warn("media", "peer %s/%s: DTLS failed: %s", p->room->id, p->id, yj_dtls_error(p->dtls));
        yj_m_worker_drop(YJ_DROP_DTLS);
        yj_m_transport_set_state(p, YJ_PEER_FAILED);
    } else if (st == YJ_DTLS_CLOSED) {
        yj_info("media", "peer %s/%s: DTLS closed by the client", p->room->id, p->id);
        yj_m_transport_set_state(p, YJ_PEER_DISCONNECTED);
    }
    arm_dtls_timer(p);
}

static gboolean dtls_timeout(gpointer data)
{
    yj_media_peer_t *p = data;
    g_source_unref(p->dtls_timer); /* the context keeps it alive during dispatch */
    p->dtls_timer = NULL;
    if (!g_atomic_int_get(&p->closed) && p->dtls)
        handle_dtls_status(p, yj_dtls_tick(p->dtls));
    return G_SOURCE_REMOVE;
}

static void arm_dtls_timer(yj_media_peer_t *p)
{
    if (p->dtls_timer) {
        g_source_destroy(p->dtls_timer);
        g_source_unref(p->dtls_timer);
        p->dtls_timer = NULL;
    }
    if (!p->dtls)
        return;
    int64_t us = yj_dtls_timeout_us(p->dtls);
    if (us < 0)
        return;
    GSource *s = g_timeout_source_new((guint)(us / 1000 + 1));
    /* handshake work: after every connected peer's packets */
    g_source_set_priority(s, G_PRIORITY_DEFAULT_IDLE);
    g_source_set_callback(s, dtls_timeout, p, NULL);
    g_source_attach(s, p->w->ctx);
    p->dtls_timer = s; /* our ref: dropped when it fires or is destroyed */
}

/* Once the client protects media with the keys it has completed the
 * handshake, so the DTLS state (about 50 KiB per peer) can go; a node
 * holds thousands of subscribers. Later DTLS records (a close_notify, a
 * retransmission) are ignored. */
static void drop_dtls(yj_media_peer_t *p)
{
    if (!p->dtls || !p->srtp_in)
        return;
    destroy_timer(&p->dtls_timer);
    yj_dtls_free(p->dtls);
    p->dtls = NULL;
    p->dtls_done = true;
}

typedef struct {
    yj_media_peer_t *p;
    int64_t now;
} rtcp_ctx_t;

static void rtcp_visit(const yj_rtcp_item_t *it, void *ud)
{
    rtcp_ctx_t *c = ud;
    c->p->up->on_rtcp(c->p, it, c->now);
}

/* Decrypts an inbound SRTP or SRTCP packet in place; its plain length, or
 * -1 when it was dropped (and counted). The first packet that decrypts
 * proves the client has the keys, so the DTLS state can go. */
static int unprotect_in(yj_media_peer_t *p, uint8_t *buf, size_t len, bool rtcp)
{
    int n = (int)len;
    if (!p->srtp_in || (!rtcp && len > YJ_RTP_MAX + 64) ||
        (rtcp ? yj_srtp_unprotect_rtcp(p->srtp_in, buf, &n)
              : yj_srtp_unprotect(p->srtp_in, buf, &n))) {
        yj_m_transport_count_drop(p, YJ_DROP_SRTP);
        return -1;
    }
    p->last_auth_rx_us = yj_m_now_us();
    if (p->dtls)
        drop_dtls(p);
    return n;
}

/* The deferred DTLS records of a handshake (idle priority, see the top). */
static gboolean dtls_deferred(gpointer data)
{
    yj_media_peer_t *p = data;
    g_source_unref(p->dtls_src); /* the context keeps it alive during dispatch */
    p->dtls_src = NULL;
    GBytes *b;
    while ((b = g_queue_pop_head(&p->dtls_in))) {
        gsize n;
        const uint8_t *d = g_bytes_get_data(b, &n);
        if (!g_atomic_int_get(&p->closed) && p->dtls)
            handle_dtls_status(p, yj_dtls_feed(p->dtls, d, n));
        g_bytes_unref(b);
    }
    return G_SOURCE_REMOVE;
}

static void defer_dtls(yj_media_peer_t *p, const uint8_t *buf, size_t len)
{
    if (p->dtls_in.length >= YJ_DTLS_QUEUE) {
        yj_m_transport_count_drop(p, YJ_DROP_DTLS); /* the client retransmits */
        return;
    }
    g_queue_push_tail(&p->dtls_in, g_bytes_new(buf, len));
    if (p->dtls_src)
        return;
    GSource *s = g_idle_source_new();
    g_source_set_priority(s, G_PRIORITY_DEFAULT_IDLE);
    g_source_set_callback(s, dtls_deferred, yj_m_worker_ref(p), (GDestroyNotify)yj_m_worker_unref);
    g_source_attach(s, p->w->ctx);
    p->dtls_src = s; /* our ref: dropped when it runs or at close */
}

static void clear_deferred(yj_media_peer_t *p)
{
    destroy_timer(&p->dtls_src);
    GBytes *b;
    while ((b = g_queue_pop_head(&p->dtls_in)))
        g_bytes_unref(b);
}

static void on_ice_recv(uint8_t *buf, size_t len, void *ud)
{
    yj_media_peer_t *p = ud;
    if (g_atomic_int_get(&p->closed))
        return;
    switch (yj_pkt_classify(buf, len)) {
    case YJ_PKT_DTLS:
        if (!p->dtls) {
            if (!p->dtls_done)
                yj_m_transport_count_drop(p, YJ_DROP_DTLS);
            return;
        }
        if (!p->srtp_in) /* a handshake: after established peers' work */
            defer_dtls(p, buf, len);
        else
            handle_dtls_status(p, yj_dtls_feed(p->dtls, buf, len));
        return;
    case YJ_PKT_RTP: {
        int n = unprotect_in(p, buf, len, false);
        if (n < 0)
            return;
        yj_rtp_t pkt;
        int why = yj_rtp_parse(buf, (size_t)n, &pkt);
        if (why) {
            yj_m_transport_count_drop(p, (yj_drop_t)why);
            return;
        }
        p->up->on_rtp(p, buf, (size_t)n, &pkt);
        return;
    }
    case YJ_PKT_RTCP: {
        int n = unprotect_in(p, buf, len, true);
        if (n < 0)
            return;
        rtcp_ctx_t c = {.p = p, .now = yj_m_now_us()};
        if (yj_rtcp_parse(buf, (size_t)n, rtcp_visit, &c) < 0)
            yj_m_transport_count_drop(p, YJ_DROP_RTCP);
        return;
    }
    case YJ_PKT_STUN: /* libnice consumes STUN; a stray one is noise */
    default:
        yj_m_transport_count_drop(p, YJ_DROP_DEMUX);
        return;
    }
}

static void on_ice_candidate(const char *cand, void *ud)
{
    yj_media_peer_t *p = ud;
    if (!cand) {
        g_mutex_lock(&p->wait_lock);
        p->gathered = true;
        g_cond_broadcast(&p->wait_cond);
        g_mutex_unlock(&p->wait_lock);
    }
    if (g_atomic_int_get(&p->closed) || !p->cb.on_candidate)
        return;
    const char *mid = "0";
    for (guint i = 0; i < p->xcvrs->len; i++) {
        yj_xcvr_t *x = p->xcvrs->pdata[i];
        if (!x->rejected) {
            mid = x->mid;
            break;
        }
    }
    p->cb.on_candidate(p, mid, cand, p->ud);
}

static void on_ice_state(yj_ice_state_t st, void *ud)
{
    yj_media_peer_t *p = ud;
    switch (st) {
    case YJ_ICE_CHECKING:
        if (p->state == YJ_PEER_NEW)
            yj_m_transport_set_state(p, YJ_PEER_CONNECTING);
        break;
    case YJ_ICE_CONNECTED:
        p->suspect_since_us = 0;
        if (p->srtp_in)
            yj_m_transport_set_state(p, YJ_PEER_CONNECTED);
        else
            yj_m_transport_set_state(p, YJ_PEER_CONNECTING);
        break;
    case YJ_ICE_DISCONNECTED:
    case YJ_ICE_FAILED: {
        /* libnice's keepalive check got no answer in time. On a worker too
         * busy to read the answers that is not the client's fault: while
         * authenticated packets keep arriving the peer keeps its consent
         * (judged in yj_m_transport_rtcp_tick). */
        int64_t now = yj_m_now_us();
        if (p->srtp_in && p->state == YJ_PEER_CONNECTED && p->last_auth_rx_us > 0 &&
            now - p->last_auth_rx_us < YJ_QUIET_US) {
            if (!p->suspect_since_us)
                yj_info("media",
                        "peer %s/%s: ICE keepalive unanswered, but its packets arrived %d ms "
                        "ago: kept (consent is judged on what it sends)",
                        p->room->id, p->id, (int)((now - p->last_auth_rx_us) / 1000));
            p->suspect_since_us = now;
            break;
        }
        if (st == YJ_ICE_FAILED && p->srtp_in)
            yj_info("media", "peer %s/%s: consent lost: ICE failed and nothing from it for %d s",
                    p->room->id, p->id,
                    p->last_auth_rx_us ? (int)((now - p->last_auth_rx_us) / G_USEC_PER_SEC) : -1);
        yj_m_transport_set_state(p, st == YJ_ICE_FAILED ? YJ_PEER_FAILED : YJ_PEER_DISCONNECTED);
        break;
    }
    default:
        break;
    }
}

void yj_m_transport_start_ice(yj_media_peer_t *p)
{
    if (p->ice)
        return;
    yj_ice_callbacks_t cb = {
        .on_candidate = on_ice_candidate, .on_state = on_ice_state, .on_recv = on_ice_recv};
    yj_ice_t *ice = yj_ice_new(p->w->ctx, &p->m->ice, false, &cb, p);
    g_mutex_lock(&p->out_lock);
    p->ice = ice;
    g_mutex_unlock(&p->out_lock);
    p->dtls = yj_dtls_new(p->m->cert, false, p->remote_fp, dtls_send, p);
    p->handshaking = true;
    p->hs_start_us = yj_m_now_us();
    g_atomic_int_inc(&p->w->handshakes);
    yj_m_tick_add_rtcp(p);
}

void yj_m_transport_enable_nack(yj_media_peer_t *p)
{
    /* Only peers publishing video need the 20 ms loss-recovery tick; a
     * node with thousands of subscribers must not wake for each. */
    if (!g_atomic_int_get(&p->closed))
        yj_m_tick_add_nack(p);
}

/* The RTCP pass's transport part: a client that never sends media or
 * RTCP gets 10 s for its DTLS to retransmit, then the state goes. */
void yj_m_transport_rtcp_tick(yj_media_peer_t *p, int64_t now)
{
    if (p->dtls && p->srtp_in && now - p->connected_us > 10000000)
        drop_dtls(p);
    /* A client that never finishes its handshake stops counting against
     * admission (its ICE or DTLS fails by itself later). */
    if (p->handshaking && now - p->hs_start_us > YJ_HANDSHAKE_US)
        handshake_end(p);
    /* Consent of a peer libnice gave up on, judged on what it sent. */
    if (p->suspect_since_us && p->state != YJ_PEER_FAILED) {
        int64_t quiet = now - p->last_auth_rx_us;
        if (quiet >= YJ_CONSENT_US) {
            yj_info("media", "peer %s/%s: consent lost: nothing authenticated from it for %d s",
                    p->room->id, p->id, (int)(quiet / G_USEC_PER_SEC));
            yj_m_transport_set_state(p, YJ_PEER_FAILED);
        } else if (quiet >= YJ_QUIET_US) {
            yj_m_transport_set_state(p, YJ_PEER_DISCONNECTED);
        } else if (p->state == YJ_PEER_DISCONNECTED) {
            yj_m_transport_set_state(p, YJ_PEER_CONNECTED);
        }
    }
}

void yj_m_transport_goodbye(yj_media_peer_t *p)
{
    /* Best-effort goodbye: RTCP BYE for our streams, DTLS close_notify. */
    uint8_t buf[64 + YJ_SRTP_OVERHEAD];
    int n = yj_rtcp_write_bye(buf, 64, p->rtcp_ssrc);
    if (n > 0)
        yj_m_transport_send_rtcp(p, buf, n);
    if (p->dtls)
        yj_dtls_close(p->dtls);
}

void yj_m_transport_close(yj_media_peer_t *p)
{
    yj_m_tick_remove(p);
    destroy_timer(&p->dtls_timer);
    clear_deferred(p);
    handshake_end(p);
    g_mutex_lock(&p->out_lock);
    yj_ice_t *ice = p->ice;
    p->ice = NULL;
    yj_srtp_free(p->srtp_out);
    p->srtp_out = NULL;
    g_mutex_unlock(&p->out_lock);
    yj_ice_free(ice);
}
