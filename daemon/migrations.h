/* SPDX-License-Identifier: Apache-2.0 */
/*
 * migrations.h — the ordered schema migrations of the whole database, as
 * the daemon hands them to yj_store_open.
 *
 * Each subsystem exports its own migrations beside its tables
 * (core/store_records.h, signaling/store.h, vod/store.h); this list fixes
 * their global order, which is the schema version recorded on disk
 * (PRAGMA user_version = how many of them ran). It must never be
 * reordered: a new migration, whichever subsystem owns it, is appended.
 */
#ifndef YJ_DAEMON_MIGRATIONS_H
#define YJ_DAEMON_MIGRATIONS_H

#include "core/store.h"

#include <stddef.h>

/* Every migration in order; static storage, never freed. */
extern const yj_migration_t *const yj_daemon_migrations[];
extern const size_t yj_daemon_migrations_count;

/* yj_store_open(path, yj_daemon_migrations, yj_daemon_migrations_count,
 * err): the database with the whole schema. For the daemon, its
 * commands, tests and benchmarks. */
yj_store_t *yj_daemon_store_open(const char *path, char **err);

#endif
