/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ts_mux.c — constant-bitrate SPTS MPEG-TS multiplexer (see ts_mux.h).
 *
 * Each call to yj_ts_mux_next() decides what packet n carries, in this
 * order: a pending PSI packet (PAT+PMT every 80 ms and right before each
 * video keyframe, SDT and EIT p/f every 500 ms), a PCR-only packet when
 * the PCR is 30 ms old and no video packet goes now, the elementary
 * stream whose current access unit has the earliest DTS among those due
 * (STC >= DTS - delay), else a null packet. PCR is a pure function of n,
 * so it lies exactly on the CBR line.
 * It must never allocate per packet beyond queuing access units, and never
 * reorder access units within a stream.
 */
#include "iptv/ts_mux.h"
#include "core/yj.h"

#include <libavutil/bswap.h>
#include <libavutil/crc.h>

#include <glib.h>
#include <string.h>

#define PAT_PID 0x0000
#define SDT_PID 0x0011
#define EIT_PID 0x0012
#define PSI_INTERVAL_90K (90 * 80)      /* PAT/PMT: ≤ 100 ms */
#define SI_INTERVAL_90K (90 * 500)      /* SDT, EIT p/f: ≤ 2 s */
#define PCR_SOON_27M (27000LL * 20)     /* put PCR into a video packet after 20 ms */
#define PCR_MUST_27M (27000LL * 30)     /* force a PCR-only packet after 30 ms */
#define PCR_START_27M (27000000LL * 10) /* STC starts at 10 s: timestamps stay positive */
#define MAX_QUEUED (8u << 20)
#define MAX_SECTION 1024

typedef struct au {
    struct au *next;
    int64_t pts, dts;
    bool key;
    size_t len; /* PES bytes (header + payload) */
    uint8_t pes[];
} au_t;

typedef struct {
    uint16_t pid;
    uint8_t stream_id;
    au_t *head, *tail; /* queue; head is being sent when pos > 0 */
    size_t pos;        /* bytes of head->pes already sent */
    int64_t last_dts;
    uint8_t cc; /* continuity counter of pid */
} es_t;

typedef struct {
    uint16_t pid;
    uint8_t cc;
    uint8_t buf[4 * YJ_TS_PACKET];
    int npkt, sent; /* packets prepared / sent in this repetition */
} psi_out_t;

struct yj_ts_mux {
    int bitrate;
    int service_id, ts_id, onid;
    uint16_t pmt_pid;
    char *service_name, *provider_name;
    int64_t delay90;
    uint64_t n; /* packets produced */
    es_t es[2];
    size_t queued;
    uint64_t late;
    int64_t last_pcr;          /* 27 MHz, of the last packet carrying PCR; <0: none */
    int64_t next_pat, next_si; /* 90 kHz due times */
    /* PSI repeated as whole sections; each output has its own CC. */
    psi_out_t pat, pmt, sdt, eit;
    uint8_t eit_sec[2][MAX_SECTION];
    size_t eit_len[2];
    uint8_t eit_version;
    const void *psi_for; /* the keyframe PAT/PMT were last repeated for */
};

uint32_t yj_ts_crc32(const uint8_t *buf, size_t len)
{
    return av_bswap32(av_crc(av_crc_get_table(AV_CRC_32_IEEE), 0xFFFFFFFFu, buf, len));
}

size_t yj_ts_dvb_text(const char *utf8, uint8_t *out, size_t max)
{
    if (!utf8 || max < 2)
        return 0;
    size_t len = strlen(utf8);
    bool ascii = true;
    for (size_t i = 0; i < len; i++)
        if ((uint8_t)utf8[i] >= 0x80 || (uint8_t)utf8[i] < 0x20)
            ascii = false;
    size_t o = 0;
    if (!ascii)
        out[o++] = 0x15; /* UTF-8 encoding of ISO/IEC 10646 */
    size_t room = max - o;
    if (len > room) { /* cut at a character boundary */
        len = room;
        while (len > 0 && ((uint8_t)utf8[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(out + o, utf8, len);
    return o + len;
}

static int64_t pcr_of(const yj_ts_mux_t *m, uint64_t n)
{
    /* byte 10 of the packet holds the last bit of program_clock_reference_base */
    unsigned __int128 bits = ((unsigned __int128)n * YJ_TS_PACKET + 10) * 8;
    return PCR_START_27M + (int64_t)(bits * 27000000u / (unsigned)m->bitrate);
}

int64_t yj_ts_mux_clock(const yj_ts_mux_t *m)
{
    return pcr_of(m, m->n) / 300;
}

int64_t yj_ts_mux_delay(const yj_ts_mux_t *m)
{
    return m->delay90;
}

uint64_t yj_ts_mux_packets(const yj_ts_mux_t *m)
{
    return m->n;
}

uint64_t yj_ts_mux_late(const yj_ts_mux_t *m)
{
    return m->late;
}

size_t yj_ts_mux_queued_bytes(const yj_ts_mux_t *m)
{
    return m->queued;
}

int64_t yj_ts_mux_queued_dts(const yj_ts_mux_t *m, yj_ts_stream_t st)
{
    return m->es[st].last_dts;
}

/* ---- PSI sections ---- */

/* Finishes a long-form section in s (table_id at s[0], body written up to
 * end, CRC not yet): fills section_length and CRC; returns the total. */
static size_t section_close(uint8_t *s, size_t end)
{
    size_t section_length = end - 3 + 4;
    s[1] = (uint8_t)((s[1] & 0xF0) | ((section_length >> 8) & 0x0F));
    s[2] = (uint8_t)(section_length & 0xFF);
    uint32_t crc = yj_ts_crc32(s, end);
    s[end] = (uint8_t)(crc >> 24);
    s[end + 1] = (uint8_t)(crc >> 16);
    s[end + 2] = (uint8_t)(crc >> 8);
    s[end + 3] = (uint8_t)crc;
    return end + 4;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Splits sections (concatenated, already complete) into TS packets of
 * o->pid, the first with payload_unit_start and pointer_field 0. CC is
 * filled in when sent. */
static void psi_packetize(psi_out_t *o, const uint8_t *sec, size_t len)
{
    size_t pos = 0;
    int k = 0;
    while (pos < len && k < 4) {
        uint8_t *p = o->buf + k * YJ_TS_PACKET;
        p[0] = 0x47;
        p[1] = (uint8_t)((k == 0 ? 0x40 : 0) | (o->pid >> 8));
        p[2] = (uint8_t)o->pid;
        p[3] = 0x10;
        size_t off = 4;
        if (k == 0)
            p[off++] = 0; /* pointer_field */
        size_t take = MIN(len - pos, YJ_TS_PACKET - off);
        memcpy(p + off, sec + pos, take);
        memset(p + off + take, 0xFF, YJ_TS_PACKET - off - take);
        pos += take;
        k++;
    }
    o->npkt = k;
    o->sent = k; /* nothing pending until the next repetition */
}

static void build_pat(yj_ts_mux_t *m)
{
    uint8_t s[64];
    s[0] = 0x00;
    s[1] = 0xB0;
    put16(s + 3, (unsigned)m->ts_id);
    s[5] = 0xC1; /* version 0, current */
    s[6] = 0;
    s[7] = 0;
    put16(s + 8, (unsigned)m->service_id);
    put16(s + 10, 0xE000u | m->pmt_pid);
    psi_packetize(&m->pat, s, section_close(s, 12));
}

static void build_pmt(yj_ts_mux_t *m)
{
    uint8_t s[64];
    s[0] = 0x02;
    s[1] = 0xB0;
    put16(s + 3, (unsigned)m->service_id);
    s[5] = 0xC1;
    s[6] = 0;
    s[7] = 0;
    put16(s + 8, 0xE000u | m->es[YJ_TS_VIDEO].pid); /* PCR_PID: the video PID */
    put16(s + 10, 0xF000);                          /* program_info_length 0 */
    size_t o = 12;
    s[o++] = 0x1B; /* H.264 */
    put16(s + o, 0xE000u | m->es[YJ_TS_VIDEO].pid);
    put16(s + o + 2, 0xF000);
    o += 4;
    s[o++] = 0x0F; /* AAC ADTS */
    put16(s + o, 0xE000u | m->es[YJ_TS_AUDIO].pid);
    put16(s + o + 2, 0xF000);
    o += 4;
    psi_packetize(&m->pmt, s, section_close(s, o));
}

static void build_sdt(yj_ts_mux_t *m)
{
    uint8_t s[MAX_SECTION];
    s[0] = 0x42;
    s[1] = 0xF0;
    put16(s + 3, (unsigned)m->ts_id);
    s[5] = 0xC1;
    s[6] = 0;
    s[7] = 0;
    put16(s + 8, (unsigned)m->onid);
    s[10] = 0xFF;
    put16(s + 11, (unsigned)m->service_id);
    s[13] = 0xFD; /* EIT_schedule 0, EIT_present_following 1 */
    uint8_t d[520];
    size_t dl = 0;
    d[dl++] = 0x48; /* service_descriptor */
    size_t lenpos = dl++;
    d[dl++] = 0x01; /* digital television service */
    size_t pl = yj_ts_dvb_text(m->provider_name, d + dl + 1, 120);
    d[dl] = (uint8_t)pl;
    dl += 1 + pl;
    size_t nl = yj_ts_dvb_text(m->service_name, d + dl + 1, 120);
    d[dl] = (uint8_t)nl;
    dl += 1 + nl;
    d[lenpos] = (uint8_t)(dl - 2);
    put16(s + 14, 0x8000u | (unsigned)dl); /* running_status 4 (running), free_CA 0 */
    memcpy(s + 16, d, dl);
    psi_packetize(&m->sdt, s, section_close(s, 16 + dl));
}

static unsigned bcd2(unsigned v)
{
    return ((v / 10) << 4) | (v % 10);
}

/* One EIT p/f section (number sec) holding ev or nothing. */
static size_t build_eit_section(yj_ts_mux_t *m, int sec, const yj_ts_event_t *ev, uint8_t *s)
{
    s[0] = 0x4E;
    s[1] = 0xF0;
    put16(s + 3, (unsigned)m->service_id);
    s[5] = (uint8_t)(0xC1 | ((m->eit_version & 0x1F) << 1));
    s[6] = (uint8_t)sec;
    s[7] = 1;
    put16(s + 8, (unsigned)m->ts_id);
    put16(s + 10, (unsigned)m->onid);
    s[12] = 1;    /* segment_last_section_number */
    s[13] = 0x4E; /* last_table_id */
    size_t o = 14;
    if (ev && ev->title) {
        put16(s + o, ev->event_id);
        int64_t secs = ev->start_ms / 1000;
        int64_t days = secs / 86400, rem = secs % 86400;
        if (rem < 0) {
            rem += 86400;
            days--;
        }
        put16(s + o + 2, (unsigned)(days + 40587)); /* MJD */
        s[o + 4] = (uint8_t)bcd2((unsigned)(rem / 3600));
        s[o + 5] = (uint8_t)bcd2((unsigned)(rem / 60 % 60));
        s[o + 6] = (uint8_t)bcd2((unsigned)(rem % 60));
        int64_t d = ev->duration_ms / 1000;
        if (d > 99 * 3600 + 59 * 60 + 59)
            d = 99 * 3600 + 59 * 60 + 59;
        s[o + 7] = (uint8_t)bcd2((unsigned)(d / 3600));
        s[o + 8] = (uint8_t)bcd2((unsigned)(d / 60 % 60));
        s[o + 9] = (uint8_t)bcd2((unsigned)(d % 60));
        size_t dpos = o + 12, dl = 0;
        uint8_t *dd = s + dpos;
        dd[dl++] = 0x4D; /* short_event_descriptor */
        size_t lenpos = dl++;
        memcpy(dd + dl, "chi", 3);
        dl += 3;
        size_t tl = yj_ts_dvb_text(ev->title, dd + dl + 1, 120);
        dd[dl] = (uint8_t)tl;
        dl += 1 + tl;
        size_t xl = ev->text ? yj_ts_dvb_text(ev->text, dd + dl + 1, 240 - tl) : 0;
        dd[dl] = (uint8_t)xl;
        dl += 1 + xl;
        dd[lenpos] = (uint8_t)(dl - 2);
        unsigned running = sec == 0 ? 4 : 1;
        put16(s + o + 10, (running << 13) | (unsigned)dl);
        o = dpos + dl;
    }
    return section_close(s, o);
}

static void build_eit(yj_ts_mux_t *m)
{
    uint8_t all[2 * MAX_SECTION];
    memcpy(all, m->eit_sec[0], m->eit_len[0]);
    memcpy(all + m->eit_len[0], m->eit_sec[1], m->eit_len[1]);
    psi_packetize(&m->eit, all, m->eit_len[0] + m->eit_len[1]);
}

void yj_ts_mux_set_events(yj_ts_mux_t *m, const yj_ts_event_t *present,
                          const yj_ts_event_t *following)
{
    uint8_t s[2][MAX_SECTION];
    size_t l[2];
    for (int k = 0; k < 2; k++) {
        l[k] = build_eit_section(m, k, k == 0 ? present : following, s[k]);
    }
    bool same = l[0] == m->eit_len[0] && l[1] == m->eit_len[1] &&
                !memcmp(s[0], m->eit_sec[0], l[0]) && !memcmp(s[1], m->eit_sec[1], l[1]);
    if (same)
        return;
    m->eit_version = (uint8_t)((m->eit_version + 1) & 0x1F);
    for (int k = 0; k < 2; k++) {
        m->eit_len[k] = build_eit_section(m, k, k == 0 ? present : following, m->eit_sec[k]);
    }
    build_eit(m);
    m->next_si = 0; /* announce at once */
}

/* ---- construction ---- */

yj_ts_mux_t *yj_ts_mux_new(const yj_ts_mux_cfg_t *cfg)
{
    if (!cfg || cfg->bitrate < 100000 || cfg->bitrate > 100000000 || cfg->service_id < 1 ||
        cfg->service_id > 65535)
        return NULL;
    yj_ts_mux_t *m = g_new0(yj_ts_mux_t, 1);
    m->bitrate = cfg->bitrate;
    m->service_id = cfg->service_id;
    m->ts_id = cfg->ts_id ? cfg->ts_id : 1;
    m->onid = cfg->onid ? cfg->onid : 0xFF01;
    m->pmt_pid = cfg->pmt_pid ? cfg->pmt_pid : 0x1000;
    m->es[YJ_TS_VIDEO].pid = cfg->video_pid ? cfg->video_pid : 0x100;
    m->es[YJ_TS_AUDIO].pid = cfg->audio_pid ? cfg->audio_pid : 0x101;
    m->es[YJ_TS_VIDEO].stream_id = 0xE0;
    m->es[YJ_TS_AUDIO].stream_id = 0xC0;
    m->es[0].last_dts = m->es[1].last_dts = INT64_MIN;
    m->service_name = g_strdup(cfg->service_name ? cfg->service_name : "");
    m->provider_name = g_strdup(cfg->provider_name ? cfg->provider_name : "");
    m->delay90 = 90LL * (cfg->delay_ms > 0 ? cfg->delay_ms : 600);
    m->last_pcr = -1;
    m->pat.pid = PAT_PID;
    m->pmt.pid = m->pmt_pid;
    m->sdt.pid = SDT_PID;
    m->eit.pid = EIT_PID;
    uint16_t pids[] = {m->pmt_pid, m->es[0].pid, m->es[1].pid};
    for (size_t i = 0; i < 3; i++)
        if (pids[i] < 0x20 || pids[i] >= YJ_TS_NULL_PID) {
            yj_ts_mux_free(m);
            return NULL;
        }
    if (m->es[0].pid == m->es[1].pid || m->pmt_pid == m->es[0].pid || m->pmt_pid == m->es[1].pid) {
        yj_ts_mux_free(m);
        return NULL;
    }
    build_pat(m);
    build_pmt(m);
    build_sdt(m);
    m->eit_version = 31; /* the first set_events makes it 0 */
    yj_ts_mux_set_events(m, NULL, NULL);
    return m;
}

void yj_ts_mux_free(yj_ts_mux_t *m)
{
    if (!m)
        return;
    for (int s = 0; s < 2; s++) {
        au_t *a = m->es[s].head;
        while (a) {
            au_t *n = a->next;
            g_free(a);
            a = n;
        }
    }
    g_free(m->service_name);
    g_free(m->provider_name);
    g_free(m);
}

/* ---- elementary streams ---- */

static void put_ts(uint8_t *p, unsigned prefix, int64_t t)
{
    uint64_t v = (uint64_t)t & ((1ULL << 33) - 1);
    p[0] = (uint8_t)((prefix << 4) | ((v >> 29) & 0x0E) | 1);
    p[1] = (uint8_t)(v >> 22);
    p[2] = (uint8_t)(((v >> 14) & 0xFE) | 1);
    p[3] = (uint8_t)(v >> 7);
    p[4] = (uint8_t)(((v << 1) & 0xFE) | 1);
}

static bool has_aud(const uint8_t *d, size_t len)
{
    size_t i = 0;
    while (i + 3 < len && d[i] == 0)
        i++;
    return i >= 2 && i + 1 < len && d[i] == 1 && (d[i + 1] & 0x1F) == 9;
}

int yj_ts_mux_push(yj_ts_mux_t *m, yj_ts_stream_t st, const uint8_t *data, size_t len, int64_t pts,
                   int64_t dts, bool keyframe)
{
    if (!m || (st != YJ_TS_VIDEO && st != YJ_TS_AUDIO) || !data || len == 0 ||
        len > 4 * 1024 * 1024 || pts < dts)
        return YJ_EINVAL;
    es_t *e = &m->es[st];
    /* Strictly rising: two access units of one stream never share a
     * decoding time (ISO/IEC 13818-1 2.7.4); a repeated DTS makes
     * decoders and remuxers (ffmpeg) reject or reorder the frame. */
    if (e->last_dts != INT64_MIN && dts <= e->last_dts)
        return YJ_EINVAL;
    if (m->queued + len > MAX_QUEUED)
        return YJ_ETOOBIG;
    static const uint8_t aud[] = {0, 0, 0, 1, 0x09, 0xF0};
    bool add_aud = st == YJ_TS_VIDEO && !has_aud(data, len);
    bool two = pts != dts;
    size_t hdr = 9 + (two ? 10 : 5);
    size_t payload = len + (add_aud ? sizeof aud : 0);
    au_t *a = g_malloc(sizeof *a + hdr + payload);
    a->next = NULL;
    a->pts = pts;
    a->dts = dts;
    a->key = keyframe;
    a->len = hdr + payload;
    uint8_t *p = a->pes;
    p[0] = 0;
    p[1] = 0;
    p[2] = 1;
    p[3] = e->stream_id;
    size_t pes_len = hdr - 6 + payload;
    if (pes_len > 0xFFFF)
        pes_len = 0; /* unbounded: allowed for video in a TS */
    put16(p + 4, (unsigned)pes_len);
    p[6] = 0x84; /* '10', data_alignment_indicator */
    p[7] = two ? 0xC0 : 0x80;
    p[8] = (uint8_t)(hdr - 9);
    put_ts(p + 9, two ? 3 : 2, pts);
    if (two)
        put_ts(p + 14, 1, dts);
    size_t o = hdr;
    if (add_aud) {
        memcpy(p + o, aud, sizeof aud);
        o += sizeof aud;
    }
    memcpy(p + o, data, len);
    if (e->tail)
        e->tail->next = a;
    else
        e->head = a;
    e->tail = a;
    e->last_dts = dts;
    m->queued += a->len;
    return 0;
}

static void write_pcr(uint8_t *p, int64_t pcr)
{
    uint64_t base = (uint64_t)(pcr / 300) & ((1ULL << 33) - 1);
    unsigned ext = (unsigned)(pcr % 300);
    p[0] = (uint8_t)(base >> 25);
    p[1] = (uint8_t)(base >> 17);
    p[2] = (uint8_t)(base >> 9);
    p[3] = (uint8_t)(base >> 1);
    p[4] = (uint8_t)(((base & 1) << 7) | 0x7E | (ext >> 8));
    p[5] = (uint8_t)ext;
}

static void es_packet(yj_ts_mux_t *m, int s, uint8_t *out, bool with_pcr, int64_t pcr, uint8_t *cc)
{
    es_t *e = &m->es[s];
    au_t *a = e->head;
    bool start = e->pos == 0;
    size_t remaining = a->len - e->pos;
    size_t af = 0; /* adaptation field bytes including its length byte */
    uint8_t flags = 0;
    if (with_pcr)
        flags |= 0x10;
    if (start && a->key)
        flags |= 0x40; /* random_access_indicator */
    if (flags)
        af = 2 + (with_pcr ? 6 : 0);
    size_t space = 184 - af;
    if (remaining < space) { /* stuff through the adaptation field */
        size_t need = 184 - remaining;
        af = need;
        space = remaining;
    }
    out[0] = 0x47;
    out[1] = (uint8_t)((start ? 0x40 : 0) | (e->pid >> 8));
    out[2] = (uint8_t)e->pid;
    out[3] = (uint8_t)((af ? 0x30 : 0x10) | (*cc & 0x0F));
    *cc = (uint8_t)((*cc + 1) & 0x0F);
    size_t o = 4;
    if (af) {
        out[o] = (uint8_t)(af - 1);
        if (af >= 2) {
            out[o + 1] = flags;
            size_t f = o + 2;
            if (with_pcr) {
                write_pcr(out + f, pcr);
                f += 6;
            }
            memset(out + f, 0xFF, o + af - f);
        }
        o += af;
    }
    memcpy(out + o, a->pes + e->pos, space);
    e->pos += space;
    if (e->pos == a->len) {
        e->head = a->next;
        if (!e->head)
            e->tail = NULL;
        e->pos = 0;
        m->queued -= a->len;
        g_free(a);
    }
}

static void pcr_only(yj_ts_mux_t *m, uint8_t *out, int64_t pcr, uint8_t cc)
{
    uint16_t pid = m->es[YJ_TS_VIDEO].pid;
    out[0] = 0x47;
    out[1] = (uint8_t)(pid >> 8);
    out[2] = (uint8_t)pid;
    out[3] = (uint8_t)(0x20 | ((cc - 1) & 0x0F)); /* adaptation only: CC not incremented */
    out[4] = 183;
    out[5] = 0x10;
    write_pcr(out + 6, pcr);
    memset(out + 12, 0xFF, YJ_TS_PACKET - 12);
}

static bool psi_pending(yj_ts_mux_t *m, uint8_t *out)
{
    psi_out_t *order[] = {&m->pat, &m->pmt, &m->sdt, &m->eit};
    for (size_t i = 0; i < YJ_ARRAY_LEN(order); i++) {
        psi_out_t *o = order[i];
        if (o->sent < o->npkt) {
            memcpy(out, o->buf + o->sent * YJ_TS_PACKET, YJ_TS_PACKET);
            out[3] = (uint8_t)((out[3] & 0xF0) | (o->cc & 0x0F));
            o->cc = (uint8_t)((o->cc + 1) & 0x0F);
            o->sent++;
            return true;
        }
    }
    return false;
}

void yj_ts_mux_next(yj_ts_mux_t *m, uint8_t out[YJ_TS_PACKET])
{
    int64_t pcr = pcr_of(m, m->n);
    int64_t stc = pcr / 300;
    m->n++;
    if (stc >= m->next_pat) {
        m->pat.sent = 0;
        m->pmt.sent = 0;
        m->next_pat = stc + PSI_INTERVAL_90K;
    }
    if (stc >= m->next_si) {
        m->sdt.sent = 0;
        m->eit.sent = 0;
        m->next_si = stc + SI_INTERVAL_90K;
    }
    if (psi_pending(m, out))
        return;
    /* the stream with the earliest due access unit */
    int pick = -1;
    for (int s = 0; s < 2; s++) {
        au_t *a = m->es[s].head;
        if (!a || (m->es[s].pos == 0 && stc < a->dts - m->delay90))
            continue;
        if (pick < 0 || a->dts < m->es[pick].head->dts)
            pick = s;
    }
    if (pick == YJ_TS_VIDEO && m->es[pick].pos == 0 && m->es[pick].head->key &&
        m->psi_for != m->es[pick].head) {
        /* PAT and PMT right before every keyframe: a decoder (or an HLS
         * segment cut there) can start at once */
        m->psi_for = m->es[pick].head;
        m->pat.sent = 0;
        m->pmt.sent = 0;
        m->next_pat = stc + PSI_INTERVAL_90K;
        psi_pending(m, out);
        return;
    }
    int64_t since = m->last_pcr < 0 ? PCR_MUST_27M : pcr - m->last_pcr;
    if (pick == YJ_TS_VIDEO) {
        bool with_pcr = since >= PCR_SOON_27M;
        if (with_pcr)
            m->last_pcr = pcr;
        au_t *a = m->es[pick].head;
        if (m->es[pick].pos == 0 && stc > a->dts)
            m->late++;
        es_packet(m, pick, out, with_pcr, pcr, &m->es[pick].cc);
        return;
    }
    if (since >= PCR_MUST_27M) {
        m->last_pcr = pcr;
        pcr_only(m, out, pcr, m->es[YJ_TS_VIDEO].cc);
        return;
    }
    if (pick == YJ_TS_AUDIO) {
        au_t *a = m->es[pick].head;
        if (m->es[pick].pos == 0 && stc > a->dts)
            m->late++;
        es_packet(m, pick, out, false, 0, &m->es[pick].cc);
        return;
    }
    /* null packet */
    out[0] = 0x47;
    out[1] = 0x1F;
    out[2] = 0xFF;
    out[3] = 0x10;
    memset(out + 4, 0xFF, YJ_TS_PACKET - 4);
}
