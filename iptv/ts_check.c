/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ts_check.c — MPEG-TS analyzer (see ts_check.h).
 *
 * One pass, constant memory per PID: packets are aligned on the sync byte
 * (lost sync is counted and recovered), PSI sections are reassembled per
 * PID and checked by CRC before use, the PMT names the PCR PID and the
 * elementary PIDs, PES headers give PTS/DTS. Stream time is the packet's
 * byte position on the nominal constant-bitrate line.
 * It must never read outside what it was given, whatever the input.
 */
#include "iptv/ts_check.h"
#include "iptv/ts_mux.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#define NPID 8192
#define SEC_MAX 4096

typedef struct {
    bool seen;
    uint8_t cc;
    bool dup_ok;
    int64_t last_pts_pos; /* byte pos of the last PES with PTS; -1 none */
    int64_t last_dts;     /* 90 kHz; INT64_MIN none */
    int64_t last_sec_pos; /* for repetition of the table on this PID */
    uint8_t *sec;         /* section reassembly (PSI PIDs only) */
    size_t sec_len;
    bool sec_on;
    int64_t sec_start_pos;
} pid_t_;

struct yj_ts_check {
    int bitrate, datagram;
    yj_ts_report_t r;
    pid_t_ *pid;
    uint64_t pos; /* byte position of the next packet */
    uint8_t part[YJ_TS_PACKET];
    size_t npart;
    bool synced;
    /* repetition of tables, byte pos of the last one */
    int64_t last_pat, last_pmt, last_sdt, last_eit0;
    /* PCR */
    int64_t pcr0, pcr0_pos, last_pcr_pos;
    int64_t win_pcr, win_pos;
    /* arrival */
    int64_t arr0, arr_last, arr_win_start;
    uint64_t arr_win_bytes;
};

yj_ts_check_t *yj_ts_check_new(int bitrate, int datagram)
{
    if (bitrate <= 0)
        return NULL;
    yj_ts_check_t *c = g_new0(yj_ts_check_t, 1);
    c->bitrate = bitrate;
    c->datagram = datagram;
    c->pid = g_new0(pid_t_, NPID);
    for (int i = 0; i < NPID; i++) {
        c->pid[i].last_pts_pos = -1;
        c->pid[i].last_dts = INT64_MIN;
        c->pid[i].last_sec_pos = -1;
    }
    c->r.service_id = c->r.pmt_pid = c->r.pcr_pid = c->r.video_pid = c->r.audio_pid = -1;
    c->last_pat = c->last_pmt = c->last_sdt = c->last_eit0 = -1;
    c->pcr0 = -1;
    c->win_pcr = -1;
    c->arr_win_start = -1;
    c->arr0 = -1;
    c->r.br_min = c->r.arr_br_min = INFINITY;
    return c;
}

void yj_ts_check_free(yj_ts_check_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < NPID; i++)
        g_free(c->pid[i].sec);
    g_free(c->pid);
    g_free(c);
}

static double ms_between(const yj_ts_check_t *c, int64_t a, int64_t b)
{
    return (double)(b - a) * 8.0 * 1000.0 / c->bitrate;
}

static void repeat(yj_ts_check_t *c, int64_t *last, int64_t pos, double *max, uint64_t *count)
{
    if (*last >= 0) {
        double ms = ms_between(c, *last, pos);
        if (ms > *max)
            *max = ms;
    }
    *last = pos;
    (*count)++;
}

/* Decodes a DVB string (Annex A): 0x15 UTF-8, 0x11 UCS-2 BE, else as is
 * (Latin, kept if valid UTF-8). */
static void dvb_string(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    out[0] = 0;
    if (len == 0)
        return;
    GString *s = g_string_new(NULL);
    if (p[0] == 0x15) {
        g_string_append_len(s, (const char *)p + 1, (gssize)len - 1);
    } else if (p[0] == 0x11) {
        for (size_t i = 1; i + 1 < len; i += 2)
            g_string_append_unichar(s, (gunichar)(p[i] << 8 | p[i + 1]));
    } else if (p[0] >= 0x20) {
        g_string_append_len(s, (const char *)p, (gssize)len);
    }
    if (!g_utf8_validate(s->str, (gssize)s->len, NULL))
        g_string_assign(s, "?");
    g_strlcpy(out, s->str, outlen);
    if (strlen(s->str) >= outlen) { /* do not leave half a character */
        const char *end = out;
        g_utf8_validate(out, -1, &end);
        out[end - out] = 0;
    }
    g_string_free(s, TRUE);
}

static void on_pat(yj_ts_check_t *c, const uint8_t *s, size_t len, int64_t pos)
{
    repeat(c, &c->last_pat, pos, &c->r.pat_max_ms, &c->r.pat_count);
    for (size_t o = 8; o + 4 <= len - 4; o += 4) {
        int prog = s[o] << 8 | s[o + 1];
        int pid = (s[o + 2] & 0x1F) << 8 | s[o + 3];
        if (prog != 0 && c->r.pmt_pid < 0) {
            c->r.pmt_pid = pid;
            c->r.service_id = prog;
        }
    }
}

static void on_pmt(yj_ts_check_t *c, const uint8_t *s, size_t len, int64_t pos)
{
    repeat(c, &c->last_pmt, pos, &c->r.pmt_max_ms, &c->r.pmt_count);
    if (len < 16)
        return;
    c->r.pcr_pid = (s[8] & 0x1F) << 8 | s[9];
    size_t pil = (size_t)((s[10] & 0x0F) << 8 | s[11]);
    size_t o = 12 + pil;
    while (o + 5 <= len - 4) {
        int type = s[o];
        int pid = (s[o + 1] & 0x1F) << 8 | s[o + 2];
        size_t il = (size_t)((s[o + 3] & 0x0F) << 8 | s[o + 4]);
        if ((type == 0x1B || type == 0x24 || type == 0x02) && c->r.video_pid < 0) {
            c->r.video_pid = pid;
            c->r.video_type = type;
        } else if ((type == 0x0F || type == 0x11 || type == 0x03 || type == 0x04) &&
                   c->r.audio_pid < 0) {
            c->r.audio_pid = pid;
            c->r.audio_type = type;
        }
        o += 5 + il;
    }
}

static void on_sdt(yj_ts_check_t *c, const uint8_t *s, size_t len, int64_t pos)
{
    repeat(c, &c->last_sdt, pos, &c->r.sdt_max_ms, &c->r.sdt_count);
    size_t o = 11;
    while (o + 5 <= len - 4) {
        size_t dl = (size_t)((s[o + 3] & 0x0F) << 8 | s[o + 4]);
        size_t d = o + 5, dend = MIN(d + dl, len - 4);
        while (d + 2 <= dend) {
            size_t tl = s[d + 1];
            if (d + 2 + tl > dend)
                break;
            if (s[d] == 0x48 && tl >= 3) {
                const uint8_t *q = s + d + 2;
                size_t pl = q[1];
                if (2 + pl + 1 <= tl) {
                    dvb_string(q + 2, pl, c->r.provider, sizeof c->r.provider);
                    size_t nl = q[2 + pl];
                    if (3 + pl + nl <= tl)
                        dvb_string(q + 3 + pl, nl, c->r.service, sizeof c->r.service);
                }
            }
            d += 2 + tl;
        }
        o += 5 + dl;
    }
}

static void on_eit(yj_ts_check_t *c, const uint8_t *s, size_t len, int64_t pos)
{
    int section = s[6];
    if (section == 0)
        repeat(c, &c->last_eit0, pos, &c->r.eit_pf_max_ms, &c->r.eit_pf_count);
    size_t o = 14;
    if (o + 12 > len - 4)
        return;
    size_t dl = (size_t)((s[o + 10] & 0x0F) << 8 | s[o + 11]);
    size_t d = o + 12, dend = MIN(d + dl, len - 4);
    while (d + 2 <= dend) {
        size_t tl = s[d + 1];
        if (d + 2 + tl > dend)
            break;
        if (s[d] == 0x4D && tl >= 4) {
            size_t nl = s[d + 5];
            if (4 + nl <= tl) {
                char t[160];
                dvb_string(s + d + 6, nl, t, sizeof t);
                if (section == 1) {
                    g_strlcpy(c->r.following, t, sizeof c->r.following);
                } else if (c->r.ntitles == 0 || strcmp(c->r.titles[c->r.ntitles - 1], t)) {
                    if (c->r.ntitles < YJ_TS_CHECK_TITLES)
                        g_strlcpy(c->r.titles[c->r.ntitles++], t, sizeof c->r.titles[0]);
                }
            }
        }
        d += 2 + tl;
    }
}

static void on_section(yj_ts_check_t *c, int pid, const uint8_t *s, size_t len, int64_t pos)
{
    if (len < 12 || !(s[1] & 0x80))
        return; /* only long sections are of interest here */
    if (yj_ts_crc32(s, len) != 0) {
        c->r.crc_errors++;
        return;
    }
    if (!(s[5] & 1))
        return; /* not current */
    if (pid == 0 && s[0] == 0x00)
        on_pat(c, s, len, pos);
    else if (pid == c->r.pmt_pid && s[0] == 0x02)
        on_pmt(c, s, len, pos);
    else if (pid == 0x11 && s[0] == 0x42)
        on_sdt(c, s, len, pos);
    else if (pid == 0x12 && s[0] == 0x4E)
        on_eit(c, s, len, pos);
}

/* Appends payload bytes to pid's section buffer; completes sections. */
static void section_feed(yj_ts_check_t *c, int pidn, const uint8_t *p, size_t n, bool pusi,
                         int64_t pos)
{
    pid_t_ *st = &c->pid[pidn];
    if (!st->sec)
        st->sec = g_malloc(SEC_MAX);
    size_t o = 0;
    if (pusi) {
        if (n < 1)
            return;
        size_t ptr = p[0];
        o = 1;
        if (st->sec_on && o + ptr <= n) { /* tail of the previous section */
            size_t take = MIN(ptr, SEC_MAX - st->sec_len);
            memcpy(st->sec + st->sec_len, p + o, take);
            st->sec_len += take;
        }
        o += ptr;
        st->sec_on = false;
        st->sec_len = 0;
        if (o > n)
            return;
        st->sec_on = true;
        st->sec_start_pos = pos;
    } else if (!st->sec_on) {
        return;
    }
    while (o < n && st->sec_on) {
        if (st->sec_len == 0 && p[o] == 0xFF) { /* stuffing: rest of the packet */
            st->sec_on = false;
            return;
        }
        size_t need = SEC_MAX;
        if (st->sec_len >= 3)
            need = 3 + (size_t)((st->sec[1] & 0x0F) << 8 | st->sec[2]);
        size_t want = st->sec_len < 3 ? 3 - st->sec_len : need - st->sec_len;
        size_t take = MIN(want, n - o);
        if (st->sec_len + take > SEC_MAX) {
            st->sec_on = false;
            st->sec_len = 0;
            return;
        }
        memcpy(st->sec + st->sec_len, p + o, take);
        st->sec_len += take;
        o += take;
        if (st->sec_len >= 3) {
            need = 3 + (size_t)((st->sec[1] & 0x0F) << 8 | st->sec[2]);
            if (need > SEC_MAX) {
                st->sec_on = false;
                st->sec_len = 0;
                return;
            }
            if (st->sec_len == need) {
                on_section(c, pidn, st->sec, need, st->sec_start_pos);
                st->sec_len = 0; /* another section may follow in this packet */
                st->sec_start_pos = pos;
            }
        }
    }
}

static int64_t read_ts(const uint8_t *p)
{
    return (int64_t)(p[0] & 0x0E) << 29 | (int64_t)p[1] << 22 | (int64_t)(p[2] & 0xFE) << 14 |
           (int64_t)p[3] << 7 | (int64_t)(p[4] >> 1);
}

static void on_pes_start(yj_ts_check_t *c, int pidn, const uint8_t *p, size_t n, int64_t pos)
{
    if (n < 9 || p[0] != 0 || p[1] != 0 || p[2] != 1)
        return;
    if (pidn == c->r.video_pid)
        c->r.video_pes++;
    else if (pidn == c->r.audio_pid)
        c->r.audio_pes++;
    else
        return;
    int flags = p[7] >> 6;
    size_t hl = p[8];
    if (!(flags & 2) || 9 + hl > n || hl < 5)
        return;
    int64_t pts = read_ts(p + 9), dts = pts;
    if (flags == 3 && hl >= 10)
        dts = read_ts(p + 14);
    pid_t_ *st = &c->pid[pidn];
    if (st->last_pts_pos >= 0) {
        double ms = ms_between(c, st->last_pts_pos, pos);
        if (ms > c->r.pts_max_ms)
            c->r.pts_max_ms = ms;
    }
    st->last_pts_pos = pos;
    if (st->last_dts != INT64_MIN) {
        int64_t d = (dts - st->last_dts) & ((1LL << 33) - 1);
        if (d > (1LL << 32)) /* went back (modulo the 33-bit wrap) */
            c->r.dts_backwards++;
        else if (d == 0)
            c->r.dts_repeats++;
    }
    st->last_dts = dts;
}

static void on_pcr(yj_ts_check_t *c, int64_t pcr, int64_t pos)
{
    c->r.pcr_count++;
    if (c->pcr0 < 0) {
        c->pcr0 = pcr;
        c->pcr0_pos = pos;
        c->win_pcr = pcr;
        c->win_pos = pos;
    } else {
        double ms = ms_between(c, c->last_pcr_pos, pos);
        if (ms > c->r.pcr_max_ms)
            c->r.pcr_max_ms = ms;
        double line = (double)c->pcr0 + (double)(pos - c->pcr0_pos) * 8.0 * 27e6 / c->bitrate;
        double ns = fabs((double)pcr - line) * 1000.0 / 27.0;
        if (ns > c->r.pcr_max_acc_ns)
            c->r.pcr_max_acc_ns = ns;
        if (pcr - c->win_pcr >= 27000000) {
            double br = (double)(pos - c->win_pos) * 8.0 * 27e6 / (double)(pcr - c->win_pcr);
            c->r.windows++;
            if (br < c->r.br_min)
                c->r.br_min = br;
            if (br > c->r.br_max)
                c->r.br_max = br;
            c->win_pcr = pcr;
            c->win_pos = pos;
        }
    }
    c->last_pcr_pos = pos;
}

static void packet(yj_ts_check_t *c, const uint8_t *p)
{
    int64_t pos = (int64_t)c->pos;
    c->pos += YJ_TS_PACKET;
    c->r.packets++;
    if (p[1] & 0x80) {
        c->r.tei_errors++;
        return;
    }
    int pidn = (p[1] & 0x1F) << 8 | p[2];
    bool pusi = p[1] & 0x40;
    int afc = (p[3] >> 4) & 3;
    int cc = p[3] & 0x0F;
    if (pidn == YJ_TS_NULL_PID) {
        c->r.null_packets++;
        return;
    }
    size_t o = 4;
    bool disc = false;
    if (afc & 2) {
        size_t al = p[4];
        if (al > 183)
            return; /* malformed: ignore the packet */
        if (al > 0) {
            disc = p[5] & 0x80;
            if ((p[5] & 0x10) && al >= 7 && pidn == c->r.pcr_pid) {
                int64_t base = (int64_t)p[6] << 25 | (int64_t)p[7] << 17 | (int64_t)p[8] << 9 |
                               (int64_t)p[9] << 1 | (p[10] >> 7);
                int64_t ext = (p[10] & 1) << 8 | p[11];
                on_pcr(c, base * 300 + ext, pos);
            }
        }
        o = 5 + al;
    }
    pid_t_ *st = &c->pid[pidn];
    bool payload = afc & 1;
    if (st->seen && !disc) {
        if (payload) {
            if (cc == st->cc) {
                if (!st->dup_ok)
                    c->r.cc_errors++;
                st->dup_ok = false;
            } else if (cc != ((st->cc + 1) & 0x0F)) {
                c->r.cc_errors++;
                st->dup_ok = true;
            } else {
                st->dup_ok = true;
            }
        } else if (cc != st->cc) {
            c->r.cc_errors++;
        }
    } else {
        st->dup_ok = true;
    }
    st->seen = true;
    st->cc = (uint8_t)cc;
    if (!payload || o >= YJ_TS_PACKET)
        return;
    const uint8_t *pl = p + o;
    size_t n = YJ_TS_PACKET - o;
    if (pidn == 0 || pidn == 0x11 || pidn == 0x12 || pidn == c->r.pmt_pid)
        section_feed(c, pidn, pl, n, pusi, pos);
    else if (pusi)
        on_pes_start(c, pidn, pl, n, pos);
}

void yj_ts_check_bytes(yj_ts_check_t *c, const uint8_t *buf, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (c->npart == 0) {
            if (buf[i] != 0x47) {
                if (c->synced) {
                    c->r.sync_errors++;
                    c->synced = false;
                }
                i++;
                continue;
            }
            /* whole packets straight from buf */
            if (len - i >= YJ_TS_PACKET && c->synced) {
                packet(c, buf + i);
                i += YJ_TS_PACKET;
                continue;
            }
        }
        size_t take = MIN(YJ_TS_PACKET - c->npart, len - i);
        memcpy(c->part + c->npart, buf + i, take);
        c->npart += take;
        i += take;
        if (c->npart == YJ_TS_PACKET) {
            c->synced = true;
            c->npart = 0;
            packet(c, c->part);
        }
    }
}

void yj_ts_check_datagram(yj_ts_check_t *c, const uint8_t *buf, size_t len, int64_t arrival_ns)
{
    c->r.datagrams++;
    if (len >= 12 && (buf[0] & 0xC0) == 0x80 && (buf[1] & 0x7F) == 33) {
        size_t h = 12 + 4 * (size_t)(buf[0] & 0x0F);
        if ((buf[0] & 0x10) && h + 4 <= len)
            h += 4 + 4 * (size_t)(buf[h + 2] << 8 | buf[h + 3]);
        if (h > len)
            h = len;
        buf += h;
        len -= h;
        c->r.rtp_datagrams++;
    }
    if (c->datagram && len != (size_t)c->datagram)
        c->r.bad_datagrams++;
    if (len % YJ_TS_PACKET)
        c->r.bad_datagrams += c->datagram ? 0 : 1;
    if (arrival_ns > 0) {
        if (c->arr_last > 0) {
            double gap = (double)(arrival_ns - c->arr_last) / 1e6;
            if (gap > c->r.arr_gap_max_ms)
                c->r.arr_gap_max_ms = gap;
        }
        c->arr_last = arrival_ns;
        if (c->arr_win_start < 0) {
            c->arr_win_start = arrival_ns;
            c->arr_win_bytes = 0;
        } else if (arrival_ns - c->arr_win_start >= 1000000000LL) {
            /* the window is [start, this arrival): bytes of the datagrams in it */
            double br =
                (double)c->arr_win_bytes * 8.0 * 1e9 / (double)(arrival_ns - c->arr_win_start);
            c->r.arr_windows++;
            if (br < c->r.arr_br_min)
                c->r.arr_br_min = br;
            if (br > c->r.arr_br_max)
                c->r.arr_br_max = br;
            c->arr_win_start = arrival_ns;
            c->arr_win_bytes = 0;
        }
        c->arr_win_bytes += len;
    }
    yj_ts_check_bytes(c, buf, len);
}

void yj_ts_check_report(const yj_ts_check_t *c, yj_ts_report_t *r)
{
    *r = c->r;
    if (r->windows == 0)
        r->br_min = r->br_max = 0;
    if (r->arr_windows == 0)
        r->arr_br_min = r->arr_br_max = 0;
}

/* Appends "name":"value", (or "value" alone when name is NULL), JSON-escaped. */
static void json_str(GString *s, const char *name, const char *v)
{
    if (name)
        g_string_append_printf(s, "\"%s\":", name);
    g_string_append_c(s, '"');
    for (const char *q = v; *q; q++) {
        if (*q == '"' || *q == '\\')
            g_string_append_c(s, '\\');
        if ((unsigned char)*q < 0x20)
            g_string_append_printf(s, "\\u%04x", (unsigned char)*q);
        else
            g_string_append_c(s, *q);
    }
    g_string_append_c(s, '"');
    if (name)
        g_string_append_c(s, ',');
}

char *yj_ts_report_json(const yj_ts_report_t *r)
{
    GString *s = g_string_new("{");
#define U(k) g_string_append_printf(s, "\"%s\":%" G_GUINT64_FORMAT ",", #k, (guint64)r->k)
#define I(k) g_string_append_printf(s, "\"%s\":%d,", #k, r->k)
#define D(k) g_string_append_printf(s, "\"%s\":%.3f,", #k, r->k)
    U(packets);
    U(datagrams);
    U(bad_datagrams);
    U(rtp_datagrams);
    U(sync_errors);
    U(tei_errors);
    U(cc_errors);
    U(crc_errors);
    U(pat_count);
    U(pmt_count);
    U(sdt_count);
    U(eit_pf_count);
    D(pat_max_ms);
    D(pmt_max_ms);
    D(sdt_max_ms);
    D(eit_pf_max_ms);
    U(pcr_count);
    D(pcr_max_ms);
    D(pcr_max_acc_ns);
    I(service_id);
    I(pmt_pid);
    I(pcr_pid);
    I(video_pid);
    I(audio_pid);
    I(video_type);
    I(audio_type);
    U(video_pes);
    U(audio_pes);
    D(pts_max_ms);
    U(dts_backwards);
    U(dts_repeats);
    U(null_packets);
    U(windows);
    D(br_min);
    D(br_max);
    U(arr_windows);
    D(arr_br_min);
    D(arr_br_max);
    D(arr_gap_max_ms);
#undef U
#undef I
#undef D
    json_str(s, "provider", r->provider);
    json_str(s, "service", r->service);
    json_str(s, "following", r->following);
    g_string_append(s, "\"titles\":[");
    for (int i = 0; i < r->ntitles; i++) {
        if (i)
            g_string_append_c(s, ',');
        json_str(s, NULL, r->titles[i]);
    }
    g_string_append(s, "]}");
    return g_string_free(s, FALSE);
}

int yj_ts_estimate_bitrate(const uint8_t *buf, size_t len)
{
    /* the PCR PID is not known without the PMT: take the first PID seen with
     * a PCR and its first and last PCR */
    int pcr_pid = -1;
    int64_t p0 = -1, pos0 = 0, p1 = -1, pos1 = 0;
    size_t i = 0;
    while (i < len && buf[i] != 0x47)
        i++;
    for (; i + YJ_TS_PACKET <= len; i += YJ_TS_PACKET) {
        const uint8_t *p = buf + i;
        if (p[0] != 0x47)
            break;
        int pid = (p[1] & 0x1F) << 8 | p[2];
        if (!((p[3] >> 4) & 2) || p[4] < 7 || !(p[5] & 0x10))
            continue;
        if (pcr_pid < 0)
            pcr_pid = pid;
        if (pid != pcr_pid)
            continue;
        int64_t base = (int64_t)p[6] << 25 | (int64_t)p[7] << 17 | (int64_t)p[8] << 9 |
                       (int64_t)p[9] << 1 | (p[10] >> 7);
        int64_t pcr = base * 300 + ((p[10] & 1) << 8 | p[11]);
        if (p0 < 0) {
            p0 = pcr;
            pos0 = (int64_t)i;
        } else {
            p1 = pcr;
            pos1 = (int64_t)i;
        }
    }
    if (p0 < 0 || p1 <= p0)
        return 0;
    return (int)llround((double)(pos1 - pos0) * 8.0 * 27e6 / (double)(p1 - p0));
}
