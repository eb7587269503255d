/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source_slate.c — the generated slate: what a channel shows when nothing
 * is scheduled or a programme's media is unusable.
 *
 * A GStreamer pipeline renders a short clip once (solid colour +
 * textoverlay in "Noto Sans CJK SC": channel name, next programme and its
 * start time; openh264enc with an IDR every second; silent AAC from
 * voaacenc) into two appsinks; the access units are kept in memory,
 * interleaved by DTS, and a slate source loops them with timestamps that
 * keep rising. The roll-call card (source_card.c) is the same clip on
 * another colour. Rendering costs about a second of CPU, so it runs on the
 * playout's lookahead thread, never on the sending path. The clip is
 * refcounted and shared by the sources that loop it.
 */
#include "iptv/source.h"
#include "core/log.h"
#include "core/yj.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <glib.h>
#include <string.h>

#define SLATE_FRAMES 40 /* 1.6 s at 25 fps = 75 AAC frames at 48 kHz */
#define SLATE_FPS 25

typedef struct {
    yj_ts_stream_t st;
    uint8_t *data;
    size_t len;
    int64_t pts, dts;
    bool key;
} slate_au_t;

struct yj_iptv_slate {
    gint refs;
    slate_au_t *au;
    size_t n;
    int64_t loop; /* 90 kHz */
};

yj_iptv_slate_t *yj_iptv_slate_ref(yj_iptv_slate_t *sl)
{
    if (sl)
        g_atomic_int_inc(&sl->refs);
    return sl;
}

void yj_iptv_slate_unref(yj_iptv_slate_t *sl)
{
    if (!sl || !g_atomic_int_dec_and_test(&sl->refs))
        return;
    for (size_t i = 0; i < sl->n; i++)
        g_free(sl->au[i].data);
    g_free(sl->au);
    g_free(sl);
}

static int by_dts(const void *a, const void *b)
{
    const slate_au_t *x = a, *y = b;
    if (x->dts != y->dts)
        return x->dts < y->dts ? -1 : 1;
    return (int)x->st - (int)y->st;
}

/* Pulls every sample of sink into arr (until EOS). */
static void pull_all(GstElement *sink, yj_ts_stream_t st, GArray *arr)
{
    for (;;) {
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 30 * GST_SECOND);
        if (!s)
            return;
        GstBuffer *b = gst_sample_get_buffer(s);
        GstMapInfo mi;
        if (b && GST_BUFFER_PTS_IS_VALID(b) && gst_buffer_map(b, &mi, GST_MAP_READ)) {
            slate_au_t a = {.st = st};
            a.data = g_memdup2(mi.data, mi.size);
            a.len = mi.size;
            a.pts = (int64_t)gst_util_uint64_scale(GST_BUFFER_PTS(b), 90000, GST_SECOND);
            a.dts = GST_BUFFER_DTS_IS_VALID(b)
                        ? (int64_t)gst_util_uint64_scale(GST_BUFFER_DTS(b), 90000, GST_SECOND)
                        : a.pts;
            a.key = !GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
            g_array_append_val(arr, a);
            gst_buffer_unmap(b, &mi);
        }
        gst_sample_unref(s);
    }
}

yj_iptv_slate_t *yj_iptv_slate_render(const char *text, int w, int h, int video_bitrate, char **err)
{
    return yj_iptv_card_render(text, YJ_IPTV_SLATE_COLOUR, w, h, video_bitrate, err);
}

yj_iptv_slate_t *yj_iptv_card_render(const char *text, uint32_t argb, int w, int h,
                                     int video_bitrate, char **err)
{
    if (!gst_is_initialized() && !gst_init_check(NULL, NULL, NULL)) {
        *err = g_strdup("GStreamer cannot start");
        return NULL;
    }
    g_autofree char *desc = g_strdup_printf(
        "videotestsrc pattern=solid-color foreground-color=0x%08X num-buffers=%d ! "
        "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! "
        "textoverlay name=t font-desc=\"Noto Sans CJK SC 20\" halignment=center "
        "valignment=center line-alignment=center ! videoconvert ! "
        "openh264enc bitrate=%d gop-size=%d ! h264parse config-interval=-1 ! "
        "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=v sync=false "
        "audiotestsrc wave=silence num-buffers=%d samplesperbuffer=1024 ! "
        "audio/x-raw,rate=48000,channels=2 ! voaacenc bitrate=64000 ! aacparse ! "
        "audio/mpeg,stream-format=adts ! appsink name=a sync=false",
        (unsigned)argb, SLATE_FRAMES, w, h, SLATE_FPS, video_bitrate, SLATE_FPS,
        SLATE_FRAMES * 48000 / SLATE_FPS / 1024);
    GError *ge = NULL;
    GstElement *pipe = gst_parse_launch(desc, &ge);
    if (!pipe) {
        *err = g_strdup_printf("slate pipeline: %s", ge ? ge->message : "?");
        g_clear_error(&ge);
        return NULL;
    }
    g_clear_error(&ge); /* a non-fatal warning */
    GstElement *t = gst_bin_get_by_name(GST_BIN(pipe), "t");
    GstElement *v = gst_bin_get_by_name(GST_BIN(pipe), "v");
    GstElement *a = gst_bin_get_by_name(GST_BIN(pipe), "a");
    g_object_set(t, "text", text ? text : "", NULL);
    GArray *arr = g_array_new(FALSE, FALSE, sizeof(slate_au_t));
    if (gst_element_set_state(pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE) {
        pull_all(v, YJ_TS_VIDEO, arr);
        pull_all(a, YJ_TS_AUDIO, arr);
    }
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(t);
    gst_object_unref(v);
    gst_object_unref(a);
    gst_object_unref(pipe);

    /* zero at the first video keyframe; drop what falls outside one loop */
    int64_t zero = INT64_MIN;
    size_t nv = 0;
    for (guint i = 0; i < arr->len; i++) {
        slate_au_t *x = &g_array_index(arr, slate_au_t, i);
        if (x->st == YJ_TS_VIDEO) {
            nv++;
            if (zero == INT64_MIN && x->key)
                zero = x->dts;
        }
    }
    int64_t loop = 90000LL * SLATE_FRAMES / SLATE_FPS;
    GArray *keep = g_array_new(FALSE, FALSE, sizeof(slate_au_t));
    for (guint i = 0; i < arr->len; i++) {
        slate_au_t *x = &g_array_index(arr, slate_au_t, i);
        if (zero != INT64_MIN) {
            x->pts -= zero;
            x->dts -= zero;
        }
        if (zero == INT64_MIN || x->dts < 0 || x->dts >= loop || x->pts < 0) {
            g_free(x->data);
            continue;
        }
        g_array_append_val(keep, *x);
    }
    g_array_free(arr, TRUE);
    if (zero == INT64_MIN || nv < SLATE_FRAMES / 2) {
        for (guint i = 0; i < keep->len; i++)
            g_free(g_array_index(keep, slate_au_t, i).data);
        g_array_free(keep, TRUE);
        *err = g_strdup("the slate pipeline produced no video (openh264enc, textoverlay?)");
        return NULL;
    }
    g_array_sort(keep, by_dts);
    yj_iptv_slate_t *sl = g_new0(yj_iptv_slate_t, 1);
    sl->refs = 1;
    sl->n = keep->len;
    sl->au = (slate_au_t *)g_array_free(keep, FALSE);
    sl->loop = loop;
    return sl;
}

typedef struct {
    yj_iptv_slate_t *sl;
    size_t i;
    int64_t base;
} slate_src_t;

static int slate_read(void *impl, yj_iptv_au_t *au)
{
    slate_src_t *s = impl;
    if (s->i >= s->sl->n) {
        s->i = 0;
        s->base += s->sl->loop;
    }
    const slate_au_t *x = &s->sl->au[s->i++];
    au->st = x->st;
    au->data = x->data;
    au->len = x->len;
    au->pts = x->pts + s->base;
    au->dts = x->dts + s->base;
    au->duration = x->st == YJ_TS_VIDEO ? 90000 / SLATE_FPS : 1920;
    au->key = x->key;
    return 1;
}

static void slate_free(void *impl)
{
    slate_src_t *s = impl;
    yj_iptv_slate_unref(s->sl);
    g_free(s);
}

static const yj_iptv_src_ops_t slate_ops = {.read = slate_read, .free = slate_free};

yj_iptv_src_t *yj_iptv_src_slate_open(yj_iptv_slate_t *sl)
{
    if (!sl)
        return NULL;
    slate_src_t *s = g_new0(slate_src_t, 1);
    s->sl = yj_iptv_slate_ref(sl);
    return yj_iptv_src_wrap(&slate_ops, s);
}
