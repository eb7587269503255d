/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source_lesson.c — a library lesson as an IPTV source: the HLS rendition
 * that fits the channel, demuxed with libavformat (no re-encoding).
 *
 * The lesson's renditions were written by vod/transcode.c: MPEG-TS
 * segments that each start on an IDR, with continuous timestamps across
 * segments. This reads the master playlist, picks a rendition by BANDWIDTH,
 * reads the media playlist's segment list and demuxes segment after
 * segment, starting at the one that holds the resume offset, and yields
 * H.264 and AAC access units re-timed so the first video keyframe is 0.
 * It opens only local files named by the playlists, inside the lesson
 * folder, with libavformat's mpegts demuxer and the file protocol; it
 * never writes anything.
 */
#include "iptv/source.h"
#include "core/log.h"
#include "core/yj.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include <glib.h>
#include <string.h>

typedef struct {
    char **segs;
    double *durs;
    int n, cur;
    AVFormatContext *fc;
    AVPacket *pkt;
    bool started;
    int64_t zero; /* 90 kHz dts of the first keyframe */
    int seg_aus;  /* access units read from the current segment */
    uint8_t *buf;
    size_t cap;
    /* an AAC packet of several ADTS frames, yielded one frame at a time */
    AVPacket *apkt;
    size_t aoff;
    int64_t anext; /* 90 kHz pts of the next audio frame (the demuxer's timeline) */
} lesson_t;

static const int adts_rates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                 22050, 16000, 12000, 11025, 8000,  7350};

/* The next ADTS frame of the pending audio packet that falls on or after
 * the first keyframe, or 0 when none is left. l->anext advances over
 * every frame, kept or not. */
static int next_adts(lesson_t *l, yj_iptv_au_t *au)
{
    for (;;) {
        const uint8_t *d = l->apkt->data + l->aoff;
        size_t left = (size_t)l->apkt->size - l->aoff;
        if (left < 7 || d[0] != 0xFF || (d[1] & 0xF6) != 0xF0)
            return 0;
        size_t fl = (size_t)((d[3] & 3) << 11 | d[4] << 3 | d[5] >> 5);
        int sri = (d[2] >> 2) & 0x0F;
        int frames = (d[6] & 3) + 1;
        if (fl < 7 || fl > left || sri > 12)
            return 0;
        int64_t pts = l->anext, dur = (int64_t)frames * 1024 * 90000 / adts_rates[sri];
        l->aoff += fl;
        l->anext += dur;
        if (!l->started || pts < l->zero)
            continue;
        au->st = YJ_TS_AUDIO;
        au->data = d;
        au->len = fl;
        au->pts = au->dts = pts - l->zero;
        au->duration = dur;
        au->key = true;
        return 1;
    }
}

/* A playlist path inside dir: no absolute paths, no "..", no URLs. */
static char *child_path(const char *dir, const char *uri)
{
    if (!uri[0] || uri[0] == '/' || strstr(uri, "..") || strchr(uri, ':'))
        return NULL;
    return g_build_filename(dir, uri, NULL);
}

char *yj_iptv_lesson_pick(const char *master, int mux_bitrate, int *bandwidth)
{
    char *text = NULL;
    if (!g_file_get_contents(master, &text, NULL, NULL))
        return NULL;
    g_autofree char *dir = g_path_get_dirname(master);
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    long budget = (long)mux_bitrate * 85 / 100;
    char *best = NULL, *lowest = NULL;
    long best_bw = -1, low_bw = -1;
    bool media = false;
    for (int i = 0; lines[i]; i++) {
        g_strstrip(lines[i]);
        if (g_str_has_prefix(lines[i], "#EXTINF"))
            media = true;
        if (!g_str_has_prefix(lines[i], "#EXT-X-STREAM-INF:"))
            continue;
        const char *b = strstr(lines[i], "BANDWIDTH=");
        bool video = strstr(lines[i], "avc1") || strstr(lines[i], "RESOLUTION=");
        if (!b || !video || !lines[i + 1])
            continue;
        long bw = strtol(b + 10, NULL, 10);
        g_strstrip(lines[i + 1]);
        char *uri = child_path(dir, lines[i + 1]);
        if (!uri || bw <= 0) {
            g_free(uri);
            continue;
        }
        if (bw <= budget && bw > best_bw) {
            g_free(best);
            best = g_strdup(uri);
            best_bw = bw;
        }
        if (low_bw < 0 || bw < low_bw) {
            g_free(lowest);
            lowest = g_strdup(uri);
            low_bw = bw;
        }
        g_free(uri);
    }
    g_strfreev(lines);
    if (media) { /* not a master: the media playlist itself */
        g_free(best);
        g_free(lowest);
        if (bandwidth)
            *bandwidth = 0;
        return g_strdup(master);
    }
    if (!best) {
        best = lowest;
        best_bw = low_bw;
    } else {
        g_free(lowest);
    }
    if (bandwidth)
        *bandwidth = (int)best_bw;
    return best;
}

static int parse_media(lesson_t *l, const char *playlist)
{
    char *text = NULL;
    if (!g_file_get_contents(playlist, &text, NULL, NULL))
        return YJ_ENOENT;
    g_autofree char *dir = g_path_get_dirname(playlist);
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    GPtrArray *segs = g_ptr_array_new();
    GArray *durs = g_array_new(FALSE, FALSE, sizeof(double));
    double d = -1;
    for (int i = 0; lines[i]; i++) {
        g_strstrip(lines[i]);
        if (g_str_has_prefix(lines[i], "#EXTINF:")) {
            d = g_ascii_strtod(lines[i] + 8, NULL);
        } else if (lines[i][0] && lines[i][0] != '#' && d >= 0) {
            char *p = child_path(dir, lines[i]);
            if (p) {
                g_ptr_array_add(segs, p);
                g_array_append_val(durs, d);
            }
            d = -1;
        }
    }
    g_strfreev(lines);
    l->n = (int)segs->len;
    g_ptr_array_add(segs, NULL);
    l->segs = (char **)g_ptr_array_free(segs, FALSE);
    l->durs = (double *)g_array_free(durs, FALSE);
    return l->n > 0 ? 0 : YJ_EMEDIA;
}

static int open_segment(lesson_t *l)
{
    const AVInputFormat *ts = av_find_input_format("mpegts");
    AVDictionary *o = NULL;
    av_dict_set(&o, "protocol_whitelist", "file", 0);
    int rc = avformat_open_input(&l->fc, l->segs[l->cur], ts, &o);
    av_dict_free(&o);
    if (rc < 0) {
        l->fc = NULL;
        return YJ_EMEDIA;
    }
    l->seg_aus = 0;
    return 0;
}

static int64_t to90k(int64_t t, AVRational tb)
{
    return av_rescale_q(t, tb, (AVRational){1, 90000});
}

/* Puts an ADTS header before a raw AAC frame (when the demuxer gave one
 * without) from the stream's parameters. */
static const uint8_t *with_adts(lesson_t *l, const AVCodecParameters *cp, const uint8_t *d,
                                size_t len, size_t *out_len)
{
    int sri = 3;
    for (int i = 0; i < 13; i++)
        if (adts_rates[i] == cp->sample_rate)
            sri = i;
    int obj = cp->profile >= 0 ? cp->profile + 1 : 2;
    int ch = cp->ch_layout.nb_channels > 0 ? cp->ch_layout.nb_channels : 2;
    size_t fl = len + 7;
    if (l->cap < fl) {
        l->cap = fl * 2;
        l->buf = g_realloc(l->buf, l->cap);
    }
    uint8_t *h = l->buf;
    h[0] = 0xFF;
    h[1] = 0xF1;
    h[2] = (uint8_t)(((obj - 1) << 6) | (sri << 2) | (ch >> 2));
    h[3] = (uint8_t)(((ch & 3) << 6) | (fl >> 11));
    h[4] = (uint8_t)((fl >> 3) & 0xFF);
    h[5] = (uint8_t)(((fl & 7) << 5) | 0x1F);
    h[6] = 0xFC;
    memcpy(h + 7, d, len);
    *out_len = fl;
    return h;
}

static int lesson_read(void *impl, yj_iptv_au_t *au)
{
    lesson_t *l = impl;
    for (;;) {
        if (l->apkt->data && next_adts(l, au))
            return 1;
        av_packet_unref(l->apkt);
        if (!l->fc) {
            if (l->cur >= l->n)
                return 0;
            if (open_segment(l) < 0)
                return YJ_EMEDIA;
        }
        av_packet_unref(l->pkt);
        int rc = av_read_frame(l->fc, l->pkt);
        if (rc == AVERROR_EOF || rc == AVERROR(EIO) || rc == AVERROR_INVALIDDATA) {
            bool empty = l->seg_aus == 0;
            avformat_close_input(&l->fc);
            l->cur++;
            if (empty)
                return YJ_EMEDIA; /* a segment without media: corrupt */
            continue;
        }
        if (rc < 0)
            return YJ_EMEDIA;
        AVStream *s = l->fc->streams[l->pkt->stream_index];
        enum AVCodecID id = s->codecpar->codec_id;
        if (id != AV_CODEC_ID_H264 && id != AV_CODEC_ID_AAC)
            continue;
        int64_t pts = l->pkt->pts, dts = l->pkt->dts;
        if (pts == AV_NOPTS_VALUE)
            pts = dts;
        if (dts == AV_NOPTS_VALUE)
            dts = pts;
        if (l->pkt->size <= 0)
            continue;
        if (id == AV_CODEC_ID_AAC) {
            /* the parser stamps only the first frame of a PES: the others
             * follow the previous one */
            if (pts != AV_NOPTS_VALUE)
                l->anext = to90k(pts, s->time_base);
            else if (l->anext == INT64_MIN)
                continue;
            const uint8_t *d = l->pkt->data;
            if (l->pkt->size >= 7 && d[0] == 0xFF && (d[1] & 0xF6) == 0xF0) {
                av_packet_move_ref(l->apkt, l->pkt);
                l->aoff = 0;
                l->seg_aus++;
                if (next_adts(l, au))
                    return 1;
                continue;
            }
            pts = dts = l->anext;
            l->anext += 1920; /* a raw frame: 1024 samples at 48 kHz assumed */
            if (!l->started || pts < l->zero)
                continue;
            au->st = YJ_TS_AUDIO;
            au->data = with_adts(l, s->codecpar, d, (size_t)l->pkt->size, &au->len);
        } else {
            if (pts == AV_NOPTS_VALUE)
                continue;
            pts = to90k(pts, s->time_base);
            dts = to90k(dts, s->time_base);
            if (!l->started) {
                if (!(l->pkt->flags & AV_PKT_FLAG_KEY))
                    continue;
                l->started = true;
                l->zero = dts;
            }
            au->st = YJ_TS_VIDEO;
            au->data = l->pkt->data;
            au->len = (size_t)l->pkt->size;
        }
        au->pts = pts - l->zero;
        au->dts = dts - l->zero;
        au->duration = l->pkt->duration > 0 ? to90k(l->pkt->duration, s->time_base) : 0;
        au->key = l->pkt->flags & AV_PKT_FLAG_KEY;
        l->seg_aus++;
        return 1;
    }
}

static void lesson_free(void *impl)
{
    lesson_t *l = impl;
    if (!l)
        return;
    avformat_close_input(&l->fc);
    av_packet_free(&l->pkt);
    av_packet_free(&l->apkt);
    g_strfreev(l->segs);
    g_free(l->durs);
    g_free(l->buf);
    g_free(l);
}

static const yj_iptv_src_ops_t lesson_ops = {.read = lesson_read, .free = lesson_free};

yj_iptv_src_t *yj_iptv_src_lesson_open(const char *master, int mux_bitrate, int64_t offset_ms,
                                       int64_t *remaining_ms, char **err)
{
    int bw = 0;
    g_autofree char *pl = master ? yj_iptv_lesson_pick(master, mux_bitrate, &bw) : NULL;
    if (!pl) {
        *err = g_strdup_printf("cannot read the lesson playlist %s", master ? master : "(none)");
        return NULL;
    }
    lesson_t *l = g_new0(lesson_t, 1);
    if (parse_media(l, pl) < 0) {
        *err = g_strdup_printf("cannot read the rendition playlist %s", pl);
        lesson_free(l);
        return NULL;
    }
    double t = 0, off = offset_ms > 0 ? (double)offset_ms / 1000.0 : 0;
    while (l->cur < l->n && t + l->durs[l->cur] <= off) {
        t += l->durs[l->cur];
        l->cur++;
    }
    if (remaining_ms) {
        double left = 0;
        for (int i = l->cur; i < l->n; i++)
            left += l->durs[i];
        *remaining_ms = (int64_t)(left * 1000);
    }
    l->pkt = av_packet_alloc();
    l->apkt = av_packet_alloc();
    l->anext = INT64_MIN;
    if (l->cur < l->n && open_segment(l) < 0) {
        *err = g_strdup_printf("cannot open the lesson segment %s", l->segs[l->cur]);
        lesson_free(l);
        return NULL;
    }
    yj_debug("iptv", "lesson %s: rendition %s (%d bit/s), segment %d of %d", master, pl, bw, l->cur,
             l->n);
    return yj_iptv_src_wrap(&lesson_ops, l);
}
