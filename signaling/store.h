/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signaling/store.h — SQL for meetings, invitations, attendance intervals and
 * the end-of-meeting credit.
 *
 * A meeting belongs to one organisation and invites organisations (every
 * member whose home org lies in an invited org's subtree) and individual
 * members (any member in the scheduler's subtree, or a migrant member of any
 * organisation). Attendance is one row per connection interval, written when
 * the join and the leave happen, so a crash loses at most the open end of an
 * interval; the open end is then closed at the meeting's "alive" time, the
 * last moment the server is known to have held the meeting (the latest
 * join, leave or heartbeat written). Ending a meeting closes every interval,
 * computes each member's union of intervals clipped to [started, ended],
 * stores the result and credits the ledger (kind 'meeting', source_id
 * 'meeting:<id>') in the same transaction; the ledger's unique key makes the
 * credit happen once whatever is retried.
 *
 * Times are Unix seconds. Functions return 0 or a negative YJ_E* code.
 */
#ifndef YJ_STORE_MEETINGS_H
#define YJ_STORE_MEETINGS_H

#include "core/principal.h"
#include "core/store.h"

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The meetings tables' migrations, oldest first; the daemon places each
 * in the global order (daemon/migrations.c). Append only. */
extern const yj_migration_t yj_signaling_migrations[];
extern const size_t yj_signaling_migrations_count;

/* Meeting types: the English slug stored and returned by the API, or the
 * Chinese name (支部党员大会, 支委会, 党小组会, 党课); returns the slug or NULL
 * for an unknown type. */
const char *yj_meeting_type_slug(const char *slug_or_name);
/* The Chinese name of a slug, or NULL. */
const char *yj_meeting_type_name(const char *slug);

typedef struct {
    const char *title, *type; /* type: a slug */
    const char *org_code;     /* the organising org: in by's subtree */
    int64_t start_at;
    int duration_minutes;         /* 1..1440 */
    int threshold_percent;        /* 1..100 */
    const char *host_admin;       /* username, or NULL */
    const char *host_member;      /* identity number, or NULL; exactly one of both */
    const char *const *org_codes; /* invited orgs (in by's subtree); none: org_code */
    size_t n_orgs;
    const char *const *member_ids; /* individually invited members */
    size_t n_members;
    const yj_principal_t *by; /* the scheduling administrator */
    int64_t replace_id;       /* 0: create; else edit this scheduled meeting */
} yj_meeting_spec_t;

/* A member whose first join comes this long after the start is late. */
#define YJ_MEETING_LATE_SECONDS 300

/* Creates a meeting in one transaction. On a bad reference returns YJ_ENOENT
 * (unknown or unreachable org/member/admin) or YJ_EPERM (an org outside the
 * administrator's subtree) with *bad_field naming the field (static string)
 * and *bad_value a copy of the offending value (g_free). */
int yj_store_meeting_create(yj_store_t *st, const yj_meeting_spec_t *spec, int64_t *id_out,
                            const char **bad_field, char **bad_value);

/* With spec->replace_id set, yj_store_meeting_create edits that meeting
 * instead (same checks; invitations replaced) and returns YJ_ESTATE once it
 * has started or ended. */

/* Cancels (deletes) a meeting that has not started and that nobody joined:
 * nothing is credited. YJ_ESTATE when started, ended or joined; YJ_ENOENT. */
int yj_store_meeting_cancel(yj_store_t *st, int64_t id);

/* Members an administrator may invite matching q: in by's subtree by part
 * of the name or identity number, elsewhere only migrant members by full
 * name or identity number. {"members":[{id_number,name,org_code,org_name,
 * migrant,in_subtree}]}; new reference or NULL. */
json_t *yj_store_meeting_invitees(yj_store_t *st, const yj_principal_t *by, const char *q,
                                  int limit);

/* Attendance over time: the ended meetings of the org_path subtree that
 * started in [from, to), each with invited, present and credited counts
 * (at most 5000). {"meetings":[…],"from","to"}; new reference or NULL. */
json_t *yj_store_meeting_attendance(yj_store_t *st, const char *org_path, int64_t from, int64_t to);

/* What the signaling layer needs to decide who may do what. */
typedef struct {
    int64_t id;
    int64_t org_id;
    char org_path[256];
    char status[16]; /* "scheduled", "live", "ended" */
    char title[640];
    int64_t host_admin_id; /* 0 when the host is a member */
    char host_member_id[19];
    int duration_minutes, threshold_percent;
    int64_t start_at, started_at, ended_at, alive_at; /* 0 when unset */
} yj_meeting_info_t;

/* 0 or YJ_ENOENT. */
int yj_store_meeting_info(yj_store_t *st, int64_t id, yj_meeting_info_t *out);

/* True when member_id is invited (by org, individually, or as the host). */
bool yj_store_meeting_invited(yj_store_t *st, int64_t id, const char *member_id);

/* True when p may see and join the meeting: an administrator whose subtree
 * holds the meeting's org or who hosts it, or an invited member. */
bool yj_store_meeting_can_join(yj_store_t *st, const yj_meeting_info_t *m, const yj_principal_t *p);
/* True when p is the host or an administrator whose subtree holds the org. */
bool yj_meeting_is_host(const yj_meeting_info_t *m, const yj_principal_t *p);

/* The API representation of a meeting (new reference) or NULL. */
json_t *yj_store_meeting_json(yj_store_t *st, int64_t id);

/* Meetings p may see, newest start first: {"meetings":[…],"total":N}.
 * status may be NULL. New reference, or NULL on a database error. */
json_t *yj_store_meeting_list(yj_store_t *st, const yj_principal_t *p, const char *status,
                              int limit, int offset);

/* Number of meetings (the demo only adds one to an empty table). */
int64_t yj_store_meeting_count(yj_store_t *st);

/* scheduled → live with started_at = at; live stays live (0). YJ_ESTATE when
 * ended, YJ_ENOENT when unknown. */
int yj_store_meeting_start(yj_store_t *st, int64_t id, int64_t at);

/* Opens an attendance interval at `at` for a member (device: free text for
 * the audit trail, may be NULL) and starts the meeting if it was scheduled.
 * *interval_id receives the row id. YJ_ESTATE when the meeting has ended. */
int yj_store_attendance_join(yj_store_t *st, int64_t meeting_id, const char *member_id,
                             const char *device, int64_t at, int64_t *interval_id);
/* Closes an open interval at `at` (no-op when already closed). */
int yj_store_attendance_leave(yj_store_t *st, int64_t interval_id, int64_t at);

/* Records that the meeting is alive at `at` (the crash-recovery bound). */
int yj_store_meeting_heartbeat(yj_store_t *st, int64_t id, int64_t at);

/* Ends a live or scheduled meeting at `at`: closes open intervals, computes
 * every member's attended time, stores it and credits the ledger once, all
 * in one transaction. *credited (may be NULL) receives the number of ledger
 * rows added. YJ_ESTATE when already ended, YJ_ENOENT when unknown. */
int yj_store_meeting_end(yj_store_t *st, int64_t id, int64_t at, const char *reason, int *credited);

/* After a restart: closes every open interval of every live meeting at that
 * meeting's alive time (never before the interval's start) and returns the
 * live meetings' ids (g_array_unref; gint64 elements), or NULL on error. */
GArray *yj_store_meetings_recover(yj_store_t *st);

/* The attendance report: invited, present and absent members per home
 * organisation with attended minutes, joins, first join and lateness (open
 * intervals counted up to now).
 * New reference or NULL when the meeting is unknown. */
json_t *yj_store_meeting_report(yj_store_t *st, int64_t id, int64_t now);

/* ISO-8601 UTC text of a Unix time as a JSON string, or JSON null for 0. */
json_t *yj_json_time(int64_t t);

#endif
