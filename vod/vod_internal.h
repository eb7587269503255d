/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vod_internal.h — the vod instance (struct yj_vod) and vod.c's helpers
 * shared by the vod/ modules.
 *
 * Header convention in a subsystem folder (docs/DEVELOPING.md):
 *   <folder>/<folder>.h   the public face (vod/vod.h): the only header other
 *                         folders and the daemon may include;
 *   <folder>/internal.h or <folder>_internal.h   the instance struct,
 *                         included only by the folder's own .c files;
 *   <folder>/<module>.h   one per module <module>.c, declaring what that
 *                         file exports to its siblings (prefix
 *                         yj_<folder>_<module>_ or yj_<module>_); internal.
 *
 * The daemon creates one yj_vod_t (yj_vod_new); its fields are set there
 * and read-only afterwards, except where a comment names the lock.
 */
#ifndef YJ_VOD_INTERNAL_H
#define YJ_VOD_INTERNAL_H

#include "vod.h"
#include "core/app.h"
#include "core/jobs.h"
#include "vod/store.h"
#include "http/http.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct yj_vod {
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
    int64_t max_upload; /* bytes */
    size_t chunk_max;   /* bytes per upload PUT */
    bool demo_lesson;

    yj_jobs_t *pool;          /* app->jobs from _start to _stop (under lock); NULL
                                 otherwise: transcoding jobs run there */
    GMutex lock;              /* guards busy_uploads and running */
    GHashTable *busy_uploads; /* upload ids with a PUT in flight */
    GHashTable *queued;       /* job ids queued or running (int64 keys) */

    /* serve.c's caches (created lazily, dropped by yj_vod_serve_clear). */
    GMutex serve_lock;           /* guards the two tables below */
    GHashTable *serve_playlists; /* "lesson/file" -> playlist */
    GHashTable *serve_verified;  /* "lesson/who/exp/sig" -> exp (boxed int64) */

    /* progress.c's group commit of progress reports. */
    GMutex gc_lock; /* guards gc_queue and gc_leader */
    GCond gc_cond;
    GPtrArray *gc_queue; /* reports waiting for a transaction */
    bool gc_leader;      /* a transaction is running */
};

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

#endif
