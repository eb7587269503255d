/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schedule.c — expansion of repeats and loops, and "what is on at t".
 *
 * An entry's occurrences are start + k·P for k in [0, N), P = 0 (once),
 * one day or one week, each lasting end - start (the API guarantees it is
 * no longer than P, so occurrences of one entry never overlap each other).
 * A loop fills each occurrence with its course's lessons in order,
 * starting again from the first when the course ends, the last one cut
 * at the occurrence's end. Everything is integer arithmetic on UTC
 * milliseconds; the fixed +08:00 offset matters only for the slate's
 * text. Nothing here touches the database, the clock or the network.
 */
#include "schedule.h"

#include <glib.h>
#include <string.h>

static int64_t period(const yj_iptv_entry_t *e)
{
    return e->repeat == YJ_IPTV_DAILY    ? YJ_IPTV_DAY_MS
           : e->repeat == YJ_IPTV_WEEKLY ? YJ_IPTV_WEEK_MS
                                         : 0;
}

static bool usable(const yj_iptv_entry_t *e)
{
    if (e->end_ms <= e->start_ms)
        return false;
    if (e->loop && (e->n_items == 0 || !e->items))
        return false;
    return true;
}

int64_t yj_iptv_entry_count(const yj_iptv_entry_t *e)
{
    if (!usable(e))
        return 0;
    int64_t p = period(e);
    if (!p || e->until_ms <= e->start_ms)
        return 1;
    int64_t n = (e->until_ms - e->start_ms + p - 1) / p;
    return MIN(n, 0xffff);
}

int64_t yj_iptv_entry_occ_start(const yj_iptv_entry_t *e, int64_t k)
{
    return e->start_ms + k * period(e);
}

static int64_t dur(const yj_iptv_entry_t *e)
{
    return e->end_ms - e->start_ms;
}

/* floor division for possibly negative numerators */
static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The last occurrence starting at or before x, or -1. */
static int64_t last_le(const yj_iptv_entry_t *e, int64_t n, int64_t x)
{
    if (n <= 0 || x < e->start_ms)
        return -1;
    int64_t p = period(e);
    int64_t k = p ? fdiv(x - e->start_ms, p) : 0;
    return MIN(k, n - 1);
}

/* The first occurrence starting at or after x, or n. */
static int64_t first_ge(const yj_iptv_entry_t *e, int64_t n, int64_t x)
{
    if (n <= 0)
        return n;
    if (x <= e->start_ms)
        return 0;
    int64_t p = period(e);
    if (!p)
        return n;
    int64_t k = fdiv(x - e->start_ms + p - 1, p);
    return MIN(k, n);
}

/* Loop item playing at t inside occurrence [os, oe). */
static void loop_item(const yj_iptv_entry_t *e, int64_t os, int64_t oe, int64_t t,
                      yj_iptv_slot_t *s)
{
    int64_t cycle = 0;
    for (size_t i = 0; i < e->n_items; i++)
        cycle += MAX(e->items[i].duration_ms, 1);
    int64_t q = (t - os) / cycle, off = (t - os) % cycle, acc = 0;
    size_t i = 0;
    for (; i < e->n_items; i++) {
        int64_t d = MAX(e->items[i].duration_ms, 1);
        if (off < acc + d)
            break;
        acc += d;
    }
    if (i == e->n_items)
        i = e->n_items - 1;
    s->item = (int)MIN(q * (int64_t)e->n_items + (int64_t)i + 1, 0xfffff);
    s->start_ms = t - (off - acc);
    s->end_ms = MIN(s->start_ms + MAX(e->items[i].duration_ms, 1), oe);
}

size_t yj_iptv_slot_index(const yj_iptv_slot_t *s)
{
    const yj_iptv_entry_t *e = s->entry;
    return e && e->n_items && s->item > 0 ? (size_t)(s->item - 1) % e->n_items : 0;
}

static void occ_slot(const yj_iptv_entry_t *e, int64_t k, yj_iptv_slot_t *s)
{
    memset(s, 0, sizeof *s);
    s->entry = e;
    s->occ = k;
    s->occ_start_ms = yj_iptv_entry_occ_start(e, k);
    s->occ_end_ms = s->occ_start_ms + dur(e);
    s->start_ms = s->occ_start_ms;
    s->end_ms = s->occ_end_ms;
    if (e->loop) {
        s->item = 1;
        s->end_ms = MIN(s->start_ms + MAX(e->items[0].duration_ms, 1), s->occ_end_ms);
    }
}

/* The first occurrence (first item for a loop) starting at or after x,
 * before limit; false when none. */
static bool first_after(const yj_iptv_entry_t *e, size_t n, int64_t x, int64_t limit,
                        yj_iptv_slot_t *out)
{
    const yj_iptv_entry_t *best = NULL;
    int64_t best_k = 0, best_start = limit;
    for (size_t i = 0; i < n; i++) {
        int64_t cnt = yj_iptv_entry_count(&e[i]);
        int64_t k = first_ge(&e[i], cnt, x);
        if (k >= cnt)
            continue;
        int64_t st = yj_iptv_entry_occ_start(&e[i], k);
        if (st < best_start) {
            best = &e[i];
            best_k = k;
            best_start = st;
        }
    }
    if (!best)
        return false;
    occ_slot(best, best_k, out);
    return true;
}

void yj_iptv_schedule_at(const yj_iptv_entry_t *e, size_t n, int64_t t, yj_iptv_slot_t *now,
                         yj_iptv_slot_t *next)
{
    memset(now, 0, sizeof *now);
    memset(next, 0, sizeof *next);
    const yj_iptv_entry_t *on = NULL;
    int64_t on_k = 0, on_start = INT64_MIN;
    int64_t hole_lo = t - YJ_IPTV_HORIZON_MS, hole_hi = t + YJ_IPTV_HORIZON_MS;
    for (size_t i = 0; i < n; i++) {
        int64_t cnt = yj_iptv_entry_count(&e[i]);
        int64_t k = last_le(&e[i], cnt, t);
        if (k >= 0) {
            int64_t st = yj_iptv_entry_occ_start(&e[i], k), en = st + dur(&e[i]);
            if (t < en) {
                if (st > on_start) {
                    on = &e[i];
                    on_k = k;
                    on_start = st;
                }
            } else if (en > hole_lo) {
                hole_lo = en;
            }
        }
        int64_t k2 = first_ge(&e[i], cnt, t + 1);
        if (k2 < cnt)
            hole_hi = MIN(hole_hi, yj_iptv_entry_occ_start(&e[i], k2));
    }
    if (on) {
        occ_slot(on, on_k, now);
        if (on->loop)
            loop_item(on, now->occ_start_ms, now->occ_end_ms, t, now);
    } else {
        now->start_ms = hole_lo;
        now->end_ms = hole_hi;
    }
    int64_t x = now->end_ms;
    if (on && on->loop && x < now->occ_end_ms) {
        /* the next lesson of the same looped occurrence */
        *next = *now;
        next->item = MIN(now->item + 1, 0xfffff);
        next->start_ms = x;
        next->end_ms =
            MIN(x + MAX(on->items[yj_iptv_slot_index(next)].duration_ms, 1), now->occ_end_ms);
        return;
    }
    if (!first_after(e, n, x, t + YJ_IPTV_HORIZON_MS + 1, next))
        memset(next, 0, sizeof *next);
}

typedef struct {
    const yj_iptv_entry_t *e;
    int64_t k, start, end;
} occ_t;

static gint occ_cmp(gconstpointer a, gconstpointer b)
{
    const occ_t *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

size_t yj_iptv_schedule_each(const yj_iptv_entry_t *e, size_t n, int64_t from, int64_t to,
                             size_t max, yj_iptv_occ_fn fn, void *ud)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(occ_t));
    for (size_t i = 0; i < n; i++) {
        int64_t cnt = yj_iptv_entry_count(&e[i]);
        int64_t k = last_le(&e[i], cnt, from);
        if (k < 0)
            k = 0;
        for (; k < cnt; k++) {
            occ_t o = {&e[i], k, yj_iptv_entry_occ_start(&e[i], k), 0};
            o.end = o.start + dur(&e[i]);
            if (o.start >= to)
                break;
            if (o.end > from)
                g_array_append_val(a, o);
            if (a->len > 4 * max + 64)
                break;
            if (!period(&e[i]))
                break;
        }
    }
    g_array_sort(a, occ_cmp);
    size_t done = 0;
    for (guint i = 0; i < a->len && done < max; i++, done++) {
        occ_t *o = &g_array_index(a, occ_t, i);
        fn(o->e, o->k, o->start, o->end, ud);
    }
    g_array_free(a, TRUE);
    return done;
}

bool yj_iptv_entries_overlap(const yj_iptv_entry_t *a, const yj_iptv_entry_t *b)
{
    /* the loop's items do not matter for overlap: only its range */
    yj_iptv_entry_t aa = *a, bb = *b;
    aa.loop = bb.loop = false;
    int64_t na = yj_iptv_entry_count(&aa), nb = yj_iptv_entry_count(&bb);
    for (int64_t k = 0; k < na; k++) {
        int64_t sa = yj_iptv_entry_occ_start(&aa, k), ea = sa + dur(&aa);
        int64_t j = last_le(&bb, nb, sa);
        if (j >= 0 && yj_iptv_entry_occ_start(&bb, j) + dur(&bb) > sa)
            return true;
        j = first_ge(&bb, nb, sa + 1);
        if (j < nb && yj_iptv_entry_occ_start(&bb, j) < ea)
            return true;
    }
    return false;
}

char *yj_iptv_local_time(int64_t ms, const char *fmt)
{
    GTimeZone *tz = g_time_zone_new_offset(YJ_IPTV_TZ_OFFSET_S);
    GDateTime *d = g_date_time_new_from_unix_utc(ms / 1000);
    GDateTime *l = d ? g_date_time_to_timezone(d, tz) : NULL;
    char *s = l ? g_date_time_format(l, fmt) : g_strdup("");
    if (l)
        g_date_time_unref(l);
    if (d)
        g_date_time_unref(d);
    g_time_zone_unref(tz);
    return s;
}

void yj_iptv_slot_programme(const yj_iptv_slot_t *s, const yj_iptv_slot_t *next,
                            const char *channel_name, bool as_next, yj_iptv_programme_t *p)
{
    memset(p, 0, sizeof *p);
    p->start_ms = s->start_ms;
    p->end_ms = s->end_ms;
    const yj_iptv_entry_t *e = s->entry;
    if (!e) {
        p->kind = YJ_IPTV_SLATE;
        if (as_next)
            return;
        p->title = g_strdup(channel_name ? channel_name : "");
        if (next && next->entry) {
            g_autofree char *when = yj_iptv_local_time(next->start_ms, "%m月%d日 %H:%M");
            const yj_iptv_entry_t *ne = next->entry;
            const char *t =
                ne->loop && next->item ? ne->items[yj_iptv_slot_index(next)].title : ne->title;
            p->description = g_strdup_printf("下一个节目：%s，%s 开始", t ? t : "", when);
        } else {
            p->description = g_strdup("暂无节目安排");
        }
        return;
    }
    p->id = YJ_IPTV_OCC_ID(e->id, s->occ, s->item);
    p->kind = e->kind;
    if (e->loop && s->item > 0) {
        const yj_iptv_item_t *it = &e->items[yj_iptv_slot_index(s)];
        p->kind = YJ_IPTV_LESSON;
        p->title = g_strdup(it->title ? it->title : "");
        p->description = g_strdup(e->title ? e->title : "");
        p->media_path = g_strdup(it->media_path);
        return;
    }
    p->title = g_strdup(e->title ? e->title : "");
    p->description = g_strdup(e->description);
    p->media_path = g_strdup(e->media_path);
    p->feed_url = g_strdup(e->feed_url);
    p->feed_program = e->feed_program;
    p->meeting_id = e->meeting_id;
}
