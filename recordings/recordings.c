/* SPDX-License-Identifier: Apache-2.0 */
/*
 * recordings.c — the recordings subsystem (recordings.h): configuration,
 * the recorder, the composition jobs and their hand-over to the course
 * library, retention, and the HTTP API:
 *
 *   GET  /api/v1/meetings/{id}/recordings           list (status, duration,
 *        size, progress, lesson); tracks for the meeting's administrators
 *   PUT  /api/v1/meetings/{id}/recording            {"record": bool}: the
 *        meeting's flag; while live, starts or stops recording now
 *   POST /api/v1/meetings/{id}/recordings/{rid}/retry   a failed one again
 *   GET  /api/v1/meetings/{id}/recordings/{rid}/tracks/{tid}   the raw pcap
 *        (administrators of the meeting's organisation only)
 *
 * The daemon owns one yj_recordings_t; its recorder pointer is guarded by
 * a mutex for the hook entry points (they run on the WebSocket thread and
 * must find the recorder gone after stop). Never: composition on anything
 * but the job pool.
 */
#include "recordings/recordings.h"

#include "recordings/compose.h"
#include "recordings/recorder.h"
#include "recordings/store.h"
#include "core/jobs.h"
#include "core/log.h"
#include "signaling/store.h"
#include "core/yj.h"
#include "vod/vod.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

struct yj_recordings {
    GMutex mu; /* guards rec for the hooks */
    yj_app_t *app;
    yj_media_t *media;
    yj_vod_t *vod; /* where composed meetings become lessons */
    char *root;
    int64_t quota;
    int64_t retention_s;   /* raw files kept this long after the lesson (0: for ever) */
    int retention_check_s; /* how often the sweeper looks */
    int chapter_min_s;
    GThread *sweeper; /* retention, every retention_check_s; joined at stop */
    GMutex sweep_mu;  /* guards sweep_stop */
    GCond sweep_cond;
    bool sweep_stop;
    yj_recorder_t *rec;
    yj_jobs_t *jobs; /* app->jobs from _start to _stop; compositions run there */
    yj_recordings_announce_fn announce;
    void *announce_ud;
    bool stopping; /* finished recordings wait for the next start */
};

void yj_recordings_set_announcer(yj_recordings_t *R, yj_recordings_announce_fn fn, void *ud)
{
    R->announce = fn;
    R->announce_ud = ud;
}

/* ---- LeakSanitizer (ASan builds only) ----
 * A composition loads most of GStreamer: GLib then grows its quark table
 * past its first block, which it abandons by design, and pango loads
 * fontconfig's configuration, which stays for the life of the process.
 * Neither is ours to free, and with GLib built without frame pointers the
 * first cannot be told from our own leaks by a suppression. So a daemon
 * that composed skips the exit-time leak check; the compositions' own
 * code is leak-checked by tests/unit/test_rec_compose.c (with full stacks
 * and those two suppressed). The hook is only consulted by the sanitizer
 * runtime. */
static int composed_here;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return g_atomic_int_get(&composed_here);
}

/* ---- composition job ---- */

typedef struct {
    yj_recordings_t *R;
    int64_t id;
} job_t;

typedef struct {
    yj_recordings_t *R;
    int64_t id;
    int last;
} prog_t;

static void on_progress(int pct, void *ud)
{
    prog_t *p = ud;
    if (pct != p->last) {
        p->last = pct;
        yj_rec_store_progress(p->R->app->store, p->id, pct);
    }
}

static void fail_job(yj_recordings_t *R, int64_t id, const char *why)
{
    yj_warn("recordings", "recording %" G_GINT64_FORMAT ": composition failed: %s", id, why);
    yj_rec_store_status(R->app->store, id, "failed", 0, why);
}

static void compose_job(yj_job_t *job, void *data)
{
    job_t *j = data;
    yj_recordings_t *R = j->R;
    yj_store_t *st = R->app->store;
    json_t *man = yj_rec_store_manifest(st, j->id);
    if (!man)
        return;
    const char *status = json_string_value(json_object_get(man, "status"));
    if (!status || (strcmp(status, "stopped") != 0 && strcmp(status, "composing") != 0)) {
        json_decref(man);
        return;
    }
    int64_t meeting = json_integer_value(json_object_get(man, "meeting_id"));
    int64_t started_us = json_integer_value(json_object_get(man, "started_us"));
    yj_rec_store_status(st, j->id, "composing", 0, NULL);
    char err[512] = "";
    yj_rec_plan_t plan;
    if (yj_rec_plan_from_json(man, R->root, &plan, err, sizeof err) != 0) {
        fail_job(R, j->id, err);
        json_decref(man);
        return;
    }
    if (plan.n_tracks == 0) {
        fail_job(R, j->id, "nothing was recorded: no track received a packet");
        yj_rec_plan_clear(&plan);
        json_decref(man);
        return;
    }
    yj_rec_meeting_t mt;
    if (yj_rec_store_meeting(st, meeting, &mt) != 0) {
        fail_job(R, j->id, "the meeting is gone");
        yj_rec_plan_clear(&plan);
        json_decref(man);
        return;
    }
    char *out = g_build_filename(R->root, json_string_value(json_object_get(man, "dir")),
                                 "composed.mp4", NULL);
    yj_compose_options_t o = {.font = "Noto Sans CJK SC",
                              .title = mt.title,
                              .width = 1280,
                              .height = 720,
                              .fps = 25,
                              .job = job};
    prog_t prog = {.R = R, .id = j->id, .last = -1};
    int64_t ms = 0;
    int64_t t0 = g_get_monotonic_time();
    g_atomic_int_set(&composed_here, 1);
    yj_info("recordings", "recording %" G_GINT64_FORMAT ": composing %zu track(s), %.1f s", j->id,
            plan.n_tracks, plan.dur_us / 1e6);
    int rc = yj_rec_compose(&plan, &o, out, on_progress, &prog, yj_job_cancel_flag(job), &ms, err,
                            sizeof err);
    yj_rec_chapter_t *chapters = NULL;
    size_t n_chapters = yj_rec_chapters(&plan, (int64_t)R->chapter_min_s * 1000000, &chapters);
    yj_rec_plan_clear(&plan);
    json_decref(man);
    if (rc == YJ_ESTATE) { /* the pool stops: composed again at the next start */
        yj_rec_chapters_free(chapters, n_chapters);
        g_unlink(out);
        g_free(out);
        yj_rec_meeting_clear(&mt);
        return;
    }
    if (rc) {
        yj_rec_chapters_free(chapters, n_chapters);
        g_unlink(out);
        fail_job(R, j->id, err);
        g_free(out);
        yj_rec_meeting_clear(&mt);
        return;
    }
    yj_info("recordings", "recording %" G_GINT64_FORMAT ": composed in %.1f s (%.1f× real time)",
            j->id, (g_get_monotonic_time() - t0) / 1e6,
            ms / 1e3 / ((g_get_monotonic_time() - t0) / 1e6 + 1e-9));
    int64_t course = 0;
    rc = yj_rec_store_course(st, mt.org_id, &course);
    char *title = g_strdup_printf("%s（回放）", mt.title);
    GDateTime *dt = g_date_time_new_from_unix_local(started_us / 1000000);
    if (dt) {
        g_free(title);
        char *when = g_date_time_format(dt, "%Y-%m-%d %H:%M");
        title = g_strdup_printf("%s（%s 回放）", mt.title, when);
        g_free(when);
        g_date_time_unref(dt);
    }
    int64_t lesson = 0;
    int minutes = (int)((ms + 59999) / 60000);
    for (int tries = 0; rc == 0; tries++) {
        rc = yj_vod_import_file(R->vod, out, true, course, title, minutes > 0 ? minutes : 1,
                                mt.orgs, mt.n_orgs, &lesson, err, sizeof err);
        /* the course library starts after us: wait for it a while */
        if (rc != YJ_ESTATE || tries >= 120 || yj_job_stopping(job))
            break;
        rc = 0;
        g_usleep(500 * 1000);
    }
    if (rc == 0 && n_chapters > 0) {
        /* the speakers as the player's chapters (a failure costs only them) */
        yj_vod_chapter_t *vc = g_new0(yj_vod_chapter_t, n_chapters);
        for (size_t i = 0; i < n_chapters; i++)
            vc[i] = (yj_vod_chapter_t){.start_ms = chapters[i].start_us / 1000,
                                       .title = chapters[i].title};
        int crc = yj_vod_set_chapters(R->vod, lesson, vc, n_chapters);
        if (crc)
            yj_warn("recordings",
                    "recording %" G_GINT64_FORMAT ": lesson %" G_GINT64_FORMAT
                    " has no chapters: %s",
                    j->id, lesson, yj_strerror(crc));
        g_free(vc);
    }
    yj_rec_chapters_free(chapters, n_chapters);
    if (rc == 0) {
        yj_rec_store_composed(st, j->id, lesson, ms);
        yj_info("recordings",
                "recording %" G_GINT64_FORMAT ": lesson %" G_GINT64_FORMAT
                " \"%s\" in course %" G_GINT64_FORMAT,
                j->id, lesson, title, course);
    } else {
        g_unlink(out);
        fail_job(R, j->id, *err ? err : yj_strerror(rc));
    }
    g_free(title);
    g_free(out);
    yj_rec_meeting_clear(&mt);
}

static void push_compose(yj_recordings_t *R, int64_t id)
{
    if (!R->jobs)
        return;
    job_t *j = g_new0(job_t, 1);
    j->R = R;
    j->id = id;
    yj_jobs_push(R->jobs, compose_job, j, g_free);
}

int yj_recordings_pending(yj_recordings_t *R)
{
    return R->jobs ? yj_jobs_pending(R->jobs) : 0;
}

/* ---- recorder callbacks (its control thread) ---- */

static void on_announce(int64_t meeting, bool on, const char *reason, void *ud)
{
    yj_recordings_t *R = ud;
    if (R->announce)
        R->announce(meeting, on, reason, R->announce_ud);
}

static void on_finished(int64_t meeting, int64_t rec_id, void *ud)
{
    yj_recordings_t *R = ud;
    if (!R->stopping)
        push_compose(R, rec_id);
}

/* ---- hooks (WebSocket thread) ---- */

void yj_recordings_hook_live(int64_t meeting, void *ud)
{
    yj_recordings_t *R = ud;
    g_mutex_lock(&R->mu);
    yj_recorder_meeting_live(R->rec, meeting);
    g_mutex_unlock(&R->mu);
}

void yj_recordings_hook_participant(int64_t meeting, int what, const char *pid,
                                    const char *member_id, const char *name, bool audio_muted,
                                    bool video_muted, bool screen, void *ud)
{
    yj_recordings_t *R = ud;
    g_mutex_lock(&R->mu);
    yj_recorder_participant(R->rec, meeting, what, pid, member_id, name, audio_muted, video_muted,
                            screen);
    g_mutex_unlock(&R->mu);
}

void yj_recordings_hook_record(int64_t meeting, bool on, const char *by, void *ud)
{
    yj_recordings_t *R = ud;
    g_mutex_lock(&R->mu);
    if (R->rec)
        yj_recorder_set(R->rec, meeting, on, by);
    else if (R->announce)
        R->announce(meeting, false, "unavailable", R->announce_ud);
    g_mutex_unlock(&R->mu);
}

bool yj_recordings_hook_recording(int64_t meeting, void *ud)
{
    yj_recordings_t *R = ud;
    g_mutex_lock(&R->mu);
    bool on = yj_recorder_active(R->rec, meeting);
    g_mutex_unlock(&R->mu);
    return on;
}

void yj_recordings_hook_ended(int64_t meeting, void *ud)
{
    yj_recordings_t *R = ud;
    g_mutex_lock(&R->mu);
    yj_recorder_meeting_ended(R->rec, meeting);
    g_mutex_unlock(&R->mu);
}

/* ---- API ---- */

static int64_t param_id(yj_req_t *req, const char *name)
{
    const char *s = yj_req_param(req, name);
    char *end = NULL;
    if (!s || !*s)
        return 0;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    return end && !*end && v > 0 ? v : 0;
}

/* The meeting the caller may see, or a 404 reply and false. */
static bool meeting_of(yj_recordings_t *R, yj_req_t *req, yj_meeting_info_t *m)
{
    int64_t id = param_id(req, "id");
    if (!id || yj_store_meeting_info(R->app->store, id, m) != 0 ||
        !yj_store_meeting_can_join(R->app->store, m, yj_req_principal(req))) {
        yj_req_reply_error(req, 404, "not_found", "id", "no such meeting");
        return false;
    }
    return true;
}

/* An administrator whose subtree holds the meeting's organisation. */
static bool org_admin(yj_req_t *req, const yj_meeting_info_t *m)
{
    const yj_principal_t *p = yj_req_principal(req);
    return p && p->kind == YJ_PRINCIPAL_ADMIN && g_str_has_prefix(m->org_path, p->org_path);
}

static int recordings_list(yj_req_t *req, void *ud)
{
    yj_recordings_t *R = ud;
    yj_meeting_info_t m;
    if (!meeting_of(R, req, &m))
        return 0;
    json_t *j = yj_rec_store_list(R->app->store, m.id);
    bool admin = org_admin(req, &m);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(j, "recordings"), i, r)
    {
        int64_t lesson = json_integer_value(json_object_get(r, "lesson_id"));
        json_object_set_new(r, "lesson_url",
                            lesson ? json_sprintf("/learn/%" G_GINT64_FORMAT, lesson)
                                   : json_null());
        int64_t st = json_integer_value(json_object_get(r, "started_us"));
        int64_t en = json_integer_value(json_object_get(r, "stopped_us"));
        if (!json_is_integer(json_object_get(r, "duration_ms")))
            json_object_set_new(
                r, "duration_ms",
                json_integer(en > st ? (en - st) / 1000 : (g_get_real_time() - st) / 1000));
        if (!admin) {
            json_object_del(r, "tracks");
            json_object_del(r, "dir");
            json_object_del(r, "error");
        } else {
            json_t *t;
            size_t k;
            json_array_foreach(json_object_get(r, "tracks"), k, t)
            {
                json_object_set_new(t, "download_url",
                                    json_sprintf("/api/v1/meetings/%" G_GINT64_FORMAT
                                                 "/recordings/%" JSON_INTEGER_FORMAT
                                                 "/tracks/%" JSON_INTEGER_FORMAT,
                                                 m.id, json_integer_value(json_object_get(r, "id")),
                                                 json_integer_value(json_object_get(t, "id"))));
            }
        }
    }
    json_object_set_new(j, "recording", json_boolean(yj_recordings_hook_recording(m.id, R)));
    bool want = false;
    yj_rec_store_wanted(R->app->store, m.id, &want);
    json_object_set_new(j, "record", json_boolean(want));
    return yj_req_reply_json(req, 200, j);
}

static int recording_put(yj_req_t *req, void *ud)
{
    yj_recordings_t *R = ud;
    yj_meeting_info_t m;
    if (!meeting_of(R, req, &m))
        return 0;
    if (!yj_meeting_is_host(&m, yj_req_principal(req)))
        return yj_req_reply_error(req, 403, "forbidden", NULL,
                                  "only the host or an administrator of the meeting may do this");
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0; /* replied */
    json_t *v = json_object_get(b, "record");
    if (!json_is_boolean(v))
        return yj_req_reply_error(req, 400, "bad_request", "record",
                                  "record must be true or false");
    bool on = json_is_true(v);
    int rc = yj_rec_store_set_wanted(R->app->store, m.id, on);
    if (rc)
        return yj_req_reply_errno(req, rc, NULL);
    if (strcmp(m.status, "live") == 0)
        yj_recordings_hook_record(m.id, on, yj_req_principal(req)->name, R);
    return yj_req_reply_json(req, 200, json_pack("{s:b}", "record", on));
}

static int recording_retry(yj_req_t *req, void *ud)
{
    yj_recordings_t *R = ud;
    yj_meeting_info_t m;
    if (!meeting_of(R, req, &m))
        return 0;
    if (!org_admin(req, &m))
        return yj_req_reply_error(req, 403, "forbidden", NULL,
                                  "only administrators of the meeting's organisation may do this");
    int64_t rid = param_id(req, "rid");
    if (!rid || yj_rec_store_meeting_of(R->app->store, rid) != m.id)
        return yj_req_reply_error(req, 404, "not_found", "rid", "no such recording");
    json_t *man = yj_rec_store_manifest(R->app->store, rid);
    const char *status = json_string_value(json_object_get(man, "status"));
    bool failed = status && strcmp(status, "failed") == 0;
    json_decref(man);
    if (!failed)
        return yj_req_reply_error(req, 409, "not_failed", "rid",
                                  "only a failed composition can be retried");
    yj_rec_store_status(R->app->store, rid, "stopped", 0, NULL);
    push_compose(R, rid);
    return yj_req_reply_json(req, 202,
                             json_pack("{s:I,s:s}", "id", (json_int_t)rid, "status", "stopped"));
}

static int track_download(yj_req_t *req, void *ud)
{
    yj_recordings_t *R = ud;
    yj_meeting_info_t m;
    if (!meeting_of(R, req, &m))
        return 0;
    if (!org_admin(req, &m))
        return yj_req_reply_error(req, 403, "forbidden", NULL,
                                  "raw tracks are for administrators of the meeting's "
                                  "organisation only");
    int64_t rid = param_id(req, "rid"), tid = param_id(req, "tid");
    json_t *man = rid && yj_rec_store_meeting_of(R->app->store, rid) == m.id
                      ? yj_rec_store_manifest(R->app->store, rid)
                      : NULL;
    if (!man)
        return yj_req_reply_error(req, 404, "not_found", "rid", "no such recording");
    const char *file = NULL;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(man, "tracks"), i,
                       t) if (json_integer_value(json_object_get(t, "id")) == tid) file =
        json_string_value(json_object_get(t, "file"));
    if (!file || strchr(file, '/') || json_integer_value(json_object_get(man, "purged"))) {
        json_decref(man);
        return yj_req_reply_error(req, 404, "not_found", "tid", "no such track file");
    }
    char *path =
        g_build_filename(R->root, json_string_value(json_object_get(man, "dir")), file, NULL);
    char *disp =
        g_strdup_printf("attachment; filename=\"meeting%" G_GINT64_FORMAT "-%s\"", m.id, file);
    yj_req_add_header(req, "Content-Disposition", disp);
    int rc = yj_req_reply_file(req, path, "application/vnd.tcpdump.pcap", "private, no-store");
    g_free(disp);
    g_free(path);
    json_decref(man);
    return rc;
}

/* ---- retention ---- */

static void rm_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    const char *n;
    while ((n = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            rm_tree(p);
        else
            g_unlink(p);
        g_free(p);
    }
    g_dir_close(d);
    g_rmdir(dir);
}

static void retention_sweep(yj_recordings_t *R)
{
    if (R->retention_s <= 0)
        return;
    GArray *ids = yj_rec_store_expired(R->app->store, yj_now() - R->retention_s);
    for (guint i = 0; ids && i < ids->len; i++) {
        int64_t id = g_array_index(ids, gint64, i);
        json_t *man = yj_rec_store_manifest(R->app->store, id);
        const char *dir = json_string_value(json_object_get(man, "dir"));
        if (dir && *dir && dir[0] != '/' && !strstr(dir, "..")) {
            char *p = g_build_filename(R->root, dir, NULL);
            rm_tree(p);
            g_free(p);
            yj_rec_store_purged(R->app->store, id);
            yj_info("recordings", "recording %" G_GINT64_FORMAT ": raw tracks deleted (retention)",
                    id);
        }
        json_decref(man);
    }
    if (ids)
        g_array_unref(ids);
}

/* The sweeper thread: retention every retention_check_s until stop. */
static gpointer sweeper_main(gpointer data)
{
    yj_recordings_t *R = data;
    g_mutex_lock(&R->sweep_mu);
    while (!R->sweep_stop) {
        gint64 until = g_get_monotonic_time() + (gint64)R->retention_check_s * G_USEC_PER_SEC;
        while (!R->sweep_stop && g_cond_wait_until(&R->sweep_cond, &R->sweep_mu, until))
            ; /* woken early (spurious or stop): check again */
        if (R->sweep_stop)
            break;
        g_mutex_unlock(&R->sweep_mu);
        retention_sweep(R);
        g_mutex_lock(&R->sweep_mu);
    }
    g_mutex_unlock(&R->sweep_mu);
    return NULL;
}

/* ---- subsystem ---- */

yj_recordings_t *yj_recordings_new(yj_app_t *app, yj_http_t *http, yj_media_t *media, yj_vod_t *vod,
                                   char **err)
{
    yj_recordings_t *R = g_new0(yj_recordings_t, 1);
    g_mutex_init(&R->mu);
    g_mutex_init(&R->sweep_mu);
    g_cond_init(&R->sweep_cond);
    R->app = app;
    R->media = media;
    R->vod = vod;
    const char *dir = yj_config_string(app->cfg, "recordings", "dir", "");
    R->root = *dir ? g_strdup(dir) : g_build_filename(app->data_dir, "recordings", NULL);
    long quota = yj_config_int(app->cfg, "recordings", "quota_mb", 0);
    /* days, with decimals (0.5: twelve hours) */
    const char *keep_s = yj_config_string(app->cfg, "recordings", "retention_days", "30");
    char *end = NULL;
    double keep = g_ascii_strtod(keep_s, &end);
    bool keep_ok = end && end != keep_s && !*end && keep >= 0 && keep <= 36500;
    long every = yj_config_int(app->cfg, "recordings", "retention_check_seconds", 3600);
    long chap = yj_config_int(app->cfg, "recordings", "chapter_min_seconds", 30);
    if (quota < 0 || !keep_ok || every < 1 || every > 7 * 86400 || chap < 1 || chap > 3600) {
        *err = g_strdup("[recordings] needs quota_mb >= 0, retention_days a number >= 0, "
                        "retention_check_seconds 1..604800, chapter_min_seconds 1..3600");
        yj_recordings_free(R);
        return NULL;
    }
    R->quota = (int64_t)quota << 20;
    R->retention_s = (int64_t)(keep * 86400 + 0.5);
    R->retention_check_s = (int)every;
    R->chapter_min_s = (int)chap;
    int rc = 0;
    rc |= yj_http_route(http, "GET", "/api/v1/meetings/{id}/recordings", YJ_ROUTE_AUTH, 0,
                        recordings_list, R);
    rc |= yj_http_route(http, "PUT", "/api/v1/meetings/{id}/recording", YJ_ROUTE_AUTH, 0,
                        recording_put, R);
    rc |= yj_http_route(http, "POST", "/api/v1/meetings/{id}/recordings/{rid}/retry",
                        YJ_ROUTE_ADMIN, 0, recording_retry, R);
    rc |= yj_http_route(http, "GET", "/api/v1/meetings/{id}/recordings/{rid}/tracks/{tid}",
                        YJ_ROUTE_ADMIN, 0, track_download, R);
    if (rc) {
        *err = g_strdup("cannot register the recordings routes");
        yj_recordings_free(R);
        return NULL;
    }
    return R;
}

int yj_recordings_start(yj_recordings_t *R)
{
    R->stopping = false;
    if (!R->app->jobs) {
        yj_error("recordings", "no background job pool: the daemon must create it first");
        return YJ_ESTATE;
    }
    R->jobs = R->app->jobs;
    yj_recorder_options_t o = {.root = R->root, .quota_bytes = R->quota};
    yj_recorder_callbacks_t cb = {.announce = on_announce, .finished = on_finished};
    yj_recorder_t *rec = yj_recorder_new(R->app->store, R->media, &o, &cb, R);
    if (!rec) {
        R->jobs = NULL;
        return YJ_EIO;
    }
    int n = yj_recorder_recover(rec);
    if (n > 0)
        yj_info("recordings", "%d recording(s) interrupted by a crash recovered", n);
    g_mutex_lock(&R->mu);
    R->rec = rec;
    g_mutex_unlock(&R->mu);
    /* everything stopped but not composed (a crash, a restart) goes on */
    GArray *ids = yj_rec_store_with_status(R->app->store, "stopped,composing");
    for (guint i = 0; ids && i < ids->len; i++)
        push_compose(R, g_array_index(ids, gint64, i));
    if (ids)
        g_array_unref(ids);
    retention_sweep(R);
    g_mutex_lock(&R->sweep_mu);
    R->sweep_stop = false;
    g_mutex_unlock(&R->sweep_mu);
    if (R->retention_s > 0)
        R->sweeper = g_thread_new("rec-retention", sweeper_main, R);
    yj_info("recordings",
            "recordings in %s (quota %s, raw files kept %.2f days, checked every %d s)", R->root,
            R->quota ? "set" : "none", R->retention_s / 86400.0, R->retention_check_s);
    return 0;
}

void yj_recordings_stop(yj_recordings_t *R)
{
    if (!R)
        return;
    g_mutex_lock(&R->mu);
    yj_recorder_t *rec = R->rec;
    R->rec = NULL;
    R->stopping = true;
    g_mutex_unlock(&R->mu);
    g_mutex_lock(&R->sweep_mu);
    R->sweep_stop = true;
    g_cond_broadcast(&R->sweep_cond);
    g_mutex_unlock(&R->sweep_mu);
    if (R->sweeper)
        g_thread_join(R->sweeper);
    R->sweeper = NULL;
    yj_recorder_free(rec); /* what it stops is composed after the next start */
    /* The shared pool is the daemon's: it stopped it before us (a running
     * composition was cancelled and is composed again at the next start);
     * pushes from here on are refused. */
    R->jobs = NULL;
}

void yj_recordings_free(yj_recordings_t *R)
{
    if (!R)
        return;
    g_free(R->root);
    g_mutex_clear(&R->mu);
    g_mutex_clear(&R->sweep_mu);
    g_cond_clear(&R->sweep_cond);
    g_free(R);
}
