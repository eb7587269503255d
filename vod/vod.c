/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vod.c — the course library subsystem: configuration, start/stop, the
 * player page routes, and helpers shared by the route modules.
 *
 * Layout on disk (data_dir/vod): lessons/<id>/ holds one ready lesson
 * (master.m3u8, <rendition>/index.m3u8 + segNNNNN.ts, poster.jpg);
 * lessons/<id>.tmp/ is a job's work in progress, swept at start;
 * uploads/<id>.part are resumable uploads and queued job sources.
 */
#include "vod_internal.h"
#include "import.h"
#include "jobs.h"
#include "library.h"
#include "progress.h"
#include "reports.h"
#include "serve.h"
#include "xapi.h"
#include "body_input.h"
#include "sign.h"
#include "core/log.h"
#include "core/member_input.h"
#include "core/yj.h"

#include <libavutil/log.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* shared helpers */

char *yj_vod_lesson_dir(yj_vod_t *v, int64_t lesson_id)
{
    char name[32];
    g_snprintf(name, sizeof name, "%" G_GINT64_FORMAT, lesson_id);
    return g_build_filename(v->lessons_dir, name, NULL);
}

int yj_vod_rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : YJ_EIO;
    if (S_ISDIR(st.st_mode)) {
        GDir *d = g_dir_open(path, 0, NULL);
        if (!d)
            return YJ_EIO;
        const char *n;
        int rc = 0;
        while ((n = g_dir_read_name(d))) {
            g_autofree char *child = g_build_filename(path, n, NULL);
            if (yj_vod_rm_tree(child))
                rc = YJ_EIO;
        }
        g_dir_close(d);
        if (g_rmdir(path) != 0)
            rc = YJ_EIO;
        return rc;
    }
    return g_unlink(path) == 0 ? 0 : YJ_EIO;
}

char *yj_vod_playback_prefix(yj_vod_t *v, int64_t lesson_id, const char *viewer)
{
    return yj_vod_sign_url_prefix((const unsigned char *)v->key, v->keylen, lesson_id, viewer,
                                  yj_now(), v->url_ttl, v->url_bucket);
}

int64_t yj_vod_param_id(yj_req_t *req, const char *name)
{
    const char *s = yj_req_param(req, name);
    if (!s || !*s || strlen(s) > 18)
        return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return g_ascii_strtoll(s, NULL, 10);
}

int64_t yj_vod_now_ms(void)
{
    return g_get_real_time() / 1000;
}

int yj_vod_lesson_spec(yj_vod_t *v, yj_req_t *req, json_t *body, bool create,
                       yj_vod_lesson_spec_t *out)
{
    const yj_principal_t *me = yj_req_principal(req);
    memset(out, 0, sizeof *out);
    yj_vod_lesson_input_t in;
    yj_field_error_t fe;
    if (yj_vod_lesson_input_from_json(body, create, &in, &fe)) {
        yj_req_reply_error(req, 400, fe.code, fe.field[0] ? fe.field : NULL, "%s", fe.message);
        return YJ_EINVAL;
    }
    out->title = in.title;
    out->minutes = in.minutes;
    out->threshold = in.threshold;
    json_t *orgs = in.orgs;
    if (orgs) {
        out->has_orgs = true;
        out->org_ids = g_new0(int64_t, json_array_size(orgs) + 1);
        size_t i;
        json_t *c;
        json_array_foreach(orgs, i, c)
        {
            char path[256], field[32];
            int64_t id = 0;
            g_snprintf(field, sizeof field, "orgs[%zu]", i);
            if (!json_is_string(c) ||
                yj_store_vod_org(v->store, json_string_value(c), &id, path, sizeof path) != 0 ||
                !yj_path_within(me->org_path, path)) {
                g_free(out->org_ids);
                out->org_ids = NULL;
                yj_req_reply_error(req, 404, "unknown_org", field,
                                   "no such organisation in your subtree");
                return YJ_EINVAL;
            }
            out->org_ids[out->n_orgs++] = id;
        }
    } else if (create) {
        out->has_orgs = true;
        out->org_ids = g_new0(int64_t, 1);
        out->org_ids[0] = me->org_id;
        out->n_orgs = 1;
    }
    return 0;
}

int yj_vod_course_for_admin(yj_vod_t *v, yj_req_t *req, int64_t course_id, yj_vod_course_t *c)
{
    const yj_principal_t *me = yj_req_principal(req);
    int rc = course_id > 0 ? yj_store_vod_course_get(v->store, course_id, c) : YJ_ENOENT;
    if (rc == YJ_ENOENT) {
        yj_req_reply_error(req, 404, "not_found", "course_id", "no such course");
        return rc;
    }
    if (rc) {
        yj_req_reply_errno(req, rc, NULL);
        return rc;
    }
    if (!yj_path_within(me->org_path, c->org_path)) {
        bool ancestor = g_str_has_prefix(me->org_path, c->org_path);
        yj_vod_course_clear(c);
        if (ancestor)
            yj_req_reply_error(req, 403, "forbidden", "course_id",
                               "the course belongs to a higher organisation");
        else
            yj_req_reply_error(req, 404, "not_found", "course_id", "no such course");
        return YJ_EPERM;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* pages: /learn/{id} and the hls.js bundle */

static int learn_page(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    const char *name = yj_req_param(req, "id") ? "learn.html" : "learn-home.html";
    g_autofree char *file = g_build_filename(v->app->web_dir, name, NULL);
    return yj_req_reply_file(req, file, "text/html; charset=utf-8", "no-cache");
}

static int hls_js(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    g_autofree char *file = g_build_filename(v->app->npm_dir, "hls.js", "dist", "hls.min.js", NULL);
    return yj_req_reply_file(req, file, "text/javascript; charset=utf-8", "public, max-age=86400");
}

/* ------------------------------------------------------------------ */
/* lifecycle */

static void vod_free(yj_vod_t *v)
{
    if (!v)
        return;
    yj_vod_serve_clear(v);
    g_mutex_clear(&v->serve_lock);
    if (v->gc_queue)
        g_ptr_array_free(v->gc_queue, TRUE);
    g_mutex_clear(&v->gc_lock);
    g_cond_clear(&v->gc_cond);
    g_free(v->key);
    g_free(v->root);
    g_free(v->lessons_dir);
    g_free(v->uploads_dir);
    g_free(v->import_dir);
    if (v->busy_uploads)
        g_hash_table_destroy(v->busy_uploads);
    if (v->queued)
        g_hash_table_destroy(v->queued);
    g_mutex_clear(&v->lock);
    g_free(v);
}

yj_vod_t *yj_vod_new(yj_app_t *app, yj_http_t *http, char **err)
{
    /* libav's per-encoder statistics are noise in the journal. */
    av_log_set_level(AV_LOG_WARNING);
    yj_vod_t *v = g_new0(yj_vod_t, 1);
    v->app = app;
    v->store = app->store;
    v->root = g_build_filename(app->data_dir, "vod", NULL);
    v->lessons_dir = g_build_filename(v->root, "lessons", NULL);
    v->uploads_dir = g_build_filename(v->root, "uploads", NULL);
    yj_config_t *cfg = app->cfg;
    v->url_ttl = CLAMP(yj_config_int(cfg, "vod", "url_ttl", 6 * 3600), 60, 30 * 86400);
    v->url_bucket = MIN(v->url_ttl / 4, 3600);
    v->segment_seconds = (int)CLAMP(yj_config_int(cfg, "vod", "segment_seconds", 6), 2, 20);
    v->preset = yj_config_string(cfg, "vod", "preset", "veryfast");
    v->max_upload = (int64_t)CLAMP(yj_config_int(cfg, "vod", "max_upload_mb", 4096), 1, 1 << 20)
                    << 20;
    v->chunk_max = (size_t)CLAMP(yj_config_int(cfg, "vod", "chunk_mb", 8), 1, 64) << 20;
    v->demo_lesson = yj_config_bool(cfg, "vod", "demo_lesson", true);
    const char *imp = yj_config_string(cfg, "vod", "import_dir", "");
    if (*imp) {
        char *real = realpath(imp, NULL);
        if (!real)
            yj_warn("vod", "[vod] import_dir %s: %s; server-side import is off", imp,
                    g_strerror(errno));
        else {
            v->import_dir = g_strdup(real);
            free(real);
        }
    }
    g_mutex_init(&v->lock);
    g_mutex_init(&v->serve_lock);
    g_mutex_init(&v->gc_lock);
    g_cond_init(&v->gc_cond);
    v->busy_uploads = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    v->queued = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    int rc = yj_store_vod_secret(v->store, "vod.url_key", &v->key);
    if (rc) {
        *err = g_strdup_printf("cannot read or create the playback URL key: %s", yj_strerror(rc));
        goto err;
    }
    v->keylen = strlen(v->key);
    rc = yj_vod_library_register(v, http);
    rc |= yj_vod_progress_register(v, http);
    rc |= yj_vod_import_register(v, http);
    rc |= yj_vod_serve_register(v, http);
    rc |= yj_vod_reports_register(v, http);
    rc |= yj_vod_xapi_register(v, http);
    rc |= yj_http_route(http, "GET", "/learn", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0, learn_page, v);
    rc |= yj_http_route(http, "GET", "/learn/{id}", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0, learn_page,
                        v);
    rc |= yj_http_route(http, "GET", "/vendor/hls.min.js", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0,
                        hls_js, v);
    if (rc) {
        *err = g_strdup("cannot register the course library's routes");
        goto err;
    }
    return v;
err:
    vod_free(v);
    return NULL;
}

/* Removes what a crash or an abandoned upload left behind: job work
 * folders (lessons/<id>.tmp), uploads untouched for a week, and .part
 * files that neither an upload nor a pending job refers to. */
static void sweep(yj_vod_t *v)
{
    GDir *d = g_dir_open(v->lessons_dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        if (g_str_has_suffix(n, ".tmp")) {
            g_autofree char *p = g_build_filename(v->lessons_dir, n, NULL);
            yj_vod_rm_tree(p);
        }
    }
    if (d)
        g_dir_close(d);
    char **stale = yj_store_vod_uploads_stale(v->store, yj_now() - 7 * 86400);
    for (char **s = stale; s && *s; s++) {
        yj_store_vod_upload_delete(v->store, *s);
        yj_info("vod", "removed upload %s, untouched for a week", *s);
    }
    g_strfreev(stale);
    d = g_dir_open(v->uploads_dir, 0, NULL);
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(v->uploads_dir, n, NULL);
        g_autofree char *id = g_strndup(n, strcspn(n, "."));
        yj_vod_upload_t u;
        if (yj_store_vod_upload_get(v->store, id, &u) == 0 || yj_store_vod_path_in_use(v->store, p))
            continue;
        g_unlink(p);
    }
    if (d)
        g_dir_close(d);
}

/* The demo course: one short generated lesson for the district, run
 * through the real job (generate → transcode → HLS). */
static void add_demo(yj_vod_t *v)
{
    int64_t org = 0;
    char path[256];
    if (yj_store_vod_org(v->store, "330100", &org, path, sizeof path) != 0) {
        yj_info("vod", "no demo organisation 330100; no demo lesson");
        return;
    }
    int64_t course = 0;
    int rc = yj_store_vod_course_add(v->store, "远教平台入门（示例课程）",
                                     "一节二十秒的示例课时：试试播放、暂停、换一台手机继续看。",
                                     "示例", org, "demo", &course);
    if (rc) {
        yj_warn("vod", "cannot add the demo course: %s", yj_strerror(rc));
        return;
    }
    g_autofree char *src = g_build_filename(v->uploads_dir, "demo-source.ts", NULL);
    yj_vod_lesson_new_t in = {
        .course_id = course,
        .title = "第一课：如何断点续学",
        .minutes = 30,
        .threshold = 0.9,
        .org_ids = &org,
        .n_orgs = 1,
        .source = src,
        .owned = true,
        .generate = true,
    };
    rc = yj_store_vod_lesson_create(v->store, &in, NULL, NULL);
    if (rc)
        yj_warn("vod", "cannot add the demo lesson: %s", yj_strerror(rc));
    else
        yj_info("vod", "added the demo course; its lesson is being generated and transcoded");
}

int yj_vod_start(yj_vod_t *v)
{
    if (g_mkdir_with_parents(v->lessons_dir, 0750) != 0 ||
        g_mkdir_with_parents(v->uploads_dir, 0750) != 0) {
        yj_error("vod", "cannot create %s: %s", v->root, g_strerror(errno));
        return YJ_EIO;
    }
    sweep(v);
    if (v->app->demo && v->demo_lesson && yj_store_vod_library_empty(v->store))
        add_demo(v);
    return yj_vod_jobs_start(v);
}

void yj_vod_stop(yj_vod_t *v)
{
    if (!v)
        return;
    yj_vod_jobs_stop(v);
    yj_vod_serve_clear(v);
}

void yj_vod_free(yj_vod_t *v)
{
    if (!v)
        return;
    yj_vod_stop(v);
    vod_free(v);
}

int yj_vod_import_file(yj_vod_t *v, const char *path, bool take_ownership, int64_t course_id,
                       const char *title, int minutes, const int64_t *org_ids, size_t n_orgs,
                       int64_t *lesson_id, char *err, size_t errlen)
{
    if (!v || !v->pool) {
        g_strlcpy(err, "the course library is not running", errlen);
        return YJ_ESTATE;
    }
    yj_vod_import_probe_t p;
    int rc = yj_vod_import_probe_media(path, &p, err, errlen); /* audio lessons too */
    if (rc)
        return rc;
    yj_vod_lesson_new_t in = {
        .course_id = course_id,
        .title = title,
        .minutes = minutes,
        .threshold = 0.9,
        .org_ids = org_ids,
        .n_orgs = n_orgs,
        .source = path,
        .owned = take_ownership,
    };
    int64_t job = 0;
    rc = yj_store_vod_lesson_create(v->store, &in, lesson_id, &job);
    if (rc) {
        g_strlcpy(err, yj_strerror(rc), errlen);
        return rc;
    }
    yj_vod_jobs_push(v, job);
    return 0;
}

int yj_vod_set_chapters(yj_vod_t *v, int64_t lesson_id, const yj_vod_chapter_t *ch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *t = ch[i].title;
        if (ch[i].start_ms < 0 || (i > 0 && ch[i].start_ms <= ch[i - 1].start_ms) || !t ||
            !g_utf8_validate(t, -1, NULL) || g_utf8_strlen(t, -1) < 1 || g_utf8_strlen(t, -1) > 200)
            return YJ_EINVAL;
    }
    return yj_store_vod_chapters_set(v->store, lesson_id, ch, n);
}
