/* SPDX-License-Identifier: Apache-2.0 */
/*
 * schedule.h — a channel's schedule as pure data: entries (one programme
 * row, possibly repeated daily or weekly, possibly "loop this course"),
 * their expansion into occurrences, and what is on at a given instant.
 *
 * Everything here works on arrays the caller loaded (no database, no
 * clock, no allocation beyond the results), so the rules can be tested
 * and fuzzed alone. Intervals are half-open [start, end): a programme
 * ending at 10:00 and one starting at 10:00 abut and never overlap; the
 * instant 10:00 belongs to the second. Times are UTC; the schedule's
 * local day is a fixed offset (China Standard Time, +08:00, has no
 * daylight saving), so "daily" is exactly 86,400 s and "weekly" exactly
 * 604,800 s — no calendar arithmetic is needed and none is done.
 *
 * Occurrence ids: an occurrence of entry E (number k from 0) is
 * YJ_IPTV_OCC_ID(E, k, 0); the j-th lesson played inside a looped
 * occurrence (from 1, counting on through the course's repeats) is
 * YJ_IPTV_OCC_ID(E, k, j), so every lesson played has its own id. The
 * playout sees these in yj_iptv_programme_t.id.
 */
#ifndef YJ_IPTV_SCHEDULE_H
#define YJ_IPTV_SCHEDULE_H

#include "playout.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YJ_IPTV_DAY_MS INT64_C(86400000)
#define YJ_IPTV_WEEK_MS (7 * YJ_IPTV_DAY_MS)
/* Offset of the schedule's local time from UTC (+08:00). */
#define YJ_IPTV_TZ_OFFSET_S (8 * 3600)

/* ms (UTC) in the schedule's time zone, formatted by g_date_time_format's
 * fmt; "" when out of range. g_free. */
char *yj_iptv_local_time(int64_t ms, const char *fmt);
/* Longest span of a repeated programme (first start to repeat_until). */
#define YJ_IPTV_REPEAT_MAX_MS (400 * YJ_IPTV_DAY_MS)
/* How far ahead and back programme_at looks. */
#define YJ_IPTV_HORIZON_MS YJ_IPTV_WEEK_MS

#define YJ_IPTV_OCC_ID(entry, occ, item)                                                           \
    (((int64_t)(entry) << 36) | ((int64_t)(occ) << 20) | (int64_t)(item))
#define YJ_IPTV_OCC_ENTRY(id) ((id) >> 36)
#define YJ_IPTV_OCC_NUMBER(id) (((id) >> 20) & 0xffff)
#define YJ_IPTV_OCC_ITEM(id) ((id)&0xfffff)

typedef enum { YJ_IPTV_ONCE = 0, YJ_IPTV_DAILY = 1, YJ_IPTV_WEEKLY = 7 } yj_iptv_repeat_t;

/* One lesson of a looped course, in course order. Strings borrowed. */
typedef struct {
    int64_t lesson_id;
    int64_t duration_ms; /* > 0 */
    const char *title;
    const char *media_path;
} yj_iptv_item_t;

/* One schedule row. Strings and items are borrowed from the caller. */
typedef struct {
    int64_t id;               /* programme row id (< 2^27) */
    yj_iptv_kind_t kind;      /* LESSON, FEED or LIVE (a loop is LESSON with items) */
    bool loop;                /* fill [start, end) with items in order, cycling */
    int64_t start_ms, end_ms; /* first occurrence, end > start */
    yj_iptv_repeat_t repeat;
    int64_t until_ms; /* repeats: occurrences start before this (exclusive) */
    const char *title, *description;
    const char *media_path; /* LESSON */
    const char *feed_url;   /* FEED */
    int feed_program;
    int64_t meeting_id; /* LIVE */
    const yj_iptv_item_t *items;
    size_t n_items;
} yj_iptv_entry_t;

/* One resolved slot: an occurrence (or a loop item inside it). */
typedef struct {
    const yj_iptv_entry_t *entry; /* NULL: the slate */
    int64_t occ;                  /* occurrence number */
    int64_t occ_start_ms, occ_end_ms;
    int item; /* loop: play number in the occurrence, from 1 (the lesson is
                 items[(item - 1) % n_items]); 0 when not a loop item */
    int64_t start_ms, end_ms;
} yj_iptv_slot_t;

/* Index into entry->items of a loop slot's lesson. */
size_t yj_iptv_slot_index(const yj_iptv_slot_t *s);

/* Number of occurrences of e (1 for ONCE; 0 for a malformed entry). */
int64_t yj_iptv_entry_count(const yj_iptv_entry_t *e);
/* Start of occurrence k. */
int64_t yj_iptv_entry_occ_start(const yj_iptv_entry_t *e, int64_t k);

/* What is on at t: the slot of the entry occurrence containing t (for a
 * loop, the item playing), or the slate with the hole's bounds (searched
 * up to YJ_IPTV_HORIZON_MS either way; an unbounded side is clipped to
 * t ± horizon). *next is the first slot starting at or after now->end_ms
 * (entry NULL when none within the horizon). Where entries overlap
 * (the API refuses it) the one started last wins. */
void yj_iptv_schedule_at(const yj_iptv_entry_t *e, size_t n, int64_t t, yj_iptv_slot_t *now,
                         yj_iptv_slot_t *next);

/* Calls fn for every occurrence (not loop item) overlapping [from, to),
 * in start order, at most max of them; returns how many it reported. */
typedef void (*yj_iptv_occ_fn)(const yj_iptv_entry_t *e, int64_t occ, int64_t start_ms,
                               int64_t end_ms, void *ud);
size_t yj_iptv_schedule_each(const yj_iptv_entry_t *e, size_t n, int64_t from, int64_t to,
                             size_t max, yj_iptv_occ_fn fn, void *ud);

/* True when some occurrence of a overlaps some occurrence of b. */
bool yj_iptv_entries_overlap(const yj_iptv_entry_t *a, const yj_iptv_entry_t *b);

/* Fills *p from a slot (strings copied; clear with
 * yj_iptv_programme_clear). A slate gets kind SLATE, the slot's bounds,
 * title channel_name and a Chinese description naming the next
 * programme and its start (+08:00); when as_next is set a slate gets a
 * NULL title (the playout contract for "nothing next"). */
void yj_iptv_slot_programme(const yj_iptv_slot_t *s, const yj_iptv_slot_t *next,
                            const char *channel_name, bool as_next, yj_iptv_programme_t *p);

#endif
