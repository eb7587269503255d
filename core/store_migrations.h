/* SPDX-License-Identifier: Apache-2.0 */
/* store_migrations.h — the ordered schema migrations (internal to core/store*). */
#ifndef YJ_STORE_MIGRATIONS_H
#define YJ_STORE_MIGRATIONS_H

typedef struct {
    const char *name;
    const char *sql; /* may hold several statements */
} yj_migration_t;

/* Migration i (0-based) brings the schema to user_version i+1. Append only:
 * once released, a migration is never edited. */
extern const yj_migration_t yj_migrations[];
extern const int yj_migrations_count;

#endif
