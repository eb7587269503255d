/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resolve.c — a channel's stored programmes turned into schedule entries
 * (schedule.h), and programme_at, the one question a playout asks.
 *
 * A library or recording lesson plays its HLS master playlist
 * (<data>/vod/lessons/<id>/master.m3u8); a loop gets its course's ready
 * lessons in course order with their durations. programme_at runs on a
 * playout's lookahead thread with that thread's own read connection; it
 * never writes and never blocks on HTTP.
 */
#include "iptv_internal.h"
#include "vod/store.h"
#include "core/yj.h"

#include <string.h>

static char *lesson_master(yj_iptv_t *v, int64_t lesson_id)
{
    char id[32];
    g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, lesson_id);
    return g_build_filename(v->app->data_dir, "vod", "lessons", id, "master.m3u8", NULL);
}

void yj_iptv_entry_of(const yj_iptv_prog_t *p, yj_iptv_entry_t *e)
{
    memset(e, 0, sizeof *e);
    e->id = p->id;
    e->kind = !strcmp(p->kind, "feed")   ? YJ_IPTV_FEED
              : !strcmp(p->kind, "live") ? YJ_IPTV_LIVE
                                         : YJ_IPTV_LESSON;
    e->loop = !strcmp(p->kind, "loop");
    e->start_ms = p->start_ms;
    e->end_ms = p->end_ms;
    e->repeat = !strcmp(p->repeat, "daily")    ? YJ_IPTV_DAILY
                : !strcmp(p->repeat, "weekly") ? YJ_IPTV_WEEKLY
                                               : YJ_IPTV_ONCE;
    e->until_ms = p->until_ms;
    e->title = p->title;
    e->description = p->description;
    e->feed_url = p->feed_url;
    e->feed_program = p->feed_program;
    e->meeting_id = p->meeting_id;
}

/* The ready lessons of a course, in order, as loop items. */
static void load_items(yj_iptv_t *v, yj_iptv_loaded_t *l, yj_iptv_entry_t *e, int64_t course_id)
{
    yj_vod_scope_t scope = {.admin_path = "/"};
    json_t *arr = yj_store_vod_course_lessons(v->store, course_id, &scope);
    size_t n = arr ? json_array_size(arr) : 0;
    yj_iptv_item_t *items = g_new0(yj_iptv_item_t, n + 1);
    g_ptr_array_add(l->owned, items);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        double d = json_number_value(json_object_get(o, "duration"));
        if (g_strcmp0(json_string_value(json_object_get(o, "status")), "ready") || d < 1)
            continue;
        yj_iptv_item_t *it = &items[k++];
        it->lesson_id = json_integer_value(json_object_get(o, "id"));
        it->duration_ms = (int64_t)(d * 1000.0);
        char *t = g_strdup(json_string_value(json_object_get(o, "title")));
        g_ptr_array_add(l->owned, t);
        it->title = t;
        char *m = lesson_master(v, it->lesson_id);
        g_ptr_array_add(l->owned, m);
        it->media_path = m;
    }
    json_decref(arr);
    e->items = items;
    e->n_items = k;
}

yj_iptv_loaded_t *yj_iptv_load(yj_iptv_t *v, int64_t channel_id, int64_t from_ms)
{
    GArray *progs = yj_iptv_store_progs(v->store, channel_id, from_ms);
    if (!progs)
        return NULL;
    yj_iptv_loaded_t *l = g_new0(yj_iptv_loaded_t, 1);
    l->progs = progs;
    l->owned = g_ptr_array_new_with_free_func(g_free);
    l->n = progs->len;
    l->e = g_new0(yj_iptv_entry_t, l->n + 1);
    for (size_t i = 0; i < l->n; i++) {
        const yj_iptv_prog_t *p = &g_array_index(progs, yj_iptv_prog_t, i);
        yj_iptv_entry_t *e = &l->e[i];
        yj_iptv_entry_of(p, e);
        if (e->loop) {
            load_items(v, l, e, p->course_id);
        } else if (e->kind == YJ_IPTV_LESSON) {
            char *m = lesson_master(v, p->lesson_id);
            g_ptr_array_add(l->owned, m);
            e->media_path = m;
        }
    }
    return l;
}

void yj_iptv_loaded_free(yj_iptv_loaded_t *l)
{
    if (!l)
        return;
    yj_iptv_progs_free(l->progs);
    g_ptr_array_free(l->owned, TRUE);
    g_free(l->e);
    g_free(l);
}

const yj_iptv_prog_t *yj_iptv_loaded_prog(const yj_iptv_loaded_t *l, const yj_iptv_entry_t *e)
{
    size_t i = (size_t)(e - l->e);
    return i < l->n ? &g_array_index(l->progs, yj_iptv_prog_t, i) : NULL;
}

static int programme_at(int64_t channel_id, int64_t now_ms, yj_iptv_programme_t *now,
                        yj_iptv_programme_t *next, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_channel_t c;
    int rc = yj_iptv_store_channel_get(v->store, channel_id, &c);
    if (rc)
        return rc;
    yj_iptv_loaded_t *l = yj_iptv_load(v, channel_id, now_ms - YJ_IPTV_HORIZON_MS);
    if (!l)
        return YJ_EDB;
    yj_iptv_slot_t sn, sx;
    yj_iptv_schedule_at(l->e, l->n, now_ms, &sn, &sx);
    yj_iptv_slot_t after_next = {0};
    if (!sx.entry) {
        /* "nothing next" keeps the contract's SLATE with a NULL title */
        sx.start_ms = sn.end_ms;
        sx.end_ms = sn.end_ms;
    } else if (!sn.entry) {
        after_next = sx;
    }
    yj_iptv_slot_programme(&sn, sn.entry ? NULL : &after_next, c.name, false, now);
    if (next)
        yj_iptv_slot_programme(&sx, NULL, c.name, true, next);
    yj_iptv_loaded_free(l);
    return 0;
}

static int rollcall_at(int64_t channel_id, int64_t now_ms, char code[8], int64_t *from_ms,
                       int64_t *until_ms, void *ud)
{
    return yj_iptv_rollcall_current(ud, channel_id, now_ms, code, from_ms, until_ms);
}

const yj_iptv_schedule_ops_t yj_iptv_schedule_ops = {.programme_at = programme_at,
                                                     .rollcall_at = rollcall_at};

/* ------------------------------------------------------------------ */
/* times */

bool yj_iptv_parse_time(const char *s, int64_t *ms)
{
    if (!s || strlen(s) < 20 || strlen(s) > 40)
        return false;
    /* GLib takes an offset-less time in default_tz; with NULL it refuses,
     * which is what we want: every time must say its offset. */
    GDateTime *d = g_date_time_new_from_iso8601(s, NULL);
    if (!d)
        return false;
    int64_t sec = g_date_time_to_unix(d);
    int us = g_date_time_get_microsecond(d);
    g_date_time_unref(d);
    if (sec < 946684800 || sec > 4102444800) /* 2000 … 2100 */
        return false;
    *ms = sec * 1000 + us / 1000;
    return true;
}

char *yj_iptv_format_time(int64_t ms)
{
    return yj_iptv_local_time(ms, "%Y-%m-%dT%H:%M:%S%:z");
}

json_t *yj_iptv_time_json(int64_t ms)
{
    char *s = yj_iptv_format_time(ms);
    json_t *j = json_string(s);
    g_free(s);
    return j;
}

int64_t yj_iptv_param_id(yj_req_t *req, const char *name)
{
    const char *s = yj_req_param(req, name);
    if (!s || !*s || strlen(s) > 15)
        return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return g_ascii_strtoll(s, NULL, 10);
}
