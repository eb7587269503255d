/* SPDX-License-Identifier: Apache-2.0 */
/* test_media_sdp.c — the session-description layer: a real Chromium offer
 * (simulcast publisher, WHEP viewer), codec negotiation, writing an answer
 * and reading it back, trickle fragments, and refusals with messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/sdp.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

static char *fixture(const char *name)
{
    char *path = g_build_filename(YJ_SOURCE_DIR, "tests", "fuzz", "corpus", "fuzz_sdp", name, NULL);
    char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_free(path);
    return text;
}

static void chrome_publisher_offer(void **state)
{
    (void)state;
    char *text = fixture("chrome_publish_simulcast.sdp");
    char *err = NULL;
    yj_sdp_t *s = yj_sdp_parse(text, &err);
    assert_null(err);
    assert_non_null(s);
    assert_int_equal(s->n_m, 2);
    assert_int_equal(s->n_bundle, 2);
    assert_string_equal(s->bundle[0], "0");
    assert_true(s->m[0].is_audio);
    assert_true(s->m[1].is_video);
    assert_int_equal(s->m[0].dir, YJ_DIR_SEND);
    assert_true(strlen(yj_sdp_ufrag(s)) > 0);
    assert_true(g_str_has_prefix(yj_sdp_fingerprint(s), "sha-256 "));
    assert_string_equal(yj_sdp_setup(s), "actpass");
    /* audio: opus 111, the mid and audio-level extensions */
    const yj_sdp_codec_t *opus = yj_sdp_find_codec(&s->m[0], YJ_CODEC_OPUS);
    assert_non_null(opus);
    assert_int_equal(opus->pt, 111);
    assert_int_equal(opus->clock, 48000);
    assert_int_equal(opus->channels, 2);
    assert_true(yj_sdp_ext_id(&s->m[0], YJ_EXT_MID) > 0);
    assert_true(yj_sdp_ext_id(&s->m[0], YJ_EXT_AUDIO_LEVEL) > 0);
    assert_int_equal(s->m[0].n_ssrc, 1);
    /* video: three send rids, VP8 with its rtx */
    assert_true(s->m[1].simulcast);
    assert_true(s->m[1].rid_send);
    assert_int_equal(s->m[1].n_rid, 3);
    assert_string_equal(s->m[1].rid[0], "q");
    assert_string_equal(s->m[1].rid[2], "f");
    const yj_sdp_codec_t *vp8 = yj_sdp_find_codec(&s->m[1], YJ_CODEC_VP8);
    assert_non_null(vp8);
    assert_true(vp8->fb & YJ_FB_NACK);
    assert_true(vp8->fb & YJ_FB_PLI);
    assert_true(yj_sdp_rtx_for(&s->m[1], vp8->pt) >= 0);
    assert_true(yj_sdp_ext_id(&s->m[1], YJ_EXT_RID) > 0);

    /* negotiation keeps Opus only; VP8 first, then constrained-baseline
     * H.264 packetization-mode=1, each with its RTX type */
    yj_sdp_media_t a;
    memset(&a, 0, sizeof a);
    assert_int_equal(yj_sdp_negotiate_codecs(&s->m[0], &a, false), 1);
    assert_int_equal(a.n_codecs, 1);
    assert_int_equal(a.codecs[0].codec, YJ_CODEC_OPUS);
    assert_int_equal(yj_sdp_ext_id(&a, YJ_EXT_RID), 0);
    memset(&a, 0, sizeof a);
    assert_int_equal(yj_sdp_negotiate_codecs(&s->m[1], &a, false), 2);
    assert_int_equal(a.codecs[0].codec, YJ_CODEC_VP8);
    assert_int_equal(a.codecs[1].codec, YJ_CODEC_RTX);
    assert_int_equal(a.codecs[1].apt, a.codecs[0].pt);
    assert_int_equal(a.codecs[2].codec, YJ_CODEC_H264);
    assert_non_null(strstr(a.codecs[2].fmtp, "packetization-mode=1"));
    assert_non_null(strstr(a.codecs[2].fmtp, "profile-level-id=42e01f"));
    assert_false(a.codecs[0].fb & YJ_FB_TWCC);
    memset(&a, 0, sizeof a);
    yj_sdp_negotiate_codecs(&s->m[1], &a, true);
    assert_int_equal(a.codecs[0].codec, YJ_CODEC_H264);
    yj_sdp_free(s);
    g_free(text);
}

static void answer_roundtrip(void **state)
{
    (void)state;
    char *text = fixture("chrome_publish_simulcast.sdp");
    yj_sdp_t *offer = yj_sdp_parse(text, NULL);
    assert_non_null(offer);
    static yj_sdp_t ans;
    yj_sdp_media_t m[2];
    memset(m, 0, sizeof m);
    ans.m = m;
    ans.n_m = 2;
    ans.sess_id = 42;
    ans.sess_version = 2;
    strcpy(ans.ufrag, "abcd");
    strcpy(ans.pwd, "0123456789012345678901");
    strcpy(ans.fingerprint, "sha-256 AA:BB");
    strcpy(ans.setup, "passive");
    for (int i = 0; i < 2; i++) {
        strcpy(m[i].kind, offer->m[i].kind);
        strcpy(m[i].mid, offer->m[i].mid);
        m[i].is_audio = offer->m[i].is_audio;
        m[i].is_video = offer->m[i].is_video;
        m[i].rtcp_mux = true;
        m[i].dir = YJ_DIR_RECV;
        yj_sdp_negotiate_codecs(&offer->m[i], &m[i], false);
    }
    m[1].simulcast = true;
    m[1].rid_send = false;
    m[1].n_rid = 3;
    memcpy(m[1].rid, offer->m[1].rid, sizeof m[1].rid);
    strcpy(ans.cands[0], "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host");
    ans.n_cands = 1;
    ans.end_of_candidates = true;
    strcpy(ans.bundle[0], "0");
    strcpy(ans.bundle[1], "1");
    ans.n_bundle = 2;
    char *out = yj_sdp_write(&ans);
    assert_non_null(out);
    assert_non_null(strstr(out, "a=group:BUNDLE 0 1"));
    assert_non_null(strstr(out, "a=setup:passive"));
    assert_non_null(strstr(out, "a=simulcast:recv q;h;f"));
    assert_non_null(strstr(out, "a=rid:h recv"));
    assert_non_null(strstr(out, "a=rtcp-mux"));
    assert_non_null(strstr(out, "a=end-of-candidates"));
    char *err = NULL;
    yj_sdp_t *back = yj_sdp_parse(out, &err);
    assert_null(err);
    assert_non_null(back);
    assert_int_equal(back->n_m, 2);
    assert_int_equal(back->m[0].dir, YJ_DIR_RECV);
    assert_int_equal(back->n_cands, 1);
    assert_true(back->end_of_candidates);
    assert_int_equal(back->m[1].n_rid, 3);
    assert_false(back->m[1].rid_send);
    assert_string_equal(yj_sdp_ufrag(back), "abcd");
    assert_int_equal(back->m[1].codecs[0].codec, YJ_CODEC_VP8);
    yj_sdp_free(back);
    g_free(out);
    yj_sdp_free(offer);
    g_free(text);
}

static void watcher_offer(void **state)
{
    (void)state;
    char *text = fixture("chrome_watch.sdp");
    yj_sdp_t *s = yj_sdp_parse(text, NULL);
    assert_non_null(s);
    assert_int_equal(s->m[0].dir, YJ_DIR_RECV);
    assert_int_equal(s->m[1].dir, YJ_DIR_RECV);
    assert_int_equal(s->m[1].n_ssrc, 0);
    yj_sdp_free(s);
    g_free(text);
}

/* Replaces the first occurrence of from in text (new string). Not inlined:
 * gcc 12 at -O3 then mistakes fixture()'s out-parameter for a dangling
 * pointer and fails the Release build. */
static __attribute__((noinline)) char *edit(const char *text, const char *from, const char *to)
{
    const char *p = strstr(text, from);
    if (!p)
        fail_msg("no \"%s\" in the SDP", from);
    size_t at = (size_t)(p - text);
    GString *out = g_string_new_len(text, (gssize)at);
    g_string_append(out, to);
    g_string_append(out, text + at + strlen(from));
    return g_string_free(out, FALSE);
}

static void expect_refusal(const char *text, const char *needle)
{
    char *err = NULL;
    yj_sdp_t *s = yj_sdp_parse(text, &err);
    assert_null(s);
    assert_non_null(err);
    if (!strstr(err, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
    g_free(err);
}

static void refusals(void **state)
{
    (void)state;
    char *text = fixture("chrome_publish_simulcast.sdp");
    char *t;
    expect_refusal("", "empty");
    expect_refusal("hello", "v=0");
    expect_refusal("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "no m-line");
    t = edit(text, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0");
    expect_refusal(t, "BUNDLE");
    g_free(t);
    t = edit(text, "a=rtcp-mux\r\n", "");
    expect_refusal(t, "rtcp-mux");
    g_free(t);
    t = edit(text, "a=fingerprint:sha-256", "a=fingerprint:sha-1");
    char *t2 = edit(t, "a=fingerprint:sha-256", "a=fingerprint:sha-1");
    expect_refusal(t2, "fingerprint");
    g_free(t);
    g_free(t2);
    t = edit(text, "a=mid:1", "a=mid:0");
    expect_refusal(t, "used twice");
    g_free(t);
    t = edit(text, "UDP/TLS/RTP/SAVPF 111", "UDP/TLS/RTP/SAVPF 300");
    expect_refusal(t, "payload type");
    g_free(t);
    t = edit(text, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/x");
    expect_refusal(t, "rtpmap");
    g_free(t);
    t = edit(text, "a=simulcast:send q;h;f", "a=simulcast:send q;h$;f");
    expect_refusal(t, "simulcast");
    g_free(t);
    g_free(text);
}

static void fragments(void **state)
{
    (void)state;
    char ufrag[64], pwd[160];
    char cands[4][256];
    bool end;
    char *err = NULL;
    int n = yj_sdp_parse_frag("a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
                              "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                              "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host\r\n"
                              "a=end-of-candidates\r\n",
                              ufrag, pwd, cands, 4, &end, &err);
    assert_int_equal(n, 1);
    assert_null(err);
    assert_string_equal(ufrag, "EsAw");
    assert_string_equal(pwd, "P2uYro0UCOQ4zxjKXaWCBui1");
    assert_true(g_str_has_prefix(cands[0], "candidate:1387637174 "));
    assert_true(end);
    n = yj_sdp_parse_frag("x=nonsense\r\n", ufrag, pwd, cands, 4, &end, &err);
    assert_int_equal(n, YJ_EINVAL);
    assert_non_null(err);
    g_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chrome_publisher_offer),
        cmocka_unit_test(answer_roundtrip),
        cmocka_unit_test(watcher_offer),
        cmocka_unit_test(refusals),
        cmocka_unit_test(fragments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
