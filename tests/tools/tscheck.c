/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tscheck.c — build/yj-tscheck: judges an MPEG-TS capture file or a live
 * UDP/RTP stream with iptv/ts_check.c and prints the report as JSON.
 *
 *   yj-tscheck [--bitrate N] [--datagram 1316] capture.ts
 *   yj-tscheck --bitrate N [--seconds 60] [--out capture.ts] udp://[@]GROUP:PORT
 *
 * For UDP it joins the group (multicast) or binds the port (unicast),
 * takes kernel arrival times (SO_TIMESTAMPNS) for the pacing figures,
 * optionally writes the TS payload to --out, and stops --seconds after
 * the first datagram or 10 s without any. It only listens; it never
 * sends. Exit status 0 when it could read, 1 on usage, 2 on I/O errors.
 */
#include "iptv/ts_check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int open_udp(const char *url, const char *iface)
{
    /* udp://[@][source@]group:port */
    const char *h = url + 6;
    if (*h == '@')
        h++;
    const char *at = strchr(h, '@');
    if (at)
        h = at + 1; /* a source address is ignored here: any-source join */
    char host[64];
    const char *colon = strrchr(h, ':');
    if (!colon || (size_t)(colon - h) >= sizeof host)
        return -1;
    memcpy(host, h, (size_t)(colon - h));
    host[colon - h] = 0;
    int port = atoi(colon + 1);
    struct in_addr group;
    if (inet_pton(AF_INET, host, &group) != 1 || port <= 0 || port > 65535)
        return -1;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1, rcv = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    bool mcast = IN_MULTICAST(ntohl(group.s_addr));
    sa.sin_addr = mcast ? group : group;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "yj-tscheck: bind %s:%d: %s\n", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    if (mcast) {
        struct ip_mreq mr = {.imr_multiaddr = group};
        if (iface)
            inet_pton(AF_INET, iface, &mr.imr_interface);
        if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
            fprintf(stderr, "yj-tscheck: join %s: %s\n", host, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

int main(int argc, char **argv)
{
    int bitrate = 0, datagram = 1316, seconds = 60;
    const char *out = NULL, *iface = NULL, *src = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bitrate") && i + 1 < argc)
            bitrate = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--datagram") && i + 1 < argc)
            datagram = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--iface") && i + 1 < argc)
            iface = argv[++i];
        else if (argv[i][0] != '-' || !strcmp(argv[i], "-"))
            src = argv[i];
        else {
            fprintf(stderr, "yj-tscheck: unknown option %s\n", argv[i]);
            return 1;
        }
    }
    if (!src) {
        fprintf(stderr, "usage: yj-tscheck [--bitrate N] [--datagram 1316] [--seconds S] "
                        "[--out FILE] [--iface ADDR] (FILE | udp://[@]GROUP:PORT)\n");
        return 1;
    }
    yj_ts_report_t r;
    if (!g_str_has_prefix(src, "udp://") && !g_str_has_prefix(src, "rtp://")) {
        gchar *data = NULL;
        gsize len = 0;
        GError *e = NULL;
        if (!g_file_get_contents(src, &data, &len, &e)) {
            fprintf(stderr, "yj-tscheck: %s\n", e->message);
            g_error_free(e);
            return 2;
        }
        if (bitrate <= 0)
            bitrate = yj_ts_estimate_bitrate((const uint8_t *)data, len);
        if (bitrate <= 0) {
            fprintf(stderr, "yj-tscheck: no PCR to estimate the bitrate: give --bitrate\n");
            g_free(data);
            return 2;
        }
        yj_ts_check_t *c = yj_ts_check_new(bitrate, 0);
        yj_ts_check_bytes(c, (const uint8_t *)data, len);
        yj_ts_check_report(c, &r);
        yj_ts_check_free(c);
        g_free(data);
    } else {
        if (bitrate <= 0) {
            fprintf(stderr, "yj-tscheck: --bitrate is needed for a live stream\n");
            return 1;
        }
        int fd = open_udp(src, iface);
        if (fd < 0) {
            fprintf(stderr, "yj-tscheck: cannot listen on %s\n", src);
            return 2;
        }
        FILE *f = out ? fopen(out, "wb") : NULL;
        yj_ts_check_t *c = yj_ts_check_new(bitrate, datagram);
        int64_t first = 0, last = mono_ns();
        uint8_t buf[65536];
        char ctl[256];
        for (;;) {
            int64_t now = mono_ns();
            if (first && now - first >= (int64_t)seconds * 1000000000LL)
                break;
            if (now - last > 10000000000LL)
                break;
            struct pollfd pf = {.fd = fd, .events = POLLIN};
            if (poll(&pf, 1, 200) <= 0)
                continue;
            struct iovec iov = {buf, sizeof buf};
            struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
            ssize_t n = recvmsg(fd, &mh, 0);
            if (n <= 0)
                continue;
            int64_t at = mono_ns();
            for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                    struct timespec ts;
                    memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                    at = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
                }
            if (!first)
                first = mono_ns();
            last = mono_ns();
            yj_ts_check_datagram(c, buf, (size_t)n, at);
            if (f) {
                size_t off = 0;
                if (n >= 12 && (buf[0] & 0xC0) == 0x80 && (buf[1] & 0x7F) == 33)
                    off = 12; /* RTP: keep the TS only */
                fwrite(buf + off, 1, (size_t)n - off, f);
            }
        }
        if (f)
            fclose(f);
        close(fd);
        yj_ts_check_report(c, &r);
        yj_ts_check_free(c);
    }
    char *j = yj_ts_report_json(&r);
    printf("%s\n", j);
    g_free(j);
    return 0;
}
