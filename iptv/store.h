/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h — the IPTV tables: channels and the organisations they serve,
 * programmes (schedule rows), village stations with their hashed access
 * keys, and roll-call confirmations at stations.
 *
 * Only SQL lives in store*.c. The rules (what a valid programme is, when
 * two overlap, whether a roll-call code is right) belong to the callers;
 * where a rule must hold against concurrent writers (no overlap, credit
 * once) the store runs the caller's check inside the write transaction.
 * Times are UTC milliseconds.
 */
#ifndef YJ_IPTV_STORE_H
#define YJ_IPTV_STORE_H

#include "core/store.h"

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The migrations creating these tables, in order (the daemon places them
 * in the global list, daemon/migrations.c). */
extern const yj_migration_t yj_iptv_migrations[];
extern const size_t yj_iptv_migrations_count;

/* ---- channels ---- */

typedef struct {
    int64_t id, org_id, created_at, updated_at; /* org_id: the owner */
    int number, port, ttl, bitrate;             /* bitrate in bit/s */
    bool rtp;
    char name[256], group[256], logo_url[1024], address[64], interface[64];
    char org_code[64], org_path[256]; /* of the owner (filled by reads) */
} yj_iptv_channel_t;

/* Inserts (c->id == 0; sets c->id) or updates channel c; with set_orgs
 * the served organisations become orgs[0..n). 0, YJ_EEXIST (number or
 * address:port taken: *taken says "number" or "address"), YJ_ENOENT. */
int yj_iptv_store_channel_put(yj_store_t *st, yj_iptv_channel_t *c, const int64_t *orgs, size_t n,
                              bool set_orgs, const char **taken);
int yj_iptv_store_channel_get(yj_store_t *st, int64_t id, yj_iptv_channel_t *c);
/* Deletes the channel with its programmes. 0 or YJ_ENOENT. */
int yj_iptv_store_channel_delete(yj_store_t *st, int64_t id);
/* Channels by number into out (yj_iptv_channel_t). admin_path: owned in
 * that subtree, or serving an organisation in it or above it; viewer_path
 * (a member's or station's organisation): serving it or an ancestor; both
 * NULL: all. 0 or YJ_EDB. */
int yj_iptv_store_channels(yj_store_t *st, const char *admin_path, const char *viewer_path,
                           GArray *out);
/* True when the channel serves viewer_path or an ancestor of it. */
bool yj_iptv_store_channel_serves(yj_store_t *st, int64_t id, const char *viewer_path);
/* Served organisations: [{"code","name"}] (new reference), NULL on error. */
json_t *yj_iptv_store_channel_orgs(yj_store_t *st, int64_t id);
/* Organisation by code: id and path. 0 or YJ_ENOENT. */
int yj_iptv_store_org(yj_store_t *st, const char *code, int64_t *id, char *path, size_t n);

/* ---- programmes ---- */

typedef struct {
    int64_t id, channel_id, lesson_id, course_id, meeting_id;
    int64_t start_ms, end_ms, until_ms, created_at, updated_at;
    char kind[16];  /* lesson, recording, live, feed, loop */
    char repeat[8]; /* none, daily, weekly */
    int feed_program, minutes;
    bool creditable;
    char *title, *description, *feed_url; /* owned */
} yj_iptv_prog_t;
void yj_iptv_prog_clear(yj_iptv_prog_t *p);
/* Clears each element, then frees the array. */
void yj_iptv_progs_free(GArray *a);

/* Called inside the write transaction with the channel's other
 * programmes: non-zero refuses the write (the value is returned). */
typedef int (*yj_iptv_prog_check_fn)(const yj_iptv_prog_t *p, const yj_iptv_prog_t *others,
                                     size_t n, void *ud);
/* Inserts (p->id == 0; sets it) or replaces programme p after check
 * passes. 0, the check's value, YJ_ENOENT (channel or programme gone). */
int yj_iptv_store_prog_put(yj_store_t *st, yj_iptv_prog_t *p, yj_iptv_prog_check_fn check,
                           void *ud);
int yj_iptv_store_prog_get(yj_store_t *st, int64_t id, yj_iptv_prog_t *p);
int yj_iptv_store_prog_delete(yj_store_t *st, int64_t id);
/* The channel's programmes by start into a new array of yj_iptv_prog_t
 * (free with yj_iptv_progs_free), or NULL on error. Only rows that may
 * have occurrences ending after from_ms (0: all). */
GArray *yj_iptv_store_progs(yj_store_t *st, int64_t channel_id, int64_t from_ms);

/* ---- stations ---- */

typedef struct {
    int64_t id, org_id, created_at, revoked_at; /* revoked_at 0: key valid */
    char name[256], org_code[64], org_name[256], org_path[256];
    char key_hint[16]; /* the first characters of the key, for display */
    bool has_key;
} yj_iptv_station_t;

int yj_iptv_store_station_add(yj_store_t *st, int64_t org_id, const char *name,
                              const char *key_hash, const char *key_hint, int64_t *id);
int yj_iptv_store_station_get(yj_store_t *st, int64_t id, yj_iptv_station_t *s);
/* Stations of the subtree at admin_path into out (yj_iptv_station_t). */
int yj_iptv_store_stations(yj_store_t *st, const char *admin_path, GArray *out);
/* NULL name: unchanged; org_id 0: unchanged. */
int yj_iptv_store_station_update(yj_store_t *st, int64_t id, const char *name, int64_t org_id);
/* New key (key_hash non-NULL) or revocation (NULL). 0 or YJ_ENOENT. */
int yj_iptv_store_station_key(yj_store_t *st, int64_t id, const char *key_hash,
                              const char *key_hint);
int yj_iptv_store_station_delete(yj_store_t *st, int64_t id);
/* The station whose key hashes to key_hash (revoked or not). 0 or
 * YJ_ENOENT. */
int yj_iptv_store_station_by_key(yj_store_t *st, const char *key_hash, yj_iptv_station_t *s);

/* ---- roll-call ---- */

typedef struct {
    int64_t programme_id, occ_start_ms; /* the occurrence */
    const char *member_id;
    int64_t station_id; /* 0: confirmed by the member without a station */
    int phase;          /* 1: start code, 2: end code */
    int64_t at_ms;
    const char *by_whom;
    const char *within; /* NULL, or the member must be in this subtree */
    int minutes;        /* credited on phase 2 */
    const char *source_id;
    const char *reason;
    /* out */
    bool credited;
} yj_iptv_confirm_t;

/* Records one confirmation in one transaction: phase 1 creates the row
 * (YJ_EEXIST when the start code was given already), phase 2 needs it
 * (YJ_ESTATE without the start code, YJ_EEXIST when given already) and
 * credits the ledger (kind broadcast, source_id) in the same
 * transaction. YJ_ENOENT when the member is unknown or outside within. */
int yj_iptv_store_confirm(yj_store_t *st, yj_iptv_confirm_t *c);
/* Roll-call of a programme (all occurrences when occ_start_ms is 0):
 * {"occurrences":[{"start","stations":[{"id","name","members":[…]}]}]}. */
json_t *yj_iptv_store_rollcall_report(yj_store_t *st, int64_t programme_id, int64_t occ_start_ms);

#endif
