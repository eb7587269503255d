/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lists.h — the channel list (M3U) and the programme guide (XMLTV)
 * writers: pure functions from borrowed strings to a new document, so
 * hostile titles (quotes, control characters, newlines, invalid UTF-8,
 * markup) can be fuzzed without a server. Internal to iptv/.
 */
#ifndef YJ_IPTV_LISTS_H
#define YJ_IPTV_LISTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t id;
    int number;
    const char *name, *group, *logo; /* any bytes; cleaned when written */
    const char *url;                 /* the stream URL (already built) */
} yj_m3u_channel_t;

/* A stream URL as the playlist writes it (cleaned, spaces as %20), or
 * NULL when nothing usable is left (empty, or a '#' that would read as a
 * comment). g_free. */
char *yj_iptv_m3u_url(const char *url);

/* "#EXTM3U url-tvg=… x-tvg-url=…" then #EXTINF + URL per channel with a
 * usable URL (others are left out). Every
 * attribute value and name is valid UTF-8 without control characters or
 * double quotes; the document ends with a newline. g_free. */
char *yj_iptv_m3u_write(const yj_m3u_channel_t *ch, size_t n, const char *epg_url);

typedef struct {
    const char *channel_id; /* XMLTV channel id ("1.yuanjiao") */
    int64_t start_ms, end_ms;
    const char *title, *desc; /* desc may be NULL */
} yj_xmltv_programme_t;

typedef struct {
    const char *id, *name, *logo; /* logo may be NULL or "" */
} yj_xmltv_channel_t;

/* An XMLTV document (valid against xmltv.dtd): <tv> with the channels,
 * then the programmes, times as "YYYYmmddHHMMSS +0800". g_free. */
char *yj_iptv_xmltv_write(const yj_xmltv_channel_t *ch, size_t nch, const yj_xmltv_programme_t *p,
                          size_t np, const char *generator);

/* s made valid UTF-8 with control characters (and, when no_quote, '"')
 * replaced by spaces and runs of spaces kept; g_free. */
char *yj_iptv_clean_text(const char *s, int no_quote);

#endif
