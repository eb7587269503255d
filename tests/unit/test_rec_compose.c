/* SPDX-License-Identifier: Apache-2.0 */
/* test_rec_compose.c — composition of recorded tracks: the plan refuses
 * hostile manifests (paths outside the folder, impossible RTP values);
 * the layout is a centred 16:9 grid that follows who is present and puts
 * a shared screen large over a strip; and a real two-party recording
 * (GStreamer-encoded VP8 + Opus written as pcap with SRs, one publisher
 * joining late) composes into a 1280×720 H.264 + AAC MP4 whose length,
 * checked with ffprobe, is the recording's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/recordings/gen.h"
#include "recordings/compose.h"
#include "recordings/pcap.h"
#include "core/yj.h"
#include "vod/import.h"
#include "vod/transcode.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define T0 1700000000000000LL

static json_t *track(const char *file, const char *kind, const char *peer, const char *name,
                     int64_t first, int64_t last)
{
    bool v = strcmp(kind, "video") == 0;
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:I,s:I,s:i}", "file", file, "kind", kind,
                     "peer_id", peer, "display_name", name, "codec", v ? "VP8" : "opus",
                     "payload_type", v ? 96 : 111, "clock_rate", v ? 90000 : 48000, "first_us",
                     (json_int_t)first, "last_us", (json_int_t)last, "packets", 100);
}

static void plan_refuses_hostile(void **state)
{
    char err[200];
    yj_rec_plan_t p;
    json_t *m = json_pack("{s:s,s:I,s:I,s:[o]}", "dir", "1/2", "started_us", (json_int_t)T0,
                          "stopped_us", (json_int_t)(T0 + 4000000), "tracks",
                          track("../../etc/passwd", "video", "p1", "a", T0, T0 + 1000));
    assert_int_equal(yj_rec_plan_from_json(m, "/r", &p, err, sizeof err), YJ_EINVAL);
    assert_non_null(strstr(err, "file"));
    json_decref(m);
    m = json_pack("{s:s,s:I,s:I,s:[o]}", "dir", "../x", "started_us", (json_int_t)T0, "stopped_us",
                  (json_int_t)(T0 + 4000000), "tracks",
                  track("a.pcap", "video", "p1", "a", T0, T0 + 1000));
    assert_int_equal(yj_rec_plan_from_json(m, "/r", &p, err, sizeof err), YJ_EINVAL);
    assert_non_null(strstr(err, "dir"));
    json_decref(m);
    json_t *t = track("a.pcap", "video", "p1", "a", T0, T0 + 1000);
    json_object_set_new(t, "clock_rate", json_integer(0));
    m = json_pack("{s:s,s:I,s:I,s:[o]}", "dir", "1/2", "started_us", (json_int_t)T0, "stopped_us",
                  (json_int_t)(T0 + 4000000), "tracks", t);
    assert_int_equal(yj_rec_plan_from_json(m, "/r", &p, err, sizeof err), YJ_EINVAL);
    json_decref(m);
    /* a good one: the file path is inside root/dir; an empty track is left out */
    json_t *empty = track("b.pcap", "audio", "p2", "b", 0, 0);
    json_object_set_new(empty, "packets", json_integer(0));
    m = json_pack("{s:s,s:I,s:I,s:[o,o],s:[{s:s,s:s,s:I}]}", "dir", "1/2", "started_us",
                  (json_int_t)T0, "stopped_us", (json_int_t)(T0 + 4000000), "tracks",
                  track("a.pcap", "video", "p1", "张三", T0, T0 + 1000), empty, "events", "kind",
                  "screen", "peer_id", "p1", "at_us", (json_int_t)(T0 + 500));
    assert_int_equal(yj_rec_plan_from_json(m, "/r", &p, err, sizeof err), 0);
    assert_int_equal(p.n_tracks, 1);
    assert_string_equal(p.tracks[0].path, "/r/1/2/a.pcap");
    assert_string_equal(p.tracks[0].name, "张三");
    assert_int_equal(p.dur_us, 4000000);
    assert_int_equal(p.n_screens, 1);
    assert_int_equal(p.screens[0].at_us, 500);
    yj_rec_plan_clear(&p);
    json_decref(m);
}

static void layout_follows_presence(void **state)
{
    yj_rec_plan_track_t tr[4] = {0};
    const char *peers[4] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++) {
        tr[i].video = true;
        g_strlcpy(tr[i].peer, peers[i], sizeof tr[i].peer);
        tr[i].first_us = T0 + i * 10000000LL; /* one more every 10 s */
        tr[i].last_us = T0 + 60000000LL;
    }
    yj_rec_plan_screen_t sc[2] = {{.at_us = 45000000, .peer = "b", .on = true},
                                  {.at_us = 50000000, .peer = "b", .on = false}};
    yj_rec_plan_speaker_t sp[2] = {{.at_us = 12000000, .peer = "b"}, {.at_us = 52000000}};
    yj_rec_plan_t p = {.t0_us = T0,
                       .dur_us = 60000000,
                       .speakers = sp,
                       .n_speakers = 2,
                       .tracks = tr,
                       .n_tracks = 4,
                       .screens = sc,
                       .n_screens = 2,
                       .n_video = 4};
    yj_rec_tile_t t[8];
    /* one: the whole canvas */
    assert_int_equal(yj_rec_layout(&p, 1000000, 1280, 720, t, 8), 1);
    assert_int_equal(t[0].w, 1280);
    assert_int_equal(t[0].h, 720);
    /* two: side by side, 16:9, centred vertically */
    assert_int_equal(yj_rec_layout(&p, 11000000, 1280, 720, t, 8), 2);
    assert_int_equal(t[0].w, 640);
    assert_int_equal(t[0].h, 360);
    assert_int_equal(t[0].y, 180);
    assert_int_equal(t[1].x, 640);
    /* four: 2×2 */
    assert_int_equal(yj_rec_layout(&p, 31000000, 1280, 720, t, 8), 4);
    assert_int_equal(t[3].x, 640);
    assert_int_equal(t[3].y, 360);
    /* b shares the screen: b large on top, three in the strip */
    assert_int_equal(yj_rec_layout(&p, 46000000, 1280, 720, t, 8), 4);
    assert_int_equal(t[0].track, 1);
    assert_true(t[0].h >= 500);
    for (int i = 1; i < 4; i++) {
        assert_int_not_equal(t[i].track, 1);
        assert_true(t[i].y >= 540);
    }
    /* and back to the grid */
    assert_int_equal(yj_rec_layout(&p, 51000000, 1280, 720, t, 8), 4);
    assert_int_equal(t[1].track, 1);
    assert_int_equal(t[1].h, 360);
    /* the active speaker's frame: around b's tile, 4 px, inside the canvas */
    yj_rec_tile_t f;
    assert_false(yj_rec_speaker_frame(&p, 11000000, 1280, 720, &f)); /* nobody yet */
    assert_true(yj_rec_speaker_frame(&p, 13000000, 1280, 720, &f));
    assert_int_equal(f.track, 1);
    assert_int_equal(f.x, 636);
    assert_int_equal(f.y, 176);
    assert_int_equal(f.w, 644); /* clipped at the right edge */
    assert_int_equal(f.h, 368);
    assert_true(yj_rec_speaker_frame(&p, 46000000, 1280, 720, &f)); /* b's shared screen */
    assert_int_equal(f.track, 1);
    assert_true(f.h >= 500);
    assert_false(yj_rec_speaker_frame(&p, 53000000, 1280, 720, &f)); /* silence */
}

static void sink_pcap(const uint8_t *pkt, size_t len, int64_t at, bool sr, void *ud)
{
    yj_pcap_writer_append(ud, at, sr ? YJ_PCAP_RTCP : YJ_PCAP_RTP, pkt, len);
}

/* A sink that delivers every 7th RTP packet late, after the next three
 * (as a NACK-repaired retransmission arrives), and one packet twice. */
typedef struct {
    yj_pcap_writer_t *w;
    uint8_t held[1500];
    size_t held_len;
    int n, since;
} late_t;

static void sink_late(const uint8_t *pkt, size_t len, int64_t at, bool sr, void *ud)
{
    late_t *l = ud;
    if (sr) {
        yj_pcap_writer_append(l->w, at, YJ_PCAP_RTCP, pkt, len);
        return;
    }
    if (++l->n % 7 == 0 && !l->held_len && len <= sizeof l->held) {
        memcpy(l->held, pkt, len);
        l->held_len = len;
        l->since = 0;
        return;
    }
    yj_pcap_writer_append(l->w, at, YJ_PCAP_RTP, pkt, len);
    if (l->n == 20) /* a duplicate */
        yj_pcap_writer_append(l->w, at, YJ_PCAP_RTP, pkt, len);
    if (l->held_len && ++l->since == 3) {
        yj_pcap_writer_append(l->w, at + 1000, YJ_PCAP_RTP, l->held, l->held_len);
        l->held_len = 0;
    }
}

static long make_track_p(const char *path, bool video, int64_t start, double secs, uint32_t ssrc,
                         const char *pattern)
{
    yj_pcap_writer_t *w = yj_pcap_writer_open(path);
    if (pattern && strcmp(pattern, "flash") == 0) { /* out of order, as RTX repairs arrive */
        late_t l = {.w = w};
        gen_track_t t = {.video = true,
                         .width = 640,
                         .height = 360,
                         .fps = 30,
                         .seconds = secs,
                         .ssrc = ssrc,
                         .start_us = start,
                         .pattern = pattern};
        long n = gen_track(&t, sink_late, &l);
        yj_pcap_writer_close(w);
        return n;
    }
    gen_track_t t = {.video = video,
                     .width = 640,
                     .height = 360,
                     .fps = 30,
                     .seconds = secs,
                     .ssrc = ssrc,
                     .start_us = start,
                     .pattern = pattern};
    long n = gen_track(&t, sink_pcap, w);
    yj_pcap_writer_close(w);
    return n;
}

static long make_track(const char *path, bool video, int64_t start, double secs, uint32_t ssrc)
{
    return make_track_p(path, video, start, secs, ssrc, NULL);
}

/* Onsets (s) found by ffmpeg in path: flashes (mean luma rising through
 * 100) or beeps (ends of silences). */
static int onsets(const char *path, bool video, double *out, int max)
{
    char *cmd = video ? g_strdup_printf("ffmpeg -v error -i '%s' -map 0:v:0 -vf "
                                        "signalstats,metadata=print:key=lavfi.signalstats.YAVG:"
                                        "file=- -f null -",
                                        path)
                      : g_strdup_printf("ffmpeg -v info -nostats -i '%s' -map 0:a:0 -af "
                                        "silencedetect=noise=-30dB:duration=0.3 -f null -",
                                        path);
    char *o = NULL, *e = NULL;
    g_spawn_command_line_sync(cmd, &o, &e, NULL, NULL);
    g_free(cmd);
    int n = 0;
    char **lines = g_strsplit(video ? o : e, "\n", -1);
    double t = -1, prev = 0;
    for (char **l = lines; *l && n < max; l++) {
        const char *p;
        if (video && (p = strstr(*l, "pts_time:"))) {
            t = g_ascii_strtod(p + 9, NULL);
        } else if (video && (p = strstr(*l, "YAVG="))) {
            double v = g_ascii_strtod(p + 5, NULL);
            if (v > 100 && prev <= 100)
                out[n++] = t;
            prev = v;
        } else if (!video && (p = strstr(*l, "silence_end: "))) {
            out[n++] = g_ascii_strtod(p + 13, NULL);
        }
    }
    g_strfreev(lines);
    g_free(o);
    g_free(e);
    return n;
}

/* One publisher sending a flash and a beep at the start of every second,
 * joining 0.37 s after the recording began, every 7th video packet
 * arriving late (after the next three) and one twice: in the composed
 * file every flash is there (the reorder window put the late packets
 * back), within 40 ms of its beep, and the beeps are where the
 * publisher's clock put them. */
static void composition_keeps_lip_sync(void **state)
{
    char *dir = g_dir_make_tmp("yj-lips-XXXXXX", NULL);
    char *sub = g_build_filename(dir, "5", "1", NULL);
    g_mkdir_with_parents(sub, 0750);
    char *pv = g_build_filename(sub, "01-p1-video.pcap", NULL);
    char *pa = g_build_filename(sub, "02-p1-audio.pcap", NULL);
    assert_true(make_track_p(pv, true, T0 + 370000, 6.2, 31, "flash") > 0);
    assert_true(make_track_p(pa, false, T0 + 370000, 6.2, 32, "beep") > 0);
    json_t *m = json_pack("{s:s,s:I,s:I,s:[o,o]}", "dir", "5/1", "started_us", (json_int_t)T0,
                          "stopped_us", (json_int_t)(T0 + 6500000), "tracks",
                          track("01-p1-video.pcap", "video", "p1", "", T0 + 370000, T0 + 6370000),
                          track("02-p1-audio.pcap", "audio", "p1", "", T0 + 370000, T0 + 6370000));
    yj_rec_plan_t plan;
    char err[256];
    assert_int_equal(yj_rec_plan_from_json(m, dir, &plan, err, sizeof err), 0);
    char *out = g_build_filename(dir, "out.mp4", NULL);
    yj_compose_options_t o = {.font = "Noto Sans CJK SC", .width = 1280, .height = 720, .fps = 25};
    int64_t ms;
    assert_int_equal(yj_rec_compose(&plan, &o, out, NULL, NULL, NULL, &ms, err, sizeof err), 0);
    double v[16], a[16];
    int nv = onsets(out, true, v, 16), na = onsets(out, false, a, 16);
    char line[512] = "";
    for (int i = 0; i < na; i++) {
        double best = 1e9;
        for (int j = 0; j < nv; j++)
            if (fabs(v[j] - a[i]) < fabs(best))
                best = v[j] - a[i];
        g_snprintf(line + strlen(line), sizeof line - strlen(line), " %.3f:%+.0f", a[i],
                   best * 1000);
    }
    print_message("beep at s : flash − beep ms:%s\n", line);
    assert_true(na >= 5);
    assert_true(nv >= 5);
    int paired = 0;
    for (int i = 0; i < na; i++) {
        for (int j = 0; j < nv; j++) {
            if (fabs(v[j] - a[i]) < 0.5) {
                paired++;
                assert_true(v[j] - a[i] > -0.040 && v[j] - a[i] < 0.040);
            }
        }
        /* the beep sits where it was sent: 0.37 s + whole seconds */
        if (a[i] < 6.2)
            assert_true(fabs(fmod(a[i] - 0.37 + 0.5, 1.0) - 0.5) < 0.030);
    }
    assert_true(paired >= 6);
    yj_rec_plan_clear(&plan);
    json_decref(m);
    char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    g_free(cmd);
    g_free(out);
    g_free(pv);
    g_free(pa);
    g_free(sub);
    g_free(dir);
}

static double ffprobe_duration(const char *path, char *streams, size_t n)
{
    char *cmd = g_strdup_printf("ffprobe -v error -show_entries format=duration:stream=codec_name,"
                                "width,height -of csv=p=0 '%s'",
                                path);
    char *out = NULL;
    int status = 0;
    g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL);
    g_free(cmd);
    double d = -1;
    if (out) {
        g_strlcpy(streams, out, n);
        char **lines = g_strsplit(out, "\n", -1);
        for (char **l = lines; *l; l++)
            if (**l && !strchr(*l, ','))
                d = g_ascii_strtod(*l, NULL);
        g_strfreev(lines);
    }
    g_free(out);
    return d;
}

static void composes_two_parties(void **state)
{
    char *dir = g_dir_make_tmp("yj-comp-XXXXXX", NULL);
    char *sub = g_build_filename(dir, "5", "1", NULL);
    g_mkdir_with_parents(sub, 0750);
    char *p1v = g_build_filename(sub, "01-p1-video.pcap", NULL);
    char *p1a = g_build_filename(sub, "02-p1-audio.pcap", NULL);
    char *p2v = g_build_filename(sub, "03-p2-video.pcap", NULL);
    assert_true(make_track(p1v, true, T0 + 100000, 4.0, 11) > 0);
    assert_true(make_track(p1a, false, T0 + 100000, 4.0, 12) > 0);
    assert_true(make_track(p2v, true, T0 + 2000000, 2.0, 21) > 0);
    json_t *m =
        json_pack("{s:s,s:I,s:I,s:[{s:s,s:s,s:I}],s:[o,o,o]}", "dir", "5/1", "started_us",
                  (json_int_t)T0, "stopped_us", (json_int_t)(T0 + 4500000), "events", "kind",
                  "speaker", "peer_id", "p2", "at_us", (json_int_t)(T0 + 2500000), "tracks",
                  track("01-p1-video.pcap", "video", "p1", "张三", T0 + 100000, T0 + 4100000),
                  track("02-p1-audio.pcap", "audio", "p1", "张三", T0 + 100000, T0 + 4100000),
                  track("03-p2-video.pcap", "video", "p2", "李四", T0 + 2000000, T0 + 4000000));
    yj_rec_plan_t plan;
    char err[256];
    assert_int_equal(yj_rec_plan_from_json(m, dir, &plan, err, sizeof err), 0);
    char *out = g_build_filename(dir, "out.mp4", NULL);
    yj_compose_options_t o = {.font = "Noto Sans CJK SC", .width = 1280, .height = 720, .fps = 25};
    int64_t ms = 0;
    int rc = yj_rec_compose(&plan, &o, out, NULL, NULL, NULL, &ms, err, sizeof err);
    if (rc)
        print_error("compose: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(ms, 4500);
    char streams[512] = "";
    double d = ffprobe_duration(out, streams, sizeof streams);
    print_message("ffprobe: %s", streams);
    assert_true(d > 4.0 && d < 5.0);
    assert_non_null(strstr(streams, "h264,1280,720"));
    assert_non_null(strstr(streams, "aac"));
    /* 李四 speaks from 2.5 s: the frame shows above their tile (x 640–1280,
     * y 180), in the frame's amber, where the canvas is otherwise grey */
    for (int k = 0; k < 2; k++) { /* before (2.2 s) and while (3.5 s) 李四 speaks */
        char *cmd = g_strdup_printf("ffmpeg -v error -ss %s -i '%s' -frames:v 1 -vf "
                                    "crop=2:2:900:176 -f rawvideo -pix_fmt rgb24 -",
                                    k ? "3.5" : "2.2", out);
        char *px = NULL;
        assert_true(g_spawn_command_line_sync(cmd, &px, NULL, NULL, NULL));
        g_free(cmd);
        assert_non_null(px);
        const uint8_t *rgb = (const uint8_t *)px;
        print_message("pixel above 李四's tile at %s s: %u %u %u\n", k ? "3.5" : "2.2", rgb[0],
                      rgb[1], rgb[2]);
        if (k)
            assert_true(rgb[0] > 150 && rgb[1] > 100 && rgb[2] < 110);
        else
            assert_true(rgb[0] > 10 && rgb[0] < 100); /* the grey canvas, not nothing */
        g_free(px);
    }
    yj_rec_plan_clear(&plan);
    json_decref(m);
    if (!g_getenv("YJ_KEEP")) { /* YJ_KEEP=1: keep the output to look at */
        char *cmd = g_strdup_printf("rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
        g_free(cmd);
    } else {
        print_message("kept %s\n", out);
    }
    g_free(out);
    g_free(p1v);
    g_free(p1a);
    g_free(p2v);
    g_free(sub);
    g_free(dir);
}

static int last_pct = -1;
static void on_pct(int pct, void *ud)
{
    last_pct = pct;
}

/* Everyone on audio: the composition is AAC alone (no picture), which the
 * course library's import takes as an audio lesson (uploads still refuse
 * it) and transcodes into the audio rendition alone, reporting progress. */
static void audio_only_becomes_an_audio_lesson(void **state)
{
    char *dir = g_dir_make_tmp("yj-comp-XXXXXX", NULL);
    char *sub = g_build_filename(dir, "6", "1", NULL);
    g_mkdir_with_parents(sub, 0750);
    char *p1a = g_build_filename(sub, "01-p1-audio.pcap", NULL);
    char *p2a = g_build_filename(sub, "02-p2-audio.pcap", NULL);
    assert_true(make_track(p1a, false, T0 + 100000, 4.0, 31) > 0);
    assert_true(make_track(p2a, false, T0 + 1000000, 2.0, 41) > 0);
    json_t *m =
        json_pack("{s:s,s:I,s:I,s:[],s:[o,o]}", "dir", "6/1", "started_us", (json_int_t)T0,
                  "stopped_us", (json_int_t)(T0 + 4500000), "events", "tracks",
                  track("01-p1-audio.pcap", "audio", "p1", "张三", T0 + 100000, T0 + 4100000),
                  track("02-p2-audio.pcap", "audio", "p2", "李四", T0 + 1000000, T0 + 3000000));
    yj_rec_plan_t plan;
    char err[256];
    assert_int_equal(yj_rec_plan_from_json(m, dir, &plan, err, sizeof err), 0);
    assert_int_equal(plan.n_video, 0);
    char *out = g_build_filename(dir, "composed.mp4", NULL);
    yj_compose_options_t o = {.font = "Noto Sans CJK SC", .width = 1280, .height = 720, .fps = 25};
    int64_t ms = 0;
    int rc = yj_rec_compose(&plan, &o, out, NULL, NULL, NULL, &ms, err, sizeof err);
    if (rc)
        print_error("compose: %s\n", err);
    assert_int_equal(rc, 0);
    char streams[512] = "";
    double d = ffprobe_duration(out, streams, sizeof streams);
    print_message("ffprobe: %s", streams);
    assert_true(d > 4.0 && d < 5.0);
    assert_non_null(strstr(streams, "aac"));
    assert_null(strstr(streams, "h264")); /* no picture at all */

    yj_vod_import_probe_t pr;
    assert_int_equal(yj_vod_import_probe(out, &pr, err, sizeof err), YJ_EMEDIA);
    assert_non_null(strstr(err, "no video")); /* uploads: video only */
    assert_int_equal(yj_vod_import_probe_media(out, &pr, err, sizeof err), 0);
    assert_true(pr.audio_only);
    assert_true(pr.duration_ms > 4000 && pr.duration_ms < 5000);

    char *hls = g_build_filename(dir, "hls", NULL);
    g_mkdir_with_parents(hls, 0750);
    yj_transcode_opts_t to = {.source = out,
                              .outdir = hls,
                              .segment_seconds = 2,
                              .preset = "veryfast",
                              .progress = on_pct};
    yj_transcode_result_t res;
    rc = yj_vod_transcode(&to, &res, err, sizeof err);
    if (rc)
        print_error("transcode: %s\n", err);
    assert_int_equal(rc, 0);
    print_message("audio lesson: %" G_GINT64_FORMAT " ms, renditions %s\n", res.duration_ms,
                  res.renditions);
    assert_int_equal(res.width, 0);
    assert_true(res.duration_ms > 4000 && res.duration_ms < 5000);
    assert_true(last_pct >= 50); /* progress came from the audio */
    json_t *r = json_loads(res.renditions, 0, NULL);
    assert_int_equal(json_array_size(r), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "name")), "audio");
    assert_false(json_is_true(json_object_get(json_array_get(r, 0), "video")));
    json_decref(r);
    g_free(res.renditions);
    char *master = g_build_filename(hls, "master.m3u8", NULL);
    char *pl = g_build_filename(hls, "audio", "index.m3u8", NULL);
    char *poster = g_build_filename(hls, "poster.jpg", NULL);
    assert_true(g_file_test(master, G_FILE_TEST_IS_REGULAR));
    assert_true(g_file_test(pl, G_FILE_TEST_IS_REGULAR));
    assert_false(g_file_test(poster, G_FILE_TEST_EXISTS));
    double hd = ffprobe_duration(pl, streams, sizeof streams);
    print_message("HLS: %s", streams);
    assert_true(hd > 4.0 && hd < 5.0);
    assert_null(strstr(streams, "h264"));

    yj_rec_plan_clear(&plan);
    json_decref(m);
    char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    g_free(cmd);
    g_free(master);
    g_free(pl);
    g_free(poster);
    g_free(hls);
    g_free(out);
    g_free(p1a);
    g_free(p2a);
    g_free(sub);
    g_free(dir);
}

#include "../lsan_gst.h" /* LSan: GLib and fontconfig lifetime allocations */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_refuses_hostile),
        cmocka_unit_test(layout_follows_presence),
        cmocka_unit_test(composes_two_parties),
        cmocka_unit_test(audio_only_becomes_an_audio_lesson),
        cmocka_unit_test(composition_keeps_lip_sync),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gst_deinit(); /* GStreamer's own allocations, for LeakSanitizer */
    return rc;
}
