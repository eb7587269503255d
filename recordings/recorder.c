/* SPDX-License-Identifier: Apache-2.0 */
/*
 * recorder.c — meetings to track files and a manifest (recorder.h).
 *
 * Threads. One control thread (a GMainContext of its own) owns every
 * structure here: meetings, their people, recordings and tracks. Public
 * calls post a copied message to it. Media callbacks (room watch, taps)
 * run on media workers: the room callbacks only post; the tap callbacks
 * only push into the track's ring (writer.h) — on_end also marks the ring
 * ended and posts. The writer thread's on_tick / on_closed post too.
 *
 * Lifetimes. A track (rtrack_t) is created with its writer ring and its
 * tap on the control thread; it is freed only when the writer reports its
 * file closed, after the tap is closed (so no tap callback can touch it).
 * A recording (rec_t) lives until its last track file is closed; then
 * `finished` is called so the owner can compose it.
 *
 * Never: no store write or file system call from a media worker or the
 * caller's thread; no blocking call on a media worker.
 */
#include "recordings/recorder.h"

#include "recordings/pcap.h"
#include "recordings/store.h"
#include "recordings/writer.h"
#include "core/log.h"
#include "core/yj.h"
#include "media/tap.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
    char *member_id, *name;
    bool audio_muted, video_muted, screen;
} person_t;

typedef struct {
    int64_t id, meeting;
    char *dir;   /* absolute */
    int pending; /* track files not yet closed */
    bool stopped;
    int next_file;
} rec_t;

typedef struct rtrack {
    yj_recorder_t *r;
    int64_t meeting, rec_id, row;
    char track_id[80], peer_id[64];
    yj_media_tap_t *tap;
    yj_rec_track_t *wt;
} rtrack_t;

typedef struct {
    yj_recorder_t *r;
    int64_t meeting;
    yj_media_room_t *room;
    int watch;
    GHashTable *people;  /* pid → person_t */
    rec_t *rec;          /* the running recording, or NULL */
    bool want;           /* record while someone is there (flag or host) */
    int64_t empty_since; /* when the last participant left (0: someone is there) */
    GHashTable *tracks;  /* track_id → rtrack_t (of rec; borrowed) */
} mrec_t;

struct yj_recorder {
    yj_store_t *st;
    yj_media_t *media;
    char *root;
    int64_t quota;
    yj_recorder_callbacks_t cb;
    void *ud;
    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
    yj_rec_writer_t *writer;
    GHashTable *meetings; /* &meeting → mrec_t [control] */
    GHashTable *recs;     /* &id → rec_t [control] */
    int64_t base_bytes;   /* other recordings' files at start [control] */
    GMutex active_mu;
    GHashTable *active; /* meeting ids being recorded [active_mu] */
};

enum {
    OP_LIVE,
    OP_SET,
    OP_ENDED,
    OP_PART,
    OP_TRACKS,
    OP_SPEAKER,
    OP_TAP_END,
    OP_CLOSED,
    OP_TICK,
    OP_SHUTDOWN,
    OP_FLUSH
};

typedef struct {
    yj_recorder_t *r;
    int op;
    int64_t meeting, rec_id;
    int what;
    char *pid, *member_id, *name, *text;
    bool a, b, c;
    void *ptr;
    GMutex *mu;
    GCond *cond;
    bool *done;
} msg_t;

static void msg_free(gpointer p)
{
    msg_t *m = p;
    g_free(m->pid);
    g_free(m->member_id);
    g_free(m->name);
    g_free(m->text);
    g_free(m);
}

static gboolean handle(gpointer p);

static void post(yj_recorder_t *r, msg_t *m)
{
    m->r = r;
    g_main_context_invoke_full(r->ctx, G_PRIORITY_DEFAULT, handle, m, msg_free);
}

static msg_t *msg(int op, int64_t meeting)
{
    msg_t *m = g_new0(msg_t, 1);
    m->op = op;
    m->meeting = meeting;
    return m;
}

static void set_active(yj_recorder_t *r, int64_t meeting, bool on)
{
    g_mutex_lock(&r->active_mu);
    if (on)
        g_hash_table_add(r->active, g_memdup2(&meeting, sizeof meeting));
    else
        g_hash_table_remove(r->active, &meeting);
    g_mutex_unlock(&r->active_mu);
}

bool yj_recorder_active(yj_recorder_t *r, int64_t meeting)
{
    if (!r)
        return false;
    g_mutex_lock(&r->active_mu);
    bool on = g_hash_table_contains(r->active, &meeting);
    g_mutex_unlock(&r->active_mu);
    return on;
}

/* ---- media callbacks (media workers): copy and post ---- */

static void on_tracks_changed(yj_media_room_t *room, void *ud)
{
    mrec_t *mr = ud;
    post(mr->r, msg(OP_TRACKS, mr->meeting));
}

static void on_active_speaker(yj_media_room_t *room, const char *peer_id, void *ud)
{
    mrec_t *mr = ud;
    msg_t *m = msg(OP_SPEAKER, mr->meeting);
    m->pid = g_strdup(peer_id);
    post(mr->r, m);
}

static void tap_rtp(const uint8_t *pkt, size_t len, int64_t at, void *ud)
{
    rtrack_t *t = ud;
    yj_rec_track_push(t->wt, pkt, len, at, false);
}

static void tap_sr(const uint8_t *pkt, size_t len, int64_t at, void *ud)
{
    rtrack_t *t = ud;
    yj_rec_track_push(t->wt, pkt, len, at, true);
}

static void tap_end(void *ud)
{
    rtrack_t *t = ud;
    /* Everything read from t first: once the ring is ended the writer may
     * close it, and the control thread frees t (after yj_media_tap_close,
     * which waits for this callback, but nothing is needed after). */
    msg_t *m = msg(OP_TAP_END, t->meeting);
    m->rec_id = t->rec_id;
    m->text = g_strdup(t->track_id);
    yj_recorder_t *r = t->r;
    yj_rec_track_end(t->wt);
    post(r, m);
}

/* ---- writer callbacks (writer thread): post ---- */

static void writer_tick(yj_rec_writer_t *w, void *ud)
{
    post(ud, msg(OP_TICK, 0));
}

static void writer_closed(yj_rec_writer_t *w, yj_rec_track_t *t, void *ud)
{
    msg_t *m = msg(OP_CLOSED, 0);
    m->ptr = t;
    post(ud, m);
}

/* ---- control thread ---- */

static mrec_t *mrec_get(yj_recorder_t *r, int64_t meeting, bool create)
{
    mrec_t *mr = g_hash_table_lookup(r->meetings, &meeting);
    if (mr || !create)
        return mr;
    mr = g_new0(mrec_t, 1);
    mr->r = r;
    mr->meeting = meeting;
    mr->people = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    mr->tracks = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(r->meetings, &mr->meeting, mr);
    return mr;
}

static void person_free(person_t *p)
{
    if (p) {
        g_free(p->member_id);
        g_free(p->name);
        g_free(p);
    }
}

static void fig_of(rtrack_t *t, yj_rec_track_fig_t *f)
{
    yj_rec_track_stats_t st;
    yj_rec_track_stats(t->wt, &st);
    *f = (yj_rec_track_fig_t){
        .first_us = st.first_us,
        .last_us = st.last_us,
        .packets = (int64_t)st.packets,
        .dropped = (int64_t)st.dropped,
        .bytes = (int64_t)st.bytes,
        .sr_count = (int64_t)st.sr_count,
        .sr_first_ntp_us = st.sr_first_ntp_us,
        .sr_last_ntp_us = st.sr_last_ntp_us,
        .sr_first_rtp = st.sr_first_rtp,
        .sr_last_rtp = st.sr_last_rtp,
        .closed = st.closed,
    };
}

static void event(yj_recorder_t *r, rec_t *rec, const char *kind, const char *pid,
                  const char *detail, mrec_t *mr)
{
    if (!rec)
        return;
    person_t *p = mr && pid ? g_hash_table_lookup(mr->people, pid) : NULL;
    int rc = yj_rec_store_event(r->st, rec->id, g_get_real_time(), kind, pid,
                                p ? p->member_id : NULL, p ? p->name : NULL, detail);
    if (rc)
        yj_warn("recordings", "recording %" G_GINT64_FORMAT ": event %s not stored: %s", rec->id,
                kind, yj_strerror(rc));
}

static void maybe_finished(yj_recorder_t *r, rec_t *rec)
{
    if (!rec->stopped || rec->pending > 0)
        return;
    int64_t id = rec->id, meeting = rec->meeting;
    g_hash_table_remove(r->recs, &rec->id);
    g_free(rec->dir);
    g_free(rec);
    if (r->cb.finished)
        r->cb.finished(meeting, id, r->ud);
}

/* Taps one published track into a new file of the running recording. */
static void track_open(yj_recorder_t *r, mrec_t *mr, const yj_media_track_info_t *ti)
{
    rec_t *rec = mr->rec;
    person_t *p = g_hash_table_lookup(mr->people, ti->peer_id);
    bool video = ti->kind == YJ_MEDIA_VIDEO;
    char file[160];
    g_snprintf(file, sizeof file, "%02d-%s-%s.pcap", ++rec->next_file, ti->peer_id,
               video ? "video" : "audio");
    char *path = g_build_filename(rec->dir, file, NULL);
    rtrack_t *t = g_new0(rtrack_t, 1);
    t->r = r;
    t->meeting = mr->meeting;
    t->rec_id = rec->id;
    g_strlcpy(t->track_id, ti->track_id, sizeof t->track_id);
    g_strlcpy(t->peer_id, ti->peer_id, sizeof t->peer_id);
    t->wt = yj_rec_track_open(r->writer, path, t);
    g_free(path);
    if (!t->wt) {
        g_free(t);
        return;
    }
    rec->pending++;
    /* A simulcast camera: the middle layer (about 640×360) fits a grid
     * tile of the 1280×720 composite; a shared screen: the best layer. */
    int layer = ti->layers >= 3 && !(p && p->screen) ? 1 : -1;
    yj_media_tap_callbacks_t cb = {.on_rtp = tap_rtp, .on_sr = tap_sr, .on_end = tap_end};
    yj_media_tap_info_t info;
    memset(&info, 0, sizeof info);
    g_hash_table_insert(mr->tracks, t->track_id, t);
    t->tap = yj_media_room_tap(mr->room, ti->track_id, layer, &cb, t, &info);
    if (!t->tap) {
        g_hash_table_remove(mr->tracks, t->track_id);
        yj_rec_track_end(t->wt); /* freed when the writer reports it closed */
        return;
    }
    yj_rec_track_row_t row = {
        .file = file,
        .peer_id = ti->peer_id,
        .track_id = ti->track_id,
        .kind = video ? "video" : "audio",
        .codec = info.codec,
        .fmtp = info.fmtp,
        .member_id = p ? p->member_id : NULL,
        .display_name = p ? p->name : NULL,
        .payload_type = info.payload_type,
        .clock_rate = info.clock_rate,
        .channels = info.channels,
        .layer = info.layer,
        .layers = info.layers,
        .audio_level_ext = info.audio_level_ext,
        .opened_us = g_get_real_time(),
    };
    int rc = yj_rec_store_track_add(r->st, rec->id, &row, &t->row);
    if (rc)
        yj_warn("recordings", "recording %" G_GINT64_FORMAT ": track %s not in the manifest: %s",
                rec->id, ti->track_id, yj_strerror(rc));
    yj_info("recordings", "meeting %" G_GINT64_FORMAT ": recording %s (%s %s, layer %d/%d) to %s",
            mr->meeting, ti->track_id, row.kind, info.codec, info.layer, info.layers, file);
}

/* Closes a track's tap (no callback runs after) and ends its ring. */
static void track_stop(mrec_t *mr, rtrack_t *t)
{
    if (mr)
        g_hash_table_remove(mr->tracks, t->track_id);
    if (t->tap) {
        yj_media_tap_close(t->tap);
        t->tap = NULL;
    }
    yj_rec_track_end(t->wt);
}

static void sync_tracks(yj_recorder_t *r, mrec_t *mr)
{
    if (!mr->rec || !mr->room)
        return;
    yj_media_track_info_t *ti = NULL;
    size_t n = 0;
    if (yj_media_room_tracks(mr->room, &ti, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (!g_hash_table_lookup(mr->tracks, ti[i].track_id))
            track_open(r, mr, &ti[i]);
    g_free(ti);
}

static bool over_quota(yj_recorder_t *r)
{
    return r->quota > 0 && r->base_bytes + (int64_t)yj_rec_writer_bytes(r->writer) >= r->quota;
}

static void rec_start(yj_recorder_t *r, mrec_t *mr, const char *by)
{
    if (mr->rec || !r->media)
        return;
    if (over_quota(r)) {
        yj_warn("recordings",
                "meeting %" G_GINT64_FORMAT ": not recorded: the recordings quota is used up",
                mr->meeting);
        if (r->cb.announce)
            r->cb.announce(mr->meeting, false, "quota", r->ud);
        return;
    }
    if (!mr->room) {
        char name[48];
        g_snprintf(name, sizeof name, "meeting-%" G_GINT64_FORMAT, mr->meeting);
        mr->room = yj_media_room_get(r->media, name);
        if (!mr->room)
            return;
        yj_media_room_callbacks_t cb = {.on_tracks_changed = on_tracks_changed,
                                        .on_active_speaker = on_active_speaker};
        mr->watch = yj_media_room_watch(mr->room, &cb, mr);
    }
    int64_t now = g_get_real_time();
    char *rel = g_strdup_printf("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, mr->meeting, now);
    char *dir = g_build_filename(r->root, rel, NULL);
    int64_t id = 0;
    int rc = g_mkdir_with_parents(dir, 0750) == 0 ? 0 : YJ_EIO;
    if (!rc)
        rc = yj_rec_store_begin(r->st, mr->meeting, rel, now, &id);
    g_free(rel);
    if (rc) {
        yj_error("recordings", "meeting %" G_GINT64_FORMAT ": cannot start recording: %s",
                 mr->meeting, rc == YJ_EIO ? g_strerror(errno) : yj_strerror(rc));
        g_free(dir);
        if (r->cb.announce)
            r->cb.announce(mr->meeting, false, "error", r->ud);
        return;
    }
    rec_t *rec = g_new0(rec_t, 1);
    rec->id = id;
    rec->meeting = mr->meeting;
    rec->dir = dir;
    g_hash_table_insert(r->recs, &rec->id, rec);
    mr->rec = rec;
    set_active(r, mr->meeting, true);
    yj_info("recordings",
            "meeting %" G_GINT64_FORMAT ": recording %" G_GINT64_FORMAT " started (%s) in %s",
            mr->meeting, id, by ? by : "schedule", dir);
    /* who is there already */
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, mr->people);
    while (g_hash_table_iter_next(&it, &k, &v))
        event(r, rec, "join", k, NULL, mr);
    sync_tracks(r, mr);
    if (r->cb.announce)
        r->cb.announce(mr->meeting, true, by ? "host" : "schedule", r->ud);
}

static void rec_stop(yj_recorder_t *r, mrec_t *mr, const char *reason)
{
    rec_t *rec = mr->rec;
    if (!rec)
        return;
    mr->rec = NULL;
    set_active(r, mr->meeting, false);
    GList *tracks = g_hash_table_get_values(mr->tracks);
    for (GList *l = tracks; l; l = l->next)
        track_stop(mr, l->data);
    g_list_free(tracks);
    /* A meeting that ends empty (the grace time ran out) ended, like its
     * attendance, when the last participant left: the recording too. */
    int64_t at = g_get_real_time();
    if (mr->empty_since && g_hash_table_size(mr->people) == 0 && mr->empty_since < at)
        at = mr->empty_since;
    int rc = yj_rec_store_stop(r->st, rec->id, at, reason);
    if (rc)
        yj_error("recordings", "recording %" G_GINT64_FORMAT ": cannot mark stopped: %s", rec->id,
                 yj_strerror(rc));
    rec->stopped = true;
    yj_info("recordings",
            "meeting %" G_GINT64_FORMAT ": recording %" G_GINT64_FORMAT " stopped (%s)",
            mr->meeting, rec->id, reason);
    if (r->cb.announce)
        r->cb.announce(mr->meeting, false, reason, r->ud);
    maybe_finished(r, rec);
}

static void mrec_drop(yj_recorder_t *r, mrec_t *mr)
{
    rec_stop(r, mr, "ended");
    if (mr->room) {
        if (mr->watch > 0)
            yj_media_room_unwatch(mr->room, mr->watch);
        yj_media_room_unref(mr->room);
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, mr->people);
    while (g_hash_table_iter_next(&it, &k, &v))
        person_free(v);
    g_hash_table_destroy(mr->people);
    g_hash_table_destroy(mr->tracks);
    g_hash_table_remove(r->meetings, &mr->meeting);
    g_free(mr);
}

static void on_participant(yj_recorder_t *r, msg_t *m)
{
    mrec_t *mr = mrec_get(r, m->meeting, true);
    person_t *p = g_hash_table_lookup(mr->people, m->pid);
    if (m->what == 2) {
        event(r, mr->rec, "leave", m->pid, NULL, mr);
        if (p) {
            g_hash_table_remove(mr->people, m->pid);
            person_free(p);
        }
        if (g_hash_table_size(mr->people) == 0)
            mr->empty_since = g_get_real_time();
        return;
    }
    mr->empty_since = 0;
    if (!p) {
        p = g_new0(person_t, 1);
        p->member_id = g_strdup(m->member_id);
        p->name = g_strdup(m->name);
        g_hash_table_insert(mr->people, g_strdup(m->pid), p);
        if (mr->want && !mr->rec)
            rec_start(r, mr, NULL); /* its join event is written there */
        else
            event(r, mr->rec, "join", m->pid, NULL, mr);
        p->audio_muted = m->a, p->video_muted = m->b, p->screen = m->c;
        if (m->a)
            event(r, mr->rec, "mute", m->pid, "audio", mr);
        if (m->b)
            event(r, mr->rec, "mute", m->pid, "video", mr);
        return;
    }
    if (p->audio_muted != m->a)
        event(r, mr->rec, m->a ? "mute" : "unmute", m->pid, "audio", mr);
    if (p->video_muted != m->b)
        event(r, mr->rec, m->b ? "mute" : "unmute", m->pid, "video", mr);
    if (p->screen != m->c)
        event(r, mr->rec, m->c ? "screen" : "unscreen", m->pid, NULL, mr);
    p->audio_muted = m->a, p->video_muted = m->b, p->screen = m->c;
}

static void on_tick(yj_recorder_t *r)
{
    GHashTableIter it;
    gpointer k, v;
    bool quota = over_quota(r);
    g_hash_table_iter_init(&it, r->meetings);
    GPtrArray *stop = g_ptr_array_new();
    while (g_hash_table_iter_next(&it, &k, &v)) {
        mrec_t *mr = v;
        if (!mr->rec)
            continue;
        int64_t bytes = 0;
        GHashTableIter ti;
        gpointer tk, tv;
        g_hash_table_iter_init(&ti, mr->tracks);
        while (g_hash_table_iter_next(&ti, &tk, &tv)) {
            rtrack_t *t = tv;
            yj_rec_track_fig_t f;
            fig_of(t, &f);
            bytes += f.bytes;
            if (t->row)
                yj_rec_store_track_update(r->st, t->row, &f);
        }
        yj_rec_store_bytes(r->st, mr->rec->id, bytes);
        if (quota)
            g_ptr_array_add(stop, mr);
    }
    for (guint i = 0; i < stop->len; i++) {
        mrec_t *mr = g_ptr_array_index(stop, i);
        yj_warn("recordings",
                "meeting %" G_GINT64_FORMAT ": recording stopped: the quota of %" G_GINT64_FORMAT
                " MB for recordings is reached",
                mr->meeting, (r->quota + (1 << 20) - 1) >> 20);
        mr->want = false; /* not again at the next join */
        rec_stop(r, mr, "quota");
    }
    g_ptr_array_free(stop, TRUE);
}

static void on_closed(yj_recorder_t *r, yj_rec_track_t *wt)
{
    rtrack_t *t = yj_rec_track_ud(wt);
    mrec_t *mr = mrec_get(r, t->meeting, false);
    if (mr && g_hash_table_lookup(mr->tracks, t->track_id) == t)
        g_hash_table_remove(mr->tracks, t->track_id);
    if (t->tap) {
        yj_media_tap_close(t->tap);
        t->tap = NULL;
    }
    yj_rec_track_fig_t f;
    fig_of(t, &f);
    if (t->row)
        yj_rec_store_track_update(r->st, t->row, &f);
    if (f.dropped)
        yj_warn("recordings",
                "recording %" G_GINT64_FORMAT ": %s: %" G_GINT64_FORMAT " packet(s) dropped",
                t->rec_id, t->track_id, f.dropped);
    rec_t *rec = g_hash_table_lookup(r->recs, &t->rec_id);
    yj_rec_track_release(wt);
    g_free(t);
    if (rec) {
        rec->pending--;
        maybe_finished(r, rec);
    }
}

static gboolean handle(gpointer p)
{
    msg_t *m = p;
    yj_recorder_t *r = m->r;
    mrec_t *mr;
    switch (m->op) {
    case OP_LIVE: {
        /* Recording starts with the first participant: a meeting recovered
         * after a restart, still empty, records nothing. */
        mr = mrec_get(r, m->meeting, true);
        bool want = false;
        mr->want = yj_rec_store_wanted(r->st, m->meeting, &want) == 0 && want;
        if (mr->want && g_hash_table_size(mr->people) > 0)
            rec_start(r, mr, NULL);
        break;
    }
    case OP_SET:
        mr = mrec_get(r, m->meeting, true);
        yj_rec_store_set_wanted(r->st, m->meeting, m->a);
        mr->want = m->a;
        if (m->a)
            rec_start(r, mr, m->name ? m->name : "host");
        else
            rec_stop(r, mr, "host");
        break;
    case OP_ENDED:
        if ((mr = mrec_get(r, m->meeting, false)))
            mrec_drop(r, mr);
        break;
    case OP_PART:
        on_participant(r, m);
        break;
    case OP_TRACKS:
        if ((mr = mrec_get(r, m->meeting, false)))
            sync_tracks(r, mr);
        break;
    case OP_SPEAKER:
        if ((mr = mrec_get(r, m->meeting, false)))
            event(r, mr->rec, "speaker", m->pid, NULL, mr);
        break;
    case OP_TAP_END:
        if ((mr = mrec_get(r, m->meeting, false)) && mr->rec && mr->rec->id == m->rec_id) {
            rtrack_t *t = g_hash_table_lookup(mr->tracks, m->text);
            if (t)
                track_stop(mr, t);
        }
        break;
    case OP_CLOSED:
        on_closed(r, m->ptr);
        break;
    case OP_TICK:
        on_tick(r);
        break;
    case OP_SHUTDOWN: {
        GList *all = g_hash_table_get_values(r->meetings);
        for (GList *l = all; l; l = l->next) {
            mr = l->data;
            rec_stop(r, mr, "shutdown");
            mrec_drop(r, mr);
        }
        g_list_free(all);
        break;
    }
    case OP_FLUSH:
        break;
    }
    if (m->mu) {
        g_mutex_lock(m->mu);
        *m->done = true;
        g_cond_signal(m->cond);
        g_mutex_unlock(m->mu);
    }
    return G_SOURCE_REMOVE;
}

static void post_wait(yj_recorder_t *r, msg_t *m)
{
    GMutex mu;
    GCond cond;
    bool done = false;
    g_mutex_init(&mu);
    g_cond_init(&cond);
    m->mu = &mu;
    m->cond = &cond;
    m->done = &done;
    post(r, m);
    g_mutex_lock(&mu);
    while (!done)
        g_cond_wait(&cond, &mu);
    g_mutex_unlock(&mu);
    g_mutex_clear(&mu);
    g_cond_clear(&cond);
}

void yj_recorder_flush(yj_recorder_t *r)
{
    if (r)
        post_wait(r, msg(OP_FLUSH, 0));
}

static gpointer run(gpointer p)
{
    yj_recorder_t *r = p;
    g_main_context_push_thread_default(r->ctx);
    g_main_loop_run(r->loop);
    g_main_context_pop_thread_default(r->ctx);
    return NULL;
}

yj_recorder_t *yj_recorder_new(yj_store_t *st, yj_media_t *media, const yj_recorder_options_t *o,
                               const yj_recorder_callbacks_t *cb, void *ud)
{
    if (!st || !o || !o->root)
        return NULL;
    if (g_mkdir_with_parents(o->root, 0750) != 0) {
        yj_error("recordings", "cannot create %s: %s", o->root, g_strerror(errno));
        return NULL;
    }
    yj_recorder_t *r = g_new0(yj_recorder_t, 1);
    r->st = st;
    r->media = media;
    r->root = g_strdup(o->root);
    r->quota = o->quota_bytes;
    if (cb)
        r->cb = *cb;
    r->ud = ud;
    r->meetings = g_hash_table_new(g_int64_hash, g_int64_equal);
    r->recs = g_hash_table_new(g_int64_hash, g_int64_equal);
    g_mutex_init(&r->active_mu);
    r->active = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    r->base_bytes = yj_rec_store_disk_bytes(st);
    r->ctx = g_main_context_new();
    r->loop = g_main_loop_new(r->ctx, FALSE);
    yj_rec_writer_callbacks_t wcb = {.on_tick = writer_tick, .on_closed = writer_closed};
    r->writer = yj_rec_writer_new(o->queue_slots, &wcb, r);
    r->thread = g_thread_new("yj-recorder", run, r);
    return r;
}

static gboolean quit_loop(gpointer p)
{
    g_main_loop_quit(p);
    return G_SOURCE_REMOVE;
}

void yj_recorder_free(yj_recorder_t *r)
{
    if (!r)
        return;
    post_wait(r, msg(OP_SHUTDOWN, 0));
    /* closes what is still open; on_closed posts reach the control thread */
    yj_rec_writer_free(r->writer);
    post_wait(r, msg(OP_FLUSH, 0));
    r->writer = NULL;
    g_main_context_invoke(r->ctx, quit_loop, r->loop);
    g_thread_join(r->thread);
    g_main_loop_unref(r->loop);
    g_main_context_unref(r->ctx);
    g_hash_table_destroy(r->meetings);
    g_hash_table_destroy(r->recs);
    g_hash_table_destroy(r->active);
    g_mutex_clear(&r->active_mu);
    g_free(r->root);
    g_free(r);
}

void yj_recorder_meeting_live(yj_recorder_t *r, int64_t meeting)
{
    if (r)
        post(r, msg(OP_LIVE, meeting));
}

void yj_recorder_set(yj_recorder_t *r, int64_t meeting, bool on, const char *by)
{
    if (!r)
        return;
    msg_t *m = msg(OP_SET, meeting);
    m->a = on;
    m->name = g_strdup(by);
    post(r, m);
}

void yj_recorder_meeting_ended(yj_recorder_t *r, int64_t meeting)
{
    if (r)
        post(r, msg(OP_ENDED, meeting));
}

void yj_recorder_participant(yj_recorder_t *r, int64_t meeting, int what, const char *pid,
                             const char *member_id, const char *name, bool audio_muted,
                             bool video_muted, bool screen)
{
    if (!r || !pid)
        return;
    msg_t *m = msg(OP_PART, meeting);
    m->what = what;
    m->pid = g_strdup(pid);
    m->member_id = member_id && *member_id ? g_strdup(member_id) : NULL;
    m->name = g_strdup(name);
    m->a = audio_muted, m->b = video_muted, m->c = screen;
    post(r, m);
}

/* ---- crash recovery ---- */

typedef struct {
    yj_rec_track_fig_t f;
    bool sr_seen;
} scan_t;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int scan_visit(const yj_pcap_record_t *rec, void *ud)
{
    scan_t *s = ud;
    if (rec->stream == YJ_PCAP_RTCP) {
        if (rec->len >= 20 && rec->payload[1] == 200) {
            int64_t ntp = ((int64_t)be32(rec->payload + 8) - 2208988800LL) * 1000000 +
                          (int64_t)(((uint64_t)be32(rec->payload + 12) * 1000000) >> 32);
            uint32_t ts = be32(rec->payload + 16);
            if (!s->f.sr_count) {
                s->f.sr_first_ntp_us = ntp;
                s->f.sr_first_rtp = ts;
            }
            s->f.sr_last_ntp_us = ntp;
            s->f.sr_last_rtp = ts;
            s->f.sr_count++;
        }
        return 0;
    }
    if (!s->f.first_us)
        s->f.first_us = rec->ts_us;
    s->f.last_us = rec->ts_us;
    s->f.packets++;
    return 0;
}

int yj_recorder_recover(yj_recorder_t *r)
{
    GArray *ids = yj_rec_store_with_status(r->st, "recording");
    if (!ids)
        return YJ_EDB;
    int n = 0;
    for (guint i = 0; i < ids->len; i++) {
        int64_t id = g_array_index(ids, gint64, i);
        json_t *man = yj_rec_store_manifest(r->st, id);
        if (!man)
            continue;
        const char *dir = json_string_value(json_object_get(man, "dir"));
        int64_t last = json_integer_value(json_object_get(man, "started_us"));
        int64_t total = 0;
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(man, "tracks"), k, t)
        {
            const char *file = json_string_value(json_object_get(t, "file"));
            char *path = g_build_filename(r->root, dir ? dir : "", file ? file : "", NULL);
            uint64_t kept = 0, cut = 0;
            int rc = yj_pcap_recover(path, &kept, &cut);
            scan_t s = {0};
            uint64_t whole = 0;
            if (rc == 0)
                rc = yj_pcap_scan_file(path, scan_visit, &s, &whole);
            if (rc < 0) {
                yj_warn("recordings", "recording %" G_GINT64_FORMAT ": %s unreadable: %s", id, path,
                        yj_strerror(rc));
            } else {
                s.f.bytes = (int64_t)whole;
                s.f.dropped = json_integer_value(json_object_get(t, "dropped"));
                s.f.closed = true;
                yj_rec_store_track_update(r->st, json_integer_value(json_object_get(t, "id")),
                                          &s.f);
                total += s.f.bytes;
                if (s.f.last_us > last)
                    last = s.f.last_us;
                yj_info("recordings",
                        "recording %" G_GINT64_FORMAT ": %s recovered, %" G_GUINT64_FORMAT
                        " records kept, %" G_GUINT64_FORMAT " torn bytes cut",
                        id, file, kept, cut);
            }
            g_free(path);
        }
        yj_rec_store_bytes(r->st, id, total);
        yj_rec_store_stop(r->st, id, last, "crash");
        json_decref(man);
        n++;
    }
    g_array_unref(ids);
    r->base_bytes = yj_rec_store_disk_bytes(r->st);
    return n;
}
