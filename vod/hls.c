/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hls.c — HLS packaging: the master playlist (RFC 8216 §4.3.4.2).
 *
 * BANDWIDTH must be the peak segment bit rate, so it is measured from
 * what was written (segment sizes over their EXTINF durations), not taken
 * from the encoder settings; AVERAGE-BANDWIDTH is the whole rendition's.
 * Video renditions are listed from the lightest up, so players on a slow
 * village line start with the 360p one; the audio-only rendition comes
 * last (hls.js ignores it when video renditions exist; Safari uses it on
 * a very poor link).
 */
#include "hls.h"
#include "core/yj.h"

#include <glib.h>
#include <jansson.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    double duration;
    int segments;
    double peak, average; /* bit/s */
} measure_t;

static bool measure(const char *dir, measure_t *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    g_autofree char *pl = g_build_filename(dir, "index.m3u8", NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(pl, &text, NULL, NULL)) {
        g_snprintf(err, errlen, "no media playlist in %s", dir);
        return false;
    }
    char **lines = g_strsplit(text, "\n", -1);
    double pending = -1, bytes = 0, longest = 0;
    for (char **l = lines; *l; l++) {
        g_strchomp(*l);
        if (g_str_has_prefix(*l, "#EXTINF:")) {
            pending = g_ascii_strtod(*l + 8, NULL);
        } else if (**l && **l != '#' && pending >= 0) {
            struct stat st;
            g_autofree char *seg = g_build_filename(dir, *l, NULL);
            if (strchr(*l, '/') || stat(seg, &st) != 0) {
                g_strfreev(lines);
                g_snprintf(err, errlen, "segment %s is missing", *l);
                return false;
            }
            m->segments++;
            m->duration += pending;
            bytes += (double)st.st_size;
            double rate = pending > 0 ? (double)st.st_size * 8 / pending : 0;
            /* A short last segment overstates the rate: count it only
             * when it is the longest seen or lasts a second or more. */
            if (pending >= 1.0 || pending >= longest)
                m->peak = MAX(m->peak, rate);
            longest = MAX(longest, pending);
            pending = -1;
        }
    }
    g_strfreev(lines);
    if (m->segments == 0 || m->duration <= 0) {
        g_snprintf(err, errlen, "empty media playlist in %s", dir);
        return false;
    }
    m->average = bytes * 8 / m->duration;
    return true;
}

char *yj_hls_write_master(const char *outdir, const yj_hls_rendition_t *r, size_t n, char *err,
                          size_t errlen)
{
    measure_t m[8];
    if (n == 0 || n > G_N_ELEMENTS(m)) {
        g_snprintf(err, errlen, "no renditions");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        g_autofree char *dir = g_build_filename(outdir, r[i].name, NULL);
        if (!measure(dir, &m[i], err, errlen))
            return NULL;
    }
    /* Order: video by bandwidth ascending, then audio-only. */
    size_t order[8];
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t start = k;
        for (size_t i = 0; i < n; i++)
            if (r[i].video == (pass == 0))
                order[k++] = i;
        for (size_t a = start; a < k; a++)
            for (size_t b = a + 1; b < k; b++)
                if (m[order[b]].peak < m[order[a]].peak) {
                    size_t t = order[a];
                    order[a] = order[b];
                    order[b] = t;
                }
    }
    GString *s = g_string_new("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    json_t *arr = json_array();
    for (size_t j = 0; j < n; j++) {
        size_t i = order[j];
        long peak = (long)ceil(m[i].peak), avg = (long)ceil(m[i].average);
        g_string_append_printf(s, "#EXT-X-STREAM-INF:BANDWIDTH=%ld,AVERAGE-BANDWIDTH=%ld", peak,
                               avg);
        if (r[i].video) {
            char fps[32];
            g_ascii_formatd(fps, sizeof fps, "%.3f", r[i].fps);
            g_string_append_printf(s, ",RESOLUTION=%dx%d,FRAME-RATE=%s", r[i].width, r[i].height,
                                   fps);
        }
        g_string_append_printf(s, ",CODECS=\"%s\"\n%s/index.m3u8\n", r[i].codecs, r[i].name);
        json_t *o =
            json_pack("{s:s,s:b,s:I,s:I,s:s,s:i,s:f}", "name", r[i].name, "video", r[i].video,
                      "bandwidth", (json_int_t)peak, "average_bandwidth", (json_int_t)avg, "codecs",
                      r[i].codecs, "segments", m[i].segments, "duration", m[i].duration);
        if (r[i].video) {
            json_object_set_new(o, "width", json_integer(r[i].width));
            json_object_set_new(o, "height", json_integer(r[i].height));
        }
        json_array_append_new(arr, o);
    }
    g_autofree char *master = g_build_filename(outdir, "master.m3u8", NULL);
    GError *e = NULL;
    bool ok = g_file_set_contents(master, s->str, (gssize)s->len, &e);
    g_string_free(s, TRUE);
    if (!ok) {
        g_snprintf(err, errlen, "cannot write the master playlist: %s", e->message);
        g_error_free(e);
        json_decref(arr);
        return NULL;
    }
    char *out = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return out;
}
