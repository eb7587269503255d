/* SPDX-License-Identifier: Apache-2.0 */
/* crypto.c — see crypto.h. */
#include "crypto.h"
#include "yj.h"

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int iterations = YJ_PBKDF2_ITERATIONS;

void yj_crypto_set_iterations(int n)
{
    iterations = n > 0 ? n : YJ_PBKDF2_ITERATIONS;
}

char *yj_b64url(const unsigned char *data, size_t len)
{
    char *s = g_base64_encode(data, len);
    for (char *p = s; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
        else if (*p == '=') {
            *p = 0;
            break;
        }
    }
    return s;
}

static unsigned char *b64url_decode(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *t = g_malloc(n + 4);
    for (size_t i = 0; i < n; i++)
        t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    while (n % 4)
        t[n++] = '=';
    t[n] = 0;
    gsize out = 0;
    unsigned char *d = g_base64_decode(t, &out);
    g_free(t);
    *len = out;
    return d;
}

char *yj_password_hash(const char *password)
{
    unsigned char salt[16], hash[32];
    if (RAND_bytes(salt, sizeof salt) != 1)
        return NULL;
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof salt, iterations,
                          EVP_sha256(), sizeof hash, hash) != 1)
        return NULL;
    char *s = yj_b64url(salt, sizeof salt), *h = yj_b64url(hash, sizeof hash);
    char *out = g_strdup_printf("pbkdf2-sha256$%d$%s$%s", iterations, s, h);
    g_free(s);
    g_free(h);
    return out;
}

bool yj_password_verify(const char *password, const char *encoded)
{
    if (!password || !encoded)
        return false;
    char **parts = g_strsplit(encoded, "$", 5);
    bool ok = false;
    if (g_strv_length(parts) == 4 && strcmp(parts[0], "pbkdf2-sha256") == 0) {
        long iter = strtol(parts[1], NULL, 10);
        size_t slen = 0, hlen = 0;
        unsigned char *salt = b64url_decode(parts[2], &slen);
        unsigned char *want = b64url_decode(parts[3], &hlen);
        unsigned char got[32];
        if (iter > 0 && iter < 10000000 && hlen == sizeof got &&
            PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)slen, (int)iter,
                              EVP_sha256(), sizeof got, got) == 1)
            ok = CRYPTO_memcmp(got, want, sizeof got) == 0;
        g_free(salt);
        g_free(want);
    }
    g_strfreev(parts);
    return ok;
}

bool yj_password_needs_rehash(const char *encoded)
{
    if (!encoded || strncmp(encoded, "pbkdf2-sha256$", 14) != 0)
        return true;
    return strtol(encoded + 14, NULL, 10) != iterations;
}

void yj_password_dummy_verify(const char *password)
{
    static const unsigned char salt[16] = "yuanjiao-dummy!";
    unsigned char out[32];
    const char *pw = password ? password : "";
    PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof salt, iterations, EVP_sha256(), sizeof out,
                      out);
    OPENSSL_cleanse(out, sizeof out);
}

int yj_random_bytes(void *buf, size_t n)
{
    return RAND_bytes(buf, (int)n) == 1 ? 0 : YJ_ECRYPTO;
}

char *yj_random_token(size_t n)
{
    unsigned char buf[64];
    if (n > sizeof buf || RAND_bytes(buf, (int)n) != 1)
        return NULL;
    return yj_b64url(buf, n);
}

void yj_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(data, len, d);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

char *yj_hmac_b64(const void *key, size_t keylen, const char *msg)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), d, &dl))
        return NULL;
    return yj_b64url(d, dl);
}

bool yj_str_equal_ct(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return CRYPTO_memcmp(a, b, la) == 0;
}
