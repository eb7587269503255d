/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transcode.c — one source file → an HLS ladder, with libav* only.
 *
 * The source is decoded once. Video is retimed onto a constant frame rate
 * grid (at most 30 fps; duplicates fill gaps, late frames are dropped, as
 * ffmpeg's -vsync cfr does) so output frame n has pts n in every
 * rendition. Each rendition has its own scaler and libx264 encoder with a
 * fixed GOP of segment_seconds × fps, scene-cut off, and frame n forced
 * to an IDR whenever n % GOP == 0 — so keyframes, and therefore the HLS
 * muxer's segment cuts, fall on the same PTS in every rendition. Audio is
 * resampled and AAC-encoded once (64 kbps) and the same packets are muxed
 * into every rendition and into an audio-only rendition. libavformat's
 * "hls" muxer writes MPEG-TS segments and the media playlists; hls.c then
 * measures them and writes the master playlist. A poster JPEG is taken
 * about two seconds in.
 *
 * Ladder (never upscaled; the short side decides, so portrait phone
 * videos work): 720p at 1.2 Mbps, 360p at 400 kbps, audio at 64 kbps. A
 * source smaller than 360p gets one rendition at its own size. A source
 * with no video (an audio lesson: a recorded meeting where nobody had a
 * camera on) gets the audio rendition alone and no poster.
 *
 * It must never hang or touch anything but its source and outdir: input
 * is opened with the safe options (local file, known containers only) and
 * the cancel flag is checked at every packet.
 */
#include "transcode.h"
#include "hls.h"
#include "import.h"
#include "core/log.h"
#include "core/yj.h"

#include <glib.h>
#include <jansson.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_RENDITIONS 3
#define AUDIO_BITRATE 64000
#define MAX_DUPLICATES 300 /* frames filled into one timestamp gap */

typedef struct {
    const char *name;
    int short_side;
    int bitrate;
    int level;
} rung_t;

static const rung_t ladder[] = {
    {"720p", 720, 1200000, 31},
    {"360p", 360, 400000, 30},
};

typedef struct {
    char name[16];
    int w, h, bitrate;
    AVCodecContext *enc; /* NULL: audio only */
    struct SwsContext *sws;
    AVFrame *frame;
    AVFrame *upright; /* scaled but not yet rotated (rotation 90/180/270) */
    AVFormatContext *oc;
    AVStream *vst, *ast;
    char codecs[32];
    bool header;
} rend_t;

typedef struct {
    const yj_transcode_opts_t *o;
    char *err;
    size_t errlen;
    AVFormatContext *ic;
    int vidx, aidx;
    AVCodecContext *vdec, *adec, *aenc;
    AVPacket *pkt, *opkt;
    AVFrame *dframe, *aframe, *last;
    int fps, gop;
    int64_t next_n;
    double v_start, a_start, duration;
    SwrContext *swr;
    AVAudioFifo *fifo;
    int64_t a_pts;
    bool a_aligned;
    int64_t a_skip;
    rend_t r[MAX_RENDITIONS];
    int nr;
    int rotation; /* clockwise degrees to turn the picture: 0, 90, 180, 270 */
    int pw, ph;   /* poster size */
    int64_t poster_n;
    bool poster_done;
    int percent;
} tc_t;

static int fail(tc_t *t, const char *what, int averr)
{
    char e[AV_ERROR_MAX_STRING_SIZE] = "";
    if (averr)
        av_strerror(averr, e, sizeof e);
    g_snprintf(t->err, t->errlen, "%s%s%s", what, averr ? ": " : "", e);
    return YJ_EMEDIA;
}

static bool cancelled(tc_t *t)
{
    return t->o->cancel && __atomic_load_n(t->o->cancel, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------ */
/* output side */

static void codecs_from_sps(rend_t *r, const AVPacket *p)
{
    if (r->codecs[0] || !(p->flags & AV_PKT_FLAG_KEY))
        return;
    for (int i = 0; i + 6 < p->size; i++) {
        const uint8_t *d = p->data + i;
        if (d[0] == 0 && d[1] == 0 && d[2] == 1 && (d[3] & 0x1f) == 7) {
            g_snprintf(r->codecs, sizeof r->codecs, "avc1.%02x%02x%02x", d[4], d[5], d[6]);
            return;
        }
    }
}

static int write_packet(tc_t *t, rend_t *r, AVStream *st, AVRational tb, AVPacket *p)
{
    if (av_packet_ref(t->opkt, p) < 0)
        return fail(t, "out of memory", 0);
    t->opkt->stream_index = st->index;
    av_packet_rescale_ts(t->opkt, tb, st->time_base);
    int rc = av_interleaved_write_frame(r->oc, t->opkt);
    av_packet_unref(t->opkt);
    return rc < 0 ? fail(t, "cannot write a segment", rc) : 0;
}

/* Sends frame (NULL: flush) to a rendition's video encoder and muxes what
 * comes out. */
static int encode_video(tc_t *t, rend_t *r, AVFrame *f)
{
    int rc = avcodec_send_frame(r->enc, f);
    if (rc < 0)
        return fail(t, "video encoder", rc);
    AVPacket *p = av_packet_alloc();
    while ((rc = avcodec_receive_packet(r->enc, p)) >= 0) {
        codecs_from_sps(r, p);
        int w = write_packet(t, r, r->vst, r->enc->time_base, p);
        av_packet_unref(p);
        if (w) {
            av_packet_free(&p);
            return w;
        }
    }
    av_packet_free(&p);
    return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? 0 : fail(t, "video encoder", rc);
}

static int encode_audio(tc_t *t, AVFrame *f)
{
    int rc = avcodec_send_frame(t->aenc, f);
    if (rc < 0)
        return fail(t, "audio encoder", rc);
    AVPacket *p = av_packet_alloc();
    while ((rc = avcodec_receive_packet(t->aenc, p)) >= 0) {
        for (int i = 0; i < t->nr; i++) {
            int w = write_packet(t, &t->r[i], t->r[i].ast, t->aenc->time_base, p);
            if (w) {
                av_packet_free(&p);
                return w;
            }
        }
        av_packet_unref(p);
    }
    av_packet_free(&p);
    return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? 0 : fail(t, "audio encoder", rc);
}

static int open_video_encoder(tc_t *t, rend_t *r, int level)
{
    const AVCodec *c = avcodec_find_encoder_by_name("libx264");
    if (!c)
        return fail(t, "libavcodec has no libx264 encoder", 0);
    AVCodecContext *e = avcodec_alloc_context3(c);
    r->enc = e;
    e->width = r->w;
    e->height = r->h;
    e->pix_fmt = AV_PIX_FMT_YUV420P;
    e->time_base = (AVRational){1, t->fps};
    e->framerate = (AVRational){t->fps, 1};
    e->sample_aspect_ratio = (AVRational){1, 1};
    e->gop_size = t->gop;
    e->keyint_min = t->gop;
    e->max_b_frames = 2;
    e->bit_rate = r->bitrate;
    e->rc_max_rate = r->bitrate * 3 / 2;
    e->rc_buffer_size = r->bitrate * 2;
    e->level = level;
    e->thread_count = 0;
    av_opt_set(e->priv_data, "preset", t->o->preset ? t->o->preset : "veryfast", 0);
    av_opt_set(e->priv_data, "profile", "main", 0);
    av_opt_set(e->priv_data, "x264-params", "scenecut=0:open-gop=0", 0);
    av_opt_set_int(e->priv_data, "forced-idr", 1, 0);
    int rc = avcodec_open2(e, c, NULL);
    if (rc < 0)
        return fail(t, "cannot open libx264", rc);
    r->frame = av_frame_alloc();
    r->frame->format = e->pix_fmt;
    r->frame->width = e->width;
    r->frame->height = e->height;
    rc = av_frame_get_buffer(r->frame, 0);
    if (rc >= 0 && t->rotation) {
        bool turn = t->rotation != 180;
        r->upright = av_frame_alloc();
        r->upright->format = e->pix_fmt;
        r->upright->width = turn ? e->height : e->width;
        r->upright->height = turn ? e->width : e->height;
        rc = av_frame_get_buffer(r->upright, 0);
    }
    return rc < 0 ? fail(t, "out of memory", rc) : 0;
}

static int open_output(tc_t *t, rend_t *r)
{
    g_autofree char *dir = g_build_filename(t->o->outdir, r->name, NULL);
    if (g_mkdir_with_parents(dir, 0750) != 0)
        return fail(t, "cannot create a rendition folder", 0);
    g_autofree char *pl = g_build_filename(dir, "index.m3u8", NULL);
    g_autofree char *seg = g_build_filename(dir, "seg%05d.ts", NULL);
    int rc = avformat_alloc_output_context2(&r->oc, NULL, "hls", pl);
    if (rc < 0)
        return fail(t, "libavformat has no HLS muxer", rc);
    if (r->enc) {
        r->vst = avformat_new_stream(r->oc, NULL);
        avcodec_parameters_from_context(r->vst->codecpar, r->enc);
        r->vst->time_base = r->enc->time_base;
        r->vst->avg_frame_rate = r->enc->framerate;
    }
    if (t->aenc) {
        r->ast = avformat_new_stream(r->oc, NULL);
        avcodec_parameters_from_context(r->ast->codecpar, t->aenc);
        r->ast->time_base = t->aenc->time_base;
    }
    /* Lets the MPEG-TS muxer pack several AAC frames into one PES (as
     * ffmpeg's default -muxdelay 0.7 does): one PES per frame doubles an
     * audio-only rendition's size. */
    r->oc->max_delay = 700000;
    AVDictionary *mo = NULL;
    char seconds[16];
    g_snprintf(seconds, sizeof seconds, "%d", t->o->segment_seconds);
    av_dict_set(&mo, "hls_time", seconds, 0);
    av_dict_set(&mo, "hls_playlist_type", "vod", 0);
    av_dict_set(&mo, "hls_list_size", "0", 0);
    av_dict_set(&mo, "hls_segment_filename", seg, 0);
    av_dict_set(&mo, "hls_flags", "independent_segments", 0);
    rc = avformat_write_header(r->oc, &mo);
    av_dict_free(&mo);
    if (rc < 0)
        return fail(t, "cannot start the HLS muxer", rc);
    r->header = true;
    return 0;
}

static int open_audio_encoder(tc_t *t)
{
    const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!c)
        return fail(t, "libavcodec has no AAC encoder", 0);
    AVCodecContext *e = avcodec_alloc_context3(c);
    t->aenc = e;
    int in_rate = t->adec->sample_rate;
    e->sample_rate = in_rate == 44100 || in_rate == 48000 ? in_rate : 48000;
    e->sample_fmt = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_default(&e->ch_layout, t->adec->ch_layout.nb_channels >= 2 ? 2 : 1);
    e->bit_rate = AUDIO_BITRATE;
    e->time_base = (AVRational){1, e->sample_rate};
    e->profile = FF_PROFILE_AAC_LOW;
    e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int rc = avcodec_open2(e, c, NULL);
    if (rc < 0)
        return fail(t, "cannot open the AAC encoder", rc);
    t->fifo = av_audio_fifo_alloc(e->sample_fmt, e->ch_layout.nb_channels, e->frame_size * 4);
    t->aframe = av_frame_alloc();
    t->aframe->format = e->sample_fmt;
    av_channel_layout_copy(&t->aframe->ch_layout, &e->ch_layout);
    t->aframe->sample_rate = e->sample_rate;
    t->aframe->nb_samples = e->frame_size;
    rc = av_frame_get_buffer(t->aframe, 0);
    return rc < 0 || !t->fifo ? fail(t, "out of memory", rc) : 0;
}

/* ------------------------------------------------------------------ */
/* poster */

static void write_poster(tc_t *t, const AVFrame *src)
{
    const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    if (!c)
        return;
    AVCodecContext *j = avcodec_alloc_context3(c);
    AVFrame *f = av_frame_alloc();
    AVPacket *p = av_packet_alloc();
    struct SwsContext *sws = NULL;
    char *path = NULL;
    j->width = t->pw;
    j->height = t->ph;
    j->pix_fmt = AV_PIX_FMT_YUVJ420P;
    j->time_base = (AVRational){1, 25};
    j->flags |= AV_CODEC_FLAG_QSCALE;
    j->global_quality = FF_QP2LAMBDA * 3;
    f->format = j->pix_fmt;
    f->width = j->width;
    f->height = j->height;
    if (avcodec_open2(j, c, NULL) < 0 || av_frame_get_buffer(f, 0) < 0)
        goto out;
    sws = sws_getContext(src->width, src->height, src->format, f->width, f->height, f->format,
                         SWS_BICUBIC, NULL, NULL, NULL);
    if (!sws)
        goto out;
    sws_scale(sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height, f->data,
              f->linesize);
    f->pts = 0;
    f->quality = j->global_quality;
    if (avcodec_send_frame(j, f) < 0 || avcodec_send_frame(j, NULL) < 0 ||
        avcodec_receive_packet(j, p) < 0)
        goto out;
    path = g_build_filename(t->o->outdir, "poster.jpg", NULL);
    if (g_file_set_contents(path, (const char *)p->data, p->size, NULL))
        t->poster_done = true;
out:
    g_free(path);
    sws_freeContext(sws);
    av_packet_free(&p);
    av_frame_free(&f);
    avcodec_free_context(&j);
}

/* ------------------------------------------------------------------ */
/* input side */

/* Turns in (w × h) into out by deg clockwise (90/180/270), plane by
 * plane; out has the turned size. Phone recordings carry their
 * orientation as a display matrix instead of upright pixels. */
static void rotate(const AVFrame *in, AVFrame *out, int deg)
{
    for (int p = 0; p < 3; p++) {
        int sh = p ? 1 : 0;
        int w = in->width >> sh, h = in->height >> sh;
        const uint8_t *src = in->data[p];
        int sl = in->linesize[p], dl = out->linesize[p];
        uint8_t *dst = out->data[p];
        if (deg == 180) {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    dst[(h - 1 - y) * dl + (w - 1 - x)] = src[y * sl + x];
        } else if (deg == 90) { /* out(ox, oy) = in(oy, h-1-ox) */
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    dst[x * dl + (h - 1 - y)] = src[y * sl + x];
        } else { /* 270: out(ox, oy) = in(w-1-oy, ox) */
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    dst[(w - 1 - x) * dl + y] = src[y * sl + x];
        }
    }
}

/* Emits source frame f as output frames next_n … n (CFR grid). */
static int emit_video(tc_t *t, AVFrame *f)
{
    double ts;
    int64_t pts = f->best_effort_timestamp;
    AVStream *st = t->ic->streams[t->vidx];
    if (pts == AV_NOPTS_VALUE)
        ts = (double)t->next_n / t->fps;
    else
        ts = (double)pts * av_q2d(st->time_base) - t->v_start;
    int64_t target = llround(ts * t->fps);
    if (t->next_n == 0 && target > 0 && target > MAX_DUPLICATES)
        target = 0; /* a huge leading gap: start at once */
    if (target < t->next_n) {
        if (t->next_n > 0)
            return 0; /* late or duplicate timestamp: drop */
        target = 0;
    }
    if (target - t->next_n > MAX_DUPLICATES)
        target = t->next_n + MAX_DUPLICATES;
    for (; t->next_n <= target; t->next_n++) {
        if (cancelled(t))
            return fail(t, "cancelled", 0);
        for (int i = 0; i < t->nr; i++) {
            rend_t *r = &t->r[i];
            if (!r->enc)
                continue;
            AVFrame *dst = t->rotation ? r->upright : r->frame;
            r->sws = sws_getCachedContext(r->sws, f->width, f->height, f->format, dst->width,
                                          dst->height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL,
                                          NULL);
            if (!r->sws || av_frame_make_writable(r->frame) < 0)
                return fail(t, "cannot scale the video", 0);
            sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst->data,
                      dst->linesize);
            if (t->rotation)
                rotate(r->upright, r->frame, t->rotation);
            if (i == 0 && !t->poster_done && t->next_n >= t->poster_n)
                write_poster(t, r->frame);
            r->frame->pts = t->next_n;
            r->frame->pict_type =
                t->next_n % t->gop == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
            int rc = encode_video(t, r, r->frame);
            if (rc)
                return rc;
        }
    }
    if (t->r[0].enc && !t->poster_done) {
        av_frame_unref(t->last);
        av_frame_ref(t->last, t->r[0].frame); /* poster of last resort */
    }
    if (t->o->progress && t->duration > 0) {
        int pc = (int)(ts * 100 / t->duration);
        pc = CLAMP(pc, 0, 99);
        if (pc != t->percent) {
            t->percent = pc;
            t->o->progress(pc, t->o->ud);
        }
    }
    return 0;
}

static int drain_fifo(tc_t *t, bool final)
{
    int fs = t->aenc->frame_size;
    while (av_audio_fifo_size(t->fifo) >= fs || (final && av_audio_fifo_size(t->fifo) > 0)) {
        int n = MIN(fs, av_audio_fifo_size(t->fifo));
        if (av_frame_make_writable(t->aframe) < 0)
            return fail(t, "out of memory", 0);
        t->aframe->nb_samples = n;
        if (av_audio_fifo_read(t->fifo, (void **)t->aframe->data, n) < n)
            return fail(t, "audio buffer", 0);
        t->aframe->pts = t->a_pts;
        t->a_pts += n;
        int rc = encode_audio(t, t->aframe);
        if (rc)
            return rc;
    }
    t->aframe->nb_samples = fs;
    return 0;
}

static int push_samples(tc_t *t, const uint8_t **in, int n_in)
{
    int out = swr_get_out_samples(t->swr, n_in);
    if (out <= 0)
        return 0;
    AVFrame *tmp = av_frame_alloc();
    tmp->format = t->aenc->sample_fmt;
    av_channel_layout_copy(&tmp->ch_layout, &t->aenc->ch_layout);
    tmp->sample_rate = t->aenc->sample_rate;
    tmp->nb_samples = out;
    int rc = av_frame_get_buffer(tmp, 0);
    if (rc >= 0)
        rc = swr_convert(t->swr, tmp->data, out, in, n_in);
    if (rc > 0) {
        /* While samples are still to be skipped (the audio started before
         * the video) nothing was output yet, so the FIFO holds only these. */
        if (av_audio_fifo_write(t->fifo, (void **)tmp->data, rc) < rc) {
            rc = -1;
        } else if (t->a_skip > 0) {
            int d = (int)MIN(t->a_skip, (int64_t)av_audio_fifo_size(t->fifo));
            av_audio_fifo_drain(t->fifo, d);
            t->a_skip -= d;
        }
    }
    av_frame_free(&tmp);
    if (rc < 0)
        return fail(t, "cannot resample the audio", rc);
    return drain_fifo(t, false);
}

static int emit_audio(tc_t *t, AVFrame *f)
{
    if (!t->swr) {
        AVChannelLayout in;
        if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
            av_channel_layout_default(&in, f->ch_layout.nb_channels);
        else
            av_channel_layout_copy(&in, &f->ch_layout);
        int rc = swr_alloc_set_opts2(&t->swr, &t->aenc->ch_layout, t->aenc->sample_fmt,
                                     t->aenc->sample_rate, &in, f->format, f->sample_rate, 0, NULL);
        av_channel_layout_uninit(&in);
        if (rc < 0 || swr_init(t->swr) < 0)
            return fail(t, "cannot set up audio resampling", rc);
    }
    if (!t->a_aligned) {
        /* Line the audio up with the first video frame: pad with silence
         * when it starts later, skip samples when it starts earlier. */
        t->a_aligned = true;
        AVStream *st = t->ic->streams[t->aidx];
        double ts = f->best_effort_timestamp == AV_NOPTS_VALUE
                        ? 0
                        : (double)f->best_effort_timestamp * av_q2d(st->time_base) - t->v_start;
        int64_t n = llround(ts * t->aenc->sample_rate);
        n = CLAMP(n, -10LL * t->aenc->sample_rate, 10LL * t->aenc->sample_rate);
        if (n > 0) {
            AVFrame *z = av_frame_alloc();
            z->format = t->aenc->sample_fmt;
            av_channel_layout_copy(&z->ch_layout, &t->aenc->ch_layout);
            z->nb_samples = (int)n;
            if (av_frame_get_buffer(z, 0) >= 0) {
                av_samples_set_silence(z->data, 0, (int)n, z->ch_layout.nb_channels, z->format);
                av_audio_fifo_write(t->fifo, (void **)z->data, (int)n);
            }
            av_frame_free(&z);
        } else {
            t->a_skip = -n;
        }
    }
    if (t->vidx < 0 && t->o->progress && t->duration > 0 &&
        f->best_effort_timestamp != AV_NOPTS_VALUE) { /* audio only: its clock is the progress */
        double ts = (double)f->best_effort_timestamp * av_q2d(t->ic->streams[t->aidx]->time_base) -
                    t->v_start;
        int pc = CLAMP((int)(ts * 100 / t->duration), 0, 99);
        if (pc != t->percent) {
            t->percent = pc;
            t->o->progress(pc, t->o->ud);
        }
    }
    return push_samples(t, (const uint8_t **)f->extended_data, f->nb_samples);
}

/* Sends pkt (NULL: flush) to dec and handles every frame. Undecodable
 * packets are skipped (a damaged stretch should not lose a lesson). */
static int decode(tc_t *t, AVCodecContext *dec, AVPacket *pkt, bool video)
{
    int rc = avcodec_send_packet(dec, pkt);
    if (rc < 0 && rc != AVERROR_EOF)
        return 0;
    while ((rc = avcodec_receive_frame(dec, t->dframe)) >= 0) {
        int e = video ? emit_video(t, t->dframe) : emit_audio(t, t->dframe);
        av_frame_unref(t->dframe);
        if (e)
            return e;
    }
    return 0;
}

static int open_decoder(tc_t *t, int idx, AVCodecContext **out)
{
    AVStream *st = t->ic->streams[idx];
    const AVCodec *c = avcodec_find_decoder(st->codecpar->codec_id);
    if (!c)
        return fail(t, "no decoder for the source's codec", 0);
    AVCodecContext *d = avcodec_alloc_context3(c);
    *out = d;
    avcodec_parameters_to_context(d, st->codecpar);
    d->pkt_timebase = st->time_base;
    d->thread_count = 0;
    int rc = avcodec_open2(d, c, NULL);
    return rc < 0 ? fail(t, "cannot open the decoder", rc) : 0;
}

/* Picks output frame rate, renditions and poster size. */
static int plan(tc_t *t)
{
    if (t->vidx < 0) { /* audio only: one rendition */
        t->fps = 25;
        t->gop = t->o->segment_seconds * t->fps;
        rend_t *r = &t->r[t->nr++];
        g_strlcpy(r->name, "audio", sizeof r->name);
        g_strlcpy(r->codecs, "mp4a.40.2", sizeof r->codecs);
        return open_output(t, r);
    }
    AVStream *vs = t->ic->streams[t->vidx];
    AVRational fr = av_guess_frame_rate(t->ic, vs, NULL);
    double f = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 25;
    if (!(f >= 1 && f <= 240))
        f = 25;
    int fps = (int)lrint(f);
    while (fps > 30)
        fps = fps % 2 == 0 ? fps / 2 : 30;
    t->fps = MAX(fps, 1);
    t->gop = t->o->segment_seconds * t->fps;

    int sw = t->vdec->width, sh = t->vdec->height;
    if (sw < 16 || sh < 16)
        return fail(t, "the video is too small", 0);
    AVRational sar = av_guess_sample_aspect_ratio(t->ic, vs, NULL);
    double dw = sw * (sar.num > 0 && sar.den > 0 ? av_q2d(sar) : 1.0), dh = sh;
    const int32_t *dm =
        (const int32_t *)av_stream_get_side_data(vs, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (dm) {
        /* As ffmpeg does: the picture turns by -(the matrix's angle). */
        double theta = -av_display_rotation_get(dm);
        theta -= 360 * floor(theta / 360 + 0.9 / 360);
        int deg = (int)lrint(theta / 90) * 90 % 360;
        t->rotation = fabs(theta - deg) < 1.0 ? deg : 0;
    }
    if (t->rotation == 90 || t->rotation == 270) {
        double x = dw;
        dw = dh;
        dh = x;
    }
    double shorter = MIN(dw, dh);
    for (size_t i = 0; i < G_N_ELEMENTS(ladder); i++) {
        if (shorter < ladder[i].short_side)
            continue;
        rend_t *r = &t->r[t->nr++];
        double k = ladder[i].short_side / shorter;
        r->w = (int)lrint(dw * k / 2) * 2;
        r->h = (int)lrint(dh * k / 2) * 2;
        r->bitrate = ladder[i].bitrate;
        g_strlcpy(r->name, ladder[i].name, sizeof r->name);
        int rc = open_video_encoder(t, r, ladder[i].level);
        if (rc)
            return rc;
    }
    if (t->nr == 0) {
        rend_t *r = &t->r[t->nr++];
        r->w = (int)lrint(dw / 2) * 2;
        r->h = (int)lrint(dh / 2) * 2;
        r->bitrate = 400000;
        g_snprintf(r->name, sizeof r->name, "%dp", MIN(r->w, r->h));
        int rc = open_video_encoder(t, r, 30);
        if (rc)
            return rc;
    }
    t->pw = t->r[0].w;
    t->ph = t->r[0].h;
    if (t->aenc) {
        rend_t *r = &t->r[t->nr++];
        g_strlcpy(r->name, "audio", sizeof r->name);
        g_strlcpy(r->codecs, "mp4a.40.2", sizeof r->codecs);
    }
    for (int i = 0; i < t->nr; i++) {
        int rc = open_output(t, &t->r[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int open_input(tc_t *t)
{
    AVDictionary *opts = NULL;
    yj_vod_import_safe_options(&opts);
    int rc = avformat_open_input(&t->ic, t->o->source, NULL, &opts);
    av_dict_free(&opts);
    if (rc < 0)
        return fail(t, "cannot open the source", rc);
    rc = avformat_find_stream_info(t->ic, NULL);
    if (rc < 0)
        return fail(t, "cannot read the source's streams", rc);
    t->vidx = t->aidx = -1;
    for (unsigned i = 0; i < t->ic->nb_streams; i++) {
        AVStream *st = t->ic->streams[i];
        st->discard = AVDISCARD_ALL;
        if (t->vidx < 0 && st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            t->vidx = (int)i;
    }
    t->aidx = av_find_best_stream(t->ic, AVMEDIA_TYPE_AUDIO, -1, t->vidx, NULL, 0);
    if (t->vidx < 0 && t->aidx < 0)
        return fail(t, "the source has neither video nor audio", 0);
    if (t->vidx >= 0) {
        t->ic->streams[t->vidx]->discard = AVDISCARD_DEFAULT;
        rc = open_decoder(t, t->vidx, &t->vdec);
        if (rc)
            return rc;
    }
    if (t->aidx >= 0) {
        if (open_decoder(t, t->aidx, &t->adec) == 0) {
            t->ic->streams[t->aidx]->discard = AVDISCARD_DEFAULT;
            rc = open_audio_encoder(t);
            if (rc)
                return rc;
        } else {
            avcodec_free_context(&t->adec);
            t->aidx = -1;
        }
    }
    if (t->vidx < 0 && !t->aenc)
        return fail(t, "the source's audio cannot be decoded", 0);
    /* audio only: the audio's start is the timeline's */
    AVStream *vs = t->ic->streams[t->vidx >= 0 ? t->vidx : t->aidx];
    t->v_start = vs->start_time == AV_NOPTS_VALUE ? 0 : vs->start_time * av_q2d(vs->time_base);
    t->duration = t->ic->duration > 0 ? (double)t->ic->duration / AV_TIME_BASE : 0;
    t->poster_n = 0;
    return 0;
}

static void cleanup(tc_t *t)
{
    for (int i = 0; i < t->nr; i++) {
        rend_t *r = &t->r[i];
        if (r->oc) {
            if (r->header)
                av_write_trailer(r->oc);
            avformat_free_context(r->oc);
        }
        avcodec_free_context(&r->enc);
        sws_freeContext(r->sws);
        av_frame_free(&r->frame);
        av_frame_free(&r->upright);
    }
    avcodec_free_context(&t->vdec);
    avcodec_free_context(&t->adec);
    avcodec_free_context(&t->aenc);
    swr_free(&t->swr);
    if (t->fifo)
        av_audio_fifo_free(t->fifo);
    av_frame_free(&t->aframe);
    av_frame_free(&t->dframe);
    av_frame_free(&t->last);
    av_packet_free(&t->pkt);
    av_packet_free(&t->opkt);
    avformat_close_input(&t->ic);
}

int yj_vod_transcode(const yj_transcode_opts_t *o, yj_transcode_result_t *res, char *err,
                     size_t errlen)
{
    tc_t t = {.o = o, .err = err, .errlen = errlen, .percent = -1};
    memset(res, 0, sizeof *res);
    t.pkt = av_packet_alloc();
    t.opkt = av_packet_alloc();
    t.dframe = av_frame_alloc();
    t.last = av_frame_alloc();
    int rc = open_input(&t);
    if (rc == 0)
        rc = plan(&t);
    if (rc == 0)
        t.poster_n = (int64_t)(MIN(2.0, t.duration / 2) * t.fps);
    while (rc == 0) {
        if (cancelled(&t)) {
            rc = fail(&t, "cancelled", 0);
            break;
        }
        int r = av_read_frame(t.ic, t.pkt);
        if (r < 0)
            break; /* end of file, or a truncated tail: keep what decoded */
        if (t.pkt->stream_index == t.vidx)
            rc = decode(&t, t.vdec, t.pkt, true);
        else if (t.pkt->stream_index == t.aidx)
            rc = decode(&t, t.adec, t.pkt, false);
        av_packet_unref(t.pkt);
    }
    if (rc == 0 && t.vdec)
        rc = decode(&t, t.vdec, NULL, true);
    if (rc == 0 && t.adec)
        rc = decode(&t, t.adec, NULL, false);
    if (rc == 0 && t.vdec && t.next_n == 0)
        rc = fail(&t, "no video frame could be decoded", 0);
    if (rc == 0 && !t.vdec && !t.swr)
        rc = fail(&t, "no audio could be decoded", 0);
    if (rc == 0 && !t.poster_done && t.last->data[0])
        write_poster(&t, t.last);
    if (rc == 0 && t.swr) {
        /* What the resampler still holds. */
        rc = push_samples(&t, NULL, 0);
        if (rc == 0)
            rc = drain_fifo(&t, true);
    }
    for (int i = 0; rc == 0 && i < t.nr; i++)
        if (t.r[i].enc)
            rc = encode_video(&t, &t.r[i], NULL);
    if (rc == 0 && t.aenc)
        rc = encode_audio(&t, NULL);
    for (int i = 0; rc == 0 && i < t.nr; i++) {
        int w = av_write_trailer(t.r[i].oc);
        t.r[i].header = false;
        if (w < 0)
            rc = fail(&t, "cannot finish a playlist", w);
    }
    if (rc == 0) {
        yj_hls_rendition_t hr[MAX_RENDITIONS];
        memset(hr, 0, sizeof hr);
        for (int i = 0; i < t.nr; i++) {
            rend_t *r = &t.r[i];
            g_strlcpy(hr[i].name, r->name, sizeof hr[i].name);
            hr[i].video = r->enc != NULL;
            hr[i].width = r->w;
            hr[i].height = r->h;
            hr[i].fps = t.fps;
            if (r->enc)
                g_snprintf(hr[i].codecs, sizeof hr[i].codecs, "%s%s%s",
                           r->codecs[0] ? r->codecs : "avc1.4d401f", t.aenc ? "," : "",
                           t.aenc ? "mp4a.40.2" : "");
            else
                g_strlcpy(hr[i].codecs, "mp4a.40.2", sizeof hr[i].codecs);
        }
        res->renditions = yj_hls_write_master(o->outdir, hr, (size_t)t.nr, err, errlen);
        if (!res->renditions)
            rc = YJ_EMEDIA;
        res->width = t.r[0].w;
        res->height = t.r[0].h;
        int64_t vms = t.next_n * 1000 / t.fps;
        int64_t ams = t.aenc ? t.a_pts * 1000 / t.aenc->sample_rate : 0;
        res->duration_ms = MAX(vms, ams);
    }
    cleanup(&t);
    if (rc) {
        g_free(res->renditions);
        res->renditions = NULL;
    }
    return rc;
}
