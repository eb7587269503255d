/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iptv.h — the IPTV subsystem (issue 10), channel and schedule side:
 * channels and their programmes, the schedule the playout asks
 * (programme_at), the channel list as M3U, the XMLTV EPG, live HLS
 * serving, village stations with access keys and roll-call attendance.
 *
 * yj_iptv_init registers routes and allocates state (no threads);
 * yj_iptv_start adds the demo channel (with --demo) and starts one
 * playout per channel (iptv/playout.h); yj_iptv_stop frees them.
 * docs/iptv.md is the guide.
 */
#ifndef YJ_IPTV_H
#define YJ_IPTV_H

#include "core/app.h"
#include "http/http.h"
#include "iptv/playout.h"

#include <stdint.h>

int yj_iptv_init(yj_app_t *app, yj_http_t *http);
int yj_iptv_start(void);
void yj_iptv_stop(void);

/* How the subsystem drives playouts: the real yj_iptv_playout_* by
 * default. Tests pass their own table before yj_iptv_start to observe
 * which channels go on the air; NULL restores the default. */
typedef struct {
    yj_iptv_playout_t *(*create)(const yj_iptv_channel_cfg_t *cfg,
                                 const yj_iptv_schedule_ops_t *ops, void *ud, char **err);
    void (*reschedule)(yj_iptv_playout_t *p);
    void (*destroy)(yj_iptv_playout_t *p);
} yj_iptv_playout_ops_t;
void yj_iptv_set_playout_ops(const yj_iptv_playout_ops_t *ops);

/* The schedule ops the playouts are given (ud: the subsystem state). */
extern const yj_iptv_schedule_ops_t yj_iptv_schedule_ops;

/* The roll-call code of a creditable programme occurrence on a channel
 * at now_ms for the playout's on-screen card: fills code[8] and the
 * window's end and returns 0, or YJ_ENOENT when no code window is open. */
int yj_iptv_rollcall_current(int64_t channel_id, int64_t now_ms, char code[8], int64_t *until_ms);

#endif
