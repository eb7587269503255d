/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine.c — the top of the media engine: configuration checks, the DTLS
 * certificate, the ICE settings, starting the workers (worker.c) and, at
 * the end, closing every peer (peer.c) before the workers stop. It never
 * touches packets itself.
 */
#include "peer.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"

#include <gio/gio.h>
#include <nice/interfaces.h>
#include <string.h>

/* "host:port" → resolved IP text and port. A name may resolve to several
 * addresses (IPv6 first, even for "localhost"): the first of family `want`
 * is taken, else the first at all, because libnice only pairs a STUN/TURN
 * server with host candidates of the same family. Blocking (start-up
 * only). */
static bool resolve(const char *key, const char *hostport, int def_port, GSocketFamily want,
                    char **ip, int *port, char **err)
{
    GError *e = NULL;
    GSocketConnectable *addr = g_network_address_parse(hostport, (guint16)def_port, &e);
    if (!addr) {
        *err =
            g_strdup_printf("media: %s: bad server address \"%s\": %s", key, hostport, e->message);
        g_error_free(e);
        return false;
    }
    GSocketAddressEnumerator *en = g_socket_connectable_enumerate(addr);
    GSocketAddress *sa = NULL, *next;
    for (int i = 0; i < 32 && (next = g_socket_address_enumerator_next(en, NULL, &e)); i++) {
        if (G_IS_INET_SOCKET_ADDRESS(next) && (!sa || g_socket_address_get_family(next) == want)) {
            bool done = g_socket_address_get_family(next) == want;
            if (sa)
                g_object_unref(sa);
            sa = next;
            if (done)
                break;
        } else {
            g_object_unref(next);
        }
    }
    g_object_unref(en);
    g_object_unref(addr);
    if (!sa) {
        *err = g_strdup_printf("media: %s: cannot resolve \"%s\": %s", key, hostport,
                               e ? e->message : "no address");
        if (e)
            g_error_free(e);
        return false;
    }
    g_clear_error(&e);
    GInetAddress *ia = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa));
    *ip = g_inet_address_to_string(ia);
    *port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(sa));
    g_object_unref(sa);
    return true;
}

/* IPv6 when every configured address is IPv6, else IPv4 (also when none
 * is configured: libnice then offers every address, IPv4 ones included). */
static GSocketFamily server_family(char **addresses)
{
    bool v6 = addresses && addresses[0];
    for (int i = 0; v6 && addresses[i]; i++)
        v6 = strchr(addresses[i], ':') != NULL;
    return v6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4;
}

static bool empty(const char *s)
{
    return !s || !*s;
}

yj_media_t *yj_media_new(const yj_media_config_t *cfg, char **err)
{
    char *e = NULL;
    yj_m_worker_metrics_init();
    if (cfg->port_min < 0 || cfg->port_max < 0 || cfg->port_max > 65535 ||
        (cfg->port_min > 0 && cfg->port_max < cfg->port_min) ||
        (cfg->port_min == 0) != (cfg->port_max == 0)) {
        if (err)
            *err = g_strdup("media: port_min/port_max must both be 0 or a range within 1–65535");
        return NULL;
    }
    if (cfg->max_load_percent < 0 || cfg->max_load_percent > 100 || cfg->max_handshakes < 0) {
        if (err)
            *err = g_strdup_printf("media: max_load_percent must be 0 (no limit) to 100 and "
                                   "max_handshakes 0 (no limit) or more, not %d and %d",
                                   cfg->max_load_percent, cfg->max_handshakes);
        return NULL;
    }
    if (yj_srtp_global_init()) {
        if (err)
            *err = g_strdup("media: libsrtp failed to initialise");
        return NULL;
    }
    yj_media_t *m = g_new0(yj_media_t, 1);
    m->cfg = *cfg;
    m->interfaces = g_strdup(cfg->interfaces ? cfg->interfaces : "");
    m->stun_server = g_strdup(cfg->stun_server ? cfg->stun_server : "");
    m->turn_server = g_strdup(cfg->turn_server ? cfg->turn_server : "");
    m->turn_user = g_strdup(cfg->turn_user ? cfg->turn_user : "");
    m->turn_password = g_strdup(cfg->turn_password ? cfg->turn_password : "");
    m->cfg.interfaces = m->interfaces;
    m->cfg.stun_server = m->stun_server;
    m->cfg.turn_server = m->turn_server;
    m->cfg.turn_user = m->turn_user;
    m->cfg.turn_password = m->turn_password;
    if (m->cfg.gather_timeout_ms <= 0)
        m->cfg.gather_timeout_ms = 3000;
    if (m->cfg.max_publish_kbps <= 0)
        m->cfg.max_publish_kbps = 2500;
    if (m->cfg.nack_cache_ms <= 0)
        m->cfg.nack_cache_ms = 1000;
    g_mutex_init(&m->lock);
    m->rooms = g_hash_table_new(g_str_hash, g_str_equal);
    m->peers = g_ptr_array_new();

    /* ICE settings shared by every agent. */
    m->ice.port_min = cfg->port_min;
    m->ice.port_max = cfg->port_max;
    if (!empty(m->interfaces)) {
        char **names = g_strsplit(m->interfaces, ",", 64);
        GPtrArray *ips = g_ptr_array_new();
        for (int i = 0; names[i]; i++) {
            char *n = g_strstrip(names[i]);
            if (!*n)
                continue;
            GInetAddress *ia = g_inet_address_new_from_string(n);
            if (ia) {
                g_ptr_array_add(ips, g_strdup(n));
                g_object_unref(ia);
                continue;
            }
            gchar *ip = nice_interfaces_get_ip_for_interface(n);
            if (!ip) {
                e = g_strdup_printf("media: interfaces: \"%s\" is neither an IP address nor an "
                                    "interface with one",
                                    n);
                break;
            }
            g_ptr_array_add(ips, ip);
        }
        g_strfreev(names);
        g_ptr_array_add(ips, NULL);
        m->ice.addresses = (char **)g_ptr_array_free(ips, FALSE);
        if (e)
            goto fail;
    }
    GSocketFamily fam = server_family(m->ice.addresses);
    if (!empty(m->stun_server) &&
        !resolve("stun_server", m->stun_server, 3478, fam, &m->ice.stun_ip, &m->ice.stun_port, &e))
        goto fail;
    if (!empty(m->turn_server)) {
        if (!resolve("turn_server", m->turn_server, 3478, fam, &m->ice.turn_ip, &m->ice.turn_port,
                     &e))
            goto fail;
        m->ice.turn_user = m->turn_user;
        m->ice.turn_password = m->turn_password;
    }
    m->cert = yj_dtls_cert_new(&e);
    if (!m->cert)
        goto fail;

    m->n_workers = cfg->workers > 0 ? cfg->workers : (int)g_get_num_processors();
    if (m->n_workers > 256)
        m->n_workers = 256;
    m->workers = g_new0(yj_worker_t, m->n_workers);
    for (int i = 0; i < m->n_workers; i++) {
        yj_m_worker_init(&m->workers[i], i);
    }
    return m;
fail:
    if (err)
        *err = e;
    else
        g_free(e);
    yj_media_free(m);
    return NULL;
}

int yj_media_start(yj_media_t *m)
{
    if (!m || m->running)
        return YJ_ESTATE;
    for (int i = 0; i < m->n_workers; i++)
        yj_m_worker_start(&m->workers[i]);
    m->running = true;
    yj_info("media", "%d media workers, DTLS %s", m->n_workers, yj_dtls_cert_fingerprint(m->cert));
    return 0;
}

void yj_media_free(yj_media_t *m)
{
    if (!m)
        return;
    g_mutex_lock(&m->lock);
    m->stopping = true;
    GPtrArray *peers = NULL;
    if (m->peers) {
        peers = g_ptr_array_new();
        for (guint i = 0; i < m->peers->len; i++)
            g_ptr_array_add(peers, yj_m_worker_ref(m->peers->pdata[i]));
    }
    g_mutex_unlock(&m->lock);
    if (peers) {
        for (guint i = 0; i < peers->len; i++) {
            yj_media_peer_t *p = peers->pdata[i];
            if (m->running)
                yj_m_worker_call(p, yj_m_peer_close_now, NULL);
            yj_m_worker_unref(p);
        }
        g_ptr_array_free(peers, TRUE);
    }
    if (m->workers) {
        /* every thread first: a running worker may hand packets to a
         * stopped one, whose queue must still be there */
        for (int i = 0; i < m->n_workers; i++)
            yj_m_worker_stop(&m->workers[i]);
        for (int i = 0; i < m->n_workers; i++)
            yj_m_worker_free(&m->workers[i]);
        g_free(m->workers);
    }
    m->running = false;
    yj_dtls_cert_free(m->cert);
    g_strfreev(m->ice.addresses);
    g_free(m->ice.stun_ip);
    g_free(m->ice.turn_ip);
    g_free(m->interfaces);
    g_free(m->stun_server);
    g_free(m->turn_server);
    g_free(m->turn_user);
    g_free(m->turn_password);
    if (m->rooms)
        g_hash_table_destroy(m->rooms);
    if (m->peers)
        g_ptr_array_free(m->peers, TRUE);
    g_mutex_clear(&m->lock);
    g_free(m);
}

const char *yj_media_fingerprint(const yj_media_t *m)
{
    return yj_dtls_cert_fingerprint(m->cert);
}

int yj_media_load_percent(yj_media_t *m)
{
    if (!m || !m->workers)
        return 0;
    int least = 1000;
    for (int i = 0; i < m->n_workers; i++)
        least = MIN(least, g_atomic_int_get(&m->workers[i].load_pm));
    return least / 10;
}

int yj_media_demand_percent(yj_media_t *m)
{
    if (!m || !m->workers)
        return 0;
    int most = 0;
    for (int i = 0; i < m->n_workers; i++)
        most = MAX(most, g_atomic_int_get(&m->workers[i].demand_pm));
    return most / 10;
}

#define YJ_FULL_HOLD_US (5 * G_USEC_PER_SEC)

yj_media_admission_t yj_media_admit(yj_media_t *m, const char *who, int *load)
{
    static yj_counter_t *refused[3];
    static gsize once;
    if (g_once_init_enter(&once)) {
        refused[YJ_MEDIA_FULL_LOAD] = yj_metrics_counter(
            "yj_media_admission_refused_total{reason=\"load\"}",
            "Newcomers (WHEP viewers, meeting members) refused: media workers busy or too many "
            "handshakes under way");
        refused[YJ_MEDIA_FULL_HANDSHAKES] = yj_metrics_counter(
            "yj_media_admission_refused_total{reason=\"handshakes\"}",
            "Newcomers (WHEP viewers, meeting members) refused: media workers busy or too many "
            "handshakes under way");
        g_once_init_leave(&once, 1);
    }
    if (load)
        *load = 0;
    if (!m || !m->workers)
        return YJ_MEDIA_ADMIT;
    /* The least busy worker's demand (runnable share, see tick.c): a new
     * peer goes to the least loaded worker. */
    int pct = 100;
    for (int i = 0; i < m->n_workers; i++)
        pct = MIN(pct, g_atomic_int_get(&m->workers[i].demand_pm) / 10);
    if (load)
        *load = pct;
    yj_media_admission_t a = YJ_MEDIA_ADMIT;
    int hs = 0;
    for (int i = 0; i < m->n_workers; i++)
        hs += g_atomic_int_get(&m->workers[i].handshakes);
    /* Hysteresis: once a worker read busy, newcomers stay refused until
     * it has read below the bound for YJ_FULL_HOLD_US (the measure lags
     * what the last admitted peers add, and one quieter second must not
     * let in a burst). */
    gint64 t = g_get_monotonic_time();
    if (m->cfg.max_load_percent > 0 && pct >= m->cfg.max_load_percent) {
        __atomic_store_n(&m->full_until_us, t + YJ_FULL_HOLD_US, __ATOMIC_RELAXED);
        a = YJ_MEDIA_FULL_LOAD;
    } else if (m->cfg.max_load_percent > 0 &&
               t < __atomic_load_n(&m->full_until_us, __ATOMIC_RELAXED)) {
        a = YJ_MEDIA_FULL_LOAD;
    }
    if (a == YJ_MEDIA_ADMIT && m->cfg.max_handshakes > 0 &&
        hs >= m->cfg.max_handshakes * m->n_workers)
        a = YJ_MEDIA_FULL_HANDSHAKES;
    if (a == YJ_MEDIA_ADMIT)
        return a;
    yj_counter_add(refused[a], 1);
    /* A storm of refusals: one line per 10 s for the whole engine. */
    gint64 now = g_get_monotonic_time(),
           prev = __atomic_load_n(&m->refuse_log_us, __ATOMIC_RELAXED);
    if ((prev == 0 || now - prev > 10 * G_USEC_PER_SEC) &&
        __atomic_compare_exchange_n(&m->refuse_log_us, &prev, now, false, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED)) {
        if (a == YJ_MEDIA_FULL_LOAD)
            yj_warn("media",
                    "at capacity: refusing %ss: media workers %d%% busy (max_load_percent=%d); "
                    "connected peers keep going",
                    who ? who : "newcomer", pct, m->cfg.max_load_percent);
        else
            yj_warn("media",
                    "at capacity: refusing %ss: %d handshakes under way on %d worker(s) "
                    "(max_handshakes=%d per worker); connected peers keep going",
                    who ? who : "newcomer", hs, m->n_workers, m->cfg.max_handshakes);
    }
    return a;
}
