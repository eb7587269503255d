/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hls_live.c — a channel's live HLS window, cut from the very transport
 * stream that goes out on UDP (see hls_live.h).
 *
 * The producer hands over every TS packet with its on-air UTC time.
 * Packets since the last PAT are held back; when a video packet that
 * starts a keyframe PES (random_access_indicator, set by ts_mux.c) comes
 * and the open segment is at least the target length, the segment is
 * closed just before that PAT, so each segment starts with PAT, PMT and,
 * within 80 ms, an IDR — and continuity counters run on across segments.
 * Segments are written under a temporary name and renamed; the playlist
 * (sliding window, EXT-X-PROGRAM-DATE-TIME per segment) is replaced
 * atomically; segments that leave the window are deleted. It writes only
 * inside its folder, and only the files it names itself.
 */
#include "iptv/hls_live.h"
#include "core/log.h"
#include "core/yj.h"
#include "iptv/ts_mux.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define HOLD_MAX 2048 /* packets held since the last PAT (PAT is every 80 ms) */

typedef struct {
    uint64_t seq;
    double dur;
    int64_t start_ms;
} seg_t;

struct yj_iptv_hls {
    char *dir;
    int target, window;
    FILE *f;          /* the open segment (temporary name) */
    uint64_t seq;     /* its number */
    int64_t start_ms; /* its first packet's time */
    uint8_t *hold;    /* packets since the last PAT */
    size_t nhold;
    int64_t hold_ms; /* time of that PAT */
    bool have_pat;
    seg_t *segs; /* the window, oldest first */
    int nsegs;
    double maxdur;
};

yj_iptv_hls_t *yj_iptv_hls_new(const char *dir, int target_s, int window, char **err)
{
    if (!dir || !dir[0] || g_mkdir_with_parents(dir, 0755) < 0) {
        *err = g_strdup_printf("hls_dir: cannot create %s", dir ? dir : "");
        return NULL;
    }
    yj_iptv_hls_t *h = g_new0(yj_iptv_hls_t, 1);
    h->dir = g_strdup(dir);
    h->target = target_s > 0 ? target_s : 4;
    h->window = window > 2 ? window : 6;
    h->hold = g_malloc((size_t)HOLD_MAX * YJ_TS_PACKET);
    h->segs = g_new0(seg_t, (size_t)h->window + 1);
    /* numbering continues after a restart from the time, so a player never
     * sees a media sequence go back */
    h->seq = (uint64_t)(g_get_real_time() / G_USEC_PER_SEC);
    return h;
}

static char *seg_path(const yj_iptv_hls_t *h, uint64_t seq, bool tmp)
{
    char name[64];
    g_snprintf(name, sizeof name, "seg%" G_GUINT64_FORMAT ".ts%s", seq, tmp ? ".tmp" : "");
    return g_build_filename(h->dir, name, NULL);
}

static void write_playlist(yj_iptv_hls_t *h)
{
    GString *s = g_string_new("#EXTM3U\n#EXT-X-VERSION:3\n");
    g_string_append_printf(s, "#EXT-X-TARGETDURATION:%d\n", MAX(h->target, (int)ceil(h->maxdur)));
    g_string_append_printf(s, "#EXT-X-MEDIA-SEQUENCE:%" G_GUINT64_FORMAT "\n", h->segs[0].seq);
    for (int i = 0; i < h->nsegs; i++) {
        GDateTime *dt = g_date_time_new_from_unix_utc(h->segs[i].start_ms / 1000);
        char *iso = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
        g_string_append_printf(
            s, "#EXT-X-PROGRAM-DATE-TIME:%s.%03dZ\n#EXTINF:%.3f,\nseg%" G_GUINT64_FORMAT ".ts\n",
            iso, (int)(h->segs[i].start_ms % 1000), h->segs[i].dur, h->segs[i].seq);
        g_free(iso);
        g_date_time_unref(dt);
    }
    g_autofree char *pl = g_build_filename(h->dir, "live.m3u8", NULL);
    GError *e = NULL;
    if (!g_file_set_contents(pl, s->str, (gssize)s->len, &e)) { /* temp file + rename */
        yj_warn("iptv", "live HLS playlist: %s", e->message);
        g_error_free(e);
    }
    g_string_free(s, TRUE);
}

static void close_segment(yj_iptv_hls_t *h, int64_t end_ms)
{
    if (!h->f)
        return;
    bool ok = fclose(h->f) == 0;
    h->f = NULL;
    g_autofree char *tmp = seg_path(h, h->seq, true);
    g_autofree char *fin = seg_path(h, h->seq, false);
    if (!ok || g_rename(tmp, fin) < 0) {
        yj_warn("iptv", "live HLS: cannot write %s", fin);
        g_unlink(tmp);
        h->seq++;
        return;
    }
    if (h->nsegs == h->window) { /* slide: the oldest leaves */
        g_autofree char *old = seg_path(h, h->segs[0].seq, false);
        g_unlink(old);
        memmove(h->segs, h->segs + 1, sizeof(seg_t) * (size_t)(h->nsegs - 1));
        h->nsegs--;
    }
    double dur = (double)(end_ms - h->start_ms) / 1000.0;
    h->segs[h->nsegs++] = (seg_t){h->seq, dur, h->start_ms};
    h->maxdur = 0;
    for (int i = 0; i < h->nsegs; i++)
        h->maxdur = MAX(h->maxdur, h->segs[i].dur);
    h->seq++;
    write_playlist(h);
}

static void flush_hold(yj_iptv_hls_t *h)
{
    if (h->f && h->nhold)
        fwrite(h->hold, YJ_TS_PACKET, h->nhold, h->f);
    h->nhold = 0;
}

void yj_iptv_hls_packet(yj_iptv_hls_t *h, const uint8_t *p, int64_t utc_ms)
{
    int pid = (p[1] & 0x1F) << 8 | p[2];
    if (pid == 0 && (p[1] & 0x40)) { /* a PAT: what was held goes out */
        flush_hold(h);
        h->hold_ms = utc_ms;
        h->have_pat = true;
    }
    bool key = pid == 0x100 && (p[1] & 0x40) && (p[3] & 0x20) && p[4] > 0 && (p[5] & 0x40);
    if (key && h->have_pat && (!h->f || (h->hold_ms - h->start_ms) >= h->target * 1000LL)) {
        close_segment(h, h->hold_ms);
        g_autofree char *tmp = seg_path(h, h->seq, true);
        h->f = g_fopen(tmp, "wb");
        if (!h->f)
            yj_warn("iptv", "live HLS: cannot create %s", tmp);
        h->start_ms = h->hold_ms;
    }
    if (h->nhold == HOLD_MAX)
        flush_hold(h);
    memcpy(h->hold + h->nhold * YJ_TS_PACKET, p, YJ_TS_PACKET);
    h->nhold++;
}

void yj_iptv_hls_free(yj_iptv_hls_t *h)
{
    if (!h)
        return;
    if (h->f) {
        fclose(h->f);
        g_autofree char *tmp = seg_path(h, h->seq, true);
        g_unlink(tmp);
    }
    g_free(h->dir);
    g_free(h->hold);
    g_free(h->segs);
    g_free(h);
}
