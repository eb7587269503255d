/* SPDX-License-Identifier: Apache-2.0 */
/*
 * playout_pending.c — TEMPORARY, branch `iptvch` only: DELETE AT MERGE.
 *
 * The transport-stream playout (yj_iptv_playout_new/reschedule/free and
 * yj_iptv_programme_clear, iptv/playout.h) is built on the `iptv` branch.
 * Until it lands, these definitions let this branch link: new logs that
 * no playout exists and returns NULL, so no channel goes on the air. They
 * are not a playout and nothing reports them as one. When the playout
 * branch is merged, delete this file; if that branch does not define
 * yj_iptv_programme_clear, move the function below into schedule.c.
 */
#include "playout.h"
#include "core/log.h"

#include <glib.h>
#include <string.h>

void yj_iptv_programme_clear(yj_iptv_programme_t *p)
{
    if (!p)
        return;
    g_free(p->title);
    g_free(p->description);
    g_free(p->media_path);
    g_free(p->feed_url);
    memset(p, 0, sizeof *p);
}

yj_iptv_playout_t *yj_iptv_playout_new(const yj_iptv_channel_cfg_t *cfg,
                                       const yj_iptv_schedule_ops_t *ops, void *ud, char **err)
{
    (void)ops;
    (void)ud;
    yj_warn("iptv", "channel %d %s: the MPEG-TS playout is not in this build (TEMPORARY stub)",
            cfg->number, cfg->name);
    if (err)
        *err = g_strdup("the MPEG-TS playout is not in this build");
    return NULL;
}

void yj_iptv_playout_reschedule(yj_iptv_playout_t *p)
{
    (void)p;
}

void yj_iptv_playout_free(yj_iptv_playout_t *p)
{
    (void)p;
}
