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
         false, true, true},
        /* Chromium's shape: STAP-A(SPS, PPS), then the IDR in FU-As */
        {"STAP-A + FU-A", "video/x-raw,width=320,height=240", "aggregate-mode=zero-latency mtu=400",
         true, true, false},
        /* a tiny picture: SPS, PPS and the IDR all in one STAP-A */
        {"one STAP-A", "video/x-raw,width=32,height=32", "aggregate-mode=zero-latency mtu=1200",
         true, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_packetizer(&cases[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handmade),
        cmocka_unit_test(real_packetizer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
