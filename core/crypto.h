/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto.h — passwords, tokens and MACs on top of OpenSSL.
 *
 * Passwords are stored as "pbkdf2-sha256$ITER$SALT$HASH" (base64url, 16-byte
 * salt, 32-byte hash). Tokens are 32 random bytes in base64url; only their
 * SHA-256 is stored. Nothing here logs a secret.
 */
#ifndef YJ_CRYPTO_H
#define YJ_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

/* Default PBKDF2 iteration count: OWASP's 2023 figure for PBKDF2-HMAC-
 * SHA256 (tests may lower it with yj_crypto_set_iterations — [auth]
 * pbkdf2_iterations — to keep suites fast). */
#define YJ_PBKDF2_ITERATIONS 600000
void yj_crypto_set_iterations(int iterations);

/* Returns a newly allocated encoded hash (g_free) or NULL. */
char *yj_password_hash(const char *password);
/* True when password matches the encoded hash; false for malformed hashes. */
bool yj_password_verify(const char *password, const char *encoded);
/* True when an encoded hash was made with another cost than the current
 * one (or is malformed): re-hash it after the next successful sign-in. */
bool yj_password_needs_rehash(const char *encoded);
/* The same work as a verify at the current cost, for an account that does
 * not exist, so timing does not tell which accounts exist. */
void yj_password_dummy_verify(const char *password);

/* Fills buf with n cryptographically random bytes; 0 or YJ_ECRYPTO. */
int yj_random_bytes(void *buf, size_t n);
/* n random bytes (n <= 64) as base64url without padding; g_free. */
char *yj_random_token(size_t n);
/* Hex SHA-256 of data (65 bytes incl. NUL written to out). */
void yj_sha256_hex(const void *data, size_t len, char out[65]);
/* HMAC-SHA256 of msg with key, base64url without padding; g_free. */
char *yj_hmac_b64(const void *key, size_t keylen, const char *msg);
/* Constant-time comparison of two NUL-terminated strings. */
bool yj_str_equal_ct(const char *a, const char *b);
/* base64url without padding; g_free. */
char *yj_b64url(const unsigned char *data, size_t len);

#endif
