/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compose.h — a recording's track files composed into one 720p video.
 *
 * The plan (yj_rec_plan_*) is read from the manifest JSON (recordings/
 * store.h): which files, who published them, when each video tile is
 * present, when someone shares the screen. It is pure data, so it is
 * unit-tested and fuzzed apart from GStreamer.
 *
 * The composition (yj_rec_compose) runs one GStreamer pipeline: every
 * track file is read by our pcap reader into an appsrc with presentation
 * times from its RTCP sender reports (NTP↔RTP; the sender's clock is
 * anchored to the server's arrival times once per publisher, so audio and
 * video of one person keep the sender's own lip sync), then depayloaded
 * and decoded; video tiles are labelled with the member's name
 * (textoverlay, Noto Sans CJK SC) and placed by a compositor whose pad
 * positions follow the layout over time (GstController); audio is mixed
 * (audiomixer); a black picture and silence of the recording's length
 * carry the timeline, so gaps stay gaps. Output: MP4, H.264 (openh264)
 * 1280×720 25 fps, AAC; when nobody had video (plan n_video 0), AAC alone
 * in MP4 — an audio lesson. Runs on a job-pool thread; never on a media
 * worker.
 */
#ifndef YJ_RECORDINGS_COMPOSE_H
#define YJ_RECORDINGS_COMPOSE_H

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *path; /* the track file (absolute) */
    char *name; /* display name ("" if none) */
    char peer[64];
    bool video;
    char codec[16]; /* "VP8", "H264", "opus" */
    int payload_type, clock_rate;
    int64_t first_us, last_us; /* arrival times, µs since the epoch */
} yj_rec_plan_track_t;

typedef struct {
    int64_t at_us; /* relative to t0 */
    char peer[64];
    bool on;
} yj_rec_plan_screen_t;

typedef struct {
    int64_t at_us; /* relative to t0 */
    char peer[64]; /* "" when the room fell silent */
} yj_rec_plan_speaker_t;

typedef struct {
    int64_t t0_us;  /* the recording's start (µs since the epoch) */
    int64_t dur_us; /* its length */
    yj_rec_plan_track_t *tracks;
    size_t n_tracks;
    yj_rec_plan_screen_t *screens;
    size_t n_screens;
    yj_rec_plan_speaker_t *speakers; /* active-speaker changes, in time order */
    size_t n_speakers;
    size_t n_video;
} yj_rec_plan_t;

/* Builds the plan from a manifest; root: the recordings folder. 0, or
 * YJ_EINVAL with err naming the field (nothing allocated). Tracks that
 * received no packet are left out. */
int yj_rec_plan_from_json(const json_t *manifest, const char *root, yj_rec_plan_t *out, char *err,
                          size_t errlen);
void yj_rec_plan_clear(yj_rec_plan_t *p);

/* One tile of the layout at some moment, in output pixels. */
typedef struct {
    int track; /* index into plan->tracks */
    int x, y, w, h;
} yj_rec_tile_t;

/* The video tiles at time t (relative to t0) on a w×h canvas: a grid of
 * the video tracks present then, or, when a present publisher shares the
 * screen, their track large on top and the others in a strip below.
 * Returns the number of tiles written to tiles (at most max). */
size_t yj_rec_layout(const yj_rec_plan_t *p, int64_t t, int w, int h, yj_rec_tile_t *tiles,
                     size_t max);

/* The frame around the active speaker's tile at time t (the tile grown by
 * YJ_REC_FRAME px, inside the canvas): true with *frame set, false when
 * nobody speaks, the speaker has no tile then, or there is only one. */
#define YJ_REC_FRAME 4
bool yj_rec_speaker_frame(const yj_rec_plan_t *p, int64_t t, int w, int h, yj_rec_tile_t *frame);

/* Chapters for the player, from the speaker changes: each is at least
 * min_us long (the last may be shorter only when it is the only one),
 * titled "发言：<name>" after who spoke most in it; neighbours with the same
 * title are one chapter. The first starts at 0; silence belongs to the
 * chapter it falls in. No speaker change: no chapters. */
typedef struct {
    int64_t start_us; /* relative to t0 */
    char *title;
} yj_rec_chapter_t;
/* Returns how many were stored in *out (g_free with yj_rec_chapters_free). */
size_t yj_rec_chapters(const yj_rec_plan_t *p, int64_t min_us, yj_rec_chapter_t **out);
void yj_rec_chapters_free(yj_rec_chapter_t *c, size_t n);

typedef struct yj_job yj_job_t; /* core/jobs.h */

typedef struct {
    const char *font;       /* "Noto Sans CJK SC" */
    const char *title;      /* the meeting's title (may be NULL; not drawn) */
    int width, height, fps; /* 1280, 720, 25 */
    /* The pool job it runs in (may be NULL): while the pool's busy
     * predicate holds (yj_job_busy), the pipeline is paused and the job
     * yields (yj_job_yield), so live meetings get the CPU. */
    yj_job_t *job;
} yj_compose_options_t;

typedef void (*yj_compose_progress_fn)(int percent, void *ud);

/* Composes the plan into out_path (MP4). progress (may be NULL) is called
 * with 0–99 while it runs. cancel (may be NULL): non-zero stops early
 * (YJ_ESTATE). Returns 0 with *duration_ms, or YJ_EMEDIA with err. */
int yj_rec_compose(const yj_rec_plan_t *plan, const yj_compose_options_t *o, const char *out_path,
                   yj_compose_progress_fn progress, void *ud, const int *cancel,
                   int64_t *duration_ms, char *err, size_t errlen);

#endif
