/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vod_internal.h — state and helpers shared by the vod/ modules (not a
 * public header: other subsystems include vod/vod.h only).
 *
 * One yj_vod_t exists per daemon; its fields are set in yj_vod_init and
 * read-only afterwards, except where a comment names the lock.
 */
#ifndef YJ_VOD_INTERNAL_H
#define YJ_VOD_INTERNAL_H

#include "core/app.h"
#include "core/jobs.h"
#include "vod/store.h"
#include "http/http.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    yj_app_t *app;
    yj_store_t *store;
    char *key; /* HMAC key for playback URLs (settings table) */
    size_t keylen;
    char *root;         /* data_dir/vod */
    char *lessons_dir;  /* root/lessons/<id>/ — one folder per ready lesson */
    char *uploads_dir;  /* root/uploads/<id>.part */
    char *import_dir;   /* [vod] import_dir, realpath; NULL: server import off */
    int64_t url_ttl;    /* seconds a playback URL stays valid */
    int64_t url_bucket; /* expiry rounding, for cacheable URLs */
    int segment_seconds;
    const char *preset; /* x264 preset */
    int jobs;           /* job pool size */
    int64_t max_upload; /* bytes */
    size_t chunk_max;   /* bytes per upload PUT */
    bool demo_lesson;

    yj_jobs_t *pool;          /* transcoding jobs on core's pool (started in _start) */
    GMutex lock;              /* guards busy_uploads and running */
    GHashTable *busy_uploads; /* upload ids with a PUT in flight */
    GHashTable *queued;       /* job ids queued or running (int64 keys) */
} yj_vod_t;

/* Module registration (each file's routes). */
int yj_vod_library_register(yj_vod_t *v, yj_http_t *http);
int yj_vod_progress_register(yj_vod_t *v, yj_http_t *http);
int yj_vod_import_register(yj_vod_t *v, yj_http_t *http);
int yj_vod_serve_register(yj_vod_t *v, yj_http_t *http);
int yj_vod_reports_register(yj_vod_t *v, yj_http_t *http);
int yj_vod_xapi_register(yj_vod_t *v, yj_http_t *http);

/* Serving (serve.c): drop a lesson's cached playlists (on delete), and
 * every cache (on stop). */
void yj_vod_serve_forget(int64_t lesson_id);
void yj_vod_serve_clear(void);

/* Job pool (jobs.c). */
int yj_vod_jobs_start(yj_vod_t *v);
void yj_vod_jobs_stop(yj_vod_t *v);
/* Queues a job by id (no-op when already queued or running). */
void yj_vod_jobs_push(yj_vod_t *v, int64_t job_id);

/* A probed media file (import.c). */
typedef struct {
    int64_t duration_ms;
    int width, height; /* display size of the video */
    bool has_audio;
    char video_codec[32];
    char format[64];
} yj_vod_probe_t;

/* Opens path with libavformat (local files only, common containers only),
 * requires a decodable video stream and decodes its first frame. Returns 0
 * or YJ_EMEDIA with a one-line reason in err. */
int yj_vod_probe(const char *path, yj_vod_probe_t *p, char *err, size_t errlen);

/* libavformat options that keep a hostile file from reaching other files
 * or the network (protocol whitelist, container whitelist). */
struct AVDictionary;
void yj_vod_safe_input_options(struct AVDictionary **opts);

/* Folder of a lesson's HLS output. g_free. */
char *yj_vod_lesson_dir(yj_vod_t *v, int64_t lesson_id);
/* Removes a folder tree (no symlink following). 0 or YJ_EIO. */
int yj_vod_rm_tree(const char *path);

/* Signed playback URL path prefix for a viewer ("m:<id_number>" or
 * "a:<admin id>"), ending in '/'. g_free. */
char *yj_vod_playback_prefix(yj_vod_t *v, int64_t lesson_id, const char *viewer);

/* Helpers for handlers: parse a positive int64 path parameter (0 when
 * malformed). */
int64_t yj_vod_param_id(yj_req_t *req, const char *name);
/* Wall clock in ms. */
int64_t yj_vod_now_ms(void);

/* Common lesson spec from a JSON body (title, hours|minutes, threshold,
 * orgs), validated against the admin's subtree. On error queues a 4xx and
 * returns non-zero. org_ids is g_malloc'd (g_free). */
typedef struct {
    const char *title;
    int minutes;
    double threshold;
    int64_t *org_ids;
    size_t n_orgs;
    bool has_orgs;
} yj_vod_lesson_spec_t;
int yj_vod_lesson_spec(yj_vod_t *v, yj_req_t *req, json_t *body, bool create,
                       yj_vod_lesson_spec_t *out);

/* The course if the admin may manage it (course org in their subtree);
 * otherwise queues 404/403 and returns non-zero. */
int yj_vod_course_for_admin(yj_vod_t *v, yj_req_t *req, int64_t course_id, yj_vod_course_t *c);

/* Generates the demo source clip (demo.c): seconds of a moving test
 * pattern with a tone, 1280x720, H.264/AAC in MPEG-TS. */
int yj_vod_demo_generate(const char *path, int seconds, char *err, size_t errlen);

/* Transcoding (transcode.c). */
typedef struct {
    const char *source;
    const char *outdir; /* must exist and be empty */
    int segment_seconds;
    const char *preset;
    void (*progress)(int percent, void *ud);
    void *ud;
    const int *cancel; /* atomic flag; non-zero stops the job */
} yj_transcode_opts_t;

typedef struct {
    int64_t duration_ms;
    int width, height; /* of the top rendition */
    char *renditions;  /* JSON array; g_free */
} yj_transcode_result_t;

int yj_vod_transcode(const yj_transcode_opts_t *o, yj_transcode_result_t *res, char *err,
                     size_t errlen);

/* HLS packaging (hls.c): master playlist from the renditions the
 * transcoder wrote. */
typedef struct {
    char name[16];
    bool video;
    int width, height;
    double fps;
    char codecs[64]; /* "avc1.4d401f,mp4a.40.2" */
} yj_hls_rendition_t;

/* Measures each rendition's media playlist (peak and average bit rate
 * from segment sizes and EXTINF durations), writes outdir/master.m3u8 and
 * returns the renditions as a JSON array string (g_free) or NULL with
 * err set. */
char *yj_hls_write_master(const char *outdir, const yj_hls_rendition_t *r, size_t n, char *err,
                          size_t errlen);

#endif
