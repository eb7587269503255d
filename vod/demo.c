/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo.c — the demo lesson's source clip, generated with libav* so a
 * newcomer can play a lesson right after `yuanjiao --demo` without
 * fetching anything: a moving test pattern (colour bands, a box sweeping
 * across, a progress bar and the elapsed seconds in seven-segment digits)
 * with a tone that beeps at every second, 1280x720 at 25 fps, H.264 +
 * AAC in MPEG-TS. The clip then goes through the real import path.
 */
#include "demo.h"
#include "core/yj.h"

#include <glib.h>
#include <stdbool.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>

#include <math.h>
#include <string.h>

#define W 1280
#define H 720
#define FPS 25
#define RATE 48000

static void fill(AVFrame *f, int x0, int y0, int w, int h, int y, int u, int v)
{
    for (int j = MAX(y0, 0); j < MIN(y0 + h, H); j++)
        memset(f->data[0] + j * f->linesize[0] + MAX(x0, 0), y, MIN(x0 + w, W) - MAX(x0, 0));
    for (int j = MAX(y0, 0) / 2; j < MIN(y0 + h, H) / 2; j++) {
        memset(f->data[1] + j * f->linesize[1] + MAX(x0, 0) / 2, u,
               (MIN(x0 + w, W) - MAX(x0, 0)) / 2);
        memset(f->data[2] + j * f->linesize[2] + MAX(x0, 0) / 2, v,
               (MIN(x0 + w, W) - MAX(x0, 0)) / 2);
    }
}

/* A seven-segment digit at (x, y), 60 × 100 pixels. */
static void digit(AVFrame *f, int x, int y, int d)
{
    static const unsigned char seg[10] = {0x3f, 0x06, 0x5b, 0x4f, 0x66,
                                          0x6d, 0x7d, 0x07, 0x7f, 0x6f};
    const int t = 12, w = 60, h = 50;
    unsigned s = seg[d % 10];
    if (s & 0x01)
        fill(f, x, y, w, t, 235, 128, 128);
    if (s & 0x02)
        fill(f, x + w - t, y, t, h, 235, 128, 128);
    if (s & 0x04)
        fill(f, x + w - t, y + h, t, h, 235, 128, 128);
    if (s & 0x08)
        fill(f, x, y + 2 * h - t, w, t, 235, 128, 128);
    if (s & 0x10)
        fill(f, x, y + h, t, h, 235, 128, 128);
    if (s & 0x20)
        fill(f, x, y, t, h, 235, 128, 128);
    if (s & 0x40)
        fill(f, x, y + h - t / 2, w, t, 235, 128, 128);
}

static void draw(AVFrame *f, int n, int total)
{
    static const unsigned char bands[7][3] = {{180, 128, 128}, {168, 44, 136}, {145, 147, 44},
                                              {133, 63, 52},   {63, 193, 204}, {51, 109, 212},
                                              {28, 212, 120}};
    int shift = (n * 4) % W;
    for (int b = 0; b < 7; b++) {
        int x = (b * W / 7 + shift) % W;
        fill(f, x, 0, W / 7 + 1, H, bands[b][0], bands[b][1], bands[b][2]);
        if (x + W / 7 > W)
            fill(f, x - W, 0, W / 7 + 1, H, bands[b][0], bands[b][1], bands[b][2]);
    }
    int bx = (int)((double)n / total * (W - 160));
    fill(f, bx, 300, 160, 160, 235, 128, 128);
    fill(f, 0, H - 40, W, 40, 16, 128, 128);
    fill(f, 0, H - 40, W * n / total, 40, 200, 90, 60);
    int sec = n / FPS;
    fill(f, 40, 40, 190, 140, 16, 128, 128);
    digit(f, 60, 60, sec / 10);
    digit(f, 150, 60, sec % 10);
}

static int encode(AVCodecContext *c, AVFrame *fr, AVFormatContext *oc, AVStream *st, AVPacket *p)
{
    int rc = avcodec_send_frame(c, fr);
    while (rc >= 0) {
        rc = avcodec_receive_packet(c, p);
        if (rc < 0)
            break;
        av_packet_rescale_ts(p, c->time_base, st->time_base);
        p->stream_index = st->index;
        rc = av_interleaved_write_frame(oc, p);
    }
    return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? 0 : rc;
}

int yj_vod_demo_generate(const char *path, int seconds, char *err, size_t errlen)
{
    AVFormatContext *oc = NULL;
    AVCodecContext *vc = NULL, *ac = NULL;
    AVFrame *vf = av_frame_alloc(), *af = av_frame_alloc();
    AVPacket *p = av_packet_alloc();
    int rc = avformat_alloc_output_context2(&oc, NULL, "mpegts", path);
    const AVCodec *vcodec = avcodec_find_encoder_by_name("libx264");
    const AVCodec *acodec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (rc < 0 || !vcodec || !acodec) {
        g_snprintf(err, errlen, "libav lacks the MPEG-TS muxer, libx264 or AAC");
        rc = YJ_EMEDIA;
        goto out;
    }
    vc = avcodec_alloc_context3(vcodec);
    vc->width = W;
    vc->height = H;
    vc->pix_fmt = AV_PIX_FMT_YUV420P;
    vc->time_base = (AVRational){1, FPS};
    vc->framerate = (AVRational){FPS, 1};
    vc->gop_size = FPS * 2;
    av_opt_set(vc->priv_data, "preset", "ultrafast", 0);
    av_opt_set(vc->priv_data, "crf", "20", 0);
    ac = avcodec_alloc_context3(acodec);
    ac->sample_rate = RATE;
    ac->sample_fmt = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_default(&ac->ch_layout, 2);
    ac->bit_rate = 128000;
    ac->time_base = (AVRational){1, RATE};
    if (avcodec_open2(vc, vcodec, NULL) < 0 || avcodec_open2(ac, acodec, NULL) < 0) {
        g_snprintf(err, errlen, "cannot open the demo encoders");
        rc = YJ_EMEDIA;
        goto out;
    }
    AVStream *vs = avformat_new_stream(oc, NULL), *as = avformat_new_stream(oc, NULL);
    avcodec_parameters_from_context(vs->codecpar, vc);
    avcodec_parameters_from_context(as->codecpar, ac);
    vs->time_base = vc->time_base;
    as->time_base = ac->time_base;
    if ((rc = avio_open(&oc->pb, path, AVIO_FLAG_WRITE)) < 0 ||
        (rc = avformat_write_header(oc, NULL)) < 0) {
        g_snprintf(err, errlen, "cannot write %s: %s", path, av_err2str(rc));
        rc = YJ_EIO;
        goto out;
    }
    vf->format = vc->pix_fmt;
    vf->width = W;
    vf->height = H;
    af->format = ac->sample_fmt;
    av_channel_layout_copy(&af->ch_layout, &ac->ch_layout);
    af->nb_samples = ac->frame_size;
    af->sample_rate = RATE;
    if (av_frame_get_buffer(vf, 0) < 0 || av_frame_get_buffer(af, 0) < 0) {
        rc = YJ_ENOMEM;
        goto out;
    }
    int total = seconds * FPS;
    int64_t samples = 0, total_samples = (int64_t)seconds * RATE;
    for (int n = 0; n < total; n++) {
        av_frame_make_writable(vf);
        draw(vf, n, total);
        vf->pts = n;
        if ((rc = encode(vc, vf, oc, vs, p)) < 0)
            break;
        /* Audio up to the end of this video frame. */
        while (samples < (int64_t)(n + 1) * RATE / FPS && samples < total_samples) {
            av_frame_make_writable(af);
            for (int i = 0; i < af->nb_samples; i++) {
                int64_t s = samples + i;
                double t = (double)s / RATE;
                bool beep = (s % RATE) < RATE / 10;
                float x = (float)(0.3 * sin(2 * M_PI * (beep ? 880 : 440) * t));
                ((float *)af->data[0])[i] = x;
                ((float *)af->data[1])[i] = x;
            }
            af->pts = samples;
            samples += af->nb_samples;
            if ((rc = encode(ac, af, oc, as, p)) < 0)
                break;
        }
        if (rc < 0)
            break;
    }
    if (rc >= 0)
        rc = encode(vc, NULL, oc, vs, p);
    if (rc >= 0)
        rc = encode(ac, NULL, oc, as, p);
    if (rc >= 0)
        rc = av_write_trailer(oc);
    if (rc < 0) {
        g_snprintf(err, errlen, "cannot generate the demo clip: %s", av_err2str(rc));
        rc = YJ_EMEDIA;
    } else {
        rc = 0;
    }
out:
    if (oc && oc->pb)
        avio_closep(&oc->pb);
    avformat_free_context(oc);
    avcodec_free_context(&vc);
    avcodec_free_context(&ac);
    av_frame_free(&vf);
    av_frame_free(&af);
    av_packet_free(&p);
    return rc;
}
