/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sfu_bench.c — load tool for the SFU, built on the project's own media
 * stack (media/sdp, dtls, srtp, rtp, rtcp): one WHIP publisher sends a
 * 1 Mbit/s VP8-like + Opus-like stream (100 + 50 packets/s) and N WHEP
 * subscribers receive it, for each N of a list. It reports, per N: packets
 * the server forwarded per second, server CPU time per forwarded packet
 * (from /proc/PID/stat of the daemon), loss seen by the subscribers (gaps
 * in the sequence numbers of every stream; < 0.5 % counts as sustained),
 * forwarding latency p50/p99 (publisher send → subscriber receive, on a
 * sample of packets that are decrypted and carry the send time), and the
 * daemon's resident memory per added subscriber (growth since the previous
 * step over the subscribers added in this one).
 *
 * The clients are deliberately cheap so that one core can drive the
 * server: plain UDP sockets in one epoll, ICE done by hand (controlling,
 * STUN Binding with MESSAGE-INTEGRITY/FINGERPRINT, answering the server's
 * checks), DTLS through media/dtls.c, and only every Kth received packet
 * decrypted. Not a test: it prints figures (bench/RESULTS.md).
 *
 * Past saturation the server refuses viewers (503 at_capacity): each
 * refusal is counted ("refused"), retried after 250 ms for at most 15 s
 * of the step, and the step goes on with those admitted; "pub
 * rtcp/s" is the SRTCP the publisher received from the server during the
 * step (its receiver reports: 0 means the server dropped the publisher).
 * --watch S then keeps everyone for S more seconds and prints one line a
 * second (packets each viewer received, the publisher's RTCP), which
 * tests/integration/overload.test.mjs reads while it loads the server.
 *
 *   bench_sfu_sfu_bench --url http://127.0.0.1:PORT --token T --pid DAEMON_PID
 *                       [--subs 50,100,200] [--seconds 10] [--sample 20] [--burst]
 *                       [--watch S]
 *
 * Peer mode (issue 11 §3, bench/sfu/peer.sh), for any WHIP/WHEP server:
 *
 *   bench_sfu_sfu_bench --whip-url URL --whep-url URL [--token T] --pid SERVER_PID
 *                       [--codec vp8|h264] [--keyint 50] [--distinct-ips] [...]
 *
 * The publisher POSTs to the WHIP URL, each viewer to the WHEP URL (DELETE
 * to the Location each answers, relative or absolute). "fwd pkt/s" is then
 * the RTP packets the viewers received (not the daemon's /metrics), and CPU
 * per forwarded packet is the server's /proc/PID/stat time over that count;
 * loss is the gaps in each received stream's sequence numbers (a server
 * that renumbers keeps them consecutive, and one that drops shows gaps).
 * --codec h264 sends a stream a NAL-parsing server accepts: packetization
 * mode 1, every --keyint frames (and on PLI/FIR) a STAP-A with SPS and PPS
 * then an IDR slice, other frames one non-IDR slice, each slice in four
 * FU-A fragments with the marker bit on the last.
 * Latency: servers rewrite SSRC, sequence numbers, payload types and
 * header extensions (SRS re-maps extension ids and drops unknown ones), but
 * an SFU forwards the payload bytes untouched, so the send time (CLOCK_
 * MONOTONIC µs; publisher and viewers are one process) travels in the
 * payload: binary after the 2 VP8/Opus bytes, or for H.264 as text
 * ("YJB1" + 16 hex digits, no zero bytes that could form a start code) at
 * payload offset 3. Every --sample'th packet a viewer receives is
 * decrypted and its age taken; p50/p99 are over those samples.
 * --distinct-ips: SRS answers every session with its one UDP port and
 * tells sessions apart by the client's address, so the viewers' shared
 * sockets (bound to 0.0.0.0, IP_PKTINFO) send from 127.1.x.y, one address
 * each; use it only inside a network namespace with lo alone (peer.sh).
 * Peer mode also sends STUN consent checks every 1.5–2.5 s, as browsers
 * do (SRS drops sessions silent for stun_timeout, 30 s).
 */
#define _GNU_SOURCE
#include "media/dtls.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/sdp.h"
#include "media/srtp.h"
#include "core/yj.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VIDEO_SSRC 0x11110001u
#define AUDIO_SSRC 0x22220002u
#define MAGIC 0x594a4231u /* "YJB1" in the payload: send time follows */

typedef struct {
    int fd;
    struct sockaddr_in remote;
    char lufrag[16], lpwd[40], rufrag[64], rpwd[160];
    uint64_t tie;
    bool ice_ok, nominated;
    int64_t next_check;
    int64_t next_rr; /* subscribers report once a second, as browsers do */
    yj_dtls_t *dtls;
    yj_srtp_t *in, *out;
    bool publisher;
    /* subscriber statistics */
    struct {
        uint32_t ssrc;
        int64_t highest;
        bool init;
    } st[4];
    uint64_t received, lost, sampled;
    uint64_t rtcp_in; /* publisher: SRTCP from the server that authenticated */
    char location[256];
    /* --distinct-ips: this client's own loopback address (127.1.x.y for
     * subscribers), the source of everything it sends; 0 otherwise. */
    struct in_addr local_ip;
    int64_t next_consent; /* peer mode: STUN consent checks every 2 s */
} client_t;

static yj_dtls_cert_t *cert;
static const char *opt_url, *opt_token, *opt_room = "bench", *opt_subs = "50,100,200";
static int opt_pid, opt_seconds = 10, opt_sample = 20, opt_watch;
static int last_status; /* of the last WHIP/WHEP POST */
static gboolean opt_viewers_only;
/* Peer mode (any server): --whip-url / --whep-url instead of --url, token
 * optional, forwarded packets counted at the subscribers. */
static const char *opt_whip_url, *opt_whep_url, *opt_codec = "vp8";
static gboolean opt_distinct_ips;
static int opt_keyint = 50; /* H.264: SPS/PPS + IDR every K frames */
static bool peer_mode, h264;
static GHashTable *by_addr; /* --distinct-ips: (local ip, server port) -> client_t* */
static int epfd;
static GPtrArray *clients;
static client_t *pub;
static GArray *lat; /* latency samples, µs (double) */
static bool want_key = true;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sends from c's socket; with --distinct-ips, from c's own loopback
 * address (IP_PKTINFO), so that a server which demultiplexes sessions by
 * the client's address (SRS: one UDP port for all) sees one per client. */
static void client_send(const client_t *c, const void *b, size_t n, const struct sockaddr_in *to)
{
    if (!opt_distinct_ips || !c->local_ip.s_addr) {
        sendto(c->fd, b, n, 0, (const struct sockaddr *)to, sizeof *to);
        return;
    }
    struct iovec iov = {.iov_base = (void *)b, .iov_len = n};
    union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr m = {.msg_name = (void *)to,
                       .msg_namelen = sizeof *to,
                       .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = IPPROTO_IP;
    cm->cmsg_type = IP_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pi = {.ipi_spec_dst = c->local_ip};
    memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    sendmsg(c->fd, &m, 0);
}

/* ------------------------------------------------------------------ */
/* STUN (RFC 5389/8445) by hand                                        */
/* ------------------------------------------------------------------ */

static uint32_t crc_table[256];
static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}
static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static size_t put_attr(uint8_t *b, size_t off, uint16_t type, const void *v, uint16_t len)
{
    b[off] = (uint8_t)(type >> 8);
    b[off + 1] = (uint8_t)type;
    b[off + 2] = (uint8_t)(len >> 8);
    b[off + 3] = (uint8_t)len;
    memcpy(b + off + 4, v, len);
    size_t n = 4 + ((len + 3u) & ~3u);
    memset(b + off + 4 + len, 0, n - 4 - len);
    return off + n;
}

/* Appends MESSAGE-INTEGRITY (key) and FINGERPRINT; returns the length. */
static size_t stun_finish(uint8_t *b, size_t off, const char *key)
{
    b[2] = (uint8_t)((off + 24 - 20) >> 8);
    b[3] = (uint8_t)(off + 24 - 20);
    unsigned int mlen = 20;
    uint8_t mac[20];
    HMAC(EVP_sha1(), key, (int)strlen(key), b, off, mac, &mlen);
    off = put_attr(b, off, 0x0008, mac, 20);
    b[2] = (uint8_t)((off + 8 - 20) >> 8);
    b[3] = (uint8_t)(off + 8 - 20);
    uint32_t fp = htonl(crc32(b, off) ^ 0x5354554eu);
    return put_attr(b, off, 0x8028, &fp, 4);
}

static void send_check(client_t *c)
{
    uint8_t b[256];
    b[0] = 0x00;
    b[1] = 0x01;
    uint32_t magic = htonl(0x2112A442);
    memcpy(b + 4, &magic, 4);
    RAND_bytes(b + 8, 12);
    size_t off = 20;
    char user[128];
    g_snprintf(user, sizeof user, "%s:%s", c->rufrag, c->lufrag);
    off = put_attr(b, off, 0x0006, user, (uint16_t)strlen(user));
    uint32_t prio = htonl(1853824767u);
    off = put_attr(b, off, 0x0024, &prio, 4);
    uint64_t tie = c->tie;
    off = put_attr(b, off, 0x802A, &tie, 8);
    off = put_attr(b, off, 0x0025, "", 0); /* USE-CANDIDATE: aggressive */
    off = stun_finish(b, off, c->rpwd);
    client_send(c, b, off, &c->remote);
}

/* Success response to the server's check (XOR-MAPPED-ADDRESS of it). */
static void answer_check(client_t *c, const uint8_t *req, size_t len, struct sockaddr_in *from)
{
    if (len < 20)
        return;
    uint8_t b[256];
    b[0] = 0x01;
    b[1] = 0x01;
    memcpy(b + 4, req + 4, 16);
    size_t off = 20;
    uint8_t xa[8] = {0, 1};
    uint16_t port = ntohs(from->sin_port) ^ 0x2112;
    xa[2] = (uint8_t)(port >> 8);
    xa[3] = (uint8_t)port;
    uint32_t ip = from->sin_addr.s_addr ^ htonl(0x2112A442);
    memcpy(xa + 4, &ip, 4);
    off = put_attr(b, off, 0x0020, xa, 8);
    off = stun_finish(b, off, c->lpwd);
    client_send(c, b, off, from);
}

/* ------------------------------------------------------------------ */
/* HTTP (blocking, setup only)                                         */
/* ------------------------------------------------------------------ */

/* POSTs body; returns the response body (g_free) and the Location. */
static char *http_at(const char *base, const char *method, const char *path, const char *ctype,
                     const char *body, int *status, char *location, size_t lsize);
static guint http_timeout = 15; /* seconds; 2 for the DELETEs at exit in peer mode */

static char *http(const char *method, const char *path, const char *ctype, const char *body,
                  int *status, char *location, size_t lsize)
{
    return http_at(opt_url, method, path, ctype, body, status, location, lsize);
}

/* As http(), against the host and port of `base` (any URL); a `path` that
 * is itself an absolute URL is sent as its path and query. No
 * Authorization header without a token (peers such as SRS need none). */
static char *http_at(const char *base, const char *method, const char *path, const char *ctype,
                     const char *body, int *status, char *location, size_t lsize)
{
    g_autoptr(GUri) uri = g_uri_parse(base, G_URI_FLAGS_NONE, NULL);
    *status = 0;
    if (!uri)
        return NULL;
    g_autofree char *abs_path = NULL;
    if (g_str_has_prefix(path, "http://") || g_str_has_prefix(path, "https://")) {
        g_autoptr(GUri) pu = g_uri_parse(path, G_URI_FLAGS_NONE, NULL);
        if (pu) {
            const char *q = g_uri_get_query(pu);
            abs_path = g_strdup_printf("%s%s%s", *g_uri_get_path(pu) ? g_uri_get_path(pu) : "/",
                                       q ? "?" : "", q ? q : "");
            path = abs_path;
        }
    }
    int port = g_uri_get_port(uri);
    if (port <= 0)
        port = 80;
    GSocketClient *sc = g_socket_client_new();
    /* A saturated server may accept and never answer (SRS at capacity):
     * a POST that times out counts as a viewer not admitted. */
    g_socket_client_set_timeout(sc, http_timeout);
    GSocketConnection *conn =
        g_socket_client_connect_to_host(sc, g_uri_get_host(uri), (guint16)port, NULL, NULL);
    g_object_unref(sc);
    if (!conn)
        return NULL;
    GString *req = g_string_new(NULL);
    g_string_append_printf(req,
                           "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%s"
                           "Connection: close\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
                           method, path, g_uri_get_host(uri), port,
                           opt_token ? "Authorization: Bearer " : "", opt_token ? opt_token : "",
                           opt_token ? "\r\n" : "", ctype, body ? strlen(body) : 0,
                           body ? body : "");
    GOutputStream *os = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    g_output_stream_write_all(os, req->str, req->len, NULL, NULL, NULL);
    g_string_free(req, TRUE);
    GInputStream *is = g_io_stream_get_input_stream(G_IO_STREAM(conn));
    GString *resp = g_string_new(NULL);
    char buf[8192];
    gssize n;
    while ((n = g_input_stream_read(is, buf, sizeof buf, NULL, NULL)) > 0)
        g_string_append_len(resp, buf, n);
    g_object_unref(conn);
    *status = 0;
    sscanf(resp->str, "HTTP/1.%*d %d", status);
    if (location) {
        location[0] = 0;
        const char *l = strcasestr(resp->str, "\r\nLocation: ");
        if (l) {
            l += 12;
            size_t k = strcspn(l, "\r\n");
            g_strlcpy(location, l, MIN(lsize, k + 1));
        }
    }
    char *sep = strstr(resp->str, "\r\n\r\n");
    char *out = g_strdup(sep ? sep + 4 : "");
    g_string_free(resp, TRUE);
    return out;
}

/* ------------------------------------------------------------------ */
/* clients                                                             */
/* ------------------------------------------------------------------ */

static void dtls_out(const uint8_t *d, size_t n, void *ud)
{
    client_t *c = ud;
    client_send(c, d, n, &c->remote);
}

static void random_str(char *out, size_t n)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    uint8_t r[64];
    RAND_bytes(r, sizeof r);
    for (size_t i = 0; i + 1 < n; i++)
        out[i] = al[r[i] % (sizeof al - 1)];
    out[n - 1] = 0;
}

static void media_line(yj_sdp_media_t *m, bool video, const char *mid, int dir)
{
    memset(m, 0, sizeof *m);
    g_strlcpy(m->kind, video ? "video" : "audio", sizeof m->kind);
    m->is_audio = !video;
    m->is_video = video;
    g_strlcpy(m->proto, "UDP/TLS/RTP/SAVPF", sizeof m->proto);
    g_strlcpy(m->mid, mid, sizeof m->mid);
    m->rtcp_mux = true;
    m->dir = dir;
    yj_sdp_codec_t c = {.apt = -1};
    if (video) {
        c.pt = 96;
        c.codec = YJ_CODEC_VP8;
        g_strlcpy(c.name, "VP8", sizeof c.name);
        c.clock = 90000;
        c.fb = YJ_FB_NACK | YJ_FB_PLI | YJ_FB_REMB;
    } else {
        c.pt = 111;
        c.codec = YJ_CODEC_OPUS;
        g_strlcpy(c.name, "opus", sizeof c.name);
        c.clock = 48000;
        c.channels = 2;
    }
    m->codecs[m->n_codecs++] = c;
    m->ext[m->n_ext++] = (yj_sdp_extmap_t){.id = 4, .ext = YJ_EXT_MID};
    if (dir & YJ_DIR_SEND) {
        m->ssrc[0] = video ? VIDEO_SSRC : AUDIO_SSRC;
        m->n_ssrc = 1;
        g_strlcpy(m->cname, "bench", sizeof m->cname);
        g_snprintf(m->msid, sizeof m->msid, "bench %s", video ? "v" : "a");
    }
}

/* Subscribers share N_SHARED sockets (a socket per subscriber made the
 * tool, not the server, the bottleneck: an epoll event and a recvmmsg for
 * every one or two packets); packets are told apart by the server's port,
 * which is different for every subscriber's ICE transport. */
#define N_SHARED 8
static int shared_fds[N_SHARED] = {-1, -1, -1, -1, -1, -1, -1, -1};
static GHashTable *by_port; /* server port -> client_t* */
static unsigned n_clients;

/* Shared socket i (made on first use), or a new one for i < 0. */
static int shared_socket(int i)
{
    if (i >= 0 && shared_fds[i] >= 0)
        return shared_fds[i];
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (opt_distinct_ips) {
        /* Receives for every 127.x.y.z: only inside a network namespace
         * whose only interface is lo (bench/sfu/peer.sh runs in one). */
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        int on = 1;
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    }
    bind(fd, (struct sockaddr *)&a, sizeof a);
    int big = 64 << 20; /* bursts: 4 packets x thousands of subscribers */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    if (i >= 0)
        shared_fds[i] = fd;
    return fd;
}

/* Key of a client in by_addr: its local address and the server's port. */
static gsize addr_key(uint32_t local_ip_be, uint16_t server_port_be)
{
    return (gsize)ntohl(local_ip_be) << 16 | ntohs(server_port_be);
}

/* Peer mode: a server may answer every session with the same port (SRS
 * does); the shared sockets then cannot tell the subscribers apart, so
 * that needs --distinct-ips. Returns false (and says why) on a clash. */
static bool register_peer_client(client_t *c)
{
    if (opt_distinct_ips) {
        if (!by_addr)
            by_addr = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_insert(by_addr,
                            GSIZE_TO_POINTER(addr_key(c->local_ip.s_addr, c->remote.sin_port)), c);
        return true;
    }
    if (g_hash_table_lookup(by_port, GINT_TO_POINTER((int)ntohs(c->remote.sin_port)))) {
        fprintf(stderr,
                "sfu_bench: the server answered port %d for two sessions (one UDP port "
                "for all, as SRS does): run with --distinct-ips inside a network "
                "namespace (bench/sfu/peer.sh)\n",
                ntohs(c->remote.sin_port));
        return false;
    }
    return true;
}

/* H.264 instead of VP8 on the video m-line (same payload type): packetization
 * mode 1, constrained baseline 3.1, as browsers offer and SRS prefers. */
static void media_h264(yj_sdp_media_t *m)
{
    yj_sdp_codec_t *c = &m->codecs[0];
    c->codec = YJ_CODEC_H264;
    g_strlcpy(c->name, "H264", sizeof c->name);
    g_strlcpy(c->fmtp, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
              sizeof c->fmtp);
}

static client_t *client_new(bool publisher)
{
    client_t *c = g_new0(client_t, 1);
    c->publisher = publisher;
    /* The publisher has a socket of its own; subscribers share a few. */
    c->fd = publisher ? shared_socket(-1) : shared_socket((int)(n_clients++ % N_SHARED));
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    getsockname(c->fd, (struct sockaddr *)&a, &al);
    char cand_ip[INET_ADDRSTRLEN] = "127.0.0.1";
    if (opt_distinct_ips) {
        static unsigned n_ips;
        unsigned k = publisher ? 0 : n_ips++;
        c->local_ip.s_addr = publisher ? htonl(INADDR_LOOPBACK)
                                       : htonl(0x7f010000u | (k / 250) << 8 | (1 + k % 250));
        inet_ntop(AF_INET, &c->local_ip, cand_ip, sizeof cand_ip);
    }
    random_str(c->lufrag, 9);
    random_str(c->lpwd, 25);
    RAND_bytes((uint8_t *)&c->tie, 8);

    yj_sdp_t *o = g_new0(yj_sdp_t, 1);
    o->n_m = 2;
    o->m = g_new0(yj_sdp_media_t, 2);
    o->sess_id = 1;
    int dir = publisher ? YJ_DIR_SEND : YJ_DIR_RECV;
    media_line(&o->m[0], false, "0", dir);
    media_line(&o->m[1], true, "1", dir);
    if (h264)
        media_h264(&o->m[1]);
    g_strlcpy(o->ufrag, c->lufrag, sizeof o->ufrag);
    g_strlcpy(o->pwd, c->lpwd, sizeof o->pwd);
    g_strlcpy(o->fingerprint, yj_dtls_cert_fingerprint(cert), sizeof o->fingerprint);
    g_strlcpy(o->setup, "active", sizeof o->setup);
    g_snprintf(o->cands[0], sizeof o->cands[0], "candidate:1 1 udp 2130706431 %s %d typ host",
               cand_ip, ntohs(a.sin_port));
    o->n_cands = 1;
    o->end_of_candidates = true;
    strcpy(o->bundle[0], "0");
    strcpy(o->bundle[1], "1");
    o->n_bundle = 2;
    char *offer = yj_sdp_write(o);
    yj_sdp_free(o);
    char path[160];
    g_snprintf(path, sizeof path, "/%s/%s", publisher ? "whip" : "whep", opt_room);
    int status;
    const char *peer_url = publisher ? opt_whip_url : opt_whep_url;
    char *answer = peer_mode ? http_at(peer_url, "POST", peer_url, "application/sdp", offer,
                                       &status, c->location, sizeof c->location)
                             : http("POST", path, "application/sdp", offer, &status, c->location,
                                    sizeof c->location);
    if (peer_mode)
        g_strlcpy(path, peer_url, sizeof path);
    g_free(offer);
    last_status = status;
    char *err = NULL;
    yj_sdp_t *ans = status == 201 ? yj_sdp_parse(answer, &err) : NULL;
    if (!ans && status == 503) { /* at capacity: counted by the caller */
        g_free(answer);
        g_free(c);
        return NULL;
    }
    if (!ans) {
        fprintf(stderr, "sfu_bench: %s failed: %d %s %s\n", path, status, answer ? answer : "",
                err ? err : "");
        g_free(answer);
        g_free(err);
        g_free(c);
        return NULL;
    }
    g_free(answer);
    g_strlcpy(c->rufrag, yj_sdp_ufrag(ans), sizeof c->rufrag);
    g_strlcpy(c->rpwd, yj_sdp_pwd(ans), sizeof c->rpwd);
    for (int i = 0; i < ans->n_cands; i++) {
        char ip[64];
        int port;
        char proto[8];
        if (sscanf(ans->cands[i], "candidate:%*s %*d %7s %*u %63s %d typ", proto, ip, &port) == 3 &&
            g_ascii_strcasecmp(proto, "udp") == 0 && strcmp(ip, "127.0.0.1") == 0) {
            c->remote.sin_family = AF_INET;
            c->remote.sin_port = htons((uint16_t)port);
            inet_pton(AF_INET, ip, &c->remote.sin_addr);
            break;
        }
    }
    c->dtls = yj_dtls_new(cert, true, yj_sdp_fingerprint(ans), dtls_out, c);
    yj_sdp_free(ans);
    if (!register_peer_client(c))
        return NULL;
    g_hash_table_insert(by_port, GINT_TO_POINTER((int)ntohs(c->remote.sin_port)), c);
    return c;
}

static void client_free(client_t *c)
{
    if (!c)
        return;
    if (c->location[0]) {
        int st;
        const char *base = c->publisher ? opt_whip_url : opt_whep_url;
        g_free(peer_mode && base
                   ? http_at(base, "DELETE", c->location, "text/plain", NULL, &st, NULL, 0)
                   : http("DELETE", c->location, "text/plain", NULL, &st, NULL, 0));
    }
    if (by_addr && c->local_ip.s_addr)
        g_hash_table_remove(by_addr,
                            GSIZE_TO_POINTER(addr_key(c->local_ip.s_addr, c->remote.sin_port)));
    g_hash_table_remove(by_port, GINT_TO_POINTER((int)ntohs(c->remote.sin_port)));
    if (c->publisher)
        close(c->fd);
    yj_dtls_free(c->dtls);
    yj_srtp_free(c->in);
    yj_srtp_free(c->out);
    g_free(c);
}

static void on_connected(client_t *c)
{
    int profile;
    uint8_t lk[32], rk[32];
    size_t kl;
    if (yj_dtls_srtp_keys(c->dtls, &profile, lk, rk, &kl) == 0) {
        c->out = yj_srtp_new(profile, lk, kl, false);
        c->in = yj_srtp_new(profile, rk, kl, true);
    }
}

static void pli_visit(const yj_rtcp_item_t *it, void *ud)
{
    (void)ud;
    if (it->kind == YJ_RTCPI_PLI || it->kind == YJ_RTCPI_FIR)
        want_key = true;
}

static bool verbose;

/* H.264 payloads carry the send time as text, "YJB1" and 16 hex digits at
 * offset 3 of the RTP payload (after the FU indicator, FU header and one
 * slice-header byte, or after the Opus TOC bytes): no zero bytes, so no
 * start-code or emulation-prevention pattern inside the NAL unit, and an
 * SFU forwards the payload untouched while it rewrites SSRC, sequence
 * numbers and header extensions. */
static void put_text_stamp(uint8_t *at, int64_t t)
{
    static const char hex[] = "0123456789abcdef";
    memcpy(at, "YJB1", 4);
    for (int i = 0; i < 16; i++)
        at[4 + i] = (uint8_t)hex[((uint64_t)t >> (60 - 4 * i)) & 15];
}

static bool text_stamp(const uint8_t *pl, size_t n, int64_t *sent)
{
    if (n < 3 + 20 || memcmp(pl + 3, "YJB1", 4) != 0)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        int d = g_ascii_xdigit_value((char)pl[7 + i]);
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *sent = (int64_t)v;
    return true;
}

static void on_packet(client_t *c, uint8_t *b, size_t n, struct sockaddr_in *from, int64_t now)
{
    if (verbose && (!c->ice_ok || !c->out))
        fprintf(stderr, "sfu_bench: %s got %zu bytes, first %02x %02x\n",
                c->publisher ? "publisher" : "subscriber", n, b[0], n > 1 ? b[1] : 0);
    switch (yj_pkt_classify(b, n)) {
    case YJ_PKT_STUN:
        if (n >= 20 && b[0] == 0x00 && b[1] == 0x01)
            answer_check(c, b, n, from);
        else if (n >= 20 && b[0] == 0x01 && b[1] == 0x01 && !c->ice_ok) {
            c->ice_ok = true;
            yj_dtls_start(c->dtls);
        }
        return;
    case YJ_PKT_DTLS:
        if (yj_dtls_feed(c->dtls, b, n) == YJ_DTLS_CONNECTED)
            on_connected(c);
        return;
    case YJ_PKT_RTCP:
        if (c->publisher && c->in) {
            int len = (int)n;
            if (yj_srtp_unprotect_rtcp(c->in, b, &len) == 0) {
                c->rtcp_in++;
                yj_rtcp_parse(b, (size_t)len, pli_visit, NULL);
            }
        }
        return;
    case YJ_PKT_RTP: {
        if (c->publisher || n < 12)
            return;
        uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
        uint16_t seq = (uint16_t)(b[2] << 8 | b[3]);
        int k = 0;
        while (k < 4 && c->st[k].ssrc && c->st[k].ssrc != ssrc)
            k++;
        if (k == 4)
            return;
        c->st[k].ssrc = ssrc;
        int64_t before = c->st[k].highest;
        bool first = !c->st[k].init;
        int64_t ext = yj_seq_unwrap(seq, &c->st[k].highest, &c->st[k].init);
        if (!first && ext > before + 1)
            c->lost += (uint64_t)(ext - before - 1);
        c->received++;
        if (c->in && opt_sample > 0 && c->received % (uint64_t)opt_sample == 0) {
            int len = (int)n;
            if (yj_srtp_unprotect(c->in, b, &len) == 0) {
                yj_rtp_t p;
                if (yj_rtp_parse(b, (size_t)len, &p) == 0 && p.payload_len >= 14) {
                    uint32_t magic;
                    int64_t sent;
                    memcpy(&magic, p.payload + 2, 4);
                    memcpy(&sent, p.payload + 6, 8);
                    if (magic != MAGIC && text_stamp(p.payload, p.payload_len, &sent))
                        magic = MAGIC;
                    if (magic == MAGIC && sent > 0 && now >= sent) {
                        double d = (double)(now - sent);
                        g_array_append_val(lat, d);
                        c->sampled++;
                    }
                }
            }
        }
        return;
    }
    default:
        return;
    }
}

/* ------------------------------------------------------------------ */
/* publisher                                                           */
/* ------------------------------------------------------------------ */

static uint16_t vseq = 1000, aseq = 2000;
static uint32_t vts = 9000, ats = 4800;
static uint64_t sent_packets;

static void send_rtp(bool video, bool marker, const uint8_t *payload, size_t plen)
{
    if (!pub->out)
        return;
    uint8_t b[1500 + YJ_SRTP_OVERHEAD];
    yj_rtp_ext_elem_t e = {.id = 4, .len = 1, .data = {(uint8_t)(video ? '1' : '0')}};
    int h = yj_rtp_write_header(b, sizeof b, marker, video ? 96 : 111, video ? vseq++ : aseq++,
                                video ? vts : ats, video ? VIDEO_SSRC : AUDIO_SSRC, &e, 1);
    memcpy(b + h, payload, plen);
    int len = h + (int)plen;
    if (yj_srtp_protect(pub->out, b, &len) == 0) {
        sendto(pub->fd, b, (size_t)len, 0, (struct sockaddr *)&pub->remote, sizeof pub->remote);
        sent_packets++;
    }
}

/* 25 frames/s of 4 packets x 1150 bytes (~0.95 Mbit/s) + 50 audio/s. A
 * frame's packets leave 4 ms apart, as a browser's pacer spreads them (it
 * sends at about 2.5 times the media rate); --burst sends them at once. */
static gboolean opt_burst; /* gboolean: G_OPTION_ARG_NONE writes an int */
static gboolean opt_sleep; /* --sleep: epoll_wait up to 1 ms (tool shares the server's cores) */
static gboolean opt_stop_on_loss; /* --stop-on-loss: end after the first step that failed */
static int frame_pkt;             /* next packet of the current frame */

static void publish_tick_h264(int64_t now, int64_t *next_v, int64_t *next_a);

static void publish_tick(int64_t now, int64_t *next_v, int64_t *next_a)
{
    if (h264) {
        publish_tick_h264(now, next_v, next_a);
        return;
    }
    while (now >= *next_a) {
        uint8_t p[120] = {0xfc, 0xff};
        uint32_t m = MAGIC;
        int64_t t = now_us();
        memcpy(p + 2, &m, 4);
        memcpy(p + 6, &t, 8);
        send_rtp(false, false, p, sizeof p);
        ats += 960;
        *next_a += 20000;
    }
    while (now >= *next_v) {
        int i = frame_pkt;
        bool key = i == 0 && want_key;
        if (key)
            want_key = false;
        uint8_t p[1150];
        memset(p, 0x5a, sizeof p);
        p[0] = i == 0 ? 0x10 : 0x00;        /* VP8 descriptor: S=1 on the first */
        p[1] = i == 0 && key ? 0x00 : 0x01; /* payload header: P=0 keyframe */
        uint32_t m = MAGIC;
        int64_t t = now_us();
        memcpy(p + 2, &m, 4);
        memcpy(p + 6, &t, 8);
        send_rtp(true, i == 3, p, sizeof p);
        if (++frame_pkt == 4) {
            frame_pkt = 0;
            vts += 3600;
            *next_v += opt_burst ? 40000 : 40000 - 3 * 4000;
        } else {
            *next_v += opt_burst ? 0 : 4000;
        }
    }
}

/* ---- H.264 (--codec h264) ---- */

typedef struct {
    uint8_t *b;
    size_t n, bit;
} bits_t;

static void put_bit(bits_t *w, int v)
{
    if (w->bit % 8 == 0)
        w->b[w->n++] = 0;
    if (v)
        w->b[w->n - 1] |= (uint8_t)(0x80 >> (w->bit % 8));
    w->bit++;
}
static void put_bits(bits_t *w, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--)
        put_bit(w, (int)(v >> i) & 1);
}
static void put_ue(bits_t *w, uint32_t v)
{
    uint32_t x = v + 1;
    int len = 0;
    while ((x >> len) > 1)
        len++;
    put_bits(w, 0, len);
    put_bits(w, x, len + 1);
}
static void put_se(bits_t *w, int32_t v)
{
    put_ue(w, v <= 0 ? (uint32_t)(-2 * v) : (uint32_t)(2 * v - 1));
}
/* rbsp trailing bits, then emulation prevention into out; returns length */
static size_t nal_finish(bits_t *w, uint8_t *out)
{
    put_bit(w, 1);
    size_t o = 0;
    int zeros = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (zeros >= 2 && w->b[i] <= 3) {
            out[o++] = 3;
            zeros = 0;
        }
        out[o++] = w->b[i];
        zeros = w->b[i] == 0 ? zeros + 1 : 0;
    }
    return o;
}

/* SPS (constrained baseline, level 3.1, 640x480, POC type 2) and PPS
 * (CAVLC) as a parsing server expects them; the slices are not decodable
 * pictures (their data is filler), which no SFU looks at. */
static size_t h264_sps(uint8_t *out)
{
    uint8_t raw[64];
    bits_t w = {raw, 0, 0};
    put_bits(&w, 0x67, 8);
    put_bits(&w, 66, 8);
    put_bits(&w, 0xe0, 8);
    put_bits(&w, 31, 8);
    put_ue(&w, 0);  /* seq_parameter_set_id */
    put_ue(&w, 0);  /* log2_max_frame_num_minus4 */
    put_ue(&w, 2);  /* pic_order_cnt_type */
    put_ue(&w, 1);  /* max_num_ref_frames */
    put_bit(&w, 0); /* gaps_in_frame_num_value_allowed_flag */
    put_ue(&w, 39); /* pic_width_in_mbs_minus1: 640 */
    put_ue(&w, 29); /* pic_height_in_map_units_minus1: 480 */
    put_bit(&w, 1); /* frame_mbs_only_flag */
    put_bit(&w, 1); /* direct_8x8_inference_flag */
    put_bit(&w, 0); /* frame_cropping_flag */
    put_bit(&w, 0); /* vui_parameters_present_flag */
    return nal_finish(&w, out);
}
static size_t h264_pps(uint8_t *out)
{
    uint8_t raw[32];
    bits_t w = {raw, 0, 0};
    put_bits(&w, 0x68, 8);
    put_ue(&w, 0);      /* pic_parameter_set_id */
    put_ue(&w, 0);      /* seq_parameter_set_id */
    put_bit(&w, 0);     /* entropy_coding_mode_flag: CAVLC */
    put_bit(&w, 0);     /* bottom_field_pic_order_in_frame_present_flag */
    put_ue(&w, 0);      /* num_slice_groups_minus1 */
    put_ue(&w, 0);      /* num_ref_idx_l0_default_active_minus1 */
    put_ue(&w, 0);      /* num_ref_idx_l1_default_active_minus1 */
    put_bit(&w, 0);     /* weighted_pred_flag */
    put_bits(&w, 0, 2); /* weighted_bipred_idc */
    put_se(&w, 0);      /* pic_init_qp_minus26 */
    put_se(&w, 0);      /* pic_init_qs_minus26 */
    put_se(&w, 0);      /* chroma_qp_index_offset */
    put_bit(&w, 1);     /* deblocking_filter_control_present_flag */
    put_bit(&w, 0);     /* constrained_intra_pred_flag */
    put_bit(&w, 0);     /* redundant_pic_cnt_present_flag */
    return nal_finish(&w, out);
}

static unsigned h264_frames; /* frames sent, for the periodic IDR */
static bool h264_key;        /* the current frame is an IDR */

/* Same rates and pacing as the VP8 stream (25 frames/s of one slice in 4
 * FU-A fragments of 1150 bytes, marker on the last; Opus-shaped audio at
 * 50/s); a keyframe (every --keyint frames and on PLI/FIR) is preceded by
 * a STAP-A with SPS and PPS at the same timestamp. */
static void publish_tick_h264(int64_t now, int64_t *next_v, int64_t *next_a)
{
    while (now >= *next_a) {
        uint8_t p[120] = {0xfc, 0xff};
        uint32_t m = MAGIC;
        int64_t t = now_us();
        memcpy(p + 2, &m, 4);
        memcpy(p + 6, &t, 8);
        send_rtp(false, false, p, sizeof p);
        ats += 960;
        *next_a += 20000;
    }
    while (now >= *next_v) {
        int i = frame_pkt;
        if (i == 0) {
            h264_key = want_key || opt_keyint <= 0 || h264_frames % (unsigned)opt_keyint == 0;
            want_key = false;
            if (h264_key) {
                uint8_t stap[128], nal[64];
                size_t o = 0;
                stap[o++] = 0x78; /* STAP-A, NRI 3 */
                size_t n = h264_sps(nal);
                stap[o++] = (uint8_t)(n >> 8);
                stap[o++] = (uint8_t)n;
                memcpy(stap + o, nal, n);
                o += n;
                n = h264_pps(nal);
                stap[o++] = (uint8_t)(n >> 8);
                stap[o++] = (uint8_t)n;
                memcpy(stap + o, nal, n);
                o += n;
                send_rtp(true, false, stap, o);
            }
        }
        uint8_t type = h264_key ? 5 : 1, nri = h264_key ? 3 : 2;
        uint8_t p[1150];
        memset(p, 0x5a, sizeof p);
        p[0] = (uint8_t)(nri << 5 | 28);                                    /* FU indicator */
        p[1] = (uint8_t)((i == 0 ? 0x80 : 0) | (i == 3 ? 0x40 : 0) | type); /* FU header */
        if (i == 0)
            p[2] = h264_key ? 0x88 : 0x9a; /* first_mb 0, slice_type 7 (I) / 5 (P), pps 0 */
        put_text_stamp(p + 3, now_us());
        send_rtp(true, i == 3, p, sizeof p);
        if (++frame_pkt == 4) {
            frame_pkt = 0;
            h264_frames++;
            vts += 3600;
            *next_v += opt_burst ? 40000 : 40000 - 3 * 4000;
        } else {
            *next_v += opt_burst ? 0 : 4000;
        }
    }
}

/* A receiver report about every stream the subscriber receives, so the
 * server sees what a browser would send (and frees its DTLS state once a
 * protected packet proves the client has the keys). */
static void send_rr(client_t *c)
{
    yj_rtcp_block_t blocks[4];
    int n = 0;
    for (int k = 0; k < 4 && c->st[k].ssrc; k++) {
        memset(&blocks[n], 0, sizeof blocks[n]);
        blocks[n].ssrc = c->st[k].ssrc;
        blocks[n].highest_seq = (uint32_t)c->st[k].highest;
        blocks[n].cumulative_lost = (int32_t)MIN(c->lost, 0x7fffff);
        n++;
    }
    uint8_t b[256 + YJ_SRTP_OVERHEAD];
    int len = yj_rtcp_write_rr(b, 256, 0x5b000000u + ntohs(c->remote.sin_port), blocks, n);
    if (len > 0 && yj_srtp_protect_rtcp(c->out, b, &len) == 0)
        client_send(c, b, (size_t)len, &c->remote);
}

/* ------------------------------------------------------------------ */
/* measurement                                                         */
/* ------------------------------------------------------------------ */

static void proc_cpu(long *ticks, long *rss_kb)
{
    char path[64], buf[2048];
    *ticks = *rss_kb = 0;
    g_snprintf(path, sizeof path, "/proc/%d/stat", opt_pid);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        char *p = strrchr(buf, ')');
        long ut = 0, st = 0;
        if (p &&
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut, &st) == 2)
            *ticks = ut + st;
    }
    g_snprintf(path, sizeof path, "/proc/%d/status", opt_pid);
    f = fopen(path, "r");
    if (f) {
        while (fgets(buf, sizeof buf, f))
            if (sscanf(buf, "VmRSS: %ld kB", rss_kb) == 1)
                break;
        fclose(f);
    }
}

static double metric(const char *name)
{
    int st;
    char *m = http("GET", "/metrics", "text/plain", NULL, &st, NULL, 0);
    double v = 0;
    if (m) {
        char *l = strstr(m, name);
        while (l && l != m && l[-1] != '\n')
            l = strstr(l + 1, name);
        if (l)
            v = g_ascii_strtod(l + strlen(name) + 1, NULL);
        g_free(m);
    }
    return v;
}

/* --distinct-ips: the client a datagram is for, by the address it was sent
 * to (IP_PKTINFO) and the server port it came from. */
static client_t *lookup_by_addr(struct msghdr *h, uint16_t server_port_be)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm))
        if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(cm), sizeof pi);
            return by_addr ? g_hash_table_lookup(by_addr, GSIZE_TO_POINTER(addr_key(
                                                              pi.ipi_addr.s_addr, server_port_be)))
                           : NULL;
        }
    return NULL;
}

/* Runs the event loop for `us` microseconds. */
static void run_for(int64_t us, int64_t *next_v, int64_t *next_a)
{
    int64_t end = now_us() + us;
    struct epoll_event evs[256];
    uint8_t bufs[32][1600];
    struct mmsghdr msgs[32];
    struct iovec iov[32];
    struct sockaddr_in from[32];
    static char ctl[32][CMSG_SPACE(sizeof(struct in_pktinfo))];
    for (;;) {
        int64_t now = now_us();
        if (now >= end)
            break;
        publish_tick(now, next_v, next_a);
        for (guint i = 0; i < clients->len; i++) {
            client_t *c = clients->pdata[i];
            if (!c->ice_ok && now >= c->next_check) {
                send_check(c);
                c->next_check = now + 50000;
            }
            if (peer_mode && c->ice_ok && c->rufrag[0] && now >= c->next_consent) {
                /* consent freshness, as browsers do: SRS drops a session
                 * that sends no STUN for 30 s (stun_timeout) */
                if (c->next_consent)
                    send_check(c);
                c->next_consent = now + 1500000 + (int64_t)(g_random_int() % 1000000);
            }
            if (!c->publisher && c->out && now >= c->next_rr) {
                send_rr(c);
                c->next_rr = now + 1000000;
            }
            if (c->ice_ok && !c->out && c->dtls) {
                int64_t t = yj_dtls_timeout_us(c->dtls);
                if (t == 0)
                    yj_dtls_tick(c->dtls);
            }
        }
        /* Busy-poll: the tool owns its core, and a receiver that is never
         * asleep spares the server the wake-up (an inter-processor
         * interrupt, costly in a VM) that loopback charges to the sender;
         * over a real NIC the server never pays for its receivers. */
        int n = epoll_wait(epfd, evs, 256, opt_sleep ? 1 : 0);
        now = now_us();
        for (int e = 0; e < n; e++) {
            int fd = evs[e].data.fd;
            for (;;) {
                for (int k = 0; k < 32; k++) {
                    if (opt_distinct_ips) {
                        memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
                        msgs[k].msg_hdr.msg_control = ctl[k];
                        msgs[k].msg_hdr.msg_controllen = sizeof ctl[k];
                    }
                    iov[k].iov_base = bufs[k];
                    iov[k].iov_len = sizeof bufs[k];
                    if (!opt_distinct_ips)
                        memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
                    msgs[k].msg_hdr.msg_iov = &iov[k];
                    msgs[k].msg_hdr.msg_iovlen = 1;
                    msgs[k].msg_hdr.msg_name = &from[k];
                    msgs[k].msg_hdr.msg_namelen = sizeof from[k];
                }
                int got = recvmmsg(fd, msgs, 32, MSG_DONTWAIT, NULL);
                if (got <= 0)
                    break;
                for (int k = 0; k < got; k++) {
                    client_t *c = opt_distinct_ips
                                      ? lookup_by_addr(&msgs[k].msg_hdr, from[k].sin_port)
                                      : g_hash_table_lookup(
                                            by_port, GINT_TO_POINTER((int)ntohs(from[k].sin_port)));
                    if (c)
                        on_packet(c, bufs[k], msgs[k].msg_len, &from[k], now);
                }
                if (got < 32)
                    break;
            }
        }
    }
}

/* Peer mode: sequence gaps miss a viewer that receives nothing, or whose
 * stream stops, so loss is also measured against what the publisher sent
 * in the window (every connected viewer should get every packet); the
 * larger of the two counts. `note` gets "[short X% silent K]". Packets in
 * flight at the window's edges make the shortfall approximate (± rate x
 * latency change), which is why the gap count is kept too. */
static double peer_shortfall(double gap_loss, uint64_t sent, uint64_t rec, char *note, size_t n)
{
    unsigned viewers = 0, silent = 0;
    for (guint i = 1; i < clients->len; i++) {
        client_t *c = clients->pdata[i];
        if (c->out) {
            viewers++;
            silent += c->received == 0;
        }
    }
    double expected = (double)sent * viewers;
    double shortfall = expected > 0 ? 100.0 * (1.0 - (double)rec / expected) : 100;
    if (shortfall < 0)
        shortfall = 0;
    g_snprintf(note, n, "  [short %.3f%% silent %u]", shortfall, silent);
    return MAX(gap_loss, shortfall);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"url", 0, 0, G_OPTION_ARG_STRING, &opt_url, "daemon base URL", "URL"},
        {"token", 0, 0, G_OPTION_ARG_STRING, &opt_token, "bearer token", "T"},
        {"pid", 0, 0, G_OPTION_ARG_INT, &opt_pid, "daemon pid (CPU, memory)", "PID"},
        {"room", 0, 0, G_OPTION_ARG_STRING, &opt_room, "room", "ROOM"},
        {"subs", 0, 0, G_OPTION_ARG_STRING, &opt_subs, "subscriber counts, ascending", "N,N"},
        {"seconds", 0, 0, G_OPTION_ARG_INT, &opt_seconds, "measured seconds per step", "S"},
        {"sample", 0, 0, G_OPTION_ARG_INT, &opt_sample, "decrypt every Kth packet", "K"},
        {"burst", 0, 0, G_OPTION_ARG_NONE, &opt_burst, "send a frame's packets at once", NULL},
        {"stop-on-loss", 0, 0, G_OPTION_ARG_NONE, &opt_stop_on_loss,
         "stop after the first step with >= 0.5 % loss or not all connected", NULL},
        {"sleep", 0, 0, G_OPTION_ARG_NONE, &opt_sleep,
         "wait in epoll (1 ms at most) instead of busy-polling: for runs where the tool "
         "shares its cores with the server",
         NULL},
        {"viewers-only", 0, 0, G_OPTION_ARG_NONE, &opt_viewers_only,
         "no publisher: only add viewers to ROOM (someone else publishes)", NULL},
        {"watch", 0, 0, G_OPTION_ARG_INT, &opt_watch, "then print per-second counts for S s", "S"},
        {"whip-url", 0, 0, G_OPTION_ARG_STRING, &opt_whip_url,
         "peer mode: the publisher POSTs its offer to this WHIP URL (any server)", "URL"},
        {"whep-url", 0, 0, G_OPTION_ARG_STRING, &opt_whep_url,
         "peer mode: each viewer POSTs its offer to this WHEP URL", "URL"},
        {"codec", 0, 0, G_OPTION_ARG_STRING, &opt_codec, "video payload: vp8 or h264", "C"},
        {"keyint", 0, 0, G_OPTION_ARG_INT, &opt_keyint, "H.264: IDR every K frames (50)", "K"},
        {"distinct-ips", 0, 0, G_OPTION_ARG_NONE, &opt_distinct_ips,
         "each viewer sends from its own 127.1.x.y (servers with one UDP port for all "
         "sessions); binds 0.0.0.0, so only inside a network namespace",
         NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *ctx = g_option_context_new("- SFU load tool");
    g_option_context_add_main_entries(ctx, entries, NULL);
    bool parsed = g_option_context_parse(ctx, &argc, &argv, NULL);
    peer_mode = opt_whip_url || opt_whep_url;
    h264 = g_ascii_strcasecmp(opt_codec, "h264") == 0;
    if (!parsed || !opt_pid || (!h264 && g_ascii_strcasecmp(opt_codec, "vp8") != 0) ||
        (peer_mode ? !opt_whep_url || (!opt_whip_url && !opt_viewers_only)
                   : !opt_url || !opt_token)) {
        fprintf(stderr,
                "usage: %s --url URL --token T --pid PID [--subs 50,100]\n"
                "   or: %s --whip-url URL --whep-url URL [--token T] --pid PID [--codec h264]\n",
                argv[0], argv[0]);
        return 2;
    }
    g_option_context_free(ctx);
    crc_init();
    verbose = g_getenv("SFU_BENCH_VERBOSE") != NULL;
    yj_srtp_global_init();
    char *err = NULL;
    cert = yj_dtls_cert_new(&err);
    epfd = epoll_create1(0);
    by_port = g_hash_table_new(g_direct_hash, g_direct_equal);
    clients = g_ptr_array_new();
    lat = g_array_new(FALSE, FALSE, sizeof(double));
    long tk0, rss0;
    proc_cpu(&tk0, &rss0);
    /* --viewers-only: a stand-in publisher that never connects (clients[0]
     * is always the publisher; it sends nothing without keys). */
    pub = opt_viewers_only ? g_new0(client_t, 1) : client_new(true);
    if (!pub)
        return 1;
    if (opt_viewers_only)
        pub->ice_ok = true;
    g_ptr_array_add(clients, pub);
    int64_t next_v = now_us(), next_a = next_v;
    for (int i = 0; i < 50 && !pub->out && !opt_viewers_only; i++)
        run_for(100000, &next_v, &next_a);
    if (!pub->out && !opt_viewers_only) {
        fprintf(stderr, "sfu_bench: the publisher did not connect\n");
        return 1;
    }
    long hz = sysconf(_SC_CLK_TCK);
    run_for(500000, &next_v, &next_a);
    proc_cpu(&tk0, &rss0); /* memory base: the publisher is in */
    if (peer_mode)
        printf("# peer mode (%s): fwd pkt/s = RTP packets received by the subscribers\n",
               h264 ? "H.264" : "VP8");
    printf("%8s %12s %10s %12s %9s %9s %9s %10s %8s %12s\n", "subs", "fwd pkt/s", "server%",
           "cpu/pkt µs", "loss %", "p50 ms", "p99 ms", "KiB/sub", "refused", "pub rtcp/s");
    fflush(stdout);
    char **steps = g_strsplit(opt_subs, ",", 64);
    int best_n = 0, prev_n = 0;
    for (int s = 0; steps[s]; s++) {
        int want = atoi(steps[s]);
        int have = (int)clients->len - 1, refused = 0;
        int64_t refused_until = now_us() + 15000000; /* retry refusals for 15 s a step */
        for (int i = have; i < want; i++) {
            client_t *c = client_new(false);
            if (!c && last_status == 503) {
                /* at capacity: a real viewer would retry later */
                refused++;
                if (now_us() > refused_until)
                    break;
                run_for(250000, &next_v, &next_a);
                i--;
                continue;
            }
            if (!c)
                break;
            g_ptr_array_add(clients, c);
            /* Each WHEP POST blocks this thread (over a second when the
             * server is saturated): keep publishing and answering the
             * server's consent checks between them, or the server rightly
             * drops the publisher as gone. */
            run_for(2000, &next_v, &next_a);
        }
        /* connect (up to 30 s), then settle 3 s */
        int connected = 0;
        for (int k = 0; k < 150; k++) {
            run_for(200000, &next_v, &next_a);
            connected = 0;
            for (guint i = 1; i < clients->len; i++)
                connected += ((client_t *)clients->pdata[i])->out != NULL;
            if (connected == (int)clients->len - 1)
                break;
        }
        want_key = true;
        run_for(3000000, &next_v, &next_a);
        for (guint i = 1; i < clients->len; i++) {
            client_t *c = clients->pdata[i];
            c->received = c->lost = 0;
        }
        g_array_set_size(lat, 0);
        long tk1, rss1, tk2, rss2;
        double f1 = peer_mode ? 0 : metric("yj_media_packets_forwarded_total");
        double hd1 = peer_mode ? 0 : metric("yj_media_handoff_dropped_total");
        proc_cpu(&tk1, &rss1);
        int64_t t1 = now_us();
        uint64_t pub_rtcp0 = pub->rtcp_in, sent0 = sent_packets;
        run_for((int64_t)opt_seconds * 1000000, &next_v, &next_a);
        uint64_t sent1 = sent_packets;
        int64_t t2 = now_us();
        proc_cpu(&tk2, &rss2);
        double f2 = peer_mode ? 0 : metric("yj_media_packets_forwarded_total");
        double hd2 = peer_mode ? 0 : metric("yj_media_handoff_dropped_total");
        uint64_t rec = 0, lost = 0;
        for (guint i = 1; i < clients->len; i++) {
            client_t *c = clients->pdata[i];
            rec += c->received;
            lost += c->lost;
        }
        if (peer_mode) /* forwarded = RTP the subscribers received (any server) */
            f2 = (double)rec;
        double secs = (double)(t2 - t1) / 1e6;
        double fwd = (f2 - f1) / secs;
        double cpu = (double)(tk2 - tk1) / (double)hz;
        double cpu_pkt = f2 > f1 ? cpu / (f2 - f1) * 1e6 : 0;
        double loss = rec + lost ? 100.0 * (double)lost / (double)(rec + lost) : 100;
        if (rec == 0)
            loss = 100;
        char shortfall[96] = "";
        if (peer_mode)
            loss = peer_shortfall(loss, sent1 - sent0, rec, shortfall, sizeof shortfall);
        g_array_sort(lat, cmp_double);
        double p50 = lat->len ? g_array_index(lat, double, lat->len / 2) / 1000 : 0;
        double p99 = lat->len ? g_array_index(lat, double, lat->len * 99 / 100) / 1000 : 0;
        /* memory: growth since the previous step over the subscribers added */
        double kib = connected > prev_n ? (double)(rss2 - rss0) / (connected - prev_n) : 0;
        rss0 = rss2;
        prev_n = connected;
        printf("%8d %12.0f %9.1f%% %12.2f %9.3f %9.2f %9.2f %10.1f %8d %12.1f%s%s", connected,
               fwd, 100.0 * cpu / secs, cpu_pkt, loss, p50, p99, kib, refused,
               (double)(pub->rtcp_in - pub_rtcp0) / secs,
               connected < want ? "  (not all connected)" : "", shortfall);
        if (hd2 > hd1) /* copies a full worker queue refused (several workers) */
            printf("  (%.0f hand-offs dropped)", hd2 - hd1);
        printf("\n");
        fflush(stdout);
        if (loss < 0.5 && connected == want)
            best_n = connected;
        else if (opt_stop_on_loss)
            break; /* past saturation: later steps only take longer to connect */
    }
    g_strfreev(steps);
    printf("largest N with < 0.5%% loss: %d\n", best_n);
    fflush(stdout);
    /* --watch: one line a second, "watch T pub_rtcp=N rx=A,B,C" (packets
     * each connected viewer received in that second). */
    for (int t = 1; t <= opt_watch; t++) {
        uint64_t r0 = pub->rtcp_in;
        GArray *before = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        for (guint i = 1; i < clients->len; i++)
            g_array_append_val(before, ((client_t *)clients->pdata[i])->received);
        run_for(1000000, &next_v, &next_a);
        GString *line = g_string_new(NULL);
        g_string_append_printf(line, "watch %d pub_rtcp=%" G_GUINT64_FORMAT " rx=", t,
                               pub->rtcp_in - r0);
        for (guint i = 1; i < clients->len; i++)
            g_string_append_printf(line, "%s%" G_GUINT64_FORMAT, i > 1 ? "," : "",
                                   ((client_t *)clients->pdata[i])->received -
                                       g_array_index(before, uint64_t, i - 1));
        printf("%s\n", line->str);
        fflush(stdout);
        g_string_free(line, TRUE);
        g_array_free(before, TRUE);
    }
    if (peer_mode) /* a saturated peer may never answer: do not wait 15 s a viewer */
        http_timeout = 2;
    for (guint i = 0; i < clients->len; i++)
        client_free(clients->pdata[i]);
    g_ptr_array_free(clients, TRUE);
    g_array_free(lat, TRUE);
    yj_dtls_cert_free(cert);
    close(epfd);
    return 0;
}
