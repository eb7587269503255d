/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gst_whip.c — a GStreamer webrtcbin publisher for the WHIP tests: test
 * video and a sine tone (Opus) sent sendonly with BUNDLE. The video codec
 * is VP8 (vp8enc) or, with --codec=h264, H.264 constrained baseline
 * (openh264enc, in gstreamer1.0-plugins-bad) payloaded with
 * packetization-mode=1 and SPS/PPS before every IDR, aggregated into a
 * STAP-A; --gop=N sets the keyframe interval in frames (default 30), so a
 * test can make a late viewer depend on PLI, and --no-pli drops the
 * keyframe requests webrtcbin makes of the encoder on PLI/FIR, so the only
 * keyframes are the periodic ones (a test of the SFU's keyframe gate).
 * It prints
 * its SDP offer (after ICE gathering) between marker lines on stdout and
 * reads the SDP answer from stdin up to a line "END"; the test does the
 * HTTP part (POST /whip/{room}). Runs until stdin closes or SIGTERM.
 * ICE is limited to 127.0.0.1 (the tests' only network), UDP only.
 * --flash-beep (the recordings' lip-sync test): the picture is black with
 * a white flash and the sound silent with a 1 kHz beep, both during the
 * first 100 ms of every second of running time (set by pad probes from
 * each buffer's own timestamp, so the two are simultaneous by
 * construction).
 * Built by the test itself with `cc … $(pkg-config gstreamer-webrtc-1.0 nice)`.
 */
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <glib-unix.h>
#include <nice/agent.h>
#include <stdio.h>
#include <string.h>

static GstElement *pipe_, *webrtc;
static GMainLoop *loop;
static gboolean offered;

static void print_offer(void)
{
    GstWebRTCSessionDescription *desc = NULL;
    g_object_get(webrtc, "local-description", &desc, NULL);
    if (!desc)
        return;
    gchar *text = gst_sdp_message_as_text(desc->sdp);
    printf("---BEGIN OFFER---\n%s---END OFFER---\n", text);
    fflush(stdout);
    g_free(text);
    gst_webrtc_session_description_free(desc);
}

static void on_gathering(GstElement *w, GParamSpec *ps, gpointer ud)
{
    (void)ps;
    (void)ud;
    GstWebRTCICEGatheringState st;
    g_object_get(w, "ice-gathering-state", &st, NULL);
    if (st == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && !offered) {
        offered = TRUE;
        print_offer();
    }
}

static void on_offer(GstPromise *p, gpointer ud)
{
    (void)ud;
    const GstStructure *r = gst_promise_get_reply(p);
    GstWebRTCSessionDescription *offer = NULL;
    gst_structure_get(r, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
    gst_promise_unref(p);
    g_signal_emit_by_name(webrtc, "set-local-description", offer, NULL);
    gst_webrtc_session_description_free(offer);
}

static void on_negotiation(GstElement *w, gpointer ud)
{
    (void)ud;
    GArray *tr = NULL;
    g_signal_emit_by_name(w, "get-transceivers", &tr);
    for (guint i = 0; tr && i < tr->len; i++)
        g_object_set(g_array_index(tr, GstWebRTCRTPTransceiver *, i), "direction",
                     GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
    if (tr)
        g_array_unref(tr);
    GstPromise *p = gst_promise_new_with_change_func(on_offer, NULL, NULL);
    g_signal_emit_by_name(w, "create-offer", NULL, p);
}

static GString *answer;

static gboolean on_stdin(gint fd, GIOCondition c, gpointer ud)
{
    (void)ud;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        g_main_loop_quit(loop);
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(answer, buf, n);
    char *end = strstr(answer->str, "\nEND\n");
    if (end) {
        *end = 0;
        GstSDPMessage *sdp;
        gst_sdp_message_new_from_text(answer->str, &sdp);
        GstWebRTCSessionDescription *d =
            gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
        g_signal_emit_by_name(webrtc, "set-remote-description", d, NULL);
        gst_webrtc_session_description_free(d);
        g_string_truncate(answer, 0);
        fprintf(stderr, "gst_whip: answer applied\n");
    }
    (void)c;
    return G_SOURCE_CONTINUE;
}

static gboolean on_term(gpointer ud)
{
    (void)ud;
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_bus(GstBus *bus, GstMessage *m, gpointer ud)
{
    (void)bus;
    (void)ud;
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
        GError *e;
        gst_message_parse_error(m, &e, NULL);
        fprintf(stderr, "gst_whip: %s\n", e->message);
        g_error_free(e);
        g_main_loop_quit(loop);
    }
    return TRUE;
}

/* Drops upstream force-key-unit events (webrtcbin's answer to PLI/FIR). */
static GstPadProbeReturn drop_key_requests(GstPad *pad, GstPadProbeInfo *info, gpointer ud)
{
    (void)pad;
    (void)ud;
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (ev && gst_event_has_name(ev, "GstForceKeyUnit")) {
        fprintf(stderr, "gst_whip: keyframe request ignored (--no-pli)\n");
        return GST_PAD_PROBE_DROP;
    }
    return GST_PAD_PROBE_OK;
}

/* The video branch (encoder "venc"), ending in webrtcbin "w"; NULL for an
 * unknown codec.
 * The caps after the payloader carry what webrtcbin puts in the offer:
 * for H.264 the fmtp (profile-level-id is not in rtph264pay's caps) and
 * PLI feedback, which makes webrtcbin turn a PLI into a keyframe request
 * to the encoder. */
#define FLASH_NS (100 * GST_MSECOND)

/* --flash-beep: white I420 frames in [k s, k s + 100 ms), black otherwise. */
static GstPadProbeReturn flash(GstPad *pad, GstPadProbeInfo *info, gpointer ud)
{
    (void)pad;
    (void)ud;
    GstBuffer *b = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = b;
    GstMapInfo m;
    if (GST_BUFFER_PTS_IS_VALID(b) && gst_buffer_map(b, &m, GST_MAP_WRITE)) {
        gsize luma = 320 * 240;
        memset(m.data, GST_BUFFER_PTS(b) % GST_SECOND < FLASH_NS ? 235 : 16, luma);
        memset(m.data + luma, 128, m.size - luma);
        gst_buffer_unmap(b, &m);
    }
    return GST_PAD_PROBE_OK;
}

/* --flash-beep: S16LE mono 48 kHz; a 1 kHz tone in [k s, k s + 100 ms). */
static GstPadProbeReturn beep(GstPad *pad, GstPadProbeInfo *info, gpointer ud)
{
    (void)pad;
    (void)ud;
    GstBuffer *b = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = b;
    GstMapInfo m;
    if (GST_BUFFER_PTS_IS_VALID(b) && gst_buffer_map(b, &m, GST_MAP_WRITE)) {
        gint16 *s = (gint16 *)m.data;
        guint64 t0 = GST_BUFFER_PTS(b);
        for (gsize i = 0; i < m.size / 2; i++) {
            guint64 t = t0 + i * GST_SECOND / 48000;
            /* a 1 kHz square wave: no libm needed */
            s[i] = t % GST_SECOND < FLASH_NS ? ((t / 500000) % 2 ? 12000 : -12000) : 0;
        }
        gst_buffer_unmap(b, &m);
    }
    return GST_PAD_PROBE_OK;
}

static gchar *video_branch(const char *codec, int gop, gboolean flash_beep)
{
    const char *src =
        flash_beep
            ? "videotestsrc name=vsrc is-live=true pattern=black ! "
              "video/x-raw,format=I420,width=320,height=240,framerate=30/1"
            : "videotestsrc is-live=true pattern=ball ! "
              "video/x-raw,width=320,height=240,framerate=30/1";
    if (g_ascii_strcasecmp(codec, "vp8") == 0)
        return g_strdup_printf(
            "%s ! vp8enc name=venc deadline=1 target-bitrate=400000 keyframe-max-dist=%d ! "
            "rtpvp8pay pt=96 "
            "! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,"
            "rtcp-fb-nack-pli=(boolean)true ! w.",
            src, gop);
    if (g_ascii_strcasecmp(codec, "h264") == 0)
        return g_strdup_printf(
            "%s ! openh264enc name=venc bitrate=400000 gop-size=%d usage-type=camera "
            "scene-change-detection=false ! video/x-h264,profile=constrained-baseline "
            "! rtph264pay pt=102 config-interval=-1 aggregate-mode=zero-latency "
            "! application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
            "packetization-mode=(string)1,profile-level-id=(string)42e01f,"
            "level-asymmetry-allowed=(string)1,rtcp-fb-nack-pli=(boolean)true ! w.",
            src, gop);
    return NULL;
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    gchar *codec = NULL;
    gint gop = 30;
    gboolean no_pli = FALSE, flash_beep = FALSE;
    GOptionEntry opts[] = {
        {"flash-beep", 0, 0, G_OPTION_ARG_NONE, &flash_beep,
         "a flash and a beep at the start of every second", NULL},
        {"no-pli", 0, 0, G_OPTION_ARG_NONE, &no_pli, "ignore keyframe requests", NULL},
        {"codec", 0, 0, G_OPTION_ARG_STRING, &codec, "video codec: vp8 (default) or h264", "C"},
        {"gop", 0, 0, G_OPTION_ARG_INT, &gop, "keyframe interval in frames (default 30)", "N"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *oc = g_option_context_new("- WHIP test publisher");
    g_option_context_add_main_entries(oc, opts, NULL);
    GError *e = NULL;
    if (!g_option_context_parse(oc, &argc, &argv, &e)) {
        fprintf(stderr, "gst_whip: %s\n", e->message);
        return 2;
    }
    g_option_context_free(oc);
    gchar *video = video_branch(codec ? codec : "vp8", gop > 0 ? gop : 30, flash_beep);
    if (!video) {
        fprintf(stderr, "gst_whip: unknown codec %s (vp8 or h264)\n", codec);
        return 2;
    }
    gchar *desc = g_strdup_printf(
        "webrtcbin name=w bundle-policy=max-bundle %s "
        "audiotestsrc name=asrc is-live=true wave=%s freq=440 %s ! audioconvert ! audioresample "
        "! opusenc "
        "! rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,"
        "clock-rate=48000 ! w.",
        video, flash_beep ? "silence" : "sine",
        flash_beep ? "samplesperbuffer=480 ! audio/x-raw,format=S16LE,rate=48000,channels=1" : "");
    pipe_ = gst_parse_launch(desc, &e);
    g_free(desc);
    g_free(video);
    g_free(codec);
    if (!pipe_ || e) { /* a missing element is a "recoverable" error */
        fprintf(stderr, "gst_whip: %s\n", e ? e->message : "cannot build the pipeline");
        return 1;
    }
    webrtc = gst_bin_get_by_name(GST_BIN(pipe_), "w");
    if (flash_beep) {
        const char *names[2] = {"vsrc", "asrc"};
        GstPadProbeCallback fns[2] = {flash, beep};
        for (int i = 0; i < 2; i++) {
            GstElement *el = gst_bin_get_by_name(GST_BIN(pipe_), names[i]);
            GstPad *src = gst_element_get_static_pad(el, "src");
            gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, fns[i], NULL, NULL);
            gst_object_unref(src);
            gst_object_unref(el);
        }
    }
    if (no_pli) {
        GstElement *enc = gst_bin_get_by_name(GST_BIN(pipe_), "venc");
        GstPad *src = gst_element_get_static_pad(enc, "src");
        gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, drop_key_requests, NULL, NULL);
        gst_object_unref(src);
        gst_object_unref(enc);
    }
    GObject *ice = NULL;
    NiceAgent *agent = NULL;
    g_object_get(webrtc, "ice-agent", &ice, NULL);
    if (ice) {
        g_object_set(ice, "ice-tcp", FALSE, NULL);
        g_object_get(ice, "agent", &agent, NULL);
    }
    if (agent) {
        NiceAddress lo;
        nice_address_init(&lo);
        nice_address_set_from_string(&lo, "127.0.0.1");
        nice_agent_add_local_address(agent, &lo);
        g_object_unref(agent);
    }
    if (ice)
        g_object_unref(ice);
    g_signal_connect(webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation), NULL);
    g_signal_connect(webrtc, "notify::ice-gathering-state", G_CALLBACK(on_gathering), NULL);
    answer = g_string_new(NULL);
    loop = g_main_loop_new(NULL, FALSE);
    GstBus *bus = gst_element_get_bus(pipe_);
    gst_bus_add_watch(bus, on_bus, NULL);
    gst_object_unref(bus);
    g_unix_fd_add(0, G_IO_IN | G_IO_HUP, on_stdin, NULL);
    g_unix_signal_add(SIGTERM, on_term, NULL);
    gst_element_set_state(pipe_, GST_STATE_PLAYING);
    g_main_loop_run(loop);
    gst_element_set_state(pipe_, GST_STATE_NULL);
    gst_object_unref(webrtc);
    gst_object_unref(pipe_);
    return 0;
}
