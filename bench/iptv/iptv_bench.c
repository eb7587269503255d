/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iptv_bench.c — N IPTV channels in one process, played out from a lesson
 * at a constant mux rate to 127.0.0.1, received in the same process and
 * judged by iptv/ts_check.c.
 *
 *   build/bench_iptv_iptv_bench --lesson MASTER [--channels 100]
 *       [--bitrate 2000000] [--seconds 30] [--programme 20] [--port 20000]
 *
 * Each channel plays the lesson as back-to-back programmes (a programme
 * change every --programme seconds). One receiver thread drains every
 * socket (epoll + recvmmsg) and feeds each channel's analyzer with arrival
 * times. Prints, per run: channels, datagrams, CC errors, worst PCR
 * accuracy and interval, worst arrival bitrate per 1-s window, late
 * datagrams and the process CPU % (playout + receiving + analysis; one
 * core = 100 %). Sends only to 127.0.0.1.
 */
#define _GNU_SOURCE
#include "core/metrics.h"
#include "iptv/playout.h"
#include "iptv/ts_check.h"

#include <arpa/inet.h>
#include <glib.h>
#include <math.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *lesson;
    int64_t t0, prog_ms;
} sched_t;

static int programme_at(int64_t ch, int64_t now, yj_iptv_programme_t *cur,
                        yj_iptv_programme_t *next, void *ud)
{
    const sched_t *s = ud;
    int64_t i = (now - s->t0) / s->prog_ms;
    for (int k = 0; k < 2; k++) {
        yj_iptv_programme_t *p = k ? next : cur;
        memset(p, 0, sizeof *p);
        p->id = i + k + 1;
        p->kind = YJ_IPTV_LESSON;
        p->start_ms = s->t0 + (i + k) * s->prog_ms;
        p->end_ms = p->start_ms + s->prog_ms;
        p->title = g_strdup_printf("第%d讲", (int)(i + k + 1));
        p->media_path = g_strdup(s->lesson);
    }
    return 0;
}

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    const char *lesson = NULL;
    int channels = 100, bitrate = 2000000, seconds = 30, port = 20000;
    double prog = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--lesson"))
            lesson = argv[i + 1];
        else if (!strcmp(argv[i], "--channels"))
            channels = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--bitrate"))
            bitrate = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--programme"))
            prog = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
    }
    if (!lesson || channels < 1 || channels > 2000 || seconds < 2) {
        fprintf(stderr, "usage: %s --lesson MASTER [--channels N] [--seconds S]\n", argv[0]);
        return 1;
    }
    /* receivers first */
    int ep = epoll_create1(0);
    int *fds = g_new0(int, (size_t)channels);
    yj_ts_check_t **chk = g_new0(yj_ts_check_t *, (size_t)channels);
    for (int k = 0; k < channels; k++) {
        fds[k] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int rcv = 4 << 20;
        setsockopt(fds[k], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
        int one = 1;
        setsockopt(fds[k], SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)(port + 2 * k))};
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        if (bind(fds[k], (struct sockaddr *)&sa, sizeof sa) < 0) {
            perror("bind");
            return 2;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[k], &ev);
        chk[k] = yj_ts_check_new(bitrate, 1316);
    }
    sched_t s = {
        .lesson = lesson, .t0 = g_get_real_time() / 1000, .prog_ms = (int64_t)(prog * 1000)};
    yj_iptv_schedule_ops_t ops = {.programme_at = programme_at};
    yj_iptv_playout_t **po = g_new0(yj_iptv_playout_t *, (size_t)channels);
    for (int k = 0; k < channels; k++) {
        char name[32];
        g_snprintf(name, sizeof name, "测试台%d", k + 1);
        yj_iptv_channel_cfg_t cfg = {.id = k + 1,
                                     .number = k + 1,
                                     .name = name,
                                     .provider = "远教",
                                     .address = "127.0.0.1",
                                     .port = port + 2 * k,
                                     .bitrate = bitrate};
        char *err = NULL;
        po[k] = yj_iptv_playout_new(&cfg, &ops, &s, &err);
        if (!po[k]) {
            fprintf(stderr, "channel %d: %s\n", k + 1, err);
            return 2;
        }
    }
    /* skip the first 2 s (start-up), then measure */
    double cpu0 = 0;
    int64_t start = mono_ns(), measure = start + 2000000000LL,
            end = measure + (int64_t)seconds * 1000000000LL;
    bool measuring = false;
    enum { VLEN = 64 };
    static uint8_t bufs[VLEN][1500];
    static char ctl[VLEN][64];
    struct mmsghdr msgs[VLEN];
    struct iovec iov[VLEN];
    struct epoll_event evs[64];
    uint64_t datagrams = 0;
    for (;;) {
        int64_t now = mono_ns();
        if (!measuring && now >= measure) {
            measuring = true;
            cpu0 = cpu_s();
            measure = now;
            /* fresh analyzers: judge only the measured window */
            for (int k = 0; k < channels; k++) {
                yj_ts_check_free(chk[k]);
                chk[k] = yj_ts_check_new(bitrate, 1316);
            }
        }
        if (now >= end)
            break;
        int n = epoll_wait(ep, evs, 64, 100);
        for (int e = 0; e < n; e++) {
            int k = (int)evs[e].data.u32;
            for (;;) {
                for (int i = 0; i < VLEN; i++) {
                    iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
                    msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i],
                                                           .msg_iovlen = 1,
                                                           .msg_control = ctl[i],
                                                           .msg_controllen = sizeof ctl[i]}};
                }
                int got = recvmmsg(fds[k], msgs, VLEN, MSG_DONTWAIT, NULL);
                if (got <= 0)
                    break;
                for (int i = 0; i < got; i++) {
                    /* the kernel's arrival time of each datagram */
                    int64_t at = 0;
                    struct msghdr *mh = &msgs[i].msg_hdr;
                    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
                        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                            struct timespec ts;
                            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                            at = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
                        }
                    yj_ts_check_datagram(chk[k], bufs[i], msgs[i].msg_len, at);
                }
                if (measuring)
                    datagrams += (uint64_t)got;
            }
        }
    }
    double wall = (double)(mono_ns() - measure) / 1e9;
    double cpu = (cpu_s() - cpu0) / wall * 100.0;
    uint64_t cc = 0, bad = 0, sync = 0;
    double acc = 0, pcr_ms = 0, arr_dev = 0, pat = 0;
    int broken = 0;
    for (int k = 0; k < channels; k++) {
        yj_ts_report_t r;
        yj_ts_check_report(chk[k], &r);
        cc += r.cc_errors;
        bad += r.bad_datagrams;
        sync += r.sync_errors;
        acc = fmax(acc, r.pcr_max_acc_ns);
        pcr_ms = fmax(pcr_ms, r.pcr_max_ms);
        pat = fmax(pat, r.pat_max_ms);
        if (r.arr_windows) {
            arr_dev = fmax(arr_dev, fabs(r.arr_br_min - bitrate) / bitrate * 100);
            arr_dev = fmax(arr_dev, fabs(r.arr_br_max - bitrate) / bitrate * 100);
        }
        if (r.cc_errors || r.pcr_max_acc_ns > 500 || r.pcr_max_ms > 40 || !r.video_pes)
            broken++;
    }
    for (int k = 0; k < channels; k++)
        yj_iptv_playout_free(po[k]);
    int64_t late = 0;
    char *m = yj_metrics_render();
    for (char *q = m; (q = strstr(q, "yj_iptv_late_datagrams_total{")); q++) {
        char *sp = strchr(q, ' ');
        if (sp)
            late += atoll(sp + 1);
    }
    g_free(m);
    printf("channels=%d bitrate=%d seconds=%.1f datagrams=%" G_GUINT64_FORMAT " (expected %.0f)\n",
           channels, bitrate, wall, datagrams, channels * wall * bitrate / (1316.0 * 8));
    printf("cc_errors=%" G_GUINT64_FORMAT " sync_errors=%" G_GUINT64_FORMAT
           " bad_datagrams=%" G_GUINT64_FORMAT " channels_failing=%d\n",
           cc, sync, bad, broken);
    printf("worst_pcr_accuracy_ns=%.1f worst_pcr_interval_ms=%.1f worst_pat_interval_ms=%.1f\n",
           acc, pcr_ms, pat);
    printf("worst_arrival_bitrate_deviation_pct=%.2f late_datagrams=%" G_GINT64_FORMAT "\n",
           arr_dev, late);
    printf("cpu_pct=%.1f (process: playout + receive + analysis; 100 = one core)\n", cpu);
    for (int k = 0; k < channels; k++) {
        yj_ts_check_free(chk[k]);
        close(fds[k]);
    }
    return 0;
}
