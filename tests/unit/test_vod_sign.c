/* SPDX-License-Identifier: Apache-2.0 */
/* test_vod_sign.c — signed playback URLs (vod/sign.c): a good URL
 * verifies; any tampered part, another key or a late request does not;
 * only known lesson file names pass the whitelist. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vod/sign.h"

#include <glib.h>
#include <string.h>

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";

static void sign_and_verify(void **state)
{
    (void)state;
    char *p = yj_vod_sign_url_prefix(key, 32, 7, "m:330102198001010018", 1000, 3600, 900);
    /* /hls/7/WHO/EXP/SIG/ */
    char **parts = g_strsplit(p, "/", -1);
    assert_int_equal(g_strv_length(parts), 7);
    assert_string_equal(parts[1], "hls");
    assert_string_equal(parts[2], "7");
    assert_int_equal(strlen(parts[3]), 16);
    assert_null(strstr(p, "330102198001010018")); /* no identity number in URLs */
    assert_string_equal(parts[4], "5400");        /* 1000 + 3600 rounded up to 900s */
    const char *l = parts[2], *w = parts[3], *x = parts[4], *s = parts[5];
    assert_int_equal(yj_vod_sign_verify(key, 32, l, w, x, s, 1000), YJ_SIGN_OK);
    assert_int_equal(yj_vod_sign_verify(key, 32, l, w, x, s, 5400), YJ_SIGN_OK);
    assert_int_equal(yj_vod_sign_verify(key, 32, l, w, x, s, 5401), YJ_SIGN_EXPIRED);
    /* Tampering with any part. */
    assert_int_equal(yj_vod_sign_verify(key, 32, "8", w, x, s, 1000), YJ_SIGN_BAD);
    assert_int_equal(yj_vod_sign_verify(key, 32, l, "AAAAAAAAAAAAAAAA", x, s, 1000), YJ_SIGN_BAD);
    assert_int_equal(yj_vod_sign_verify(key, 32, l, w, "9999999", s, 1000), YJ_SIGN_BAD);
    assert_int_equal(yj_vod_sign_verify(key, 32, "07", w, x, s, 1000), YJ_SIGN_BAD);
    char *s2 = g_strdup(s);
    s2[0] = s2[0] == 'A' ? 'B' : 'A';
    assert_int_equal(yj_vod_sign_verify(key, 32, l, w, x, s2, 1000), YJ_SIGN_BAD);
    g_free(s2);
    assert_int_equal(yj_vod_sign_verify(key, 32, l, w, x, "short", 1000), YJ_SIGN_BAD);
    assert_int_equal(yj_vod_sign_verify(key, 32, NULL, w, x, s, 1000), YJ_SIGN_BAD);
    static const unsigned char other[] = "another key, another server!!!!!";
    assert_int_equal(yj_vod_sign_verify(other, 32, l, w, x, s, 1000), YJ_SIGN_BAD);
    /* Another member gets another tag; the same member the same one. */
    char t1[17], t2[17], t3[17];
    yj_vod_sign_viewer_tag(key, 32, "m:1", t1);
    yj_vod_sign_viewer_tag(key, 32, "m:2", t2);
    yj_vod_sign_viewer_tag(key, 32, "m:1", t3);
    assert_string_not_equal(t1, t2);
    assert_string_equal(t1, t3);
    g_strfreev(parts);
    g_free(p);
}

static void file_whitelist(void **state)
{
    (void)state;
    const char *good[] = {"master.m3u8",      "poster.jpg",        "720p/index.m3u8",
                          "360p/seg00000.ts", "audio/seg12345.ts", NULL};
    const char *bad[] = {"",
                         "../master.m3u8",
                         "720p/../../x",
                         "720p/seg0000.ts",
                         "720p/seg000001.ts",
                         "720P/index.m3u8",
                         "a/b/index.m3u8",
                         "/etc/passwd",
                         "720p/index.m3u8/",
                         "..",
                         "720p/seg0000a.ts",
                         "%2e%2e/master.m3u8",
                         "720p/.index.m3u8",
                         "abcdefghijklmnopq/index.m3u8",
                         "/index.m3u8",
                         NULL};
    for (int i = 0; good[i]; i++)
        assert_true(yj_vod_sign_file_allowed(good[i]));
    for (int i = 0; bad[i]; i++)
        assert_false(yj_vod_sign_file_allowed(bad[i]));
    assert_false(yj_vod_sign_file_allowed(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sign_and_verify),
        cmocka_unit_test(file_whitelist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
