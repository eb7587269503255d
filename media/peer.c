/* SPDX-License-Identifier: Apache-2.0 */
/*
 * peer.c — one PeerConnection at the top of the engine: its lifecycle, the
 * public peer calls (which hop onto the peer's worker), applying SDP to the
 * transport, controls and statistics, and the table of upward calls
 * (yj_m_up_t) through which the lower layers reach back: packets to the
 * publisher/subscriber, the ticks, speaker election, negotiation needed,
 * the final free. The transport lives in transport.c, SDP decisions in
 * negotiate.c, packet handling in publisher.c / subscriber.c / router.c.
 */
#include "peer.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/yj.h"

#include <string.h>

static bool valid_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
            return false;
    return true;
}

static const yj_m_up_t up;

static void peer_free(yj_media_peer_t *p)
{
    for (guint i = 0; p->xcvrs && i < p->xcvrs->len; i++)
        yj_m_negotiate_xcvr_free(p->xcvrs->pdata[i]);
    if (p->xcvrs)
        g_ptr_array_free(p->xcvrs, TRUE);
    if (p->slots) {
        for (guint i = 0; i < p->slots->len; i++)
            yj_m_router_slot_free(p->slots->pdata[i]);
        g_ptr_array_free(p->slots, TRUE);
    }
    if (p->tracks) {
        for (guint i = 0; i < p->tracks->len; i++)
            yj_m_track_unref(p->tracks->pdata[i]);
        g_ptr_array_free(p->tracks, TRUE);
    }
    if (p->early_cands)
        g_ptr_array_free(p->early_cands, TRUE);
    yj_srtp_free(p->srtp_in);
    yj_srtp_free(p->srtp_out);
    yj_dtls_free(p->dtls);
    g_mutex_clear(&p->out_lock);
    g_mutex_clear(&p->wait_lock);
    g_mutex_clear(&p->cb_mutex);
    g_cond_clear(&p->wait_cond);
    yj_media_room_unref(p->room);
    g_free(p);
}

yj_media_peer_t *yj_media_peer_ref(yj_media_peer_t *p)
{
    return yj_m_worker_ref(p);
}

void yj_media_peer_unref(yj_media_peer_t *p)
{
    yj_m_worker_unref(p);
}

const char *yj_media_peer_id(const yj_media_peer_t *p)
{
    return p->id;
}

yj_media_room_t *yj_media_peer_room(const yj_media_peer_t *p)
{
    return p->room;
}

yj_media_peer_state_t yj_media_peer_state(const yj_media_peer_t *p)
{
    return (yj_media_peer_state_t)g_atomic_int_get((const gint *)&p->state);
}

yj_media_peer_t *yj_media_peer_new(yj_media_room_t *room, const char *peer_id, unsigned flags,
                                   const yj_media_peer_callbacks_t *cb, void *ud)
{
    if (!room || !valid_id(peer_id))
        return NULL;
    yj_media_t *m = room->m;
    g_mutex_lock(&m->lock);
    bool ok = m->running && !m->stopping;
    g_mutex_unlock(&m->lock);
    if (!ok)
        return NULL;
    yj_media_peer_t *p = g_new0(yj_media_peer_t, 1);
    p->ref = 1;
    p->up = &up;
    p->m = m;
    p->room = yj_media_room_ref(room);
    g_strlcpy(p->id, peer_id, sizeof p->id);
    p->flags = flags;
    if (cb)
        p->cb = *cb;
    p->ud = ud;
    p->audio_only = flags & YJ_MEDIA_AUDIO_ONLY;
    p->xcvrs = g_ptr_array_new();
    p->slots = g_ptr_array_new();
    p->tracks = g_ptr_array_new();
    p->early_cands = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&p->out_lock);
    g_mutex_init(&p->wait_lock);
    g_mutex_init(&p->cb_mutex);
    g_cond_init(&p->wait_cond);
    yj_random_bytes(&p->rtcp_ssrc, sizeof p->rtcp_ssrc);
    yj_random_bytes(&p->sess_id, sizeof p->sess_id);
    p->sess_id &= 0x3fffffffffffffffULL;
    if (yj_m_sfu_room_add_peer(room, p) != 0) {
        yj_media_room_unref(p->room);
        p->room = NULL;
        g_ptr_array_free(p->xcvrs, TRUE);
        p->xcvrs = NULL;
        g_ptr_array_free(p->slots, TRUE);
        p->slots = NULL;
        g_ptr_array_free(p->tracks, TRUE);
        p->tracks = NULL;
        g_ptr_array_free(p->early_cands, TRUE);
        p->early_cands = NULL;
        g_mutex_clear(&p->out_lock);
        g_mutex_clear(&p->wait_lock);
        g_mutex_clear(&p->cb_mutex);
        g_cond_clear(&p->wait_cond);
        g_free(p);
        return NULL;
    }
    p->w = yj_m_worker_pick(m);
    p->tick_slot = -1;
    g_mutex_lock(&m->lock);
    g_ptr_array_add(m->peers, yj_m_worker_ref(p));
    g_mutex_unlock(&m->lock);
    yj_counter_add(yj_m_peers, 1);
    return p;
}

/* ------------------------------------------------------------------ */
/* upward calls of the lower layers (yj_m_up_t)                        */
/* ------------------------------------------------------------------ */

static void up_rtcp_tick(yj_media_peer_t *p, int64_t now)
{
    if (g_atomic_int_get(&p->closed))
        return;
    yj_m_transport_rtcp_tick(p, now);
    if (p->srtp_out) {
        yj_m_publisher_rtcp_tick(p, now);
        yj_m_subscriber_rtcp_tick(p, now);
    }
}

static void up_nack_tick(yj_media_peer_t *p, int64_t now)
{
    if (!g_atomic_int_get(&p->closed) && p->srtp_out)
        yj_m_publisher_nack_tick(p, now);
}

static void up_rtcp(yj_media_peer_t *p, const yj_rtcp_item_t *it, int64_t now)
{
    if (it->kind == YJ_RTCPI_SR)
        yj_m_publisher_on_sr(p, it, now);
    else
        yj_m_subscriber_on_rtcp_item(p, it, now);
}

static void up_connected(yj_media_peer_t *p)
{
    /* Subscribed video starts on a keyframe. */
    g_mutex_lock(&p->room->lock);
    for (guint i = 0; i < p->slots->len; i++) {
        yj_slot_t *s = p->slots->pdata[i];
        if (s->track && s->kind == YJ_MEDIA_VIDEO)
            yj_m_track_request_keyframe(s->track, true);
    }
    g_mutex_unlock(&p->room->lock);
}

static const yj_m_up_t up = {
    .on_rtp = yj_m_publisher_on_rtp,
    .on_rtcp = up_rtcp,
    .on_connected = up_connected,
    .rtcp_tick = up_rtcp_tick,
    .nack_tick = up_nack_tick,
    .speaker = yj_m_sfu_room_eval_speaker,
    .need_negotiation = yj_m_peer_need_negotiation,
    .free = peer_free,
};

/* ------------------------------------------------------------------ */
/* public calls                                                        */
/* ------------------------------------------------------------------ */

typedef struct {
    const yj_sdp_t *in;
    const char *frag;
    unsigned opts;
    yj_sdp_t *out;
    char *text;
    char *err;
    bool restarted;
} sdp_call_t;

/* Hands a failed call's message to the caller (*err, g_free) or drops it;
 * returns rc so a caller can `return call_failed(...)`. */
static int call_failed(sdp_call_t *c, int rc, char **err)
{
    if (err)
        *err = c->err ? c->err : g_strdup(yj_strerror(rc));
    else
        g_free(c->err);
    c->err = NULL;
    return rc;
}

static void apply_remote_transport(yj_media_peer_t *p, const yj_sdp_t *sdp)
{
    for (int i = 0; i < sdp->n_m; i++) {
        if (sdp->m[i].rejected)
            continue;
        for (int c = 0; c < sdp->n_cands; c++)
            yj_ice_add_remote_candidate(p->ice, sdp->cands[c]);
        if (sdp->end_of_candidates)
            yj_ice_remote_gathering_done(p->ice);
        break; /* BUNDLE: the first m-line's transport */
    }
}

/* Sets remote ICE credentials; restarts ICE when they changed. A restart
 * gives new local credentials but keeps the local candidates (libnice does,
 * and RFC 8445 §9 allows it), so gathering is not repeated: the answer
 * carries the same candidates and end-of-candidates at once. DTLS and SRTP
 * are untouched (same transport, JSEP §5.2.1). */
static int set_remote_ice(yj_media_peer_t *p, const char *ufrag, const char *pwd, bool *restarted)
{
    bool changed = p->remote_ufrag[0] && strcmp(p->remote_ufrag, ufrag) != 0;
    if (changed) {
        yj_info("media", "peer %s/%s: ICE restart by the client", p->room->id, p->id);
        yj_counter_add(yj_m_ice_restarts_client, 1);
        yj_ice_restart(p->ice);
        if (restarted)
            *restarted = true;
    }
    g_strlcpy(p->remote_ufrag, ufrag, sizeof p->remote_ufrag);
    g_strlcpy(p->remote_pwd, pwd, sizeof p->remote_pwd);
    if (yj_ice_set_remote_credentials(p->ice, ufrag, pwd))
        return YJ_EINVAL;
    return 0;
}

static void fill_transport(yj_media_peer_t *p, yj_sdp_t *s)
{
    g_strlcpy(s->ufrag, yj_ice_ufrag(p->ice), sizeof s->ufrag);
    g_strlcpy(s->pwd, yj_ice_pwd(p->ice), sizeof s->pwd);
    g_strlcpy(s->fingerprint, yj_media_fingerprint(p->m), sizeof s->fingerprint);
    s->trickle = true;
    for (int i = 0; i < s->n_m; i++) {
        if (s->m[i].rejected)
            continue;
        s->n_cands = yj_ice_local_candidates(p->ice, s->cands, YJ_SDP_MAX_CANDS);
        s->end_of_candidates = yj_ice_gathering_done(p->ice);
        break;
    }
}

static int do_answer(yj_media_peer_t *p, void *arg)
{
    sdp_call_t *c = arg;
    if (g_atomic_int_get(&p->closed))
        return YJ_ESTATE;
    int rc = yj_m_negotiate_answer(p, c->in, &c->out, &c->err);
    if (rc)
        return rc;
    bool first = !p->ice;
    if (first) {
        g_strlcpy(p->remote_fp, yj_sdp_fingerprint(c->in), sizeof p->remote_fp);
        yj_m_transport_start_ice(p);
        if (!p->ice) {
            c->err = g_strdup("cannot create the ICE agent");
            return YJ_EIO;
        }
    }
    rc = set_remote_ice(p, yj_sdp_ufrag(c->in), yj_sdp_pwd(c->in), NULL);
    if (rc) {
        c->err = g_strdup("bad ICE credentials");
        return rc;
    }
    for (guint i = 0; i < p->early_cands->len; i++)
        yj_ice_add_remote_candidate(p->ice, p->early_cands->pdata[i]);
    g_ptr_array_set_size(p->early_cands, 0);
    apply_remote_transport(p, c->in);
    yj_ice_gather(p->ice);
    if (p->state == YJ_PEER_NEW)
        yj_m_transport_set_state(p, YJ_PEER_CONNECTING);
    return 0;
}

static int do_finish(yj_media_peer_t *p, void *arg)
{
    sdp_call_t *c = arg;
    if (g_atomic_int_get(&p->closed) || !p->ice)
        return YJ_ESTATE;
    fill_transport(p, c->out);
    c->text = yj_sdp_write(c->out);
    return c->text ? 0 : YJ_EINVAL;
}

static void wait_gathered(yj_media_peer_t *p)
{
    if (g_main_context_is_owner(p->w->ctx))
        return;
    int64_t deadline = g_get_monotonic_time() + (int64_t)p->m->cfg.gather_timeout_ms * 1000;
    g_mutex_lock(&p->wait_lock);
    while (!p->gathered)
        if (!g_cond_wait_until(&p->wait_cond, &p->wait_lock, deadline))
            break;
    g_mutex_unlock(&p->wait_lock);
}

static int finish_sdp(yj_media_peer_t *p, sdp_call_t *c, char **out, char **err)
{
    if (c->opts & YJ_MEDIA_SDP_FULL)
        wait_gathered(p);
    int rc = yj_m_worker_call(p, do_finish, c);
    yj_sdp_free(c->out);
    if (rc) {
        if (err)
            *err = g_strdup("cannot write the SDP");
        return rc;
    }
    *out = c->text;
    return 0;
}

int yj_media_peer_answer(yj_media_peer_t *p, const char *offer, unsigned opts, char **answer,
                         char **err)
{
    if (err)
        *err = NULL;
    *answer = NULL;
    if (!p)
        return YJ_EINVAL;
    yj_sdp_t *in = yj_sdp_parse(offer, err);
    if (!in)
        return YJ_EINVAL;
    sdp_call_t c = {.in = in, .opts = opts};
    int rc = yj_m_worker_call(p, do_answer, &c);
    yj_sdp_free(in);
    if (rc) {
        yj_sdp_free(c.out);
        return call_failed(&c, rc, err);
    }
    return finish_sdp(p, &c, answer, err);
}

static int do_offer(yj_media_peer_t *p, void *arg)
{
    sdp_call_t *c = arg;
    if (g_atomic_int_get(&p->closed) || !p->ice)
        return YJ_ESTATE;
    if (p->restart_pending) {
        p->restart_pending = false;
        yj_info("media", "peer %s/%s: ICE restart by the server", p->room->id, p->id);
        yj_counter_add(yj_m_ice_restarts_server, 1);
        yj_ice_restart(p->ice); /* local candidates kept, see set_remote_ice */
        yj_ice_set_remote_credentials(p->ice, p->remote_ufrag, p->remote_pwd);
        p->remote_ufrag[0] = 0; /* the answer brings new ones */
    }
    return yj_m_negotiate_offer(p, &c->out, &c->err);
}

int yj_media_peer_offer(yj_media_peer_t *p, unsigned opts, char **offer, char **err)
{
    if (err)
        *err = NULL;
    *offer = NULL;
    if (!p)
        return YJ_EINVAL;
    sdp_call_t c = {.opts = opts};
    int rc = yj_m_worker_call(p, do_offer, &c);
    if (rc) {
        yj_sdp_free(c.out);
        return call_failed(&c, rc, err);
    }
    c.out->m[0].setup[0] = 0;
    g_strlcpy(c.out->setup, "actpass", sizeof c.out->setup);
    return finish_sdp(p, &c, offer, err);
}

static int do_set_answer(yj_media_peer_t *p, void *arg)
{
    sdp_call_t *c = arg;
    if (g_atomic_int_get(&p->closed) || !p->ice)
        return YJ_ESTATE;
    int rc = yj_m_negotiate_set_answer(p, c->in, &c->err);
    if (rc)
        return rc;
    rc = set_remote_ice(p, yj_sdp_ufrag(c->in), yj_sdp_pwd(c->in), NULL);
    if (rc)
        return rc;
    apply_remote_transport(p, c->in);
    return 0;
}

int yj_media_peer_set_answer(yj_media_peer_t *p, const char *answer, char **err)
{
    if (err)
        *err = NULL;
    if (!p)
        return YJ_EINVAL;
    yj_sdp_t *in = yj_sdp_parse(answer, err);
    if (!in)
        return YJ_EINVAL;
    sdp_call_t c = {.in = in};
    int rc = yj_m_worker_call(p, do_set_answer, &c);
    yj_sdp_free(in);
    if (rc)
        return call_failed(&c, rc, err);
    g_free(c.err);
    return 0;
}

typedef struct {
    char *cand; /* NULL: end of candidates */
} cand_arg_t;

static void do_add_candidate(yj_media_peer_t *p, void *arg)
{
    cand_arg_t *a = arg;
    if (!p->ice) {
        if (a->cand && p->early_cands->len < 64)
            g_ptr_array_add(p->early_cands, g_strdup(a->cand));
        return;
    }
    if (a->cand)
        yj_ice_add_remote_candidate(p->ice, a->cand);
    else
        yj_ice_remote_gathering_done(p->ice);
}

static void cand_arg_free(gpointer d)
{
    cand_arg_t *a = d;
    g_free(a->cand);
    g_free(a);
}

int yj_media_peer_add_candidate(yj_media_peer_t *p, const char *mid, const char *candidate)
{
    (void)mid;
    if (!p)
        return YJ_EINVAL;
    cand_arg_t *a = g_new0(cand_arg_t, 1);
    if (candidate && *candidate) {
        const char *c = g_str_has_prefix(candidate, "a=") ? candidate + 2 : candidate;
        char **f = g_strsplit(c, " ", 16);
        bool ok = g_str_has_prefix(c, "candidate:") && g_strv_length(f) >= 8 &&
                  strcmp(f[6], "typ") == 0 && strlen(c) < 512;
        g_strfreev(f);
        if (!ok) {
            g_free(a);
            return YJ_EINVAL;
        }
        a->cand = g_strdup(c);
    }
    yj_m_worker_post(p, do_add_candidate, a, cand_arg_free);
    return 0;
}

static int do_patch(yj_media_peer_t *p, void *arg)
{
    sdp_call_t *c = arg;
    if (g_atomic_int_get(&p->closed) || !p->ice)
        return YJ_ESTATE;
    char ufrag[64], pwd[160];
    char(*cands)[256] = g_malloc0(sizeof(char[256]) * YJ_SDP_MAX_CANDS);
    bool end = false;
    int n = yj_sdp_parse_frag(c->frag, ufrag, pwd, cands, YJ_SDP_MAX_CANDS, &end, &c->err);
    int rc = 0;
    if (n < 0) {
        rc = n;
        goto out;
    }
    if (ufrag[0] && strcmp(ufrag, p->remote_ufrag) != 0) {
        if (!pwd[0]) {
            c->err = g_strdup("an ICE restart needs ice-pwd");
            rc = YJ_EINVAL;
            goto out;
        }
        rc = set_remote_ice(p, ufrag, pwd, &c->restarted);
        if (rc)
            goto out;
    }
    for (int i = 0; i < n; i++)
        yj_ice_add_remote_candidate(p->ice, cands[i]);
    if (end)
        yj_ice_remote_gathering_done(p->ice);
out:
    g_free(cands);
    return rc;
}

typedef struct {
    char frag[8192];
} frag_out_t;

static int do_frag(yj_media_peer_t *p, void *arg)
{
    frag_out_t *f = arg;
    if (!p->ice)
        return YJ_ESTATE;
    GString *g = g_string_new(NULL);
    g_string_append_printf(g, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", yj_ice_ufrag(p->ice),
                           yj_ice_pwd(p->ice));
    const char *mid = "0";
    for (guint i = 0; i < p->xcvrs->len; i++) {
        yj_xcvr_t *x = p->xcvrs->pdata[i];
        if (!x->rejected) {
            mid = x->mid;
            break;
        }
    }
    g_string_append_printf(g, "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%s\r\n", mid);
    char(*cands)[256] = g_malloc0(sizeof(char[256]) * YJ_SDP_MAX_CANDS);
    int n = yj_ice_local_candidates(p->ice, cands, YJ_SDP_MAX_CANDS);
    for (int i = 0; i < n; i++)
        g_string_append_printf(g, "a=%s\r\n", cands[i]);
    if (yj_ice_gathering_done(p->ice))
        g_string_append(g, "a=end-of-candidates\r\n");
    g_free(cands);
    g_strlcpy(f->frag, g->str, sizeof f->frag);
    g_string_free(g, TRUE);
    return 0;
}

int yj_media_peer_patch(yj_media_peer_t *p, const char *sdpfrag, char **answer_frag, char **err)
{
    if (err)
        *err = NULL;
    *answer_frag = NULL;
    if (!p)
        return YJ_EINVAL;
    sdp_call_t c = {.frag = sdpfrag};
    int rc = yj_m_worker_call(p, do_patch, &c);
    if (rc)
        return call_failed(&c, rc, err);
    g_free(c.err);
    if (!c.restarted)
        return 0;
    wait_gathered(p);
    frag_out_t *f = g_new0(frag_out_t, 1);
    rc = yj_m_worker_call(p, do_frag, f);
    if (rc == 0)
        *answer_frag = g_strdup(f->frag);
    g_free(f);
    return rc;
}

static void do_restart(yj_media_peer_t *p, void *arg)
{
    (void)arg;
    p->restart_pending = true;
    p->nego_needed_sent = false;
    yj_m_peer_need_negotiation(p);
}

int yj_media_peer_restart_ice(yj_media_peer_t *p)
{
    if (!p)
        return YJ_EINVAL;
    yj_m_worker_post(p, do_restart, NULL, NULL);
    return 0;
}

static void fire_nego(yj_media_peer_t *p, void *arg)
{
    (void)arg;
    if (g_atomic_int_get(&p->closed) || !p->answered || p->offer_pending || p->nego_needed_sent)
        return;
    p->nego_needed_sent = true;
    if (p->cb.on_negotiation_needed)
        p->cb.on_negotiation_needed(p, p->ud);
}

void yj_m_peer_need_negotiation(yj_media_peer_t *p)
{
    /* Always posted: callers may hold the room lock, and the callback must
     * run without any lock. */
    yj_m_worker_post(p, fire_nego, NULL, NULL);
}

int yj_m_peer_close_now(yj_media_peer_t *p, void *unused)
{
    (void)unused;
    if (!g_atomic_int_compare_and_exchange(&p->closed, 0, 1))
        return 0;
    yj_m_transport_goodbye(p);
    yj_m_sfu_room_remove_peer(p->room, p);
    yj_m_transport_close(p);
    g_atomic_int_set((gint *)&p->state, YJ_PEER_CLOSED);
    g_mutex_lock(&p->wait_lock);
    p->gathered = true;
    g_cond_broadcast(&p->wait_cond);
    g_mutex_unlock(&p->wait_lock);
    g_atomic_int_add(&p->w->peers, -1);
    yj_counter_add(yj_m_peers, -1);
    yj_media_t *m = p->m;
    g_mutex_lock(&m->lock);
    bool had = g_ptr_array_remove(m->peers, p);
    g_mutex_unlock(&m->lock);
    yj_info("media", "peer %s/%s closed", p->room->id, p->id);
    if (had)
        yj_m_worker_unref(p);
    return 0;
}

void yj_media_peer_close(yj_media_peer_t *p)
{
    if (!p)
        return;
    if (yj_m_worker_call(p, yj_m_peer_close_now, NULL) == YJ_ESTATE)
        yj_m_peer_close_now(p, NULL); /* workers stopped: nothing runs */
    yj_m_worker_unref(p);
}

/* ------------------------------------------------------------------ */
/* controls and statistics                                             */
/* ------------------------------------------------------------------ */

int yj_media_peer_set_muted(yj_media_peer_t *p, yj_media_kind_t kind, bool muted)
{
    if (!p)
        return YJ_EINVAL;
    bool changed = false;
    g_mutex_lock(&p->room->lock);
    for (guint i = 0; i < p->tracks->len; i++) {
        yj_track_t *t = p->tracks->pdata[i];
        if (t->kind != kind)
            continue;
        g_mutex_lock(&t->lock);
        changed |= t->muted != muted;
        t->muted = muted;
        g_mutex_unlock(&t->lock);
        if (!muted && kind == YJ_MEDIA_VIDEO)
            yj_m_track_request_keyframe(t, true);
    }
    g_mutex_unlock(&p->room->lock);
    if (changed)
        yj_m_sfu_room_notify_tracks(p->room);
    return 0;
}

int yj_media_peer_set_audio_only(yj_media_peer_t *p, bool audio_only)
{
    if (!p)
        return YJ_EINVAL;
    g_mutex_lock(&p->room->lock);
    p->audio_only = audio_only;
    g_mutex_unlock(&p->room->lock);
    yj_m_sfu_room_rebind(p->room);
    return 0;
}

int yj_media_peer_set_video_height(yj_media_peer_t *p, const char *publisher_id, int height)
{
    if (!p || height < 0)
        return YJ_EINVAL;
    g_mutex_lock(&p->room->lock);
    for (guint i = 0; i < p->slots->len; i++) {
        yj_slot_t *s = p->slots->pdata[i];
        if (s->kind != YJ_MEDIA_VIDEO)
            continue;
        bool match = !publisher_id;
        if (!match && s->track) {
            g_mutex_lock(&s->track->lock);
            match = s->track->pub && strcmp(s->track->pub->id, publisher_id) == 0;
            g_mutex_unlock(&s->track->lock);
        }
        if (match) {
            g_mutex_lock(&p->out_lock);
            s->max_height = height;
            g_mutex_unlock(&p->out_lock);
        }
    }
    g_mutex_unlock(&p->room->lock);
    return 0;
}

int yj_media_peer_get_stats(yj_media_peer_t *p, yj_media_peer_stats_t *out)
{
    if (!p || !out)
        return YJ_EINVAL;
    memset(out, 0, sizeof *out);
    out->state = yj_media_peer_state(p);
    g_mutex_lock(&p->out_lock);
    if (p->ice)
        yj_ice_selected(p->ice, out->local_candidate, sizeof out->local_candidate,
                        out->remote_candidate, sizeof out->remote_candidate);
    g_strlcpy(out->srtp_profile, p->srtp_out ? yj_srtp_profile_name(p->srtp_profile) : "",
              sizeof out->srtp_profile);
    out->rtt_ms = p->rtt_ms;
    out->loss_out = p->loss_out;
    out->remb_bps = p->remb_bps;
    g_mutex_unlock(&p->out_lock);
#define LD(x) ((uint64_t)__atomic_load_n(&p->x, __ATOMIC_RELAXED))
    out->packets_in = LD(st_packets_in);
    out->bytes_in = LD(st_bytes_in);
    out->packets_out = LD(st_packets_out);
    out->bytes_out = LD(st_bytes_out);
    out->packets_lost_in = LD(st_lost_in);
    out->nacks_in = LD(st_nacks_in);
    out->nacks_out = LD(st_nacks_out);
    out->retransmits = LD(st_retransmits);
    out->plis_in = LD(st_plis_in);
    out->plis_out = LD(st_plis_out);
    out->dropped = LD(st_dropped);
#undef LD
    g_mutex_lock(&p->room->lock);
    out->tracks_published = (int)p->tracks->len;
    for (guint i = 0; i < p->slots->len; i++)
        out->slots_bound += ((yj_slot_t *)p->slots->pdata[i])->track != NULL;
    g_mutex_unlock(&p->room->lock);
    return 0;
}
