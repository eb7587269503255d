/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer_bench.c — CPU the recording writer spends per recorded packet.
 *
 * N producer threads stand in for media workers' taps: each pushes RTP
 * packets (1,100-byte video and 120-byte audio alternating, like a
 * camera plus microphone) into its own track at a paced rate; the writer
 * thread drains them into pcap files under a temporary folder with the
 * usual 1 s fdatasync. Prints the push cost (producer CPU per packet),
 * the writer's CPU per packet (process CPU minus producers' CPU), drops,
 * and bytes per packet on disk. Usage: writer_bench [tracks] [packets per
 * track] [dir]. Not a test: it prints figures and always exits 0 unless
 * something failed outright.
 */
#define _GNU_SOURCE
#include "recordings/writer.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
    yj_rec_track_t *t;
    long n;
    long sent;
    double cpu_s;
} prod_t;

static double cpu_of(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static gpointer producer(gpointer d)
{
    prod_t *p = d;
    uint8_t pkt[1100];
    memset(pkt, 0x5a, sizeof pkt);
    pkt[0] = 0x80;
    pkt[1] = 96;
    double c0 = cpu_of(RUSAGE_THREAD);
    for (long i = 0; i < p->n; i++) {
        pkt[2] = (uint8_t)(i >> 8);
        pkt[3] = (uint8_t)i;
        size_t len = i % 2 ? 120 : sizeof pkt;
        if (yj_rec_track_push(p->t, pkt, len, g_get_real_time(), false))
            p->sent++;
        if (i % 100 == 99)
            g_usleep(2000); /* ~50k packets/s per track at most */
    }
    p->cpu_s = cpu_of(RUSAGE_THREAD) - c0;
    return NULL;
}

int main(int argc, char **argv)
{
    int tracks = argc > 1 ? atoi(argv[1]) : 8;
    long per = argc > 2 ? atol(argv[2]) : 100000;
    char *dir = argc > 3 ? g_strdup(argv[3]) : g_dir_make_tmp("yj-wbench-XXXXXX", NULL);
    if (tracks < 1 || tracks > 64 || per < 1) {
        fprintf(stderr, "usage: writer_bench [tracks 1-64] [packets per track] [dir]\n");
        return 2;
    }
    yj_rec_writer_t *w = yj_rec_writer_new(4096, NULL, NULL);
    prod_t *p = g_new0(prod_t, tracks);
    GThread **th = g_new(GThread *, tracks);
    double c0 = cpu_of(RUSAGE_SELF);
    int64_t t0 = g_get_monotonic_time();
    for (int i = 0; i < tracks; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%d.pcap", i);
        char *path = g_build_filename(dir, name, NULL);
        p[i].t = yj_rec_track_open(w, path, NULL);
        g_free(path);
        if (!p[i].t) {
            fprintf(stderr, "cannot open a track file in %s\n", dir);
            return 1;
        }
        p[i].n = per;
        th[i] = g_thread_new("prod", producer, &p[i]);
    }
    long sent = 0;
    double prod_cpu = 0;
    for (int i = 0; i < tracks; i++) {
        g_thread_join(th[i]);
        sent += p[i].sent;
        prod_cpu += p[i].cpu_s;
        yj_rec_track_end(p[i].t);
    }
    uint64_t dropped = 0, bytes = 0;
    for (int i = 0; i < tracks; i++) {
        yj_rec_track_stats_t st;
        for (;;) {
            yj_rec_track_stats(p[i].t, &st);
            if (st.closed)
                break;
            g_usleep(5000);
        }
        dropped += st.dropped;
        bytes += st.bytes;
    }
    double wall = (g_get_monotonic_time() - t0) / 1e6;
    double total = cpu_of(RUSAGE_SELF) - c0;
    double writer = total - prod_cpu;
    printf("tracks %d, packets pushed %ld (%ld taken, %llu dropped), wall %.2f s\n", tracks,
           (long)tracks * per, sent, (unsigned long long)dropped, wall);
    printf("push (tap side): %.0f ns CPU per packet\n", prod_cpu / (double)(tracks * per) * 1e9);
    printf("writer thread:   %.0f ns CPU per packet written (%.1f%% of one core at this rate)\n",
           writer / (double)sent * 1e9, writer / wall * 100);
    printf("on disk:         %.1f bytes per packet (payload avg 610)\n", (double)bytes / sent);
    for (int i = 0; i < tracks; i++)
        yj_rec_track_release(p[i].t);
    yj_rec_writer_free(w);
    if (argc <= 3) {
        char *cmd = g_strdup_printf("rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
        g_free(cmd);
    }
    g_free(dir);
    g_free(p);
    g_free(th);
    return 0;
}
