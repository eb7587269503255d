/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source_live.c — a live lecture as an IPTV source: a meeting's speaker,
 * tapped from its media room, decoded and re-encoded to H.264 + AAC.
 *
 * Who is broadcast: the meeting's host while the host publishes video
 * (the daemon's ops->host_peer); otherwise the speaker already on air
 * while they publish video; otherwise the room's active speaker if they
 * publish video; otherwise the first publisher with video. The first
 * video track of that peer is tapped (for a simulcast track: the highest
 * layer for a 720p channel, the one below it for a smaller channel) with
 * the peer's first audio track (Opus), if any.
 *
 * Threads:
 *  - media workers run the tap callbacks: they copy each RTP packet into
 *    a bounded queue (IN_MAX; full: dropped and counted) under a mutex
 *    held only for the copy, and return;
 *  - the source's own thread ("iptv-live") picks the speaker, attaches
 *    and detaches taps, builds one GStreamer pipeline per attachment and
 *    pushes the queued packets into its appsrcs, stamped with their
 *    arrival time on the pipeline's running time:
 *      RTP → rtpjitterbuffer → depay → vp8dec/avdec_h264 → videoscale,
 *      videorate (channel size, 25 fps) → openh264enc (bit rate from the
 *      channel's mux bit rate, IDR every 2 s) → h264parse (Annex B, SPS/PPS
 *      on every IDR) → appsink;
 *      Opus RTP → rtpjitterbuffer → opusdec → audioresample (48 kHz
 *      stereo) → voaacenc 64 kbit/s → aacparse (ADTS) → appsink;
 *  - GStreamer's streaming threads queue the encoded access units (at
 *    most OUT_MAX) for the reader;
 *  - the playout's producer thread reads (yj_iptv_src_read).
 * x264enc is not in Debian's installed GStreamer here (plugins-ugly);
 * openh264enc (Cisco's encoder, as the slate uses) is.
 *
 * The timeline: while no speaker's keyframe is ready the source yields
 * the slate (so the playout's timeline keeps running and the speaker's
 * first keyframe lands right after what was already sent, not late); a
 * speaker comes on at a fresh keyframe (one that waited more than
 * FRESH_US is dropped and a new one forced), re-based to follow what was
 * yielded before. When the speaker leaves, stops publishing, another
 * speaker takes over, or nothing has come for 1 s while on air (a frozen
 * publisher), the slate goes on again from its first frame. DTS rises
 * strictly per stream throughout.
 */
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"
#include "iptv/source.h"
#include "media/media.h"
#include "media/tap.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <glib.h>
#include <stdatomic.h>
#include <string.h>

#define IN_MAX 4000     /* RTP packets between the taps and the pipeline */
#define OUT_MAX 2000    /* encoded access units waiting for the playout */
#define FRESH_US 300000 /* a keyframe older than this is not where a speaker comes on */
#define FPS 25
#define GOP (2 * FPS) /* an IDR every 2 s */
#define AUDIO_BITRATE 64000
#define RETRY_US 1000000 /* look for a speaker again */
#define PLI_US 2000000   /* ask the publisher for a keyframe while none decodes */
#define JITTER_MS 150
#define STALL_US 1000000 /* on air but nothing for this long: the slate, as a stopped feed */
#define LAYER_US 6000000 /* no picture this long: the simulcast layer below */

typedef struct {
    bool video;
    uint64_t gen;
    int64_t arrival_us;
    size_t len;
    uint8_t data[];
} inpkt_t;

typedef struct {
    yj_ts_stream_t st;
    int64_t pts, dts, dur; /* 90 kHz, the attachment's timeline (0 = first keyframe) */
    bool key;
    int64_t at_us; /* monotonic µs when queued */
    size_t len;
    uint8_t data[];
} oau_t;

typedef struct live live_t;
typedef struct att att_t;

typedef struct {
    live_t *l;
    att_t *a;
    bool video;
} cbctx_t;

/* One speaker attached: taps and pipeline (owned by the live thread). */
struct att {
    uint64_t gen;
    char peer[64], vtrack[80], atrack[80];
    yj_media_tap_t *vtap, *atap;
    cbctx_t vctx, actx;
    GstElement *pipe, *vsrc, *asrc, *vsink;
    int64_t since_us, last_pli_us;
    int layer, layers; /* tapped simulcast layer (-1: the highest) */
    bool warned;
    int64_t offset_ns; /* running time = arrival (real µs × 1000) + offset_ns */
    /* written by GStreamer's streaming threads under l->mu */
    bool started, got_video;
    GstClockTime zero;
};

struct live {
    yj_iptv_live_ops_t ops;
    void *ud;
    int64_t meeting;
    int w, h, vbitrate, mux_bitrate;
    char *label;
    GThread *thread;
    atomic_bool stop;

    GMutex mu; /* guards everything down to `want_key` */
    GCond cond;
    GQueue in;     /* inpkt_t* from the taps */
    bool changed;  /* the room's tracks or speaker changed */
    bool ended;    /* the attached tap's track ended */
    uint64_t gen;  /* the attachment now on (0: none) */
    GQueue out;    /* oau_t* of gen, in arrival order */
    bool waiting;  /* the reader shows the slate: keep from the newest keyframe */
    bool want_key; /* the reader dropped a stale keyframe */

    /* the live thread */
    yj_media_room_t *room;
    int watch;
    att_t *att;
    uint64_t next_gen;
    GHashTable *low; /* peer id → the simulcast layer that gave a picture when the top did not */

    /* the reader (the playout's producer thread) */
    bool on;
    uint64_t on_gen;
    int64_t off;     /* source time = attachment time + off */
    int64_t out_end; /* after everything yielded (max PTS/DTS + duration) */
    int64_t last[2]; /* DTS last yielded per stream */
    yj_iptv_slate_t *slate;
    yj_iptv_src_t *slate_src;
    int64_t slate_base;
    oau_t *cur;
    int64_t last_au_us; /* monotonic µs of the last access unit read while on */

    yj_counter_t *m_drop, *m_on;
};

void yj_iptv_live_geometry(int mux_bitrate, int *w, int *h, int *video_bitrate)
{
    /* the slate's rule for the frame size (playout.c) */
    int ww = mux_bitrate >= 1500000 ? 1280 : 640;
    if (w)
        *w = ww;
    if (h)
        *h = ww * 9 / 16;
    /* room for AAC, PES/TS overhead, PSI and openh264's overshoot */
    long vb = (long)mux_bitrate * 70 / 100 - AUDIO_BITRATE;
    if (video_bitrate)
        *video_bitrate = (int)(vb < 100000 ? 100000 : vb);
}

/* ---- media workers: tap callbacks ---- */

static void tap_rtp(const uint8_t *pkt, size_t len, int64_t arrival_us, void *ud)
{
    cbctx_t *c = ud;
    live_t *l = c->l;
    if (len < 12 || len > 4096)
        return;
    inpkt_t *p = g_malloc(sizeof *p + len);
    p->video = c->video;
    p->gen = c->a->gen;
    p->arrival_us = arrival_us;
    p->len = len;
    memcpy(p->data, pkt, len);
    g_mutex_lock(&l->mu);
    bool full = l->in.length >= IN_MAX;
    if (!full) {
        g_queue_push_tail(&l->in, p);
        g_cond_signal(&l->cond);
    }
    g_mutex_unlock(&l->mu);
    if (full) {
        g_free(p);
        yj_counter_add(l->m_drop, 1);
    }
}

static void tap_sr(const uint8_t *pkt, size_t len, int64_t arrival_us, void *ud)
{
    (void)pkt, (void)len, (void)arrival_us, (void)ud;
}

static void tap_end(void *ud)
{
    cbctx_t *c = ud;
    g_mutex_lock(&c->l->mu);
    if (c->a->gen == c->l->gen)
        c->l->ended = true;
    g_cond_signal(&c->l->cond);
    g_mutex_unlock(&c->l->mu);
}

static void room_changed(yj_media_room_t *room, void *ud)
{
    live_t *l = ud;
    (void)room;
    g_mutex_lock(&l->mu);
    l->changed = true;
    g_cond_signal(&l->cond);
    g_mutex_unlock(&l->mu);
}

static void room_speaker(yj_media_room_t *room, const char *peer_id, void *ud)
{
    (void)peer_id;
    room_changed(room, ud);
}

/* ---- GStreamer streaming threads: encoded output ---- */

/* Keeps the queue startable while the reader waits: from the newest
 * video keyframe on (audio before it dropped). [l->mu held] */
static void trim_to_key(live_t *l)
{
    oau_t *key = NULL;
    for (GList *it = l->out.tail; it && !key; it = it->prev) {
        oau_t *o = it->data;
        if (o->st == YJ_TS_VIDEO && o->key)
            key = o;
    }
    GQueue keep = G_QUEUE_INIT;
    bool after = false;
    oau_t *o;
    while ((o = g_queue_pop_head(&l->out))) {
        if (o == key)
            after = true;
        if (key && (o == key || (after && o->st == YJ_TS_VIDEO) ||
                    (o->st == YJ_TS_AUDIO && o->dts >= key->dts)))
            g_queue_push_tail(&keep, o);
        else if (!key && o->st == YJ_TS_AUDIO)
            g_queue_push_tail(&keep, o); /* no keyframe yet: audio waits for one */
        else
            g_free(o);
    }
    l->out = keep;
    /* audio alone, far from any keyframe, is not kept forever */
    while (!key && l->out.length > 100)
        g_free(g_queue_pop_head(&l->out));
}

static GstFlowReturn on_sample(GstAppSink *sink, gpointer ud)
{
    cbctx_t *c = ud;
    live_t *l = c->l;
    att_t *a = c->a;
    GstSample *s = gst_app_sink_pull_sample(sink);
    if (!s)
        return GST_FLOW_OK;
    GstBuffer *b = gst_sample_get_buffer(s);
    GstMapInfo mi;
    if (!b || !GST_BUFFER_PTS_IS_VALID(b) || !gst_buffer_map(b, &mi, GST_MAP_READ)) {
        gst_sample_unref(s);
        return GST_FLOW_OK;
    }
    GstClockTime pts = GST_BUFFER_PTS(b);
    GstClockTime dts = GST_BUFFER_DTS_IS_VALID(b) ? GST_BUFFER_DTS(b) : pts;
    bool key = !c->video || !GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
    oau_t *o = NULL;
    g_mutex_lock(&l->mu);
    if (a->gen == l->gen) {
        if (c->video) {
            a->got_video = true;
            if (!a->started && key) {
                a->started = true;
                a->zero = dts;
            }
        }
        if (a->started && dts >= a->zero && pts >= a->zero) {
            o = g_malloc(sizeof *o + mi.size);
            o->st = c->video ? YJ_TS_VIDEO : YJ_TS_AUDIO;
            o->dts = (int64_t)gst_util_uint64_scale(dts - a->zero, 90000, GST_SECOND);
            o->pts = (int64_t)gst_util_uint64_scale(pts - a->zero, 90000, GST_SECOND);
            o->dur = c->video ? 90000 / FPS : 1920;
            o->key = key;
            o->at_us = g_get_monotonic_time();
            o->len = mi.size;
            memcpy(o->data, mi.data, mi.size);
            if (l->out.length >= OUT_MAX) {
                g_free(g_queue_pop_head(&l->out));
                yj_counter_add(l->m_drop, 1);
            }
            g_queue_push_tail(&l->out, o);
            if (l->waiting && o->st == YJ_TS_VIDEO && o->key)
                trim_to_key(l);
        }
    }
    g_mutex_unlock(&l->mu);
    gst_buffer_unmap(b, &mi);
    gst_sample_unref(s);
    return GST_FLOW_OK;
}

/* ---- the live thread: speaker, taps, pipeline ---- */

static void att_free(live_t *l, att_t *a)
{
    if (!a)
        return;
    /* taps first (their callbacks take l->mu: it must not be held) */
    yj_media_tap_close(a->vtap);
    yj_media_tap_close(a->atap);
    if (a->pipe)
        gst_element_set_state(a->pipe, GST_STATE_NULL);
    if (a->vsrc)
        gst_object_unref(a->vsrc);
    if (a->asrc)
        gst_object_unref(a->asrc);
    if (a->vsink)
        gst_object_unref(a->vsink);
    if (a->pipe)
        gst_object_unref(a->pipe);
    (void)l;
    g_free(a);
}

static void detach(live_t *l, const char *why)
{
    if (!l->att)
        return;
    att_t *a = l->att;
    l->att = NULL;
    g_mutex_lock(&l->mu);
    l->gen = 0;
    l->ended = false;
    oau_t *o;
    while ((o = g_queue_pop_head(&l->out)))
        g_free(o);
    g_mutex_unlock(&l->mu);
    yj_info("iptv", "channel %s: live lecture: %s off (%s)", l->label, a->peer, why);
    att_free(l, a);
}

char *yj_iptv_live_pipeline_desc(const char *video_codec, int video_pt, int audio_pt,
                                 int mux_bitrate)
{
    int w, h, vb;
    yj_iptv_live_geometry(mux_bitrate, &w, &h, &vb);
    bool h264 = !strcmp(video_codec, "H264");
    GString *d = g_string_new(NULL);
    g_string_append_printf(
        d,
        "appsrc name=vsrc is-live=true format=time do-timestamp=false max-bytes=8000000 "
        "leaky-type=downstream "
        "caps=\"application/x-rtp,media=video,clock-rate=90000,encoding-name=%s,payload=%d\" ! "
        "rtpjitterbuffer latency=%d drop-on-latency=true ! %s ! "
        "videoconvert ! videoscale add-borders=true ! videorate ! "
        "video/x-raw,format=I420,width=%d,height=%d,pixel-aspect-ratio=1/1,framerate=%d/1 ! "
        "openh264enc bitrate=%d rate-control=bitrate complexity=low gop-size=%d "
        "multi-thread=1 ! h264parse config-interval=-1 ! "
        "video/x-h264,stream-format=byte-stream,alignment=au ! "
        "appsink name=vsink sync=false max-buffers=500",
        h264 ? "H264" : "VP8", video_pt, JITTER_MS,
        h264 ? "rtph264depay ! avdec_h264" : "rtpvp8depay ! vp8dec", w, h, FPS, vb, GOP);
    if (audio_pt >= 0)
        g_string_append_printf(
            d,
            " appsrc name=asrc is-live=true format=time do-timestamp=false max-bytes=2000000 "
            "leaky-type=downstream "
            "caps=\"application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,"
            "payload=%d\" ! rtpjitterbuffer latency=%d drop-on-latency=true ! rtpopusdepay ! "
            "opusdec ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! "
            "voaacenc bitrate=%d ! aacparse ! audio/mpeg,stream-format=adts ! "
            "appsink name=asink sync=false max-buffers=500",
            audio_pt, JITTER_MS, AUDIO_BITRATE);
    return g_string_free(d, FALSE);
}

static GstElement *build_pipeline(live_t *l, const yj_media_tap_info_t *vi,
                                  const yj_media_tap_info_t *ai, char **err)
{
    g_autofree char *desc = yj_iptv_live_pipeline_desc(vi->codec, vi->payload_type,
                                                       ai ? ai->payload_type : -1, l->mux_bitrate);
    GError *ge = NULL;
    GstElement *pipe = gst_parse_launch(desc, &ge);
    if (!pipe) {
        *err = g_strdup_printf("live pipeline: %s", ge ? ge->message : "?");
        g_clear_error(&ge);
        return NULL;
    }
    g_clear_error(&ge);
    return pipe;
}

static bool peer_has_video(const yj_media_track_info_t *t, size_t n, const char *peer)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].kind == YJ_MEDIA_VIDEO && !t[i].muted && !strcmp(t[i].peer_id, peer) &&
            (!strcmp(t[i].codec, "VP8") || !strcmp(t[i].codec, "H264")))
            return true;
    return false;
}

/* Who should be on air now (see the header comment): into peer, "" when
 * nobody publishes video. */
static void choose(live_t *l, const yj_media_track_info_t *t, size_t n, char peer[64])
{
    char buf[64] = "";
    peer[0] = 0;
    if (l->ops.host_peer && l->ops.host_peer(l->meeting, buf, sizeof buf, l->ud) &&
        peer_has_video(t, n, buf)) {
        g_strlcpy(peer, buf, 64);
        return;
    }
    if (l->att && peer_has_video(t, n, l->att->peer)) {
        g_strlcpy(peer, l->att->peer, 64);
        return;
    }
    yj_media_room_active_speaker(l->room, buf, sizeof buf);
    if (buf[0] && peer_has_video(t, n, buf)) {
        g_strlcpy(peer, buf, 64);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (peer_has_video(t, n, t[i].peer_id)) {
            g_strlcpy(peer, t[i].peer_id, 64);
            return;
        }
}

static void attach(live_t *l, const yj_media_track_info_t *t, size_t n, const char *peer)
{
    const yj_media_track_info_t *vt = NULL, *at = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].peer_id, peer) || t[i].muted)
            continue;
        if (!vt && t[i].kind == YJ_MEDIA_VIDEO &&
            (!strcmp(t[i].codec, "VP8") || !strcmp(t[i].codec, "H264")))
            vt = &t[i];
        if (!at && t[i].kind == YJ_MEDIA_AUDIO && !strcmp(t[i].codec, "opus"))
            at = &t[i];
    }
    if (!vt)
        return;
    att_t *a = g_new0(att_t, 1);
    a->gen = ++l->next_gen;
    g_strlcpy(a->peer, peer, sizeof a->peer);
    g_strlcpy(a->vtrack, vt->track_id, sizeof a->vtrack);
    if (at)
        g_strlcpy(a->atrack, at->track_id, sizeof a->atrack);
    a->vctx = (cbctx_t){l, a, true};
    a->actx = (cbctx_t){l, a, false};
    /* the highest simulcast layer: the tap does not say the layers' sizes,
     * and the meeting page's camera (640×360 ideal) makes its top layer
     * the one that fits a 360p channel. A publisher whose top layer sends
     * nothing (its bandwidth estimate is low) gets the next one down. */
    gpointer lv = NULL;
    int layer = g_hash_table_lookup_extended(l->low, peer, NULL, &lv) ? GPOINTER_TO_INT(lv) : -1;
    yj_media_tap_callbacks_t cb = {.on_rtp = tap_rtp, .on_sr = tap_sr, .on_end = tap_end};
    yj_media_tap_info_t vi = {0}, ai = {0};
    /* gen is published before the taps deliver */
    g_mutex_lock(&l->mu);
    l->gen = a->gen;
    l->ended = false;
    g_mutex_unlock(&l->mu);
    a->vtap = yj_media_room_tap(l->room, vt->track_id, layer, &cb, &a->vctx, &vi);
    if (at)
        a->atap = yj_media_room_tap(l->room, at->track_id, 0, &cb, &a->actx, &ai);
    char *err = NULL;
    if (a->vtap)
        a->pipe = build_pipeline(l, &vi, a->atap ? &ai : NULL, &err);
    if (!a->vtap || !a->pipe) {
        if (err)
            yj_warn("iptv", "channel %s: live lecture: %s", l->label, err);
        g_free(err);
        g_mutex_lock(&l->mu);
        l->gen = 0;
        g_mutex_unlock(&l->mu);
        att_free(l, a);
        return;
    }
    a->vsrc = gst_bin_get_by_name(GST_BIN(a->pipe), "vsrc");
    a->asrc = a->atap ? gst_bin_get_by_name(GST_BIN(a->pipe), "asrc") : NULL;
    a->vsink = gst_bin_get_by_name(GST_BIN(a->pipe), "vsink");
    GstAppSinkCallbacks scb = {.new_sample = on_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(a->vsink), &scb, &a->vctx, NULL);
    if (a->asrc) {
        GstElement *as = gst_bin_get_by_name(GST_BIN(a->pipe), "asink");
        gst_app_sink_set_callbacks(GST_APP_SINK(as), &scb, &a->actx, NULL);
        gst_object_unref(as);
    }
    /* our own base time on the system clock: running time = now − base
     * from the start, whether or not PLAYING completes at once */
    GstClock *clk = gst_system_clock_obtain();
    gst_pipeline_use_clock(GST_PIPELINE(a->pipe), clk);
    gst_element_set_start_time(a->pipe, GST_CLOCK_TIME_NONE);
    GstClockTime base = gst_clock_get_time(clk);
    gst_element_set_base_time(a->pipe, base);
    if (gst_element_set_state(a->pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        gst_object_unref(clk);
        yj_warn("iptv", "channel %s: live lecture: the pipeline does not start", l->label);
        g_mutex_lock(&l->mu);
        l->gen = 0;
        g_mutex_unlock(&l->mu);
        att_free(l, a);
        return;
    }
    int64_t run = (int64_t)(gst_clock_get_time(clk) - base);
    a->offset_ns = run - g_get_real_time() * 1000;
    gst_object_unref(clk);
    a->since_us = a->last_pli_us = g_get_monotonic_time();
    a->layer = vi.layer;
    a->layers = vi.layers;
    l->att = a;
    yj_info("iptv", "channel %s: live lecture: %s on (%s%s%s, layer %d of %d)", l->label, peer,
            vi.codec, a->atap ? " + " : "", a->atap ? ai.codec : "", vi.layer, vi.layers);
}

static void push_packet(att_t *a, inpkt_t *p)
{
    GstElement *src = p->video ? a->vsrc : a->asrc;
    if (!src || p->gen != a->gen)
        return;
    int64_t ts = p->arrival_us * 1000 + a->offset_ns;
    GstBuffer *b = gst_buffer_new_memdup(p->data, p->len);
    GST_BUFFER_PTS(b) = ts > 0 ? (GstClockTime)ts : 0;
    GST_BUFFER_DTS(b) = GST_BUFFER_PTS(b);
    gst_app_src_push_buffer(GST_APP_SRC(src), b); /* takes b */
}

/* Forces an IDR out of the encoder now (the reader dropped a stale one). */
static void force_key(att_t *a)
{
    GstStructure *st =
        gst_structure_new("GstForceKeyUnit", "all-headers", G_TYPE_BOOLEAN, TRUE, NULL);
    gst_element_send_event(a->vsink, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, st));
}

/* Drains the pipeline's bus (every message, so none piles up over a
 * long lecture); an error detaches the speaker (tried again later). */
static void check_bus(live_t *l)
{
    if (!l->att)
        return;
    GstBus *bus = gst_element_get_bus(l->att->pipe);
    GstMessage *m;
    char *error = NULL;
    while ((m = gst_bus_pop(bus))) {
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR && !error) {
            GError *ge = NULL;
            gst_message_parse_error(m, &ge, NULL);
            error = g_strdup(ge ? ge->message : "pipeline error");
            g_clear_error(&ge);
        }
        gst_message_unref(m);
    }
    gst_object_unref(bus);
    if (!error)
        return;
    yj_warn("iptv", "channel %s: live lecture: %s", l->label, error);
    g_free(error);
    detach(l, "pipeline error");
}

static gpointer live_main(gpointer arg)
{
    live_t *l = arg;
    int64_t next_try = 0;
    while (!atomic_load(&l->stop)) {
        g_mutex_lock(&l->mu);
        if (!l->in.length && !l->changed && !l->ended && !l->want_key && !atomic_load(&l->stop))
            g_cond_wait_until(&l->cond, &l->mu,
                              g_get_monotonic_time() + 100 * G_TIME_SPAN_MILLISECOND);
        GQueue in = l->in;
        g_queue_init(&l->in);
        bool changed = l->changed, ended = l->ended, want_key = l->want_key;
        l->changed = l->want_key = false;
        g_mutex_unlock(&l->mu);
        inpkt_t *p;
        while ((p = g_queue_pop_head(&in))) {
            if (l->att)
                push_packet(l->att, p);
            g_free(p);
        }
        int64_t now = g_get_monotonic_time();
        if (ended)
            detach(l, "the track ended");
        check_bus(l);
        if (!l->room && now >= next_try) {
            next_try = now + RETRY_US;
            l->room = l->ops.room ? l->ops.room(l->meeting, l->ud) : NULL;
            if (l->room) {
                yj_media_room_callbacks_t cb = {.on_tracks_changed = room_changed,
                                                .on_active_speaker = room_speaker};
                l->watch = yj_media_room_watch(l->room, &cb, l);
                changed = true;
            }
        }
        if (l->room && (changed || (!l->att && now >= next_try))) {
            next_try = now + RETRY_US;
            yj_media_track_info_t *t = NULL;
            size_t n = 0;
            if (yj_media_room_tracks(l->room, &t, &n) == 0) {
                char peer[64];
                choose(l, t, n, peer);
                bool same = l->att && !strcmp(peer, l->att->peer);
                if (same) { /* the same peer: still the same tracks? */
                    bool v = false, au = !l->att->atrack[0];
                    for (size_t i = 0; i < n; i++) {
                        if (!t[i].muted && !strcmp(t[i].track_id, l->att->vtrack))
                            v = true;
                        if (!t[i].muted && !strcmp(t[i].track_id, l->att->atrack))
                            au = true;
                    }
                    same = v && au;
                }
                if (!same) {
                    detach(l, peer[0] ? "another speaker" : "no speaker publishes video");
                    if (peer[0])
                        attach(l, t, n, peer);
                }
            }
            g_free(t);
        }
        if (l->att && want_key) {
            force_key(l->att);
            yj_media_tap_request_keyframe(l->att->vtap);
        }
        if (l->att && !l->att->got_video && now - l->att->since_us >= LAYER_US) {
            att_t *a = l->att;
            uint64_t vp = yj_media_tap_packets(a->vtap);
            if (!a->warned)
                yj_warn("iptv",
                        "channel %s: live lecture: no picture from %s yet (%" G_GUINT64_FORMAT
                        " video packets on layer %d of %d)",
                        l->label, a->peer, vp, a->layer, a->layers);
            a->warned = true;
            if (a->layer > 0) { /* try the layer below */
                char peer[64];
                g_strlcpy(peer, a->peer, sizeof peer);
                g_hash_table_replace(l->low, g_strdup(peer), GINT_TO_POINTER(a->layer - 1));
                detach(l, "no picture on this layer");
                yj_media_track_info_t *t = NULL;
                size_t n = 0;
                if (yj_media_room_tracks(l->room, &t, &n) == 0)
                    attach(l, t, n, peer);
                g_free(t);
            }
        }
        if (l->att && !l->att->got_video && now - l->att->last_pli_us >= PLI_US) {
            l->att->last_pli_us = now;
            yj_media_tap_request_keyframe(l->att->vtap);
        }
    }
    detach(l, "programme over");
    if (l->room) {
        if (l->watch > 0)
            yj_media_room_unwatch(l->room, l->watch);
        yj_media_room_unref(l->room);
    }
    return NULL;
}

/* ---- the reader (the playout's producer thread) ---- */

static void restart_slate(live_t *l)
{
    yj_iptv_src_free(l->slate_src);
    l->slate_src = l->slate ? yj_iptv_src_slate_open(l->slate) : NULL;
    l->slate_base = l->out_end;
}

/* Fills au from o re-based by off; false when o would not rise (dropped). */
static bool yield(live_t *l, yj_iptv_au_t *au, yj_ts_stream_t st, const uint8_t *data, size_t len,
                  int64_t pts, int64_t dts, int64_t dur, bool key)
{
    int i = st == YJ_TS_VIDEO ? 0 : 1;
    if (dts <= l->last[i]) {
        if (st == YJ_TS_AUDIO)
            return false; /* an audio frame from before the cut */
        pts += l->last[i] + 1 - dts;
        dts = l->last[i] + 1;
    }
    if (pts < dts)
        pts = dts;
    l->last[i] = dts;
    if (pts + dur > l->out_end)
        l->out_end = pts + dur;
    au->st = st;
    au->data = data;
    au->len = len;
    au->pts = pts;
    au->dts = dts;
    au->duration = dur;
    au->key = key;
    return true;
}

static int live_read(void *impl, yj_iptv_au_t *au)
{
    live_t *l = impl;
    for (int guard = 0; guard < 64; guard++) {
        oau_t *o = NULL;
        g_mutex_lock(&l->mu);
        bool stalled = l->on && l->gen == l->on_gen && !l->out.length &&
                       g_get_monotonic_time() - l->last_au_us > STALL_US;
        if (l->on && (l->gen != l->on_gen || stalled)) { /* the speaker went, changed or froze */
            l->on = false;
            l->waiting = true;
            trim_to_key(l);
            if (stalled) { /* back on at a fresh keyframe when media flows again */
                l->want_key = true;
                g_cond_signal(&l->cond);
            }
            g_mutex_unlock(&l->mu);
            if (stalled)
                yj_warn("iptv", "channel %s: live lecture: no media for 1 s; showing the slate",
                        l->label);
            else
                yj_warn("iptv", "channel %s: live lecture: no speaker; showing the slate",
                        l->label);
            restart_slate(l);
            g_mutex_lock(&l->mu);
        }
        if (!l->on) {
            oau_t *h = g_queue_peek_head(&l->out);
            if (h && h->st == YJ_TS_VIDEO && h->key && l->gen) {
                if (g_get_monotonic_time() - h->at_us > FRESH_US) { /* stale: ask for a new one */
                    while ((h = g_queue_pop_head(&l->out)))
                        g_free(h);
                    l->want_key = true;
                    g_cond_signal(&l->cond);
                } else {
                    l->on = true;
                    l->on_gen = l->gen;
                    l->waiting = false;
                    /* the keyframe follows what was yielded, one frame on */
                    int64_t after = l->out_end > l->last[0] ? l->out_end : l->last[0] + 1;
                    l->off = after - h->dts;
                    l->last_au_us = g_get_monotonic_time();
                    yj_counter_add(l->m_on, 1);
                    yj_info("iptv", "channel %s: live lecture on air", l->label);
                }
            }
        }
        if (l->on)
            o = g_queue_pop_head(&l->out);
        bool on = l->on;
        g_mutex_unlock(&l->mu);
        if (on) {
            if (!o)
                return 2;
            l->last_au_us = g_get_monotonic_time();
            g_free(l->cur);
            l->cur = o;
            if (yield(l, au, o->st, o->data, o->len, o->pts + l->off, o->dts + l->off, o->dur,
                      o->key))
                return 1;
            continue;
        }
        if (!l->slate_src)
            return 2;
        yj_iptv_au_t s;
        int rc = yj_iptv_src_read(l->slate_src, &s);
        if (rc != 1)
            return rc == 0 ? 2 : rc;
        if (yield(l, au, s.st, s.data, s.len, s.pts + l->slate_base, s.dts + l->slate_base,
                  s.duration, s.key))
            return 1;
    }
    return 2;
}

static void live_free(void *impl)
{
    live_t *l = impl;
    atomic_store(&l->stop, true);
    g_mutex_lock(&l->mu);
    g_cond_signal(&l->cond);
    g_mutex_unlock(&l->mu);
    g_thread_join(l->thread);
    void *x;
    while ((x = g_queue_pop_head(&l->in)))
        g_free(x);
    while ((x = g_queue_pop_head(&l->out)))
        g_free(x);
    g_free(l->cur);
    g_hash_table_destroy(l->low);
    yj_iptv_src_free(l->slate_src);
    yj_iptv_slate_unref(l->slate);
    g_mutex_clear(&l->mu);
    g_cond_clear(&l->cond);
    g_free(l->label);
    g_free(l);
}

static const yj_iptv_src_ops_t live_ops = {.read = live_read, .free = live_free};

yj_iptv_src_t *yj_iptv_src_live_open(const yj_iptv_live_ops_t *ops, void *ud, int64_t meeting,
                                     int mux_bitrate, yj_iptv_slate_t *slate, const char *label,
                                     char **err)
{
    if (!ops || !ops->room) {
        *err = g_strdup("live lectures are not wired to the meetings");
        return NULL;
    }
    if (!gst_is_initialized() && !gst_init_check(NULL, NULL, NULL)) {
        *err = g_strdup("GStreamer cannot start");
        return NULL;
    }
    static const char *const need[] = {
        "appsrc",     "rtpjitterbuffer", "rtpvp8depay", "vp8dec",       "rtph264depay",
        "avdec_h264", "openh264enc",     "h264parse",   "rtpopusdepay", "opusdec",
        "voaacenc",   "aacparse",        "videorate",   "videoscale",   "appsink"};
    for (size_t i = 0; i < G_N_ELEMENTS(need); i++) {
        GstElementFactory *f = gst_element_factory_find(need[i]);
        if (!f) {
            *err = g_strdup_printf("GStreamer element %s is not installed", need[i]);
            return NULL;
        }
        gst_object_unref(f);
    }
    live_t *l = g_new0(live_t, 1);
    l->ops = *ops;
    l->ud = ud;
    l->meeting = meeting;
    l->label = g_strdup(label ? label : "?");
    l->mux_bitrate = mux_bitrate;
    yj_iptv_live_geometry(mux_bitrate, &l->w, &l->h, &l->vbitrate);
    g_mutex_init(&l->mu);
    g_cond_init(&l->cond);
    g_queue_init(&l->in);
    g_queue_init(&l->out);
    l->waiting = true;
    l->low = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    l->last[0] = l->last[1] = INT64_MIN;
    l->slate = yj_iptv_slate_ref(slate);
    restart_slate(l);
    g_autofree char *m1 = g_strdup_printf("yj_iptv_live_dropped_total{channel=\"%s\"}", l->label);
    g_autofree char *m2 = g_strdup_printf("yj_iptv_live_on_air_total{channel=\"%s\"}", l->label);
    l->m_drop = yj_metrics_counter(m1, "Live-lecture packets or frames dropped on a full queue");
    l->m_on = yj_metrics_counter(m2, "Times a live lecture's speaker came on air");
    l->thread = g_thread_new("iptv-live", live_main, l);
    return yj_iptv_src_wrap(&live_ops, l);
}
