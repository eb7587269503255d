/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iptv_internal.h — state and helpers shared by the iptv/ modules (not a
 * public header: other subsystems include iptv/iptv.h only).
 *
 * The daemon owns one yj_iptv_t; its fields are set in yj_iptv_new and
 * read-only afterwards, except where a comment names the lock.
 */
#ifndef YJ_IPTV_INTERNAL_H
#define YJ_IPTV_INTERNAL_H

#include "iptv.h"
#include "schedule.h"
#include "store.h"
#include "core/app.h"
#include "http/http.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct yj_iptv {
    yj_app_t *app;
    yj_store_t *store;
    char *root;          /* data_dir/iptv: <channel id>/hls/ per channel */
    char *rollcall_key;  /* HMAC key of roll-call codes (settings table) */
    char *provider;      /* SDT provider name */
    char *slate_font;    /* font for the slate, or NULL */
    int rollcall_window; /* minutes a roll-call code stays valid */
    int rollcall_card_s; /* seconds the playout shows a roll-call code */
    bool demo_channel;
    bool playout; /* [iptv] playout: put channels on the air */

    const yj_iptv_playout_ops_t *pops; /* how playouts are made */
    yj_iptv_live_ops_t live_ops;       /* live lectures (yj_iptv_set_live; room NULL: none) */
    void *live_ud;

    GMutex lock;          /* guards playouts and started */
    GHashTable *playouts; /* channel id (int64) -> yj_iptv_playout_t* */
    bool started;
};

/* Route registration, one per module. */
int yj_iptv_api_register(yj_iptv_t *v, yj_http_t *http);
int yj_iptv_lists_register(yj_iptv_t *v, yj_http_t *http);
int yj_iptv_stations_register(yj_iptv_t *v, yj_http_t *http);
int yj_iptv_rollcall_register(yj_iptv_t *v, yj_http_t *http);

/* Playouts (iptv.c): the channel was created or changed (restart its
 * playout), deleted (stop it), or its schedule changed (reschedule). */
void yj_iptv_channel_changed(yj_iptv_t *v, int64_t channel_id);
void yj_iptv_channel_deleted(yj_iptv_t *v, int64_t channel_id);
void yj_iptv_schedule_changed(yj_iptv_t *v, int64_t channel_id);
/* The live HLS folder of a channel (g_free). */
char *yj_iptv_hls_dir(yj_iptv_t *v, int64_t channel_id);

/* A channel's schedule loaded for resolution (resolve.c): entries over
 * programme rows whose occurrences may end after from_ms, with media
 * paths and loop items filled from the course library. */
typedef struct {
    yj_iptv_entry_t *e;
    size_t n;
    GArray *progs;    /* yj_iptv_prog_t, owns titles */
    GPtrArray *owned; /* strings and item arrays the entries borrow */
} yj_iptv_loaded_t;
yj_iptv_loaded_t *yj_iptv_load(yj_iptv_t *v, int64_t channel_id, int64_t from_ms);
void yj_iptv_loaded_free(yj_iptv_loaded_t *l);
/* The programme row behind an entry of l. */
const yj_iptv_prog_t *yj_iptv_loaded_prog(const yj_iptv_loaded_t *l, const yj_iptv_entry_t *e);
/* An entry for a programme row without media (for overlap checks). */
void yj_iptv_entry_of(const yj_iptv_prog_t *p, yj_iptv_entry_t *e);

/* Times: parse ISO-8601 with an explicit offset into UTC ms (false when
 * malformed or without offset); format UTC ms as "…+08:00" (g_free). */
bool yj_iptv_parse_time(const char *s, int64_t *ms);
char *yj_iptv_format_time(int64_t ms);
/* json string of yj_iptv_format_time (new reference). */
json_t *yj_iptv_time_json(int64_t ms);

/* Parses a positive int64 path parameter (0 when malformed). */
int64_t yj_iptv_param_id(yj_req_t *req, const char *name);

/* Who is asking, for reads: an administrator (their subtree), a member
 * (their organisation) or a station (its organisation, via ?key=). */
typedef struct {
    const char *admin_path;  /* administrators */
    const char *viewer_path; /* members and stations */
    int64_t station_id;      /* stations */
    char path_buf[256];
    char key[128]; /* the station key as given, for links */
} yj_iptv_viewer_t;
/* Resolves the viewer; when there is none (or a bad/revoked key) queues
 * 401/403 and returns non-zero. */
int yj_iptv_viewer(yj_iptv_t *v, yj_req_t *req, yj_iptv_viewer_t *out);
/* The channel if the viewer may see it; else queues 404 and returns
 * non-zero. */
int yj_iptv_channel_for(yj_iptv_t *v, yj_req_t *req, const yj_iptv_viewer_t *who, int64_t id,
                        yj_iptv_channel_t *c);

/* Roll-call codes (rollcall.c): the code of phase 1 or 2 of an
 * occurrence, 6 digits, into code[8]; and the window of each phase. */
void yj_iptv_rollcall_code(yj_iptv_t *v, int64_t programme_id, int64_t occ_start_ms, int phase,
                           char code[8]);
void yj_iptv_rollcall_window(yj_iptv_t *v, int64_t occ_start_ms, int64_t occ_end_ms, int phase,
                             int64_t *from_ms, int64_t *to_ms);

#endif
