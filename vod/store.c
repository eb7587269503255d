/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vod/store.c — SQL for the course library and its migrations; see
 * vod/store.h.
 *
 * Organisation scope is a prefix test on materialised paths ("/1/4/"):
 * "x within root" is written as the index-friendly range
 * `path >= root AND path < root || '~'` ('~' sorts after the digits and
 * '/' that paths are made of), and "assigned org is an ancestor-or-self of
 * the member's org" as `substr(member_path, 1, length(o.path)) = o.path`.
 * Every statement is a literal with bound parameters.
 */
#include "vod/store.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/store_records.h"
#include "core/yj.h"

#include <glib.h>
#include <sqlite3.h>
#include <string.h>

static const char vod_sql[] =
    "CREATE TABLE vod_courses ("
    "  id INTEGER PRIMARY KEY,"
    "  title TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  category TEXT NOT NULL DEFAULT '',"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  created_by TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX vod_courses_org ON vod_courses(org_id);"

    /* AUTOINCREMENT: a lesson id is never reused, so a cache or CDN
     * holding a deleted lesson's immutable segments can never serve them
     * for a new lesson under the same URL. */
    "CREATE TABLE vod_lessons ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  course_id INTEGER NOT NULL REFERENCES vod_courses(id),"
    "  title TEXT NOT NULL,"
    "  seq INTEGER NOT NULL DEFAULT 0,"
    "  minutes INTEGER NOT NULL CHECK (minutes BETWEEN 0 AND 6000),"
    "  threshold REAL NOT NULL DEFAULT 0.9 CHECK (threshold > 0 AND threshold <= 1),"
    "  status TEXT NOT NULL CHECK (status IN ('processing','ready','failed')),"
    "  percent INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT,"
    "  duration_ms INTEGER NOT NULL DEFAULT 0,"
    "  width INTEGER NOT NULL DEFAULT 0,"
    "  height INTEGER NOT NULL DEFAULT 0,"
    "  renditions TEXT NOT NULL DEFAULT '[]',"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX vod_lessons_course ON vod_lessons(course_id, seq);"

    /* A lesson assigned to an organisation is for its whole subtree. */
    "CREATE TABLE vod_lesson_orgs ("
    "  lesson_id INTEGER NOT NULL REFERENCES vod_lessons(id) ON DELETE CASCADE,"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  PRIMARY KEY (lesson_id, org_id)) WITHOUT ROWID;"
    "CREATE INDEX vod_lesson_orgs_org ON vod_lesson_orgs(org_id);"

    /* A pending transcoding job; it survives a crash and reruns at start. */
    "CREATE TABLE vod_jobs ("
    "  id INTEGER PRIMARY KEY,"
    "  lesson_id INTEGER NOT NULL UNIQUE REFERENCES vod_lessons(id) ON DELETE CASCADE,"
    "  source TEXT NOT NULL,"
    "  owned INTEGER NOT NULL DEFAULT 0,"
    "  generate INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"

    "CREATE TABLE vod_uploads ("
    "  id TEXT PRIMARY KEY,"
    "  admin_id INTEGER NOT NULL REFERENCES admins(id) ON DELETE CASCADE,"
    "  filename TEXT NOT NULL DEFAULT '',"
    "  size INTEGER NOT NULL CHECK (size > 0),"
    "  received INTEGER NOT NULL DEFAULT 0 CHECK (received BETWEEN 0 AND size),"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"

    /* Per member and lesson: last position and the merged union of watched
     * intervals (JSON, ms); completed_at once the threshold was reached. */
    "CREATE TABLE vod_progress ("
    "  member_id TEXT NOT NULL REFERENCES members(id_number) ON DELETE CASCADE,"
    "  lesson_id INTEGER NOT NULL REFERENCES vod_lessons(id) ON DELETE CASCADE,"
    "  position_ms INTEGER NOT NULL,"
    "  watched_ms INTEGER NOT NULL,"
    "  intervals TEXT NOT NULL,"
    "  reports INTEGER NOT NULL DEFAULT 1,"
    "  first_at INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  completed_at INTEGER,"
    "  PRIMARY KEY (member_id, lesson_id)) WITHOUT ROWID;"
    "CREATE INDEX vod_progress_lesson ON vod_progress(lesson_id);"

    /* Player events other than heartbeats (play, pause, seek, ended,
     * hide), with the union at that moment: the xAPI export's source. */
    "CREATE TABLE vod_events ("
    "  id INTEGER PRIMARY KEY,"
    "  member_id TEXT NOT NULL REFERENCES members(id_number) ON DELETE CASCADE,"
    "  lesson_id INTEGER NOT NULL REFERENCES vod_lessons(id) ON DELETE CASCADE,"
    "  at_ms INTEGER NOT NULL,"
    "  event TEXT NOT NULL,"
    "  position_ms INTEGER NOT NULL,"
    "  from_ms INTEGER,"
    "  watched_ms INTEGER NOT NULL,"
    "  intervals TEXT NOT NULL);"
    "CREATE INDEX vod_events_member ON vod_events(member_id, lesson_id, at_ms);";

/* The crediting budget per member and lesson, shared by every device of
 * the member (vod/rules.h). */
static const char budget_sql[] = "ALTER TABLE vod_progress ADD COLUMN budget_ms INTEGER;"
                                 "ALTER TABLE vod_progress ADD COLUMN budget_at_ms INTEGER;";

/* Chapters a lesson's player offers (e.g. a recorded meeting's speakers),
 * in time order. */
static const char chapters_sql[] =
    "CREATE TABLE vod_chapters ("
    "  lesson_id INTEGER NOT NULL REFERENCES vod_lessons(id) ON DELETE CASCADE,"
    "  start_ms INTEGER NOT NULL CHECK (start_ms >= 0),"
    "  title TEXT NOT NULL,"
    "  PRIMARY KEY (lesson_id, start_ms)) WITHOUT ROWID;";

const yj_migration_t yj_vod_migrations[] = {
    {"vod: courses, lessons, jobs, uploads, progress, events", vod_sql},
    {"vod: crediting budget per member and lesson", budget_sql},
    {"vod: chapters per lesson", chapters_sql},
};
const size_t yj_vod_migrations_count = YJ_ARRAY_LEN(yj_vod_migrations);

/* ------------------------------------------------------------------ */
/* helpers */

static char *dup_col(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return g_strdup(t ? (const char *)t : "");
}

static json_t *jtext(sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return json_null();
    return json_string((const char *)sqlite3_column_text(s, i));
}

static json_t *jint(sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return json_null();
    return json_integer(sqlite3_column_int64(s, i));
}

static void bind_opt_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

/* Steps a read statement to its end; SQLITE_DONE → 0. */
static int finish_rows(yj_db_t *db, sqlite3_stmt *s, int rc)
{
    if (rc != SQLITE_DONE) {
        yj_error("store", "query failed: %s", sqlite3_errmsg(yj_db_handle(db)));
        sqlite3_reset(s);
        return YJ_EDB;
    }
    sqlite3_reset(s);
    return 0;
}

#define READER(db)                                                                                 \
    yj_db_t *db = yj_store_reader(st);                                                             \
    if (!db)                                                                                       \
    return YJ_EDB

/* ------------------------------------------------------------------ */
/* settings, orgs */

typedef struct {
    const char *name, *fresh;
    char *value;
} secret_t;

static int secret_tx(yj_db_t *db, void *ud)
{
    secret_t *a = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "INSERT OR IGNORE INTO settings(key, value) VALUES (?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, a->fresh, -1, SQLITE_STATIC);
    int rc = yj_db_step_done(db, s);
    if (rc)
        return rc;
    s = yj_db_stmt(db, "SELECT value FROM settings WHERE key = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, a->name, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        a->value = dup_col(s, 0);
    sqlite3_reset(s);
    return a->value ? 0 : YJ_EDB;
}

int yj_store_vod_secret(yj_store_t *st, const char *name, char **value)
{
    g_autofree char *fresh = yj_random_token(32);
    if (!fresh)
        return YJ_ECRYPTO;
    secret_t a = {name, fresh, NULL};
    int rc = yj_store_write(st, secret_tx, &a);
    if (rc) {
        g_free(a.value);
        return rc;
    }
    *value = a.value;
    return 0;
}

int yj_store_vod_org(yj_store_t *st, const char *code, int64_t *id, char *path, size_t n)
{
    READER(db);
    yj_org_t o;
    int rc = yj_org_by_code(db, code, NULL, &o);
    if (rc == 0) {
        if (id)
            *id = o.id;
        if (path)
            g_strlcpy(path, o.path, n);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* courses */

void yj_vod_course_clear(yj_vod_course_t *c)
{
    if (!c)
        return;
    g_free(c->title);
    g_free(c->description);
    g_free(c->category);
    g_free(c->org_code);
    g_free(c->org_path);
    g_free(c->created_by);
    memset(c, 0, sizeof *c);
}

typedef struct {
    int64_t id, org_id;
    const char *title, *description, *category, *by;
} course_t;

static int course_add_tx(yj_db_t *db, void *ud)
{
    course_t *a = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "INSERT INTO vod_courses(title, description, category, "
                                     "org_id, created_by, created_at, updated_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, a->title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, a->description ? a->description : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, a->category ? a->category : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, a->org_id);
    sqlite3_bind_text(s, 5, a->by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 6, yj_now());
    sqlite3_bind_int64(s, 7, yj_now());
    int rc = yj_db_step_done(db, s);
    if (rc == 0)
        a->id = sqlite3_last_insert_rowid(yj_db_handle(db));
    return rc;
}

int yj_store_vod_course_add(yj_store_t *st, const char *title, const char *description,
                            const char *category, int64_t org_id, const char *by, int64_t *id)
{
    course_t a = {0, org_id, title, description, category, by};
    int rc = yj_store_write(st, course_add_tx, &a);
    if (rc == 0 && id)
        *id = a.id;
    return rc;
}

int yj_store_vod_course_update(yj_store_t *st, int64_t id, const char *title,
                               const char *description, const char *category)
{
    return yj_store_run(st, YJ_ENOENT,
                        "UPDATE vod_courses SET title = coalesce(?, title), "
                        "description = coalesce(?, description), "
                        "category = coalesce(?, category), updated_at = ? WHERE id = ?",
                        "sssII", title, description, category, yj_now(), id);
}

static int course_delete_tx(yj_db_t *db, void *ud)
{
    int64_t id = *(int64_t *)ud;
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT count(*) FROM vod_lessons WHERE course_id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, id);
    int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_reset(s);
    if (n < 0)
        return YJ_EDB;
    if (n > 0)
        return YJ_EBUSY;
    int rc = yj_db_run(db, "DELETE FROM vod_courses WHERE id = ?", "I", id);
    if (rc == 0 && sqlite3_changes(yj_db_handle(db)) == 0)
        rc = YJ_ENOENT;
    return rc;
}

int yj_store_vod_course_delete(yj_store_t *st, int64_t id)
{
    return yj_store_write(st, course_delete_tx, &id);
}

int yj_store_vod_course_get(yj_store_t *st, int64_t id, yj_vod_course_t *c)
{
    READER(db);
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT c.id, c.title, c.description, c.category, c.org_id, "
                                     "o.code, o.path, c.created_by, c.created_at, c.updated_at "
                                     "FROM vod_courses c JOIN orgs o ON o.id = c.org_id "
                                     "WHERE c.id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, id);
    int rc = YJ_ENOENT;
    memset(c, 0, sizeof *c);
    if (sqlite3_step(s) == SQLITE_ROW) {
        c->id = sqlite3_column_int64(s, 0);
        c->title = dup_col(s, 1);
        c->description = dup_col(s, 2);
        c->category = dup_col(s, 3);
        c->org_id = sqlite3_column_int64(s, 4);
        c->org_code = dup_col(s, 5);
        c->org_path = dup_col(s, 6);
        c->created_by = dup_col(s, 7);
        c->created_at = sqlite3_column_int64(s, 8);
        c->updated_at = sqlite3_column_int64(s, 9);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

/* Lesson l is assigned to the member path ?N or an ancestor of it. */
#define ASSIGNED_TO(lesson, path)                                                                  \
    "EXISTS (SELECT 1 FROM vod_lesson_orgs lo JOIN orgs ao ON ao.id = lo.org_id "                  \
    "WHERE lo.lesson_id = " lesson " AND substr(" path ", 1, length(ao.path)) = ao.path)"

json_t *yj_store_vod_courses(yj_store_t *st, const yj_vod_scope_t *scope, const char *q,
                             const char *category, int limit, int offset)
{
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return NULL;
    sqlite3_stmt *s;
    if (scope->member_id) {
        s = yj_db_stmt(
            db, "SELECT c.id, c.title, c.description, c.category, o.code, o.name, "
                "c.updated_at, count(l.id), sum(l.minutes), "
                "sum(p.completed_at IS NOT NULL), count(*) OVER () "
                "FROM vod_courses c JOIN orgs o ON o.id = c.org_id "
                "JOIN vod_lessons l ON l.course_id = c.id AND l.status = 'ready' "
                "LEFT JOIN vod_progress p ON p.lesson_id = l.id AND p.member_id = ?1 "
                "WHERE " ASSIGNED_TO(
                    "l.id",
                    "?2") " "
                          "AND (?3 IS NULL OR instr(c.title, ?3) OR instr(c.description, ?3)) "
                          "AND (?4 IS NULL OR c.category = ?4) "
                          "GROUP BY c.id ORDER BY c.updated_at DESC, c.id DESC LIMIT ?5 OFFSET ?6");
        if (!s)
            return NULL;
        sqlite3_bind_text(s, 1, scope->member_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, scope->member_path, -1, SQLITE_TRANSIENT);
    } else {
        s = yj_db_stmt(db, "SELECT c.id, c.title, c.description, c.category, o.code, o.name, "
                           "c.updated_at, "
                           "(SELECT count(*) FROM vod_lessons l WHERE l.course_id = c.id), "
                           "(SELECT sum(minutes) FROM vod_lessons l WHERE l.course_id = c.id), "
                           "NULL, count(*) OVER () "
                           "FROM vod_courses c JOIN orgs o ON o.id = c.org_id "
                           "WHERE ((o.path >= ?2 AND o.path < ?2 || '~') "
                           "       OR substr(?2, 1, length(o.path)) = o.path) "
                           "AND (?3 IS NULL OR instr(c.title, ?3) OR instr(c.description, ?3)) "
                           "AND (?4 IS NULL OR c.category = ?4) "
                           "ORDER BY c.updated_at DESC, c.id DESC LIMIT ?5 OFFSET ?6");
        if (!s)
            return NULL;
        sqlite3_bind_text(s, 2, scope->admin_path, -1, SQLITE_TRANSIENT);
    }
    bind_opt_text(s, 3, q && *q ? q : NULL);
    bind_opt_text(s, 4, category && *category ? category : NULL);
    sqlite3_bind_int(s, 5, limit);
    sqlite3_bind_int(s, 6, offset);
    json_t *arr = json_array();
    int64_t total = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *c = json_object();
        json_object_set_new(c, "id", jint(s, 0));
        json_object_set_new(c, "title", jtext(s, 1));
        json_object_set_new(c, "description", jtext(s, 2));
        json_object_set_new(c, "category", jtext(s, 3));
        json_object_set_new(c, "org_code", jtext(s, 4));
        json_object_set_new(c, "org_name", jtext(s, 5));
        json_object_set_new(c, "updated_at", jint(s, 6));
        json_object_set_new(c, "lesson_count", jint(s, 7));
        int64_t minutes = sqlite3_column_int64(s, 8);
        json_object_set_new(c, "minutes", json_integer(minutes));
        json_object_set_new(c, "hours", json_real((double)minutes / 60.0));
        if (scope->member_id)
            json_object_set_new(c, "completed_count", jint(s, 9));
        total = sqlite3_column_int64(s, 10);
        json_array_append_new(arr, c);
    }
    if (finish_rows(db, s, rc)) {
        json_decref(arr);
        return NULL;
    }
    return json_pack("{s:o,s:I}", "courses", arr, "total", (json_int_t)total);
}

json_t *yj_store_vod_course_lessons(yj_store_t *st, int64_t course_id, const yj_vod_scope_t *scope)
{
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return NULL;
    sqlite3_stmt *s = yj_db_stmt(
        db, "SELECT l.id, l.title, l.seq, l.minutes, l.threshold, l.status, l.percent, "
            "l.duration_ms, l.error, p.position_ms, p.watched_ms, p.completed_at "
            "FROM vod_lessons l "
            "LEFT JOIN vod_progress p ON p.lesson_id = l.id AND p.member_id = ?1 "
            "WHERE l.course_id = ?2 AND (?3 IS NULL OR (l.status = 'ready' AND " ASSIGNED_TO(
                "l.id", "?3") ")) ORDER BY l.seq, l.id");
    if (!s)
        return NULL;
    bind_opt_text(s, 1, scope->member_id);
    sqlite3_bind_int64(s, 2, course_id);
    bind_opt_text(s, 3, scope->member_id ? scope->member_path : NULL);
    json_t *arr = json_array();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t minutes = sqlite3_column_int64(s, 3);
        int64_t dur = sqlite3_column_int64(s, 7);
        json_t *l = json_pack(
            "{s:I,s:o,s:I,s:I,s:f,s:f,s:o,s:I,s:f}", "id", (json_int_t)sqlite3_column_int64(s, 0),
            "title", jtext(s, 1), "seq", (json_int_t)sqlite3_column_int64(s, 2), "minutes",
            (json_int_t)minutes, "hours", (double)minutes / 60.0, "threshold",
            sqlite3_column_double(s, 4), "status", jtext(s, 5), "percent",
            (json_int_t)sqlite3_column_int64(s, 6), "duration", (double)dur / 1000.0);
        if (scope->member_id) {
            bool started = sqlite3_column_type(s, 9) != SQLITE_NULL;
            json_object_set_new(l, "position",
                                json_real((double)sqlite3_column_int64(s, 9) / 1000.0));
            json_object_set_new(l, "watched",
                                json_real((double)sqlite3_column_int64(s, 10) / 1000.0));
            json_object_set_new(l, "started", json_boolean(started));
            json_object_set_new(l, "completed",
                                json_boolean(sqlite3_column_type(s, 11) != SQLITE_NULL));
        } else {
            json_object_set_new(l, "error", jtext(s, 8));
        }
        json_array_append_new(arr, l);
    }
    if (finish_rows(db, s, rc)) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* ------------------------------------------------------------------ */
/* lessons */

static const char *const status_names[] = {"processing", "ready", "failed"};

const char *yj_vod_lesson_status_name(yj_lesson_status_t s)
{
    return (unsigned)s < YJ_ARRAY_LEN(status_names) ? status_names[s] : "failed";
}

void yj_vod_lesson_clear(yj_vod_lesson_t *l)
{
    if (!l)
        return;
    g_free(l->title);
    g_free(l->error);
    g_free(l->renditions);
    g_free(l->course_title);
    g_free(l->course_org_path);
    json_decref(l->orgs);
    memset(l, 0, sizeof *l);
}

static int set_orgs(yj_db_t *db, int64_t lesson, const int64_t *ids, size_t n)
{
    sqlite3_stmt *s = yj_db_stmt(db, "DELETE FROM vod_lesson_orgs WHERE lesson_id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, lesson);
    int rc = yj_db_step_done(db, s);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        s = yj_db_stmt(db, "INSERT OR IGNORE INTO vod_lesson_orgs(lesson_id, org_id) "
                           "VALUES (?, ?)");
        if (!s)
            return YJ_EDB;
        sqlite3_bind_int64(s, 1, lesson);
        sqlite3_bind_int64(s, 2, ids[i]);
        rc = yj_db_step_done(db, s);
    }
    return rc;
}

typedef struct {
    const yj_vod_lesson_new_t *in;
    int64_t lesson, job;
} lesson_new_t;

static int lesson_create_tx(yj_db_t *db, void *ud)
{
    lesson_new_t *a = ud;
    const yj_vod_lesson_new_t *in = a->in;
    sqlite3_stmt *s;
    if (in->upload_id) {
        s = yj_db_stmt(db, "DELETE FROM vod_uploads WHERE id = ?");
        if (!s)
            return YJ_EDB;
        sqlite3_bind_text(s, 1, in->upload_id, -1, SQLITE_TRANSIENT);
        int rc = yj_db_step_done(db, s);
        if (rc)
            return rc;
        if (sqlite3_changes(yj_db_handle(db)) == 0)
            return YJ_ENOENT;
    }
    s = yj_db_stmt(db, "INSERT INTO vod_lessons(course_id, title, seq, minutes, threshold, "
                       "status, created_at, updated_at) "
                       "SELECT ?1, ?2, coalesce((SELECT max(seq) + 1 FROM vod_lessons "
                       "WHERE course_id = ?1), 1), ?3, ?4, 'processing', ?5, ?5 "
                       "WHERE EXISTS (SELECT 1 FROM vod_courses WHERE id = ?1)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, in->course_id);
    sqlite3_bind_text(s, 2, in->title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, in->minutes);
    sqlite3_bind_double(s, 4, in->threshold > 0 ? in->threshold : 0.9);
    sqlite3_bind_int64(s, 5, yj_now());
    int rc = yj_db_step_done(db, s);
    if (rc)
        return rc;
    if (sqlite3_changes(yj_db_handle(db)) == 0)
        return YJ_ENOENT;
    a->lesson = sqlite3_last_insert_rowid(yj_db_handle(db));
    rc = set_orgs(db, a->lesson, in->org_ids, in->n_orgs);
    if (rc)
        return rc;
    s = yj_db_stmt(db, "INSERT INTO vod_jobs(lesson_id, source, owned, generate, created_at) "
                       "VALUES (?, ?, ?, ?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, a->lesson);
    sqlite3_bind_text(s, 2, in->source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, in->owned);
    sqlite3_bind_int(s, 4, in->generate);
    sqlite3_bind_int64(s, 5, yj_now());
    rc = yj_db_step_done(db, s);
    if (rc == 0)
        a->job = sqlite3_last_insert_rowid(yj_db_handle(db));
    return rc;
}

int yj_store_vod_lesson_create(yj_store_t *st, const yj_vod_lesson_new_t *in, int64_t *lesson_id,
                               int64_t *job_id)
{
    lesson_new_t a = {in, 0, 0};
    int rc = yj_store_write(st, lesson_create_tx, &a);
    if (rc == 0) {
        if (lesson_id)
            *lesson_id = a.lesson;
        if (job_id)
            *job_id = a.job;
    }
    return rc;
}

typedef struct {
    int64_t id;
    const yj_vod_lesson_patch_t *p;
} lesson_patch_t;

static int lesson_update_tx(yj_db_t *db, void *ud)
{
    lesson_patch_t *a = ud;
    const yj_vod_lesson_patch_t *p = a->p;
    sqlite3_stmt *s = yj_db_stmt(db, "UPDATE vod_lessons SET title = coalesce(?, title), "
                                     "minutes = coalesce(?, minutes), "
                                     "threshold = coalesce(?, threshold), "
                                     "seq = coalesce(?, seq), updated_at = ? WHERE id = ?");
    if (!s)
        return YJ_EDB;
    bind_opt_text(s, 1, p->title);
    if (p->minutes >= 0)
        sqlite3_bind_int(s, 2, p->minutes);
    if (p->threshold > 0)
        sqlite3_bind_double(s, 3, p->threshold);
    if (p->seq >= 0)
        sqlite3_bind_int(s, 4, p->seq);
    sqlite3_bind_int64(s, 5, yj_now());
    sqlite3_bind_int64(s, 6, a->id);
    int rc = yj_db_step_done(db, s);
    if (rc == 0 && sqlite3_changes(yj_db_handle(db)) == 0)
        rc = YJ_ENOENT;
    if (rc == 0 && p->set_orgs)
        rc = set_orgs(db, a->id, p->org_ids, p->n_orgs);
    return rc;
}

int yj_store_vod_lesson_update(yj_store_t *st, int64_t id, const yj_vod_lesson_patch_t *p)
{
    lesson_patch_t a = {id, p};
    return yj_store_write(st, lesson_update_tx, &a);
}

int yj_store_vod_lesson_delete(yj_store_t *st, int64_t id)
{
    return yj_store_run(st, YJ_ENOENT, "DELETE FROM vod_lessons WHERE id = ?", "I", id);
}

/* ---- chapters ---- */

typedef struct {
    int64_t lesson;
    const yj_vod_chapter_t *ch;
    size_t n;
} chapters_set_t;

static int chapters_set_tx(yj_db_t *db, void *ud)
{
    chapters_set_t *a = ud;
    sqlite3_stmt *s = yj_db_query(db, "SELECT 1 FROM vod_lessons WHERE id = ?", "I", a->lesson);
    if (!s)
        return YJ_EDB;
    int found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    if (!found)
        return YJ_ENOENT;
    int rc = yj_db_run(db, "DELETE FROM vod_chapters WHERE lesson_id = ?", "I", a->lesson);
    for (size_t i = 0; rc == 0 && i < a->n; i++)
        rc = yj_db_run(db, "INSERT INTO vod_chapters(lesson_id, start_ms, title) VALUES (?, ?, ?)",
                       "IIs", a->lesson, a->ch[i].start_ms, a->ch[i].title);
    return rc;
}

int yj_store_vod_chapters_set(yj_store_t *st, int64_t lesson, const yj_vod_chapter_t *ch, size_t n)
{
    chapters_set_t a = {lesson, ch, n};
    return yj_store_write(st, chapters_set_tx, &a);
}

json_t *yj_store_vod_chapters(yj_store_t *st, int64_t lesson)
{
    json_t *a = json_array();
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = yj_db_query(
        db, "SELECT start_ms, title FROM vod_chapters WHERE lesson_id = ? ORDER BY start_ms", "I",
        lesson);
    if (!s)
        return a;
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(a, json_pack("{s:f,s:s}", "start",
                                           (double)sqlite3_column_int64(s, 0) / 1000.0, "title",
                                           (const char *)sqlite3_column_text(s, 1)));
    sqlite3_reset(s);
    return a;
}

int yj_store_vod_lesson_get(yj_store_t *st, int64_t id, yj_vod_lesson_t *l)
{
    READER(db);
    sqlite3_stmt *s = yj_db_stmt(
        db, "SELECT l.id, l.course_id, l.title, l.seq, l.minutes, l.threshold, l.status, "
            "l.percent, l.error, l.duration_ms, l.width, l.height, l.renditions, l.created_at, "
            "l.updated_at, c.title, o.path FROM vod_lessons l "
            "JOIN vod_courses c ON c.id = l.course_id JOIN orgs o ON o.id = c.org_id "
            "WHERE l.id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, id);
    memset(l, 0, sizeof *l);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        l->id = sqlite3_column_int64(s, 0);
        l->course_id = sqlite3_column_int64(s, 1);
        l->title = dup_col(s, 2);
        l->seq = sqlite3_column_int(s, 3);
        l->minutes = sqlite3_column_int(s, 4);
        l->threshold = sqlite3_column_double(s, 5);
        const char *status = (const char *)sqlite3_column_text(s, 6);
        l->status = strcmp(status, "ready") == 0        ? YJ_LESSON_READY
                    : strcmp(status, "processing") == 0 ? YJ_LESSON_PROCESSING
                                                        : YJ_LESSON_FAILED;
        l->percent = sqlite3_column_int(s, 7);
        l->error = sqlite3_column_type(s, 8) == SQLITE_NULL ? NULL : dup_col(s, 8);
        l->duration_ms = sqlite3_column_int64(s, 9);
        l->width = sqlite3_column_int(s, 10);
        l->height = sqlite3_column_int(s, 11);
        l->renditions = dup_col(s, 12);
        l->created_at = sqlite3_column_int64(s, 13);
        l->updated_at = sqlite3_column_int64(s, 14);
        l->course_title = dup_col(s, 15);
        l->course_org_path = dup_col(s, 16);
        rc = 0;
    }
    sqlite3_reset(s);
    if (rc)
        return rc;
    s = yj_db_stmt(db, "SELECT o.code, o.name FROM vod_lesson_orgs lo "
                       "JOIN orgs o ON o.id = lo.org_id WHERE lo.lesson_id = ? ORDER BY o.code");
    if (!s) {
        yj_vod_lesson_clear(l);
        return YJ_EDB;
    }
    sqlite3_bind_int64(s, 1, id);
    l->orgs = json_array();
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW)
        json_array_append_new(l->orgs,
                              json_pack("{s:o,s:o}", "code", jtext(s, 0), "name", jtext(s, 1)));
    rc = finish_rows(db, s, r);
    if (rc)
        yj_vod_lesson_clear(l);
    return rc;
}

bool yj_store_vod_lesson_visible(yj_store_t *st, int64_t id, const char *member_path)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = db ? yj_db_stmt(db, "SELECT 1 FROM vod_lessons l WHERE l.id = ?1 AND "
                                          "l.status = 'ready' AND " ASSIGNED_TO("l.id", "?2"))
                         : NULL;
    if (!s)
        return false;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, member_path, -1, SQLITE_TRANSIENT);
    bool ok = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return ok;
}

typedef struct {
    int64_t id;
    int percent;
} percent_t;

int yj_store_vod_lesson_percent(yj_store_t *st, int64_t id, int percent)
{
    return yj_store_run(st, 0,
                        "UPDATE vod_lessons SET percent = ? WHERE id = ? AND status = 'processing'",
                        "iI", percent, id);
}

/* ------------------------------------------------------------------ */
/* jobs */

int yj_store_vod_jobs(yj_store_t *st, yj_vod_job_t **jobs, size_t *n)
{
    READER(db);
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT id, lesson_id, source, owned, generate, attempts "
                                     "FROM vod_jobs ORDER BY id");
    if (!s)
        return YJ_EDB;
    GArray *a = g_array_new(FALSE, TRUE, sizeof(yj_vod_job_t));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        yj_vod_job_t j = {
            .id = sqlite3_column_int64(s, 0),
            .lesson_id = sqlite3_column_int64(s, 1),
            .source = dup_col(s, 2),
            .owned = sqlite3_column_int(s, 3) != 0,
            .generate = sqlite3_column_int(s, 4) != 0,
            .attempts = sqlite3_column_int(s, 5),
        };
        g_array_append_val(a, j);
    }
    *n = a->len;
    *jobs = (yj_vod_job_t *)(void *)g_array_free(a, FALSE);
    rc = finish_rows(db, s, rc);
    if (rc) {
        yj_vod_jobs_free(*jobs, *n);
        *jobs = NULL;
        *n = 0;
    }
    return rc;
}

void yj_vod_jobs_free(yj_vod_job_t *jobs, size_t n)
{
    for (size_t i = 0; jobs && i < n; i++)
        g_free(jobs[i].source);
    g_free(jobs);
}

typedef struct {
    int64_t job;
    int attempts;
    int64_t duration_ms;
    int width, height;
    const char *text;
} job_t;

static int job_begin_tx(yj_db_t *db, void *ud)
{
    job_t *a = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "UPDATE vod_jobs SET attempts = attempts + 1 WHERE id = ? "
                                     "RETURNING attempts");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, a->job);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        a->attempts = sqlite3_column_int(s, 0);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

int yj_store_vod_job_begin(yj_store_t *st, int64_t job_id, int *attempts)
{
    job_t a = {.job = job_id};
    int rc = yj_store_write(st, job_begin_tx, &a);
    if (rc == 0 && attempts)
        *attempts = a.attempts;
    return rc;
}

/* Deletes the job and returns its lesson id through *lesson. */
static int take_job(yj_db_t *db, int64_t job, int64_t *lesson)
{
    sqlite3_stmt *s = yj_db_stmt(db, "DELETE FROM vod_jobs WHERE id = ? RETURNING lesson_id");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, job);
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *lesson = sqlite3_column_int64(s, 0);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

static int job_finish_tx(yj_db_t *db, void *ud)
{
    job_t *a = ud;
    int64_t lesson = 0;
    int rc = take_job(db, a->job, &lesson);
    if (rc)
        return rc;
    rc = yj_db_run(db,
                   "UPDATE vod_lessons SET status = 'ready', percent = 100, error = NULL, "
                   "duration_ms = ?, width = ?, height = ?, renditions = ?, updated_at = ? "
                   "WHERE id = ?",
                   "IiisII", a->duration_ms, a->width, a->height, a->text, yj_now(), lesson);
    if (rc == 0 && sqlite3_changes(yj_db_handle(db)) == 0)
        rc = YJ_ENOENT;
    return rc;
}

int yj_store_vod_job_finish(yj_store_t *st, int64_t job_id, int64_t duration_ms, int width,
                            int height, const char *renditions_json)
{
    job_t a = {job_id, 0, duration_ms, width, height, renditions_json};
    return yj_store_write(st, job_finish_tx, &a);
}

static int job_fail_tx(yj_db_t *db, void *ud)
{
    job_t *a = ud;
    int64_t lesson = 0;
    int rc = take_job(db, a->job, &lesson);
    if (rc)
        return rc;
    return yj_db_run(db,
                     "UPDATE vod_lessons SET status = 'failed', error = ?, updated_at = ? "
                     "WHERE id = ?",
                     "sII", a->text, yj_now(), lesson);
}

int yj_store_vod_job_fail(yj_store_t *st, int64_t job_id, const char *message)
{
    job_t a = {.job = job_id, .text = message};
    return yj_store_write(st, job_fail_tx, &a);
}

bool yj_store_vod_library_empty(yj_store_t *st)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = db ? yj_db_stmt(db, "SELECT 1 FROM vod_courses LIMIT 1") : NULL;
    if (!s)
        return false;
    bool empty = sqlite3_step(s) == SQLITE_DONE;
    sqlite3_reset(s);
    return empty;
}

bool yj_store_vod_path_in_use(yj_store_t *st, const char *path)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = db ? yj_db_stmt(db, "SELECT 1 FROM vod_jobs WHERE source = ?") : NULL;
    if (!s)
        return true; /* when in doubt, keep the file */
    sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
    bool used = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return used;
}

/* ------------------------------------------------------------------ */
/* uploads */

int yj_store_vod_upload_add(yj_store_t *st, const char *id, int64_t admin_id, const char *filename,
                            int64_t size)
{
    int64_t now = yj_now();
    return yj_store_run(st, 0,
                        "INSERT INTO vod_uploads(id, admin_id, filename, size, created_at, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                        "sIsIII", id, admin_id, filename ? filename : "", size, now, now);
}

int yj_store_vod_upload_get(yj_store_t *st, const char *id, yj_vod_upload_t *u)
{
    READER(db);
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT id, admin_id, filename, size, received, created_at "
                                     "FROM vod_uploads WHERE id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    int rc = YJ_ENOENT;
    memset(u, 0, sizeof *u);
    if (sqlite3_step(s) == SQLITE_ROW) {
        g_strlcpy(u->id, (const char *)sqlite3_column_text(s, 0), sizeof u->id);
        u->admin_id = sqlite3_column_int64(s, 1);
        g_strlcpy(u->filename, (const char *)sqlite3_column_text(s, 2), sizeof u->filename);
        u->size = sqlite3_column_int64(s, 3);
        u->received = sqlite3_column_int64(s, 4);
        u->created_at = sqlite3_column_int64(s, 5);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

int yj_store_vod_upload_advance(yj_store_t *st, const char *id, int64_t from, int64_t to)
{
    /* Only from the offset the caller read: a concurrent chunk loses. */
    return yj_store_run(st, YJ_ESTATE,
                        "UPDATE vod_uploads SET received = ?, updated_at = ? "
                        "WHERE id = ? AND received = ?",
                        "IIsI", to, yj_now(), id, from);
}

int yj_store_vod_upload_delete(yj_store_t *st, const char *id)
{
    return yj_store_run(st, YJ_ENOENT, "DELETE FROM vod_uploads WHERE id = ?", "s", id);
}

char **yj_store_vod_uploads_stale(yj_store_t *st, int64_t before)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = db ? yj_db_stmt(db, "SELECT id FROM vod_uploads WHERE updated_at < ?") : NULL;
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, before);
    GPtrArray *a = g_ptr_array_new();
    while (sqlite3_step(s) == SQLITE_ROW)
        g_ptr_array_add(a, dup_col(s, 0));
    sqlite3_reset(s);
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

/* ------------------------------------------------------------------ */
/* progress */

void yj_vod_progress_row_clear(yj_vod_progress_row_t *r)
{
    if (!r)
        return;
    g_free(r->intervals);
    memset(r, 0, sizeof *r);
}

static void read_progress(sqlite3_stmt *s, yj_vod_progress_row_t *r)
{
    r->exists = true;
    r->position_ms = sqlite3_column_int64(s, 0);
    r->watched_ms = sqlite3_column_int64(s, 1);
    r->intervals = dup_col(s, 2);
    r->updated_ms = sqlite3_column_int64(s, 3);
    r->completed_at = sqlite3_column_int64(s, 4);
    r->reports = sqlite3_column_int64(s, 5);
    r->has_budget = sqlite3_column_type(s, 6) != SQLITE_NULL;
    r->budget_ms = sqlite3_column_int64(s, 6);
    r->budget_at_ms = sqlite3_column_int64(s, 7);
}

int yj_store_vod_progress_get(yj_store_t *st, const char *member_id, int64_t lesson_id,
                              yj_vod_progress_row_t *r)
{
    READER(db);
    sqlite3_stmt *s =
        yj_db_stmt(db, "SELECT position_ms, watched_ms, intervals, updated_ms, "
                       "completed_at, reports, budget_ms, budget_at_ms FROM vod_progress "
                       "WHERE member_id = ? AND lesson_id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, member_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, lesson_id);
    memset(r, 0, sizeof *r);
    if (sqlite3_step(s) == SQLITE_ROW)
        read_progress(s, r);
    sqlite3_reset(s);
    return 0;
}

typedef struct {
    yj_vod_progress_op_t *ops;
    size_t n;
    yj_vod_progress_fn fn;
    void *ud;
} batch_t;

/* Loads, decides and writes one op; a non-zero return aborts the batch
 * (database errors only — a refused report is op->result). */
static int apply_one(yj_db_t *db, yj_vod_progress_op_t *op, yj_vod_progress_fn fn, void *ud)
{
    op->credited = false;
    op->intervals = NULL;
    op->event = NULL;
    op->from_ms = -1;
    /* On the write connection, whose page cache is always current, so
     * the visibility check costs no extra read transaction. */
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT l.status = 'ready', l.duration_ms, l.threshold, "
                                     "l.minutes, l.title, ?2 IS NULL OR " ASSIGNED_TO(
                                         "l.id", "?2") " FROM vod_lessons l WHERE l.id = ?1");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, op->lesson_id);
    bind_opt_text(s, 2, op->member_path);
    g_autofree char *title = NULL;
    if (sqlite3_step(s) != SQLITE_ROW || sqlite3_column_int(s, 5) == 0) {
        sqlite3_reset(s);
        op->result = YJ_ENOENT;
        return 0;
    }
    op->lesson_ready = sqlite3_column_int(s, 0) != 0;
    op->duration_ms = sqlite3_column_int64(s, 1);
    op->threshold = sqlite3_column_double(s, 2);
    op->minutes = sqlite3_column_int(s, 3);
    title = dup_col(s, 4);
    op->lesson_title = title;
    sqlite3_reset(s);

    s = yj_db_stmt(db, "SELECT position_ms, watched_ms, intervals, updated_ms, completed_at, "
                       "reports, budget_ms, budget_at_ms FROM vod_progress "
                       "WHERE member_id = ? AND lesson_id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, op->member_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, op->lesson_id);
    memset(&op->prev, 0, sizeof op->prev);
    if (sqlite3_step(s) == SQLITE_ROW)
        read_progress(s, &op->prev);
    sqlite3_reset(s);

    op->result = fn(op, ud);
    int rc = 0;
    if (op->result != 0)
        goto out;
    int64_t now = yj_now();
    bool complete_now = op->complete && !(op->prev.exists && op->prev.completed_at);
    s = yj_db_stmt(db, "INSERT INTO vod_progress(member_id, lesson_id, position_ms, watched_ms, "
                       "intervals, reports, first_at, updated_ms, completed_at, budget_ms, "
                       "budget_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10) "
                       "ON CONFLICT (member_id, lesson_id) DO UPDATE SET "
                       "position_ms = ?3, watched_ms = ?4, intervals = ?5, "
                       "reports = reports + 1, updated_ms = ?7, "
                       "completed_at = coalesce(completed_at, ?8), budget_ms = ?9, "
                       "budget_at_ms = ?10");
    if (!s) {
        rc = YJ_EDB;
        goto out;
    }
    sqlite3_bind_text(s, 1, op->member_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, op->lesson_id);
    sqlite3_bind_int64(s, 3, op->position_ms);
    sqlite3_bind_int64(s, 4, op->watched_ms);
    sqlite3_bind_text(s, 5, op->intervals ? op->intervals : "[]", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 6, now);
    sqlite3_bind_int64(s, 7, op->updated_ms);
    if (complete_now)
        sqlite3_bind_int64(s, 8, now);
    sqlite3_bind_int64(s, 9, op->budget_ms);
    sqlite3_bind_int64(s, 10, op->budget_at_ms);
    rc = yj_db_step_done(db, s);
    if (rc)
        goto out;
    if (op->event) {
        /* Coalesce (YJ_VOD_EVENT_GAP_MS, YJ_VOD_EVENT_BURST): within the
         * gap, an event of the same kind as the last stored one — or any
         * event once the gap already holds BURST rows — replaces that
         * row's state (the row keeps its time) instead of adding a row.
         * Both statements take the same binds (?1–?3 unused by UPDATE). */
        int64_t last_id = 0, in_gap = 0;
        bool same = false;
        s = yj_db_stmt(db, "SELECT id, event = ?4, (SELECT count(*) FROM vod_events WHERE "
                           "member_id = ?1 AND lesson_id = ?2 AND at_ms > ?3) FROM vod_events "
                           "WHERE member_id = ?1 AND lesson_id = ?2 AND at_ms > ?3 "
                           "ORDER BY at_ms DESC, id DESC LIMIT 1");
        if (!s) {
            rc = YJ_EDB;
            goto out;
        }
        sqlite3_bind_text(s, 1, op->member_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, op->lesson_id);
        sqlite3_bind_int64(s, 3, op->updated_ms - YJ_VOD_EVENT_GAP_MS);
        sqlite3_bind_text(s, 4, op->event, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) {
            last_id = sqlite3_column_int64(s, 0);
            same = sqlite3_column_int(s, 1) != 0;
            in_gap = sqlite3_column_int64(s, 2);
        }
        sqlite3_reset(s);
        if (!same && in_gap < YJ_VOD_EVENT_BURST)
            last_id = 0; /* a new kind of event, room in the gap: its own row */
        s = last_id ? yj_db_stmt(db, "UPDATE vod_events SET event = ?4, position_ms = ?5, "
                                     "from_ms = ?6, watched_ms = ?7, intervals = ?8 WHERE id = ?9")
                    : yj_db_stmt(db, "INSERT INTO vod_events(member_id, lesson_id, at_ms, event, "
                                     "position_ms, from_ms, watched_ms, intervals) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        if (!s) {
            rc = YJ_EDB;
            goto out;
        }
        sqlite3_bind_text(s, 1, op->member_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, op->lesson_id);
        sqlite3_bind_int64(s, 3, op->updated_ms);
        sqlite3_bind_text(s, 4, op->event, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, op->position_ms);
        if (op->from_ms >= 0)
            sqlite3_bind_int64(s, 6, op->from_ms);
        sqlite3_bind_int64(s, 7, op->watched_ms);
        sqlite3_bind_text(s, 8, op->intervals ? op->intervals : "[]", -1, SQLITE_TRANSIENT);
        if (last_id)
            sqlite3_bind_int64(s, 9, last_id);
        rc = yj_db_step_done(db, s);
        if (rc)
            goto out;
    }
    if (complete_now && op->minutes > 0) {
        /* The ledger's UNIQUE (member_id, kind, source_id) makes this
         * exactly-once even if progress rows were ever reset. */
        char source[48];
        g_snprintf(source, sizeof source, "lesson:%" G_GINT64_FORMAT, op->lesson_id);
        rc = yj_ledger_credit(db,
                              &(yj_credit_t){.member_id = op->member_id,
                                             .kind = "lesson",
                                             .source_id = source,
                                             .minutes = op->minutes,
                                             .at = now,
                                             .by_whom = "vod",
                                             .reason = op->lesson_title},
                              NULL);
        if (rc == 0)
            op->credited = true;
        else if (rc == YJ_EEXIST)
            rc = 0; /* credited before: exactly once */
    }
out:
    op->lesson_title = NULL;
    g_free(op->intervals);
    op->intervals = NULL;
    yj_vod_progress_row_clear(&op->prev);
    return rc;
}

static int batch_tx(yj_db_t *db, void *ud)
{
    batch_t *b = ud;
    for (size_t i = 0; i < b->n; i++) {
        int rc = apply_one(db, &b->ops[i], b->fn, b->ud);
        if (rc)
            return rc;
    }
    return 0;
}

int yj_store_vod_progress_apply(yj_store_t *st, yj_vod_progress_op_t *ops, size_t n,
                                yj_vod_progress_fn fn, void *ud)
{
    batch_t b = {ops, n, fn, ud};
    int rc = yj_store_write(st, batch_tx, &b);
    if (rc)
        for (size_t i = 0; i < n; i++)
            ops[i].credited = false;
    return rc;
}
