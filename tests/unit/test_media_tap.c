/* SPDX-License-Identifier: Apache-2.0 */
/* test_media_tap.c — the media tap (media/tap.h) fed through the real
 * publisher path (publisher.c's yj_m_publisher_on_rtp / yj_m_publisher_on_sr, as the
 * transport calls them after SRTP): a tapped track's packets arrive with
 * their original SSRC, sequence number, timestamp and payload; an RTX
 * retransmission arrives unwrapped and only once; other layers and other
 * SSRCs' SRs do not arrive; the SR arrives as one 28-byte SR; on_end fires
 * when the publisher leaves the room; after yj_media_tap_close returns no
 * callback runs, even with the publisher's worker delivering meanwhile;
 * a keyframe request reaches the track's PLI path (stamps its throttle).
 * The publisher is an in-process peer record without ICE, as in
 * test_media_room.c: the wire send of the PLI is not observed here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/sfu_room.h"
#include "core/yj.h"

#include <string.h>

#define SSRC 1111u
#define RTX_SSRC 2222u
#define SSRC_HI 3333u

typedef struct {
    int n;
    uint16_t seq[64];
    uint32_t ts[64], ssrc[64];
    int pt[64];
    uint8_t first_byte[64]; /* first byte after the VP8 descriptor */
    int srs;
    uint8_t sr[64];
    size_t sr_len;
    int ends;
    gint closed;     /* set right after yj_media_tap_close returned */
    gint late_calls; /* callbacks seen after that */
    gint calls;
} rec_t;

static void on_rtp(const uint8_t *pkt, size_t len, int64_t arrival_us, void *ud)
{
    rec_t *r = ud;
    if (g_atomic_int_get(&r->closed))
        g_atomic_int_inc(&r->late_calls);
    g_atomic_int_inc(&r->calls);
    yj_rtp_t p;
    assert_int_equal(yj_rtp_parse(pkt, len, &p), 0);
    assert_true(arrival_us > 0);
    if (r->n < 64) {
        r->seq[r->n] = p.seq;
        r->ts[r->n] = p.ts;
        r->ssrc[r->n] = p.ssrc;
        r->pt[r->n] = p.pt;
        r->first_byte[r->n] = p.payload_len > 1 ? p.payload[1] : 0;
        r->n++;
    }
}

static void on_sr(const uint8_t *pkt, size_t len, int64_t arrival_us, void *ud)
{
    rec_t *r = ud;
    r->srs++;
    r->sr_len = len < sizeof r->sr ? len : sizeof r->sr;
    memcpy(r->sr, pkt, r->sr_len);
}

static void on_end(void *ud)
{
    ((rec_t *)ud)->ends++;
}

static const yj_media_tap_callbacks_t cbs = {.on_rtp = on_rtp, .on_sr = on_sr, .on_end = on_end};

typedef struct {
    yj_media_t *m;
    yj_media_room_t *room;
    yj_media_peer_t pub;
    yj_track_t *t;
} fix_t;

/* An engine (not started), a room, and peer "alice" publishing one VP8
 * track with RTX and two simulcast layers (SSRC, SSRC_HI). */
static void setup(fix_t *f)
{
    memset(f, 0, sizeof *f);
    yj_media_config_t cfg = {.workers = 1, .interfaces = "127.0.0.1"};
    char *err = NULL;
    f->m = yj_media_new(&cfg, &err);
    assert_non_null(f->m);
    f->room = yj_media_room_get(f->m, "tap");
    assert_non_null(f->room);
    yj_media_peer_t *p = &f->pub;
    strcpy(p->id, "alice");
    p->m = f->m;
    p->room = f->room;
    p->flags = YJ_MEDIA_PUBLISH;
    p->tracks = g_ptr_array_new();
    p->slots = g_ptr_array_new();
    g_mutex_init(&p->out_lock);
    yj_track_t *t = yj_m_track_new(p, "alice-v0", YJ_MEDIA_VIDEO);
    t->codec = YJ_CODEC_VP8;
    t->clock = 90000;
    t->pt = 96;
    g_strlcpy(t->fmtp, "max-fs=12288", sizeof t->fmtp);
    t->pt_codec[96] = YJ_CODEC_VP8;
    t->pt_codec[97] = YJ_CODEC_RTX;
    t->rtx_apt[97] = 96;
    t->nack = true;
    t->n_layers = 2;
    t->layers[0].ssrc = SSRC;
    t->layers[0].rtx_ssrc = RTX_SSRC;
    t->layers[1].ssrc = SSRC_HI;
    for (int i = 0; i < 2; i++)
        yj_nack_cache_init(&t->layers[i].cache, 1000000);
    yj_m_sfu_room_publish(f->room, p, t);
    f->t = t; /* our reference from yj_m_track_new */
}

static void teardown(fix_t *f)
{
    yj_m_sfu_room_remove_peer(f->room, &f->pub); /* no-op when already removed */
    yj_m_track_unref(f->t);
    g_ptr_array_free(f->pub.tracks, TRUE);
    g_ptr_array_free(f->pub.slots, TRUE);
    g_mutex_clear(&f->pub.out_lock);
    yj_media_room_unref(f->room);
    yj_media_free(f->m);
}

/* Sends one packet into the publisher path, as the transport does. */
static void feed(fix_t *f, uint32_t ssrc, uint8_t pt, uint16_t seq, uint32_t ts, uint8_t first,
                 int osn)
{
    uint8_t buf[YJ_RTP_MAX + YJ_SRTP_OVERHEAD];
    int h = yj_rtp_write_header(buf, sizeof buf, false, pt, seq, ts, ssrc, NULL, 0);
    assert_true(h > 0);
    size_t len = (size_t)h;
    if (osn >= 0) { /* RTX: original sequence number first */
        buf[len++] = (uint8_t)(osn >> 8);
        buf[len++] = (uint8_t)osn;
    }
    buf[len++] = 0x10; /* VP8 descriptor: start of partition, not a keyframe */
    buf[len++] = first;
    memset(buf + len, 0xab, 100);
    len += 100;
    yj_rtp_t pkt;
    assert_int_equal(yj_rtp_parse(buf, len, &pkt), 0);
    yj_m_publisher_on_rtp(&f->pub, buf, len, &pkt);
}

static void packets_sr_and_end(void **state)
{
    (void)state;
    fix_t f;
    setup(&f);
    rec_t r = {0}, hi = {0};
    yj_media_tap_callbacks_t none = {0};
    assert_null(yj_media_room_tap(f.room, "nobody-v0", 0, &cbs, &r, NULL));
    assert_null(yj_media_room_tap(f.room, "alice-v0", 0, NULL, &r, NULL));

    f.t->last_pli_us = 0;
    yj_media_tap_info_t info;
    yj_media_tap_t *tap = yj_media_room_tap(f.room, "alice-v0", 0, &cbs, &r, &info);
    assert_non_null(tap);
    assert_true(f.t->last_pli_us > 0); /* a keyframe asked for at once */
    assert_string_equal(info.peer_id, "alice");
    assert_string_equal(info.track_id, "alice-v0");
    assert_int_equal(info.kind, YJ_MEDIA_VIDEO);
    assert_string_equal(info.codec, "VP8");
    assert_int_equal(info.payload_type, 96);
    assert_int_equal(info.clock_rate, 90000);
    assert_int_equal(info.layer, 0);
    assert_int_equal(info.layers, 2);
    assert_string_equal(info.fmtp, "max-fs=12288");
    yj_media_tap_t *tap_hi = yj_media_room_tap(f.room, "alice-v0", -1, &cbs, &hi, &info);
    assert_non_null(tap_hi);
    assert_int_equal(info.layer, 1);
    yj_media_tap_t *quiet = yj_media_room_tap(f.room, "alice-v0", 0, &none, NULL, NULL);
    assert_non_null(quiet); /* no callbacks at all: counted only */

    feed(&f, SSRC, 96, 100, 9000, 1, -1);
    feed(&f, SSRC, 96, 101, 9000, 2, -1);
    feed(&f, SSRC, 96, 103, 12000, 4, -1);    /* 102 lost: awaited */
    feed(&f, SSRC_HI, 96, 500, 9000, 9, -1);  /* the other layer */
    feed(&f, RTX_SSRC, 97, 7, 12000, 3, 102); /* RTX fills the gap */
    feed(&f, RTX_SSRC, 97, 8, 12000, 3, 102); /* a second RTX of it */
    feed(&f, SSRC, 96, 103, 12000, 4, -1);    /* a duplicate */
    feed(&f, SSRC, 96, 104, 15000, 5, -1);
    assert_int_equal(r.n, 5);
    uint16_t want_seq[] = {100, 101, 103, 102, 104};
    uint32_t want_ts[] = {9000, 9000, 12000, 12000, 15000};
    uint8_t want_first[] = {1, 2, 4, 3, 5};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(r.seq[i], want_seq[i]);
        assert_int_equal(r.ts[i], want_ts[i]);
        assert_int_equal(r.ssrc[i], SSRC);
        assert_int_equal(r.pt[i], 96);
        assert_int_equal(r.first_byte[i], want_first[i]);
    }
    assert_int_equal(yj_media_tap_packets(tap), 5);
    assert_int_equal(yj_media_tap_packets(quiet), 5);
    assert_int_equal(hi.n, 1);
    assert_int_equal(hi.seq[0], 500);
    assert_int_equal(hi.ssrc[0], SSRC_HI);

    /* sender reports: only the tapped layer's SSRC, as one 28-byte SR */
    yj_rtcp_item_t sr = {.kind = YJ_RTCPI_SR,
                         .ssrc = SSRC,
                         .ntp_sec = 0xe1234567,
                         .ntp_frac = 0x89abcdef,
                         .rtp_ts = 15000,
                         .packets = 5,
                         .octets = 510};
    yj_m_publisher_on_sr(&f.pub, &sr, yj_m_now_us());
    yj_rtcp_item_t other = sr;
    other.ssrc = 4444;
    yj_m_publisher_on_sr(&f.pub, &other, yj_m_now_us());
    assert_int_equal(r.srs, 1);
    assert_int_equal(hi.srs, 0);
    assert_int_equal(r.sr_len, 28);
    uint8_t want_sr[28];
    assert_int_equal(yj_rtcp_write_sr(want_sr, sizeof want_sr, SSRC,
                                      (uint64_t)0xe1234567 << 32 | 0x89abcdef, 15000, 5, 510, NULL,
                                      0),
                     28);
    assert_memory_equal(r.sr, want_sr, 28);

    /* keyframe on request, throttled like every PLI of the track */
    f.t->last_pli_us = 0;
    assert_int_equal(yj_media_tap_request_keyframe(tap), 0);
    int64_t stamped = f.t->last_pli_us;
    assert_true(stamped > 0);
    assert_int_equal(yj_media_tap_request_keyframe(tap), 0);
    assert_int_equal(f.t->last_pli_us, stamped); /* within 300 ms: not again */

    /* the publisher leaves: on_end once, then nothing */
    yj_m_sfu_room_remove_peer(f.room, &f.pub);
    assert_int_equal(r.ends, 1);
    assert_int_equal(hi.ends, 1);
    feed(&f, SSRC, 96, 105, 18000, 6, -1);
    yj_m_publisher_on_sr(&f.pub, &sr, yj_m_now_us());
    assert_int_equal(r.n, 5);
    assert_int_equal(r.srs, 1);
    assert_int_equal(r.ends, 1);
    assert_int_equal(yj_media_tap_request_keyframe(tap), YJ_ESTATE);
    assert_null(yj_media_room_tap(f.room, "alice-v0", 0, &cbs, &r, NULL));
    yj_media_tap_close(tap);
    yj_media_tap_close(tap_hi);
    yj_media_tap_close(quiet);
    yj_media_tap_close(NULL);
    teardown(&f);
}

typedef struct {
    fix_t *f;
    gint stop;
    int sent;
} pump_t;

/* The publisher's worker: feeds packets until told to stop (bounded). */
static gpointer pump(gpointer data)
{
    pump_t *pp = data;
    uint16_t seq = 1;
    for (int i = 0; i < 2000000 && !g_atomic_int_get(&pp->stop); i++, seq++) {
        feed(pp->f, SSRC, 96, seq, (uint32_t)seq * 3000, 0, -1);
        pp->sent++;
    }
    return NULL;
}

static void wait_calls(rec_t *r, int n)
{
    for (int i = 0; i < 1000 && g_atomic_int_get(&r->calls) < n; i++)
        g_usleep(2000);
    assert_true(g_atomic_int_get(&r->calls) >= n);
}

static void no_callback_after_close(void **state)
{
    (void)state;
    fix_t f;
    setup(&f);
    rec_t a = {0}, b = {0};
    yj_media_tap_t *ta = yj_media_room_tap(f.room, "alice-v0", 0, &cbs, &a, NULL);
    yj_media_tap_t *tb = yj_media_room_tap(f.room, "alice-v0", 0, &cbs, &b, NULL);
    assert_non_null(ta);
    assert_non_null(tb);
    pump_t pp = {.f = &f};
    GThread *th = g_thread_new("pub-worker", pump, &pp);
    wait_calls(&a, 50);
    yj_media_tap_close(ta);
    g_atomic_int_set(&a.closed, 1);
    int at_close = g_atomic_int_get(&a.calls);
    /* the worker keeps delivering to the other tap meanwhile */
    wait_calls(&b, g_atomic_int_get(&b.calls) + 200);
    g_atomic_int_set(&pp.stop, 1);
    g_thread_join(th);
    assert_int_equal(g_atomic_int_get(&a.late_calls), 0);
    assert_int_equal(g_atomic_int_get(&a.calls), at_close);
    assert_true(g_atomic_int_get(&b.calls) > at_close);
    assert_int_equal(a.ends, 0); /* closed by its owner: no on_end */
    yj_media_tap_close(tb);
    teardown(&f);
    assert_int_equal(b.ends, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(packets_sr_and_end),
        cmocka_unit_test(no_callback_after_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
