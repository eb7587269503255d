/* SPDX-License-Identifier: Apache-2.0 */
/* test_iptv_ts.c — the IPTV transport stream: CRC-32/MPEG-2, DVB text, the
 * constant-bitrate muxer (iptv/ts_mux.c) judged by the analyzer
 * (iptv/ts_check.c), and the analyzer catching broken streams. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/yj.h"
#include "iptv/ts_check.h"
#include "iptv/source.h"
#include "iptv/ts_mux.h"

#include <glib.h>
#include <string.h>

static void crc_and_text(void **state)
{
    (void)state;
    assert_int_equal(yj_ts_crc32((const uint8_t *)"123456789", 9), 0x0376E6E7u);
    uint8_t b[64];
    size_t n = yj_ts_dvb_text("CCTV", b, sizeof b);
    assert_int_equal(n, 4);
    assert_memory_equal(b, "CCTV", 4);
    n = yj_ts_dvb_text("远教一台", b, sizeof b);
    assert_int_equal(n, 1 + 12);
    assert_int_equal(b[0], 0x15);
    assert_memory_equal(b + 1, "远教一台", 12);
    /* cut at a character boundary: 1 + 3 + 3 fit in 8, not the third */
    n = yj_ts_dvb_text("远教一台", b, 8);
    assert_int_equal(n, 7);
}

/* A synthetic programme: 25 fps video with an IDR every 50 frames (about
 * 900 kbit/s) and 48 kHz AAC frames, pushed ahead the way the playout's
 * producer does, muxed at 2 Mbit/s and returned as one byte string. */
static GByteArray *mux_stream(int seconds, int bitrate, bool change_title)
{
    yj_ts_mux_cfg_t cfg = {.bitrate = bitrate,
                           .service_id = 7,
                           .service_name = "远教一台",
                           .provider_name = "远教县委组织部"};
    yj_ts_mux_t *m = yj_ts_mux_new(&cfg);
    assert_non_null(m);
    yj_ts_event_t now = {.event_id = 1,
                         .start_ms = 1765000000000LL,
                         .duration_ms = 1800000,
                         .title = "党课：乡村振兴",
                         .text = "第一讲"};
    yj_ts_event_t next = {.event_id = 2,
                          .start_ms = 1765001800000LL,
                          .duration_ms = 1800000,
                          .title = "农业技术：水稻种植"};
    yj_ts_mux_set_events(m, &now, &next);
    GByteArray *out = g_byte_array_new();
    int64_t base = yj_ts_mux_clock(m) + yj_ts_mux_delay(m);
    int64_t vt = base, at = base;
    int frame = 0;
    uint8_t *buf = g_malloc(40000);
    uint64_t total = (uint64_t)bitrate * seconds / 8 / YJ_TS_PACKET / 7 * 7;
    for (uint64_t k = 0; k < total; k++) {
        int64_t horizon = yj_ts_mux_clock(m) + yj_ts_mux_delay(m) + 9000;
        while (vt < horizon) {
            bool key = frame % 50 == 0;
            size_t len = key ? 30000 : 3500 + (size_t)(frame % 7) * 100;
            memset(buf, 0xAB, len);
            buf[0] = buf[1] = buf[2] = 0;
            buf[3] = 1;
            buf[4] = key ? 0x65 : 0x41;
            /* B-frame-like reordering: PTS one frame after DTS */
            assert_int_equal(yj_ts_mux_push(m, YJ_TS_VIDEO, buf, len, vt + 3600, vt, key), 0);
            vt += 3600;
            frame++;
        }
        while (at < horizon) {
            size_t len = 180;
            memset(buf, 0x11, len);
            buf[0] = 0xFF;
            buf[1] = 0xF1;
            assert_int_equal(yj_ts_mux_push(m, YJ_TS_AUDIO, buf, len, at, at, true), 0);
            at += 1920;
        }
        if (change_title && k == total / 2) {
            yj_ts_event_t now2 = next;
            yj_ts_mux_set_events(m, &now2, NULL);
        }
        uint8_t pkt[YJ_TS_PACKET];
        yj_ts_mux_next(m, pkt);
        g_byte_array_append(out, pkt, sizeof pkt);
    }
    assert_int_equal(yj_ts_mux_late(m), 0);
    g_free(buf);
    yj_ts_mux_free(m);
    return out;
}

static void check_all(const uint8_t *data, size_t len, int bitrate, yj_ts_report_t *r)
{
    yj_ts_check_t *c = yj_ts_check_new(bitrate, 1316);
    assert_non_null(c);
    /* as datagrams of 7 packets, without arrival times */
    for (size_t o = 0; o < len; o += 1316)
        yj_ts_check_datagram(c, data + o, MIN(1316, len - o), 0);
    yj_ts_check_report(c, r);
    yj_ts_check_free(c);
}

static void mux_meets_tr101290(void **state)
{
    (void)state;
    const int br = 2000000;
    GByteArray *ts = mux_stream(20, br, true);
    assert_int_equal(ts->len % YJ_TS_PACKET, 0);
    yj_ts_report_t r;
    check_all(ts->data, ts->len, br, &r);
    char *j = yj_ts_report_json(&r);
    print_message("%s\n", j);
    g_free(j);
    assert_int_equal(r.packets, ts->len / YJ_TS_PACKET);
    assert_int_equal(r.sync_errors, 0);
    assert_int_equal(r.cc_errors, 0);
    assert_int_equal(r.crc_errors, 0);
    assert_int_equal(r.dts_backwards, 0);
    assert_int_equal(r.service_id, 7);
    assert_int_equal(r.video_type, 0x1B);
    assert_int_equal(r.audio_type, 0x0F);
    assert_int_equal(r.pcr_pid, r.video_pid);
    assert_true(r.pat_count >= 190 && r.pat_max_ms <= 100.0);
    assert_true(r.pmt_count >= 190 && r.pmt_max_ms <= 100.0);
    assert_true(r.sdt_count >= 10 && r.sdt_max_ms <= 2000.0);
    assert_true(r.eit_pf_count >= 10 && r.eit_pf_max_ms <= 2000.0);
    assert_true(r.pcr_count >= 500 && r.pcr_max_ms <= 40.0);
    assert_true(r.pcr_max_acc_ns <= 500.0);
    assert_true(r.pts_max_ms <= 700.0);
    /* 20 s of 25 fps, less what is still queued at the end */
    assert_true(r.video_pes >= 480 && r.video_pes <= 500);
    assert_true(r.audio_pes >= 450);
    assert_true(r.windows >= 18);
    assert_true(r.br_min >= br * 0.99 && r.br_max <= br * 1.01);
    assert_int_equal(r.bad_datagrams, 0);
    assert_true(r.null_packets > 0); /* CBR padding */
    assert_string_equal(r.service, "远教一台");
    assert_string_equal(r.provider, "远教县委组织部");
    assert_int_equal(r.ntitles, 2);
    assert_string_equal(r.titles[0], "党课：乡村振兴");
    assert_string_equal(r.titles[1], "农业技术：水稻种植");
    g_byte_array_free(ts, TRUE);
}

/* The same stream broken three ways: the analyzer must see each. */
static void analyzer_catches_faults(void **state)
{
    (void)state;
    const int br = 2000000;
    GByteArray *ts = mux_stream(6, br, false);
    size_t npk = ts->len / YJ_TS_PACKET;
    yj_ts_report_t r;

    /* one video packet dropped: a continuity error */
    GByteArray *cut = g_byte_array_new();
    bool dropped = false;
    for (size_t i = 0; i < npk; i++) {
        const uint8_t *p = ts->data + i * YJ_TS_PACKET;
        int pid = (p[1] & 0x1F) << 8 | p[2];
        if (!dropped && i > npk / 2 && pid == 0x100 && (p[3] & 0x10) && !(p[1] & 0x40)) {
            dropped = true;
            continue;
        }
        g_byte_array_append(cut, p, YJ_TS_PACKET);
    }
    assert_true(dropped);
    yj_ts_check_t *c = yj_ts_check_new(br, 0);
    yj_ts_check_bytes(c, cut->data, cut->len);
    yj_ts_check_report(c, &r);
    yj_ts_check_free(c);
    assert_true(r.cc_errors >= 1);
    g_byte_array_free(cut, TRUE);

    /* a PCR moved by 1 µs, and a PAT section with a bad CRC */
    GByteArray *bad = g_byte_array_new();
    g_byte_array_append(bad, ts->data, ts->len);
    bool pcr_done = false, pat_done = false;
    for (size_t i = 100; i < npk; i++) {
        uint8_t *p = bad->data + i * YJ_TS_PACKET;
        int pid = (p[1] & 0x1F) << 8 | p[2];
        if (!pcr_done && pid == 0x100 && (p[3] & 0x20) && p[4] >= 7 && (p[5] & 0x10)) {
            p[11] ^= 27; /* PCR extension: 27 ticks = 1 µs */
            pcr_done = true;
        }
        if (!pat_done && pid == 0 && (p[1] & 0x40)) {
            p[10] ^= 0x01;
            pat_done = true;
        }
    }
    assert_true(pcr_done && pat_done);
    c = yj_ts_check_new(br, 0);
    yj_ts_check_bytes(c, bad->data, bad->len);
    yj_ts_check_report(c, &r);
    yj_ts_check_free(c);
    assert_true(r.pcr_max_acc_ns > 500.0);
    assert_int_equal(r.crc_errors, 1);
    g_byte_array_free(bad, TRUE);

    /* garbage between packets: sync loss, then recovery */
    GByteArray *junk = g_byte_array_new();
    g_byte_array_append(junk, ts->data, 188 * 50);
    g_byte_array_append(junk, (const uint8_t *)"\x00\x01\x02", 3);
    g_byte_array_append(junk, ts->data + 188 * 50, ts->len - 188 * 50);
    c = yj_ts_check_new(br, 0);
    yj_ts_check_bytes(c, junk->data, junk->len);
    yj_ts_check_report(c, &r);
    yj_ts_check_free(c);
    assert_int_equal(r.sync_errors, 1);
    assert_int_equal(r.packets, npk);
    g_byte_array_free(junk, TRUE);

    /* the bitrate is recovered from the PCRs */
    int est = yj_ts_estimate_bitrate(ts->data, ts->len);
    assert_true(est > br - 2000 && est < br + 2000);
    g_byte_array_free(ts, TRUE);
}

/* Issue 10: at a hand-over one video DTS was sometimes repeated (the last
 * access unit of one segment and the first of the next decoded at the same
 * instant), which ffmpeg reports while decoding the capture. The muxer
 * took it: it refused only a DTS that went back. Now a repeated DTS is
 * refused on either stream, the analyzer counts one when it is forced onto
 * the wire, and a clean stream has none. */
static void repeated_dts_refused_and_counted(void **state)
{
    (void)state;
    yj_ts_mux_cfg_t cfg = {.bitrate = 2000000, .service_id = 3};
    yj_ts_mux_t *m = yj_ts_mux_new(&cfg);
    assert_non_null(m);
    uint8_t d[64] = {0, 0, 0, 1, 0x65};
    int64_t t = yj_ts_mux_clock(m) + yj_ts_mux_delay(m);
    /* the slate's last frame, then the feed's keyframe on the same DTS */
    assert_int_equal(yj_ts_mux_push(m, YJ_TS_VIDEO, d, sizeof d, t, t, false), 0);
    assert_int_equal(yj_ts_mux_push(m, YJ_TS_VIDEO, d, sizeof d, t + 3600, t, true), YJ_EINVAL);
    assert_int_equal(yj_ts_mux_queued_dts(m, YJ_TS_VIDEO), t);
    assert_int_equal(yj_ts_mux_push(m, YJ_TS_VIDEO, d, sizeof d, t + 3600, t + 1, true), 0);
    uint8_t a[16] = {0xFF, 0xF1};
    assert_int_equal(yj_ts_mux_push(m, YJ_TS_AUDIO, a, sizeof a, t, t, true), 0);
    assert_int_equal(yj_ts_mux_push(m, YJ_TS_AUDIO, a, sizeof a, t, t, true), YJ_EINVAL);
    yj_ts_mux_free(m);

    /* a clean stream: no repeat; the same with one PES made to repeat the
     * DTS (PTS only) of the one before it: counted */
    const int br = 2000000;
    GByteArray *ts = mux_stream(3, br, false);
    yj_ts_report_t r;
    check_all(ts->data, ts->len, br, &r);
    assert_int_equal(r.dts_repeats, 0);
    assert_int_equal(r.dts_backwards, 0);
    size_t npk = ts->len / YJ_TS_PACKET;
    const uint8_t *prev = NULL;
    bool forced = false;
    for (size_t i = 0; i < npk && !forced; i++) {
        uint8_t *p = ts->data + i * YJ_TS_PACKET;
        int pid = (p[1] & 0x1F) << 8 | p[2];
        if (pid != 0x101 || !(p[1] & 0x40))
            continue;
        uint8_t *pes = p + 4 + ((p[3] & 0x20) ? 1 + p[4] : 0);
        if (prev && i > npk / 2) { /* audio: PTS only, copy the previous one */
            memcpy(pes + 9, prev + 9, 5);
            forced = true;
        }
        prev = pes;
    }
    assert_true(forced);
    check_all(ts->data, ts->len, br, &r);
    assert_int_equal(r.dts_repeats, 1);
    assert_int_equal(r.dts_backwards, 0);
    g_byte_array_free(ts, TRUE);
}

/* The feed's demuxer (source_feed.c) passes on no frame of a PES that
 * lost a packet on the way: an AAC PES of five ADTS frames whose middle
 * packet is missing used to yield its first frame and a second one made
 * of two frames' bytes, which every decoder on the channel then choked
 * on ("Invalid data found"). The PES length in its header tells. */
static void feed_drops_a_broken_pes(void **state)
{
    (void)state;
    GByteArray *ts = mux_stream(1, 2000000, false);
    GByteArray *in = g_byte_array_new();
    bool pat = false, pmt = false;
    for (size_t o = 0; o + YJ_TS_PACKET <= ts->len && !(pat && pmt); o += YJ_TS_PACKET) {
        const uint8_t *p = ts->data + o;
        int pid = (p[1] & 0x1F) << 8 | p[2];
        if ((pid == 0 && !pat) || (pid == 0x1000 && !pmt)) {
            g_byte_array_append(in, p, YJ_TS_PACKET);
            pat |= pid == 0;
            pmt |= pid == 0x1000;
        }
    }
    g_byte_array_free(ts, TRUE);
    assert_true(pat && pmt);
    /* one audio PES: 14-byte header (PTS only) + five 100-byte ADTS frames */
    uint8_t pes[514];
    memset(pes, 0x11, sizeof pes);
    const uint8_t hdr[14] = {0, 0, 1, 0xC0, 508 >> 8, 508 & 0xFF, 0x84, 0x80, 5, 0x21, 0, 1, 0, 1};
    memcpy(pes, hdr, sizeof hdr);
    for (int f = 0; f < 5; f++) {
        uint8_t *a = pes + 14 + f * 100;
        const uint8_t adts[7] = {0xFF, 0xF1, 0x4C, 0x80, 100 >> 3, ((100 & 7) << 5) | 0x1F, 0xFC};
        memcpy(a, adts, sizeof adts);
    }
    uint8_t pk[3][YJ_TS_PACKET];
    for (int k = 0; k < 3; k++) {
        uint8_t *p = pk[k];
        size_t off = (size_t)k * 184, n = MIN(184, sizeof pes - off);
        p[0] = 0x47;
        p[1] = (uint8_t)((k == 0 ? 0x40 : 0) | 0x01);
        p[2] = 0x01;
        if (n == 184) {
            p[3] = (uint8_t)(0x10 | k);
            memcpy(p + 4, pes + off, n);
        } else {
            p[3] = (uint8_t)(0x30 | k);
            p[4] = (uint8_t)(183 - n);
            p[5] = 0;
            memset(p + 6, 0xFF, 183 - n - 1);
            memcpy(p + 5 + (183 - n), pes + off, n);
        }
    }
    GByteArray *whole = g_byte_array_new(), *cut = g_byte_array_new();
    g_byte_array_append(whole, in->data, in->len);
    g_byte_array_append(cut, in->data, in->len);
    for (int k = 0; k < 3; k++) {
        g_byte_array_append(whole, pk[k], YJ_TS_PACKET);
        if (k != 1)
            g_byte_array_append(cut, pk[k], YJ_TS_PACKET);
    }
    assert_int_equal(yj_iptv_feed_demux_run(whole->data, whole->len, 0), 5);
    assert_int_equal(yj_iptv_feed_demux_run(cut->data, cut->len, 0), 0);
    g_byte_array_free(whole, TRUE);
    g_byte_array_free(cut, TRUE);
    g_byte_array_free(in, TRUE);
}

static void mux_rejects_bad_input(void **state)
{
    (void)state;
    yj_ts_mux_cfg_t cfg = {.bitrate = 50000, .service_id = 1};
    assert_null(yj_ts_mux_new(&cfg));
    cfg.bitrate = 2000000;
    cfg.service_id = 0;
    assert_null(yj_ts_mux_new(&cfg));
    cfg.service_id = 1;
    cfg.video_pid = cfg.audio_pid = 0x200;
    assert_null(yj_ts_mux_new(&cfg));
    cfg.audio_pid = 0;
    yj_ts_mux_t *m = yj_ts_mux_new(&cfg);
    assert_non_null(m);
    uint8_t d[8] = {0, 0, 0, 1, 0x65};
    assert_int_equal(yj_ts_mux_push(m, YJ_TS_VIDEO, d, sizeof d, 1000, 1000, true), 0);
    assert_int_equal(yj_ts_mux_push(m, YJ_TS_VIDEO, d, sizeof d, 900, 900, false), YJ_EINVAL);
    assert_int_equal(yj_ts_mux_push(m, YJ_TS_VIDEO, d, sizeof d, 900, 1900, false), YJ_EINVAL);
    assert_int_equal(yj_ts_mux_push(m, YJ_TS_AUDIO, d, 0, 900, 900, false), YJ_EINVAL);
    yj_ts_mux_free(m);
    yj_ts_mux_free(NULL);
    yj_ts_check_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc_and_text),
        cmocka_unit_test(mux_meets_tr101290),
        cmocka_unit_test(analyzer_catches_faults),
        cmocka_unit_test(mux_rejects_bad_input),
        cmocka_unit_test(repeated_dts_refused_and_counted),
        cmocka_unit_test(feed_drops_a_broken_pes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
