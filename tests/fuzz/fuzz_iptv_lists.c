/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_iptv_lists.c — libFuzzer target for the M3U and XMLTV writers'
 * inputs (iptv/m3u.c, iptv/epg.c): channel names, groups, logos and
 * programme titles and descriptions are hostile text (quotes, control
 * characters, newlines, invalid UTF-8, markup, "]]>").
 *
 * The input is split at 0xff bytes into strings. Invariants: the M3U is
 * valid UTF-8, has exactly 1 + 2n lines (n: channels with a usable URL), each #EXTINF has exactly
 * 10 double quotes, and no control character but the line ends; the XMLTV is valid UTF-8 with no
 * character XML 1.0 forbids, and every '<' and '>' is one the writer put there (the count of tags
 * is fixed by n), every '&' starts an entity.
 */
#include "iptv/lists.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t count(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void check_m3u(const char *m, const yj_m3u_channel_t *ch, size_t nch)
{
    size_t n = 0;
    for (size_t i = 0; i < nch; i++) {
        char *u = yj_iptv_m3u_url(ch[i].url);
        n += u != NULL;
        g_free(u);
    }
    if (!g_utf8_validate(m, -1, NULL))
        abort();
    for (const char *p = m; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n')
            abort();
    char **lines = g_strsplit(m, "\n", -1);
    size_t nl = g_strv_length(lines);
    if (nl != 2 + 2 * n || lines[nl - 1][0]) /* trailing "" after the last \n */
        abort();
    if (strncmp(lines[0], "#EXTM3U", 7) || count(lines[0], '"') != 4)
        abort();
    for (size_t i = 0; i < n; i++) {
        const char *inf = lines[1 + 2 * i], *url = lines[2 + 2 * i];
        if (strncmp(inf, "#EXTINF:-1 ", 11) || count(inf, '"') != 10)
            abort();
        if (!*url || strchr(url, ' ') || url[0] == '#')
            abort();
    }
    g_strfreev(lines);
}

static void check_xml(const char *x, size_t nch, size_t nlogo, size_t np, size_t ndesc)
{
    if (!g_utf8_validate(x, -1, NULL))
        abort();
    for (const char *p = x; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n')
            abort();
    /* tags: <?xml?>, <!DOCTYPE>, <tv>, </tv>; per channel 4 (+1 icon);
     * per programme 4 (+2 desc) */
    size_t lt = 4 + 4 * nch + nlogo + 4 * np + 2 * ndesc;
    if (count(x, '<') != lt || count(x, '>') != lt)
        abort();
    for (const char *p = strchr(x, '&'); p; p = strchr(p + 1, '&'))
        if (strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) &&
            strncmp(p, "&quot;", 6) && strncmp(p, "&apos;", 6) && strncmp(p, "&#", 2))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = g_strndup((const char *)data, size); /* a NUL ends the input */
    char **f = g_strsplit(buf, "\xff", 64);
    size_t nf = g_strv_length(f);
    size_t n = nf / 4;
    yj_m3u_channel_t *ch = g_new0(yj_m3u_channel_t, n + 1);
    yj_xmltv_channel_t *xc = g_new0(yj_xmltv_channel_t, n + 1);
    yj_xmltv_programme_t *xp = g_new0(yj_xmltv_programme_t, n + 1);
    size_t nlogo = 0, ndesc = 0;
    for (size_t i = 0; i < n; i++) {
        ch[i] = (yj_m3u_channel_t){(int64_t)i + 1, (int)i + 1,   f[4 * i],
                                   f[4 * i + 1],   f[4 * i + 2], f[4 * i + 3]};
        xc[i] = (yj_xmltv_channel_t){f[4 * i + 3], f[4 * i], f[4 * i + 2]};
        nlogo += f[4 * i + 2][0] != 0;
        xp[i] = (yj_xmltv_programme_t){f[4 * i + 3], INT64_C(1796691600000) + (int64_t)i * 60000,
                                       INT64_C(1796691600000) + (int64_t)(i + 1) * 60000,
                                       f[4 * i + 1], f[4 * i]};
        ndesc += f[4 * i][0] != 0;
    }
    char *m = yj_iptv_m3u_write(ch, n, nf ? f[0] : NULL);
    if (nf)
        check_m3u(m, ch, n);
    char *x = yj_iptv_xmltv_write(xc, n, xp, n, nf > 1 ? f[1] : NULL);
    check_xml(x, n, nlogo, n, ndesc);
    g_free(m);
    g_free(x);
    g_free(ch);
    g_free(xc);
    g_free(xp);
    g_strfreev(f);
    g_free(buf);
    return 0;
}
