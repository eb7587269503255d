/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source_feed.c — an external MPEG-TS feed (satellite receiver, head-end)
 * as an IPTV source: re-broadcast without re-encoding.
 *
 * A receiving thread reads UDP or RTP/MP2T (unicast, multicast, or
 * source-specific multicast with IP_ADD_SOURCE_MEMBERSHIP), follows the
 * PAT to the chosen programme's PMT, takes its H.264 (0x1B) and AAC ADTS
 * (0x0F) PIDs and reassembles their PES into access units (AAC split
 * into single ADTS frames). The playout's muxer then carries them on its
 * own PIDs with its own PCR and padding: PIDs remapped, CBR re-padded,
 * PCR restamped. Input continuity errors, bytes and bitrate go to
 * /metrics. When no access unit has arrived for 500 ms the source yields
 * the slate (the channel never stops); when the feed comes back it
 * resumes on the next video keyframe, its timestamps re-based after the
 * slate so PTS keeps rising.
 * Limits: PSI sections must fit one TS packet (as every head-end sends
 * PAT/PMT); the feed's clock is followed without drift correction.
 * It must never trust a length from the network (fed by fuzz_ts_demux).
 */
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"
#include "iptv/source.h"
#include "iptv/ts_mux.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* An outage: no access unit for this long. A TS may go at most 700 ms
 * without a PTS (TR 101 290 PTS_error), and the access units queued ahead
 * cover only part of the wait, so the slate must come well before that. */
#define LOST_US (500 * G_TIME_SPAN_MILLISECOND)
#define QUEUE_MAX 4000
#define PES_MAX (2 << 20)

typedef struct {
    yj_ts_stream_t st;
    int64_t pts, dts;
    bool key;
    size_t len;
    uint8_t data[];
} fau_t;

typedef struct {
    GByteArray *buf;
    bool on;
    bool rai;
} pes_t;

struct yj_iptv_feed_demux {
    int program; /* wanted programme number; 0: the first */
    int pmt_pid, vpid, apid;
    uint8_t cc[8192];
    uint8_t seen[8192 / 8];
    pes_t pes[2];
    void (*emit)(void *ud, fau_t *au);
    void *ud;
    uint64_t cc_errors;
    uint64_t bad_pes; /* PES dropped: not the length their header gives */
};
typedef struct yj_iptv_feed_demux demux_t;

typedef struct {
    int fd;
    GThread *thread;
    atomic_bool stop;
    demux_t dm;
    GMutex mu; /* guards the queue and last_arrival */
    GQueue q;
    int64_t last_arrival; /* monotonic µs */
    /* read side (the playout's producer) */
    bool feeding;
    int64_t d0, seg_base, out_end;
    int64_t last_raw; /* unwrapping of 33-bit timestamps */
    int64_t wrap;
    yj_iptv_slate_t *slate;
    yj_iptv_src_t *slate_src;
    int64_t slate_base;
    uint8_t *cur; /* the access unit handed out last */
    char *label;
    yj_counter_t *m_cc, *m_bytes, *m_rate, *m_lost;
    int64_t rate_t0, rate_bytes;
    int64_t last_rx;   /* receiving thread: monotonic µs of the last datagram */
    int64_t last_ok;   /* read side: unwrapped DTS of the last access unit used */
    int64_t last_vdts; /* read side: DTS of the last video access unit handed out */
} feed_t;

/* ---- demux (receiving thread) ---- */

static int64_t read_ts(const uint8_t *p)
{
    return (int64_t)(p[0] & 0x0E) << 29 | (int64_t)p[1] << 22 | (int64_t)(p[2] & 0xFE) << 14 |
           (int64_t)p[3] << 7 | (int64_t)(p[4] >> 1);
}

static bool has_idr(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++)
        if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
            int t = d[i + 3] & 0x1F;
            if (t == 5 || t == 7)
                return true;
        }
    return false;
}

static void emit_one(demux_t *dm, yj_ts_stream_t st, const uint8_t *d, size_t n, int64_t pts,
                     int64_t dts, bool key)
{
    fau_t *a = g_malloc(sizeof *a + n);
    a->st = st;
    a->pts = pts;
    a->dts = dts;
    a->key = key;
    a->len = n;
    memcpy(a->data, d, n);
    dm->emit(dm->ud, a);
}

static void pes_done(demux_t *dm, int s)
{
    pes_t *p = &dm->pes[s];
    if (!p->on || !p->buf)
        return;
    p->on = false;
    const uint8_t *b = p->buf->data;
    size_t n = p->buf->len;
    if (n < 14 || b[0] != 0 || b[1] != 0 || b[2] != 1)
        return;
    /* A PES whose length is given must have exactly that many bytes: one
     * that lost a packet on the way (or took one of the next) would pass
     * a broken frame on to every decoder on the channel. */
    size_t plen = (size_t)(b[4] << 8 | b[5]);
    if (plen && n != 6 + plen) {
        dm->bad_pes++;
        return;
    }
    size_t hl = b[8];
    int flags = b[7] >> 6;
    if (!(flags & 2) || 9 + hl > n || hl < 5)
        return;
    int64_t pts = read_ts(b + 9), dts = pts;
    if (flags == 3 && hl >= 10)
        dts = read_ts(b + 14);
    const uint8_t *es = b + 9 + hl;
    size_t en = n - 9 - hl;
    if (s == YJ_TS_VIDEO) {
        if (en)
            emit_one(dm, YJ_TS_VIDEO, es, en, pts, dts, p->rai || has_idr(es, en));
        return;
    }
    /* AAC: one access unit per ADTS frame */
    size_t o = 0;
    while (o + 7 <= en && es[o] == 0xFF && (es[o + 1] & 0xF6) == 0xF0) {
        size_t fl = (size_t)((es[o + 3] & 3) << 11 | es[o + 4] << 3 | es[o + 5] >> 5);
        int sri = (es[o + 2] >> 2) & 0x0F;
        static const int rates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                    22050, 16000, 12000, 11025, 8000,  7350};
        if (fl < 7 || o + fl > en || sri > 12)
            break;
        emit_one(dm, YJ_TS_AUDIO, es + o, fl, pts, pts, true);
        pts += ((es[o + 6] & 3) + 1) * 1024LL * 90000 / rates[sri];
        o += fl;
    }
}

/* A PSI section that starts in this packet's payload (one packet only). */
static const uint8_t *section(const uint8_t *pl, size_t n, size_t *len)
{
    if (n < 1 || 1 + (size_t)pl[0] + 3 > n)
        return NULL;
    const uint8_t *s = pl + 1 + pl[0];
    size_t rem = n - 1 - pl[0];
    size_t sl = 3 + (size_t)((s[1] & 0x0F) << 8 | s[2]);
    if (sl > rem || sl < 12 || yj_ts_crc32(s, sl) != 0)
        return NULL;
    *len = sl;
    return s;
}

static void on_psi(demux_t *dm, int pid, const uint8_t *pl, size_t n)
{
    size_t len;
    const uint8_t *s = section(pl, n, &len);
    if (!s)
        return;
    if (pid == 0 && s[0] == 0x00) {
        for (size_t o = 8; o + 4 <= len - 4; o += 4) {
            int prog = s[o] << 8 | s[o + 1];
            int pmt = (s[o + 2] & 0x1F) << 8 | s[o + 3];
            if (prog && (dm->program == 0 || prog == dm->program)) {
                if (dm->pmt_pid != pmt) {
                    dm->pmt_pid = pmt;
                    dm->vpid = dm->apid = -1;
                }
                return;
            }
        }
    } else if (pid == dm->pmt_pid && s[0] == 0x02) {
        int v = -1, a = -1;
        size_t pil = (size_t)((s[10] & 0x0F) << 8 | s[11]);
        for (size_t o = 12 + pil; o + 5 <= len - 4;) {
            int type = s[o], epid = (s[o + 1] & 0x1F) << 8 | s[o + 2];
            size_t il = (size_t)((s[o + 3] & 0x0F) << 8 | s[o + 4]);
            if (type == 0x1B && v < 0)
                v = epid;
            if (type == 0x0F && a < 0)
                a = epid;
            o += 5 + il;
        }
        dm->vpid = v;
        dm->apid = a;
    }
}

static void demux_packet(demux_t *dm, const uint8_t *p)
{
    if (p[0] != 0x47 || (p[1] & 0x80))
        return;
    int pid = (p[1] & 0x1F) << 8 | p[2];
    if (pid == YJ_TS_NULL_PID)
        return;
    bool pusi = p[1] & 0x40;
    int afc = (p[3] >> 4) & 3, cc = p[3] & 0x0F;
    size_t o = 4;
    bool rai = false, disc = false;
    if (afc & 2) {
        if (p[4] > 183)
            return;
        if (p[4] > 0) {
            disc = p[5] & 0x80;
            rai = p[5] & 0x40;
        }
        o = 5 + p[4];
    }
    bool seen = dm->seen[pid / 8] & (1 << (pid % 8));
    if ((afc & 1) && seen && !disc && cc != ((dm->cc[pid] + 1) & 0x0F) && cc != dm->cc[pid])
        dm->cc_errors++;
    dm->seen[pid / 8] |= (uint8_t)(1 << (pid % 8));
    dm->cc[pid] = (uint8_t)cc;
    if (!(afc & 1) || o >= YJ_TS_PACKET)
        return;
    const uint8_t *pl = p + o;
    size_t n = YJ_TS_PACKET - o;
    if (pid == 0 || pid == dm->pmt_pid) {
        if (pusi)
            on_psi(dm, pid, pl, n);
        return;
    }
    int s = pid == dm->vpid ? YJ_TS_VIDEO : pid == dm->apid ? YJ_TS_AUDIO : -1;
    if (s < 0)
        return;
    pes_t *pe = &dm->pes[s];
    if (pusi) {
        pes_done(dm, s);
        if (!pe->buf)
            pe->buf = g_byte_array_new();
        g_byte_array_set_size(pe->buf, 0);
        pe->on = true;
        pe->rai = rai;
    }
    if (!pe->on)
        return;
    if (pe->buf->len + n > PES_MAX) {
        pe->on = false;
        return;
    }
    g_byte_array_append(pe->buf, pl, (guint)n);
}

/* Feeds one datagram (plain TS or RTP/MP2T). */
static void demux_datagram(demux_t *dm, const uint8_t *b, size_t n)
{
    if (n >= 12 && (b[0] & 0xC0) == 0x80 && (b[1] & 0x7F) == 33) {
        size_t h = 12 + 4 * (size_t)(b[0] & 0x0F);
        if ((b[0] & 0x10) && h + 4 <= n)
            h += 4 + 4 * (size_t)(b[h + 2] << 8 | b[h + 3]);
        if (h >= n)
            return;
        b += h;
        n -= h;
    }
    for (size_t o = 0; o + YJ_TS_PACKET <= n; o += YJ_TS_PACKET)
        demux_packet(dm, b + o);
}

static void demux_clear(demux_t *dm)
{
    for (int s = 0; s < 2; s++)
        if (dm->pes[s].buf)
            g_byte_array_free(dm->pes[s].buf, TRUE);
}

static void count_emit(void *ud, fau_t *a)
{
    (*(size_t *)ud)++;
    g_free(a);
}

size_t yj_iptv_feed_demux_run(const uint8_t *data, size_t size, int program)
{
    size_t n = 0;
    demux_t dm = {.program = program, .pmt_pid = -1, .vpid = -1, .apid = -1};
    dm.emit = count_emit;
    dm.ud = &n;
    for (size_t o = 0; o < size; o += 1316)
        demux_datagram(&dm, data + o, MIN(1316, size - o));
    pes_done(&dm, 0);
    pes_done(&dm, 1);
    demux_clear(&dm);
    return n;
}

/* ---- receiving thread ---- */

static void queue_emit(void *ud, fau_t *a)
{
    feed_t *f = ud;
    g_mutex_lock(&f->mu);
    g_queue_push_tail(&f->q, a);
    while (f->q.length > QUEUE_MAX)
        g_free(g_queue_pop_head(&f->q));
    f->last_arrival = g_get_monotonic_time();
    g_mutex_unlock(&f->mu);
}

static gpointer recv_main(gpointer arg)
{
    feed_t *f = arg;
    uint8_t buf[65536];
    f->rate_t0 = g_get_monotonic_time();
    while (!atomic_load(&f->stop)) {
        struct pollfd pf = {.fd = f->fd, .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0)
            goto rate;
        for (int k = 0; k < 64; k++) {
            ssize_t n = recv(f->fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n <= 0)
                break;
            int64_t t = g_get_monotonic_time();
            if (t - f->last_rx > 500 * G_TIME_SPAN_MILLISECOND) /* after a silence: no half PES */
                f->dm.pes[0].on = f->dm.pes[1].on = false;
            f->last_rx = t;
            yj_counter_add(f->m_bytes, n);
            f->rate_bytes += n;
            uint64_t before = f->dm.cc_errors;
            demux_datagram(&f->dm, buf, (size_t)n);
            if (f->dm.cc_errors != before)
                yj_counter_add(f->m_cc, (int64_t)(f->dm.cc_errors - before));
        }
    rate:;
        int64_t now = g_get_monotonic_time();
        if (now - f->rate_t0 >= G_TIME_SPAN_SECOND) {
            yj_counter_set(f->m_rate, f->rate_bytes * 8 * G_TIME_SPAN_SECOND / (now - f->rate_t0));
            f->rate_t0 = now;
            f->rate_bytes = 0;
        }
    }
    return NULL;
}

/* ---- read side (the playout's producer) ---- */

/* The first time at or after t on the frame grid of the video handed out
 * so far (25 fps, as the feed and the slate are): at a change between the
 * feed and the slate the pictures keep their cadence. Players estimate
 * the frame rate from the timestamps; a change off the grid made ffmpeg
 * guess 24.92 fps and round two pictures onto one timestamp. */
static int64_t on_grid(const feed_t *f, int64_t t)
{
    if (f->last_vdts == INT64_MIN)
        return t;
    int64_t k = (t - f->last_vdts + 3599) / 3600;
    return f->last_vdts + (k > 1 ? k : 1) * 3600;
}

static int64_t unwrap(feed_t *f, int64_t raw)
{
    if (f->last_raw != INT64_MIN) {
        int64_t d = raw - f->last_raw;
        if (d < -(1LL << 32))
            f->wrap += 1LL << 33;
        else if (d > (1LL << 32))
            f->wrap -= 1LL << 33;
    }
    f->last_raw = raw;
    return raw + f->wrap;
}

static int feed_read(void *impl, yj_iptv_au_t *au)
{
    feed_t *f = impl;
    g_free(f->cur);
    f->cur = NULL;
again:
    g_mutex_lock(&f->mu);
    int64_t now = g_get_monotonic_time();
    if (f->feeding && !f->q.length && now - f->last_arrival > LOST_US) {
        f->feeding = false;
        f->slate_base = on_grid(f, f->out_end);
        /* from the slate's first frame (an IDR with its SPS/PPS) */
        yj_iptv_src_free(f->slate_src);
        f->slate_src = f->slate ? yj_iptv_src_slate_open(f->slate) : NULL;
        yj_warn("iptv", "channel %s: the feed stopped; showing the slate", f->label);
        yj_counter_add(f->m_lost, 1);
    }
    if (!f->feeding) { /* wait for a video keyframe to come back on */
        while (f->q.length) {
            fau_t *a = g_queue_peek_head(&f->q);
            if (a->st == YJ_TS_VIDEO && a->key)
                break;
            g_free(g_queue_pop_head(&f->q));
        }
        if (f->q.length) {
            fau_t *a = g_queue_peek_head(&f->q);
            f->feeding = true;
            f->last_raw = INT64_MIN;
            f->wrap = 0;
            f->d0 = unwrap(f, a->dts);
            f->seg_base = on_grid(f, f->out_end);
            f->last_ok = INT64_MIN;
            yj_info("iptv", "channel %s: the feed is on", f->label);
        }
    }
    if (f->feeding) {
        fau_t *a = g_queue_pop_head(&f->q);
        g_mutex_unlock(&f->mu);
        if (!a)
            return 2; /* nothing yet: live */
        int64_t dts = unwrap(f, a->dts);
        int64_t pts = dts + ((a->pts - a->dts) & ((1LL << 33) - 1));
        if (f->last_ok != INT64_MIN && (dts > f->last_ok + 180000 || dts < f->last_ok - 180000)) {
            /* a jump of more than 2 s: the sender restarted or reset its
             * clock. Re-base on a keyframe, drop anything else. */
            if (a->st == YJ_TS_VIDEO && a->key) {
                f->d0 = dts;
                f->seg_base = on_grid(f, f->out_end);
            } else {
                g_free(a);
                goto again;
            }
        }
        if (dts < f->d0) { /* audio from before the keyframe */
            g_free(a);
            goto again;
        }
        f->last_ok = dts;
        f->cur = (uint8_t *)a;
        au->st = a->st;
        au->data = a->data;
        au->len = a->len;
        au->dts = dts - f->d0 + f->seg_base;
        au->pts = pts - f->d0 + f->seg_base;
        au->duration = a->st == YJ_TS_VIDEO ? 3600 : 1920;
        au->key = a->key;
        if (au->pts + au->duration > f->out_end)
            f->out_end = au->pts + au->duration;
        if (au->st == YJ_TS_VIDEO)
            f->last_vdts = au->dts;
        return 1;
    }
    g_mutex_unlock(&f->mu);
    if (!f->slate_src)
        return 2;
    int rc = yj_iptv_src_read(f->slate_src, au);
    if (rc != 1)
        return rc;
    au->pts += f->slate_base;
    au->dts += f->slate_base;
    if (au->pts + au->duration > f->out_end)
        f->out_end = au->pts + au->duration;
    if (au->st == YJ_TS_VIDEO)
        f->last_vdts = au->dts;
    return 1;
}

static void feed_free(void *impl)
{
    feed_t *f = impl;
    atomic_store(&f->stop, true);
    if (f->thread)
        g_thread_join(f->thread);
    if (f->fd >= 0)
        close(f->fd);
    g_queue_clear_full(&f->q, g_free);
    demux_clear(&f->dm);
    g_mutex_clear(&f->mu);
    yj_iptv_src_free(f->slate_src);
    yj_iptv_slate_unref(f->slate);
    g_free(f->cur);
    g_free(f->label);
    g_free(f);
}

static const yj_iptv_src_ops_t feed_ops = {.read = feed_read, .free = feed_free};

/* udp://[@][source@]group:port or rtp://… → addresses. */
static int parse_url(const char *url, struct in_addr *group, struct in_addr *source, int *port)
{
    const char *h;
    if (g_str_has_prefix(url, "udp://"))
        h = url + 6;
    else if (g_str_has_prefix(url, "rtp://"))
        h = url + 6;
    else
        return YJ_EINVAL;
    if (*h == '@')
        h++;
    source->s_addr = 0;
    const char *at = strchr(h, '@');
    char tmp[64];
    if (at) {
        if ((size_t)(at - h) >= sizeof tmp)
            return YJ_EINVAL;
        memcpy(tmp, h, (size_t)(at - h));
        tmp[at - h] = 0;
        if (inet_pton(AF_INET, tmp, source) != 1)
            return YJ_EINVAL;
        h = at + 1;
    }
    const char *colon = strrchr(h, ':');
    if (!colon || (size_t)(colon - h) >= sizeof tmp)
        return YJ_EINVAL;
    memcpy(tmp, h, (size_t)(colon - h));
    tmp[colon - h] = 0;
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (inet_pton(AF_INET, tmp, group) != 1 || p < 1 || p > 65535 || (*end && *end != '?'))
        return YJ_EINVAL;
    *port = (int)p;
    return 0;
}

yj_iptv_src_t *yj_iptv_src_feed_open(const char *url, int program, yj_iptv_slate_t *slate,
                                     const char *label, char **err)
{
    struct in_addr group, source;
    int port;
    if (!url || parse_url(url, &group, &source, &port) < 0) {
        *err = g_strdup_printf("feed_url: not udp://[source@]address:port (%s)", url ? url : "");
        return NULL;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1, rcv = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    bool mcast = IN_MULTICAST(ntohl(group.s_addr));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr = mcast ? group : group; /* unicast: bind the local address given */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        *err = g_strdup_printf("feed %s: %s", url, g_strerror(errno));
        close(fd);
        return NULL;
    }
    if (mcast) {
        int rc;
        if (source.s_addr) {
            struct ip_mreq_source mr = {.imr_multiaddr = group, .imr_sourceaddr = source};
            rc = setsockopt(fd, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &mr, sizeof mr);
        } else {
            struct ip_mreq mr = {.imr_multiaddr = group};
            rc = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr);
        }
        if (rc < 0) {
            *err = g_strdup_printf("feed %s: cannot join: %s", url, g_strerror(errno));
            close(fd);
            return NULL;
        }
    }
    feed_t *f = g_new0(feed_t, 1);
    f->fd = fd;
    f->label = g_strdup(label ? label : "0");
    f->dm = (demux_t){.program = program, .pmt_pid = -1, .vpid = -1, .apid = -1};
    f->dm.emit = queue_emit;
    f->dm.ud = f;
    g_mutex_init(&f->mu);
    g_queue_init(&f->q);
    f->last_raw = INT64_MIN;
    f->last_ok = INT64_MIN;
    f->last_vdts = INT64_MIN;
    f->slate = yj_iptv_slate_ref(slate);
    f->slate_src = slate ? yj_iptv_src_slate_open(slate) : NULL;
    g_autofree char *n1 = g_strdup_printf("yj_iptv_feed_cc_errors_total{channel=\"%s\"}", f->label);
    g_autofree char *n2 = g_strdup_printf("yj_iptv_feed_bytes_total{channel=\"%s\"}", f->label);
    g_autofree char *n3 = g_strdup_printf("yj_iptv_feed_bitrate{channel=\"%s\"}", f->label);
    g_autofree char *n4 = g_strdup_printf("yj_iptv_feed_lost_total{channel=\"%s\"}", f->label);
    f->m_cc = yj_metrics_counter(n1, "Continuity errors on the IPTV feed input");
    f->m_bytes = yj_metrics_counter(n2, "Bytes received on the IPTV feed input");
    f->m_rate = yj_metrics_gauge(n3, "IPTV feed input bitrate over the last second, bit/s");
    f->m_lost = yj_metrics_counter(n4, "Times the IPTV feed stopped and the slate went on");
    f->thread = g_thread_new("iptv-feed", recv_main, f);
    return yj_iptv_src_wrap(&feed_ops, f);
}
