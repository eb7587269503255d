/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign.c — signed playback URLs; see sign.h.
 *
 * The signed message is "lesson/who/exp" with each part validated first
 * (digits, base64url), so no two different part triples can produce the
 * same message.
 */
#include "sign.h"
#include "core/crypto.h"

#include <glib.h>
#include <string.h>

void yj_vod_sign_viewer_tag(const unsigned char *key, size_t keylen, const char *viewer,
                            char out[17])
{
    g_autofree char *msg = g_strconcat("viewer:", viewer, NULL);
    g_autofree char *mac = yj_hmac_b64(key, keylen, msg);
    g_strlcpy(out, mac ? mac : "", 17);
}

char *yj_vod_sign(const unsigned char *key, size_t keylen, int64_t lesson, const char *who,
                  int64_t exp)
{
    g_autofree char *msg =
        g_strdup_printf("%" G_GINT64_FORMAT "/%s/%" G_GINT64_FORMAT, lesson, who, exp);
    return yj_hmac_b64(key, keylen, msg);
}

char *yj_vod_sign_url_prefix(const unsigned char *key, size_t keylen, int64_t lesson,
                             const char *viewer, int64_t now, int64_t ttl, int64_t bucket)
{
    if (bucket <= 0)
        bucket = 1;
    int64_t exp = now + ttl;
    exp = (exp + bucket - 1) / bucket * bucket;
    char who[17];
    yj_vod_sign_viewer_tag(key, keylen, viewer, who);
    g_autofree char *sig = yj_vod_sign(key, keylen, lesson, who, exp);
    if (!sig)
        return NULL;
    return g_strdup_printf("/hls/%" G_GINT64_FORMAT "/%s/%" G_GINT64_FORMAT "/%s/", lesson, who,
                           exp, sig);
}

static bool all_digits(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max || (n > 1 && s[0] == '0'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool b64url(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

yj_sign_result_t yj_vod_sign_verify(const unsigned char *key, size_t keylen, const char *lesson,
                                    const char *who, const char *exp, const char *sig, int64_t now)
{
    if (!lesson || !who || !exp || !sig || !all_digits(lesson, 18) || !all_digits(exp, 18) ||
        !b64url(who, 1, 32) || !b64url(sig, 43, 43))
        return YJ_SIGN_BAD;
    int64_t l = g_ascii_strtoll(lesson, NULL, 10), e = g_ascii_strtoll(exp, NULL, 10);
    g_autofree char *want = yj_vod_sign(key, keylen, l, who, e);
    if (!want || !yj_str_equal_ct(want, sig))
        return YJ_SIGN_BAD;
    return e < now ? YJ_SIGN_EXPIRED : YJ_SIGN_OK;
}

bool yj_vod_sign_file_allowed(const char *rel)
{
    if (!rel)
        return false;
    if (strcmp(rel, "master.m3u8") == 0 || strcmp(rel, "poster.jpg") == 0)
        return true;
    const char *slash = strchr(rel, '/');
    if (!slash || slash == rel || slash - rel > 16)
        return false;
    for (const char *p = rel; p < slash; p++)
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p))
            return false;
    const char *f = slash + 1;
    if (strcmp(f, "index.m3u8") == 0)
        return true;
    /* segNNNNN.ts */
    if (strlen(f) != 11 || strncmp(f, "seg", 3) != 0 || strcmp(f + 8, ".ts") != 0)
        return false;
    for (int i = 3; i < 8; i++)
        if (!g_ascii_isdigit(f[i]))
            return false;
    return true;
}
