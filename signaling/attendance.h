/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attendance.h — pure attendance arithmetic: the union of a member's
 * presence intervals (reconnects and several devices overlap) clipped to
 * the meeting's span, and the credit rule applied to it.
 *
 * No SQL, no clock, no allocation beyond what the caller passes: the store
 * (signaling/store.c) feeds rows in, the unit tests feed arrays in.
 */
#ifndef YJ_ATTENDANCE_H
#define YJ_ATTENDANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A half-open presence interval [from, to) in Unix seconds. */
typedef struct {
    int64_t from, to;
} yj_interval_t;

/* Length in seconds of the union of iv[0..n) after clipping each interval
 * to [clip_from, clip_to). Sorts iv in place (the caller's array); empty or
 * inverted intervals count for nothing. Never negative. */
int64_t yj_interval_union(yj_interval_t *iv, size_t n, int64_t clip_from, int64_t clip_to);

/* Seconds a member must attend: threshold_percent (1..100) of the planned
 * duration, rounded up to the next second. */
int64_t yj_attendance_threshold_seconds(int planned_minutes, int threshold_percent);

/* Minutes credited for attended_seconds: 0 when below threshold_seconds,
 * else the attended time rounded to the nearest minute (half up) and never
 * less than 1 — a member who met the threshold always earns a credit. */
int yj_attendance_credit_minutes(int64_t attended_seconds, int64_t threshold_seconds);

#endif
