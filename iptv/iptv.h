/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iptv.h — the IPTV subsystem (issue 10), channel and schedule side:
 * channels and their programmes, the schedule the playout asks
 * (programme_at), the channel list as M3U, the XMLTV EPG, live HLS
 * serving, village stations with access keys and roll-call attendance.
 *
 * yj_iptv_new registers routes and allocates state (no threads);
 * yj_iptv_start adds the demo channel (with --demo) and starts one
 * playout per channel (iptv/playout.h); yj_iptv_stop stops them and
 * yj_iptv_free frees the rest. The daemon owns the instance.
 * docs/iptv.md is the guide.
 */
#ifndef YJ_IPTV_H
#define YJ_IPTV_H

#include "core/app.h"
#include "http/http.h"
#include "iptv/playout.h"

#include <stdint.h>

typedef struct yj_iptv yj_iptv_t;

/* How the subsystem drives playouts: the real yj_iptv_playout_* by
 * default. Tests pass their own table to observe which channels go on
 * the air. */
typedef struct {
    yj_iptv_playout_t *(*create)(const yj_iptv_channel_cfg_t *cfg,
                                 const yj_iptv_schedule_ops_t *ops, void *ud, char **err);
    void (*reschedule)(yj_iptv_playout_t *p);
    void (*destroy)(yj_iptv_playout_t *p);
} yj_iptv_playout_ops_t;

/* Creates the subsystem: its routes on http, its state. ops NULL: the
 * real playouts (ops is borrowed for the instance's life). NULL with *err
 * (g_free) on failure. */
yj_iptv_t *yj_iptv_new(yj_app_t *app, yj_http_t *http, const yj_iptv_playout_ops_t *ops,
                       char **err);
/* How live lectures reach the meetings (the daemon wires signaling's
 * rooms and the media engine; ops copied, ud borrowed for the instance's
 * life). Without it a LIVE programme shows the slate. [before start] */
void yj_iptv_set_live(yj_iptv_t *v, const yj_iptv_live_ops_t *ops, void *ud);
/* The demo channel (with --demo) and one playout per channel. */
int yj_iptv_start(yj_iptv_t *v);
/* Takes every channel off the air. NULL: no-op. */
void yj_iptv_stop(yj_iptv_t *v);
/* After _stop. NULL: no-op. */
void yj_iptv_free(yj_iptv_t *v);

/* The schedule ops the playouts are given (ud: the subsystem state). */
extern const yj_iptv_schedule_ops_t yj_iptv_schedule_ops;

/* The roll-call code of a creditable programme occurrence on a channel
 * at now_ms for the playout's on-screen card: fills code[8], the window's
 * start (*from_ms, if not NULL) and end, and returns 0, or YJ_ENOENT when
 * no code window is open. Reads the store: never on a sending thread. */
int yj_iptv_rollcall_current(yj_iptv_t *v, int64_t channel_id, int64_t now_ms, char code[8],
                             int64_t *from_ms, int64_t *until_ms);

#endif
