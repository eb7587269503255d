/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vod/store_reports.c — read-only queries behind the learning pages and
 * reports (vod/store.h): a member's learning page, per-organisation
 * completion and hours, rankings, and a member's playback history for the
 * xAPI export. Hours come from the ledger (kind 'lesson'), never from a
 * stored total, so they always agree with the member's record.
 */
#include "vod/store.h"
#include "core/log.h"
#include "core/yj.h"

#include <glib.h>
#include <sqlite3.h>
#include <string.h>

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

static json_t *jsec(sqlite3_stmt *s, int i)
{
    return json_real((double)sqlite3_column_int64(s, i) / 1000.0);
}

static json_t *jhours(int64_t minutes)
{
    /* Two decimals, as shown on a record. */
    return json_real((double)(int64_t)((double)minutes / 60.0 * 100.0 + 0.5) / 100.0);
}

static bool done(yj_db_t *db, sqlite3_stmt *s, int rc)
{
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        yj_error("store", "report query failed: %s", sqlite3_errmsg(yj_db_handle(db)));
        return false;
    }
    return true;
}

static int64_t scalar(yj_db_t *db, sqlite3_stmt *s, bool *ok)
{
    int64_t v = 0;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        v = sqlite3_column_int64(s, 0);
        rc = sqlite3_step(s);
    }
    if (!done(db, s, rc))
        *ok = false;
    return v;
}

json_t *yj_store_vod_member_learning(yj_store_t *st, const char *member_id, const char *member_path,
                                     int64_t from, int64_t to)
{
    (void)member_path;
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return NULL;
    bool ok = true;
    json_t *in_progress = json_array(), *completed = json_array();
    sqlite3_stmt *s = yj_db_query(
        db,
        "SELECT l.id, l.title, c.id, c.title, p.position_ms, p.watched_ms, l.duration_ms, "
        "p.updated_ms, p.completed_at, l.minutes, "
        "(SELECT g.minutes FROM ledger g WHERE g.member_id = p.member_id AND "
        " g.kind = 'lesson' AND g.source_id = 'lesson:' || l.id) "
        "FROM vod_progress p JOIN vod_lessons l ON l.id = p.lesson_id "
        "JOIN vod_courses c ON c.id = l.course_id WHERE p.member_id = ? "
        "ORDER BY p.updated_ms DESC LIMIT 500",
        "s", member_id);
    if (!s)
        ok = false;
    else {
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t dur = sqlite3_column_int64(s, 6), watched = sqlite3_column_int64(s, 5);
            json_t *o =
                json_pack("{s:I,s:o,s:I,s:o,s:o,s:o,s:o,s:i,s:I}", "lesson_id",
                          (json_int_t)sqlite3_column_int64(s, 0), "title", jtext(s, 1), "course_id",
                          (json_int_t)sqlite3_column_int64(s, 2), "course_title", jtext(s, 3),
                          "position", jsec(s, 4), "watched", jsec(s, 5), "duration", jsec(s, 6),
                          "percent", dur > 0 ? (int)(watched * 100 / dur) : 0, "updated_at",
                          (json_int_t)(sqlite3_column_int64(s, 7) / 1000));
            if (sqlite3_column_type(s, 8) == SQLITE_NULL) {
                json_object_set_new(o, "minutes", jint(s, 9));
                json_array_append_new(in_progress, o);
            } else {
                json_object_set_new(o, "completed_at", jint(s, 8));
                json_object_set_new(o, "credited_minutes", jint(s, 10));
                json_array_append_new(completed, o);
            }
        }
        ok = done(db, s, rc);
    }
    int64_t lesson_minutes = 0, total_minutes = 0;
    if (ok) {
        s = yj_db_query(db,
                        "SELECT coalesce(sum(minutes), 0) FROM ledger WHERE member_id = ? "
                        "AND kind = 'lesson' AND at >= ? AND at < ?",
                        "sII", member_id, from, to);
        if (!s)
            ok = false;
        else {
            lesson_minutes = scalar(db, s, &ok);
        }
    }
    if (ok) {
        s = yj_db_query(db,
                        "SELECT coalesce(sum(minutes), 0) FROM ledger WHERE member_id = ? "
                        "AND at >= ? AND at < ?",
                        "sII", member_id, from, to);
        if (!s)
            ok = false;
        else {
            total_minutes = scalar(db, s, &ok);
        }
    }
    if (!ok) {
        json_decref(in_progress);
        json_decref(completed);
        return NULL;
    }
    return json_pack("{s:o,s:o,s:I,s:o,s:I,s:o}", "in_progress", in_progress, "completed",
                     completed, "lesson_minutes", (json_int_t)lesson_minutes, "lesson_hours",
                     jhours(lesson_minutes), "total_minutes", (json_int_t)total_minutes,
                     "total_hours", jhours(total_minutes));
}

/* Members of the subtree at ?1 are those whose org path lies in
 * [?1, ?1 || '~'). A lesson concerns the subtree when it is assigned to an
 * organisation inside it or to one of its ancestors. */
json_t *yj_store_vod_org_report(yj_store_t *st, const char *org_path, int64_t from, int64_t to,
                                int64_t qfrom, int64_t qto)
{
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return NULL;
    bool ok = true;
    json_t *lessons = json_array(), *members = json_array(), *idle = json_array();
    sqlite3_stmt *s = yj_db_query(
        db,
        "SELECT l.id, l.title, c.id, c.title, l.minutes, "
        " (SELECT count(*) FROM members m JOIN orgs mo ON mo.id = m.org_id "
        "  WHERE mo.path >= ?1 AND mo.path < ?1 || '~' AND EXISTS (SELECT 1 FROM "
        "  vod_lesson_orgs lo JOIN orgs ao ON ao.id = lo.org_id WHERE lo.lesson_id = l.id "
        "  AND substr(mo.path, 1, length(ao.path)) = ao.path)), "
        " (SELECT count(*) FROM vod_progress p JOIN members m ON m.id_number = p.member_id "
        "  JOIN orgs mo ON mo.id = m.org_id WHERE p.lesson_id = l.id "
        "  AND mo.path >= ?1 AND mo.path < ?1 || '~'), "
        " (SELECT count(*) FROM vod_progress p JOIN members m ON m.id_number = p.member_id "
        "  JOIN orgs mo ON mo.id = m.org_id WHERE p.lesson_id = l.id "
        "  AND p.completed_at IS NOT NULL AND mo.path >= ?1 AND mo.path < ?1 || '~') "
        "FROM vod_lessons l JOIN vod_courses c ON c.id = l.course_id "
        "WHERE l.status = 'ready' AND EXISTS (SELECT 1 FROM vod_lesson_orgs lo "
        " JOIN orgs ao ON ao.id = lo.org_id WHERE lo.lesson_id = l.id AND "
        " ((ao.path >= ?1 AND ao.path < ?1 || '~') OR substr(?1, 1, length(ao.path)) = ao.path)) "
        "ORDER BY c.id, l.seq, l.id",
        "s", org_path);
    if (!s)
        ok = false;
    else {
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t eligible = sqlite3_column_int64(s, 5), comp = sqlite3_column_int64(s, 7);
            json_array_append_new(
                lessons,
                json_pack("{s:I,s:o,s:I,s:o,s:I,s:I,s:I,s:I,s:f}", "lesson_id",
                          (json_int_t)sqlite3_column_int64(s, 0), "title", jtext(s, 1), "course_id",
                          (json_int_t)sqlite3_column_int64(s, 2), "course_title", jtext(s, 3),
                          "minutes", (json_int_t)sqlite3_column_int64(s, 4), "members",
                          (json_int_t)eligible, "started", (json_int_t)sqlite3_column_int64(s, 6),
                          "completed", (json_int_t)comp, "completion_rate",
                          eligible > 0 ? (double)(comp * 1000 / eligible) / 1000.0 : 0.0));
        }
        ok = done(db, s, rc);
    }
    if (ok) {
        s = yj_db_query(db,
                        "SELECT m.id_number, m.name, mo.code, mo.name, "
                        " (SELECT coalesce(sum(g.minutes), 0) FROM ledger g WHERE "
                        "  g.member_id = m.id_number AND g.kind = 'lesson' AND g.at >= ?2 "
                        "  AND g.at < ?3), "
                        " (SELECT count(*) FROM vod_progress p WHERE p.member_id = m.id_number "
                        "  AND p.completed_at >= ?2 AND p.completed_at < ?3), "
                        " (SELECT coalesce(sum(g.minutes), 0) FROM ledger g WHERE "
                        "  g.member_id = m.id_number AND g.kind = 'lesson' AND g.at >= ?4 "
                        "  AND g.at < ?5) "
                        "FROM members m JOIN orgs mo ON mo.id = m.org_id "
                        "WHERE mo.path >= ?1 AND mo.path < ?1 || '~' "
                        "ORDER BY mo.path, m.name, m.id_number",
                        "sIIII", org_path, from, to, qfrom, qto);
        if (!s)
            ok = false;
        else {
            int rc;
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                int64_t minutes = sqlite3_column_int64(s, 4);
                json_t *m =
                    json_pack("{s:o,s:o,s:o,s:o}", "id_number", jtext(s, 0), "name", jtext(s, 1),
                              "org_code", jtext(s, 2), "org_name", jtext(s, 3));
                if (sqlite3_column_int64(s, 6) == 0)
                    json_array_append(idle, m);
                json_object_set_new(m, "minutes", json_integer(minutes));
                json_object_set_new(m, "hours", jhours(minutes));
                json_object_set_new(m, "lessons_completed", jint(s, 5));
                json_array_append_new(members, m);
            }
            ok = done(db, s, rc);
        }
    }
    if (!ok) {
        json_decref(lessons);
        json_decref(members);
        json_decref(idle);
        return NULL;
    }
    return json_pack("{s:o,s:o,s:o}", "lessons", lessons, "members", members, "idle", idle);
}

json_t *yj_store_vod_org_ranking(yj_store_t *st, const char *org_path, int64_t from, int64_t to,
                                 int limit)
{
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return NULL;
    bool ok = true;
    json_t *members = json_array(), *orgs = json_array();
    sqlite3_stmt *s = yj_db_query(
        db,
        "SELECT rank() OVER (ORDER BY sum(g.minutes) DESC), m.id_number, m.name, mo.code, "
        "mo.name, sum(g.minutes) "
        "FROM ledger g JOIN members m ON m.id_number = g.member_id "
        "JOIN orgs mo ON mo.id = m.org_id "
        "WHERE g.kind = 'lesson' AND g.at >= ?2 AND g.at < ?3 "
        "AND mo.path >= ?1 AND mo.path < ?1 || '~' "
        "GROUP BY m.id_number HAVING sum(g.minutes) > 0 "
        "ORDER BY sum(g.minutes) DESC, m.id_number LIMIT ?4",
        "sIIi", org_path, from, to, limit);
    if (!s)
        ok = false;
    else {
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            int64_t minutes = sqlite3_column_int64(s, 5);
            json_array_append_new(members,
                                  json_pack("{s:I,s:o,s:o,s:o,s:o,s:I,s:o}", "rank",
                                            (json_int_t)sqlite3_column_int64(s, 0), "id_number",
                                            jtext(s, 1), "name", jtext(s, 2), "org_code",
                                            jtext(s, 3), "org_name", jtext(s, 4), "minutes",
                                            (json_int_t)minutes, "hours", jhours(minutes)));
        }
        ok = done(db, s, rc);
    }
    if (ok) {
        /* Child organisations by lesson minutes per member of their subtree. */
        s = yj_db_query(
            db,
            "WITH kids AS (SELECT c.code, c.name, c.path FROM orgs c JOIN orgs p "
            "  ON p.id = c.parent_id WHERE p.path = ?1), "
            "stats AS (SELECT k.code, k.name, "
            "  (SELECT count(*) FROM members m JOIN orgs mo ON mo.id = m.org_id "
            "   WHERE mo.path >= k.path AND mo.path < k.path || '~') AS n, "
            "  (SELECT coalesce(sum(g.minutes), 0) FROM ledger g "
            "   JOIN members m ON m.id_number = g.member_id JOIN orgs mo ON mo.id = m.org_id "
            "   WHERE g.kind = 'lesson' AND g.at >= ?2 AND g.at < ?3 "
            "   AND mo.path >= k.path AND mo.path < k.path || '~') AS minutes FROM kids k) "
            "SELECT rank() OVER (ORDER BY CASE WHEN n > 0 THEN minutes * 1.0 / n ELSE 0 END "
            "DESC), code, name, n, minutes FROM stats "
            "ORDER BY CASE WHEN n > 0 THEN minutes * 1.0 / n ELSE 0 END DESC, code",
            "sII", org_path, from, to);
        if (!s)
            ok = false;
        else {
            int rc;
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                int64_t n = sqlite3_column_int64(s, 3), minutes = sqlite3_column_int64(s, 4);
                json_array_append_new(orgs,
                                      json_pack("{s:I,s:o,s:o,s:I,s:I,s:o,s:o}", "rank",
                                                (json_int_t)sqlite3_column_int64(s, 0), "org_code",
                                                jtext(s, 1), "org_name", jtext(s, 2), "members",
                                                (json_int_t)n, "minutes", (json_int_t)minutes,
                                                "hours", jhours(minutes), "hours_per_member",
                                                n > 0 ? jhours(minutes / n) : json_real(0)));
            }
            ok = done(db, s, rc);
        }
    }
    if (!ok) {
        json_decref(members);
        json_decref(orgs);
        return NULL;
    }
    return json_pack("{s:o,s:o}", "members", members, "orgs", orgs);
}

json_t *yj_store_vod_member_history(yj_store_t *st, const char *member_id)
{
    return yj_store_vod_member_history_page(st, member_id, 0, 100000, NULL);
}

json_t *yj_store_vod_member_history_page(yj_store_t *st, const char *member_id, int64_t after_id,
                                         int limit, int64_t *next_id)
{
    if (next_id)
        *next_id = 0;
    yj_db_t *db = yj_store_reader(st);
    if (!db)
        return NULL;
    json_t *out = json_array();
    GHashTable *by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
    bool ok = true;
    sqlite3_stmt *s =
        yj_db_query(db,
                    "SELECT l.id, l.title, c.title, l.duration_ms, l.threshold, p.completed_at, "
                    "p.watched_ms, p.intervals, p.position_ms, p.updated_ms "
                    "FROM vod_progress p JOIN vod_lessons l ON l.id = p.lesson_id "
                    "JOIN vod_courses c ON c.id = l.course_id WHERE p.member_id = ? ORDER BY l.id",
                    "s", member_id);
    if (!s)
        ok = false;
    else {
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            json_t *l = json_pack(
                "{s:I,s:o,s:o,s:I,s:f,s:o,s:I,s:o,s:I,s:I,s:[]}", "lesson_id",
                (json_int_t)sqlite3_column_int64(s, 0), "title", jtext(s, 1), "course_title",
                jtext(s, 2), "duration_ms", (json_int_t)sqlite3_column_int64(s, 3), "threshold",
                sqlite3_column_double(s, 4), "completed_at", jint(s, 5), "watched_ms",
                (json_int_t)sqlite3_column_int64(s, 6), "intervals", jtext(s, 7), "position_ms",
                (json_int_t)sqlite3_column_int64(s, 8), "updated_ms",
                (json_int_t)sqlite3_column_int64(s, 9), "events");
            json_array_append_new(out, l);
            int64_t *key = g_new(int64_t, 1);
            *key = sqlite3_column_int64(s, 0);
            g_hash_table_insert(by_id, key, l);
        }
        ok = done(db, s, rc);
    }
    if (ok) {
        s = yj_db_query(db,
                        "SELECT lesson_id, at_ms, event, position_ms, from_ms, watched_ms, "
                        "intervals, id FROM vod_events WHERE member_id = ? AND id > ? "
                        "ORDER BY id LIMIT ?",
                        "sIi", member_id, after_id, limit);
        if (!s)
            ok = false;
        else {
            int rc, n = 0;
            int64_t last = 0;
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(s, 0);
                last = sqlite3_column_int64(s, 7);
                n++;
                json_t *l = g_hash_table_lookup(by_id, &id);
                if (!l)
                    continue;
                json_array_append_new(
                    json_object_get(l, "events"),
                    json_pack("{s:I,s:I,s:o,s:I,s:o,s:I,s:o}", "id", (json_int_t)last, "at_ms",
                              (json_int_t)sqlite3_column_int64(s, 1), "event", jtext(s, 2),
                              "position_ms", (json_int_t)sqlite3_column_int64(s, 3), "from_ms",
                              jint(s, 4), "watched_ms", (json_int_t)sqlite3_column_int64(s, 5),
                              "intervals", jtext(s, 6)));
            }
            ok = done(db, s, rc);
            if (ok && next_id && n == limit)
                *next_id = last;
        }
    }
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, by_id);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_free(k);
    g_hash_table_destroy(by_id);
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}
