/* SPDX-License-Identifier: Apache-2.0 */
/*
 * playout.c — one IPTV channel on the air (see playout.h).
 *
 * Three threads per channel:
 *  - the lookahead thread asks the schedule (ops->programme_at) twice a
 *    second or when told to, opens the source of the programme that is on
 *    or about to start (a lesson seeked to now − start after a restart, or
 *    a slate rendered with the next programme's title and start time) and
 *    hands it over under the mutex; it is the only thread that may block
 *    on the schedule, files or GStreamer;
 *  - the producer thread owns the muxer: it takes a handed-over source when
 *    its start time comes (in stream time: the UTC instant the datagram
 *    being built will leave), maps the source's timestamps onto the mux
 *    timeline so DTS/PTS keep rising, keeps the muxer fed about 700 ms
 *    ahead and builds datagrams about 700 ms ahead of the sender;
 *  - the sender thread (sender.c) sends them on its clock.
 * With cfg->hls_dir the producer also cuts the same packets into a live
 * HLS window (hls_live.c).
 * A missing or corrupt lesson never stops the channel: the slate goes on,
 * a line is logged and yj_iptv_source_errors_total{channel} counts it.
 * A LIVE programme (a live lecture) opens source_live.c: the meeting's
 * speaker, tapped and re-encoded on the source's own thread, with the slate
 * until the speaker's first keyframe and whenever nobody publishes video.
 * Without cfg->live (no meetings wired) it shows the slate.
 * For a creditable programme the lookahead thread renders the roll-call
 * code (ops->rollcall_at) on a card when its window opens, and the
 * producer puts it over the programme for YJ_IPTV_CARD_MS (source_card.c).
 */
#include "iptv/playout.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"
#include "iptv/hls_live.h"
#include "iptv/sender.h"
#include "iptv/source.h"
#include "iptv/ts_mux.h"

#include <glib.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define FILL_AHEAD_MS 700   /* datagrams built ahead of the sender (rides out stalls) */
#define FEED_AHEAD_90K 9000 /* access units queued beyond the mux delay */
#define PREPARE_MS 8000     /* open the next programme this long before it starts */
#define LOOKAHEAD_TICK_MS 500

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

static void programme_copy(yj_iptv_programme_t *dst, const yj_iptv_programme_t *src)
{
    *dst = *src;
    dst->title = g_strdup(src->title);
    dst->description = g_strdup(src->description);
    dst->media_path = g_strdup(src->media_path);
    dst->feed_url = g_strdup(src->feed_url);
}

/* A programme's identity: the schedule entry, or a hole by its start. */
typedef struct {
    int64_t id, start;
    int kind;
} key_t_;

static key_t_ key_of(const yj_iptv_programme_t *p)
{
    return (key_t_){p->id, p->id ? 0 : p->start_ms, (int)p->kind};
}

static bool key_eq(key_t_ a, key_t_ b)
{
    return a.id == b.id && a.start == b.start && a.kind == b.kind;
}

typedef struct {
    yj_iptv_programme_t prog, next;
    yj_iptv_src_t *src;
} prep_t;

static void prep_free(prep_t *p)
{
    if (!p)
        return;
    yj_iptv_programme_clear(&p->prog);
    yj_iptv_programme_clear(&p->next);
    yj_iptv_src_free(p->src);
    g_free(p);
}

struct yj_iptv_playout {
    int64_t id;
    int number;
    char *name, *provider, *address, *interface, *hls_dir;
    int bitrate;
    yj_iptv_schedule_ops_t ops;
    void *ud;
    const yj_iptv_live_ops_t *live; /* live lectures; NULL: the slate */
    void *live_ud;
    yj_iptv_sender_t *snd;
    yj_ts_mux_t *mux;   /* producer thread only */
    yj_iptv_hls_t *hls; /* producer thread only; NULL: no live HLS */
    int64_t utc0;       /* UTC ms when datagram 0 leaves */
    GThread *producer, *lookahead;
    atomic_bool stop;
    GMutex mu; /* guards everything below */
    GCond cond;
    bool resched;
    bool want_slate;  /* the producer fell back on a slate that is not there */
    prep_t *prepared; /* handed to the producer */
    key_t_ cur_key;   /* what the producer plays */
    bool cur_valid;
    int64_t cur_end;        /* its end as the producer knows it */
    int64_t new_end;        /* a schedule edit moved the current end; 0: none */
    yj_iptv_slate_t *slate; /* the current slate clip (next programme's text) */
    char *slate_text;
    yj_counter_t *m_errors, *m_programmes;
    /* the roll-call card (see card_lookahead) */
    yj_iptv_slate_t *card; /* rendered, waiting for its window; NULL: none */
    int64_t card_from, card_until;
    char card_code[8]; /* the last code rendered */
    int card_ms;
    yj_counter_t *m_cards;
};

static int64_t utc_ms(void)
{
    return g_get_real_time() / 1000;
}

/* ---- lookahead thread ---- */

/* "下一节目：<title>\n<MM月DD日 HH:MM> 开始" in Beijing time, or none. */
static char *slate_text(const yj_iptv_playout_t *p, const yj_iptv_programme_t *next)
{
    if (!next || !next->title || next->kind == YJ_IPTV_SLATE)
        return g_strdup_printf("%s\n暂无节目安排", p->name);
    GTimeZone *tz = g_time_zone_new_offset(8 * 3600);
    GDateTime *dt = g_date_time_new_from_unix_utc(next->start_ms / 1000);
    GDateTime *bj = g_date_time_to_timezone(dt, tz);
    char *when = g_date_time_format(bj, "%m月%d日 %H:%M");
    char *t = g_strdup_printf("%s\n下一节目：%s\n%s 开始", p->name, next->title, when);
    g_free(when);
    g_date_time_unref(bj);
    g_date_time_unref(dt);
    g_time_zone_unref(tz);
    return t;
}

/* Renders (or reuses) the slate for text; returns a new reference or NULL. */
static yj_iptv_slate_t *slate_for(yj_iptv_playout_t *p, const char *text)
{
    g_mutex_lock(&p->mu);
    if (p->slate && p->slate_text && !strcmp(p->slate_text, text)) {
        yj_iptv_slate_t *s = yj_iptv_slate_ref(p->slate);
        g_mutex_unlock(&p->mu);
        return s;
    }
    g_mutex_unlock(&p->mu);
    int w = p->bitrate >= 1500000 ? 1280 : 640, h = w * 9 / 16;
    char *err = NULL;
    yj_iptv_slate_t *s = yj_iptv_slate_render(text, w, h, 300000, &err);
    if (!s) {
        yj_error("iptv", "channel %d: cannot render the slate: %s", p->number, err);
        g_free(err);
        return NULL;
    }
    g_mutex_lock(&p->mu);
    yj_iptv_slate_unref(p->slate);
    p->slate = yj_iptv_slate_ref(s);
    g_free(p->slate_text);
    p->slate_text = g_strdup(text);
    g_mutex_unlock(&p->mu);
    return s;
}

/* Opens what prog needs, from offset_ms into it. Never NULL unless even
 * the slate cannot be rendered. *need_slate: a lesson that will end before
 * its slot does, so a slate should be rendered after the hand-over. */
static yj_iptv_src_t *open_source(yj_iptv_playout_t *p, const yj_iptv_programme_t *prog,
                                  const yj_iptv_programme_t *next, int64_t offset_ms,
                                  bool *need_slate)
{
    char *err = NULL;
    yj_iptv_src_t *s = NULL;
    if (prog->kind == YJ_IPTV_LESSON) {
        int64_t left = 0;
        s = yj_iptv_src_lesson_open(prog->media_path, p->bitrate, offset_ms, &left, &err);
        /* a lesson shorter than its slot ends into the slate: have it
         * ready (rendering costs CPU, so only then) */
        if (s && offset_ms + left + 1000 < prog->end_ms - prog->start_ms)
            *need_slate = true;
    } else if (prog->kind == YJ_IPTV_FEED || prog->kind == YJ_IPTV_LIVE) {
        /* both show the slate by themselves while their input is away */
        g_autofree char *text = slate_text(p, next);
        yj_iptv_slate_t *sl = slate_for(p, text);
        char label[16];
        g_snprintf(label, sizeof label, "%d", p->number);
        s = prog->kind == YJ_IPTV_FEED
                ? yj_iptv_src_feed_open(prog->feed_url, prog->feed_program, sl, label, &err)
                : yj_iptv_src_live_open(p->live, p->live_ud, prog->meeting_id, p->bitrate, sl,
                                        label, &err);
        yj_iptv_slate_unref(sl);
    }
    if (s)
        return s;
    if (err) {
        yj_warn("iptv", "channel %d: programme %" G_GINT64_FORMAT " (%s): %s; showing the slate",
                p->number, prog->id, prog->title ? prog->title : "", err);
        g_free(err);
        yj_counter_add(p->m_errors, 1);
    }
    /* the slate names the programme after this one */
    g_autofree char *text = slate_text(p, next);
    yj_iptv_slate_t *sl = slate_for(p, text);
    s = yj_iptv_src_slate_open(sl);
    yj_iptv_slate_unref(sl);
    return s;
}

static void hand_over(yj_iptv_playout_t *p, const yj_iptv_programme_t *prog,
                      const yj_iptv_programme_t *next, int64_t offset_ms)
{
    prep_t *pr = g_new0(prep_t, 1);
    programme_copy(&pr->prog, prog);
    programme_copy(&pr->next, next);
    bool need_slate = false;
    pr->src = open_source(p, prog, next, offset_ms, &need_slate);
    g_mutex_lock(&p->mu);
    prep_t *old = p->prepared;
    p->prepared = pr;
    g_mutex_unlock(&p->mu);
    prep_free(old);
    if (need_slate) { /* after the hand-over: the lesson is not kept waiting */
        g_autofree char *text = slate_text(p, next);
        yj_iptv_slate_unref(slate_for(p, text));
    }
}

/* The roll-call card: while a creditable programme's code window is open
 * at t, render the code once (a card clip, slow: here, never on the
 * producer) and leave it for the producer, which puts it on the air when
 * the window's start comes (card_take). */
static void card_lookahead(yj_iptv_playout_t *p, int64_t t)
{
    char code[8];
    int64_t from = 0, until = 0;
    if (!p->ops.rollcall_at || p->ops.rollcall_at(p->id, t, code, &from, &until, p->ud) != 0)
        return;
    code[7] = 0;
    g_mutex_lock(&p->mu);
    bool seen = !strcmp(p->card_code, code);
    g_mutex_unlock(&p->mu);
    if (seen)
        return;
    GTimeZone *tz = g_time_zone_new_offset(8 * 3600);
    GDateTime *dt = g_date_time_new_from_unix_utc(until / 1000);
    GDateTime *bj = g_date_time_to_timezone(dt, tz);
    g_autofree char *when = g_date_time_format(bj, "%H:%M");
    g_date_time_unref(bj);
    g_date_time_unref(dt);
    g_time_zone_unref(tz);
    g_autofree char *text =
        g_strdup_printf("集中收看签到\n签到码  %c %c %c %c %c %c\n"
                        "请在手机上输入签到码，%s 前有效",
                        code[0], code[1], code[2], code[3], code[4], code[5], when);
    int w = p->bitrate >= 1500000 ? 1280 : 640, h = w * 9 / 16;
    char *err = NULL;
    yj_iptv_slate_t *sl = yj_iptv_card_render(text, YJ_IPTV_CARD_COLOUR, w, h, 300000, &err);
    if (!sl) {
        yj_error("iptv", "channel %d: cannot render the roll-call card: %s", p->number, err);
        g_free(err);
        return;
    }
    g_mutex_lock(&p->mu);
    yj_iptv_slate_unref(p->card);
    p->card = sl;
    p->card_from = from;
    p->card_until = until;
    memcpy(p->card_code, code, sizeof code);
    g_mutex_unlock(&p->mu);
}

static gpointer lookahead_main(gpointer arg)
{
    yj_iptv_playout_t *p = arg;
    while (!atomic_load(&p->stop)) {
        int64_t t = utc_ms() + FILL_AHEAD_MS;
        yj_iptv_programme_t a = {0}, b = {0};
        int rc = p->ops.programme_at(p->id, t, &a, &b, p->ud);
        if (rc < 0) {
            yj_warn("iptv", "channel %d: schedule: %s", p->number, yj_strerror(rc));
        } else {
            key_t_ ka = key_of(&a), kb = key_of(&b);
            g_mutex_lock(&p->mu);
            bool playing_a = p->cur_valid && key_eq(p->cur_key, ka);
            bool prep_a = p->prepared && key_eq(key_of(&p->prepared->prog), ka);
            bool prep_b = p->prepared && key_eq(key_of(&p->prepared->prog), kb);
            if (playing_a && a.end_ms != p->cur_end)
                p->new_end = a.end_ms;
            g_mutex_unlock(&p->mu);
            g_mutex_lock(&p->mu);
            bool want = p->want_slate;
            p->want_slate = false;
            g_mutex_unlock(&p->mu);
            if (want) {
                g_autofree char *text = slate_text(p, &b);
                yj_iptv_slate_unref(slate_for(p, text));
            }
            if (!playing_a && !prep_a) {
                int64_t off = t - a.start_ms > 0 ? t - a.start_ms : 0;
                hand_over(p, &a, &b, off);
            } else if (playing_a && !prep_b && b.start_ms > 0 && b.start_ms - t < PREPARE_MS) {
                yj_iptv_programme_t c = {0}, d = {0};
                /* the programme after b, for b's EIT following and its slate */
                if (p->ops.programme_at(p->id, b.start_ms, &c, &d, p->ud) == 0)
                    hand_over(p, &b, &d, 0);
                else
                    hand_over(p, &b, &c, 0);
                yj_iptv_programme_clear(&c);
                yj_iptv_programme_clear(&d);
            }
        }
        yj_iptv_programme_clear(&a);
        yj_iptv_programme_clear(&b);
        card_lookahead(p, t);
        g_mutex_lock(&p->mu);
        if (!p->resched && !atomic_load(&p->stop))
            g_cond_wait_until(&p->cond, &p->mu,
                              g_get_monotonic_time() + LOOKAHEAD_TICK_MS * G_TIME_SPAN_MILLISECOND);
        p->resched = false;
        g_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* ---- producer thread ---- */

typedef struct {
    yj_iptv_programme_t prog, next;
    yj_iptv_src_t *src;
    int64_t base;      /* mux time of the source's 0 */
    int64_t last_dts;  /* mux time of the last access unit pushed */
    int64_t end;       /* mux time after everything pushed (max PTS/DTS + duration) */
    int64_t last_vdur; /* last video frame duration seen */
    bool fell_back;    /* the media ended or broke: slate until the next programme */
} cur_t;

static void set_eit(yj_iptv_playout_t *p, const cur_t *c, int64_t end_ms)
{
    yj_ts_event_t now = {0}, nx = {0};
    const yj_ts_event_t *pn = NULL, *pf = NULL;
    if (c->prog.kind != YJ_IPTV_SLATE && c->prog.title) {
        now = (yj_ts_event_t){.event_id = (uint16_t)(c->prog.id & 0xFFFF),
                              .start_ms = c->prog.start_ms,
                              .duration_ms = end_ms - c->prog.start_ms,
                              .title = c->prog.title,
                              .text = c->prog.description};
        pn = &now;
    }
    if (c->next.kind != YJ_IPTV_SLATE && c->next.title) {
        nx = (yj_ts_event_t){.event_id = (uint16_t)(c->next.id & 0xFFFF),
                             .start_ms = c->next.start_ms,
                             .duration_ms = c->next.end_ms - c->next.start_ms,
                             .title = c->next.title,
                             .text = c->next.description};
        pf = &nx;
    }
    yj_ts_mux_set_events(p->mux, pn, pf);
}

/* The first time at or after t on the frame grid of the video queued so
 * far: a change keeps the pictures' cadence (players estimate the frame
 * rate from the timestamps; off the grid, ffmpeg guessed 24.92 fps and
 * rounded two pictures onto one timestamp). */
static int64_t on_grid(yj_iptv_playout_t *p, const cur_t *c, int64_t t)
{
    int64_t lv = yj_ts_mux_queued_dts(p->mux, YJ_TS_VIDEO), d = c->last_vdur;
    if (lv == INT64_MIN || d <= 0)
        return t;
    int64_t k = (t - lv + d - 1) / d;
    return lv + (k > 1 ? k : 1) * d;
}

/* Starts src on the mux timeline right after everything already queued. */
static void start_source(yj_iptv_playout_t *p, cur_t *c, yj_iptv_src_t *src)
{
    yj_iptv_src_free(c->src);
    c->src = src;
    int64_t soonest = yj_ts_mux_clock(p->mux) + yj_ts_mux_delay(p->mux);
    c->base = on_grid(p, c, c->end > soonest ? c->end : soonest);
}

/* The current programme's media ended or broke: loop the slate until the
 * schedule moves on (the programme keeps its identity). */
static void to_slate(yj_iptv_playout_t *p, cur_t *c)
{
    yj_iptv_slate_t *sl = NULL;
    g_mutex_lock(&p->mu);
    sl = yj_iptv_slate_ref(p->slate);
    if (!sl) { /* ask the lookahead thread to render one */
        p->want_slate = true;
        g_cond_signal(&p->cond);
    }
    g_mutex_unlock(&p->mu);
    start_source(p, c, sl ? yj_iptv_src_slate_open(sl) : NULL);
    yj_iptv_slate_unref(sl);
    c->fell_back = true;
}

/* DTS must rise strictly on each stream across every hand-over (the muxer
 * refuses anything else), and a new GOP must not start in the past. A
 * source that re-bases its own timeline (the feed source switching
 * between the feed and its slate, after the feed stalled) may hand over a
 * keyframe that maps onto or before the last access unit queued, or
 * whose DTS the mux clock has already passed: the mapping moves on so the
 * keyframe follows the last frame by one frame duration and is not late,
 * and the audio after it moves with it. Any other access unit at or
 * before its stream's last DTS is dropped (it would be refused, and it
 * cannot be decoded without what came before it). Returns false to drop. */
static bool keep_rising(yj_iptv_playout_t *p, cur_t *c, const yj_iptv_au_t *au, int64_t *pts,
                        int64_t *dts)
{
    int64_t prev = yj_ts_mux_queued_dts(p->mux, au->st);
    bool key = au->st == YJ_TS_VIDEO && au->key;
    bool behind = prev != INT64_MIN && *dts <= prev;
    if (!key) {
        if (behind)
            yj_debug("iptv", "channel %d: access unit at or before the last DTS dropped",
                     p->number);
        return !behind;
    }
    int64_t want = behind ? prev + c->last_vdur : *dts;
    if (*dts < yj_ts_mux_clock(p->mux)) /* late already: the soonest slot */
        want = on_grid(p, c, MAX(want, yj_ts_mux_clock(p->mux) + yj_ts_mux_delay(p->mux)));
    if (want == *dts)
        return true;
    int64_t shift = want - *dts;
    c->base += shift;
    *dts += shift;
    *pts += shift;
    if (c->end < *dts)
        c->end = *dts;
    yj_info("iptv", "channel %d: keyframe moved on %" G_GINT64_FORMAT " ms to keep DTS rising",
            p->number, shift / 90);
    return true;
}

static void feed(yj_iptv_playout_t *p, cur_t *c)
{
    int64_t horizon = yj_ts_mux_clock(p->mux) + yj_ts_mux_delay(p->mux) + FEED_AHEAD_90K;
    int guard = 0;
    if (!c->src && c->fell_back) { /* waiting for a slate to be rendered */
        g_mutex_lock(&p->mu);
        bool ready = p->slate != NULL;
        g_mutex_unlock(&p->mu);
        if (ready)
            to_slate(p, c);
    }
    while (c->src && c->last_dts < horizon && guard++ < 2000) {
        yj_iptv_au_t au;
        int rc = yj_iptv_src_read(c->src, &au);
        if (rc == 2)
            break; /* a live source with nothing yet */
        if (rc <= 0) {
            if (rc < 0) {
                yj_warn("iptv",
                        "channel %d: programme %" G_GINT64_FORMAT
                        ": media unreadable; showing the slate",
                        p->number, c->prog.id);
                yj_counter_add(p->m_errors, 1);
            }
            bool was_slate = c->prog.kind == YJ_IPTV_SLATE;
            to_slate(p, c);
            if (rc == 0 && was_slate)
                break;
            continue;
        }
        int64_t dts = au.dts + c->base, pts = au.pts + c->base;
        if (au.st == YJ_TS_VIDEO && au.duration > 0)
            c->last_vdur = au.duration;
        if (!keep_rising(p, c, &au, &pts, &dts))
            continue;
        int64_t dur = au.duration > 0 ? au.duration : (au.st == YJ_TS_VIDEO ? c->last_vdur : 1920);
        if (yj_ts_mux_push(p->mux, au.st, au.data, au.len, pts, dts, au.key) < 0)
            continue; /* out of order within its stream: dropped */
        c->last_dts = dts;
        if (pts + dur > c->end)
            c->end = pts + dur;
        if (dts + dur > c->end)
            c->end = dts + dur;
    }
}

/* Puts a rendered roll-call card on the air once its window has come
 * (stream time now): the current source is wrapped so the card follows
 * everything already queued (source_card.c). */
static void card_take(yj_iptv_playout_t *p, cur_t *c, int64_t now)
{
    g_mutex_lock(&p->mu);
    yj_iptv_slate_t *sl = p->card && now >= p->card_from ? p->card : NULL;
    int64_t until = p->card_until;
    char code[8];
    memcpy(code, p->card_code, sizeof code);
    if (sl)
        p->card = NULL;
    g_mutex_unlock(&p->mu);
    if (!sl)
        return;
    if (now < until && c->src && c->prog.kind != YJ_IPTV_SLATE) {
        int64_t at = on_grid(p, c, MAX(c->end, c->base)) - c->base;
        c->src = yj_iptv_src_card_open(c->src, sl, at, (int64_t)p->card_ms * 90);
        yj_counter_add(p->m_cards, 1);
        yj_info("iptv", "channel %d: roll-call card %s on the air: %s", p->number, code,
                c->prog.title ? c->prog.title : "");
    }
    yj_iptv_slate_unref(sl);
}

static gpointer producer_main(gpointer arg)
{
    yj_iptv_playout_t *p = arg;
    cur_t c = {.last_vdur = 3600};
    double period_ms = yj_iptv_sender_period_ns(p->snd) / 1e6;
    uint64_t ahead = (uint64_t)(FILL_AHEAD_MS / period_ms) + 2;
    bool have_cur = false;
    int64_t cur_end = INT64_MAX;
    while (!atomic_load(&p->stop)) {
        uint64_t made = yj_iptv_sender_produced(p->snd);
        uint8_t *slot =
            made - yj_iptv_sender_sent(p->snd) < ahead ? yj_iptv_sender_slot(p->snd) : NULL;
        if (!slot) { /* far enough ahead: the next batch in 20 ms */
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
            continue;
        }
        int64_t now = p->utc0 + (int64_t)((double)made * period_ms);
        prep_t *take = NULL;
        bool over = false;
        g_mutex_lock(&p->mu);
        if (p->prepared && p->prepared->prog.start_ms <= now && now < p->prepared->prog.end_ms &&
            (!have_cur || !key_eq(key_of(&p->prepared->prog), key_of(&c.prog)))) {
            take = p->prepared;
            p->prepared = NULL;
            p->cur_key = key_of(&take->prog);
            p->cur_valid = true;
            p->cur_end = take->prog.end_ms;
            p->new_end = 0;
        } else if (have_cur && p->new_end) {
            cur_end = p->cur_end = p->new_end;
            p->new_end = 0;
            set_eit(p, &c, cur_end);
        }
        if (have_cur && !take && now >= cur_end && c.prog.kind != YJ_IPTV_SLATE) {
            over = true; /* nothing handed over in time: slate until it is */
            p->cur_key = (key_t_){0, now, YJ_IPTV_SLATE};
        }
        g_mutex_unlock(&p->mu);
        if (take) {
            yj_iptv_programme_clear(&c.prog);
            yj_iptv_programme_clear(&c.next);
            c.prog = take->prog;
            c.next = take->next;
            memset(&take->prog, 0, sizeof take->prog);
            memset(&take->next, 0, sizeof take->next);
            start_source(p, &c, take->src);
            c.fell_back = false;
            take->src = NULL;
            prep_free(take);
            cur_end = c.prog.end_ms;
            have_cur = true;
            set_eit(p, &c, cur_end);
            yj_counter_add(p->m_programmes, 1);
            /* A slate handed over to another slate (a hole re-asked while
             * a lesson is still being made) is not news. */
            if (c.prog.kind == YJ_IPTV_SLATE)
                yj_debug("iptv", "channel %d: slate", p->number);
            else
                yj_info("iptv", "channel %d: on air: %s", p->number,
                        c.prog.title ? c.prog.title : "");
        } else if (over) {
            yj_iptv_programme_t was = c.prog;
            c.prog = (yj_iptv_programme_t){.kind = YJ_IPTV_SLATE, .start_ms = now};
            yj_iptv_programme_clear(&was);
            cur_end = INT64_MAX;
            set_eit(p, &c, cur_end);
            to_slate(p, &c);
        }
        card_take(p, &c, now);
        feed(p, &c);
        for (int i = 0; i < YJ_IPTV_DGRAM / YJ_TS_PACKET; i++) {
            yj_ts_mux_next(p->mux, slot + i * YJ_TS_PACKET);
            if (p->hls)
                yj_iptv_hls_packet(p->hls, slot + i * YJ_TS_PACKET,
                                   now + (int64_t)(i * period_ms / 7));
        }
        yj_iptv_sender_commit(p->snd);
    }
    yj_iptv_src_free(c.src);
    yj_iptv_programme_clear(&c.prog);
    yj_iptv_programme_clear(&c.next);
    return NULL;
}

/* ---- public ---- */

yj_iptv_playout_t *yj_iptv_playout_new(const yj_iptv_channel_cfg_t *cfg,
                                       const yj_iptv_schedule_ops_t *ops, void *ud, char **err)
{
    if (!cfg || !ops || !ops->programme_at) {
        *err = g_strdup("no configuration or schedule");
        return NULL;
    }
    if (cfg->number < 1 || cfg->number > 65535) {
        *err = g_strdup("number: not in 1..65535");
        return NULL;
    }
    if (!cfg->name || !cfg->name[0]) {
        *err = g_strdup("name: empty");
        return NULL;
    }
    char label[16];
    g_snprintf(label, sizeof label, "%d", cfg->number);
    yj_iptv_sender_cfg_t sc = {.address = cfg->address,
                               .port = cfg->port,
                               .ttl = cfg->ttl,
                               .interface = cfg->interface,
                               .rtp = cfg->rtp,
                               .bitrate = cfg->bitrate,
                               .label = label};
    yj_iptv_sender_t *snd = yj_iptv_sender_new(&sc, err);
    if (!snd)
        return NULL;
    yj_ts_mux_cfg_t mc = {.bitrate = cfg->bitrate,
                          .service_id = cfg->number,
                          .service_name = cfg->name,
                          .provider_name = cfg->provider ? cfg->provider : "远教"};
    yj_ts_mux_t *mux = yj_ts_mux_new(&mc);
    if (!mux) {
        yj_iptv_sender_free(snd);
        *err = g_strdup("bitrate: not usable for the multiplexer");
        return NULL;
    }
    yj_iptv_hls_t *hls = NULL;
    if (cfg->hls_dir && cfg->hls_dir[0]) {
        hls = yj_iptv_hls_new(cfg->hls_dir, 4, 6, err);
        if (!hls) {
            yj_ts_mux_free(mux);
            yj_iptv_sender_free(snd);
            return NULL;
        }
    }
    yj_iptv_playout_t *p = g_new0(yj_iptv_playout_t, 1);
    p->hls = hls;
    p->id = cfg->id;
    p->number = cfg->number;
    p->name = g_strdup(cfg->name);
    p->provider = g_strdup(cfg->provider);
    p->address = g_strdup(cfg->address);
    p->interface = g_strdup(cfg->interface);
    p->hls_dir = g_strdup(cfg->hls_dir);
    p->bitrate = cfg->bitrate;
    p->card_ms = cfg->card_ms > 0 ? cfg->card_ms : YJ_IPTV_CARD_MS;
    p->ops = *ops;
    p->ud = ud;
    p->live = cfg->live;
    p->live_ud = cfg->live_ud;
    p->snd = snd;
    p->mux = mux;
    g_mutex_init(&p->mu);
    g_cond_init(&p->cond);
    g_autofree char *m1 = g_strdup_printf("yj_iptv_source_errors_total{channel=\"%s\"}", label);
    g_autofree char *m2 = g_strdup_printf("yj_iptv_programmes_total{channel=\"%s\"}", label);
    p->m_errors = yj_metrics_counter(m1, "IPTV programmes whose media was missing or corrupt");
    p->m_programmes = yj_metrics_counter(m2, "IPTV programme changes on the air");
    g_autofree char *m3 = g_strdup_printf("yj_iptv_rollcall_cards_total{channel=\"%s\"}", label);
    p->m_cards = yj_metrics_counter(m3, "IPTV roll-call cards put on the air");
    p->utc0 = yj_iptv_sender_start(snd);
    p->lookahead = g_thread_new("iptv-look", lookahead_main, p);
    p->producer = g_thread_new("iptv-mux", producer_main, p);
    yj_info("iptv", "channel %d (%s) on air to %s:%d at %d bit/s%s", p->number, p->name, p->address,
            cfg->port, p->bitrate, cfg->rtp ? " (RTP)" : "");
    return p;
}

void yj_iptv_playout_reschedule(yj_iptv_playout_t *p)
{
    if (!p)
        return;
    g_mutex_lock(&p->mu);
    p->resched = true;
    g_cond_signal(&p->cond);
    g_mutex_unlock(&p->mu);
}

void yj_iptv_playout_free(yj_iptv_playout_t *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, true);
    g_mutex_lock(&p->mu);
    g_cond_signal(&p->cond);
    g_mutex_unlock(&p->mu);
    g_thread_join(p->lookahead);
    g_thread_join(p->producer);
    yj_iptv_sender_free(p->snd);
    yj_ts_mux_free(p->mux);
    yj_iptv_hls_free(p->hls);
    prep_free(p->prepared);
    yj_iptv_slate_unref(p->slate);
    yj_iptv_slate_unref(p->card);
    g_free(p->slate_text);
    g_mutex_clear(&p->mu);
    g_cond_clear(&p->cond);
    g_free(p->name);
    g_free(p->provider);
    g_free(p->address);
    g_free(p->interface);
    g_free(p->hls_dir);
    g_free(p);
}
