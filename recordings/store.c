/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c — SQL of recordings/store.h: the recordings' manifest tables,
 * the per-meeting flag, and the few reads of other subsystems' rows that
 * composition needs (meeting type and invited organisations, the
 * organisation's "会议回放" course).
 *
 * Every statement is prepared with bound parameters; writes go through
 * yj_store_run / yj_store_write. Must never build SQL from input text.
 */
#include "recordings/store.h"

#include "vod/store.h"
#include "core/yj.h"

#include <glib.h>
#include <sqlite3.h>
#include <string.h>

static const char recordings_sql[] =
    "CREATE TABLE recording_settings ("
    "  meeting_id INTEGER PRIMARY KEY REFERENCES meetings(id),"
    "  record INTEGER NOT NULL CHECK (record IN (0,1)));"

    "CREATE TABLE recordings ("
    "  id INTEGER PRIMARY KEY,"
    "  meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    "  dir TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'recording'"
    "    CHECK (status IN ('recording','stopped','composing','composed','failed')),"
    "  started_us INTEGER NOT NULL,"
    "  stopped_us INTEGER,"
    "  stop_reason TEXT,"
    "  progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),"
    "  bytes INTEGER NOT NULL DEFAULT 0,"
    "  duration_ms INTEGER,"
    "  lesson_id INTEGER,"
    "  error TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  composed_at INTEGER,"
    "  purged INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX recordings_meeting ON recordings(meeting_id);"
    "CREATE INDEX recordings_status ON recordings(status);"

    "CREATE TABLE recording_tracks ("
    "  id INTEGER PRIMARY KEY,"
    "  recording_id INTEGER NOT NULL REFERENCES recordings(id),"
    "  file TEXT NOT NULL,"
    "  peer_id TEXT NOT NULL,"
    "  track_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('audio','video')),"
    "  codec TEXT NOT NULL,"
    "  payload_type INTEGER NOT NULL,"
    "  clock_rate INTEGER NOT NULL,"
    "  channels INTEGER NOT NULL DEFAULT 0,"
    "  fmtp TEXT NOT NULL DEFAULT '',"
    "  layer INTEGER NOT NULL DEFAULT 0,"
    "  layers INTEGER NOT NULL DEFAULT 1,"
    "  audio_level_ext INTEGER NOT NULL DEFAULT 0,"
    "  member_id TEXT,"
    "  display_name TEXT,"
    "  opened_us INTEGER NOT NULL,"
    "  first_us INTEGER, last_us INTEGER,"
    "  packets INTEGER NOT NULL DEFAULT 0,"
    "  dropped INTEGER NOT NULL DEFAULT 0,"
    "  bytes INTEGER NOT NULL DEFAULT 0,"
    "  sr_count INTEGER NOT NULL DEFAULT 0,"
    "  sr_first_ntp_us INTEGER, sr_first_rtp INTEGER,"
    "  sr_last_ntp_us INTEGER, sr_last_rtp INTEGER,"
    "  closed INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX recording_tracks_rec ON recording_tracks(recording_id);"

    "CREATE TABLE recording_events ("
    "  id INTEGER PRIMARY KEY,"
    "  recording_id INTEGER NOT NULL REFERENCES recordings(id),"
    "  at_us INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('join','leave','update','mute','unmute','screen',"
    "    'unscreen','speaker','start','stop')),"
    "  peer_id TEXT, member_id TEXT, name TEXT, detail TEXT);"
    "CREATE INDEX recording_events_rec ON recording_events(recording_id, at_us);";

const yj_migration_t yj_recordings_migrations[] = {
    {"recordings: settings, recordings, tracks, events", recordings_sql},
};
const size_t yj_recordings_migrations_count = YJ_ARRAY_LEN(yj_recordings_migrations);

static const char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : "";
}

static json_t *col_json(sqlite3_stmt *s, int i)
{
    switch (sqlite3_column_type(s, i)) {
    case SQLITE_NULL:
        return json_null();
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(s, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(s, i));
    default:
        return json_string(col_text(s, i));
    }
}

/* Every column of the current row into a JSON object by column name. */
static json_t *row_json(sqlite3_stmt *s)
{
    json_t *o = json_object();
    for (int i = 0; i < sqlite3_column_count(s); i++)
        json_object_set_new(o, sqlite3_column_name(s, i), col_json(s, i));
    return o;
}

int yj_rec_store_wanted(yj_store_t *st, int64_t meeting, bool *record)
{
    sqlite3_stmt *s =
        yj_db_query(yj_store_reader(st),
                    "SELECT m.type, r.record FROM meetings m "
                    "LEFT JOIN recording_settings r ON r.meeting_id = m.id WHERE m.id = ?",
                    "I", meeting);
    if (!s)
        return YJ_EDB;
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        rc = 0;
        if (sqlite3_column_type(s, 1) != SQLITE_NULL) {
            *record = sqlite3_column_int(s, 1) != 0;
        } else {
            const char *type = col_text(s, 0);
            /* 党课 and 支部党员大会 are recorded unless turned off */
            *record = strcmp(type, "lecture") == 0 || strcmp(type, "member_assembly") == 0;
        }
    }
    sqlite3_reset(s);
    return rc;
}

int yj_rec_store_set_wanted(yj_store_t *st, int64_t meeting, bool record)
{
    return yj_store_run(st, 0,
                        "INSERT INTO recording_settings (meeting_id, record) VALUES (?, ?) "
                        "ON CONFLICT (meeting_id) DO UPDATE SET record = excluded.record",
                        "Ii", meeting, record ? 1 : 0);
}

typedef struct {
    int64_t meeting, at;
    const char *dir;
    int64_t id;
} begin_t;

static int begin_fn(yj_db_t *db, void *ud)
{
    begin_t *b = ud;
    int rc = yj_db_run(db, "INSERT INTO recordings (meeting_id, dir, started_us) VALUES (?, ?, ?)",
                       "IsI", b->meeting, b->dir, b->at);
    if (rc)
        return rc;
    b->id = sqlite3_last_insert_rowid(yj_db_handle(db));
    return yj_db_run(db,
                     "INSERT INTO recording_events (recording_id, at_us, kind) VALUES (?, ?, "
                     "'start')",
                     "II", b->id, b->at);
}

int yj_rec_store_begin(yj_store_t *st, int64_t meeting, const char *dir, int64_t at_us,
                       int64_t *rec_id)
{
    begin_t b = {.meeting = meeting, .at = at_us, .dir = dir};
    int rc = yj_store_write(st, begin_fn, &b);
    if (rc == 0 && rec_id)
        *rec_id = b.id;
    return rc;
}

typedef struct {
    int64_t rec;
    const yj_rec_track_row_t *t;
    int64_t id;
} track_add_t;

static int track_add_fn(yj_db_t *db, void *ud)
{
    track_add_t *a = ud;
    const yj_rec_track_row_t *t = a->t;
    sqlite3_stmt *s = yj_db_stmt(
        db, "INSERT INTO recording_tracks (recording_id, file, peer_id, track_id, kind, codec, "
            "payload_type, clock_rate, channels, fmtp, layer, layers, audio_level_ext, member_id, "
            "display_name, opened_us) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_int64(s, 1, a->rec);
    sqlite3_bind_text(s, 2, t->file, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, t->peer_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, t->track_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, t->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 6, t->codec ? t->codec : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 7, t->payload_type);
    sqlite3_bind_int(s, 8, t->clock_rate);
    sqlite3_bind_int(s, 9, t->channels);
    sqlite3_bind_text(s, 10, t->fmtp ? t->fmtp : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 11, t->layer);
    sqlite3_bind_int(s, 12, t->layers);
    sqlite3_bind_int(s, 13, t->audio_level_ext);
    if (t->member_id)
        sqlite3_bind_text(s, 14, t->member_id, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, 14);
    if (t->display_name)
        sqlite3_bind_text(s, 15, t->display_name, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, 15);
    sqlite3_bind_int64(s, 16, t->opened_us);
    int rc = yj_db_step_done(db, s);
    if (rc == 0)
        a->id = sqlite3_last_insert_rowid(yj_db_handle(db));
    return rc;
}

int yj_rec_store_track_add(yj_store_t *st, int64_t rec_id, const yj_rec_track_row_t *t,
                           int64_t *row_id)
{
    track_add_t a = {.rec = rec_id, .t = t};
    int rc = yj_store_write(st, track_add_fn, &a);
    if (rc == 0 && row_id)
        *row_id = a.id;
    return rc;
}

int yj_rec_store_track_update(yj_store_t *st, int64_t row_id, const yj_rec_track_fig_t *f)
{
    return yj_store_run(st, YJ_ENOENT,
                        "UPDATE recording_tracks SET first_us = nullif(?, 0), last_us = nullif(?, "
                        "0), packets = ?, dropped = ?, bytes = ?, sr_count = ?, "
                        "sr_first_ntp_us = CASE WHEN ? > 0 THEN ? END, "
                        "sr_first_rtp = CASE WHEN ? > 0 THEN ? END, "
                        "sr_last_ntp_us = CASE WHEN ? > 0 THEN ? END, "
                        "sr_last_rtp = CASE WHEN ? > 0 THEN ? END, closed = ? WHERE id = ?",
                        "IIIIIIIIIIIIIIiI", f->first_us, f->last_us, f->packets, f->dropped,
                        f->bytes, f->sr_count, f->sr_count, f->sr_first_ntp_us, f->sr_count,
                        (int64_t)f->sr_first_rtp, f->sr_count, f->sr_last_ntp_us, f->sr_count,
                        (int64_t)f->sr_last_rtp, f->closed ? 1 : 0, row_id);
}

int yj_rec_store_event(yj_store_t *st, int64_t rec_id, int64_t at_us, const char *kind,
                       const char *peer_id, const char *member_id, const char *name,
                       const char *detail)
{
    return yj_store_run(st, 0,
                        "INSERT INTO recording_events (recording_id, at_us, kind, peer_id, "
                        "member_id, name, detail) VALUES (?,?,?,?,?,?,?)",
                        "IIsssss", rec_id, at_us, kind, peer_id, member_id, name, detail);
}

typedef struct {
    int64_t rec, at;
    const char *reason;
} stop_t;

static int stop_fn(yj_db_t *db, void *ud)
{
    stop_t *s = ud;
    int rc = yj_db_run(db,
                       "UPDATE recordings SET status = 'stopped', stopped_us = ?, stop_reason = ? "
                       "WHERE id = ? AND status = 'recording'",
                       "IsI", s->at, s->reason, s->rec);
    if (rc)
        return rc;
    if (sqlite3_changes(yj_db_handle(db)) == 0)
        return YJ_ESTATE;
    return yj_db_run(db,
                     "INSERT INTO recording_events (recording_id, at_us, kind, detail) VALUES "
                     "(?, ?, 'stop', ?)",
                     "IIs", s->rec, s->at, s->reason);
}

int yj_rec_store_stop(yj_store_t *st, int64_t rec_id, int64_t at_us, const char *reason)
{
    stop_t s = {.rec = rec_id, .at = at_us, .reason = reason};
    return yj_store_write(st, stop_fn, &s);
}

int yj_rec_store_status(yj_store_t *st, int64_t rec_id, const char *status, int progress,
                        const char *error)
{
    return yj_store_run(st, YJ_ENOENT,
                        "UPDATE recordings SET status = ?, progress = ?, error = ?, attempts = "
                        "attempts + (? = 'composing') WHERE id = ?",
                        "sissI", status, progress, error, status, rec_id);
}

int yj_rec_store_progress(yj_store_t *st, int64_t rec_id, int progress)
{
    return yj_store_run(st, YJ_ENOENT, "UPDATE recordings SET progress = ? WHERE id = ?", "iI",
                        progress, rec_id);
}

int yj_rec_store_composed(yj_store_t *st, int64_t rec_id, int64_t lesson_id, int64_t duration_ms)
{
    return yj_store_run(st, YJ_ENOENT,
                        "UPDATE recordings SET status = 'composed', progress = 100, error = NULL, "
                        "lesson_id = ?, duration_ms = ?, composed_at = ? WHERE id = ?",
                        "IIII", lesson_id, duration_ms, yj_now(), rec_id);
}

int yj_rec_store_bytes(yj_store_t *st, int64_t rec_id, int64_t bytes)
{
    return yj_store_run(st, YJ_ENOENT, "UPDATE recordings SET bytes = ? WHERE id = ?", "II", bytes,
                        rec_id);
}

GArray *yj_rec_store_with_status(yj_store_t *st, const char *statuses)
{
    sqlite3_stmt *s = yj_db_query(yj_store_reader(st),
                                  "SELECT id FROM recordings WHERE instr(',' || ? || ',', ',' || "
                                  "status || ',') > 0 ORDER BY id",
                                  "s", statuses);
    if (!s)
        return NULL;
    GArray *a = g_array_new(FALSE, FALSE, sizeof(gint64));
    while (sqlite3_step(s) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0);
        g_array_append_val(a, id);
    }
    sqlite3_reset(s);
    return a;
}

static json_t *rows(yj_db_t *db, const char *sql, int64_t id)
{
    json_t *a = json_array();
    sqlite3_stmt *s = yj_db_query(db, sql, "I", id);
    if (!s)
        return a;
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(a, row_json(s));
    sqlite3_reset(s);
    return a;
}

#define REC_COLUMNS                                                                                \
    "SELECT id, meeting_id, dir, status, started_us, stopped_us, stop_reason, progress, bytes, "   \
    "duration_ms, lesson_id, error, attempts, composed_at, purged FROM recordings "

json_t *yj_rec_store_manifest(yj_store_t *st, int64_t rec_id)
{
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = yj_db_query(db, REC_COLUMNS "WHERE id = ?", "I", rec_id);
    if (!s)
        return NULL;
    json_t *o = NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        o = row_json(s);
    sqlite3_reset(s);
    if (!o)
        return NULL;
    json_object_set_new(
        o, "tracks",
        rows(db, "SELECT * FROM recording_tracks WHERE recording_id = ? ORDER BY id", rec_id));
    json_object_set_new(o, "events",
                        rows(db,
                             "SELECT at_us, kind, peer_id, member_id, name, detail FROM "
                             "recording_events WHERE recording_id = ? ORDER BY at_us, id",
                             rec_id));
    return o;
}

json_t *yj_rec_store_list(yj_store_t *st, int64_t meeting)
{
    yj_db_t *db = yj_store_reader(st);
    json_t *list = rows(db, REC_COLUMNS "WHERE meeting_id = ? ORDER BY id", meeting);
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        int64_t id = json_integer_value(json_object_get(r, "id"));
        json_object_set_new(r, "tracks",
                            rows(db,
                                 "SELECT id, file, peer_id, kind, codec, member_id, display_name, "
                                 "first_us, last_us, packets, dropped, bytes, closed FROM "
                                 "recording_tracks WHERE recording_id = ? ORDER BY id",
                                 id));
    }
    return json_pack("{s:o}", "recordings", list);
}

int64_t yj_rec_store_meeting_of(yj_store_t *st, int64_t rec_id)
{
    sqlite3_stmt *s = yj_db_query(yj_store_reader(st),
                                  "SELECT meeting_id FROM recordings WHERE id = ?", "I", rec_id);
    if (!s)
        return 0;
    int64_t m = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return m;
}

int64_t yj_rec_store_disk_bytes(yj_store_t *st)
{
    sqlite3_stmt *s = yj_db_query(
        yj_store_reader(st), "SELECT coalesce(sum(bytes), 0) FROM recordings WHERE purged = 0", "");
    if (!s)
        return 0;
    int64_t b = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return b;
}

GArray *yj_rec_store_expired(yj_store_t *st, int64_t before_s)
{
    sqlite3_stmt *s = yj_db_query(yj_store_reader(st),
                                  "SELECT id FROM recordings WHERE status = 'composed' AND purged "
                                  "= 0 AND composed_at < ? ORDER BY id",
                                  "I", before_s);
    if (!s)
        return NULL;
    GArray *a = g_array_new(FALSE, FALSE, sizeof(gint64));
    while (sqlite3_step(s) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0);
        g_array_append_val(a, id);
    }
    sqlite3_reset(s);
    return a;
}

int yj_rec_store_purged(yj_store_t *st, int64_t rec_id)
{
    return yj_store_run(st, YJ_ENOENT, "UPDATE recordings SET purged = 1, bytes = 0 WHERE id = ?",
                        "I", rec_id);
}

int yj_rec_store_meeting(yj_store_t *st, int64_t meeting, yj_rec_meeting_t *out)
{
    memset(out, 0, sizeof *out);
    yj_db_t *db = yj_store_reader(st);
    sqlite3_stmt *s = yj_db_query(db,
                                  "SELECT m.org_id, o.path, m.title, m.type FROM meetings m "
                                  "JOIN orgs o ON o.id = m.org_id WHERE m.id = ?",
                                  "I", meeting);
    if (!s)
        return YJ_EDB;
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->org_id = sqlite3_column_int64(s, 0);
        g_strlcpy(out->org_path, col_text(s, 1), sizeof out->org_path);
        g_strlcpy(out->title, col_text(s, 2), sizeof out->title);
        g_strlcpy(out->type, col_text(s, 3), sizeof out->type);
        rc = 0;
    }
    sqlite3_reset(s);
    if (rc)
        return rc;
    s = yj_db_query(db, "SELECT org_id FROM meeting_orgs WHERE meeting_id = ? ORDER BY org_id", "I",
                    meeting);
    GArray *a = g_array_new(FALSE, FALSE, sizeof(int64_t));
    while (s && sqlite3_step(s) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        g_array_append_val(a, id);
    }
    if (s)
        sqlite3_reset(s);
    if (a->len == 0)
        g_array_append_val(a, out->org_id);
    out->n_orgs = a->len;
    out->orgs = (int64_t *)g_array_free(a, FALSE);
    return 0;
}

void yj_rec_meeting_clear(yj_rec_meeting_t *m)
{
    if (m) {
        g_free(m->orgs);
        m->orgs = NULL;
        m->n_orgs = 0;
    }
}

#define COURSE_TITLE "会议回放"

int yj_rec_store_course(yj_store_t *st, int64_t org_id, int64_t *course_id)
{
    sqlite3_stmt *s = yj_db_query(yj_store_reader(st),
                                  "SELECT id FROM vod_courses WHERE org_id = ? AND title = ? "
                                  "ORDER BY id LIMIT 1",
                                  "Is", org_id, COURSE_TITLE);
    if (!s)
        return YJ_EDB;
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    if (id) {
        *course_id = id;
        return 0;
    }
    return yj_store_vod_course_add(st, COURSE_TITLE, "会议录像，供未能参会的党员在线点播学习",
                                   "会议回放", org_id, "recordings", course_id);
}
