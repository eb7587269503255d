/* SPDX-License-Identifier: Apache-2.0 */
/*
 * intervals.h — sets of watched intervals of a lesson, in milliseconds.
 *
 * A set is kept sorted and disjoint: adding [a,b) merges with every
 * interval it overlaps or touches, so the total length is the measure of
 * the union and watching a part twice counts once (DESIGN.md: credit comes
 * from the length of the union, not from the furthest position). Pure
 * logic — no I/O, no SQL — so it is unit-tested and fuzzed on its own.
 */
#ifndef YJ_VOD_INTERVALS_H
#define YJ_VOD_INTERVALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t start, end; /* half-open [start, end), start <= end */
} yj_interval_t;

typedef struct {
    yj_interval_t *v; /* sorted by start, disjoint, non-touching, non-empty */
    size_t n, cap;
} yj_intervals_t;

/* Upper bound on a stored set's size: a report that would fragment the
 * union beyond it is refused (bounded storage and CPU per report). */
#define YJ_INTERVALS_MAX 1000

/* A zeroed yj_intervals_t is an empty set; _clear frees and empties it
 * (NULL-safe). */
void yj_intervals_clear(yj_intervals_t *set);

/* Adds [start, end). Empty intervals (start == end) change nothing.
 * Returns 0, YJ_EINVAL if start > end or start < 0. */
int yj_intervals_add(yj_intervals_t *set, int64_t start, int64_t end);

/* Adds every interval of src to dst. 0 or YJ_EINVAL. */
int yj_intervals_merge(yj_intervals_t *dst, const yj_intervals_t *src);

/* Copies src into dst (dst is cleared first). */
void yj_intervals_copy(yj_intervals_t *dst, const yj_intervals_t *src);

/* Total length of the union in ms. */
int64_t yj_intervals_total(const yj_intervals_t *set);

/* Stored form: "[[0,10000],[20000,30500]]" (ms). Newly allocated (g_free). */
char *yj_intervals_to_json(const yj_intervals_t *set);

/* Parses the stored form into set (which is cleared first). Accepts only
 * arrays of [start,end] integer pairs with 0 <= start <= end; returns 0 or
 * YJ_EINVAL (set left empty). */
int yj_intervals_from_json(yj_intervals_t *set, const char *text);

/* xAPI video profile "played-segments": "0[.]10.5[,]20[.]30" in seconds
 * with up to 3 decimals. Newly allocated (g_free). */
char *yj_intervals_to_segments(const yj_intervals_t *set);

#endif
