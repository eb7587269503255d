/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iptv_bench.c — N IPTV channels in one process, played out from a lesson
 * at a constant mux rate to 127.0.0.1, received in the same process and
 * judged by iptv/ts_check.c.
 *
 *   build/bench_iptv_iptv_bench --lesson MASTER [--channels 100]
 *       [--bitrate 2000000] [--seconds 30] [--programme 20] [--port 20000]
 *       [--live 1]
 *
 * Each channel plays the lesson as back-to-back programmes (a programme
 * change every --programme seconds). One receiver thread drains every
 * socket (epoll + recvmmsg) and feeds each channel's analyzer with arrival
 * times. Prints, per run: channels, datagrams, CC errors, worst PCR
 * accuracy and interval, worst arrival bitrate per 1-s window, late
 * datagrams and the process CPU % (playout + receiving + analysis; one
 * core = 100 %). Sends only to 127.0.0.1.
 *
 * --live 1 adds one live-lecture encode at 720p beside the channels: the
 * live source's own GStreamer pipeline (yj_iptv_live_pipeline_desc, for a
 * 2 Mbit/s channel: VP8 RTP → jitter buffer → vp8dec → 1280×720 25 fps →
 * openh264enc; Opus RTP → opusdec → voaacenc) fed in real time with a
 * 1280×720 VP8 + Opus RTP clip encoded beforehand (10 s of videotestsrc
 * SMPTE bars scrolling 6 px a frame, so every macroblock changes, replayed in a loop with its
 * sequence numbers and timestamps carried on, so the publisher's encoding is not counted, as a
 * browser does it). Prints the encoded frames per second against the 25 put in, and how long a
 * frame took from its packets' arrival to its H.264 access unit (median, worst).
 */
#define _GNU_SOURCE
#include "core/metrics.h"
#include "iptv/playout.h"
#include "iptv/source.h"
#include "iptv/ts_check.h"

#include <arpa/inet.h>
#include <glib.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
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

/* ---- --live: one live-lecture encode ---- */

typedef struct {
    GstBuffer **pk;
    int64_t *at_ns; /* offset in the clip */
    size_t n;
} clip_t;

static void clip_pull(GstElement *sink, clip_t *c)
{
    GPtrArray *b = g_ptr_array_new();
    GArray *t = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GstSample *sm;
    while ((sm = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 60 * GST_SECOND))) {
        GstBuffer *buf = gst_sample_get_buffer(sm);
        int64_t ts = GST_BUFFER_PTS_IS_VALID(buf) ? (int64_t)GST_BUFFER_PTS(buf) : 0;
        g_ptr_array_add(b, gst_buffer_ref(buf));
        g_array_append_val(t, ts);
        gst_sample_unref(sm);
    }
    c->n = b->len;
    c->pk = (GstBuffer **)g_ptr_array_free(b, FALSE);
    c->at_ns = (int64_t *)g_array_free(t, FALSE);
}

typedef struct {
    GstElement *pipe, *vsrc, *asrc;
    clip_t v, a;
    int64_t loop_ns, base_ns; /* running time of the clip's start */
    atomic_bool stop;
    atomic_llong frames; /* encoded video frames in the window */
    atomic_bool counting;
    GMutex mu;
    GArray *lat_ms; /* per frame: arrival (its PTS) to the encoded AU */
    GThread *thread;
} live_bench_t;

static int64_t run_ns(GstElement *pipe)
{
    GstClock *clk = gst_element_get_clock(pipe);
    int64_t r = clk ? (int64_t)(gst_clock_get_time(clk) - gst_element_get_base_time(pipe)) : 0;
    if (clk)
        gst_object_unref(clk);
    return r;
}

static GstFlowReturn live_sample(GstAppSink *sink, gpointer ud)
{
    live_bench_t *lb = ud;
    GstSample *sm = gst_app_sink_pull_sample(sink);
    if (!sm)
        return GST_FLOW_OK;
    GstBuffer *b = gst_sample_get_buffer(sm);
    if (atomic_load(&lb->counting) && b && GST_BUFFER_PTS_IS_VALID(b)) {
        atomic_fetch_add(&lb->frames, 1);
        double ms = (double)(run_ns(lb->pipe) - (int64_t)GST_BUFFER_PTS(b)) / 1e6;
        g_mutex_lock(&lb->mu);
        g_array_append_val(lb->lat_ms, ms);
        g_mutex_unlock(&lb->mu);
    }
    gst_sample_unref(sm);
    return GST_FLOW_OK;
}

/* Pushes the clip's packets in real time, looping with sequence numbers
 * and RTP timestamps carried on. */
static gpointer live_push(gpointer arg)
{
    live_bench_t *lb = arg;
    size_t iv = 0, ia = 0;
    int64_t loop = 0;
    while (!atomic_load(&lb->stop)) {
        bool video = ia >= lb->a.n || (iv < lb->v.n && lb->v.at_ns[iv] <= lb->a.at_ns[ia]);
        clip_t *c = video ? &lb->v : &lb->a;
        size_t *i = video ? &iv : &ia;
        if (iv >= lb->v.n && ia >= lb->a.n) {
            iv = ia = 0;
            loop++;
            continue;
        }
        int64_t due = lb->base_ns + loop * lb->loop_ns + c->at_ns[*i];
        int64_t now = run_ns(lb->pipe);
        if (due > now)
            g_usleep((gulong)((due - now) / 1000));
        GstBuffer *b = gst_buffer_copy_deep(c->pk[*i]);
        GstMapInfo mi;
        if (gst_buffer_map(b, &mi, GST_MAP_WRITE)) {
            uint16_t seq = (uint16_t)((mi.data[2] << 8 | mi.data[3]) + loop * (int64_t)c->n);
            uint32_t clock = video ? 90000 : 48000;
            uint32_t ts =
                (uint32_t)(mi.data[4] << 24 | mi.data[5] << 16 | mi.data[6] << 8 | mi.data[7]) +
                (uint32_t)(loop * (lb->loop_ns / 1000000) * (clock / 1000));
            mi.data[2] = (uint8_t)(seq >> 8), mi.data[3] = (uint8_t)seq;
            mi.data[4] = (uint8_t)(ts >> 24), mi.data[5] = (uint8_t)(ts >> 16);
            mi.data[6] = (uint8_t)(ts >> 8), mi.data[7] = (uint8_t)ts;
            gst_buffer_unmap(b, &mi);
        }
        GST_BUFFER_PTS(b) = GST_BUFFER_DTS(b) = (GstClockTime)run_ns(lb->pipe);
        GST_BUFFER_DURATION(b) = GST_CLOCK_TIME_NONE;
        gst_app_src_push_buffer(GST_APP_SRC(video ? lb->vsrc : lb->asrc), b);
        (*i)++;
    }
    return NULL;
}

static live_bench_t *live_start(void)
{
    gst_init(NULL, NULL);
    GError *ge = NULL;
    GstElement *rec = gst_parse_launch(
        "videotestsrc pattern=smpte horizontal-speed=6 num-buffers=250 ! "
        "video/x-raw,width=1280,height=720,framerate=25/1 ! "
        "vp8enc deadline=1 cpu-used=8 target-bitrate=1500000 keyframe-max-dist=50 ! "
        "rtpvp8pay pt=96 mtu=1200 ! appsink name=v sync=false "
        "audiotestsrc wave=sine num-buffers=500 samplesperbuffer=960 ! "
        "audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay pt=111 ! "
        "appsink name=a sync=false",
        &ge);
    if (!rec) {
        fprintf(stderr, "live clip: %s\n", ge ? ge->message : "?");
        return NULL;
    }
    live_bench_t *lb = g_new0(live_bench_t, 1);
    GstElement *v = gst_bin_get_by_name(GST_BIN(rec), "v");
    GstElement *a = gst_bin_get_by_name(GST_BIN(rec), "a");
    gst_element_set_state(rec, GST_STATE_PLAYING);
    /* both sinks have to be drained together: two pullers */
    clip_pull(v, &lb->v);
    clip_pull(a, &lb->a);
    gst_element_set_state(rec, GST_STATE_NULL);
    gst_object_unref(v);
    gst_object_unref(a);
    gst_object_unref(rec);
    if (lb->v.n == 0 || lb->a.n == 0) {
        fprintf(stderr, "live clip: nothing encoded\n");
        return NULL;
    }
    lb->loop_ns = 10 * (int64_t)GST_SECOND;
    char *desc = yj_iptv_live_pipeline_desc("VP8", 96, 111, 2000000);
    lb->pipe = gst_parse_launch(desc, &ge);
    g_free(desc);
    if (!lb->pipe) {
        fprintf(stderr, "live pipeline: %s\n", ge ? ge->message : "?");
        return NULL;
    }
    lb->vsrc = gst_bin_get_by_name(GST_BIN(lb->pipe), "vsrc");
    lb->asrc = gst_bin_get_by_name(GST_BIN(lb->pipe), "asrc");
    GstElement *vs = gst_bin_get_by_name(GST_BIN(lb->pipe), "vsink");
    GstElement *as = gst_bin_get_by_name(GST_BIN(lb->pipe), "asink");
    GstAppSinkCallbacks cb = {.new_sample = live_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(vs), &cb, lb, NULL);
    g_object_set(as, "drop", TRUE, "max-buffers", 1, NULL);
    gst_object_unref(vs);
    gst_object_unref(as);
    g_mutex_init(&lb->mu);
    lb->lat_ms = g_array_new(FALSE, FALSE, sizeof(double));
    GstClock *clk = gst_system_clock_obtain(); /* as source_live.c: our own base time */
    gst_pipeline_use_clock(GST_PIPELINE(lb->pipe), clk);
    gst_element_set_start_time(lb->pipe, GST_CLOCK_TIME_NONE);
    gst_element_set_base_time(lb->pipe, gst_clock_get_time(clk));
    gst_object_unref(clk);
    gst_element_set_state(lb->pipe, GST_STATE_PLAYING);
    lb->base_ns = run_ns(lb->pipe) + 50000000;
    lb->thread = g_thread_new("live-push", live_push, lb);
    return lb;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void live_stop(live_bench_t *lb, double wall)
{
    atomic_store(&lb->counting, false);
    atomic_store(&lb->stop, true);
    g_thread_join(lb->thread);
    long long fr = atomic_load(&lb->frames);
    double fps = (double)fr / wall, med = 0, worst = 0;
    g_mutex_lock(&lb->mu);
    if (lb->lat_ms->len) {
        g_array_sort(lb->lat_ms, cmp_d);
        med = g_array_index(lb->lat_ms, double, lb->lat_ms->len / 2);
        worst = g_array_index(lb->lat_ms, double, lb->lat_ms->len - 1);
    }
    g_mutex_unlock(&lb->mu);
    printf("live_720p: frames_in_per_s=25.0 frames_out_per_s=%.2f realtime=%s "
           "arrival_to_h264_ms median=%.0f worst=%.0f\n",
           fps, fps >= 25 * 0.98 ? "yes" : "NO", med, worst);
    gst_element_set_state(lb->pipe, GST_STATE_NULL);
    gst_object_unref(lb->vsrc);
    gst_object_unref(lb->asrc);
    gst_object_unref(lb->pipe);
}

int main(int argc, char **argv)
{
    const char *lesson = NULL;
    int channels = 100, bitrate = 2000000, seconds = 30, port = 20000, live = 0;
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
        else if (!strcmp(argv[i], "--live"))
            live = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
    }
    if (!lesson || channels < 0 || channels > 2000 || seconds < 2) {
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
    live_bench_t *lb = live ? live_start() : NULL;
    if (live && !lb)
        return 2;
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
            if (lb)
                atomic_store(&lb->counting, true);
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
    if (lb)
        live_stop(lb, wall);
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
