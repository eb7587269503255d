/* SPDX-License-Identifier: Apache-2.0 */
/* test_media_rtp.c — RTP/RTCP parsing and writing, RFC 7983 demux, the
 * sequence/timestamp rewriter across source switches, the NACK cache,
 * keyframe probes, and DTLS-SRTP between two endpoints in memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/dtls.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/srtp.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

static void rtp_parse_fields(void **state)
{
    (void)state;
    uint8_t buf[64];
    yj_rtp_ext_elem_t ext[2] = {{.id = 4, .len = 1, .data = {'0'}},
                                {.id = 1, .len = 1, .data = {0x80 | 30}}};
    int h = yj_rtp_write_header(buf, sizeof buf, true, 111, 65535, 123456, 0xdeadbeef, ext, 2);
    assert_int_equal(h, 12 + 4 + 4);
    memcpy(buf + h, "opus", 4);
    yj_rtp_t p;
    assert_int_equal(yj_rtp_parse(buf, (size_t)h + 4, &p), 0);
    assert_true(p.marker);
    assert_int_equal(p.pt, 111);
    assert_int_equal(p.seq, 65535);
    assert_int_equal(p.ts, 123456);
    assert_int_equal(p.ssrc, 0xdeadbeef);
    assert_int_equal(p.ext_profile, 0xBEDE);
    assert_int_equal(p.payload_len, 4);
    assert_memory_equal(p.payload, "opus", 4);
    const uint8_t *d;
    assert_int_equal(yj_rtp_ext_find(&p, 4, &d), 1);
    assert_int_equal(d[0], '0');
    assert_int_equal(yj_rtp_audio_level(&p, 1), 30);
    assert_int_equal(yj_rtp_ext_find(&p, 7, &d), -1);

    /* CSRCs, two-byte extensions and padding */
    uint8_t b2[] = {0xb2, 96,   0, 1, 0, 0, 0,    9,    0, 0, 0, 7, /* V=2 P X=1 CC=2 */
                    0,    0,    0, 1, 0, 0, 0,    2,                /* CSRC */
                    0x10, 0x00, 0, 1, 5, 2, 0xaa, 0xbb,             /* 0x1000: id 5 len 2 */
                    'x',  'y',  0, 0, 3};                           /* payload + 3 padding */
    assert_int_equal(yj_rtp_parse(b2, sizeof b2, &p), 0);
    assert_int_equal(p.cc, 2);
    assert_int_equal(p.csrc[1], 2);
    assert_int_equal(yj_rtp_ext_find(&p, 5, &d), 2);
    assert_int_equal(d[1], 0xbb);
    assert_int_equal(p.payload_len, 2);
    assert_int_equal(p.pad_len, 3);
}

static void rtp_refusals(void **state)
{
    (void)state;
    uint8_t ok[] = {0x90, 96, 0, 1, 0, 0, 0, 9, 0, 0, 0, 7, 0xbe, 0xde, 0, 1, 0x10, 1, 0, 0, 'p'};
    yj_rtp_t p;
    assert_int_equal(yj_rtp_parse(ok, sizeof ok, &p), 0);
    for (size_t n = 0; n < 12; n++)
        assert_int_equal(yj_rtp_parse(ok, n, &p), YJ_DROP_SHORT);
    assert_int_equal(yj_rtp_parse(ok, 14, &p), YJ_DROP_EXTENSION);
    assert_int_equal(yj_rtp_parse(ok, 17, &p), YJ_DROP_EXTENSION);
    uint8_t v1[sizeof ok];
    memcpy(v1, ok, sizeof ok);
    v1[0] = 0x50;
    assert_int_equal(yj_rtp_parse(v1, sizeof v1, &p), YJ_DROP_VERSION);
    uint8_t pad[] = {0xa0, 96, 0, 1, 0, 0, 0, 9, 0, 0, 0, 7, 'a', 9};
    assert_int_equal(yj_rtp_parse(pad, sizeof pad, &p), YJ_DROP_PADDING);
    pad[13] = 0;
    assert_int_equal(yj_rtp_parse(pad, sizeof pad, &p), YJ_DROP_PADDING);
    uint8_t cc[] = {0x8f, 96, 0, 1, 0, 0, 0, 9, 0, 0, 0, 7, 0, 0, 0, 1};
    assert_int_equal(yj_rtp_parse(cc, sizeof cc, &p), YJ_DROP_SHORT);
    /* a one-byte element that claims more bytes than its block has */
    uint8_t bad[] = {0x90, 96, 0, 1, 0, 0, 0, 9, 0, 0, 0, 7, 0xbe, 0xde, 0, 1, 0x1f, 1, 2, 3};
    assert_int_equal(yj_rtp_parse(bad, sizeof bad, &p), 0);
    const uint8_t *d;
    assert_int_equal(yj_rtp_ext_find(&p, 1, &d), -1);
}

static void demux(void **state)
{
    (void)state;
    uint8_t stun[] = {0x00, 0x01}, dtls[] = {22, 0xfe}, rtp[] = {0x80, 96}, rtcp[] = {0x80, 200},
            junk[] = {0x70, 0};
    assert_int_equal(yj_pkt_classify(stun, 2), YJ_PKT_STUN);
    assert_int_equal(yj_pkt_classify(dtls, 2), YJ_PKT_DTLS);
    assert_int_equal(yj_pkt_classify(rtp, 2), YJ_PKT_RTP);
    assert_int_equal(yj_pkt_classify(rtcp, 2), YJ_PKT_RTCP);
    assert_int_equal(yj_pkt_classify(junk, 2), YJ_PKT_UNKNOWN);
    assert_int_equal(yj_pkt_classify(rtp, 0), YJ_PKT_UNKNOWN);
}

static void seq_unwrap(void **state)
{
    (void)state;
    int64_t hi = 0;
    bool init = false;
    int64_t a = yj_seq_unwrap(65534, &hi, &init);
    int64_t b = yj_seq_unwrap(65535, &hi, &init);
    int64_t c = yj_seq_unwrap(0, &hi, &init);
    int64_t d = yj_seq_unwrap(65533, &hi, &init); /* late, before the wrap */
    assert_int_equal(b, a + 1);
    assert_int_equal(c, a + 2);
    assert_int_equal(d, a - 1);
    assert_int_equal(hi, c);
}

static void rewriter_switch(void **state)
{
    (void)state;
    yj_rewriter_t rw = {.last_seq = 1000, .last_ts = 5000};
    uint16_t s;
    uint32_t t;
    int64_t now = 1000000;
    /* first source A: starts right after the initial seq */
    assert_true(yj_rewriter_map(&rw, 0xA, 40000, 90000, 90000, now, &s, &t));
    assert_int_equal(s, 1001);
    assert_int_equal(t, 5000);
    assert_true(yj_rewriter_map(&rw, 0xA, 40001, 93000, 90000, now + 33000, &s, &t));
    assert_int_equal(s, 1002);
    assert_int_equal(t, 8000);
    /* reordered older packet of A still maps (to its own place) */
    assert_true(yj_rewriter_map(&rw, 0xA, 40000, 90000, 90000, now + 34000, &s, &t));
    assert_int_equal(s, 1001);
    /* NACK of output 1002 is source 40001 */
    uint16_t src;
    assert_true(yj_rewriter_unmap_seq(&rw, 1002, &src));
    assert_int_equal(src, 40001);
    assert_false(yj_rewriter_unmap_seq(&rw, 1003, &src));
    /* another source without a switch is refused */
    assert_false(yj_rewriter_map(&rw, 0xB, 7, 1, 90000, now + 40000, &s, &t));
    /* switch to B 100 ms later: seq continues, ts advanced by ~100 ms */
    yj_rewriter_switch(&rw);
    assert_true(yj_rewriter_map(&rw, 0xB, 7, 1, 90000, now + 133000, &s, &t));
    assert_int_equal(s, 1003);
    assert_int_equal(t, 8000 + 9000);
    assert_true(yj_rewriter_map(&rw, 0xB, 8, 3001, 90000, now + 166000, &s, &t));
    assert_int_equal(s, 1004);
    assert_int_equal(t, 8000 + 9000 + 3000);
    /* late packets of A, or of B from before the switch, are dropped */
    assert_false(yj_rewriter_map(&rw, 0xA, 40002, 96000, 90000, now + 170000, &s, &t));
    assert_false(yj_rewriter_map(&rw, 0xB, 6, 0, 90000, now + 171000, &s, &t));
    /* NACK for an output number of the old epoch cannot be mapped */
    assert_false(yj_rewriter_unmap_seq(&rw, 1002, &src));
    assert_true(yj_rewriter_unmap_seq(&rw, 1003, &src));
    assert_int_equal(src, 7);
    /* wrap of the output sequence */
    yj_rewriter_t w2 = {.last_seq = 65534};
    assert_true(yj_rewriter_map(&w2, 1, 10, 0, 48000, 0, &s, &t));
    assert_int_equal(s, 65535);
    assert_true(yj_rewriter_map(&w2, 1, 11, 960, 48000, 20000, &s, &t));
    assert_int_equal(s, 0);
}

static void nack_cache(void **state)
{
    (void)state;
    yj_nack_cache_t c;
    assert_int_equal(yj_nack_cache_init(&c, 1000000), 0);
    uint8_t pkt[100];
    for (int i = 0; i < 100; i++)
        pkt[i] = (uint8_t)i;
    yj_nack_cache_put(&c, 65535, pkt, 100, 0);
    yj_nack_cache_put(&c, 0, pkt, 50, 10);
    size_t len;
    const uint8_t *p = yj_nack_cache_get(&c, 65535, 500000, &len);
    assert_non_null(p);
    assert_int_equal(len, 100);
    assert_memory_equal(p, pkt, 100);
    assert_non_null(yj_nack_cache_get(&c, 0, 500000, &len));
    assert_int_equal(len, 50);
    assert_null(yj_nack_cache_get(&c, 1, 500000, &len));
    assert_null(yj_nack_cache_get(&c, 65535, 1000001, &len)); /* expired */
    /* a later packet in the same slot replaces the old one */
    yj_nack_cache_put(&c, (uint16_t)(65535 + YJ_NACK_CACHE_SLOTS), pkt, 20, 20);
    assert_null(yj_nack_cache_get(&c, 65535, 30, &len));
    uint8_t big[YJ_RTP_MAX + 1] = {0};
    yj_nack_cache_put(&c, 5, big, sizeof big, 0); /* too big: ignored */
    assert_null(yj_nack_cache_get(&c, 5, 0, &len));
    yj_nack_cache_clear(&c);
    yj_nack_cache_clear(&c);
}

typedef struct {
    int sr, rep, nack, pli, fir, remb, bye;
    uint16_t pid, blp;
    uint64_t bitrate;
    uint8_t lost;
    int32_t cum;
} seen_t;

static void visit(const yj_rtcp_item_t *it, void *ud)
{
    seen_t *s = ud;
    switch (it->kind) {
    case YJ_RTCPI_SR:
        s->sr++;
        break;
    case YJ_RTCPI_REPORT:
        s->rep++;
        s->lost = it->fraction_lost;
        s->cum = it->cumulative_lost;
        break;
    case YJ_RTCPI_NACK:
        s->nack++;
        s->pid = it->pid;
        s->blp = it->blp;
        break;
    case YJ_RTCPI_PLI:
        s->pli++;
        break;
    case YJ_RTCPI_FIR:
        s->fir++;
        break;
    case YJ_RTCPI_REMB:
        s->remb++;
        s->bitrate = it->bitrate;
        break;
    case YJ_RTCPI_BYE:
        s->bye++;
        break;
    default:
        break;
    }
}

static void rtcp_compound(void **state)
{
    (void)state;
    uint8_t buf[1024];
    int off = 0;
    yj_rtcp_block_t b = {.ssrc = 7, .fraction_lost = 64, .cumulative_lost = -3, .highest_seq = 9};
    off += yj_rtcp_write_sr(buf + off, sizeof buf - off, 1, yj_ntp_from_us(1), 2, 3, 4, &b, 1);
    off += yj_rtcp_write_rr(buf + off, sizeof buf - off, 1, &b, 1);
    off += yj_rtcp_write_sdes(buf + off, sizeof buf - off, 1, "cname");
    uint16_t lost[] = {100, 102, 116, 200};
    off += yj_rtcp_write_nack(buf + off, sizeof buf - off, 1, 7, lost, 4);
    off += yj_rtcp_write_pli(buf + off, sizeof buf - off, 1, 7);
    off += yj_rtcp_write_fir(buf + off, sizeof buf - off, 1, 7, 3);
    uint32_t ss[] = {7, 8};
    off += yj_rtcp_write_remb(buf + off, sizeof buf - off, 1, 1500000, ss, 2);
    off += yj_rtcp_write_bye(buf + off, sizeof buf - off, 1);
    seen_t s = {0};
    assert_int_equal(yj_rtcp_parse(buf, (size_t)off, visit, &s), 8);
    assert_int_equal(s.sr, 1);
    assert_int_equal(s.rep, 2);
    assert_int_equal(s.lost, 64);
    assert_int_equal(s.cum, -3);
    assert_int_equal(s.nack, 2); /* 100 (+102, +116) and 200 */
    assert_int_equal(s.pid, 200);
    assert_int_equal(s.pli, 1);
    assert_int_equal(s.fir, 1);
    assert_int_equal(s.remb, 2);
    assert_true(s.bitrate <= 1500000 && s.bitrate > 1490000);
    assert_int_equal(s.bye, 1);
    /* every truncation of the compound is refused without a visit */
    for (int n = 0; n < off; n++) {
        seen_t z = {0};
        int rc = yj_rtcp_parse(buf, (size_t)n, visit, &z);
        if (rc < 0)
            assert_int_equal(z.sr + z.rep + z.nack + z.pli + z.fir + z.remb + z.bye, 0);
    }
    /* bad version, bad length */
    uint8_t bad[8] = {0x40, 201, 0, 1, 0, 0, 0, 1};
    assert_int_equal(yj_rtcp_parse(bad, 8, visit, &s), YJ_EINVAL);
    bad[0] = 0x81;
    bad[3] = 9;
    assert_int_equal(yj_rtcp_parse(bad, 8, visit, &s), YJ_EINVAL);
    /* RR claiming 5 blocks in 8 bytes */
    uint8_t rr[8] = {0x85, 201, 0, 1, 0, 0, 0, 1};
    assert_int_equal(yj_rtcp_parse(rr, 8, visit, &s), YJ_EINVAL);
}

static void keyframes(void **state)
{
    (void)state;
    /* VP8 descriptor: X=1 S=1 PID=0, I=1 (15-bit picture id), then a
     * keyframe header (P=0) with start code and 640x480 */
    uint8_t vp8[] = {0x90, 0x80, 0x81, 0x23, 0x10, 0x02, 0x00,
                     0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01};
    assert_true(yj_vp8_is_keyframe(vp8, sizeof vp8));
    int w, h;
    assert_true(yj_vp8_keyframe_size(vp8, sizeof vp8, &w, &h));
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);
    vp8[4] = 0x11; /* P=1: interframe */
    assert_false(yj_vp8_is_keyframe(vp8, sizeof vp8));
    vp8[0] = 0x80; /* not the start of a partition */
    vp8[4] = 0x10;
    assert_false(yj_vp8_is_keyframe(vp8, sizeof vp8));
    assert_false(yj_vp8_is_keyframe(vp8, 2));
    uint8_t idr[] = {0x65, 0x88};
    uint8_t nonidr[] = {0x41, 0x9a};
    uint8_t stap[] = {0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce};
    uint8_t fua_start[] = {0x7c, 0x85, 0x00};
    uint8_t fua_mid[] = {0x7c, 0x05, 0x00};
    assert_true(yj_h264_is_keyframe(idr, 2));
    assert_false(yj_h264_is_keyframe(nonidr, 2));
    assert_true(yj_h264_is_keyframe(stap, sizeof stap));
    assert_true(yj_h264_is_keyframe(fua_start, 3));
    assert_false(yj_h264_is_keyframe(fua_mid, 3));
    uint8_t stap_bad[] = {0x18, 0x00, 0x09, 0x67};
    assert_false(yj_h264_is_keyframe(stap_bad, sizeof stap_bad));
}

/* Two DTLS endpoints wired back to back in memory. */
typedef struct {
    yj_dtls_t *peer;
    GQueue *q; /* datagrams for the peer */
} wire_t;

static void wire_send(const uint8_t *data, size_t len, void *ud)
{
    wire_t *w = ud;
    g_queue_push_tail(w->q, g_bytes_new(data, len));
}

static yj_dtls_status_t pump(yj_dtls_t *to, GQueue *q)
{
    yj_dtls_status_t last = YJ_DTLS_PENDING;
    GBytes *b;
    while ((b = g_queue_pop_head(q))) {
        gsize n;
        const uint8_t *d = g_bytes_get_data(b, &n);
        yj_dtls_status_t st = yj_dtls_feed(to, d, n);
        if (st != YJ_DTLS_OPEN)
            last = st;
        g_bytes_unref(b);
    }
    return last;
}

static void dtls_srtp(void **state)
{
    (void)state;
    assert_int_equal(yj_srtp_global_init(), 0);
    char *err = NULL;
    yj_dtls_cert_t *ca = yj_dtls_cert_new(&err), *cb = yj_dtls_cert_new(&err);
    assert_non_null(ca);
    assert_non_null(cb);
    assert_true(g_str_has_prefix(yj_dtls_cert_fingerprint(ca), "sha-256 "));
    assert_int_equal(strlen(yj_dtls_cert_fingerprint(ca)), 8 + 32 * 3 - 1);
    GQueue *to_srv = g_queue_new(), *to_cli = g_queue_new();
    wire_t ws = {.q = to_cli}, wc = {.q = to_srv};
    yj_dtls_t *srv = yj_dtls_new(ca, false, yj_dtls_cert_fingerprint(cb), wire_send, &ws);
    yj_dtls_t *cli = yj_dtls_new(cb, true, yj_dtls_cert_fingerprint(ca), wire_send, &wc);
    assert_int_equal(yj_dtls_start(cli), 0);
    bool sdone = false, cdone = false;
    for (int i = 0; i < 10 && !(sdone && cdone); i++) {
        if (pump(srv, to_srv) == YJ_DTLS_CONNECTED)
            sdone = true;
        if (pump(cli, to_cli) == YJ_DTLS_CONNECTED)
            cdone = true;
    }
    assert_true(sdone);
    assert_true(cdone);
    int ps, pc;
    uint8_t sl[32], sr[32], cl[32], cr[32];
    size_t ks, kc;
    assert_int_equal(yj_dtls_srtp_keys(srv, &ps, sl, sr, &ks), 0);
    assert_int_equal(yj_dtls_srtp_keys(cli, &pc, cl, cr, &kc), 0);
    assert_int_equal(ps, YJ_SRTP_AEAD_AES_128_GCM); /* preferred */
    assert_int_equal(ps, pc);
    assert_int_equal(ks, 28);
    assert_memory_equal(sl, cr, ks);
    assert_memory_equal(sr, cl, ks);
    /* SRTP: the server protects, the client unprotects; tampering fails */
    yj_srtp_t *out = yj_srtp_new(ps, sl, ks, false), *in = yj_srtp_new(pc, cr, kc, true);
    assert_non_null(out);
    assert_non_null(in);
    uint8_t pkt[64 + YJ_SRTP_OVERHEAD];
    int h = yj_rtp_write_header(pkt, sizeof pkt, false, 96, 1, 2, 3, NULL, 0);
    memcpy(pkt + h, "payload!", 8);
    int len = h + 8;
    assert_int_equal(yj_srtp_protect(out, pkt, &len), 0);
    assert_true(len > h + 8);
    uint8_t copy[sizeof pkt];
    memcpy(copy, pkt, (size_t)len);
    int clen = len;
    copy[h + 1] ^= 1;
    assert_int_equal(yj_srtp_unprotect(in, copy, &clen), YJ_ECRYPTO);
    assert_int_equal(yj_srtp_unprotect(in, pkt, &len), 0);
    assert_int_equal(len, h + 8);
    assert_memory_equal(pkt + h, "payload!", 8);
    yj_srtp_free(out);
    yj_srtp_free(in);

    /* a wrong fingerprint fails the handshake */
    yj_dtls_t *srv2 = yj_dtls_new(ca, false, "sha-256 00:11", wire_send, &ws);
    yj_dtls_t *cli2 = yj_dtls_new(cb, true, yj_dtls_cert_fingerprint(ca), wire_send, &wc);
    ws.peer = cli2;
    yj_dtls_start(cli2);
    bool failed = false;
    for (int i = 0; i < 10 && !failed; i++) {
        failed = pump(srv2, to_srv) == YJ_DTLS_FAILED;
        pump(cli2, to_cli);
    }
    assert_true(failed);
    assert_non_null(strstr(yj_dtls_error(srv2), "fingerprint"));
    /* garbage records do not crash it */
    uint8_t junk[40];
    memset(junk, 0x16, sizeof junk);
    yj_dtls_feed(srv, junk, sizeof junk);
    yj_dtls_free(srv2);
    yj_dtls_free(cli2);
    yj_dtls_free(srv);
    yj_dtls_free(cli);
    g_queue_free_full(to_srv, (GDestroyNotify)g_bytes_unref);
    g_queue_free_full(to_cli, (GDestroyNotify)g_bytes_unref);
    yj_dtls_cert_free(ca);
    yj_dtls_cert_free(cb);
    yj_dtls_free(NULL);
    yj_dtls_cert_free(NULL);
    yj_srtp_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rtp_parse_fields),
        cmocka_unit_test(rtp_refusals),
        cmocka_unit_test(demux),
        cmocka_unit_test(seq_unwrap),
        cmocka_unit_test(rewriter_switch),
        cmocka_unit_test(nack_cache),
        cmocka_unit_test(rtcp_compound),
        cmocka_unit_test(keyframes),
        cmocka_unit_test(dtls_srtp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
