/* SPDX-License-Identifier: Apache-2.0 */
/*
 * intervals.c — interval-union sets; see intervals.h.
 *
 * Adding is O(n): find where the new interval starts, swallow every
 * neighbour it overlaps or touches, and shift the tail once. Sets are small
 * (a lesson watched in fragments has tens of intervals, bounded by
 * YJ_INTERVALS_MAX), so this beats any tree.
 */
#include "intervals.h"
#include "core/yj.h"

#include <glib.h>
#include <jansson.h>
#include <string.h>

void yj_intervals_clear(yj_intervals_t *set)
{
    if (!set)
        return;
    g_free(set->v);
    set->v = NULL;
    set->n = set->cap = 0;
}

static void reserve(yj_intervals_t *set, size_t n)
{
    if (n <= set->cap)
        return;
    size_t cap = set->cap ? set->cap * 2 : 8;
    while (cap < n)
        cap *= 2;
    set->v = g_renew(yj_interval_t, set->v, cap);
    set->cap = cap;
}

int yj_intervals_add(yj_intervals_t *set, int64_t start, int64_t end)
{
    if (start < 0 || start > end)
        return YJ_EINVAL;
    if (start == end)
        return 0;
    /* First interval whose end reaches start (overlapping or touching). */
    size_t i = 0;
    while (i < set->n && set->v[i].end < start)
        i++;
    /* Every interval from i whose start is within [.., end] merges. */
    size_t j = i;
    while (j < set->n && set->v[j].start <= end) {
        if (set->v[j].start < start)
            start = set->v[j].start;
        if (set->v[j].end > end)
            end = set->v[j].end;
        j++;
    }
    if (j == i) {
        /* No overlap: insert at i. */
        reserve(set, set->n + 1);
        memmove(set->v + i + 1, set->v + i, (set->n - i) * sizeof *set->v);
        set->n++;
    } else if (j > i + 1) {
        /* Merged j - i intervals into one: close the gap. */
        memmove(set->v + i + 1, set->v + j, (set->n - j) * sizeof *set->v);
        set->n -= j - i - 1;
    }
    set->v[i].start = start;
    set->v[i].end = end;
    return 0;
}

int yj_intervals_merge(yj_intervals_t *dst, const yj_intervals_t *src)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = yj_intervals_add(dst, src->v[i].start, src->v[i].end);
        if (rc)
            return rc;
    }
    return 0;
}

void yj_intervals_copy(yj_intervals_t *dst, const yj_intervals_t *src)
{
    dst->n = 0;
    reserve(dst, src->n);
    if (src->n)
        memcpy(dst->v, src->v, src->n * sizeof *src->v);
    dst->n = src->n;
}

int64_t yj_intervals_total(const yj_intervals_t *set)
{
    int64_t t = 0;
    for (size_t i = 0; i < set->n; i++)
        t += set->v[i].end - set->v[i].start;
    return t;
}

char *yj_intervals_to_json(const yj_intervals_t *set)
{
    GString *s = g_string_sized_new(16 + set->n * 24);
    g_string_append_c(s, '[');
    for (size_t i = 0; i < set->n; i++)
        g_string_append_printf(s, "%s[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]", i ? "," : "",
                               set->v[i].start, set->v[i].end);
    g_string_append_c(s, ']');
    return g_string_free(s, FALSE);
}

int yj_intervals_from_json(yj_intervals_t *set, const char *text)
{
    set->n = 0;
    json_error_t e;
    json_t *a = text ? json_loads(text, JSON_REJECT_DUPLICATES, &e) : NULL;
    int rc = json_is_array(a) ? 0 : YJ_EINVAL;
    size_t i;
    json_t *p;
    if (rc == 0)
        json_array_foreach(a, i, p)
        {
            json_t *x = json_array_get(p, 0), *y = json_array_get(p, 1);
            if (!json_is_array(p) || json_array_size(p) != 2 || !json_is_integer(x) ||
                !json_is_integer(y) ||
                yj_intervals_add(set, json_integer_value(x), json_integer_value(y)) != 0) {
                rc = YJ_EINVAL;
                break;
            }
        }
    json_decref(a);
    if (rc)
        set->n = 0;
    return rc;
}

static void append_seconds(GString *s, int64_t ms)
{
    g_string_append_printf(s, "%" G_GINT64_FORMAT, ms / 1000);
    int frac = (int)(ms % 1000);
    if (frac) {
        char buf[8];
        g_snprintf(buf, sizeof buf, ".%03d", frac);
        /* Trim trailing zeros: 10.500 → 10.5. */
        size_t l = strlen(buf);
        while (l > 1 && buf[l - 1] == '0')
            buf[--l] = 0;
        g_string_append(s, buf);
    }
}

char *yj_intervals_to_segments(const yj_intervals_t *set)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < set->n; i++) {
        if (i)
            g_string_append(s, "[,]");
        append_seconds(s, set->v[i].start);
        g_string_append(s, "[.]");
        append_seconds(s, set->v[i].end);
    }
    return g_string_free(s, FALSE);
}
