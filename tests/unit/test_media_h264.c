/* SPDX-License-Identifier: Apache-2.0 */
/* test_media_h264.c — H.264 keyframe detection (yj_h264_is_keyframe in
 * media/rtp.c), which opens the SFU's keyframe gate and the simulcast
 * layer switch: first on hand-made payloads of every packetization
 * (single NAL, STAP-A, FU-A, and the types RFC 6184 mode 1 never uses),
 * then on what a real packetizer sends. gst-launch-1.0 encodes test video
 * with openh264enc at a known IDR interval and rtph264pay packetizes it
 * three ways (SPS, PPS and IDR as single NAL units; SPS+PPS in a STAP-A
 * before an FU-A IDR; a whole IDR access unit in one STAP-A) into a file
 * (RFC 4571 framing); the frame index from the RTP timestamp says which
 * packets belong to an IDR, independently of the code under test.
 * The picture size read from the SPS (yj_h264_sps_size, the height that
 * ranks simulcast layers) is checked on the same streams and on SPSs
 * libx264 (through ffmpeg) writes for high profiles: interlaced, 4:2:2 and
 * 4:4:4 with cropping; and on a hand-made SPS with what x264 never writes
 * (scaling lists, picture order count type 1, emulation prevention).
 * GStreamer runs in a child process: GLib deliberately leaks its old quark
 * table once GStreamer has made a few thousand quarks, which LeakSanitizer
 * would report. Skipped when openh264enc is not installed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/rtp.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <string.h>

static void handmade(void **state)
{
    (void)state;
    /* single NAL units: IDR and SPS open the gate, whatever the NRI bits */
    const uint8_t idr[] = {0x65, 0x88}, idr_nri1[] = {0x25, 0x88}, sps[] = {0x67, 0x42},
                  pps[] = {0x68, 0xce}, sei[] = {0x06, 0x05}, slice[] = {0x41, 0x9a},
                  slice_a[] = {0x02, 0x9a}, aud[] = {0x09, 0xf0};
    assert_true(yj_h264_is_keyframe(idr, sizeof idr));
    assert_true(yj_h264_is_keyframe(idr_nri1, sizeof idr_nri1));
    assert_true(yj_h264_is_keyframe(sps, sizeof sps));
    assert_false(yj_h264_is_keyframe(pps, sizeof pps));
    assert_false(yj_h264_is_keyframe(sei, sizeof sei));
    assert_false(yj_h264_is_keyframe(slice, sizeof slice));
    assert_false(yj_h264_is_keyframe(slice_a, sizeof slice_a));
    assert_false(yj_h264_is_keyframe(aud, sizeof aud));
    assert_false(yj_h264_is_keyframe(idr, 0));

    /* STAP-A: an IDR anywhere in it counts; PPS + P-slice does not */
    const uint8_t stap_sps_pps_idr[] = {0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02,
                                        0x68, 0xce, 0x00, 0x02, 0x65, 0x88};
    const uint8_t stap_sei_idr[] = {0x18, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x65, 0x88};
    const uint8_t stap_pps_slice[] = {0x18, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x41, 0x9a};
    const uint8_t stap_one_byte_idr[] = {0x18, 0x00, 0x01, 0x65};
    assert_true(yj_h264_is_keyframe(stap_sps_pps_idr, sizeof stap_sps_pps_idr));
    assert_true(yj_h264_is_keyframe(stap_sei_idr, sizeof stap_sei_idr));
    assert_false(yj_h264_is_keyframe(stap_pps_slice, sizeof stap_pps_slice));
    assert_true(yj_h264_is_keyframe(stap_one_byte_idr, sizeof stap_one_byte_idr));
    /* truncated or empty STAP-A units refuse before reaching the IDR */
    assert_false(yj_h264_is_keyframe(stap_sei_idr, 7));
    assert_false(yj_h264_is_keyframe(stap_sei_idr, 8));
    const uint8_t stap_zero[] = {0x18, 0x00, 0x00, 0x00, 0x02, 0x65, 0x88};
    assert_false(yj_h264_is_keyframe(stap_zero, sizeof stap_zero));
    assert_false(yj_h264_is_keyframe(stap_sei_idr, 1));

    /* FU-A: only the start fragment of an IDR (or SPS) */
    const uint8_t fu_idr_start[] = {0x7c, 0x85, 0xb8}, fu_idr_mid[] = {0x7c, 0x05, 0x00},
                  fu_idr_end[] = {0x7c, 0x45, 0x00}, fu_slice_start[] = {0x5c, 0x81, 0x9a};
    assert_true(yj_h264_is_keyframe(fu_idr_start, sizeof fu_idr_start));
    assert_false(yj_h264_is_keyframe(fu_idr_mid, sizeof fu_idr_mid));
    assert_false(yj_h264_is_keyframe(fu_idr_end, sizeof fu_idr_end));
    assert_false(yj_h264_is_keyframe(fu_slice_start, sizeof fu_slice_start));
    assert_false(yj_h264_is_keyframe(fu_idr_start, 1));

    /* STAP-B, MTAP16/24, FU-B (not allowed in mode 1) and reserved types */
    for (uint8_t t = 25; t <= 31; t++) {
        if (t == 28)
            continue;
        const uint8_t pkt[] = {(uint8_t)(0x60 | t), 0x85, 0x00, 0x02, 0x65, 0x88};
        assert_false(yj_h264_is_keyframe(pkt, sizeof pkt));
    }
    const uint8_t forbidden0[] = {0x00, 0x00};
    assert_false(yj_h264_is_keyframe(forbidden0, sizeof forbidden0));
}

#define GOP 10
#define FRAMES 35

typedef struct {
    const char *name;
    const char *caps; /* raw video caps */
    const char *pay;  /* rtph264pay properties */
    /* whether some IDR frames (all others: none) come in that shape */
    bool stap_first; /* first packet a STAP-A */
    bool fua_idr;    /* the IDR slice in FU-As */
    bool sps_first;  /* first packet a lone SPS */
    int width, height;
} pkz_t;

static bool have_openh264(void)
{
    gchar *argv[] = {"gst-inspect-1.0", "--exists", "openh264enc", NULL};
    gint status = -1;
    if (!g_spawn_sync(NULL, argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, NULL, NULL, &status, NULL))
        return false;
    return g_spawn_check_wait_status(status, NULL);
}

/* The packets of FRAMES frames (IDR every GOP) packetized as z says, as
 * RFC 4571 records (16-bit length, packet) in a buffer the caller frees. */
static guint8 *packetize(const pkz_t *z, gsize *len)
{
    gchar *path = NULL;
    int fd = g_file_open_tmp("yj-h264-XXXXXX.rtp", &path, NULL);
    assert_true(fd >= 0);
    close(fd);
    gchar *cmd = g_strdup_printf(
        "gst-launch-1.0 -q videotestsrc num-buffers=%d pattern=ball ! %s,framerate=30/1 "
        "! openh264enc gop-size=%d scene-change-detection=false "
        "! video/x-h264,profile=constrained-baseline ! rtph264pay pt=102 %s config-interval=-1 "
        "! rtpstreampay ! filesink location=%s",
        FRAMES, z->caps, GOP, z->pay, path);
    gchar **argv = NULL;
    assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    gint status = -1;
    gchar *err = NULL;
    assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                             NULL, NULL, NULL, &err, &status, NULL));
    if (!g_spawn_check_wait_status(status, NULL))
        fail_msg("%s failed: %s", cmd, err);
    guint8 *data = NULL;
    assert_true(g_file_get_contents(path, (gchar **)&data, len, NULL));
    g_unlink(path);
    g_free(path);
    g_free(err);
    g_strfreev(argv);
    g_free(cmd);
    return data;
}

/* Checks the gate decision on every packet of z's stream against the
 * frame index. */
static void run_packetizer(const pkz_t *z)
{
    gsize len = 0;
    guint8 *data = packetize(z, &len);
    /* per frame: packets, keyframe packets, whether its first packet was key */
    int packets[FRAMES] = {0}, keys[FRAMES] = {0}, first_key[FRAMES] = {0}, first_type[FRAMES];
    int stap_idr = 0, fua_idr = 0, single_sps = 0, total = 0;
    uint32_t ts0 = 0;
    for (gsize off = 0; off + 2 <= len;) {
        size_t n = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        assert_true(off + n <= len);
        yj_rtp_t p;
        assert_int_equal(yj_rtp_parse(data + off, n, &p), 0);
        off += n;
        if (total == 0)
            ts0 = p.ts;
        int f = (int)((p.ts - ts0 + 1500) / 3000); /* 90 kHz, 30 fps */
        assert_true(f >= 0 && f < FRAMES);
        bool key = yj_h264_is_keyframe(p.payload, p.payload_len);
        uint8_t type = p.payload[0] & 0x1f;
        if (packets[f] == 0) {
            first_key[f] = key;
            first_type[f] = type;
            int w = 0, h = 0;
            bool sized = yj_h264_sps_size(p.payload, p.payload_len, &w, &h);
            if (f % GOP == 0 && (!sized || w != z->width || h != z->height))
                fail_msg("%s: IDR frame %d: SPS size %s %dx%d, want %dx%d", z->name, f,
                         sized ? "read" : "not read", w, h, z->width, z->height);
            if (f % GOP != 0)
                assert_false(sized);
            if (f % GOP == 0) {
                stap_idr += type == 24;
                single_sps += type == 7;
            }
        }
        if (f % GOP == 0 && type == 28 && (p.payload[1] & 0x80) && (p.payload[1] & 0x1f) == 5)
            fua_idr++;
        packets[f]++;
        keys[f] += key;
        total++;
    }
    g_free(data);

    print_message("%s: %d packets, %d STAP-A / %d FU-A / %d SPS-first IDR frames\n", z->name, total,
                  stap_idr, fua_idr, single_sps);
    for (int f = 0; f < FRAMES; f++) {
        assert_true(packets[f] > 0);
        if (f % GOP == 0) {
            /* the gate opens on the access unit's first packet */
            if (!first_key[f])
                fail_msg("%s: IDR frame %d: its first packet (NAL type %d) does not open the gate",
                         z->name, f, first_type[f]);
        } else if (keys[f] != 0) {
            fail_msg("%s: frame %d is not an IDR but %d packets open the gate", z->name, f,
                     keys[f]);
        }
    }
    assert_int_equal(stap_idr > 0, z->stap_first);
    assert_int_equal(fua_idr > 0, z->fua_idr);
    assert_int_equal(single_sps > 0, z->sps_first);
}

static void real_packetizer(void **state)
{
    (void)state;
    if (!have_openh264()) {
        print_message("openh264enc missing: skipped\n");
        skip();
    }
    static const pkz_t cases[] = {
        /* SPS, PPS and the IDR each their own packet (the IDR in FU-As) */
        {"single NAL units", "video/x-raw,width=320,height=240", "aggregate-mode=none mtu=400",
         false, true, true, 320, 240},
        /* Chromium's shape: STAP-A(SPS, PPS), then the IDR in FU-As */
        {"STAP-A + FU-A", "video/x-raw,width=320,height=240", "aggregate-mode=zero-latency mtu=400",
         true, true, false, 320, 240},
        /* a tiny picture: SPS, PPS and the IDR all in one STAP-A */
        {"one STAP-A", "video/x-raw,width=32,height=32", "aggregate-mode=zero-latency mtu=1200",
         true, false, false, 32, 32},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_packetizer(&cases[i]);
}

static bool have_libx264(void)
{
    gchar *argv[] = {"ffmpeg", "-hide_banner", "-encoders", NULL};
    gchar *out = NULL;
    gint status = -1;
    bool ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                           NULL, &out, NULL, &status, NULL) &&
              g_spawn_check_wait_status(status, NULL) && strstr(out, "libx264");
    g_free(out);
    return ok;
}

/* The first SPS NAL unit (header byte first, no start code) of one frame
 * libx264 encodes with size and args; the caller frees it. */
static guint8 *x264_sps(const char *size, const char *args, size_t *len)
{
    gchar *path = NULL;
    int fd = g_file_open_tmp("yj-sps-XXXXXX.h264", &path, NULL);
    assert_true(fd >= 0);
    close(fd);
    gchar *cmd = g_strdup_printf("ffmpeg -hide_banner -loglevel error -y -f lavfi -i "
                                 "testsrc2=size=%s:rate=25 -frames:v 1 -c:v libx264 %s -f h264 %s",
                                 size, args, path);
    gchar **argv = NULL;
    assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    gint status = -1;
    gchar *err = NULL;
    assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                             NULL, NULL, NULL, &err, &status, NULL));
    if (!g_spawn_check_wait_status(status, NULL))
        fail_msg("%s failed: %s", cmd, err);
    gchar *data = NULL;
    gsize n = 0;
    assert_true(g_file_get_contents(path, &data, &n, NULL));
    g_unlink(path);
    const guint8 *d = (const guint8 *)data;
    guint8 *sps = NULL;
    /* Annex B: NAL units follow 00 00 01 and end at the next start code */
    for (gsize i = 0; i + 3 < n && !sps; i++) {
        if (d[i] || d[i + 1] || d[i + 2] != 1 || (d[i + 3] & 0x1f) != 7)
            continue;
        gsize end = i + 3;
        while (end + 2 < n && !(d[end] == 0 && d[end + 1] == 0 && d[end + 2] <= 1))
            end++;
        if (end + 2 >= n)
            end = n;
        *len = end - (i + 3);
        sps = g_memdup2(d + i + 3, *len);
    }
    assert_non_null(sps);
    g_free(data);
    g_free(path);
    g_free(err);
    g_strfreev(argv);
    g_free(cmd);
    return sps;
}

static void x264_sps_sizes(void **state)
{
    (void)state;
    if (!have_libx264()) {
        print_message("ffmpeg with libx264 missing: skipped\n");
        skip();
    }
    static const struct {
        const char *size, *args;
        int width, height;
    } cases[] = {
        /* 1088 coded lines, 8 cropped */
        {"1920x1080", "-profile:v high", 1920, 1080},
        /* frame_mbs_only_flag 0: the height counts field macroblock pairs */
        {"720x576", "-profile:v high -flags +ildct+ilme -x264-params interlaced=1", 720, 576},
        /* 4:2:2 (crop unit 2x1), cropping inside the last macroblocks */
        {"1278x718", "-pix_fmt yuv422p -profile:v high422", 1278, 718},
        /* 4:4:4 (crop unit 1x1) */
        {"638x358", "-pix_fmt yuv444p -profile:v high444", 638, 358},
        {"176x144", "-profile:v baseline", 176, 144},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0;
        guint8 *sps = x264_sps(cases[i].size, cases[i].args, &len);
        int w = 0, h = 0;
        if (!yj_h264_sps_size(sps, len, &w, &h) || w != cases[i].width || h != cases[i].height)
            fail_msg("%s %s: got %dx%d", cases[i].size, cases[i].args, w, h);
        /* the same SPS inside a STAP-A, after a PPS */
        guint8 stap[300];
        assert_true(len + 9 <= sizeof stap);
        const guint8 head[] = {0x78, 0x00, 0x02, 0x68, 0xce, (guint8)(len >> 8), (guint8)len};
        memcpy(stap, head, sizeof head);
        memcpy(stap + sizeof head, sps, len);
        w = h = 0;
        assert_true(yj_h264_sps_size(stap, sizeof head + len, &w, &h));
        assert_int_equal(w, cases[i].width);
        assert_int_equal(h, cases[i].height);
        /* every truncation fails or reads a size, never past the end */
        for (size_t cut = 0; cut < len; cut++) {
            guint8 *t = g_memdup2(sps, cut);
            yj_h264_sps_size(t, cut, &w, &h);
            g_free(t);
        }
        g_free(sps);
    }
    /* not an SPS, malformed Exp-Golomb (32 zero bits), STAP-A without SPS */
    const guint8 pps[] = {0x68, 0xce, 0x3c, 0x80},
                 zeros[] = {0x67, 0x42, 0xc0, 0x1f, 0, 0, 0, 0, 0};
    const guint8 stap_pps[] = {0x18, 0x00, 0x02, 0x68, 0xce};
    int w, h;
    assert_false(yj_h264_sps_size(pps, sizeof pps, &w, &h));
    assert_false(yj_h264_sps_size(zeros, sizeof zeros, &w, &h));
    assert_false(yj_h264_sps_size(stap_pps, sizeof stap_pps, &w, &h));
}

/* A bit writer for hand-made SPSs (Exp-Golomb as in H.264 9.1). */
typedef struct {
    guint8 b[1024];
    size_t bit;
} bw_t;

static void put_bits(bw_t *w, uint32_t v, int n)
{
    assert_true(w->bit + (size_t)n <= sizeof w->b * 8);
    for (int i = n - 1; i >= 0; i--, w->bit++)
        if (v >> i & 1)
            w->b[w->bit >> 3] |= (guint8)(0x80 >> (w->bit & 7));
}

static void put_ue(bw_t *w, uint32_t v)
{
    int len = 0;
    while ((((uint64_t)v + 1) >> (len + 1)) != 0)
        len++;
    put_bits(w, 0, len);
    put_bits(w, v + 1, len + 1);
}

static void put_se(bw_t *w, int32_t v)
{
    put_ue(w, v > 0 ? (uint32_t)v * 2 - 1 : (uint32_t)(-v) * 2);
}

/* Ends the RBSP and escapes it into a NAL unit (type 7) in out. */
static size_t finish_nal(bw_t *w, guint8 *out)
{
    put_bits(w, 1, 1); /* rbsp_stop_one_bit, then zero alignment */
    size_t n = (w->bit + 7) / 8, o = 0;
    out[o++] = 0x67;
    int zeros = 0;
    for (size_t i = 0; i < n; i++) {
        if (zeros >= 2 && w->b[i] <= 3) {
            out[o++] = 3;
            zeros = 0;
        }
        out[o++] = w->b[i];
        zeros = w->b[i] == 0 ? zeros + 1 : 0;
    }
    return o;
}

/* SPS syntax libx264 does not write: scaling lists in the SPS (x264 puts
 * them in the PPS), picture order count type 1 with a long cycle, large
 * Exp-Golomb values whose zero bytes need emulation prevention. */
static void handmade_sps(void **state)
{
    (void)state;
    bw_t w = {0};
    put_bits(&w, 100, 8); /* High */
    put_bits(&w, 0, 8);
    put_bits(&w, 40, 8);
    put_ue(&w, 0); /* sps id */
    put_ue(&w, 1); /* 4:2:0 */
    put_ue(&w, 0);
    put_ue(&w, 0);
    put_bits(&w, 0, 1);
    put_bits(&w, 1, 1); /* seq_scaling_matrix_present_flag */
    for (int i = 0; i < 8; i++) {
        bool present = i != 1;
        put_bits(&w, present, 1);
        if (!present)
            continue;
        int size = i < 6 ? 16 : 64;
        if (i == 2) {
            put_se(&w, -8); /* nextScale 0 at once: the default list */
            continue;
        }
        for (int j = 0, last = 8; j < size; j++) {
            int want = 4 + (j * 7 + i) % 60;
            int delta = want - last;
            if (delta > 127)
                delta -= 256;
            if (delta < -128)
                delta += 256;
            put_se(&w, delta);
            last = want;
        }
    }
    put_ue(&w, 0); /* log2_max_frame_num_minus4 */
    put_ue(&w, 1); /* pic_order_cnt_type 1 */
    put_bits(&w, 0, 1);
    put_se(&w, -(1 << 20)); /* 21 leading zero bits, zero value bits */
    put_se(&w, 3);
    put_ue(&w, 20); /* cycle */
    for (int i = 0; i < 20; i++)
        put_se(&w, i % 2 ? 1 << 18 : -5);
    put_ue(&w, 4);      /* max_num_ref_frames */
    put_bits(&w, 0, 1); /* gaps */
    put_ue(&w, 80 - 1); /* 1280 */
    put_ue(&w, 45 - 1); /* 720 */
    put_bits(&w, 1, 1); /* frame_mbs_only */
    put_bits(&w, 1, 1); /* direct_8x8 */
    put_bits(&w, 1, 1); /* frame_cropping_flag */
    put_ue(&w, 0);      /* left */
    put_ue(&w, 4);      /* right: 8 pixels */
    put_ue(&w, 0);      /* top */
    put_ue(&w, 2);      /* bottom: 4 lines */
    put_bits(&w, 0, 1); /* no VUI */
    guint8 nal[1400];
    size_t n = finish_nal(&w, nal);
    bool escaped = false;
    for (size_t i = 2; i < n; i++)
        escaped |= nal[i] == 3 && nal[i - 1] == 0 && nal[i - 2] == 0;
    assert_true(escaped);
    int wd = 0, ht = 0;
    assert_true(yj_h264_sps_size(nal, n, &wd, &ht));
    assert_int_equal(wd, 1272);
    assert_int_equal(ht, 716);
    /* a delta_scale out of range (-129) is refused */
    bw_t bad = {0};
    put_bits(&bad, 100, 8);
    put_bits(&bad, 0, 16);
    put_ue(&bad, 0);
    put_ue(&bad, 1);
    put_ue(&bad, 0);
    put_ue(&bad, 0);
    put_bits(&bad, 0, 1);
    put_bits(&bad, 1, 1);
    put_bits(&bad, 1, 1);
    put_se(&bad, -129);
    for (int i = 0; i < 40; i++)
        put_ue(&bad, 0);
    n = finish_nal(&bad, nal);
    assert_false(yj_h264_sps_size(nal, n, &wd, &ht));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handmade),
        cmocka_unit_test(real_packetizer),
        cmocka_unit_test(x264_sps_sizes),
        cmocka_unit_test(handmade_sps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
