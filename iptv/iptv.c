/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iptv.c — the IPTV subsystem: configuration, start/stop, one playout per
 * channel, the demo channel, and the pages' routes.
 *
 * Playouts are made through a table of function pointers (the real
 * yj_iptv_playout_* by default) so tests can watch which channels go on
 * the air. A channel's playout is restarted when the channel changes
 * (address, bitrate …), told to re-ask the schedule when a programme
 * changes, and freed when the channel goes. Playouts never call back
 * into this file except through yj_iptv_schedule_ops (resolve.c), so
 * the lock here is never held while a playout waits on us.
 */
#include "iptv_internal.h"
#include "core/log.h"
#include "vod/store.h"
#include "core/yj.h"

#include <errno.h>
#include <string.h>

static const yj_iptv_playout_ops_t default_ops = {
    .create = yj_iptv_playout_new,
    .reschedule = yj_iptv_playout_reschedule,
    .destroy = yj_iptv_playout_free,
};

char *yj_iptv_hls_dir(yj_iptv_t *v, int64_t channel_id)
{
    char id[32];
    g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, channel_id);
    return g_build_filename(v->root, id, "hls", NULL);
}

/* Starts channel c's playout (lock held). */
static void playout_start(yj_iptv_t *v, const yj_iptv_channel_t *c)
{
    g_autofree char *hls = yj_iptv_hls_dir(v, c->id);
    if (g_mkdir_with_parents(hls, 0750) != 0)
        yj_warn("iptv", "cannot create %s: %s", hls, g_strerror(errno));
    yj_iptv_channel_cfg_t cfg = {
        .id = c->id,
        .number = c->number,
        .name = c->name,
        .provider = v->provider,
        .address = c->address,
        .port = c->port,
        .ttl = c->ttl,
        .interface = c->interface[0] ? c->interface : NULL,
        .rtp = c->rtp,
        .bitrate = c->bitrate,
        .hls_dir = hls,
        .slate_font = v->slate_font,
        .live = v->live_ops.room ? &v->live_ops : NULL,
        .live_ud = v->live_ud,
        .card_ms = v->rollcall_card_s * 1000,
    };
    char *err = NULL;
    yj_iptv_playout_t *p = v->pops->create(&cfg, &yj_iptv_schedule_ops, v, &err);
    if (!p) {
        yj_warn("iptv", "channel %d (%s) is not on the air: %s", c->number, c->name,
                err ? err : "no playout");
        g_free(err);
        return;
    }
    int64_t *key = g_new(int64_t, 1);
    *key = c->id;
    g_hash_table_replace(v->playouts, key, p); /* the playout logs "on air" */
}

static void playout_stop(yj_iptv_t *v, int64_t id)
{
    yj_iptv_playout_t *p = g_hash_table_lookup(v->playouts, &id);
    if (p) {
        g_hash_table_remove(v->playouts, &id); /* frees the key only */
        v->pops->destroy(p);
    }
}

void yj_iptv_channel_changed(yj_iptv_t *v, int64_t channel_id)
{
    g_mutex_lock(&v->lock);
    if (v->started) {
        playout_stop(v, channel_id);
        yj_iptv_channel_t c;
        if (yj_iptv_store_channel_get(v->store, channel_id, &c) == 0)
            playout_start(v, &c);
    }
    g_mutex_unlock(&v->lock);
}

void yj_iptv_channel_deleted(yj_iptv_t *v, int64_t channel_id)
{
    g_mutex_lock(&v->lock);
    playout_stop(v, channel_id);
    g_mutex_unlock(&v->lock);
}

void yj_iptv_schedule_changed(yj_iptv_t *v, int64_t channel_id)
{
    g_mutex_lock(&v->lock);
    yj_iptv_playout_t *p = g_hash_table_lookup(v->playouts, &channel_id);
    if (p)
        v->pops->reschedule(p);
    g_mutex_unlock(&v->lock);
}

/* ------------------------------------------------------------------ */
/* pages */

static int page(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    const char *path = yj_req_path(req);
    const char *name = g_str_has_prefix(path, "/tv") ? "tv.html" : "channels.html";
    g_autofree char *file = g_build_filename(v->app->web_dir, name, NULL);
    return yj_req_reply_file(req, file, "text/html; charset=utf-8", "no-cache");
}

/* ------------------------------------------------------------------ */
/* lifecycle */

void yj_iptv_free(yj_iptv_t *v)
{
    if (!v)
        return;
    if (v->playouts)
        g_hash_table_destroy(v->playouts);
    g_free(v->root);
    g_free(v->rollcall_key);
    g_free(v->provider);
    g_free(v->slate_font);
    g_mutex_clear(&v->lock);
    g_free(v);
}

yj_iptv_t *yj_iptv_new(yj_app_t *app, yj_http_t *http, const yj_iptv_playout_ops_t *ops, char **err)
{
    yj_iptv_t *v = g_new0(yj_iptv_t, 1);
    v->pops = ops ? ops : &default_ops;
    v->app = app;
    v->store = app->store;
    v->root = g_build_filename(app->data_dir, "iptv", NULL);
    yj_config_t *cfg = app->cfg;
    v->provider = g_strdup(yj_config_string(cfg, "iptv", "provider", "远教"));
    const char *font = yj_config_string(cfg, "iptv", "slate_font",
                                        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
    v->slate_font = *font ? g_strdup(font) : NULL;
    v->rollcall_window = (int)CLAMP(yj_config_int(cfg, "iptv", "rollcall_minutes", 10), 1, 60);
    v->rollcall_card_s = (int)CLAMP(
        yj_config_int(cfg, "iptv", "rollcall_card_seconds", YJ_IPTV_CARD_MS / 1000), 5, 120);
    v->demo_channel = yj_config_bool(cfg, "iptv", "demo_channel", true);
    v->playout = yj_config_bool(cfg, "iptv", "playout", true);
    g_mutex_init(&v->lock);
    v->playouts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    int rc = yj_store_vod_secret(v->store, "iptv.rollcall_key", &v->rollcall_key);
    if (rc) {
        *err = g_strdup_printf("cannot read or create the roll-call key: %s", yj_strerror(rc));
        goto fail;
    }
    rc = yj_iptv_api_register(v, http);
    rc |= yj_iptv_lists_register(v, http);
    rc |= yj_iptv_stations_register(v, http);
    rc |= yj_iptv_rollcall_register(v, http);
    rc |= yj_http_route(http, "GET", "/channels", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0, page, v);
    rc |= yj_http_route(http, "GET", "/tv", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0, page, v);
    rc |= yj_http_route(http, "GET", "/tv/{id}", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0, page, v);
    if (rc) {
        *err = g_strdup("cannot register the iptv routes");
        goto fail;
    }
    return v;
fail:
    yj_iptv_free(v);
    return NULL;
}

void yj_iptv_demo(yj_iptv_t *v);

int yj_iptv_start(yj_iptv_t *v)
{
    if (g_mkdir_with_parents(v->root, 0750) != 0) {
        yj_error("iptv", "cannot create %s: %s", v->root, g_strerror(errno));
        return YJ_EIO;
    }
    if (v->app->demo && v->demo_channel)
        yj_iptv_demo(v);
    if (!v->playout) {
        /* Channels, schedules, lists and roll-call work; nothing is sent. */
        yj_info("iptv", "[iptv] playout=false: no channel is put on the air");
        return 0;
    }
    GArray *all = g_array_new(FALSE, TRUE, sizeof(yj_iptv_channel_t));
    int rc = yj_iptv_store_channels(v->store, NULL, NULL, all);
    g_mutex_lock(&v->lock);
    v->started = true;
    for (guint i = 0; !rc && i < all->len; i++)
        playout_start(v, &g_array_index(all, yj_iptv_channel_t, i));
    g_mutex_unlock(&v->lock);
    g_array_free(all, TRUE);
    return rc;
}

void yj_iptv_set_live(yj_iptv_t *v, const yj_iptv_live_ops_t *ops, void *ud)
{
    if (!v)
        return;
    if (ops)
        v->live_ops = *ops;
    else
        memset(&v->live_ops, 0, sizeof v->live_ops);
    v->live_ud = ud;
}

void yj_iptv_stop(yj_iptv_t *v)
{
    if (!v)
        return;
    g_mutex_lock(&v->lock);
    v->started = false;
    GHashTableIter it;
    gpointer k, p;
    g_hash_table_iter_init(&it, v->playouts);
    while (g_hash_table_iter_next(&it, &k, &p)) {
        v->pops->destroy(p);
        g_hash_table_iter_remove(&it);
    }
    g_mutex_unlock(&v->lock);
}

int yj_iptv_rollcall_current(yj_iptv_t *v, int64_t channel_id, int64_t now_ms, char code[8],
                             int64_t *from_ms, int64_t *until_ms)
{
    yj_iptv_loaded_t *l = yj_iptv_load(v, channel_id, now_ms - YJ_IPTV_HORIZON_MS);
    if (!l)
        return YJ_EDB;
    yj_iptv_slot_t sn, sx;
    yj_iptv_schedule_at(l->e, l->n, now_ms, &sn, &sx);
    int rc = YJ_ENOENT;
    const yj_iptv_prog_t *p = sn.entry ? yj_iptv_loaded_prog(l, sn.entry) : NULL;
    for (int phase = 1; p && p->creditable && phase <= 2 && rc; phase++) {
        int64_t from, to;
        yj_iptv_rollcall_window(v, sn.occ_start_ms, sn.occ_end_ms, phase, &from, &to);
        if (now_ms >= from && now_ms < to) {
            yj_iptv_rollcall_code(v, p->id, sn.occ_start_ms, phase, code);
            if (from_ms)
                *from_ms = from;
            *until_ms = to;
            rc = 0;
        }
    }
    yj_iptv_loaded_free(l);
    return rc;
}
