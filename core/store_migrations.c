/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_migrations.c — the schema, as an ordered list of migrations.
 *
 * Records model (see docs/ARCHITECTURE.md): organisations form a tree kept
 * as a materialised path of ids ("/1/4/9/") so a subtree test is a prefix
 * test; members are keyed by their identity number; the credit ledger is
 * append-only (triggers refuse UPDATE and DELETE) and unique on (member,
 * kind, source_id) so one event is never credited twice.
 */
#include "store_migrations.h"

extern const char yj_migration_meetings_sql[]; /* core/store_meetings.c */
extern const char yj_migration_vod_sql[]; /* store_vod.c */
extern const char yj_recordings_migration_sql[]; /* recordings/store.c */

static const char base_sql[] =
    "CREATE TABLE orgs ("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  parent_id INTEGER REFERENCES orgs(id),"
    "  path TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX orgs_parent ON orgs(parent_id);"

    "CREATE TABLE members ("
    "  id_number TEXT PRIMARY KEY CHECK (length(id_number) = 18),"
    "  name TEXT NOT NULL,"
    "  gender TEXT NOT NULL CHECK (gender IN ('male','female')),"
    "  birth_date TEXT NOT NULL,"
    "  phone TEXT,"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  joined_on TEXT,"
    "  status TEXT NOT NULL DEFAULT 'full' CHECK (status IN ('full','probationary')),"
    "  migrant INTEGER NOT NULL DEFAULT 0,"
    "  location TEXT,"
    "  password_hash TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX members_org ON members(org_id);"

    "CREATE TABLE admins ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE,"
    "  password_hash TEXT NOT NULL,"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  created_at INTEGER NOT NULL);"

    /* Sign-in sessions (cookie) and API tokens (bearer): only the SHA-256
     * of the secret is stored. Exactly one of admin_id / member_id is set. */
    "CREATE TABLE sessions ("
    "  token_hash TEXT PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('session','token')),"
    "  admin_id INTEGER REFERENCES admins(id) ON DELETE CASCADE,"
    "  member_id TEXT REFERENCES members(id_number) ON DELETE CASCADE,"
    "  label TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  CHECK ((admin_id IS NULL) <> (member_id IS NULL)));"

    /* One-time sign-in codes issued by a branch administrator. */
    "CREATE TABLE login_codes ("
    "  code_hash TEXT PRIMARY KEY,"
    "  member_id TEXT NOT NULL REFERENCES members(id_number) ON DELETE CASCADE,"
    "  issued_by INTEGER REFERENCES admins(id),"
    "  expires_at INTEGER NOT NULL,"
    "  used_at INTEGER);"

    "CREATE TABLE ledger ("
    "  id INTEGER PRIMARY KEY,"
    "  member_id TEXT NOT NULL REFERENCES members(id_number),"
    "  kind TEXT NOT NULL CHECK (kind IN ('meeting','lesson','broadcast','manual')),"
    "  source_id TEXT NOT NULL,"
    "  minutes INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  by_whom TEXT NOT NULL,"
    "  reason TEXT,"
    "  corrects INTEGER REFERENCES ledger(id),"
    /* A credit adds time; only a correction may take some away. */
    "  CHECK ((corrects IS NULL AND minutes > 0) OR (corrects IS NOT NULL AND minutes <> 0)),"
    "  UNIQUE (member_id, kind, source_id));"
    "CREATE INDEX ledger_member_at ON ledger(member_id, at);"
    "CREATE INDEX ledger_corrects ON ledger(corrects) WHERE corrects IS NOT NULL;"
    "CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"

    /* Server-wide secrets (e.g. the HMAC key for signed playback URLs). */
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

const yj_migration_t yj_migrations[] = {
    {"records: orgs, members, admins, sessions, ledger", base_sql},
    {"meetings: meetings, invitations, attendance, results", yj_migration_meetings_sql},
    {"vod: courses, lessons, jobs, uploads, progress, events", yj_migration_vod_sql},
    {"recordings: settings, recordings, tracks, events", yj_recordings_migration_sql},
};
const int yj_migrations_count = (int)(sizeof yj_migrations / sizeof yj_migrations[0]);
