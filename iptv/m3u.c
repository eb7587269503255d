/* SPDX-License-Identifier: Apache-2.0 */
/*
 * m3u.c — the channel list as an extended M3U playlist (the IPTV dialect
 * players and set-top boxes read: #EXTM3U with url-tvg/x-tvg-url, then
 * #EXTINF:-1 with tvg-id, tvg-name, tvg-logo, tvg-chno, group-title).
 *
 * The format has no escaping: a double quote ends an attribute and a
 * newline ends an entry. So every value is cleaned here (valid UTF-8, no
 * control characters, no double quotes, commas kept only in the display
 * name after the last attribute) rather than trusted. It never writes a
 * line a title chose.
 */
#include "lists.h"

#include <glib.h>
#include <string.h>

char *yj_iptv_clean_text(const char *s, int no_quote)
{
    if (!s)
        return g_strdup("");
    char *v = g_utf8_make_valid(s, -1);
    for (char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || (no_quote && c == '"'))
            *p = ' ';
    }
    /* U+2028/U+2029 and U+0085 are line breaks to some players */
    GString *out = g_string_new(NULL);
    for (const char *p = v; *p; p = g_utf8_next_char(p)) {
        gunichar u = g_utf8_get_char(p);
        if (u == 0x2028 || u == 0x2029 || u == 0x85 || (u >= 0x80 && u < 0xa0))
            g_string_append_c(out, ' ');
        else
            g_string_append_len(out, p, g_utf8_next_char(p) - p);
    }
    g_free(v);
    return g_string_free(out, FALSE);
}

char *yj_iptv_m3u_url(const char *url)
{
    char *u = yj_iptv_clean_text(url, 1);
    GString *out = g_string_new(NULL);
    for (const char *p = u; *p; p++) {
        if (*p == ' ')
            g_string_append(out, "%20");
        else
            g_string_append_c(out, *p);
    }
    g_free(u);
    if (!out->len || out->str[0] == '#') {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

char *yj_iptv_m3u_write(const yj_m3u_channel_t *ch, size_t n, const char *epg_url)
{
    GString *s = g_string_new("#EXTM3U");
    if (epg_url) {
        g_autofree char *e = yj_iptv_clean_text(epg_url, 1);
        g_string_append_printf(s, " url-tvg=\"%s\" x-tvg-url=\"%s\"", e, e);
    }
    g_string_append_c(s, '\n');
    for (size_t i = 0; i < n; i++) {
        g_autofree char *url = yj_iptv_m3u_url(ch[i].url);
        if (!url)
            continue; /* an entry without a stream is no entry */
        g_autofree char *name = yj_iptv_clean_text(ch[i].name, 1);
        g_autofree char *group = yj_iptv_clean_text(ch[i].group, 1);
        g_autofree char *logo = yj_iptv_clean_text(ch[i].logo, 1);
        g_string_append_printf(s,
                               "#EXTINF:-1 tvg-id=\"%" G_GINT64_FORMAT
                               ".yuanjiao\" tvg-name=\"%s\" "
                               "tvg-logo=\"%s\" tvg-chno=\"%d\" group-title=\"%s\",%s\n",
                               ch[i].id, name, logo, ch[i].number, group, name);
        g_string_append_printf(s, "%s\n", url);
    }
    return g_string_free(s, FALSE);
}
