/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srtp_send.c — the sending half of SRTP and SRTCP on OpenSSL's EVP, for
 * the two profiles we negotiate: AEAD_AES_128_GCM (RFC 7714) and
 * AES_CM_128_HMAC_SHA1_80 (RFC 3711). The receiving half stays on libsrtp
 * (srtp.c), which also does replay protection.
 *
 * Why not libsrtp here too: the SFU protects every forwarded packet once
 * per subscriber, and Debian's libsrtp2 is built on NSS, which creates and
 * frees a PKCS#11 context for every packet and clones a set of NSS
 * contexts for every SSRC. That was about a third of the server's
 * user-space time per forwarded packet and 20–40 KiB per subscriber
 * (bench/RESULTS.md). This file keys one EVP context per direction once
 * and re-uses it with a fresh IV per packet: no allocation per packet,
 * about 1 KiB per subscriber. The unit tests check every packet it makes
 * against libsrtp's own unprotect, including the rollover counter.
 *
 * Not thread-safe; srtp.h says who may call it.
 */
#include "srtp_send.h"
#include "bytes.h"
#include "dtls.h"

#include <glib.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <string.h>

#define TAG_GCM 16
#define TAG_CM 10

typedef yj_srtp_roc_t roc_t;
typedef yj_srtp_dir_t dir_t;

/* RFC 3711 section 4.3: the AES-CM PRF keyed with the master key. */
static int kdf(const uint8_t *mkey, const uint8_t *msalt, size_t msalt_len, uint8_t label,
               uint8_t *out, size_t len)
{
    uint8_t iv[16] = {0}, zero[32] = {0};
    memcpy(iv, msalt, msalt_len);
    iv[7] ^= label;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, mkey, iv) &&
                    EVP_EncryptUpdate(c, out, &n, zero, (int)len) && n == (int)len;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

static int dir_init(dir_t *d, bool gcm, const uint8_t *mkey, const uint8_t *msalt, size_t msalt_len,
                    uint8_t label_base)
{
    uint8_t key[16], auth[20];
    size_t salt_len = gcm ? 12 : 14;
    if (kdf(mkey, msalt, msalt_len, label_base, key, sizeof key) ||
        kdf(mkey, msalt, msalt_len, label_base + 2, d->salt, salt_len))
        return -1;
    d->cipher = EVP_CIPHER_CTX_new();
    int ok = d->cipher && EVP_EncryptInit_ex(d->cipher, gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr(),
                                             NULL, key, NULL);
    if (ok && !gcm) {
        ok = kdf(mkey, msalt, msalt_len, label_base + 1, auth, sizeof auth) == 0;
        EVP_MAC *mac = ok ? EVP_MAC_fetch(NULL, "HMAC", NULL) : NULL;
        d->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
        EVP_MAC_free(mac);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
                               OSSL_PARAM_construct_end()};
        ok = d->mac && EVP_MAC_init(d->mac, auth, sizeof auth, params);
    }
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(auth, sizeof auth);
    return ok ? 0 : -1;
}

static void dir_clear(dir_t *d)
{
    EVP_CIPHER_CTX_free(d->cipher);
    EVP_MAC_CTX_free(d->mac);
    OPENSSL_cleanse(d->salt, sizeof d->salt);
}

void yj_srtp_send_clear(yj_srtp_send_t *s)
{
    dir_clear(&s->rtp);
    dir_clear(&s->rtcp);
    if (s->more)
        g_hash_table_destroy(s->more);
    memset(s, 0, sizeof *s);
}

int yj_srtp_send_init(yj_srtp_send_t *s, int profile, const uint8_t *key, size_t keylen)
{
    memset(s, 0, sizeof *s);
    if (profile == YJ_SRTP_AEAD_AES_128_GCM && keylen == 28)
        s->gcm = true;
    else if (profile != YJ_SRTP_AES128_CM_SHA1_80 || keylen != 30)
        return -1;
    if (dir_init(&s->rtp, s->gcm, key, key + 16, keylen - 16, 0x00) ||
        dir_init(&s->rtcp, s->gcm, key, key + 16, keylen - 16, 0x03)) {
        yj_srtp_send_clear(s);
        return -1;
    }
    return 0;
}

/* The packet index (ROC << 16 | seq) of a sequence number on ssrc, as a
 * sender that may re-send an old packet (a retransmission) estimates it. */
static uint64_t packet_index(yj_srtp_send_t *s, uint32_t ssrc, uint16_t seq)
{
    roc_t *r = NULL;
    for (int i = 0; i < s->n_few && !r; i++)
        if (s->few[i].ssrc == ssrc)
            r = &s->few[i];
    if (!r && s->more)
        r = g_hash_table_lookup(s->more, GUINT_TO_POINTER(ssrc));
    if (!r) {
        if (s->n_few < YJ_SRTP_FEW_SSRCS) {
            r = &s->few[s->n_few++];
        } else {
            if (!s->more)
                s->more = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
            r = g_new0(roc_t, 1);
            g_hash_table_insert(s->more, GUINT_TO_POINTER(ssrc), r);
        }
        r->ssrc = ssrc;
        r->roc = 0;
        r->highest = seq;
        return seq;
    }
    /* RFC 3711 appendix A: which rollover is this seq nearest to? */
    uint32_t v = r->roc;
    if (r->highest < 32768) {
        if (seq > r->highest && seq - r->highest > 32768 && r->roc > 0)
            v = r->roc - 1;
    } else if (seq < r->highest && r->highest - seq > 32768) {
        v = r->roc + 1;
    }
    if (v > r->roc || (v == r->roc && seq > r->highest)) {
        r->roc = v;
        r->highest = seq;
    }
    return (uint64_t)v << 16 | seq;
}

/* Length of the RTP header (fixed part, CSRCs, extension); -1 if short. */
static int rtp_header_len(const uint8_t *b, int len)
{
    if (len < 12)
        return -1;
    int h = 12 + 4 * (b[0] & 0x0f);
    if (b[0] & 0x10) {
        if (len < h + 4)
            return -1;
        h += 4 + 4 * yj_rd16(b + h + 2);
    }
    return h <= len ? h : -1;
}

/* The IV for a packet of ssrc (4 bytes, network order) with a 48-bit
 * index (ROC << 16 | SEQ for RTP, the SRTCP index for RTCP). GCM (RFC 7714
 * sections 8.1 and 9.1): 00 00 | SSRC | index, 12 bytes, xor the salt. CM
 * (RFC 3711 section 4.1.1): the salt, xor SSRC at bytes 4..7 and the index
 * at 8..13, then a zero block counter. */
static void make_iv(const dir_t *d, bool gcm, const uint8_t *ssrc, uint64_t index, uint8_t iv[16])
{
    int n = gcm ? 12 : 14, at = gcm ? 2 : 4;
    memset(iv, 0, 16);
    memcpy(iv, d->salt, (size_t)n);
    for (int i = 0; i < 4; i++)
        iv[at + i] ^= ssrc[i];
    for (int i = 0; i < 6; i++)
        iv[at + 4 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

static int gcm_seal(dir_t *d, const uint8_t *iv, const uint8_t *aad1, int aad1_len,
                    const uint8_t *aad2, int aad2_len, uint8_t *data, int data_len)
{
    int n;
    if (!EVP_EncryptInit_ex(d->cipher, NULL, NULL, NULL, iv) ||
        !EVP_EncryptUpdate(d->cipher, NULL, &n, aad1, aad1_len) ||
        (aad2_len && !EVP_EncryptUpdate(d->cipher, NULL, &n, aad2, aad2_len)) ||
        (data_len && !EVP_EncryptUpdate(d->cipher, data, &n, data, data_len)) ||
        !EVP_EncryptFinal_ex(d->cipher, data + data_len, &n) ||
        !EVP_CIPHER_CTX_ctrl(d->cipher, EVP_CTRL_GCM_GET_TAG, TAG_GCM, data + data_len))
        return -1;
    return 0;
}

static int ctr_crypt(dir_t *d, const uint8_t *iv, uint8_t *data, int data_len)
{
    int n;
    if (!EVP_EncryptInit_ex(d->cipher, NULL, NULL, NULL, iv) ||
        (data_len && !EVP_EncryptUpdate(d->cipher, data, &n, data, data_len)))
        return -1;
    return 0;
}

/* HMAC-SHA1 of a || b, its first 10 bytes written to out. */
static int hmac80(dir_t *d, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                  uint8_t *out)
{
    uint8_t full[20];
    size_t n = 0;
    if (!EVP_MAC_init(d->mac, NULL, 0, NULL) || !EVP_MAC_update(d->mac, a, alen) ||
        (blen && !EVP_MAC_update(d->mac, b, blen)) ||
        !EVP_MAC_final(d->mac, full, &n, sizeof full) || n != sizeof full)
        return -1;
    memcpy(out, full, TAG_CM);
    return 0;
}

int yj_srtp_send_rtp(yj_srtp_send_t *s, uint8_t *buf, int *len)
{
    int h = rtp_header_len(buf, *len);
    if (h < 0)
        return -1;
    uint32_t ssrc = yj_rd32(buf + 8);
    uint16_t seq = yj_rd16(buf + 2);
    uint64_t index = packet_index(s, ssrc, seq);
    dir_t *d = &s->rtp;
    uint8_t iv[16];
    make_iv(d, s->gcm, buf + 8, index, iv);
    if (s->gcm) { /* the AAD is the header */
        if (gcm_seal(d, iv, buf, h, NULL, 0, buf + h, *len - h))
            return -1;
        *len += TAG_GCM;
        return 0;
    }
    /* The tag covers the packet and the ROC, which is not sent. */
    uint32_t roc = (uint32_t)(index >> 16);
    uint8_t roc_be[4] = {(uint8_t)(roc >> 24), (uint8_t)(roc >> 16), (uint8_t)(roc >> 8),
                         (uint8_t)roc};
    if (ctr_crypt(d, iv, buf + h, *len - h) ||
        hmac80(d, buf, (size_t)*len, roc_be, sizeof roc_be, buf + *len))
        return -1;
    *len += TAG_CM;
    return 0;
}

int yj_srtp_send_rtcp(yj_srtp_send_t *s, uint8_t *buf, int *len)
{
    if (*len < 8)
        return -1;
    dir_t *d = &s->rtcp;
    uint32_t index = s->srtcp_index = (s->srtcp_index + 1) & 0x7fffffffu;
    /* E flag (encrypted) and the 31-bit SRTCP index. */
    uint8_t e_index[4] = {(uint8_t)(0x80 | index >> 24), (uint8_t)(index >> 16),
                          (uint8_t)(index >> 8), (uint8_t)index};
    uint8_t iv[16];
    make_iv(d, s->gcm, buf + 4, index, iv);
    if (s->gcm) {
        /* RFC 7714 section 9.1: the AAD is the first 8 bytes and the
         * E+index word, which follows the tag on the wire. */
        if (gcm_seal(d, iv, buf, 8, e_index, 4, buf + 8, *len - 8))
            return -1;
        *len += TAG_GCM;
        memcpy(buf + *len, e_index, 4);
        *len += 4;
        return 0;
    }
    /* RFC 3711 section 3.4: encrypt after the first 8 bytes, append
     * E+index, then the tag over all of it. */
    if (ctr_crypt(d, iv, buf + 8, *len - 8))
        return -1;
    memcpy(buf + *len, e_index, 4);
    *len += 4;
    if (hmac80(d, buf, (size_t)*len, NULL, 0, buf + *len))
        return -1;
    *len += TAG_CM;
    return 0;
}
