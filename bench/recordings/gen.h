/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen.h — makes real recorded tracks for tests and benches: GStreamer
 * encodes a test picture (VP8) or tone (Opus), packetises it as RTP, and
 * each packet is handed to a sink callback with the wall-clock arrival it
 * would have had live (start_us + its running time), plus an RTCP sender
 * report every second that maps the RTP timestamps to that clock.
 *
 * Header-only (static functions) so both tests/unit and bench/ use it
 * without a library of its own. Never used by the daemon.
 */
#ifndef YJ_BENCH_REC_GEN_H
#define YJ_BENCH_REC_GEN_H

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* sr: true for an RTCP SR (28 bytes), false for RTP. */
typedef void (*gen_sink_fn)(const uint8_t *pkt, size_t len, int64_t arrival_us, bool sr, void *ud);

typedef struct {
    bool video; /* VP8 w×h at fps, or Opus 48 kHz stereo */
    int width, height, fps;
    double seconds;
    uint32_t ssrc;
    int64_t start_us; /* wall clock of the first packet */
    /* videotestsrc pattern or audiotestsrc wave; NULL default. "flash" /
     * "beep": black with a white flash, or silence with a 1 kHz beep,
     * during the first 100 ms of every second (lip-sync tests). */
    const char *pattern;
} gen_track_t;

static GstPadProbeReturn gen_flash(GstPad *pad, GstPadProbeInfo *info, gpointer ud)
{
    const gen_track_t *t = ud;
    GstBuffer *b = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = b;
    GstMapInfo m;
    if (gst_buffer_map(b, &m, GST_MAP_WRITE)) {
        gsize luma = (gsize)t->width * (gsize)t->height;
        memset(m.data, GST_BUFFER_PTS(b) % GST_SECOND < 100 * GST_MSECOND ? 235 : 16, luma);
        memset(m.data + luma, 128, m.size - luma);
        gst_buffer_unmap(b, &m);
    }
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn gen_beep(GstPad *pad, GstPadProbeInfo *info, gpointer ud)
{
    GstBuffer *b = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = b;
    GstMapInfo m;
    if (gst_buffer_map(b, &m, GST_MAP_WRITE)) {
        gint16 *s = (gint16 *)m.data;
        guint64 t0 = GST_BUFFER_PTS(b);
        for (gsize i = 0; i < m.size / 4; i++) { /* S16LE stereo */
            guint64 t = t0 + i * GST_SECOND / 48000;
            gint16 v = t % GST_SECOND < 100 * GST_MSECOND ? ((t / 500000) % 2 ? 12000 : -12000) : 0;
            s[2 * i] = s[2 * i + 1] = v;
        }
        gst_buffer_unmap(b, &m);
    }
    return GST_PAD_PROBE_OK;
}

static void gen_ntp(int64_t us, uint32_t *sec, uint32_t *frac)
{
    *sec = (uint32_t)(us / 1000000 + 2208988800LL);
    *frac = (uint32_t)(((uint64_t)(us % 1000000) << 32) / 1000000);
}

/* Builds a 28-byte SR: ntp from wall-clock us, rtp timestamp, counts. */
static void gen_sr(uint8_t sr[28], uint32_t ssrc, int64_t us, uint32_t rtp_ts, uint32_t pkts,
                   uint32_t octets)
{
    uint32_t s, f;
    gen_ntp(us, &s, &f);
    uint32_t v[6] = {ssrc, s, f, rtp_ts, pkts, octets};
    sr[0] = 0x80;
    sr[1] = 200;
    sr[2] = 0;
    sr[3] = 6;
    for (int i = 0; i < 6; i++) {
        sr[4 + 4 * i] = (uint8_t)(v[i] >> 24);
        sr[5 + 4 * i] = (uint8_t)(v[i] >> 16);
        sr[6 + 4 * i] = (uint8_t)(v[i] >> 8);
        sr[7 + 4 * i] = (uint8_t)v[i];
    }
}

/* Runs the encoder to the end, calling sink for every packet and SR.
 * Returns the number of RTP packets, or -1 when the pipeline failed. */
static long gen_track(const gen_track_t *t, gen_sink_fn sink, void *ud)
{
    gst_init(NULL, NULL);
    char desc[768];
    if (t->video) {
        int frames = (int)(t->seconds * t->fps + 0.5);
        bool flash = t->pattern && strcmp(t->pattern, "flash") == 0;
        snprintf(desc, sizeof desc,
                 "videotestsrc name=src num-buffers=%d pattern=%s ! "
                 "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! "
                 "vp8enc deadline=1 cpu-used=16 keyframe-max-dist=%d target-bitrate=600000 ! "
                 "rtpvp8pay pt=96 mtu=1200 ssrc=%u picture-id-mode=15-bit ! "
                 "appsink name=out sync=false max-buffers=0",
                 frames,
                 flash        ? "black"
                 : t->pattern ? t->pattern
                              : "ball",
                 t->width, t->height, t->fps, t->fps * 3, t->ssrc);
    } else {
        int bufs = (int)(t->seconds * 50 + 0.5); /* 20 ms buffers */
        bool beep = t->pattern && strcmp(t->pattern, "beep") == 0;
        snprintf(desc, sizeof desc,
                 "audiotestsrc name=src num-buffers=%d samplesperbuffer=960 wave=%s ! "
                 "audio/x-raw,format=S16LE,rate=48000,channels=2 ! opusenc frame-size=20 ! "
                 "rtpopuspay pt=111 ssrc=%u ! appsink name=out sync=false max-buffers=0",
                 bufs,
                 beep         ? "silence"
                 : t->pattern ? t->pattern
                              : "sine",
                 t->ssrc);
    }
    GError *err = NULL;
    GstElement *pipe = gst_parse_launch(desc, &err);
    if (!pipe) {
        g_printerr("gen: %s\n", err ? err->message : "?");
        g_clear_error(&err);
        return -1;
    }
    GstElement *sinkel = gst_bin_get_by_name(GST_BIN(pipe), "out");
    if (t->pattern && (strcmp(t->pattern, "flash") == 0 || strcmp(t->pattern, "beep") == 0)) {
        GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
        GstPad *pad = gst_element_get_static_pad(src, "src");
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, t->video ? gen_flash : gen_beep,
                          (gpointer)t, NULL);
        gst_object_unref(pad);
        gst_object_unref(src);
    }
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    long n = 0;
    uint32_t octets = 0;
    int64_t next_sr = t->start_us;
    uint32_t clock = t->video ? 90000 : 48000;
    uint32_t ts0 = 0;
    GstClockTime pts0 = GST_CLOCK_TIME_NONE;
    for (;;) {
        GstSample *s = gst_app_sink_pull_sample(GST_APP_SINK(sinkel));
        if (!s)
            break;
        GstBuffer *b = gst_sample_get_buffer(s);
        GstMapInfo m;
        if (b && gst_buffer_map(b, &m, GST_MAP_READ)) {
            GstClockTime pts = GST_BUFFER_PTS(b);
            if (pts0 == GST_CLOCK_TIME_NONE)
                pts0 = pts;
            int64_t at = t->start_us + (int64_t)((pts - pts0) / 1000);
            uint32_t ts = (uint32_t)m.data[4] << 24 | (uint32_t)m.data[5] << 16 |
                          (uint32_t)m.data[6] << 8 | m.data[7];
            if (n == 0)
                ts0 = ts;
            if (at >= next_sr) {
                uint8_t sr[28];
                uint32_t sr_ts = ts0 + (uint32_t)((uint64_t)(at - t->start_us) * clock / 1000000);
                gen_sr(sr, t->ssrc, at, sr_ts, (uint32_t)n, octets);
                sink(sr, sizeof sr, at, true, ud);
                next_sr += 1000000;
            }
            sink(m.data, m.size, at, false, ud);
            octets += (uint32_t)(m.size > 12 ? m.size - 12 : 0);
            n++;
            gst_buffer_unmap(b, &m);
        }
        gst_sample_unref(s);
    }
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (msg) {
        n = -1;
        gst_message_unref(msg);
    }
    gst_object_unref(bus);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(sinkel);
    gst_object_unref(pipe);
    return n;
}

#endif
