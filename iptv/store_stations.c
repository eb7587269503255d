/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_stations.c — SQL for village stations (their organisation and the
 * SHA-256 of their access key) and for roll-call confirmations, whose
 * second code credits the ledger in the same transaction.
 */
#include "store.h"
#include "core/store_records.h"
#include "core/yj.h"

#include <sqlite3.h>
#include <string.h>

static void copy_col(char *dst, size_t n, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    g_strlcpy(dst, t ? (const char *)t : "", n);
}

#define STATION_COLS                                                                               \
    "s.id, s.org_id, s.name, s.key_hint, s.key_hash IS NOT NULL, s.revoked_at, s.created_at, "     \
    "o.code, o.name, o.path "

static void station_row(sqlite3_stmt *s, yj_iptv_station_t *st)
{
    memset(st, 0, sizeof *st);
    st->id = sqlite3_column_int64(s, 0);
    st->org_id = sqlite3_column_int64(s, 1);
    copy_col(st->name, sizeof st->name, s, 2);
    copy_col(st->key_hint, sizeof st->key_hint, s, 3);
    st->has_key = sqlite3_column_int(s, 4) != 0;
    st->revoked_at = sqlite3_column_int64(s, 5);
    st->created_at = sqlite3_column_int64(s, 6);
    copy_col(st->org_code, sizeof st->org_code, s, 7);
    copy_col(st->org_name, sizeof st->org_name, s, 8);
    copy_col(st->org_path, sizeof st->org_path, s, 9);
}

static int one_station(sqlite3_stmt *s, yj_iptv_station_t *out)
{
    if (!s)
        return YJ_EDB;
    int rc = YJ_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        station_row(s, out);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

typedef struct {
    int64_t org_id;
    const char *name, *hash, *hint;
    int64_t *id;
} station_add_t;

static int station_add_tx(yj_db_t *db, void *ud)
{
    station_add_t *a = ud;
    int rc = yj_db_run(db,
                       "INSERT INTO iptv_stations(org_id, name, key_hash, key_hint, created_at) "
                       "VALUES (?, ?, ?, ?, ?)",
                       "IsssI", a->org_id, a->name, a->hash, a->hint, yj_now());
    if (!rc && a->id)
        *a->id = sqlite3_last_insert_rowid(yj_db_handle(db));
    return rc;
}

int yj_iptv_store_station_add(yj_store_t *st, int64_t org_id, const char *name,
                              const char *key_hash, const char *key_hint, int64_t *id)
{
    station_add_t a = {org_id, name, key_hash, key_hint, id};
    return yj_store_write(st, station_add_tx, &a);
}

int yj_iptv_store_station_get(yj_store_t *st, int64_t id, yj_iptv_station_t *s)
{
    return one_station(yj_db_query(yj_store_reader(st),
                                   "SELECT " STATION_COLS "FROM iptv_stations s "
                                   "JOIN orgs o ON o.id = s.org_id WHERE s.id = ?",
                                   "I", id),
                       s);
}

int yj_iptv_store_station_by_key(yj_store_t *st, const char *key_hash, yj_iptv_station_t *s)
{
    return one_station(yj_db_query(yj_store_reader(st),
                                   "SELECT " STATION_COLS "FROM iptv_stations s "
                                   "JOIN orgs o ON o.id = s.org_id WHERE s.key_hash = ?",
                                   "s", key_hash),
                       s);
}

int yj_iptv_store_stations(yj_store_t *st, const char *admin_path, GArray *out)
{
    sqlite3_stmt *s = yj_db_query(yj_store_reader(st),
                                  "SELECT " STATION_COLS "FROM iptv_stations s "
                                  "JOIN orgs o ON o.id = s.org_id "
                                  "WHERE substr(o.path, 1, length(?1)) = ?1 ORDER BY o.path, s.id",
                                  "s", admin_path);
    if (!s)
        return YJ_EDB;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        yj_iptv_station_t x;
        station_row(s, &x);
        g_array_append_val(out, x);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : YJ_EDB;
}

int yj_iptv_store_station_update(yj_store_t *st, int64_t id, const char *name, int64_t org_id)
{
    return yj_store_run(st, YJ_ENOENT,
                        "UPDATE iptv_stations SET name = COALESCE(?, name), "
                        "org_id = CASE WHEN ? > 0 THEN ? ELSE org_id END WHERE id = ?",
                        "sIII", name, org_id, org_id, id);
}

int yj_iptv_store_station_key(yj_store_t *st, int64_t id, const char *key_hash,
                              const char *key_hint)
{
    if (key_hash)
        return yj_store_run(st, YJ_ENOENT,
                            "UPDATE iptv_stations SET key_hash = ?, key_hint = ?, revoked_at = 0 "
                            "WHERE id = ?",
                            "ssI", key_hash, key_hint, id);
    /* the hash stays, so a revoked key is told apart from an unknown one */
    return yj_store_run(st, YJ_ENOENT,
                        "UPDATE iptv_stations SET revoked_at = ? WHERE id = ? AND revoked_at = 0",
                        "II", yj_now(), id);
}

int yj_iptv_store_station_delete(yj_store_t *st, int64_t id)
{
    return yj_store_run(st, YJ_ENOENT, "DELETE FROM iptv_stations WHERE id = ?", "I", id);
}

/* ------------------------------------------------------------------ */
/* roll-call */

static int confirm_tx(yj_db_t *db, void *ud)
{
    yj_iptv_confirm_t *c = ud;
    sqlite3_stmt *s = yj_db_query(db,
                                  "SELECT o.path FROM members m JOIN orgs o ON o.id = m.org_id "
                                  "WHERE m.id_number = ?",
                                  "s", c->member_id);
    if (!s)
        return YJ_EDB;
    bool ok = false;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(s, 0);
        ok = !c->within || (path && strncmp(path, c->within, strlen(c->within)) == 0);
    }
    sqlite3_reset(s);
    if (!ok)
        return YJ_ENOENT;
    s = yj_db_query(db,
                    "SELECT end_at IS NOT NULL FROM iptv_rollcall WHERE programme_id = ? AND "
                    "occ_start_ms = ? AND member_id = ?",
                    "IIs", c->programme_id, c->occ_start_ms, c->member_id);
    if (!s)
        return YJ_EDB;
    int have = -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        have = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    if (c->phase == 1) {
        if (have >= 0)
            return YJ_EEXIST;
        return yj_db_run(db,
                         "INSERT INTO iptv_rollcall(programme_id, occ_start_ms, member_id, "
                         "station_id, start_at, by_whom) VALUES (?, ?, ?, ?, ?, ?)",
                         "IIsIIs", c->programme_id, c->occ_start_ms, c->member_id, c->station_id,
                         c->at_ms, c->by_whom);
    }
    if (have < 0)
        return YJ_ESTATE;
    if (have > 0)
        return YJ_EEXIST;
    int rc = yj_db_run(db,
                       "UPDATE iptv_rollcall SET end_at = ? WHERE programme_id = ? AND "
                       "occ_start_ms = ? AND member_id = ?",
                       "IIIs", c->at_ms, c->programme_id, c->occ_start_ms, c->member_id);
    if (rc)
        return rc;
    yj_credit_t credit = {
        .member_id = c->member_id,
        .kind = "broadcast",
        .source_id = c->source_id,
        .minutes = c->minutes,
        .at = c->at_ms / 1000,
        .by_whom = c->by_whom,
        .reason = c->reason,
    };
    rc = yj_ledger_credit(db, &credit, NULL);
    if (rc == YJ_EEXIST)
        return 0; /* credited already (the ledger's unique key): nothing more */
    if (!rc)
        c->credited = true;
    return rc;
}

int yj_iptv_store_confirm(yj_store_t *st, yj_iptv_confirm_t *c)
{
    c->credited = false;
    int rc = yj_store_write(st, confirm_tx, c);
    if (rc)
        c->credited = false;
    return rc;
}

json_t *yj_iptv_store_rollcall_report(yj_store_t *st, int64_t programme_id, int64_t occ_start_ms)
{
    sqlite3_stmt *s = yj_db_query(
        yj_store_reader(st),
        "SELECT r.occ_start_ms, r.station_id, COALESCE(s.name, ''), r.member_id, m.name, "
        "r.start_at, r.end_at, r.by_whom FROM iptv_rollcall r "
        "JOIN members m ON m.id_number = r.member_id "
        "LEFT JOIN iptv_stations s ON s.id = r.station_id "
        "WHERE r.programme_id = ?1 AND (?2 = 0 OR r.occ_start_ms = ?2) "
        "ORDER BY r.occ_start_ms, r.station_id, r.member_id",
        "II", programme_id, occ_start_ms);
    if (!s)
        return NULL;
    json_t *occs = json_array(), *occ = NULL, *stations = NULL, *station = NULL;
    int64_t cur_occ = -1, cur_station = -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t o = sqlite3_column_int64(s, 0), sid = sqlite3_column_int64(s, 1);
        if (o != cur_occ) {
            occ = json_pack("{s:I,s:[]}", "start_ms", (json_int_t)o, "stations");
            json_array_append_new(occs, occ);
            stations = json_object_get(occ, "stations");
            cur_occ = o;
            cur_station = -1;
        }
        if (sid != cur_station) {
            station = json_pack("{s:I,s:s,s:[],s:i}", "id", (json_int_t)sid, "name",
                                sqlite3_column_text(s, 2), "members", "confirmed", 0);
            json_array_append_new(stations, station);
            cur_station = sid;
        }
        bool done = sqlite3_column_type(s, 6) != SQLITE_NULL;
        json_array_append_new(json_object_get(station, "members"),
                              json_pack("{s:s,s:s,s:I,s:I,s:b,s:s}", "id_number",
                                        sqlite3_column_text(s, 3), "name",
                                        sqlite3_column_text(s, 4), "start_at_ms",
                                        (json_int_t)sqlite3_column_int64(s, 5), "end_at_ms",
                                        (json_int_t)sqlite3_column_int64(s, 6), "credited", done,
                                        "by", sqlite3_column_text(s, 7)));
        if (done)
            json_object_set_new(
                station, "confirmed",
                json_integer(json_integer_value(json_object_get(station, "confirmed")) + 1));
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        json_decref(occs);
        return NULL;
    }
    return occs;
}
