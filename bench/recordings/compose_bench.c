/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compose_bench.c — how fast a recording composes, and how big raw tracks
 * are.
 *
 * Makes its own N-party recording: for each party GStreamer encodes a
 * test picture as VP8 640×360 at 25 fps (~600 kbit/s) and a tone as Opus,
 * packetised as RTP with an RTCP SR each second, written through the pcap
 * writer exactly as the recorder writes them (party k joins k×10 s late).
 * Then composes it with yj_rec_compose (the job the daemon runs) into a
 * 1280×720 MP4 and prints: compose wall time, speed against real time,
 * the process CPU it took, and the raw bytes per participant-hour.
 *
 * Usage: compose_bench [parties=4] [minutes=5] [dir] [--sql FILE]. Not a
 * test; it prints figures. The full figure is minutes=60 (slow to
 * make). With --sql it only makes the recording in dir and writes FILE:
 * SQL that adds it to a daemon's database as a stopped recording of a new
 * meeting (dir must then be <recordings dir>/bench/1), with a speaker
 * change every two minutes — what bench/recordings/live_beside.sh uses to
 * have the daemon itself compose it beside a live meeting.
 */
#include "bench/recordings/gen.h"
#include "recordings/compose.h"
#include "recordings/pcap.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <string.h>

#define T0 1700000000000000LL

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void sink(const uint8_t *pkt, size_t len, int64_t at, bool sr, void *ud)
{
    yj_pcap_writer_append(ud, at, sr ? YJ_PCAP_RTCP : YJ_PCAP_RTP, pkt, len);
}

static off_t size_of(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? st.st_size : 0;
}

int main(int argc, char **argv)
{
    int parties = argc > 1 ? atoi(argv[1]) : 4;
    double minutes = argc > 2 ? atof(argv[2]) : 5;
    char *dir = argc > 3 ? g_strdup(argv[3]) : g_dir_make_tmp("yj-cbench-XXXXXX", NULL);
    if (parties < 1 || parties > 9 || minutes <= 0 || minutes > 240) {
        fprintf(stderr, "usage: compose_bench [parties 1-9] [minutes] [dir]\n");
        return 2;
    }
    static const char *patterns[] = {"ball",     "smpte", "pinwheel", "gamut",     "checkers-8",
                                     "circular", "blink", "bar",      "zone-plate"};
    static const char *names[] = {"张三", "李四", "王五", "赵六",  "钱七",
                                  "孙八", "周九", "吴十", "郑十一"};
    const char *sql_path = argc > 5 && strcmp(argv[4], "--sql") == 0 ? argv[5] : NULL;
    GString *sql = g_string_new(NULL);
    double secs = minutes * 60;
    yj_rec_plan_track_t *tr = g_new0(yj_rec_plan_track_t, (size_t)parties * 2);
    off_t raw = 0;
    double party_hours = 0;
    int64_t g0 = g_get_monotonic_time();
    for (int k = 0; k < parties; k++) {
        double late = k * 10.0 < secs / 2 ? k * 10.0 : 0;
        for (int a = 0; a < 2; a++) {
            yj_rec_plan_track_t *t = &tr[k * 2 + a];
            char name[64];
            g_snprintf(name, sizeof name, "%02d-p%d-%s.pcap", k * 2 + a, k, a ? "audio" : "video");
            t->path = g_build_filename(dir, name, NULL);
            t->name = g_strdup(names[k]);
            g_snprintf(t->peer, sizeof t->peer, "p%d", k);
            t->video = !a;
            g_strlcpy(t->codec, a ? "opus" : "VP8", sizeof t->codec);
            t->payload_type = a ? 111 : 96;
            t->clock_rate = a ? 48000 : 90000;
            t->first_us = T0 + (int64_t)(late * 1e6);
            t->last_us = T0 + (int64_t)(secs * 1e6);
            yj_pcap_writer_t *w = yj_pcap_writer_open(t->path);
            gen_track_t g = {.video = !a,
                             .width = 640,
                             .height = 360,
                             .fps = 25,
                             .seconds = secs - late,
                             .ssrc = (uint32_t)(1000 + k * 2 + a),
                             .start_us = t->first_us,
                             .pattern = a ? "sine" : patterns[k]};
            long pkts = gen_track(&g, sink, w);
            if (pkts <= 0 || yj_pcap_writer_close(w) != 0) {
                fprintf(stderr, "could not make %s\n", t->path);
                return 1;
            }
            g_string_append_printf(
                sql,
                "INSERT INTO recording_tracks (recording_id, file, peer_id, track_id, kind, "
                "codec, payload_type, clock_rate, opened_us, first_us, last_us, packets, "
                "display_name, closed) VALUES ((SELECT max(id) FROM recordings), '%s', '%s', "
                "'t%d', '%s', '%s', %d, %d, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                ", %" G_GINT64_FORMAT ", %ld, '%s', 1);\n",
                name, t->peer, k * 2 + a, a ? "audio" : "video", t->codec, t->payload_type,
                t->clock_rate, t->first_us, t->first_us, t->last_us, pkts, t->name);
            raw += size_of(t->path);
        }
        party_hours += (secs - late) / 3600;
    }
    printf("made %d parties × %.1f min (VP8 640x360 25 fps + Opus) in %.1f s\n", parties, minutes,
           (g_get_monotonic_time() - g0) / 1e6);
    printf("raw track files: %.1f MB in all, %.0f MB per participant-hour\n", raw / 1e6,
           raw / 1e6 / party_hours);
    if (sql_path) {
        GString *head = g_string_new("BEGIN;\n");
        g_string_append(head,
                        "INSERT INTO meetings (org_id, title, type, start_at, duration_minutes, "
                        "host_admin_id, status, created_by, created_at) SELECT o.id, '基准会议', "
                        "'lecture', 0, 60, a.id, 'ended', 'bench', 0 FROM orgs o, admins a "
                        "ORDER BY o.id, a.id LIMIT 1;\n");
        g_string_append_printf(head,
                               "INSERT INTO recordings (meeting_id, dir, status, started_us, "
                               "stopped_us, stop_reason) VALUES ((SELECT max(id) FROM meetings), "
                               "'bench/1', 'stopped', %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                               ", 'ended');\n",
                               (int64_t)T0, (int64_t)T0 + (int64_t)(secs * 1e6));
        for (int i = 0; i * 120.0 < secs; i++) /* a speaker change every two minutes */
            g_string_append_printf(sql,
                                   "INSERT INTO recording_events (recording_id, at_us, kind, "
                                   "peer_id) VALUES ((SELECT max(id) FROM recordings), "
                                   "%" G_GINT64_FORMAT ", 'speaker', 'p%d');\n",
                                   (int64_t)T0 + (int64_t)i * 120000000, i % parties);
        g_string_append(sql, "COMMIT;\n");
        g_string_prepend(sql, head->str);
        g_string_free(head, TRUE);
        if (!g_file_set_contents(sql_path, sql->str, -1, NULL)) {
            fprintf(stderr, "cannot write %s\n", sql_path);
            return 1;
        }
        printf("wrote %s\n", sql_path);
        return 0;
    }
    g_string_free(sql, TRUE);
    yj_rec_plan_t plan = {.t0_us = T0,
                          .dur_us = (int64_t)(secs * 1e6),
                          .tracks = tr,
                          .n_tracks = (size_t)parties * 2,
                          .n_video = (size_t)parties};
    char *out = g_build_filename(dir, "composed.mp4", NULL);
    yj_compose_options_t o = {.font = "Noto Sans CJK SC", .width = 1280, .height = 720, .fps = 25};
    char err[512];
    int64_t ms = 0;
    double c0 = cpu_s();
    int64_t t0 = g_get_monotonic_time();
    int rc = yj_rec_compose(&plan, &o, out, NULL, NULL, NULL, &ms, err, sizeof err);
    double wall = (g_get_monotonic_time() - t0) / 1e6, cpu = cpu_s() - c0;
    if (rc) {
        fprintf(stderr, "compose failed: %s\n", err);
        return 1;
    }
    printf("composed %.1f s of meeting into 1280x720 H.264+AAC in %.1f s wall: %.1fx real time "
           "(CPU %.1f s, %.0f%% of one core; output %.1f MB)\n",
           ms / 1e3, wall, ms / 1e3 / wall, cpu, cpu / wall * 100, size_of(out) / 1e6);
    for (size_t i = 0; i < plan.n_tracks; i++) {
        g_free(tr[i].path);
        g_free(tr[i].name);
    }
    g_free(tr);
    if (argc <= 3) {
        char *cmd = g_strdup_printf("rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
        g_free(cmd);
    }
    g_free(out);
    g_free(dir);
    return 0;
}
