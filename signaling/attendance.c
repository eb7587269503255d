/* SPDX-License-Identifier: Apache-2.0 */
/* attendance.c — interval union and the credit rule; see attendance.h. */
#include "signaling/attendance.h"

#include <stdlib.h>

static int by_start(const void *a, const void *b)
{
    const yj_interval_t *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return (x->to > y->to) - (x->to < y->to);
}

int64_t yj_interval_union(yj_interval_t *iv, size_t n, int64_t clip_from, int64_t clip_to)
{
    if (!iv || n == 0 || clip_to <= clip_from)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (iv[i].from < clip_from)
            iv[i].from = clip_from;
        if (iv[i].to > clip_to)
            iv[i].to = clip_to;
    }
    qsort(iv, n, sizeof *iv, by_start);
    int64_t total = 0, cur_from = 0, cur_to = 0;
    bool open = false;
    for (size_t i = 0; i < n; i++) {
        if (iv[i].to <= iv[i].from)
            continue;
        if (open && iv[i].from <= cur_to) {
            if (iv[i].to > cur_to)
                cur_to = iv[i].to;
            continue;
        }
        if (open)
            total += cur_to - cur_from;
        cur_from = iv[i].from;
        cur_to = iv[i].to;
        open = true;
    }
    if (open)
        total += cur_to - cur_from;
    return total;
}

int64_t yj_attendance_threshold_seconds(int planned_minutes, int threshold_percent)
{
    if (planned_minutes < 0)
        planned_minutes = 0;
    if (threshold_percent < 0)
        threshold_percent = 0;
    int64_t num = (int64_t)planned_minutes * 60 * threshold_percent;
    return (num + 99) / 100;
}

int yj_attendance_credit_minutes(int64_t attended_seconds, int64_t threshold_seconds)
{
    if (attended_seconds <= 0 || attended_seconds < threshold_seconds)
        return 0;
    int64_t m = (attended_seconds + 30) / 60;
    return m < 1 ? 1 : (int)m;
}
