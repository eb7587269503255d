/* SPDX-License-Identifier: Apache-2.0 */
/* test_rec_pcap.c — the recordings' pcap files: records read back exactly
 * (time, port, bytes), the headers are what Wireshark expects, a torn or
 * zero-filled tail is cut at the last whole record, bad headers are
 * refused, and GStreamer's pcapparse replays a real VP8 track through
 * rtpjitterbuffer ! rtpvp8depay ! vp8dec with every frame decoded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/recordings/gen.h"
#include "recordings/pcap.h"
#include "core/yj.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmpdir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

typedef struct {
    int n;
    int64_t ts[64];
    int stream[64];
    size_t len[64];
    uint8_t first[64];
} seen_t;

static int collect(const yj_pcap_record_t *r, void *ud)
{
    seen_t *s = ud;
    if (s->n < 64) {
        s->ts[s->n] = r->ts_us;
        s->stream[s->n] = r->stream;
        s->len[s->n] = r->len;
        s->first[s->n] = r->payload[0];
    }
    s->n++;
    return 0;
}

static void write_some(const char *path, int n)
{
    yj_pcap_writer_t *w = yj_pcap_writer_open(path);
    assert_non_null(w);
    for (int i = 0; i < n; i++) {
        uint8_t p[300];
        memset(p, i, sizeof p);
        assert_int_equal(yj_pcap_writer_append(w, 1700000000000000LL + i * 20000 + 7,
                                               i % 5 == 4 ? YJ_PCAP_RTCP : YJ_PCAP_RTP, p,
                                               (size_t)(100 + i)),
                         0);
    }
    assert_int_equal(yj_pcap_writer_close(w), 0);
}

static void roundtrip(void **state)
{
    char *path = tmp_path("a.pcap");
    write_some(path, 40);
    gchar *buf;
    gsize len;
    assert_true(g_file_get_contents(path, &buf, &len, NULL));
    size_t expect = 24;
    for (int i = 0; i < 40; i++)
        expect += 16 + 28 + 100 + (size_t)i;
    assert_int_equal(len, expect);
    /* header: LE magic, v2.4, snaplen, linktype 101 */
    const uint8_t *u = (const uint8_t *)buf;
    assert_int_equal(u[0], 0xd4);
    assert_int_equal(u[3], 0xa1);
    assert_int_equal(u[4], 2);
    assert_int_equal(u[6], 4);
    assert_int_equal(u[20], 101);
    /* first record: IPv4 header with a valid checksum, UDP to 5004 */
    const uint8_t *ip = u + 24 + 16;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(ip[9], 17);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    assert_int_equal(sum, 0xffff);
    assert_int_equal(ip[22] << 8 | ip[23], 5004);
    seen_t s = {0};
    size_t whole;
    assert_int_equal(yj_pcap_parse(u, len, collect, &s, &whole), 40);
    assert_int_equal(whole, len);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(s.ts[i], 1700000000000000LL + i * 20000 + 7);
        assert_int_equal(s.stream[i], i % 5 == 4 ? YJ_PCAP_RTCP : YJ_PCAP_RTP);
        assert_int_equal(s.len[i], 100 + i);
        assert_int_equal(s.first[i], i);
    }
    seen_t f = {0};
    uint64_t fwhole;
    assert_int_equal(yj_pcap_scan_file(path, collect, &f, &fwhole), 40);
    assert_int_equal(fwhole, len);
    assert_int_equal(f.ts[39], s.ts[39]);
    /* the incremental reader sees the same records */
    yj_pcap_reader_t *rd = yj_pcap_reader_open(path);
    assert_non_null(rd);
    yj_pcap_record_t r;
    int n = 0;
    while (yj_pcap_reader_next(rd, &r) == 1) {
        assert_int_equal(r.ts_us, s.ts[n]);
        assert_int_equal(r.len, s.len[n]);
        assert_int_equal(r.payload[0], n);
        n++;
    }
    assert_int_equal(n, 40);
    yj_pcap_reader_close(rd);
    g_free(buf);
    g_free(path);
}

static void refuses_bad_input(void **state)
{
    uint8_t h[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
    h[20] = 1; /* ethernet: not ours */
    assert_int_equal(yj_pcap_parse(h, sizeof h, NULL, NULL, NULL), YJ_EINVAL);
    h[20] = 101;
    assert_int_equal(yj_pcap_parse(h, sizeof h, NULL, NULL, NULL), 0);
    assert_int_equal(yj_pcap_parse(h, 10, NULL, NULL, NULL), YJ_EINVAL);
    h[0] = 0;
    assert_int_equal(yj_pcap_parse(h, sizeof h, NULL, NULL, NULL), YJ_EINVAL);
    uint8_t p[1] = {0x80};
    yj_pcap_writer_t *w = yj_pcap_writer_open("/nonexistent-dir/x.pcap");
    assert_null(w);
    char *path = tmp_path("b.pcap");
    w = yj_pcap_writer_open(path);
    assert_int_equal(yj_pcap_writer_append(w, 1, YJ_PCAP_RTP, p, 0), YJ_EINVAL);
    assert_int_equal(yj_pcap_writer_append(w, 1, YJ_PCAP_RTP, p, 70000), YJ_EINVAL);
    assert_int_equal(yj_pcap_writer_close(w), 0);
    assert_int_equal(yj_pcap_recover("/nonexistent-dir/x.pcap", NULL, NULL), YJ_ENOENT);
    g_free(path);
}

static off_t file_size(const char *p)
{
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

static void recover_cuts_torn_tail(void **state)
{
    char *path = tmp_path("c.pcap");
    write_some(path, 10);
    off_t full = file_size(path);
    /* a torn record: header and part of the body */
    assert_int_equal(truncate(path, full - 30), 0);
    uint64_t kept, cut;
    assert_int_equal(yj_pcap_recover(path, &kept, &cut), 0);
    assert_int_equal(kept, 9);
    assert_int_equal(file_size(path), full - (16 + 28 + 109));
    assert_int_equal(cut, 16 + 28 + 109 - 30);
    /* a zero-filled tail (blocks allocated, data lost) is cut too */
    off_t good = file_size(path);
    FILE *f = fopen(path, "ab");
    char zeros[4096] = {0};
    fwrite(zeros, 1, sizeof zeros, f);
    fclose(f);
    assert_int_equal(yj_pcap_recover(path, &kept, &cut), 0);
    assert_int_equal(kept, 9);
    assert_int_equal(cut, sizeof zeros);
    assert_int_equal(file_size(path), good);
    /* a file cut inside its header gets a fresh header */
    assert_int_equal(truncate(path, 10), 0);
    assert_int_equal(yj_pcap_recover(path, &kept, &cut), 0);
    assert_int_equal(file_size(path), 24);
    assert_int_equal(yj_pcap_scan_file(path, NULL, NULL, NULL), 0);
    /* a foreign file is refused and left alone */
    assert_true(g_file_set_contents(path, "not a pcap at all, no", -1, NULL));
    assert_int_equal(yj_pcap_recover(path, NULL, NULL), YJ_EINVAL);
    assert_int_equal(file_size(path), 21);
    g_free(path);
}

static void sink_writer(const uint8_t *pkt, size_t len, int64_t at, bool sr, void *ud)
{
    assert_int_equal(yj_pcap_writer_append(ud, at, sr ? YJ_PCAP_RTCP : YJ_PCAP_RTP, pkt, len), 0);
}

static int count_frames(const char *path, int *frames)
{
    char *desc = g_strdup_printf(
        "filesrc location=%s ! pcapparse dst-port=5004 ! "
        "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96 ! "
        "rtpjitterbuffer ! rtpvp8depay ! vp8dec ! fakesink name=out signal-handoffs=true",
        path);
    GError *err = NULL;
    GstElement *pipe = gst_parse_launch(desc, &err);
    g_free(desc);
    assert_non_null(pipe);
    GstElement *out = gst_bin_get_by_name(GST_BIN(pipe), "out");
    *frames = 0;
    g_signal_connect_swapped(out, "handoff", G_CALLBACK(g_atomic_int_inc), frames);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *m =
        gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    int ok = m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS;
    if (m && !ok) {
        GError *e;
        gst_message_parse_error(m, &e, NULL);
        g_printerr("pcapparse pipeline: %s\n", e->message);
        g_error_free(e);
    }
    if (m)
        gst_message_unref(m);
    gst_object_unref(bus);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(out);
    gst_object_unref(pipe);
    return ok;
}

static void gstreamer_replays_vp8(void **state)
{
    char *path = tmp_path("v.pcap");
    yj_pcap_writer_t *w = yj_pcap_writer_open(path);
    gen_track_t t = {.video = true,
                     .width = 320,
                     .height = 180,
                     .fps = 25,
                     .seconds = 2,
                     .ssrc = 0x1234,
                     .start_us = 1700000000000000LL};
    long n = gen_track(&t, sink_writer, w);
    if (n < 50)
        g_printerr("gen_track: %ld packets\n", n);
    assert_true(n >= 50);
    assert_int_equal(yj_pcap_writer_close(w), 0);
    int frames;
    assert_true(count_frames(path, &frames));
    assert_int_equal(frames, 50);
    /* the SRs are there, on their own port */
    seen_t s = {0};
    int recs = yj_pcap_scan_file(path, collect, &s, NULL);
    assert_int_equal(recs, n + 2);
    g_free(path);
}

/* LeakSanitizer: what GLib's and fontconfig's own initialisers keep for
 * the life of the process is not ours to free: GLib's first quark block
 * (allocated by its constructor, abandoned by design once GStreamer's
 * quarks outgrow it) and fontconfig's configuration (pango loads it for
 * the labels). Matching the constructor needs full stacks at malloc. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\nleak:_dl_init\n";
}

int main(void)
{
    tmpdir = g_dir_make_tmp("yj-pcap-XXXXXX", NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip),
        cmocka_unit_test(refuses_bad_input),
        cmocka_unit_test(recover_cuts_torn_tail),
        cmocka_unit_test(gstreamer_replays_vp8),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    g_free(cmd);
    g_free(tmpdir);
    gst_deinit(); /* GStreamer's own allocations, for LeakSanitizer */
    return rc;
}
