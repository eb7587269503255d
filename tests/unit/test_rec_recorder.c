/* SPDX-License-Identifier: Apache-2.0 */
/* test_rec_recorder.c — the recorder between a media room and the store:
 * a 党课 meeting is recorded when its room goes live; each published track
 * (fed through the real publisher path, as in test_media_tap.c) lands in
 * its own pcap file; the manifest holds the publisher's name, packet
 * counts, first/last times, the SR's NTP↔RTP mapping, joins, mutes and
 * leaves; the recording finishes once the tracks end; a 支委会 meeting is
 * not recorded unless the host turns it on; the quota stops a recording
 * with an announcement; and crash recovery cuts a torn file and marks the
 * recording stopped ("crash"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/publisher.h"
#include "media/sfu_room.h"
#include "media/track.h"
#include "media/worker.h"
#include "recordings/pcap.h"
#include "recordings/recorder.h"
#include "recordings/store.h"
#include "core/demo.h"
#include "daemon/migrations.h"
#include "fixture_store.h" /* sqlite3.h for the row checks */
#include "core/yj.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VSSRC 1111u
#define ASSRC 2222u

typedef struct {
    char *dir, *root;
    yj_store_t *st;
    yj_media_t *m;
    yj_media_room_t *room;
    yj_media_peer_t pub;
    yj_track_t *v, *a;
    int64_t meeting;
    GMutex mu;
    int announced_on, announced_off;
    char last_reason[32];
    int64_t finished;
} fix_t;

static void announce(int64_t meeting, bool on, const char *reason, void *ud)
{
    fix_t *f = ud;
    g_mutex_lock(&f->mu);
    if (on)
        f->announced_on++;
    else
        f->announced_off++;
    g_strlcpy(f->last_reason, reason, sizeof f->last_reason);
    g_mutex_unlock(&f->mu);
}

static void finished(int64_t meeting, int64_t rec_id, void *ud)
{
    fix_t *f = ud;
    g_mutex_lock(&f->mu);
    f->finished = rec_id;
    g_mutex_unlock(&f->mu);
}

static const yj_recorder_callbacks_t cbs = {.announce = announce, .finished = finished};

static int64_t add_meeting(fix_t *f, const char *type)
{
    assert_int_equal(yj_store_run(f->st, 0,
                                  "INSERT INTO meetings (org_id, title, type, start_at, "
                                  "duration_minutes, host_admin_id, status, created_by, "
                                  "created_at) SELECT o.id, '测试会议', ?, 0, 60, a.id, 'live', "
                                  "'t', 0 FROM orgs o, admins a ORDER BY o.id, a.id LIMIT 1",
                                  "s", type),
                     0);
    sqlite3_stmt *s = yj_db_query(yj_store_reader(f->st), "SELECT max(id) FROM meetings", "");
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return id;
}

static yj_track_t *add_track(fix_t *f, const char *id, yj_media_kind_t kind, uint32_t ssrc)
{
    yj_track_t *t = yj_m_track_new(&f->pub, id, kind);
    t->codec = kind == YJ_MEDIA_VIDEO ? YJ_CODEC_VP8 : YJ_CODEC_OPUS;
    t->clock = kind == YJ_MEDIA_VIDEO ? 90000 : 48000;
    t->pt = kind == YJ_MEDIA_VIDEO ? 96 : 111;
    t->pt_codec[t->pt] = t->codec;
    t->n_layers = 1;
    t->layers[0].ssrc = ssrc;
    yj_nack_cache_init(&t->layers[0].cache, 1000000);
    yj_m_sfu_room_publish(f->room, &f->pub, t);
    return t;
}

static void setup_fix(fix_t *f, const char *type)
{
    memset(f, 0, sizeof *f);
    g_mutex_init(&f->mu);
    f->dir = g_dir_make_tmp("yj-recr-XXXXXX", NULL);
    f->root = g_build_filename(f->dir, "recordings", NULL);
    char *db = g_build_filename(f->dir, "t.db", NULL);
    char *err = NULL;
    f->st = yj_daemon_store_open(db, &err);
    g_free(db);
    assert_non_null(f->st);
    assert_int_equal(yj_demo_seed(f->st, &err), 1);
    f->meeting = add_meeting(f, type);
    yj_media_config_t cfg = {.workers = 1, .interfaces = "127.0.0.1"};
    f->m = yj_media_new(&cfg, &err);
    assert_non_null(f->m);
    char name[48];
    g_snprintf(name, sizeof name, "meeting-%" G_GINT64_FORMAT, f->meeting);
    f->room = yj_media_room_get(f->m, name);
    yj_media_peer_t *p = &f->pub;
    strcpy(p->id, "p7");
    p->m = f->m;
    p->room = f->room;
    p->flags = YJ_MEDIA_PUBLISH;
    p->tracks = g_ptr_array_new();
    p->slots = g_ptr_array_new();
    g_mutex_init(&p->out_lock);
    f->v = add_track(f, "p7-v0", YJ_MEDIA_VIDEO, VSSRC);
    f->a = add_track(f, "p7-a0", YJ_MEDIA_AUDIO, ASSRC);
}

static void teardown_fix(fix_t *f)
{
    yj_m_sfu_room_remove_peer(f->room, &f->pub);
    yj_m_track_unref(f->v);
    yj_m_track_unref(f->a);
    g_ptr_array_free(f->pub.tracks, TRUE);
    g_ptr_array_free(f->pub.slots, TRUE);
    g_mutex_clear(&f->pub.out_lock);
    yj_media_room_unref(f->room);
    yj_media_free(f->m);
    yj_store_close(f->st);
    char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    g_free(cmd);
    g_free(f->root);
    g_free(f->dir);
}

static void feed(fix_t *f, uint32_t ssrc, uint8_t pt, uint16_t seq, uint32_t ts)
{
    uint8_t buf[YJ_RTP_MAX + YJ_SRTP_OVERHEAD];
    int h = yj_rtp_write_header(buf, sizeof buf, false, pt, seq, ts, ssrc, NULL, 0);
    size_t len = (size_t)h;
    buf[len++] = 0x10;
    buf[len++] = 0;
    memset(buf + len, 0xab, 300);
    len += 300;
    yj_rtp_t pkt;
    assert_int_equal(yj_rtp_parse(buf, len, &pkt), 0);
    yj_m_publisher_on_rtp(&f->pub, buf, len, &pkt);
}

static int64_t wait_finished(fix_t *f)
{
    for (int i = 0; i < 500; i++) {
        g_mutex_lock(&f->mu);
        int64_t id = f->finished;
        g_mutex_unlock(&f->mu);
        if (id)
            return id;
        g_usleep(10000);
    }
    fail_msg("recording never finished");
    return 0;
}

static json_t *track_of(json_t *man, const char *kind)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(man, "tracks"), i,
                       t) if (strcmp(json_string_value(json_object_get(t, "kind")), kind) ==
                              0) return t;
    return NULL;
}

static int count_events(json_t *man, const char *kind, const char *detail)
{
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(man, "events"), i, e)
    {
        const char *d = json_string_value(json_object_get(e, "detail"));
        if (strcmp(json_string_value(json_object_get(e, "kind")), kind) == 0 &&
            (!detail || (d && strcmp(d, detail) == 0)))
            n++;
    }
    return n;
}

static void lecture_recorded_per_track(void **state)
{
    fix_t f;
    setup_fix(&f, "lecture");
    yj_recorder_options_t o = {.root = f.root};
    yj_recorder_t *r = yj_recorder_new(f.st, f.m, &o, &cbs, &f);
    assert_non_null(r);
    yj_recorder_participant(r, f.meeting, 0, "p7", "110101199003074530", "张三", false, false,
                            false);
    assert_false(yj_recorder_active(r, f.meeting));
    yj_recorder_meeting_live(r, f.meeting);
    yj_recorder_flush(r);
    assert_true(yj_recorder_active(r, f.meeting));
    assert_int_equal(f.announced_on, 1);
    for (uint16_t i = 0; i < 50; i++) {
        feed(&f, VSSRC, 96, (uint16_t)(1000 + i), 3000u * i);
        feed(&f, ASSRC, 111, (uint16_t)(500 + i), 960u * i);
    }
    yj_rtcp_item_t sr = {.kind = YJ_RTCPI_SR,
                         .ssrc = VSSRC,
                         .ntp_sec = 1700000000u + 2208988800u,
                         .ntp_frac = 0x40000000u,
                         .rtp_ts = 123456,
                         .packets = 50,
                         .octets = 15000};
    yj_m_publisher_on_sr(&f.pub, &sr, yj_m_now_us());
    yj_recorder_participant(r, f.meeting, 1, "p7", "110101199003074530", "张三", true, false,
                            false);
    yj_recorder_flush(r);
    /* the publisher leaves: both taps end, the files close, finished */
    yj_m_sfu_room_remove_peer(f.room, &f.pub);
    yj_recorder_participant(r, f.meeting, 2, "p7", NULL, NULL, false, false, false);
    yj_recorder_flush(r);
    int64_t left_by = g_get_real_time();
    g_usleep(300 * 1000); /* the meeting's grace time, shortened */
    yj_recorder_meeting_ended(r, f.meeting);
    int64_t id = wait_finished(&f);
    assert_false(yj_recorder_active(r, f.meeting));
    json_t *man = yj_rec_store_manifest(f.st, id);
    assert_non_null(man);
    assert_string_equal(json_string_value(json_object_get(man, "status")), "stopped");
    /* it ended empty: the recording stops when the last one left */
    assert_true(json_integer_value(json_object_get(man, "stopped_us")) <= left_by);
    json_t *v = track_of(man, "video"), *a = track_of(man, "audio");
    assert_non_null(v);
    assert_non_null(a);
    assert_string_equal(json_string_value(json_object_get(v, "display_name")), "张三");
    assert_string_equal(json_string_value(json_object_get(v, "member_id")), "110101199003074530");
    assert_string_equal(json_string_value(json_object_get(v, "codec")), "VP8");
    assert_string_equal(json_string_value(json_object_get(a, "codec")), "opus");
    assert_int_equal(json_integer_value(json_object_get(v, "packets")), 50);
    assert_int_equal(json_integer_value(json_object_get(a, "packets")), 50);
    assert_int_equal(json_integer_value(json_object_get(v, "closed")), 1);
    assert_int_equal(json_integer_value(json_object_get(v, "sr_count")), 1);
    assert_int_equal(json_integer_value(json_object_get(v, "sr_first_ntp_us")), 1700000000250000LL);
    assert_int_equal(json_integer_value(json_object_get(v, "sr_first_rtp")), 123456);
    assert_true(json_integer_value(json_object_get(v, "first_us")) > 0);
    assert_true(json_integer_value(json_object_get(v, "last_us")) >=
                json_integer_value(json_object_get(v, "first_us")));
    assert_int_equal(count_events(man, "join", NULL), 1);
    assert_int_equal(count_events(man, "mute", "audio"), 1);
    assert_int_equal(count_events(man, "leave", NULL), 1);
    assert_int_equal(count_events(man, "start", NULL), 1);
    assert_int_equal(count_events(man, "stop", "ended"), 1);
    /* the video file holds the 50 packets and the SR, in order */
    char *path = g_build_filename(f.root, json_string_value(json_object_get(man, "dir")),
                                  json_string_value(json_object_get(v, "file")), NULL);
    assert_int_equal(yj_pcap_scan_file(path, NULL, NULL, NULL), 51);
    g_free(path);
    json_decref(man);
    yj_recorder_free(r);
    teardown_fix(&f);
}

static void committee_only_when_host_asks(void **state)
{
    fix_t f;
    setup_fix(&f, "committee");
    yj_recorder_options_t o = {.root = f.root};
    yj_recorder_t *r = yj_recorder_new(f.st, f.m, &o, &cbs, &f);
    yj_recorder_meeting_live(r, f.meeting);
    yj_recorder_flush(r);
    assert_false(yj_recorder_active(r, f.meeting));
    yj_recorder_set(r, f.meeting, true, "书记");
    yj_recorder_flush(r);
    assert_true(yj_recorder_active(r, f.meeting));
    bool want = false;
    assert_int_equal(yj_rec_store_wanted(f.st, f.meeting, &want), 0);
    assert_true(want);
    feed(&f, VSSRC, 96, 1, 0);
    yj_recorder_set(r, f.meeting, false, "书记");
    int64_t id = wait_finished(&f);
    assert_false(yj_recorder_active(r, f.meeting));
    assert_string_equal(f.last_reason, "host");
    json_t *man = yj_rec_store_manifest(f.st, id);
    assert_int_equal(json_array_size(json_object_get(man, "tracks")), 2);
    json_decref(man);
    yj_recorder_free(r);
    teardown_fix(&f);
}

static void quota_stops_with_notice(void **state)
{
    fix_t f;
    setup_fix(&f, "lecture");
    yj_recorder_options_t o = {.root = f.root, .quota_bytes = 20000};
    yj_recorder_t *r = yj_recorder_new(f.st, f.m, &o, &cbs, &f);
    yj_recorder_meeting_live(r, f.meeting);
    yj_recorder_flush(r);
    assert_false(yj_recorder_active(r, f.meeting)); /* an empty meeting records nothing */
    yj_recorder_participant(r, f.meeting, 0, "p7", NULL, "书记", false, false, false);
    yj_recorder_flush(r);
    assert_true(yj_recorder_active(r, f.meeting));
    for (uint16_t i = 0; i < 200; i++) /* ~70 KB */
        feed(&f, VSSRC, 96, i, 3000u * i);
    int64_t id = wait_finished(&f); /* the 1 s tick sees the quota passed */
    assert_false(yj_recorder_active(r, f.meeting));
    assert_string_equal(f.last_reason, "quota");
    json_t *man = yj_rec_store_manifest(f.st, id);
    assert_string_equal(json_string_value(json_object_get(man, "stop_reason")), "quota");
    json_decref(man);
    /* and no new recording starts while over quota */
    f.announced_off = 0;
    yj_recorder_set(r, f.meeting, true, "书记");
    yj_recorder_flush(r);
    assert_false(yj_recorder_active(r, f.meeting));
    assert_int_equal(f.announced_off, 1);
    yj_recorder_free(r);
    teardown_fix(&f);
}

static void crash_recovery_cuts_and_stops(void **state)
{
    fix_t f;
    setup_fix(&f, "lecture");
    int64_t id;
    assert_int_equal(yj_rec_store_begin(f.st, f.meeting, "9/1", 1700000000000000LL, &id), 0);
    char *dir = g_build_filename(f.root, "9", "1", NULL);
    g_mkdir_with_parents(dir, 0750);
    char *path = g_build_filename(dir, "01-p7-video.pcap", NULL);
    yj_pcap_writer_t *w = yj_pcap_writer_open(path);
    uint8_t pkt[200] = {0x80, 96};
    for (int i = 0; i < 30; i++)
        yj_pcap_writer_append(w, 1700000000000000LL + i * 33000, YJ_PCAP_RTP, pkt, sizeof pkt);
    yj_pcap_writer_close(w);
    struct stat sb;
    stat(path, &sb);
    assert_int_equal(truncate(path, sb.st_size - 50), 0); /* torn last record */
    yj_rec_track_row_t row = {.file = "01-p7-video.pcap",
                              .peer_id = "p7",
                              .track_id = "p7-v0",
                              .kind = "video",
                              .codec = "VP8",
                              .payload_type = 96,
                              .clock_rate = 90000,
                              .layers = 1};
    int64_t row_id;
    assert_int_equal(yj_rec_store_track_add(f.st, id, &row, &row_id), 0);
    yj_recorder_options_t o = {.root = f.root};
    yj_recorder_t *r = yj_recorder_new(f.st, f.m, &o, &cbs, &f);
    assert_int_equal(yj_recorder_recover(r), 1);
    json_t *man = yj_rec_store_manifest(f.st, id);
    assert_string_equal(json_string_value(json_object_get(man, "status")), "stopped");
    assert_string_equal(json_string_value(json_object_get(man, "stop_reason")), "crash");
    json_t *v = track_of(man, "video");
    assert_int_equal(json_integer_value(json_object_get(v, "packets")), 29);
    assert_int_equal(json_integer_value(json_object_get(man, "stopped_us")),
                     1700000000000000LL + 28 * 33000);
    stat(path, &sb);
    assert_int_equal(sb.st_size, 24 + 29 * (16 + 28 + 200));
    json_decref(man);
    assert_int_equal(yj_recorder_recover(r), 0); /* nothing left */
    yj_recorder_free(r);
    g_free(path);
    g_free(dir);
    teardown_fix(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lecture_recorded_per_track),
        cmocka_unit_test(committee_only_when_host_asks),
        cmocka_unit_test(quota_stops_with_notice),
        cmocka_unit_test(crash_recovery_cuts_and_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
