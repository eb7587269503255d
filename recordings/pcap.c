/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pcap.c — the classic pcap writer and reader of recordings/pcap.h.
 *
 * Writer: records are built in a 64 KiB buffer and written with write(2)
 * when the buffer fills or at yj_pcap_writer_sync (then fdatasync), so a
 * packet costs one memcpy and the disk sees large appends. All fields are
 * written little-endian (magic 0xa1b2c3d4 read in that order), IPv4 from
 * 10.0.0.1:5000 to 10.0.0.2:5004 (RTP) or :5005 (RTCP), header checksum
 * filled, UDP checksum 0 (allowed for IPv4).
 *
 * Reader: both byte orders, micro- and nanosecond magics; it never reads
 * past a record's bounds and stops at the first partial or malformed
 * record, reporting where the whole part ends. It must never trust a
 * length field before checking it against what is there.
 */
#include "recordings/pcap.h"

#include "core/yj.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WBUF 65536
#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
#define SNAPLEN 65535u

struct yj_pcap_writer {
    int fd;
    size_t used;
    uint64_t bytes; /* written + buffered */
    uint16_t ip_id;
    uint8_t buf[WBUF];
};

static void put16be(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint16_t get16be(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p, bool swap)
{
    uint32_t le =
        (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return swap ? __builtin_bswap32(le) : le;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return YJ_EIO;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void file_header(uint8_t h[YJ_PCAP_FILE_HDR])
{
    put32le(h, MAGIC_US);
    h[4] = 2; /* version 2.4 */
    h[5] = 0;
    h[6] = 4;
    h[7] = 0;
    memset(h + 8, 0, 8); /* thiszone, sigfigs */
    put32le(h + 16, SNAPLEN);
    put32le(h + 20, YJ_PCAP_LINKTYPE_RAW);
}

yj_pcap_writer_t *yj_pcap_writer_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return NULL;
    yj_pcap_writer_t *w = calloc(1, sizeof *w);
    if (!w) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    w->fd = fd;
    file_header(w->buf);
    w->used = YJ_PCAP_FILE_HDR;
    w->bytes = YJ_PCAP_FILE_HDR;
    return w;
}

static int flush_buf(yj_pcap_writer_t *w)
{
    if (w->used == 0)
        return 0;
    int rc = write_all(w->fd, w->buf, w->used);
    w->used = 0;
    return rc;
}

static uint16_t ip_checksum(const uint8_t *h, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += get16be(h + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void ipudp_header(uint8_t *h, uint16_t ip_id, uint16_t dport, size_t len)
{
    memset(h, 0, YJ_PCAP_IPUDP_HDR);
    h[0] = 0x45; /* IPv4, 20-byte header */
    put16be(h + 2, (uint16_t)(len + YJ_PCAP_IPUDP_HDR));
    put16be(h + 4, ip_id);
    h[6] = 0x40; /* don't fragment */
    h[8] = 64;   /* TTL */
    h[9] = 17;   /* UDP */
    h[12] = 10, h[15] = 1;
    h[16] = 10, h[19] = 2;
    put16be(h + 10, ip_checksum(h, 20));
    put16be(h + 20, YJ_PCAP_SRC_PORT);
    put16be(h + 22, dport);
    put16be(h + 24, (uint16_t)(len + 8));
    /* UDP checksum 0: none */
}

int yj_pcap_writer_append(yj_pcap_writer_t *w, int64_t ts_us, yj_pcap_stream_t stream,
                          const uint8_t *payload, size_t len)
{
    if (!w || !payload || len == 0 || len > YJ_PCAP_MAX_PAYLOAD || ts_us < 0)
        return YJ_EINVAL;
    size_t total = YJ_PCAP_REC_HDR + YJ_PCAP_IPUDP_HDR + len;
    if (w->used + total > WBUF) {
        int rc = flush_buf(w);
        if (rc)
            return rc;
    }
    uint8_t hdr[YJ_PCAP_REC_HDR + YJ_PCAP_IPUDP_HDR];
    put32le(hdr, (uint32_t)(ts_us / 1000000));
    put32le(hdr + 4, (uint32_t)(ts_us % 1000000));
    put32le(hdr + 8, (uint32_t)(len + YJ_PCAP_IPUDP_HDR));
    put32le(hdr + 12, (uint32_t)(len + YJ_PCAP_IPUDP_HDR));
    ipudp_header(hdr + YJ_PCAP_REC_HDR, w->ip_id++,
                 stream == YJ_PCAP_RTCP ? YJ_PCAP_RTCP_PORT : YJ_PCAP_RTP_PORT, len);
    if (total > WBUF) { /* only a near-64 KiB payload: write directly */
        int rc = write_all(w->fd, hdr, sizeof hdr);
        if (!rc)
            rc = write_all(w->fd, payload, len);
        if (rc)
            return rc;
    } else {
        memcpy(w->buf + w->used, hdr, sizeof hdr);
        memcpy(w->buf + w->used + sizeof hdr, payload, len);
        w->used += total;
    }
    w->bytes += total;
    return 0;
}

int yj_pcap_writer_sync(yj_pcap_writer_t *w)
{
    if (!w)
        return YJ_EINVAL;
    int rc = flush_buf(w);
    if (rc)
        return rc;
    return fdatasync(w->fd) == 0 ? 0 : YJ_EIO;
}

uint64_t yj_pcap_writer_bytes(const yj_pcap_writer_t *w)
{
    return w ? w->bytes : 0;
}

int yj_pcap_writer_close(yj_pcap_writer_t *w)
{
    if (!w)
        return 0;
    int rc = yj_pcap_writer_sync(w);
    if (close(w->fd) != 0 && !rc)
        rc = YJ_EIO;
    free(w);
    return rc;
}

/* ---- reader ---- */

typedef struct {
    bool swap;
    bool nanos;
} fmt_t;

static int parse_file_header(const uint8_t *h, fmt_t *f)
{
    uint32_t m = get32(h, false);
    if (m == MAGIC_US || m == MAGIC_NS) {
        f->swap = false;
    } else if (__builtin_bswap32(m) == MAGIC_US || __builtin_bswap32(m) == MAGIC_NS) {
        f->swap = true;
        m = __builtin_bswap32(m);
    } else {
        return YJ_EINVAL;
    }
    f->nanos = m == MAGIC_NS;
    uint32_t link = get32(h + 20, f->swap);
    if ((link & 0x0fffffff) != YJ_PCAP_LINKTYPE_RAW)
        return YJ_EINVAL;
    return 0;
}

/* Checks a record header; returns its captured length, or -1 when the
 * record is malformed (a zero-filled tail after a crash reads as such). */
static long record_len(const uint8_t *rh, const fmt_t *f, int64_t *ts_us)
{
    uint32_t sec = get32(rh, f->swap), frac = get32(rh + 4, f->swap);
    uint32_t incl = get32(rh + 8, f->swap), orig = get32(rh + 12, f->swap);
    if (incl == 0 || incl > SNAPLEN || orig < incl)
        return -1;
    if (frac >= (f->nanos ? 1000000000u : 1000000u))
        return -1;
    *ts_us = (int64_t)sec * 1000000 + (f->nanos ? frac / 1000 : frac);
    return (long)incl;
}

/* Reads one whole record body as ours: true with *rec filled when it is
 * an IPv4/UDP datagram to one of our ports with a payload. */
static bool parse_body(const uint8_t *p, size_t n, int64_t ts, yj_pcap_record_t *rec)
{
    if (n < 20 || (p[0] >> 4) != 4)
        return false;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    if (ihl < 20 || n < ihl + 8 || p[9] != 17)
        return false;
    size_t tot = get16be(p + 2);
    if (tot < ihl + 8 || tot > n)
        return false;
    const uint8_t *u = p + ihl;
    size_t ulen = get16be(u + 4);
    if (ulen <= 8 || ihl + ulen > tot)
        return false;
    uint16_t dport = get16be(u + 2);
    if (dport != YJ_PCAP_RTP_PORT && dport != YJ_PCAP_RTCP_PORT)
        return false;
    *rec = (yj_pcap_record_t){
        .ts_us = ts,
        .stream = dport == YJ_PCAP_RTCP_PORT ? YJ_PCAP_RTCP : YJ_PCAP_RTP,
        .dst_port = dport,
        .payload = u + 8,
        .len = ulen - 8,
    };
    return true;
}

/* Visits one whole record body; returns 1 when it was one of ours and
 * visited, 0 when skipped; *stop gets the visitor's value. */
static int visit_body(const uint8_t *p, size_t n, int64_t ts, yj_pcap_visit_fn visit, void *ud,
                      int *stop)
{
    *stop = 0;
    yj_pcap_record_t rec;
    if (!parse_body(p, n, ts, &rec))
        return 0;
    if (visit)
        *stop = visit(&rec, ud);
    return 1;
}

int yj_pcap_parse(const uint8_t *buf, size_t len, yj_pcap_visit_fn visit, void *ud, size_t *whole)
{
    if (whole)
        *whole = 0;
    fmt_t f;
    if (!buf || len < YJ_PCAP_FILE_HDR || parse_file_header(buf, &f) != 0)
        return YJ_EINVAL;
    size_t off = YJ_PCAP_FILE_HDR;
    int n = 0;
    for (;;) {
        if (whole)
            *whole = off;
        if (len - off < YJ_PCAP_REC_HDR)
            break;
        int64_t ts;
        long incl = record_len(buf + off, &f, &ts);
        if (incl < 0 || (size_t)incl > len - off - YJ_PCAP_REC_HDR)
            break;
        int stop;
        n += visit_body(buf + off + YJ_PCAP_REC_HDR, (size_t)incl, ts, visit, ud, &stop);
        off += YJ_PCAP_REC_HDR + (size_t)incl;
        if (stop) {
            if (whole)
                *whole = off;
            return stop;
        }
    }
    return n;
}

static int read_full(int fd, uint8_t *p, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? YJ_EIO : 1; /* 1: short */
        got += (size_t)r;
    }
    return 0;
}

/* Walks a file record by record with pread. visit may be NULL (recovery
 * only needs the offsets). Returns records visited or a negative code. */
static int scan_fd(int fd, yj_pcap_visit_fn visit, void *ud, uint64_t *whole, uint64_t *records)
{
    uint8_t h[YJ_PCAP_FILE_HDR];
    fmt_t f;
    *whole = 0;
    *records = 0;
    int rc = read_full(fd, h, sizeof h, 0);
    if (rc < 0)
        return rc;
    if (rc > 0 || parse_file_header(h, &f) != 0)
        return YJ_EINVAL;
    uint64_t off = YJ_PCAP_FILE_HDR;
    uint8_t *body = malloc(SNAPLEN);
    if (!body)
        return YJ_ENOMEM;
    int n = 0;
    for (;;) {
        *whole = off;
        uint8_t rh[YJ_PCAP_REC_HDR];
        rc = read_full(fd, rh, sizeof rh, off);
        if (rc != 0)
            break;
        int64_t ts;
        long incl = record_len(rh, &f, &ts);
        if (incl < 0)
            break;
        rc = read_full(fd, body, (size_t)incl, off + YJ_PCAP_REC_HDR);
        if (rc != 0)
            break;
        int stop;
        n += visit_body(body, (size_t)incl, ts, visit, ud, &stop);
        off += YJ_PCAP_REC_HDR + (uint64_t)incl;
        (*records)++;
        if (stop) {
            *whole = off;
            free(body);
            return stop;
        }
    }
    free(body);
    return rc < 0 ? rc : n;
}

int yj_pcap_scan_file(const char *path, yj_pcap_visit_fn visit, void *ud, uint64_t *whole)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? YJ_ENOENT : YJ_EIO;
    uint64_t w, recs;
    int rc = scan_fd(fd, visit, ud, &w, &recs);
    close(fd);
    if (whole)
        *whole = w;
    return rc;
}

int yj_pcap_recover(const char *path, uint64_t *kept_records, uint64_t *cut_bytes)
{
    if (kept_records)
        *kept_records = 0;
    if (cut_bytes)
        *cut_bytes = 0;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? YJ_ENOENT : YJ_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return YJ_EIO;
    }
    int rc;
    if (st.st_size < YJ_PCAP_FILE_HDR) {
        /* The crash came before the header reached the disk: what is
         * there must be a prefix of our header, or the file is not ours. */
        uint8_t h[YJ_PCAP_FILE_HDR], old[YJ_PCAP_FILE_HDR];
        file_header(h);
        if (read_full(fd, old, (size_t)st.st_size, 0) != 0 ||
            memcmp(old, h, (size_t)st.st_size) != 0) {
            close(fd);
            return YJ_EINVAL;
        }
        rc = ftruncate(fd, 0) == 0 && pwrite(fd, h, sizeof h, 0) == (ssize_t)sizeof h ? 0 : YJ_EIO;
        if (cut_bytes)
            *cut_bytes = (uint64_t)st.st_size;
    } else {
        uint64_t whole, recs;
        rc = scan_fd(fd, NULL, NULL, &whole, &recs);
        if (rc >= 0) {
            rc = 0;
            if (kept_records)
                *kept_records = recs;
            if ((uint64_t)st.st_size > whole) {
                if (ftruncate(fd, (off_t)whole) != 0)
                    rc = YJ_EIO;
                else if (cut_bytes)
                    *cut_bytes = (uint64_t)st.st_size - whole;
            }
        }
    }
    if (rc == 0 && fdatasync(fd) != 0)
        rc = YJ_EIO;
    close(fd);
    return rc;
}

/* ---- incremental reader ---- */

struct yj_pcap_reader {
    FILE *f;
    fmt_t fmt;
    uint8_t *body;
};

yj_pcap_reader_t *yj_pcap_reader_open(const char *path)
{
    FILE *f = fopen(path, "rbe");
    if (!f)
        return NULL;
    uint8_t h[YJ_PCAP_FILE_HDR];
    fmt_t fmt;
    if (fread(h, 1, sizeof h, f) != sizeof h || parse_file_header(h, &fmt) != 0) {
        fclose(f);
        errno = EINVAL;
        return NULL;
    }
    yj_pcap_reader_t *r = calloc(1, sizeof *r);
    uint8_t *body = malloc(SNAPLEN);
    if (!r || !body) {
        free(r);
        free(body);
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 18);
    r->f = f;
    r->fmt = fmt;
    r->body = body;
    return r;
}

int yj_pcap_reader_next(yj_pcap_reader_t *r, yj_pcap_record_t *rec)
{
    for (;;) {
        uint8_t rh[YJ_PCAP_REC_HDR];
        if (fread(rh, 1, sizeof rh, r->f) != sizeof rh)
            return ferror(r->f) ? YJ_EIO : 0;
        int64_t ts;
        long incl = record_len(rh, &r->fmt, &ts);
        if (incl < 0)
            return 0;
        if (fread(r->body, 1, (size_t)incl, r->f) != (size_t)incl)
            return ferror(r->f) ? YJ_EIO : 0;
        if (parse_body(r->body, (size_t)incl, ts, rec))
            return 1;
    }
}

void yj_pcap_reader_close(yj_pcap_reader_t *r)
{
    if (!r)
        return;
    fclose(r->f);
    free(r->body);
    free(r);
}
