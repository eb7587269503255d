/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epg.c — the programme guide as XMLTV (xmltv.dtd): <tv> with one
 * <channel id> (display-name, icon) per channel and one <programme
 * start stop channel> (title lang="zh", desc) per occurrence, times in
 * the XMLTV form "YYYYmmddHHMMSS +0800". Programmes are half-open: one
 * ending at 10:00 and the next starting at 10:00 abut.
 *
 * Every text is made valid UTF-8 and stripped of characters XML 1.0
 * forbids before it is escaped, so no title can break the document.
 */
#include "lists.h"
#include "schedule.h"

#include <glib.h>
#include <string.h>

static void put_text(GString *s, const char *t)
{
    g_autofree char *c = yj_iptv_clean_text(t, 0);
    g_autofree char *e = g_markup_escape_text(c, -1);
    g_string_append(s, e);
}

static void put_time(GString *s, int64_t ms)
{
    GTimeZone *tz = g_time_zone_new_offset(YJ_IPTV_TZ_OFFSET_S);
    GDateTime *d = g_date_time_new_from_unix_utc(ms / 1000);
    GDateTime *l = d ? g_date_time_to_timezone(d, tz) : NULL;
    g_autofree char *f =
        l ? g_date_time_format(l, "%Y%m%d%H%M%S %z") : g_strdup("19700101000000 +0000");
    g_string_append(s, f);
    if (l)
        g_date_time_unref(l);
    if (d)
        g_date_time_unref(d);
    g_time_zone_unref(tz);
}

char *yj_iptv_xmltv_write(const yj_xmltv_channel_t *ch, size_t nch, const yj_xmltv_programme_t *p,
                          size_t np, const char *generator)
{
    GString *s = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<!DOCTYPE tv SYSTEM \"xmltv.dtd\">\n<tv generator-info-name=\"");
    put_text(s, generator ? generator : "yuanjiao");
    g_string_append(s, "\">\n");
    for (size_t i = 0; i < nch; i++) {
        g_string_append(s, "  <channel id=\"");
        put_text(s, ch[i].id);
        g_string_append(s, "\">\n    <display-name lang=\"zh\">");
        put_text(s, ch[i].name);
        g_string_append(s, "</display-name>\n");
        if (ch[i].logo && *ch[i].logo) {
            g_string_append(s, "    <icon src=\"");
            put_text(s, ch[i].logo);
            g_string_append(s, "\"/>\n");
        }
        g_string_append(s, "  </channel>\n");
    }
    for (size_t i = 0; i < np; i++) {
        g_string_append(s, "  <programme start=\"");
        put_time(s, p[i].start_ms);
        g_string_append(s, "\" stop=\"");
        put_time(s, p[i].end_ms);
        g_string_append(s, "\" channel=\"");
        put_text(s, p[i].channel_id);
        g_string_append(s, "\">\n    <title lang=\"zh\">");
        put_text(s, p[i].title);
        g_string_append(s, "</title>\n");
        if (p[i].desc && *p[i].desc) {
            g_string_append(s, "    <desc lang=\"zh\">");
            put_text(s, p[i].desc);
            g_string_append(s, "</desc>\n");
        }
        g_string_append(s, "  </programme>\n");
    }
    g_string_append(s, "</tv>\n");
    return g_string_free(s, FALSE);
}
