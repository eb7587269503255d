/* SPDX-License-Identifier: Apache-2.0 */
/*
 * migrations.c — the global order of the subsystems' migrations; see
 * migrations.h.
 *
 * Version n on disk means entries 1..n below ran, so an entry is never
 * moved, removed or edited once released. Pointers to the subsystems'
 * array elements are address constants, so the list is built at compile
 * time without copying any SQL. The start-up check below refuses a list
 * that has grown out of step with what the subsystems export.
 */
#include "daemon/migrations.h"
#include "core/log.h"
#include "core/store_records.h"
#include "core/yj.h"
#include "iptv/store.h"
#include "recordings/store.h"
#include "signaling/store.h"
#include "vod/store.h"

#include <glib.h>

const yj_migration_t *const yj_daemon_migrations[] = {
    &yj_records_migrations[0],   /* 1: orgs, members, admins, sessions, ledger */
    &yj_signaling_migrations[0], /* 2: meetings, invitations, attendance, results */
    &yj_vod_migrations[0],       /* 3: courses, lessons, jobs, uploads, progress, events */
    &yj_iptv_migrations[0],      /* 4: channels, programmes, stations, roll-call */
    &yj_records_migrations[1],   /* 5: administrators' real names */
    &yj_vod_migrations[1],       /* 6: crediting budget per member and lesson */
    &yj_records_migrations[2],   /* 7: session details, token parents */
    &yj_recordings_migrations[0], /* 8: recordings, tracks, events, settings */
    &yj_vod_migrations[2],        /* 9: chapters per lesson */
};
const size_t yj_daemon_migrations_count = YJ_ARRAY_LEN(yj_daemon_migrations);

yj_store_t *yj_daemon_store_open(const char *path, char **err)
{
    /* A subsystem that appends a migration must also append it here. */
    size_t exported =
        yj_records_migrations_count + yj_signaling_migrations_count +
                      yj_vod_migrations_count + yj_iptv_migrations_count +
                      yj_recordings_migrations_count;
    if (exported != yj_daemon_migrations_count) {
        if (err)
            *err = g_strdup_printf("daemon/migrations.c lists %zu migrations, the subsystems "
                                   "export %zu",
                                   yj_daemon_migrations_count, exported);
        return NULL;
    }
    return yj_store_open(path, yj_daemon_migrations, yj_daemon_migrations_count, err);
}
