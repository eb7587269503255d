/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gst_whip.c — a GStreamer webrtcbin publisher for the WHIP test: test
 * video (VP8) and a sine tone (Opus) sent sendonly with BUNDLE. It prints
 * its SDP offer (after ICE gathering) between marker lines on stdout and
 * reads the SDP answer from stdin up to a line "END"; the test does the
 * HTTP part (POST /whip/{room}). Runs until stdin closes or SIGTERM.
 * ICE is limited to 127.0.0.1 (the tests' only network), UDP only.
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

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    GError *e = NULL;
    pipe_ = gst_parse_launch(
        "webrtcbin name=w bundle-policy=max-bundle "
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 "
        "! vp8enc deadline=1 target-bitrate=400000 keyframe-max-dist=30 ! rtpvp8pay pt=96 "
        "! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000,"
        "rtcp-fb-nack-pli=(boolean)true ! w. "
        "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! opusenc "
        "! rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,"
        "clock-rate=48000 ! w.",
        &e);
    if (!pipe_) {
        fprintf(stderr, "gst_whip: %s\n", e->message);
        return 1;
    }
    webrtc = gst_bin_get_by_name(GST_BIN(pipe_), "w");
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
