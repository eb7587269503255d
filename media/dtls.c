/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dtls.c — see dtls.h. Reads come from a memory BIO we fill with received
 * datagrams; writes go through a tiny custom BIO that hands each datagram
 * OpenSSL produces to the send callback (a memory BIO would glue a whole
 * flight into one datagram). The peer's certificate is accepted during the
 * handshake and compared with the SDP fingerprint right after it.
 */
#include "dtls.h"
#include "core/log.h"
#include "core/yj.h"

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>

#define DTLS_MTU 1200

struct yj_dtls_cert {
    SSL_CTX *ctx;
    char fingerprint[128];
};

struct yj_dtls {
    SSL *ssl;
    BIO *rbio;
    bool active;
    bool connected, failed;
    char remote_fp[160];
    yj_dtls_send_fn send;
    void *ud;
    const char *error;
};

static BIO_METHOD *out_method;
static GOnce out_once = G_ONCE_INIT;

static int out_write(BIO *b, const char *data, int len)
{
    yj_dtls_t *d = BIO_get_data(b);
    if (d && d->send && len > 0)
        d->send((const uint8_t *)data, (size_t)len, d->ud);
    return len;
}

static long out_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return DTLS_MTU;
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING:
        return 0;
    default:
        return 0;
    }
}

static int out_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static gpointer make_method(gpointer unused)
{
    (void)unused;
    BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "yj-dtls-out");
    BIO_meth_set_write(m, out_write);
    BIO_meth_set_ctrl(m, out_ctrl);
    BIO_meth_set_create(m, out_create);
    out_method = m;
    return m;
}

static int accept_any(int ok, X509_STORE_CTX *ctx)
{
    (void)ok;
    (void)ctx;
    return 1; /* self-signed: checked against the SDP fingerprint instead */
}

static void fingerprint_of(X509 *x, char *out, size_t size)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(x, EVP_sha256(), md, &n);
    size_t off = g_strlcpy(out, "sha-256 ", size);
    for (unsigned i = 0; i < n && off + 3 < size; i++)
        off += (size_t)g_snprintf(out + off, size - off, i ? ":%02X" : "%02X", md[i]);
}

yj_dtls_cert_t *yj_dtls_cert_new(char **err)
{
    g_once(&out_once, make_method, NULL);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    SSL_CTX *ctx = NULL;
    yj_dtls_cert_t *c = NULL;
    if (!key || !x)
        goto fail;
    X509_set_version(x, 2);
    unsigned char serial[8];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"yuanjiao", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    if (!X509_sign(x, key, EVP_sha256()))
        goto fail;
    ctx = SSL_CTX_new(DTLS_method());
    if (!ctx)
        goto fail;
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    if (SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)
        goto fail;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
    SSL_CTX_set_read_ahead(ctx, 1);
    /* Free the 16+ KiB record buffers between records: after the
     * handshake a peer's DTLS is idle, and a node holds thousands. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                 "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
                                 "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA");
    /* tlsext_use_srtp returns 0 on success (sic). The server side picks
     * by its own order: GCM first, AES-CM-80 as the fallback. */
    if (SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0)
        goto fail;
    c = g_new0(yj_dtls_cert_t, 1);
    c->ctx = ctx;
    fingerprint_of(x, c->fingerprint, sizeof c->fingerprint);
    X509_free(x);
    EVP_PKEY_free(key);
    return c;
fail:
    if (err)
        *err = g_strdup_printf("cannot create the DTLS certificate: %s",
                               ERR_reason_error_string(ERR_get_error()));
    SSL_CTX_free(ctx);
    X509_free(x);
    EVP_PKEY_free(key);
    return NULL;
}

void yj_dtls_cert_free(yj_dtls_cert_t *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    g_free(c);
}

const char *yj_dtls_cert_fingerprint(const yj_dtls_cert_t *c)
{
    return c->fingerprint;
}

yj_dtls_t *yj_dtls_new(yj_dtls_cert_t *cert, bool active, const char *remote_fp,
                       yj_dtls_send_fn send, void *ud)
{
    yj_dtls_t *d = g_new0(yj_dtls_t, 1);
    d->ssl = SSL_new(cert->ctx);
    if (!d->ssl) {
        g_free(d);
        return NULL;
    }
    d->active = active;
    d->send = send;
    d->ud = ud;
    g_strlcpy(d->remote_fp, remote_fp ? remote_fp : "", sizeof d->remote_fp);
    d->rbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(d->rbio, -1);
    BIO *w = BIO_new(out_method);
    BIO_set_data(w, d);
    SSL_set_bio(d->ssl, d->rbio, w);
    SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(d->ssl, DTLS_MTU);
    DTLS_set_link_mtu(d->ssl, DTLS_MTU);
    if (active)
        SSL_set_connect_state(d->ssl);
    else
        SSL_set_accept_state(d->ssl);
    return d;
}

void yj_dtls_free(yj_dtls_t *d)
{
    if (!d)
        return;
    SSL_free(d->ssl); /* frees both BIOs */
    g_free(d);
}

static bool verify_peer(yj_dtls_t *d)
{
    X509 *x = SSL_get1_peer_certificate(d->ssl);
    if (!x) {
        d->error = "the peer sent no certificate";
        return false;
    }
    char fp[128];
    fingerprint_of(x, fp, sizeof fp);
    X509_free(x);
    if (g_ascii_strcasecmp(fp, d->remote_fp) != 0) {
        d->error = "the peer's certificate does not match its SDP fingerprint";
        return false;
    }
    if (!SSL_get_selected_srtp_profile(d->ssl)) {
        d->error = "no SRTP profile was negotiated";
        return false;
    }
    return true;
}

static yj_dtls_status_t step(yj_dtls_t *d)
{
    if (d->failed)
        return YJ_DTLS_FAILED;
    if (d->connected) {
        /* Application data or alerts after the handshake. */
        unsigned char buf[2048];
        int n = SSL_read(d->ssl, buf, sizeof buf);
        if (n <= 0 && SSL_get_error(d->ssl, n) == SSL_ERROR_ZERO_RETURN)
            return YJ_DTLS_CLOSED;
        ERR_clear_error();
        return YJ_DTLS_OPEN;
    }
    int r = SSL_do_handshake(d->ssl);
    if (r == 1) {
        if (!verify_peer(d)) {
            d->failed = true;
            return YJ_DTLS_FAILED;
        }
        d->connected = true;
        return YJ_DTLS_CONNECTED;
    }
    int e = SSL_get_error(d->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return YJ_DTLS_PENDING;
    }
    unsigned long oe = ERR_get_error();
    d->error = oe ? ERR_reason_error_string(oe) : "handshake failed";
    if (!d->error)
        d->error = "handshake failed";
    ERR_clear_error();
    d->failed = true;
    return YJ_DTLS_FAILED;
}

int yj_dtls_start(yj_dtls_t *d)
{
    if (d->active)
        return step(d) == YJ_DTLS_FAILED ? YJ_ECRYPTO : 0;
    return 0;
}

yj_dtls_status_t yj_dtls_feed(yj_dtls_t *d, const uint8_t *buf, size_t len)
{
    if (len == 0 || len > 65536)
        return d->failed ? YJ_DTLS_FAILED : d->connected ? YJ_DTLS_OPEN : YJ_DTLS_PENDING;
    BIO_write(d->rbio, buf, (int)len);
    yj_dtls_status_t st = step(d);
    /* Drop anything OpenSSL did not consume (e.g. a bad record). */
    (void)BIO_reset(d->rbio);
    return st;
}

int64_t yj_dtls_timeout_us(yj_dtls_t *d)
{
    if (d->connected || d->failed)
        return -1;
    struct timeval tv;
    if (DTLSv1_get_timeout(d->ssl, &tv) != 1)
        return -1;
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

yj_dtls_status_t yj_dtls_tick(yj_dtls_t *d)
{
    if (d->connected || d->failed)
        return d->failed ? YJ_DTLS_FAILED : YJ_DTLS_OPEN;
    if (DTLSv1_handle_timeout(d->ssl) < 0) {
        d->failed = true;
        d->error = "handshake timed out";
        return YJ_DTLS_FAILED;
    }
    return YJ_DTLS_PENDING;
}

int yj_dtls_srtp_keys(yj_dtls_t *d, int *profile, uint8_t local[32], uint8_t remote[32],
                      size_t *keylen)
{
    SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
    if (!d->connected || !p)
        return YJ_ECRYPTO;
    size_t klen = 16, slen;
    if (p->id == YJ_SRTP_AEAD_AES_128_GCM)
        slen = 12;
    else if (p->id == YJ_SRTP_AES128_CM_SHA1_80)
        slen = 14;
    else
        return YJ_ECRYPTO;
    uint8_t mat[2 * (16 + 14)];
    size_t total = 2 * (klen + slen);
    if (SSL_export_keying_material(d->ssl, mat, total, "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) != 1)
        return YJ_ECRYPTO;
    /* client key | server key | client salt | server salt */
    const uint8_t *ck = mat, *sk = mat + klen, *cs = mat + 2 * klen, *ss = mat + 2 * klen + slen;
    const uint8_t *lk = d->active ? ck : sk, *ls = d->active ? cs : ss;
    const uint8_t *rk = d->active ? sk : ck, *rs = d->active ? ss : cs;
    memcpy(local, lk, klen);
    memcpy(local + klen, ls, slen);
    memcpy(remote, rk, klen);
    memcpy(remote + klen, rs, slen);
    *profile = (int)p->id;
    *keylen = klen + slen;
    OPENSSL_cleanse(mat, sizeof mat);
    return 0;
}

void yj_dtls_close(yj_dtls_t *d)
{
    if (d && d->connected && !d->failed) {
        SSL_shutdown(d->ssl);
        ERR_clear_error();
    }
}

const char *yj_dtls_error(const yj_dtls_t *d)
{
    return d->error ? d->error : "";
}
