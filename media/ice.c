/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ice.c — see ice.h. A thin adapter from libnice's GObject signals to the
 * peer's callbacks. The agent, its signals and its receive callback all
 * run on the worker context given at creation; only yj_ice_send and
 * yj_ice_selected are called from other threads, and libnice serialises
 * those with its agent lock.
 *
 * Fast path: once a non-relayed pair is selected, sends go straight to a
 * dup() of the selected socket with sendto(), skipping libnice's send
 * machinery (the forwarding loop sends each packet once per subscriber).
 * The dup keeps the socket alive even if libnice closes its descriptor; it
 * is dropped when ICE restarts, selects another pair or is freed (not
 * when a keepalive goes unanswered: see on_state). Relayed (TURN) pairs always use libnice.
 */
#include "ice.h"
#include "core/log.h"
#include "core/yj.h"

#include <nice/agent.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct yj_ice {
    NiceAgent *agent;
    guint stream;
    GMainContext *ctx;
    yj_ice_callbacks_t cb;
    void *ud;
    yj_ice_state_t state;
    bool gathering_done;
    bool gathering;
    char ufrag[64], pwd[160];
    char remote_ufrag[64];
    gulong sig[4];
    GMutex fast_lock;
    int fast_fd; /* dup of the selected socket, -1: use libnice */
    struct sockaddr_storage fast_sa;
    socklen_t fast_salen;
    char turn[80]; /* "ip:port" of the TURN server, "" when none */
};

/* After gathering: a configured TURN server that gave no relayed candidate
 * is unreachable or refused the credentials (libnice says nothing). At
 * most one warning a minute for the whole process. */
static gint64 last_warn;
G_LOCK_DEFINE_STATIC(last_warn);

static void check_relay(yj_ice_t *ice)
{
    if (!ice->turn[0])
        return;
    GSList *list = nice_agent_get_local_candidates(ice->agent, ice->stream, 1);
    bool relay = false;
    for (GSList *l = list; l; l = l->next) {
        NiceCandidate *c = l->data;
        relay = relay || c->type == NICE_CANDIDATE_TYPE_RELAYED;
        nice_candidate_free(c);
    }
    g_slist_free(list);
    if (relay)
        return;
    gint64 now = g_get_monotonic_time();
    G_LOCK(last_warn);
    bool warn = last_warn == 0 || now - last_warn > 60 * G_USEC_PER_SEC;
    if (warn)
        last_warn = now;
    G_UNLOCK(last_warn);
    if (warn)
        yj_warn("media",
                "TURN server %s gave no relayed candidate: unreachable, or it refused "
                "turn_user/turn_password",
                ice->turn);
}

/* Re-reads the selected pair for the fast path (worker). */
static void refresh_fast(yj_ice_t *ice)
{
    int fd = -1;
    struct sockaddr_storage sa;
    socklen_t salen = 0;
    memset(&sa, 0, sizeof sa);
    if (ice->state == YJ_ICE_CONNECTED) {
        NiceCandidate *l = NULL, *r = NULL;
        GSocket *gs = nice_agent_get_selected_socket(ice->agent, ice->stream, 1);
        if (gs && nice_agent_get_selected_pair(ice->agent, ice->stream, 1, &l, &r) &&
            l->type != NICE_CANDIDATE_TYPE_RELAYED &&
            l->transport == NICE_CANDIDATE_TRANSPORT_UDP) {
            nice_address_copy_to_sockaddr(&r->addr, (struct sockaddr *)&sa);
            salen =
                sa.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
            fd = dup(g_socket_get_fd(gs));
        }
        if (gs)
            g_object_unref(gs);
    }
    g_mutex_lock(&ice->fast_lock);
    int old = ice->fast_fd;
    ice->fast_fd = fd;
    ice->fast_sa = sa;
    ice->fast_salen = salen;
    g_mutex_unlock(&ice->fast_lock);
    if (old >= 0)
        close(old);
}

static void on_selected(NiceAgent *agent, guint stream, guint comp, NiceCandidate *l,
                        NiceCandidate *r, gpointer data)
{
    (void)agent;
    (void)comp;
    (void)l;
    (void)r;
    yj_ice_t *ice = data;
    if (stream == ice->stream)
        refresh_fast(ice);
}

static void read_credentials(yj_ice_t *ice)
{
    gchar *u = NULL, *p = NULL;
    if (nice_agent_get_local_credentials(ice->agent, ice->stream, &u, &p)) {
        g_strlcpy(ice->ufrag, u, sizeof ice->ufrag);
        g_strlcpy(ice->pwd, p, sizeof ice->pwd);
    }
    g_free(u);
    g_free(p);
}

static void cand_to_sdp(NiceAgent *agent, NiceCandidate *c, char *out, size_t size)
{
    gchar *s = nice_agent_generate_local_candidate_sdp(agent, c);
    /* libnice writes "a=candidate:…" */
    const char *v = s && g_str_has_prefix(s, "a=") ? s + 2 : (s ? s : "");
    g_strlcpy(out, v, size);
    g_free(s);
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *c, gpointer data)
{
    yj_ice_t *ice = data;
    if (c->stream_id != ice->stream || !ice->cb.on_candidate)
        return;
    char buf[256];
    cand_to_sdp(agent, c, buf, sizeof buf);
    if (buf[0])
        ice->cb.on_candidate(buf, ice->ud);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
    (void)agent;
    yj_ice_t *ice = data;
    if (stream != ice->stream)
        return;
    ice->gathering_done = true;
    check_relay(ice);
    if (ice->cb.on_candidate)
        ice->cb.on_candidate(NULL, ice->ud);
}

static void on_state(NiceAgent *agent, guint stream, guint comp, guint st, gpointer data)
{
    (void)agent;
    (void)comp;
    yj_ice_t *ice = data;
    if (stream != ice->stream)
        return;
    yj_ice_state_t s;
    switch (st) {
    case NICE_COMPONENT_STATE_GATHERING:
    case NICE_COMPONENT_STATE_CONNECTING:
        s = YJ_ICE_CHECKING;
        break;
    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:
        s = YJ_ICE_CONNECTED;
        break;
    case NICE_COMPONENT_STATE_FAILED:
        s = YJ_ICE_FAILED;
        break;
    case NICE_COMPONENT_STATE_DISCONNECTED:
        s = ice->state == YJ_ICE_NEW ? YJ_ICE_NEW : YJ_ICE_DISCONNECTED;
        break;
    default:
        return;
    }
    if (s == ice->state)
        return;
    /* A keepalive that went unanswered (DISCONNECTED, FAILED) after the
     * pair worked keeps the fast path: the transport judges consent on
     * what the peer sends (a busy worker reads answers late). It is
     * dropped at a restart, a new pair or the end. */
    bool keep = ice->state == YJ_ICE_CONNECTED && (s == YJ_ICE_DISCONNECTED || s == YJ_ICE_FAILED);
    ice->state = s;
    if (!keep)
        refresh_fast(ice);
    if (ice->cb.on_state)
        ice->cb.on_state(s, ice->ud);
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
                    gpointer data)
{
    (void)agent;
    (void)stream;
    (void)comp;
    yj_ice_t *ice = data;
    if (ice->cb.on_recv && len > 0)
        ice->cb.on_recv((uint8_t *)buf, len, ice->ud);
}

yj_ice_t *yj_ice_new(GMainContext *ctx, const yj_ice_config_t *cfg, bool controlling,
                     const yj_ice_callbacks_t *cb, void *ud)
{
    NiceAgent *agent =
        nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
    if (!agent)
        return NULL;
    g_object_set(agent, "controlling-mode", controlling, "ice-tcp", FALSE, "ice-udp", TRUE, "upnp",
                 FALSE, "keepalive-conncheck", TRUE, NULL);
    if (cfg->stun_ip)
        g_object_set(agent, "stun-server", cfg->stun_ip, "stun-server-port", (guint)cfg->stun_port,
                     NULL);
    if (cfg->addresses) {
        for (int i = 0; cfg->addresses[i]; i++) {
            NiceAddress a;
            nice_address_init(&a);
            if (nice_address_set_from_string(&a, cfg->addresses[i]))
                nice_agent_add_local_address(agent, &a);
        }
    }
    yj_ice_t *ice = g_new0(yj_ice_t, 1);
    ice->agent = agent;
    ice->ctx = ctx;
    ice->cb = *cb;
    ice->ud = ud;
    g_mutex_init(&ice->fast_lock);
    ice->fast_fd = -1;
    ice->stream = nice_agent_add_stream(agent, 1);
    if (!ice->stream) {
        g_object_unref(agent);
        g_free(ice);
        return NULL;
    }
    nice_agent_set_stream_name(agent, ice->stream, "application");
    if (cfg->port_min > 0 && cfg->port_max >= cfg->port_min)
        nice_agent_set_port_range(agent, ice->stream, 1, (guint)cfg->port_min,
                                  (guint)cfg->port_max);
    if (cfg->turn_ip) {
        bool v6 = strchr(cfg->turn_ip, ':') != NULL;
        g_snprintf(ice->turn, sizeof ice->turn, "%s%s%s:%d", v6 ? "[" : "", cfg->turn_ip,
                   v6 ? "]" : "", cfg->turn_port);
        nice_agent_set_relay_info(agent, ice->stream, 1, cfg->turn_ip, (guint)cfg->turn_port,
                                  cfg->turn_user ? cfg->turn_user : "",
                                  cfg->turn_password ? cfg->turn_password : "",
                                  NICE_RELAY_TYPE_TURN_UDP);
    }
    ice->sig[0] = g_signal_connect(agent, "new-candidate-full", G_CALLBACK(on_new_candidate), ice);
    ice->sig[1] =
        g_signal_connect(agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), ice);
    ice->sig[2] = g_signal_connect(agent, "component-state-changed", G_CALLBACK(on_state), ice);
    ice->sig[3] = g_signal_connect(agent, "new-selected-pair-full", G_CALLBACK(on_selected), ice);
    nice_agent_attach_recv(agent, ice->stream, 1, ctx, on_recv, ice);
    read_credentials(ice);
    return ice;
}

void yj_ice_free(yj_ice_t *ice)
{
    if (!ice)
        return;
    ice->state = YJ_ICE_NEW;
    refresh_fast(ice);
    g_mutex_clear(&ice->fast_lock);
    nice_agent_attach_recv(ice->agent, ice->stream, 1, ice->ctx, NULL, NULL);
    for (int i = 0; i < 4; i++)
        if (ice->sig[i])
            g_signal_handler_disconnect(ice->agent, ice->sig[i]);
    nice_agent_remove_stream(ice->agent, ice->stream);
    g_object_unref(ice->agent);
    g_free(ice);
}

int yj_ice_gather(yj_ice_t *ice)
{
    if (ice->gathering)
        return 0;
    ice->gathering = true;
    ice->gathering_done = false;
    if (!nice_agent_gather_candidates(ice->agent, ice->stream)) {
        ice->gathering = false;
        return YJ_EIO;
    }
    return 0;
}

bool yj_ice_gathering_done(const yj_ice_t *ice)
{
    return ice->gathering_done;
}

const char *yj_ice_ufrag(const yj_ice_t *ice)
{
    return ice->ufrag;
}

const char *yj_ice_pwd(const yj_ice_t *ice)
{
    return ice->pwd;
}

int yj_ice_local_candidates(yj_ice_t *ice, char (*out)[256], int max)
{
    GSList *list = nice_agent_get_local_candidates(ice->agent, ice->stream, 1);
    int n = 0;
    for (GSList *l = list; l; l = l->next) {
        if (n < max)
            cand_to_sdp(ice->agent, l->data, out[n++], 256);
        nice_candidate_free(l->data);
    }
    g_slist_free(list);
    return n;
}

int yj_ice_set_remote_credentials(yj_ice_t *ice, const char *ufrag, const char *pwd)
{
    if (!nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag, pwd))
        return YJ_EINVAL;
    g_strlcpy(ice->remote_ufrag, ufrag, sizeof ice->remote_ufrag);
    return 0;
}

const char *yj_ice_remote_ufrag(const yj_ice_t *ice)
{
    return ice->remote_ufrag;
}

int yj_ice_add_remote_candidate(yj_ice_t *ice, const char *cand)
{
    if (!cand)
        return YJ_EINVAL;
    if (g_str_has_prefix(cand, "a="))
        cand += 2;
    if (!g_str_has_prefix(cand, "candidate:") || strlen(cand) > 512)
        return YJ_EINVAL;
    /* Only UDP candidates are usable; mDNS names cannot be resolved here
     * (the peer-reflexive candidate from its checks covers them). */
    char **f = g_strsplit(cand + 10, " ", 16);
    int nf = (int)g_strv_length(f);
    bool ok = nf >= 8 && strcmp(f[6], "typ") == 0;
    bool udp = ok && g_ascii_strcasecmp(f[2], "udp") == 0;
    bool mdns = ok && g_str_has_suffix(f[4], ".local");
    g_strfreev(f);
    if (!ok)
        return YJ_EINVAL;
    if (!udp || mdns)
        return 0;
    g_autofree char *line = g_strconcat("a=", cand, NULL);
    NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(ice->agent, ice->stream, line);
    if (!c)
        return YJ_EINVAL;
    GSList one = {.data = c, .next = NULL};
    int n = nice_agent_set_remote_candidates(ice->agent, ice->stream, 1, &one);
    nice_candidate_free(c);
    return n < 0 ? YJ_EINVAL : 0;
}

void yj_ice_remote_gathering_done(yj_ice_t *ice)
{
    nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream);
}

int yj_ice_restart(yj_ice_t *ice)
{
    ice->state = YJ_ICE_CHECKING;
    refresh_fast(ice);
    if (!nice_agent_restart_stream(ice->agent, ice->stream))
        return YJ_EIO;
    read_credentials(ice);
    ice->remote_ufrag[0] = 0;
    return 0;
}

int yj_ice_send(yj_ice_t *ice, const uint8_t *buf, size_t len)
{
    g_mutex_lock(&ice->fast_lock);
    if (ice->fast_fd >= 0) {
        ssize_t n = sendto(ice->fast_fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ice->fast_sa,
                           ice->fast_salen);
        g_mutex_unlock(&ice->fast_lock);
        return n == (ssize_t)len ? 0 : YJ_EIO;
    }
    g_mutex_unlock(&ice->fast_lock);
    int n = nice_agent_send(ice->agent, ice->stream, 1, (guint)len, (const gchar *)buf);
    return n == (int)len ? 0 : YJ_ESTATE;
}

yj_ice_state_t yj_ice_state(const yj_ice_t *ice)
{
    return ice->state;
}

static void describe(NiceCandidate *c, char *out, size_t size)
{
    static const char *types[] = {"host", "srflx", "prflx", "relay"};
    char ip[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&c->addr, ip);
    g_snprintf(out, size, "udp %s:%u %s", ip, nice_address_get_port(&c->addr),
               c->type < 4 ? types[c->type] : "?");
}

void yj_ice_selected(yj_ice_t *ice, char *local, size_t lsize, char *remote, size_t rsize)
{
    NiceCandidate *l = NULL, *r = NULL;
    local[0] = remote[0] = 0;
    if (nice_agent_get_selected_pair(ice->agent, ice->stream, 1, &l, &r)) {
        describe(l, local, lsize);
        describe(r, remote, rsize);
    }
}
