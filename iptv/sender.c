/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sender.c — a channel's UDP/RTP socket, multicast options and paced
 * sending thread (see sender.h).
 *
 * Like libuv's udp.c, one file owns the socket: TTL, IP_MULTICAST_IF,
 * loopback and the send path live together. The ring is lock-free (one
 * producer, one consumer, C11 atomics with acquire/release). When the
 * producer is late the sender waits for the datagram and sends it late
 * rather than inventing padding, which would shift every PCR after it off
 * the constant-bitrate line; late sends are counted.
 * It must never send anywhere but the configured destination.
 */
#include "iptv/sender.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct yj_iptv_sender {
    int fd;
    bool rtp;
    int bitrate;
    double period_ns;
    uint8_t *ring;
    uint64_t nring;
    _Atomic uint64_t produced, sent;
    atomic_bool stop;
    pthread_t thread;
    bool running;
    struct timespec t0;
    uint32_t ssrc, ts0;
    uint16_t seq;
    yj_counter_t *m_sent, *m_late, *m_err;
};

yj_iptv_sender_t *yj_iptv_sender_new(const yj_iptv_sender_cfg_t *cfg, char **err)
{
    struct sockaddr_in dst = {.sin_family = AF_INET};
    if (!cfg || !cfg->address || inet_pton(AF_INET, cfg->address, &dst.sin_addr) != 1) {
        *err = g_strdup("address: not an IPv4 address");
        return NULL;
    }
    if (cfg->port < 1 || cfg->port > 65535) {
        *err = g_strdup("port: not in 1..65535");
        return NULL;
    }
    if (cfg->bitrate < 100000 || cfg->bitrate > 100000000) {
        *err = g_strdup("bitrate: not in 100000..100000000 bit/s");
        return NULL;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err = g_strdup_printf("socket: %s", g_strerror(errno));
        return NULL;
    }
    dst.sin_port = htons((uint16_t)cfg->port);
    if (IN_MULTICAST(ntohl(dst.sin_addr.s_addr))) {
        int ttl = cfg->ttl > 0 && cfg->ttl < 256 ? cfg->ttl : 1;
        int loop = 1;
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
        if (cfg->interface && cfg->interface[0]) {
            struct ip_mreqn mr = {0};
            if (inet_pton(AF_INET, cfg->interface, &mr.imr_address) != 1)
                mr.imr_ifindex = (int)if_nametoindex(cfg->interface);
            if ((mr.imr_address.s_addr == 0 && mr.imr_ifindex == 0) ||
                setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof mr) < 0) {
                *err = g_strdup_printf("interface: %s is not usable", cfg->interface);
                close(fd);
                return NULL;
            }
        }
    } else if (cfg->ttl > 0 && cfg->ttl < 256) {
        setsockopt(fd, IPPROTO_IP, IP_TTL, &cfg->ttl, sizeof cfg->ttl);
    }
    int sndbuf = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
        *err = g_strdup_printf("address: %s", g_strerror(errno));
        close(fd);
        return NULL;
    }
    yj_iptv_sender_t *s = g_new0(yj_iptv_sender_t, 1);
    s->fd = fd;
    s->rtp = cfg->rtp;
    s->bitrate = cfg->bitrate;
    s->period_ns = (double)YJ_IPTV_DGRAM * 8.0 * 1e9 / cfg->bitrate;
    s->nring = cfg->ring > 16 ? (uint64_t)cfg->ring : (uint64_t)(2e9 / s->period_ns) + 16;
    s->ring = g_malloc((size_t)s->nring * YJ_IPTV_DGRAM);
    s->ssrc = g_random_int();
    s->ts0 = g_random_int();
    s->seq = (uint16_t)g_random_int();
    const char *label = cfg->label ? cfg->label : "0";
    g_autofree char *n1 = g_strdup_printf("yj_iptv_datagrams_total{channel=\"%s\"}", label);
    g_autofree char *n2 = g_strdup_printf("yj_iptv_late_datagrams_total{channel=\"%s\"}", label);
    g_autofree char *n3 = g_strdup_printf("yj_iptv_send_errors_total{channel=\"%s\"}", label);
    s->m_sent = yj_metrics_counter(n1, "IPTV datagrams sent");
    s->m_late = yj_metrics_counter(n2, "IPTV datagrams sent late (producer behind)");
    s->m_err = yj_metrics_counter(n3, "IPTV datagrams the socket refused");
    return s;
}

static void ts_add_ns(struct timespec *t, const struct timespec *t0, int64_t ns)
{
    int64_t total = (int64_t)t0->tv_nsec + ns;
    t->tv_sec = t0->tv_sec + (time_t)(total / 1000000000LL);
    t->tv_nsec = (long)(total % 1000000000LL);
}

static void *run(void *arg)
{
    yj_iptv_sender_t *s = arg;
    /* a real-time priority keeps the spacing even on a loaded machine; it
     * needs CAP_SYS_NICE, and without it the thread simply stays normal */
    struct sched_param sp = {.sched_priority = 10};
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0)
        yj_debug("iptv", "sender: no real-time priority (CAP_SYS_NICE)");
    uint8_t rtp[12 + YJ_IPTV_DGRAM];
    uint64_t k = 0;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        int64_t at = (int64_t)((double)k * s->period_ns);
        struct timespec t;
        ts_add_ns(&t, &s->t0, at);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
            ;
        bool late = false;
        while (atomic_load_explicit(&s->produced, memory_order_acquire) <= k) {
            if (atomic_load_explicit(&s->stop, memory_order_relaxed))
                return NULL;
            late = true;
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
        }
        if (late)
            yj_counter_add(s->m_late, 1);
        const uint8_t *d = s->ring + (k % s->nring) * YJ_IPTV_DGRAM;
        ssize_t rc;
        if (s->rtp) {
            uint32_t ts = s->ts0 + (uint32_t)(uint64_t)((double)at * 9e-5);
            rtp[0] = 0x80;
            rtp[1] = 33;
            rtp[2] = (uint8_t)(s->seq >> 8);
            rtp[3] = (uint8_t)s->seq;
            s->seq++;
            rtp[4] = (uint8_t)(ts >> 24);
            rtp[5] = (uint8_t)(ts >> 16);
            rtp[6] = (uint8_t)(ts >> 8);
            rtp[7] = (uint8_t)ts;
            rtp[8] = (uint8_t)(s->ssrc >> 24);
            rtp[9] = (uint8_t)(s->ssrc >> 16);
            rtp[10] = (uint8_t)(s->ssrc >> 8);
            rtp[11] = (uint8_t)s->ssrc;
            memcpy(rtp + 12, d, YJ_IPTV_DGRAM);
            rc = send(s->fd, rtp, sizeof rtp, MSG_DONTWAIT);
        } else {
            rc = send(s->fd, d, YJ_IPTV_DGRAM, MSG_DONTWAIT);
        }
        if (rc < 0)
            yj_counter_add(s->m_err, 1);
        else
            yj_counter_add(s->m_sent, 1);
        k++;
        atomic_store_explicit(&s->sent, k, memory_order_release);
    }
    return NULL;
}

int64_t yj_iptv_sender_start(yj_iptv_sender_t *s)
{
    clock_gettime(CLOCK_MONOTONIC, &s->t0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    ts_add_ns(&s->t0, &s->t0, 20000000); /* first datagram in 20 ms */
    int64_t utc0 = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + 20;
    if (pthread_create(&s->thread, NULL, run, s) == 0)
        s->running = true;
    else
        yj_error("iptv", "cannot start the sending thread");
    return utc0;
}

uint8_t *yj_iptv_sender_slot(yj_iptv_sender_t *s)
{
    uint64_t p = atomic_load_explicit(&s->produced, memory_order_relaxed);
    uint64_t d = atomic_load_explicit(&s->sent, memory_order_acquire);
    if (p - d >= s->nring)
        return NULL;
    return s->ring + (p % s->nring) * YJ_IPTV_DGRAM;
}

void yj_iptv_sender_commit(yj_iptv_sender_t *s)
{
    atomic_fetch_add_explicit(&s->produced, 1, memory_order_release);
}

uint64_t yj_iptv_sender_produced(const yj_iptv_sender_t *s)
{
    return atomic_load_explicit(&((yj_iptv_sender_t *)s)->produced, memory_order_acquire);
}

uint64_t yj_iptv_sender_sent(const yj_iptv_sender_t *s)
{
    return atomic_load_explicit(&((yj_iptv_sender_t *)s)->sent, memory_order_acquire);
}

double yj_iptv_sender_period_ns(const yj_iptv_sender_t *s)
{
    return s->period_ns;
}

void yj_iptv_sender_free(yj_iptv_sender_t *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    if (s->running)
        pthread_join(s->thread, NULL);
    close(s->fd);
    g_free(s->ring);
    g_free(s);
}
