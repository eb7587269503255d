/* SPDX-License-Identifier: Apache-2.0 */
/*
 * udp_floor.c — what the kernel alone costs per forwarded packet on this
 * machine: the CPU time (user + system) of a sender that does nothing but
 * send 1,200-byte UDP datagrams on loopback, one to each of N receiving
 * sockets in turn, as an SFU fans a packet out to N subscribers. A second
 * process on another CPU drains the receivers without sleeping (as the
 * SFU load tool does). On loopback the receivers' side of the UDP path
 * runs in the sender's context, so this is the floor under the server's
 * "CPU per forwarded packet" in bench/sfu/run.sh: no SFU on this machine
 * can go below it.
 *
 *   bench_sfu_udp_floor [--subs 500] [--packets 300000] [--batch 1|64]
 *     --batch 1: sendto() per packet from a socket per subscriber;
 *     --batch 64: sendmmsg() of up to 64 packets from one shared socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static double cpu_us(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 +
           (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

static int udp_socket(struct sockaddr_in *bound)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a))
        return -1;
    socklen_t l = sizeof *bound;
    getsockname(fd, (struct sockaddr *)bound, &l);
    return fd;
}

int main(int argc, char **argv)
{
    int subs = 500, packets = 300000, batch = 1;
    GOptionEntry entries[] = {
        {"subs", 0, 0, G_OPTION_ARG_INT, &subs, "receiving sockets", "N"},
        {"packets", 0, 0, G_OPTION_ARG_INT, &packets, "datagrams to send", "N"},
        {"batch", 0, 0, G_OPTION_ARG_INT, &batch, "1: sendto; >1: sendmmsg batch", "N"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *ctx = g_option_context_new("- loopback UDP cost per packet");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, NULL) || subs < 1 || subs > 4000 ||
        packets < 1 || batch < 1 || batch > 64) {
        fprintf(stderr, "usage: %s [--subs 1..4000] [--packets N] [--batch 1..64]\n", argv[0]);
        return 2;
    }
    g_option_context_free(ctx);
    int *rx = g_new(int, subs), *tx = g_new(int, subs);
    struct sockaddr_in *to = g_new0(struct sockaddr_in, subs), any;
    for (int i = 0; i < subs; i++) {
        rx[i] = udp_socket(&to[i]);
        tx[i] = udp_socket(&any);
        if (rx[i] < 0 || tx[i] < 0) {
            perror("socket (raise ulimit -n?)");
            return 1;
        }
    }
    pid_t drain = fork();
    if (drain == 0) {
        int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
        if (cpus > 1) {
            cpu_set_t cs;
            CPU_ZERO(&cs);
            CPU_SET(cpus - 1, &cs);
            sched_setaffinity(0, sizeof cs, &cs);
        }
        char b[2048];
        for (;;) /* until killed; never sleeps */
            for (int i = 0; i < subs; i++)
                while (recv(rx[i], b, sizeof b, MSG_DONTWAIT) > 0)
                    ;
    }
    uint8_t pkt[1200];
    memset(pkt, 0x5a, sizeof pkt);
    struct mmsghdr m[64];
    struct iovec io = {.iov_base = pkt, .iov_len = sizeof pkt};
    usleep(100000);
    double c0 = cpu_us();
    int sent = 0, failed = 0;
    while (sent < packets) {
        if (batch == 1) {
            for (int i = 0; i < subs && sent < packets; i++, sent++)
                if (sendto(tx[i], pkt, sizeof pkt, 0, (struct sockaddr *)&to[i], sizeof to[i]) < 0)
                    failed++;
        } else {
            for (int i = 0; i < subs && sent < packets;) {
                int n = 0;
                for (; n < batch && i < subs && sent < packets; n++, i++, sent++) {
                    memset(&m[n], 0, sizeof m[n]);
                    m[n].msg_hdr.msg_iov = &io;
                    m[n].msg_hdr.msg_iovlen = 1;
                    m[n].msg_hdr.msg_name = &to[i];
                    m[n].msg_hdr.msg_namelen = sizeof to[i];
                }
                int done = sendmmsg(tx[0], m, (unsigned)n, 0);
                failed += done < 0 ? n : n - done;
            }
        }
        usleep(1000); /* pace like a stream: one fan-out, then a pause */
    }
    double us = cpu_us() - c0;
    kill(drain, SIGKILL);
    waitpid(drain, NULL, 0);
    printf("%d packets to %d sockets (%s): %.2f µs CPU per packet, %d not sent\n", packets, subs,
           batch == 1 ? "sendto" : "sendmmsg", us / packets, failed);
    return 0;
}
