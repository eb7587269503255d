/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_media_srtp.c — the OpenSSL SRTP sender (media/srtp_send.c) against
 * libsrtp as the reference: for both profiles, every packet it protects
 * must be byte-identical to what libsrtp's own sender makes from the same
 * keys, and libsrtp's receiver (our inbound yj_srtp_t) must accept it.
 * Covers header extensions and CSRCs, ten SSRCs, a sequence number
 * rollover, a retransmission of an old packet across the rollover, and
 * SRTCP; and that tampering or bad input is refused.
 */
#include "media/dtls.h"
#include "media/rtp.h"
#include "media/srtp.h"
#include "media/srtp_send.h"
#include "core/yj.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <srtp2/srtp.h>
#include <string.h>

static srtp_t ref_sender(int profile, const uint8_t *key)
{
    srtp_policy_t pol;
    memset(&pol, 0, sizeof pol);
    if (profile == YJ_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
    } else {
        srtp_crypto_policy_set_rtp_default(&pol.rtp);
        srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
    }
    uint8_t k[32];
    memcpy(k, key, 30);
    pol.ssrc.type = ssrc_any_outbound;
    pol.key = k;
    pol.window_size = 1024;
    pol.allow_repeat_tx = 1;
    srtp_t s = NULL;
    assert_int_equal(srtp_create(&s, &pol), srtp_err_status_ok);
    return s;
}

/* An RTP packet with a CSRC, a one-byte header extension and a payload
 * that depends on i. Returns its length. */
static int make_rtp(uint8_t *b, size_t cap, uint32_t ssrc, uint16_t seq, int i)
{
    yj_rtp_ext_elem_t e = {.id = 3, .len = 2, .data = {(uint8_t)i, 0x42}};
    int h = yj_rtp_write_header(b, cap, i % 5 == 0, 96, seq, 1000u * (uint32_t)i, ssrc, &e, 1);
    assert_true(h > 12);
    int plen = 20 + (i * 37) % 1100;
    for (int k = 0; k < plen; k++)
        b[h + k] = (uint8_t)(k * 7 + i);
    return h + plen;
}

/* Protects a copy of pkt[0..len) with libsrtp's sender and pkt itself
 * with ours; both must give the same bytes. Returns the protected length. */
static int same_as_libsrtp(srtp_t ref, yj_srtp_t *ours, uint8_t *pkt, int len, bool rtcp)
{
    uint8_t copy[1600 + YJ_SRTP_OVERHEAD];
    memcpy(copy, pkt, (size_t)len);
    int lr = len, lo = len;
    if (rtcp) {
        assert_int_equal(srtp_protect_rtcp(ref, copy, &lr), srtp_err_status_ok);
        assert_int_equal(yj_srtp_protect_rtcp(ours, pkt, &lo), 0);
    } else {
        assert_int_equal(srtp_protect(ref, copy, &lr), srtp_err_status_ok);
        assert_int_equal(yj_srtp_protect(ours, pkt, &lo), 0);
    }
    assert_int_equal(lr, lo);
    assert_memory_equal(copy, pkt, (size_t)lo);
    return lo;
}

static void check_profile(int profile, size_t keylen)
{
    assert_int_equal(yj_srtp_global_init(), 0);
    uint8_t key[30];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(0x11 * i + 3);
    srtp_t ref = ref_sender(profile, key);
    yj_srtp_t *ours = yj_srtp_new(profile, key, keylen, false);
    yj_srtp_t *in = yj_srtp_new(profile, key, keylen, true);
    assert_non_null(ours);
    assert_non_null(in);
    uint8_t b[1600 + YJ_SRTP_OVERHEAD], keep[1600];
    int keep_len = 0;
    /* Ten SSRCs interleaved (more than are kept inline); the first wraps
     * its sequence number. */
    for (int i = 0; i < 40; i++) {
        uint32_t ssrc = i % 2 ? 0x0badf000u + (uint32_t)(i % 9) : 0x12345678u;
        uint16_t seq = (uint16_t)(i % 2 ? 100 + i : 65520 + i / 2);
        int len = make_rtp(b, sizeof b, ssrc, seq, i);
        if (i == 10) { /* seq 65525, before the rollover */
            memcpy(keep, b, (size_t)len);
            keep_len = len;
        }
        int lb = same_as_libsrtp(ref, ours, b, len, false);
        int lin = lb;
        assert_int_equal(yj_srtp_unprotect(in, b, &lin), 0);
        assert_int_equal(lin, len);
    }
    /* A retransmission of seq 65525 after the rollover keeps its old ROC. */
    memcpy(b, keep, (size_t)keep_len);
    same_as_libsrtp(ref, ours, b, keep_len, false);

    /* SRTCP: several receiver-report-shaped packets. */
    for (int i = 0; i < 5; i++) {
        uint8_t r[64 + YJ_SRTP_OVERHEAD] = {0x81, 201, 0, 7, 0xde, 0xad, 0xbe, 0xef};
        for (int k = 8; k < 32; k++)
            r[k] = (uint8_t)(k + i);
        int rb = same_as_libsrtp(ref, ours, r, 32, true);
        int rin = rb;
        assert_int_equal(yj_srtp_unprotect_rtcp(in, r, &rin), 0);
        assert_int_equal(rin, 32);
    }

    /* Tampered ciphertext fails at the receiver; a short packet is refused. */
    int len = make_rtp(b, sizeof b, 0x12345678u, 30, 41);
    assert_int_equal(yj_srtp_protect(ours, b, &len), 0);
    b[len - 1] ^= 0x01;
    assert_int_equal(yj_srtp_unprotect(in, b, &len), YJ_ECRYPTO);
    uint8_t tiny[8 + YJ_SRTP_OVERHEAD] = {0x80, 96};
    int tl = 8;
    assert_int_equal(yj_srtp_protect(ours, tiny, &tl), YJ_ECRYPTO);
    tl = 4;
    assert_int_equal(yj_srtp_protect_rtcp(ours, tiny, &tl), YJ_ECRYPTO);
    /* An extension length running past the end is refused too. */
    uint8_t bad[64] = {0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xbe, 0xde, 0x00, 0x40};
    tl = 20;
    assert_int_equal(yj_srtp_protect(ours, bad, &tl), YJ_ECRYPTO);
    /* Outbound sessions do not unprotect. */
    tl = 20;
    assert_int_equal(yj_srtp_unprotect(ours, bad, &tl), YJ_ECRYPTO);

    srtp_dealloc(ref);
    yj_srtp_free(ours);
    yj_srtp_free(in);
}

static void gcm(void **state)
{
    (void)state;
    check_profile(YJ_SRTP_AEAD_AES_128_GCM, 28);
}

static void cm_sha1_80(void **state)
{
    (void)state;
    check_profile(YJ_SRTP_AES128_CM_SHA1_80, 30);
}

static void bad_keys(void **state)
{
    (void)state;
    uint8_t key[30] = {0};
    assert_null(yj_srtp_new(YJ_SRTP_AEAD_AES_128_GCM, key, 30, false));
    assert_null(yj_srtp_new(YJ_SRTP_AES128_CM_SHA1_80, key, 28, false));
    assert_null(yj_srtp_new(12345, key, 30, false));
    yj_srtp_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gcm),
        cmocka_unit_test(cm_sha1_80),
        cmocka_unit_test(bad_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
