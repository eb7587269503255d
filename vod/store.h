/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vod/store.h — the course library's tables: courses, lessons and the
 * organisations they are assigned to, transcoding jobs, resumable uploads,
 * per-member progress (merged watched intervals) and playback events.
 *
 * Only SQL lives here. The rules (what a progress report may change, when
 * it earns credit) belong to vod/: yj_store_vod_progress_apply loads the
 * stored state inside one write transaction, asks a callback from vod/ to
 * decide, and writes the outcome — progress, event row and the ledger's
 * credit row — atomically, so an acknowledged report survives kill -9 and
 * a lesson is credited exactly once (the ledger's unique key).
 *
 * List and report functions return new jansson references (json_decref),
 * or NULL on a database error.
 */
#ifndef YJ_STORE_VOD_H
#define YJ_STORE_VOD_H

#include "core/store.h"
#include "vod/vod.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The course library's migrations, oldest first; the daemon places each
 * in the global order (daemon/migrations.c). Append only. */
extern const yj_migration_t yj_vod_migrations[];
extern const size_t yj_vod_migrations_count;

/* ---- settings and organisations ---- */

/* Value of settings[name]; when absent, stores a new random 32-byte
 * base64url secret first (race-free). *value is g_free'd by the caller. */
int yj_store_vod_secret(yj_store_t *st, const char *name, char **value);

/* Organisation by code: id and materialised path. 0 or YJ_ENOENT. */
int yj_store_vod_org(yj_store_t *st, const char *code, int64_t *id, char *path, size_t n);

/* ---- courses ---- */

typedef struct {
    int64_t id, org_id, created_at, updated_at;
    char *title, *description, *category, *org_code, *org_path, *created_by;
} yj_vod_course_t;
void yj_vod_course_clear(yj_vod_course_t *c);

int yj_store_vod_course_add(yj_store_t *st, const char *title, const char *description,
                            const char *category, int64_t org_id, const char *by, int64_t *id);
/* NULL fields are left unchanged. 0 or YJ_ENOENT. */
int yj_store_vod_course_update(yj_store_t *st, int64_t id, const char *title,
                               const char *description, const char *category);
/* 0, YJ_ENOENT, or YJ_EBUSY while the course still has lessons. */
int yj_store_vod_course_delete(yj_store_t *st, int64_t id);
/* 0 or YJ_ENOENT; the caller clears *c. */
int yj_store_vod_course_get(yj_store_t *st, int64_t id, yj_vod_course_t *c);

/* Who is looking: an administrator (admin_path: their subtree root) or a
 * member (member_id and the path of their home organisation). */
typedef struct {
    const char *admin_path;
    const char *member_id;
    const char *member_path;
} yj_vod_scope_t;

/* {"courses":[…],"total":N}. A member sees courses with at least one ready
 * lesson assigned to their organisation or an ancestor; an administrator
 * sees courses owned within their subtree or by an ancestor organisation.
 * q: substring of title or description (NULL: any); category exact. */
json_t *yj_store_vod_courses(yj_store_t *st, const yj_vod_scope_t *scope, const char *q,
                             const char *category, int limit, int offset);
/* The course's lessons visible in scope, each with the member's progress
 * (members) or the transcoding status (administrators): a JSON array. */
json_t *yj_store_vod_course_lessons(yj_store_t *st, int64_t course_id, const yj_vod_scope_t *scope);

/* ---- lessons ---- */

typedef enum { YJ_LESSON_PROCESSING, YJ_LESSON_READY, YJ_LESSON_FAILED } yj_lesson_status_t;

typedef struct {
    int64_t id, course_id, duration_ms, created_at, updated_at;
    int seq, minutes, percent, width, height;
    double threshold;
    yj_lesson_status_t status;
    char *title, *error, *renditions, *course_title, *course_org_path;
    json_t *orgs; /* array of {"code","name"} */
} yj_vod_lesson_t;
void yj_vod_lesson_clear(yj_vod_lesson_t *l);
const char *yj_vod_lesson_status_name(yj_lesson_status_t s);

/* What a new lesson needs: metadata, its organisations, and the job that
 * will transcode its source. */
typedef struct {
    int64_t course_id;
    const char *title;
    int minutes;
    double threshold;
    const int64_t *org_ids;
    size_t n_orgs;
    const char *source;    /* absolute path of the media file */
    bool owned;            /* delete source once the job is done */
    bool generate;         /* demo: the job first generates the source */
    const char *upload_id; /* the upload this came from (deleted), or NULL */
} yj_vod_lesson_new_t;

/* Inserts the lesson (status processing), its organisations and its job in
 * one transaction. 0, YJ_ENOENT (course or upload gone), YJ_EEXIST. */
int yj_store_vod_lesson_create(yj_store_t *st, const yj_vod_lesson_new_t *in, int64_t *lesson_id,
                               int64_t *job_id);

typedef struct {
    const char *title; /* NULL: unchanged */
    int minutes;       /* < 0: unchanged */
    double threshold;  /* <= 0: unchanged */
    int seq;           /* < 0: unchanged */
    const int64_t *org_ids;
    size_t n_orgs;
    bool set_orgs;
} yj_vod_lesson_patch_t;
int yj_store_vod_lesson_update(yj_store_t *st, int64_t id, const yj_vod_lesson_patch_t *p);
/* Deletes the lesson with its progress and events (the ledger keeps its
 * credits). 0 or YJ_ENOENT. */
int yj_store_vod_lesson_delete(yj_store_t *st, int64_t id);
int yj_store_vod_lesson_get(yj_store_t *st, int64_t id, yj_vod_lesson_t *l);
/* True when the lesson is ready and assigned to member_path or an
 * ancestor organisation of it. */
bool yj_store_vod_lesson_visible(yj_store_t *st, int64_t id, const char *member_path);
/* Transcoding progress while processing. */
int yj_store_vod_lesson_percent(yj_store_t *st, int64_t id, int percent);

/* Replaces the lesson's chapters (validated by the caller: start_ms
 * ascending, titles non-empty UTF-8) in one transaction. 0, YJ_ENOENT (no
 * such lesson), YJ_EEXIST (two at one time) or YJ_EDB. */
int yj_store_vod_chapters_set(yj_store_t *st, int64_t lesson, const yj_vod_chapter_t *ch, size_t n);
/* [{"start": seconds, "title": …}, …] in time order (empty when none or on
 * a read error); json_decref. */
json_t *yj_store_vod_chapters(yj_store_t *st, int64_t lesson);

/* ---- transcoding jobs ---- */

typedef struct {
    int64_t id, lesson_id;
    char *source;
    bool owned, generate;
    int attempts;
} yj_vod_job_t;
/* Every pending job, oldest first; free with yj_vod_jobs_free. */
int yj_store_vod_jobs(yj_store_t *st, yj_vod_job_t **jobs, size_t *n);
void yj_vod_jobs_free(yj_vod_job_t *jobs, size_t n);
/* Counts an attempt; *attempts is the new count. 0 or YJ_ENOENT. */
int yj_store_vod_job_begin(yj_store_t *st, int64_t job_id, int *attempts);
/* Marks the job's lesson ready with its media facts and removes the job,
 * atomically. YJ_ENOENT when the job (or lesson) was deleted meanwhile. */
int yj_store_vod_job_finish(yj_store_t *st, int64_t job_id, int64_t duration_ms, int width,
                            int height, const char *renditions_json);
/* Marks the job's lesson failed with message and removes the job. */
int yj_store_vod_job_fail(yj_store_t *st, int64_t job_id, const char *message);
/* True when no course exists yet. */
bool yj_store_vod_library_empty(yj_store_t *st);
/* True when a pending job or upload still uses path. */
bool yj_store_vod_path_in_use(yj_store_t *st, const char *path);

/* ---- resumable uploads ---- */

typedef struct {
    char id[48];
    int64_t admin_id, size, received, created_at;
    char filename[256];
} yj_vod_upload_t;
int yj_store_vod_upload_add(yj_store_t *st, const char *id, int64_t admin_id, const char *filename,
                            int64_t size);
int yj_store_vod_upload_get(yj_store_t *st, const char *id, yj_vod_upload_t *u);
/* Moves received from `from` to `to`: YJ_ESTATE if received != from. */
int yj_store_vod_upload_advance(yj_store_t *st, const char *id, int64_t from, int64_t to);
int yj_store_vod_upload_delete(yj_store_t *st, const char *id);
/* Ids of uploads not touched since `before` (g_strfreev). */
char **yj_store_vod_uploads_stale(yj_store_t *st, int64_t before);

/* ---- progress ---- */

/* Player events (pause, seek, …) are coalesced per member and lesson: one
 * less than GAP after the last stored event replaces that row's state (the
 * row keeps its time) when it is of the same kind, or when the last GAP
 * already holds BURST rows; otherwise it gets its own row. So a play then
 * a pause are both kept, but a client sending thousands of events stores
 * at most BURST rows per GAP and cannot grow the table or the xAPI export
 * without bound (issue 13). */
#define YJ_VOD_EVENT_GAP_MS 10000
#define YJ_VOD_EVENT_BURST 4

typedef struct {
    bool exists;
    int64_t position_ms, watched_ms, updated_ms, completed_at;
    int64_t reports; /* accepted reports so far */
    char *intervals; /* stored union (JSON, ms); owned */
    bool has_budget; /* the crediting budget (vod/rules.h); false on old rows */
    int64_t budget_ms, budget_at_ms;
} yj_vod_progress_row_t;
void yj_vod_progress_row_clear(yj_vod_progress_row_t *r);
int yj_store_vod_progress_get(yj_store_t *st, const char *member_id, int64_t lesson_id,
                              yj_vod_progress_row_t *r);

/* One progress report inside a batch. The caller fills the "in" part; the
 * store loads "prev" and the lesson; the callback decides and fills
 * "next" (returning 0) or refuses (returning non-zero, nothing written). */
typedef struct {
    /* in */
    const char *member_id;
    const char *member_path; /* non-NULL: the lesson must be assigned to
                                this organisation or an ancestor */
    int64_t lesson_id;
    void *ud;
    /* loaded by the store (valid during the callback) */
    yj_vod_progress_row_t prev;
    bool lesson_ready;
    int64_t duration_ms;
    double threshold;
    int minutes;
    const char *lesson_title;
    /* set by the callback */
    int64_t position_ms, watched_ms, updated_ms;
    /* the crediting budget after the report (vod/rules.h) */
    int64_t budget_ms, budget_at_ms;
    char *intervals;   /* g_malloc'd; the store frees it */
    bool complete;     /* the report reached the threshold */
    const char *event; /* non-NULL: also log an event row */
    int64_t from_ms;   /* seek origin or -1 */
    /* out */
    int result;    /* the callback's return value */
    bool credited; /* a ledger row was added by this report */
} yj_vod_progress_op_t;

typedef int (*yj_vod_progress_fn)(yj_vod_progress_op_t *op, void *ud);

/* Applies ops in one write transaction. Returns 0 when it committed (each
 * op's own outcome is in op->result), or a YJ_E* code when the whole batch
 * was rolled back. A lesson not found (or not assigned to member_path)
 * gives op->result = YJ_ENOENT. */
int yj_store_vod_progress_apply(yj_store_t *st, yj_vod_progress_op_t *ops, size_t n,
                                yj_vod_progress_fn fn, void *ud);

/* ---- learning pages and reports ---- */

/* A member's learning page: {"in_progress":[…],"completed":[…],
 * "lesson_minutes":N,"total_minutes":N} with minutes in [from, to). */
json_t *yj_store_vod_member_learning(yj_store_t *st, const char *member_id, const char *member_path,
                                     int64_t from, int64_t to);
/* Per-organisation learning report for the subtree at org_path:
 * {"lessons":[{completion per lesson}],"members":[{hours per member in
 * [from,to)}],"idle":[{members with no lesson credit in [qfrom,qto)}]}. */
json_t *yj_store_vod_org_report(yj_store_t *st, const char *org_path, int64_t from, int64_t to,
                                int64_t qfrom, int64_t qto);
/* {"members":[top `limit` by lesson minutes],"orgs":[child organisations
 * by lesson minutes per member]} for [from, to). */
json_t *yj_store_vod_org_ranking(yj_store_t *st, const char *org_path, int64_t from, int64_t to,
                                 int limit);
/* Everything xAPI export needs about one member: an array of lessons with
 * their events and completion. */
json_t *yj_store_vod_member_history(yj_store_t *st, const char *member_id);
/* The same, one page of events: those with row id > after_id, at most
 * limit of them in id order (each event gets its "id"); *next_id is the
 * last id returned when more may follow, else 0. Memory is bounded by
 * limit (issue 13: a 20 MB export held an HTTP thread and 200 MB). */
json_t *yj_store_vod_member_history_page(yj_store_t *st, const char *member_id, int64_t after_id,
                                         int limit, int64_t *next_id);

#endif
