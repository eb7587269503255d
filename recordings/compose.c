/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compose.c — the plan, the layout and the GStreamer composition of
 * recordings/compose.h.
 *
 * Timing. For each track file a first pass collects its sender reports
 * (NTP µs ↔ extended RTP timestamp) and every packet's (arrival, RTP
 * timestamp). sender_time(ts) maps a timestamp through an anchor from the
 * track's first SRs (their median) at the nominal clock rate (see there
 * why not the latest), or, for a
 * track without any SR, through its first packet's arrival. A publisher's clock offset
 * to the server is min(arrival − sender_time) over all packets of all its
 * tracks that have SRs (one offset per publisher keeps their audio and
 * video together); a packet then plays at sender_time + offset − t0.
 *
 * Pipeline (built as text for gst_parse_launch, every name ours):
 *   videotestsrc black (the recording's length) → compositor sink_0
 *   appsrc → rtpvp8depay/rtph264depay → decoder → videoconvert →
 *     videoscale (640×360, borders) → textoverlay(name) → queue →
 *     compositor sink_N, whose xpos/ypos/width/height/alpha follow the
 *     layout through step control sources; a solid colour pad under the
 *     tiles frames the active speaker's tile (from the speaker events)
 *   audiotestsrc silence → audiomixer; appsrc → rtpopusdepay → opusdec →
 *     audioconvert/resample → queue → audiomixer
 *   (everything I420: the compositor then blends without conversions)
 *   compositor → openh264enc → h264parse → mp4mux ← avenc_aac ← audiomixer
 *
 * Never: trusts a file name from the manifest that is not a plain name in
 * the recording's folder; runs on a media worker.
 */
#include "recordings/compose.h"
#include "core/jobs.h"

#include "recordings/pcap.h"
#include "core/log.h"
#include "core/yj.h"

#include <gst/app/gstappsrc.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/gst.h>
#include <math.h>
#include <string.h>

#define TILE_W 640
#define TILE_H 360

/* ---- plan ---- */

static int64_t jint(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static bool plain_name(const char *s)
{
    return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static bool rel_dir_ok(const char *s)
{
    if (!*s || s[0] == '/')
        return false;
    char **parts = g_strsplit(s, "/", -1);
    bool ok = true;
    for (char **p = parts; *p; p++)
        if (!plain_name(*p))
            ok = false;
    g_strfreev(parts);
    return ok;
}

void yj_rec_plan_clear(yj_rec_plan_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_tracks; i++) {
        g_free(p->tracks[i].path);
        g_free(p->tracks[i].name);
    }
    g_free(p->tracks);
    g_free(p->screens);
    g_free(p->speakers);
    memset(p, 0, sizeof *p);
}

int yj_rec_plan_from_json(const json_t *m, const char *root, yj_rec_plan_t *out, char *err,
                          size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(m)) {
        g_strlcpy(err, "manifest: not an object", errlen);
        return YJ_EINVAL;
    }
    const char *dir = jstr(m, "dir");
    if (!rel_dir_ok(dir)) {
        g_strlcpy(err, "manifest: dir is not a folder inside the recordings folder", errlen);
        return YJ_EINVAL;
    }
    json_t *tracks = json_object_get(m, "tracks");
    if (!json_is_array(tracks)) {
        g_strlcpy(err, "manifest: tracks missing", errlen);
        return YJ_EINVAL;
    }
    int64_t t0 = jint(m, "started_us"), end = jint(m, "stopped_us");
    GArray *ts = g_array_new(FALSE, TRUE, sizeof(yj_rec_plan_track_t));
    int64_t last = 0;
    size_t i;
    json_t *t;
    int rc = 0;
    json_array_foreach(tracks, i, t)
    {
        const char *file = jstr(t, "file"), *kind = jstr(t, "kind"), *codec = jstr(t, "codec");
        int64_t first = jint(t, "first_us"), lastp = jint(t, "last_us");
        int pt = (int)jint(t, "payload_type"), clock = (int)jint(t, "clock_rate");
        if (jint(t, "packets") <= 0 || first <= 0)
            continue; /* nothing arrived */
        if (!plain_name(file)) {
            g_snprintf(err, errlen, "manifest: tracks[%zu].file is not a plain file name", i);
            rc = YJ_EINVAL;
            break;
        }
        bool video = strcmp(kind, "video") == 0;
        if (!video && strcmp(kind, "audio") != 0) {
            g_snprintf(err, errlen, "manifest: tracks[%zu].kind must be audio or video", i);
            rc = YJ_EINVAL;
            break;
        }
        if (pt < 0 || pt > 127 || clock < 1000 || clock > 192000 || lastp < first) {
            g_snprintf(err, errlen, "manifest: tracks[%zu] has impossible RTP parameters", i);
            rc = YJ_EINVAL;
            break;
        }
        yj_rec_plan_track_t pt_ = {0};
        pt_.path = g_build_filename(root, dir, file, NULL);
        pt_.name = g_strdup(jstr(t, "display_name"));
        g_strlcpy(pt_.peer, jstr(t, "peer_id"), sizeof pt_.peer);
        pt_.video = video;
        g_strlcpy(pt_.codec, codec, sizeof pt_.codec);
        pt_.payload_type = pt;
        pt_.clock_rate = clock;
        pt_.first_us = first;
        pt_.last_us = lastp;
        if (lastp > last)
            last = lastp;
        if (video)
            out->n_video++;
        g_array_append_val(ts, pt_);
    }
    out->n_tracks = ts->len;
    out->tracks = (yj_rec_plan_track_t *)g_array_free(ts, FALSE);
    if (rc) {
        yj_rec_plan_clear(out);
        return rc;
    }
    if (t0 <= 0) {
        yj_rec_plan_clear(out);
        g_strlcpy(err, "manifest: started_us missing", errlen);
        return YJ_EINVAL;
    }
    if (end <= t0)
        end = last;
    if (end <= t0 || end - t0 > (int64_t)48 * 3600 * 1000000) {
        yj_rec_plan_clear(out);
        g_strlcpy(err, "manifest: the recording has no length", errlen);
        return YJ_EINVAL;
    }
    out->t0_us = t0;
    out->dur_us = end - t0;
    GArray *sc = g_array_new(FALSE, TRUE, sizeof(yj_rec_plan_screen_t));
    GArray *sp = g_array_new(FALSE, TRUE, sizeof(yj_rec_plan_speaker_t));
    json_t *e;
    json_array_foreach(json_object_get(m, "events"), i, e)
    {
        const char *k = jstr(e, "kind");
        if (strcmp(k, "speaker") == 0) {
            yj_rec_plan_speaker_t s = {.at_us = jint(e, "at_us") - t0};
            g_strlcpy(s.peer, jstr(e, "peer_id"), sizeof s.peer);
            g_array_append_val(sp, s);
            continue;
        }
        bool on = strcmp(k, "screen") == 0;
        if (!on && strcmp(k, "unscreen") != 0)
            continue;
        yj_rec_plan_screen_t s = {.at_us = jint(e, "at_us") - t0, .on = on};
        g_strlcpy(s.peer, jstr(e, "peer_id"), sizeof s.peer);
        g_array_append_val(sc, s);
    }
    out->n_screens = sc->len;
    out->screens = (yj_rec_plan_screen_t *)g_array_free(sc, FALSE);
    out->n_speakers = sp->len;
    out->speakers = (yj_rec_plan_speaker_t *)g_array_free(sp, FALSE);
    return 0;
}

static bool screen_on(const yj_rec_plan_t *p, const char *peer, int64_t t);

/* ---- chapters ---- */

typedef struct {
    int64_t start, end;
    GHashTable *talk; /* peer -> µs spoken (boxed int64) */
} chap_t;

static void chap_add(chap_t *c, const char *peer, int64_t us)
{
    if (us <= 0)
        return;
    int64_t *v = g_hash_table_lookup(c->talk, peer);
    if (!v) {
        v = g_new0(int64_t, 1);
        g_hash_table_insert(c->talk, g_strdup(peer), v);
    }
    *v += us;
}

/* Who spoke most in c (ties: the smaller peer id, so it is stable). */
static const char *chap_top(const chap_t *c)
{
    GHashTableIter it;
    gpointer k, v;
    const char *best = NULL;
    int64_t most = -1;
    g_hash_table_iter_init(&it, c->talk);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (*(int64_t *)v > most || (*(int64_t *)v == most && strcmp(k, best) < 0)) {
            most = *(int64_t *)v;
            best = k;
        }
    return best;
}

static void chap_merge(chap_t *into, chap_t *from)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, from->talk);
    while (g_hash_table_iter_next(&it, &k, &v))
        chap_add(into, k, *(int64_t *)v);
    into->end = from->end;
    g_hash_table_destroy(from->talk);
    from->talk = NULL;
}

static const char *peer_name(const yj_rec_plan_t *p, const char *peer)
{
    for (size_t i = 0; i < p->n_tracks; i++)
        if (strcmp(p->tracks[i].peer, peer) == 0 && p->tracks[i].name && *p->tracks[i].name)
            return p->tracks[i].name;
    return NULL;
}

void yj_rec_chapters_free(yj_rec_chapter_t *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        g_free(c[i].title);
    g_free(c);
}

size_t yj_rec_chapters(const yj_rec_plan_t *p, int64_t min_us, yj_rec_chapter_t **out)
{
    *out = NULL;
    GArray *cs = g_array_new(FALSE, TRUE, sizeof(chap_t));
    chap_t cur = {0};
    const char *cur_top = NULL;
    for (size_t i = 0; i < p->n_speakers; i++) {
        const yj_rec_plan_speaker_t *sp = &p->speakers[i];
        if (!*sp->peer)
            continue; /* silence: part of whichever chapter it falls in */
        int64_t at = CLAMP(sp->at_us, 0, p->dur_us);
        int64_t until = p->dur_us;
        for (size_t k = i + 1; k < p->n_speakers; k++)
            if (p->speakers[k].at_us > sp->at_us) {
                until = CLAMP(p->speakers[k].at_us, at, p->dur_us);
                break;
            }
        if (!cur.talk) {
            cur.talk = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
            cur.start = 0;
        } else if (at - cur.start >= min_us && cur_top && strcmp(cur_top, sp->peer) != 0) {
            cur.end = at;
            g_array_append_val(cs, cur);
            cur = (chap_t){.start = at};
            cur.talk = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        }
        chap_add(&cur, sp->peer, until - at);
        cur_top = chap_top(&cur);
    }
    if (!cur.talk) {
        g_array_free(cs, TRUE);
        return 0;
    }
    cur.end = p->dur_us;
    g_array_append_val(cs, cur);
    /* a short last chapter joins the one before */
    if (cs->len > 1) {
        chap_t *last = &g_array_index(cs, chap_t, cs->len - 1);
        if (last->end - last->start < min_us) {
            chap_merge(&g_array_index(cs, chap_t, cs->len - 2), last);
            g_array_set_size(cs, cs->len - 1);
        }
    }
    /* titles; neighbours with the same speaker become one chapter */
    GArray *res = g_array_new(FALSE, TRUE, sizeof(yj_rec_chapter_t));
    const char *prev = NULL;
    for (guint i = 0; i < cs->len; i++) {
        chap_t *c = &g_array_index(cs, chap_t, i);
        const char *top = chap_top(c);
        if (top && (!prev || strcmp(prev, top) != 0)) {
            const char *name = peer_name(p, top);
            yj_rec_chapter_t ch = {.start_us = res->len ? c->start : 0,
                                   .title = g_strdup_printf("发言：%s", name ? name : "未署名")};
            g_array_append_val(res, ch);
        }
        prev = top;
    }
    /* prev points into the tables: free them only now */
    for (guint i = 0; i < cs->len; i++)
        if (g_array_index(cs, chap_t, i).talk)
            g_hash_table_destroy(g_array_index(cs, chap_t, i).talk);
    g_array_free(cs, TRUE);
    size_t n = res->len;
    *out = (yj_rec_chapter_t *)g_array_free(res, FALSE);
    return n;
}

bool yj_rec_speaker_frame(const yj_rec_plan_t *p, int64_t t, int w, int h, yj_rec_tile_t *frame)
{
    const char *who = NULL;
    for (size_t i = 0; i < p->n_speakers; i++)
        if (p->speakers[i].at_us <= t)
            who = p->speakers[i].peer;
    if (!who || !*who)
        return false;
    yj_rec_tile_t tiles[32];
    size_t n = yj_rec_layout(p, t, w, h, tiles, G_N_ELEMENTS(tiles));
    if (n < 2)
        return false; /* alone on the canvas: nobody to tell apart */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(p->tracks[tiles[i].track].peer, who) != 0)
            continue;
        int x0 = MAX(tiles[i].x - YJ_REC_FRAME, 0), y0 = MAX(tiles[i].y - YJ_REC_FRAME, 0);
        int x1 = MIN(tiles[i].x + tiles[i].w + YJ_REC_FRAME, w);
        int y1 = MIN(tiles[i].y + tiles[i].h + YJ_REC_FRAME, h);
        *frame =
            (yj_rec_tile_t){.track = tiles[i].track, .x = x0, .y = y0, .w = x1 - x0, .h = y1 - y0};
        return true;
    }
    return false;
}

static bool screen_on(const yj_rec_plan_t *p, const char *peer, int64_t t)
{
    bool on = false;
    for (size_t i = 0; i < p->n_screens; i++)
        if (p->screens[i].at_us <= t && strcmp(p->screens[i].peer, peer) == 0)
            on = p->screens[i].on;
    return on;
}

static bool present(const yj_rec_plan_t *p, size_t i, int64_t t)
{
    const yj_rec_plan_track_t *tr = &p->tracks[i];
    return tr->video && tr->first_us - p->t0_us <= t && t < tr->last_us - p->t0_us + 500000;
}

/* Places n 16:9 tiles in a w×h box at (x0,y0) as a centred grid. */
static void grid(yj_rec_tile_t *tiles, size_t n, int x0, int y0, int w, int h)
{
    if (n == 0)
        return;
    int cols = (int)ceil(sqrt((double)n));
    int rows = (int)((n + (size_t)cols - 1) / (size_t)cols);
    int tw = w / cols, th = h / rows;
    if (tw * 9 > th * 16)
        tw = th * 16 / 9;
    else
        th = tw * 9 / 16;
    tw &= ~1, th &= ~1;
    int gx = x0 + (w - tw * cols) / 2, gy = y0 + (h - th * rows) / 2;
    for (size_t k = 0; k < n; k++) {
        int r = (int)k / cols, c = (int)k % cols;
        int in_row = r == rows - 1 ? (int)n - r * cols : cols; /* centre the last row */
        int rx = gx + (cols - in_row) * tw / 2;
        tiles[k].x = rx + c * tw;
        tiles[k].y = gy + r * th;
        tiles[k].w = tw;
        tiles[k].h = th;
    }
}

size_t yj_rec_layout(const yj_rec_plan_t *p, int64_t t, int w, int h, yj_rec_tile_t *tiles,
                     size_t max)
{
    size_t n = 0;
    int big = -1;
    for (size_t i = 0; i < p->n_tracks && n < max; i++) {
        if (!present(p, i, t))
            continue;
        if (big < 0 && screen_on(p, p->tracks[i].peer, t)) {
            big = (int)i;
            continue;
        }
        tiles[n++].track = (int)i;
    }
    if (big < 0) {
        grid(tiles, n, 0, 0, w, h);
        return n;
    }
    /* the shared screen large on top, the others in a strip below */
    int strip = h / 4;
    size_t others = n < max ? n : max - 1;
    grid(tiles, others, 0, h - strip, w, strip);
    memmove(tiles + 1, tiles, others * sizeof *tiles);
    tiles[0].track = big;
    grid(tiles, 1, 0, 0, w, others ? h - strip : h);
    tiles[0].track = big;
    return others + 1;
}

/* ---- timing ---- */

typedef struct {
    int64_t ntp_us, ext;
} sr_pt_t;

typedef struct {
    bool init;
    uint32_t last_ts;
    int64_t last_ext;
} unwrap_t;

static int64_t unwrap(unwrap_t *u, uint32_t ts, bool update)
{
    if (!u->init) {
        if (!update)
            return ts;
        u->init = true;
        u->last_ts = ts;
        u->last_ext = (int64_t)ts + ((int64_t)1 << 32); /* room to go back */
        return u->last_ext;
    }
    int64_t ext = u->last_ext + (int32_t)(ts - u->last_ts);
    if (update && ext > u->last_ext) {
        u->last_ts = ts;
        u->last_ext = ext;
    }
    return ext;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct src src_t;
struct src {
    const yj_rec_plan_track_t *t;
    const yj_rec_plan_t *plan;
    GArray *srs;                    /* sr_pt_t, in stream order */
    int64_t anchor_ntp, anchor_ext; /* see anchor() */
    int64_t first_ext, first_arrival;
    int64_t min_off; /* min(arrival − sender_time) */
    int64_t offset;  /* applied: the publisher's */
    /* streaming */
    yj_pcap_reader_t *rd;
    unwrap_t uw;
    size_t sr_i;
    bool seq_init, done, eof, sent_any;
    int64_t seq_high, last_sent, win_newest;
    GArray *win; /* win_t sorted by seq (the reorder window) */
    GstElement *appsrc;
    int64_t pushed;
    int64_t shift; /* codec and frame-grid compensation, µs (see yj_rec_compose) */
};

/* The sender's capture time of a timestamp, through one anchor taken
 * from the track's first sender reports and the nominal clock rate. Not
 * the latest SR: a sender under load (seen with webrtcbin) stamps its SRs
 * by extrapolating from its clock while its packets lag behind, so
 * successive SRs disagree by seconds, and re-anchoring on each would make
 * the picture and the sound jump. The first SRs of a publisher's audio and
 * video are sent together and share that error, so their lip sync holds;
 * clock drift over an hour (≤ 0.1 %) moves both alike. The anchor is the
 * median of what the first ANCHOR_SRS reports say, not the first alone:
 * Chromium's first audio SR was once 66 ms off all the later ones, which
 * put the whole lesson out of sync by that much. */
#define ANCHOR_SRS 5

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sets s->anchor_ntp / s->anchor_ext from the first SRs. */
static void anchor(src_t *s)
{
    if (s->srs->len == 0)
        return;
    const sr_pt_t *sr0 = &g_array_index(s->srs, sr_pt_t, 0);
    int64_t at[ANCHOR_SRS];
    guint n = MIN(s->srs->len, ANCHOR_SRS);
    for (guint i = 0; i < n; i++) {
        const sr_pt_t *sr = &g_array_index(s->srs, sr_pt_t, i);
        /* what SR i says the sender time of sr0's timestamp was */
        at[i] = sr->ntp_us - (sr->ext - sr0->ext) * 1000000 / s->t->clock_rate;
    }
    qsort(at, n, sizeof at[0], cmp_i64);
    s->anchor_ext = sr0->ext;
    s->anchor_ntp = n % 2 ? at[n / 2] : (at[n / 2 - 1] + at[n / 2]) / 2;
}

static int64_t sender_time(src_t *s, int64_t ext, size_t *hint)
{
    (void)hint;
    if (s->srs->len == 0)
        return s->first_arrival + (ext - s->first_ext) * 1000000 / s->t->clock_rate;
    return s->anchor_ntp + (ext - s->anchor_ext) * 1000000 / s->t->clock_rate;
}

/* First pass: SRs, first packet, clock offset. 0 or YJ_EMEDIA. */
static int analyse(src_t *s)
{
    yj_pcap_reader_t *rd = yj_pcap_reader_open(s->t->path);
    if (!rd)
        return YJ_EMEDIA;
    s->srs = g_array_new(FALSE, FALSE, sizeof(sr_pt_t));
    GArray *pk = g_array_new(FALSE, FALSE, sizeof(int64_t) * 2);
    unwrap_t uw = {0};
    yj_pcap_record_t r;
    bool first = true;
    while (yj_pcap_reader_next(rd, &r) == 1) {
        if (r.stream == YJ_PCAP_RTCP) {
            if (r.len >= 20 && r.payload[1] == 200) {
                sr_pt_t sp = {
                    .ntp_us = ((int64_t)be32(r.payload + 8) - 2208988800LL) * 1000000 +
                              (int64_t)(((uint64_t)be32(r.payload + 12) * 1000000) >> 32),
                    .ext = unwrap(&uw, be32(r.payload + 16), !uw.init),
                };
                /* keep SRs in timestamp order (a reordered one is dropped) */
                if (s->srs->len == 0 ||
                    sp.ext > g_array_index(s->srs, sr_pt_t, s->srs->len - 1).ext)
                    g_array_append_val(s->srs, sp);
            }
            continue;
        }
        if (r.len < 12 || (r.payload[0] >> 6) != 2)
            continue;
        int64_t ext = unwrap(&uw, be32(r.payload + 4), true);
        if (first) {
            s->first_ext = ext;
            s->first_arrival = r.ts_us;
            first = false;
        }
        int64_t v[2] = {r.ts_us, ext};
        g_array_append_val(pk, v);
    }
    yj_pcap_reader_close(rd);
    if (first) {
        g_array_free(pk, TRUE);
        return YJ_EMEDIA;
    }
    anchor(s);
    s->min_off = INT64_MAX;
    size_t hint = 0;
    for (guint i = 0; i < pk->len; i++) {
        int64_t *v = &g_array_index(pk, int64_t, i * 2);
        int64_t off = v[0] - sender_time(s, v[1], &hint);
        if (off < s->min_off)
            s->min_off = off;
    }
    g_array_free(pk, TRUE);
    return 0;
}

/* A packet waiting in the reorder window. */
typedef struct {
    int64_t seq; /* extended sequence number */
    int64_t arrival;
    GstBuffer *buf;
} win_t;

#define WIN_MAX 1024  /* packets */
#define WIN_US 500000 /* arrival span: covers NACK/RTX repairs */

/* Reads the next usable packet into the window (sorted by sequence).
 * Returns false at the end of the file. */
static bool fill_one(src_t *s)
{
    for (;;) {
        yj_pcap_record_t r;
        if (yj_pcap_reader_next(s->rd, &r) != 1)
            return false;
        if (r.stream != YJ_PCAP_RTP || r.len < 12 || (r.payload[0] >> 6) != 2 ||
            (r.payload[1] & 0x7f) != s->t->payload_type)
            continue;
        uint16_t seq16 = (uint16_t)(r.payload[2] << 8 | r.payload[3]);
        if (!s->seq_init) {
            s->seq_init = true;
            s->seq_high = 65536 + seq16;
        }
        int64_t seq = s->seq_high + (int16_t)(seq16 - (uint16_t)s->seq_high);
        if (seq > s->seq_high)
            s->seq_high = seq;
        int64_t ext = unwrap(&s->uw, be32(r.payload + 4), true);
        int64_t pts = sender_time(s, ext, NULL) + s->offset - s->plan->t0_us + s->shift;
        if (pts < 0 || pts >= s->plan->dur_us)
            continue;
        win_t w = {.seq = seq, .arrival = r.ts_us, .buf = gst_buffer_new_memdup(r.payload, r.len)};
        GST_BUFFER_PTS(w.buf) = (GstClockTime)pts * 1000;
        GST_BUFFER_DTS(w.buf) = GST_BUFFER_PTS(w.buf);
        guint i = s->win->len;
        while (i > 0 && g_array_index(s->win, win_t, i - 1).seq > seq)
            i--;
        g_array_insert_val(s->win, i, w);
        if (r.ts_us > s->win_newest)
            s->win_newest = r.ts_us;
        return true;
    }
}

/* appsrc asks for data: packets leave the window in sequence order once
 * it spans WIN_US of arrivals (a retransmission arrives late, RTX is
 * delivered unwrapped by the tap), duplicates and packets older than one
 * already sent are dropped: the depayloader wants order. */
static void push_some(GstAppSrc *src, guint length, gpointer ud)
{
    src_t *s = ud;
    if (s->done)
        return;
    for (int n = 0; n < 64;) {
        while (!s->eof && (s->win->len == 0 ||
                           (s->win->len < WIN_MAX &&
                            s->win_newest - g_array_index(s->win, win_t, 0).arrival < WIN_US)))
            if (!fill_one(s))
                s->eof = true;
        if (s->win->len == 0) {
            s->done = true;
            gst_app_src_end_of_stream(src);
            return;
        }
        win_t w = g_array_index(s->win, win_t, 0);
        g_array_remove_index(s->win, 0);
        if (s->sent_any && w.seq <= s->last_sent) {
            gst_buffer_unref(w.buf);
            continue;
        }
        s->sent_any = true;
        s->last_sent = w.seq;
        if (gst_app_src_push_buffer(src, w.buf) != GST_FLOW_OK) {
            s->done = true;
            return;
        }
        s->pushed++;
        n++;
    }
}

/* ---- pipeline ---- */

static void add_control(GstObject *pad, const char *prop, GArray *times, GArray *vals)
{
    GstControlSource *cs = gst_interpolation_control_source_new();
    g_object_set(cs, "mode", GST_INTERPOLATION_MODE_NONE, NULL);
    GstTimedValueControlSource *tv = GST_TIMED_VALUE_CONTROL_SOURCE(cs);
    for (guint i = 0; i < times->len; i++)
        gst_timed_value_control_source_set(tv, g_array_index(times, GstClockTime, i),
                                           g_array_index(vals, double, i));
    gst_object_add_control_binding(pad, gst_direct_control_binding_new_absolute(pad, prop, cs));
    gst_object_unref(cs);
}

/* Layout breakpoints: every track's start and end and every screen
 * event, sorted, within [0, dur). */
static GArray *breakpoints(const yj_rec_plan_t *p)
{
    GArray *b = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int64_t zero = 0;
    g_array_append_val(b, zero);
    for (size_t i = 0; i < p->n_tracks; i++) {
        if (!p->tracks[i].video)
            continue;
        int64_t a = p->tracks[i].first_us - p->t0_us;
        int64_t e = p->tracks[i].last_us - p->t0_us + 500000;
        g_array_append_val(b, a);
        g_array_append_val(b, e);
    }
    for (size_t i = 0; i < p->n_screens; i++)
        g_array_append_val(b, p->screens[i].at_us);
    for (size_t i = 0; i < p->n_speakers; i++)
        g_array_append_val(b, p->speakers[i].at_us);
    return b; /* unsorted: the caller sorts */
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Pads: sink_0 the canvas (bottom), frame_pad the speaker's frame (when
 * > 0), pad_of[i] track i's tile; tiles stack above the frame. */
static void set_layout_controls(GstElement *comp, const yj_rec_plan_t *p, const int *pad_of, int w,
                                int h, int frame_pad)
{
    GArray *b = breakpoints(p);
    qsort(b->data, b->len, sizeof(int64_t), cmp64);
    yj_rec_tile_t tiles[32];
    for (size_t i = 0; i <= p->n_tracks; i++) {
        bool frame = i == p->n_tracks; /* the last round: the frame */
        int padno = frame ? frame_pad : pad_of[i];
        if (padno <= 0)
            continue;
        char name[32];
        g_snprintf(name, sizeof name, "sink_%d", padno);
        GstPad *pad = gst_element_get_static_pad(comp, name);
        if (!pad)
            continue;
        GArray *times = g_array_new(FALSE, FALSE, sizeof(GstClockTime));
        GArray *xs = g_array_new(FALSE, FALSE, sizeof(double));
        GArray *ys = g_array_new(FALSE, FALSE, sizeof(double));
        GArray *ws = g_array_new(FALSE, FALSE, sizeof(double));
        GArray *hs = g_array_new(FALSE, FALSE, sizeof(double));
        GArray *as = g_array_new(FALSE, FALSE, sizeof(double));
        int64_t prev = -1;
        for (guint k = 0; k < b->len; k++) {
            int64_t t = g_array_index(b, int64_t, k);
            if (t < 0 || t >= p->dur_us || t == prev)
                continue;
            prev = t;
            double x = 0, y = 0, tw = TILE_W, th = TILE_H, a = 0;
            if (frame) {
                yj_rec_tile_t f;
                if (yj_rec_speaker_frame(p, t, w, h, &f))
                    x = f.x, y = f.y, tw = f.w, th = f.h, a = 1;
            } else {
                size_t n = yj_rec_layout(p, t, w, h, tiles, G_N_ELEMENTS(tiles));
                for (size_t j = 0; j < n; j++)
                    if (tiles[j].track == (int)i) {
                        x = tiles[j].x, y = tiles[j].y, tw = tiles[j].w, th = tiles[j].h, a = 1;
                    }
            }
            GstClockTime ct = (GstClockTime)t * 1000;
            g_array_append_val(times, ct);
            g_array_append_val(xs, x);
            g_array_append_val(ys, y);
            g_array_append_val(ws, tw);
            g_array_append_val(hs, th);
            g_array_append_val(as, a);
        }
        add_control(GST_OBJECT(pad), "xpos", times, xs);
        add_control(GST_OBJECT(pad), "ypos", times, ys);
        add_control(GST_OBJECT(pad), "width", times, ws);
        add_control(GST_OBJECT(pad), "height", times, hs);
        add_control(GST_OBJECT(pad), "alpha", times, as);
        g_object_set(pad, "zorder", (guint)(frame ? 1 : padno + 1), NULL);
        g_array_free(times, TRUE);
        g_array_free(xs, TRUE);
        g_array_free(ys, TRUE);
        g_array_free(ws, TRUE);
        g_array_free(hs, TRUE);
        g_array_free(as, TRUE);
        gst_object_unref(pad);
    }
    g_array_free(b, TRUE);
}

/* Text for textoverlay's "text" inside a parse-launch description:
 * quotes and backslashes escaped, markup off. */
static char *quote(const char *s)
{
    GString *g = g_string_new("\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            g_string_append_c(g, '\\');
        if ((unsigned char)*s >= 0x20)
            g_string_append_c(g, *s);
    }
    g_string_append_c(g, '"');
    return g_string_free(g, FALSE);
}

int yj_rec_compose(const yj_rec_plan_t *plan, const yj_compose_options_t *o, const char *out_path,
                   yj_compose_progress_fn progress, void *ud, const int *cancel,
                   int64_t *duration_ms, char *err, size_t errlen)
{
    gst_init(NULL, NULL);
    int W = o->width > 0 ? o->width : 1280, H = o->height > 0 ? o->height : 720;
    int fps = o->fps > 0 ? o->fps : 25;
    const char *font = o->font ? o->font : "Noto Sans CJK SC";
    size_t n = plan->n_tracks;
    src_t *srcs = g_new0(src_t, n);
    int *pad_of = g_new(int, n);
    /* pass 1 per track, then one offset per publisher */
    for (size_t i = 0; i < n; i++) {
        srcs[i].t = &plan->tracks[i];
        srcs[i].plan = plan;
        if (analyse(&srcs[i]) != 0)
            srcs[i].t = NULL; /* unreadable or empty: left out */
    }
    for (size_t i = 0; i < n; i++) {
        if (!srcs[i].t)
            continue;
        int64_t off = srcs[i].min_off;
        if (srcs[i].srs->len > 0)
            for (size_t j = 0; j < n; j++)
                if (j != i && srcs[j].t && srcs[j].srs->len > 0 &&
                    strcmp(srcs[j].t->peer, srcs[i].t->peer) == 0 && srcs[j].min_off < off)
                    off = srcs[j].min_off;
        srcs[i].offset = off;
    }
    /* Known delays, measured with tests/unit/test_rec_compose's flash and
     * beep: the sound comes out of opusdec 6.5 ms late (the encoder's
     * lookahead: RTP carries no pre-skip) and out of the MP4 another
     * 1024 samples late (AAC priming, no edit list from mp4mux); a picture
     * shows from the first output frame it overlaps, up to one frame
     * early. Audio goes earlier by the first two, video later by half a
     * frame, so a flash and its beep stay within ±half a frame. */
    for (size_t i = 0; i < n; i++)
        if (srcs[i].t)
            srcs[i].shift = srcs[i].t->video ? 500000 / fps : -(6500 + 1024 * 1000000LL / 48000);
    int64_t frames = plan->dur_us * fps / 1000000;
    int64_t abufs = plan->dur_us / 20000;
    /* Nobody had video: an audio lesson (AAC in MP4, no picture). */
    bool audio_only = plan->n_video == 0;
    GString *d = g_string_new(NULL);
    if (audio_only)
        g_string_append(d, "audiomixer name=mix ! audioconvert ! audio/x-raw,rate=48000,channels=2 "
                           "! avenc_aac bitrate=128000 ! queue max-size-time=0 max-size-buffers=0 "
                           "max-size-bytes=67108864 ! mp4mux name=mux ! filesink name=out ");
    else
        g_string_append_printf(
            d,
            "compositor name=comp background=black ! video/x-raw,format=I420,width=%d,"
            "height=%d,framerate=%d/1 ! "
            "openh264enc bitrate=2500000 complexity=low gop-size=%d ! h264parse ! "
            "queue max-size-time=0 max-size-buffers=0 max-size-bytes=67108864 ! "
            "mp4mux name=mux ! filesink name=out "
            "audiomixer name=mix ! audioconvert ! audio/x-raw,rate=48000,channels=2 "
            "! avenc_aac bitrate=128000 ! queue max-size-time=0 max-size-buffers=0 "
            "max-size-bytes=67108864 ! mux. ",
            W, H, fps, fps * 4);
    if (!audio_only) /* the canvas under the tiles (dark grey) */
        g_string_append_printf(
            d,
            "videotestsrc pattern=solid-color foreground-color=0xff202428 "
            "num-buffers=%" G_GINT64_FORMAT
            " ! video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! comp.sink_0 ",
            frames > 0 ? frames : 1, W, H, fps);
    g_string_append_printf(
        d,
        "audiotestsrc wave=silence samplesperbuffer=960 num-buffers=%" G_GINT64_FORMAT
        " ! audio/x-raw,rate=48000,channels=2 ! mix.sink_0 ",
        abufs > 0 ? abufs : 1);
    int vpad = 1, apad = 1;
    for (size_t i = 0; i < n; i++) {
        pad_of[i] = -1;
        if (!srcs[i].t)
            continue;
        const yj_rec_plan_track_t *t = srcs[i].t;
        if (t->video) {
            const char *dep;
            if (g_ascii_strcasecmp(t->codec, "VP8") == 0)
                dep = "rtpvp8depay wait-for-keyframe=true ! vp8dec";
            else if (g_ascii_strcasecmp(t->codec, "H264") == 0)
                dep = "rtph264depay ! h264parse ! avdec_h264";
            else {
                srcs[i].t = NULL;
                continue;
            }
            char *label = quote(t->name);
            g_string_append_printf(
                d,
                "appsrc name=src%zu format=time is-live=false max-bytes=2000000 "
                "caps=\"application/x-rtp,media=video,clock-rate=%d,encoding-name=%s,payload=%d\" "
                "! %s ! videoconvert ! videoscale add-borders=true ! "
                "video/x-raw,format=I420,width=%d,height=%d,pixel-aspect-ratio=1/1 ! "
                "textoverlay text=%s font-desc=\"%s 28\" valignment=bottom halignment=left "
                "shaded-background=true ! video/x-raw,format=I420 ! queue max-size-time=0 "
                "max-size-buffers=0 "
                "max-size-bytes=33554432 ! comp.sink_%d ",
                i, t->clock_rate, g_ascii_strcasecmp(t->codec, "VP8") == 0 ? "VP8" : "H264",
                t->payload_type, dep, TILE_W, TILE_H, label, font, vpad);
            g_free(label);
            pad_of[i] = vpad++;
        } else {
            if (g_ascii_strcasecmp(t->codec, "opus") != 0) {
                srcs[i].t = NULL;
                continue;
            }
            g_string_append_printf(
                d,
                "appsrc name=src%zu format=time is-live=false max-bytes=500000 "
                "caps=\"application/x-rtp,media=audio,clock-rate=%d,encoding-name=OPUS,"
                "payload=%d\" ! rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample "
                "! audio/x-raw,rate=48000,channels=2 ! queue max-size-time=0 max-size-buffers=0 "
                "max-size-bytes=33554432 ! mix.sink_%d ",
                i, t->clock_rate, t->payload_type, apad++);
        }
    }
    /* the active speaker's frame: a solid colour under the tiles */
    int frame_pad = 0;
    if (plan->n_speakers > 0 && vpad > 2) {
        frame_pad = vpad++;
        g_string_append_printf(d,
                               "videotestsrc pattern=solid-color foreground-color=0xffe8b020 "
                               "num-buffers=%" G_GINT64_FORMAT
                               " ! video/x-raw,format=I420,width=64,height=36,framerate=%d/1 ! "
                               "comp.sink_%d ",
                               frames > 0 ? frames : 1, fps, frame_pad);
    }
    GError *gerr = NULL;
    GstElement *pipe = gst_parse_launch(d->str, &gerr);
    g_string_free(d, TRUE);
    int rc = 0;
    if (!pipe || gerr) {
        g_snprintf(err, errlen, "composition pipeline: %s", gerr ? gerr->message : "?");
        g_clear_error(&gerr);
        if (pipe)
            gst_object_unref(pipe);
        rc = YJ_EMEDIA;
        goto out;
    }
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "out");
    g_object_set(sink, "location", out_path, NULL);
    gst_object_unref(sink);
    for (size_t i = 0; i < n; i++) {
        if (!srcs[i].t)
            continue;
        char name[32];
        g_snprintf(name, sizeof name, "src%zu", i);
        srcs[i].appsrc = gst_bin_get_by_name(GST_BIN(pipe), name);
        srcs[i].rd = yj_pcap_reader_open(srcs[i].t->path);
        srcs[i].win = g_array_new(FALSE, FALSE, sizeof(win_t));
        if (!srcs[i].appsrc || !srcs[i].rd) {
            g_snprintf(err, errlen, "cannot read %s", srcs[i].t->path);
            rc = YJ_EMEDIA;
            break;
        }
        GstAppSrcCallbacks cbs = {.need_data = push_some};
        gst_app_src_set_callbacks(GST_APP_SRC(srcs[i].appsrc), &cbs, &srcs[i], NULL);
    }
    if (rc == 0) {
        GstElement *comp = gst_bin_get_by_name(GST_BIN(pipe), "comp");
        if (comp) { /* none in an audio lesson */
            set_layout_controls(comp, plan, pad_of, W, H, frame_pad);
            gst_object_unref(comp);
        }
        if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
            g_strlcpy(err, "the composition pipeline does not start", errlen);
            rc = YJ_EMEDIA;
        }
    }
    GstBus *bus = gst_element_get_bus(pipe);
    int last_pct = -1;
    while (rc == 0) {
        GstMessage *msg =
            gst_bus_timed_pop_filtered(bus, 500 * GST_MSECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
        if (msg) {
            if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
                GError *e = NULL;
                gchar *dbg = NULL;
                gst_message_parse_error(msg, &e, &dbg);
                g_snprintf(err, errlen, "%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
                           e ? e->message : "?");
                yj_warn("recordings", "composition failed: %s (%s)", err, dbg ? dbg : "");
                g_clear_error(&e);
                g_free(dbg);
                rc = YJ_EMEDIA;
            }
            gst_message_unref(msg);
            break;
        }
        if (cancel && *cancel) {
            g_strlcpy(err, "stopped", errlen);
            rc = YJ_ESTATE;
            break;
        }
        /* Live meetings first: the streaming threads stop in PAUSED while
         * the job waits (at most 2 s at a time, then at least one poll of
         * work, so a long busy spell slows the composition down rather
         * than stopping it). */
        if (o->job && yj_job_busy(o->job)) {
            gst_element_set_state(pipe, GST_STATE_PAUSED);
            yj_job_yield(o->job, 2000);
            gst_element_set_state(pipe, GST_STATE_PLAYING);
        }
        gint64 pos = 0;
        if (progress && gst_element_query_position(pipe, GST_FORMAT_TIME, &pos) && pos > 0) {
            int pct = (int)(pos / 1000 * 100 / plan->dur_us);
            pct = pct > 99 ? 99 : pct;
            if (pct != last_pct) {
                progress(pct, ud);
                last_pct = pct;
            }
        }
    }
    gst_object_unref(bus);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(pipe);
    if (rc == 0 && duration_ms)
        *duration_ms = plan->dur_us / 1000;
out:
    for (size_t i = 0; i < n; i++) {
        if (srcs[i].appsrc)
            gst_object_unref(srcs[i].appsrc);
        yj_pcap_reader_close(srcs[i].rd);
        for (guint k = 0; srcs[i].win && k < srcs[i].win->len; k++)
            gst_buffer_unref(g_array_index(srcs[i].win, win_t, k).buf);
        if (srcs[i].win)
            g_array_free(srcs[i].win, TRUE);
        if (srcs[i].srs)
            g_array_free(srcs[i].srs, TRUE);
    }
    g_free(srcs);
    g_free(pad_of);
    return rc;
}
