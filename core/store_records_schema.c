/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_records_schema.c — the records domain's schema, as migrations the
 * daemon lists first (daemon/migrations.c). Other subsystems export their
 * own (signaling/store.c, vod/store.c); core names none of them.
 *
 * Records model (see docs/ARCHITECTURE.md): organisations form a tree kept
 * as a materialised path of ids ("/1/4/9/") so a subtree test is a prefix
 * test; members are keyed by their identity number; the credit ledger is
 * append-only (triggers refuse UPDATE and DELETE) and unique on (member,
 * kind, source_id) so one event is never credited twice.
 */
#include "store_records.h"
#include "yj.h"

/* Sessions: what their owner sees to tell them apart when revoking them,
 * and the session a token was minted from (logout ends both). */
static const char sessions_sql[] =
    "ALTER TABLE sessions ADD COLUMN parent TEXT;"
    "ALTER TABLE sessions ADD COLUMN peer TEXT;"
    "ALTER TABLE sessions ADD COLUMN user_agent TEXT;"
    "CREATE INDEX sessions_expires ON sessions(expires_at);"
    "CREATE INDEX sessions_member ON sessions(member_id) WHERE member_id IS NOT NULL;"
    "CREATE INDEX sessions_admin ON sessions(admin_id) WHERE admin_id IS NOT NULL;"
    "CREATE INDEX sessions_parent ON sessions(parent) WHERE parent IS NOT NULL;";

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

const yj_migration_t yj_records_migrations[] = {
    {"records: orgs, members, admins, sessions, ledger", base_sql},
    /* An administrator's real name, shown where they host or act ("" until
     * set: pages fall back to the login name). */
    {"records: administrators' real names",
     "ALTER TABLE admins ADD COLUMN name TEXT NOT NULL DEFAULT '';"},
    {"records: session details and token parents", sessions_sql},
};
const size_t yj_records_migrations_count = YJ_ARRAY_LEN(yj_records_migrations);
