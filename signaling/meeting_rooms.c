/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meeting_rooms.c — live meetings on the WebSocket thread; see meeting_rooms.h.
 *
 * A participant is one WebSocket connection that has joined a meeting (a
 * member with two devices is two participants; their attendance intervals
 * are merged when the meeting ends). Its state lives in the connection's
 * data (part_t), freed with the connection. Its media peer, when the media
 * plane is available, is created at join and closed at leave; peer
 * callbacks arrive on a media worker and are posted here with a reference
 * to the connection and the peer's generation, so a late event for a peer
 * already closed is dropped.
 *
 * Never here: SQL (core/store_meetings.c), JSON parsing of client input
 * (protocol.c), socket I/O (ws.c).
 */
#include "meeting_rooms.h"
#include "protocol.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/store_auth.h"
#include "signaling/store.h"
#include "core/yj.h"

#include <string.h>

/* Close codes of our own (4000–4999 are for applications). */
enum {
    CLOSE_ENDED = 4000,    /* the meeting ended */
    CLOSE_REMOVED = 4001,  /* the host removed this participant */
    CLOSE_REPLACED = 4002, /* the same person rejoined on a new connection */
};

#define RATE_PER_SEC 20.0
#define RATE_BURST 200.0
#define MAX_JOIN_ATTEMPTS 10

typedef struct room room_t;

typedef struct {
    yj_meeting_rooms_t *rooms;
    yj_ws_conn_t *conn;    /* borrowed: the connection owns this struct */
    yj_principal_t cookie; /* from the handshake's session cookie, if any */
    yj_principal_t who;    /* after join */
    char pid[24];
    char device[128];
    room_t *room; /* NULL until joined / after leaving */
    int64_t interval;
    bool host, audio_muted, video_muted, screen, hand, audio_only;
    bool needs_offer;
    bool att_media;  /* attendance follows the media peer (room.h) */
    int64_t lost_at; /* media disconnected since (0: not lost) */
    yj_media_peer_t *peer;
    unsigned peer_gen;
    int join_attempts;
    double tokens;
    gint64 tokens_at;
} part_t;

struct room {
    yj_meeting_rooms_t *rooms;
    int64_t meeting;
    yj_meeting_info_t info;
    GHashTable *parts; /* pid → part_t* (borrowed; a joined part holds a conn ref) */
    GPtrArray *order;  /* part_t* in join order */
    char active[64];
    GSource *grace;
    yj_media_room_t *mroom;
    int watch;
};

struct yj_meeting_rooms {
    yj_app_t *app;
    yj_meeting_rooms_options_t opt;
    char *ice_servers;
    yj_ws_server_t *ws;
    yj_media_t *media;
    GHashTable *rooms; /* &meeting → room_t* (ws thread) */
    GMutex counts_lock;
    GHashTable *counts; /* meeting (gint64*) → participants, for the API */
    GHashTable *hosts;  /* meeting (gint64*) → pid of the first host present (counts_lock) */
    GSource *heartbeat;
    yj_meeting_rooms_hooks_t hooks; /* recordings (daemon-wired); zero: none */
    void *hooks_ud;
};

static yj_counter_t *m_joins, *m_leaves, *m_errors, *m_ended, *m_refused;

/* ------------------------------------------------------------------ */
/* sending */

static void send_json(part_t *p, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (s) {
        yj_ws_conn_send_text(p->conn, s, strlen(s));
        free(s);
    }
}

static void send_error(part_t *p, const char *id, const char *code, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void send_error(part_t *p, const char *id, const char *code, const char *field,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *text = yj_protocol_msg_error_text(code, field, id, "%s", msg);
    g_free(msg);
    yj_ws_conn_send_text(p->conn, text, strlen(text));
    g_free(text);
    yj_counter_add(m_errors, 1);
}

static json_t *part_json(const part_t *p)
{
    return json_pack("{s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:b}", "pid", p->pid, "name", p->who.name,
                     "kind", p->who.kind == YJ_PRINCIPAL_ADMIN ? "admin" : "member", "host",
                     p->host, "audio_muted", p->audio_muted, "video_muted", p->video_muted,
                     "screen", p->screen, "hand", p->hand);
}

/* Sends j to everyone in the room but `except` (may be NULL). Takes j. */
static void broadcast(room_t *r, part_t *except, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return;
    size_t n = strlen(s);
    for (guint i = 0; i < r->order->len; i++) {
        part_t *p = g_ptr_array_index(r->order, i);
        if (p != except)
            yj_ws_conn_send_text(p->conn, s, n);
    }
    free(s);
}

/* Tells the hooks' owner (recordings) of a join (0), update (1), leave (2). */
static void hook_participant(room_t *r, part_t *p, int what)
{
    yj_meeting_rooms_t *rs = r->rooms;
    if (rs->hooks.participant)
        rs->hooks.participant(r->meeting, what, p->pid,
                              p->who.kind == YJ_PRINCIPAL_MEMBER ? p->who.member_id : NULL,
                              p->who.name, p->audio_muted, p->video_muted, p->screen, rs->hooks_ud);
}

static void broadcast_update(room_t *r, part_t *p)
{
    hook_participant(r, p, 1);
    broadcast(r, NULL,
              json_pack("{s:s,s:o}", "type", "participant_updated", "participant", part_json(p)));
}

/* ------------------------------------------------------------------ */
/* rooms */

void yj_meeting_rooms_media_name(int64_t meeting, char *buf, size_t n)
{
    g_snprintf(buf, n, "meeting-%" G_GINT64_FORMAT, meeting);
}

int64_t yj_meeting_rooms_meeting_of(const char *name)
{
    if (!name || !g_str_has_prefix(name, "meeting-"))
        return 0;
    char *end = NULL;
    gint64 v = g_ascii_strtoll(name + 8, &end, 10);
    return end && !*end && v > 0 ? v : 0;
}

static void set_count(yj_meeting_rooms_t *rs, int64_t meeting, int n)
{
    g_mutex_lock(&rs->counts_lock);
    if (n <= 0)
        g_hash_table_remove(rs->hosts, &meeting);
    if (n > 0) {
        gint64 *k = g_new(gint64, 1);
        *k = meeting;
        g_hash_table_replace(rs->counts, k, GINT_TO_POINTER(n));
    } else {
        g_hash_table_remove(rs->counts, &meeting);
    }
    g_mutex_unlock(&rs->counts_lock);
}

/* Remembers the first host (in joining order) still in r, for
 * yj_meeting_rooms_host_peer. [ws thread] */
static void set_host(yj_meeting_rooms_t *rs, room_t *r)
{
    const char *pid = NULL;
    for (guint i = 0; r->order && i < r->order->len && !pid; i++) {
        part_t *p = g_ptr_array_index(r->order, i);
        if (p->host)
            pid = p->pid;
    }
    g_mutex_lock(&rs->counts_lock);
    if (pid) {
        gint64 *k = g_new(gint64, 1);
        *k = r->meeting;
        g_hash_table_replace(rs->hosts, k, g_strdup(pid));
    } else {
        g_hash_table_remove(rs->hosts, &r->meeting);
    }
    g_mutex_unlock(&rs->counts_lock);
}

bool yj_meeting_rooms_host_peer(yj_meeting_rooms_t *rs, int64_t meeting, char *buf, size_t n)
{
    g_mutex_lock(&rs->counts_lock);
    const char *pid = g_hash_table_lookup(rs->hosts, &meeting);
    if (pid)
        g_strlcpy(buf, pid, n);
    g_mutex_unlock(&rs->counts_lock);
    if (!pid && n)
        buf[0] = 0;
    return pid != NULL;
}

int yj_meeting_rooms_participants(yj_meeting_rooms_t *rs, int64_t meeting)
{
    g_mutex_lock(&rs->counts_lock);
    int n = GPOINTER_TO_INT(g_hash_table_lookup(rs->counts, &meeting));
    g_mutex_unlock(&rs->counts_lock);
    return n;
}

typedef struct {
    yj_meeting_rooms_t *rs;
    int64_t meeting;
    char pid[64];
    int what; /* 0 active speaker */
} room_post_t;

static gboolean on_active_speaker_main(gpointer ud)
{
    room_post_t *x = ud;
    room_t *r = g_hash_table_lookup(x->rs->rooms, &x->meeting);
    if (r && strcmp(r->active, x->pid) != 0) {
        g_strlcpy(r->active, x->pid, sizeof r->active);
        broadcast(r, NULL,
                  json_pack("{s:s,s:o}", "type", "active_speaker", "pid",
                            x->pid[0] ? json_string(x->pid) : json_null()));
    }
    return G_SOURCE_REMOVE;
}

/* [media worker] */
static void on_active_speaker(yj_media_room_t *mroom, const char *peer_id, void *ud)
{
    room_t *r = ud;
    room_post_t *x = g_new0(room_post_t, 1);
    x->rs = r->rooms;
    x->meeting = r->meeting;
    g_strlcpy(x->pid, peer_id ? peer_id : "", sizeof x->pid);
    (void)mroom;
    g_main_context_invoke_full(yj_ws_server_context(r->rooms->ws), G_PRIORITY_DEFAULT,
                               on_active_speaker_main, x, g_free);
}

static void grace_cancel(room_t *r)
{
    if (r->grace) {
        g_source_destroy(r->grace);
        g_source_unref(r->grace);
        r->grace = NULL;
    }
}

static void room_free(room_t *r)
{
    grace_cancel(r);
    if (r->mroom) {
        if (r->watch > 0)
            yj_media_room_unwatch(r->mroom, r->watch);
        yj_media_room_unref(r->mroom);
    }
    g_hash_table_destroy(r->parts);
    g_ptr_array_free(r->order, TRUE);
    g_free(r);
}

static room_t *room_get(yj_meeting_rooms_t *rs, const yj_meeting_info_t *info)
{
    room_t *r = g_hash_table_lookup(rs->rooms, &info->id);
    if (r) {
        r->info = *info;
        return r;
    }
    r = g_new0(room_t, 1);
    r->rooms = rs;
    r->meeting = info->id;
    r->info = *info;
    r->parts = g_hash_table_new(g_str_hash, g_str_equal);
    r->order = g_ptr_array_new();
    if (rs->media) {
        char name[48];
        yj_meeting_rooms_media_name(info->id, name, sizeof name);
        r->mroom = yj_media_room_get(rs->media, name);
        if (r->mroom) {
            yj_media_room_callbacks_t cb = {.on_active_speaker = on_active_speaker};
            r->watch = yj_media_room_watch(r->mroom, &cb, r);
        }
    }
    g_hash_table_insert(rs->rooms, &r->meeting, r);
    if (rs->hooks.live)
        rs->hooks.live(r->meeting, rs->hooks_ud);
    return r;
}

static void room_drop(room_t *r)
{
    set_count(r->rooms, r->meeting, 0);
    g_hash_table_remove(r->rooms->rooms, &r->meeting); /* frees */
}

/* ------------------------------------------------------------------ */
/* ending */

/* Ends the meeting: everyone is told and disconnected, the store closes
 * the intervals at `at` and credits. Frees the room (if any). */
static int end_meeting(yj_meeting_rooms_t *rs, int64_t meeting, int64_t at, const char *reason,
                       int *credited)
{
    room_t *r = g_hash_table_lookup(rs->rooms, &meeting);
    if (r) {
        json_t *j = json_pack("{s:s,s:s}", "type", "ended", "reason", reason);
        broadcast(r, NULL, j);
        for (guint i = 0; i < r->order->len; i++) {
            part_t *p = g_ptr_array_index(r->order, i);
            p->room = NULL;
            p->interval = 0; /* closed by the store at `at` */
            if (p->peer) {
                yj_media_peer_close(p->peer);
                p->peer = NULL;
                p->peer_gen++;
            }
            yj_ws_conn_close(p->conn, CLOSE_ENDED, "meeting ended");
            yj_ws_conn_unref(p->conn);
        }
        g_ptr_array_set_size(r->order, 0);
        g_hash_table_remove_all(r->parts);
        room_drop(r);
    }
    int n = 0;
    int rc = yj_store_meeting_end(rs->app->store, meeting, at, reason, &n);
    if (rc == 0) {
        yj_counter_add(m_ended, 1);
        yj_info("meetings", "meeting %" G_GINT64_FORMAT " ended (%s): %d member(s) credited",
                meeting, reason, n);
        if (rs->opt.on_ended)
            rs->opt.on_ended(meeting, rs->opt.on_ended_ud);
    } else if (rc != YJ_ESTATE) {
        yj_error("meetings", "meeting %" G_GINT64_FORMAT ": cannot end: %s", meeting,
                 yj_strerror(rc));
    }
    if (rc == 0 && rs->hooks.ended)
        rs->hooks.ended(meeting, rs->hooks_ud);
    if (credited)
        *credited = n;
    return rc;
}

typedef struct {
    yj_meeting_rooms_t *rs;
    int64_t meeting;
} grace_t;

static gboolean grace_fired(gpointer ud)
{
    grace_t *g = ud;
    room_t *r = g_hash_table_lookup(g->rs->rooms, &g->meeting);
    if (!r || r->order->len > 0)
        return G_SOURCE_REMOVE;
    g_source_unref(r->grace);
    r->grace = NULL;
    /* The meeting ended when the last participant left (or, after a crash,
     * at the last moment it was known alive), not when the grace ran out. */
    yj_meeting_info_t info;
    int64_t at = yj_now();
    if (yj_store_meeting_info(g->rs->app->store, g->meeting, &info) == 0 && info.alive_at)
        at = info.alive_at;
    end_meeting(g->rs, g->meeting, at, "empty", NULL);
    return G_SOURCE_REMOVE;
}

static void grace_start(room_t *r)
{
    grace_cancel(r);
    grace_t *g = g_new0(grace_t, 1);
    g->rs = r->rooms;
    g->meeting = r->meeting;
    r->grace = r->rooms->opt.grace_seconds > 0
                   ? g_timeout_source_new_seconds((guint)r->rooms->opt.grace_seconds)
                   : g_timeout_source_new(0);
    g_source_set_callback(r->grace, grace_fired, g, g_free);
    g_source_attach(r->grace, yj_ws_server_context(r->rooms->ws));
}

/* ------------------------------------------------------------------ */
/* leaving */

/* Takes p out of its room: media closed, interval closed, others told.
 * Starts the grace timer when the room becomes empty. */
static void leave(part_t *p, const char *reason)
{
    room_t *r = p->room;
    if (!r)
        return;
    yj_meeting_rooms_t *rs = p->rooms;
    if (p->peer) {
        yj_media_peer_close(p->peer);
        p->peer = NULL;
        p->peer_gen++;
    }
    if (p->interval) {
        int rc = yj_store_attendance_leave(rs->app->store, p->interval,
                                           p->lost_at ? p->lost_at : yj_now());
        if (rc)
            yj_error("meetings", "meeting %" G_GINT64_FORMAT ": cannot record %s leaving: %s",
                     r->meeting, p->pid, yj_strerror(rc));
        p->interval = 0;
    }
    p->lost_at = 0;
    g_hash_table_remove(r->parts, p->pid);
    g_ptr_array_remove(r->order, p);
    p->room = NULL;
    hook_participant(r, p, 2);
    yj_counter_add(m_leaves, 1);
    yj_info("meetings", "meeting %" G_GINT64_FORMAT ": %s (%s) left: %s", r->meeting, p->pid,
            p->who.username, reason);
    broadcast(
        r, NULL,
        json_pack("{s:s,s:s,s:s}", "type", "participant_left", "pid", p->pid, "reason", reason));
    set_count(rs, r->meeting, (int)r->order->len);
    set_host(rs, r);
    if (r->order->len == 0)
        grace_start(r);
    yj_ws_conn_unref(p->conn); /* the room's reference */
}

/* ------------------------------------------------------------------ */
/* media callbacks: copied and posted to the ws thread */

typedef struct {
    yj_ws_conn_t *conn;
    unsigned gen;
    int what; /* 0 candidate, 1 state, 2 negotiation */
    char *mid, *candidate;
    int state;
} peer_post_t;

static void peer_post_free(gpointer ud)
{
    peer_post_t *x = ud;
    yj_ws_conn_unref(x->conn);
    g_free(x->mid);
    g_free(x->candidate);
    g_free(x);
}

static void make_offer(part_t *p)
{
    char *offer = NULL, *err = NULL;
    int rc = yj_media_peer_offer(p->peer, 0, &offer, &err);
    if (rc == YJ_ESTATE) {
        p->needs_offer = true; /* retried after the client's first offer */
    } else if (rc) {
        yj_warn("meetings", "%s: cannot make an offer: %s", p->pid, err ? err : yj_strerror(rc));
    } else {
        p->needs_offer = false;
        send_json(p, json_pack("{s:s,s:s}", "type", "offer", "sdp", offer));
    }
    g_free(offer);
    g_free(err);
}

/* Attendance from media (room.h): an interval opens when the member's
 * peer connects, and closes at the moment media was lost if it does not
 * come back within YJ_MEETING_ROOMS_LOST_SECONDS (an ICE restart keeps it open). */
typedef struct {
    yj_ws_conn_t *conn; /* reference, dropped with this */
    int64_t lost_at;
} lost_check_t;

static void lost_check_free(gpointer d)
{
    lost_check_t *c = d;
    yj_ws_conn_unref(c->conn);
    g_free(c);
}

static void close_interval(part_t *p, int64_t at)
{
    if (!p->interval)
        return;
    int rc = yj_store_attendance_leave(p->rooms->app->store, p->interval, at);
    if (rc)
        yj_error("meetings", "%s: cannot close the attendance interval: %s", p->pid,
                 yj_strerror(rc));
    p->interval = 0;
}

static gboolean lost_fired(gpointer d)
{
    lost_check_t *c = d;
    part_t *p = yj_ws_conn_data(c->conn);
    if (p && p->room && p->lost_at && p->lost_at == c->lost_at) {
        yj_info("meetings", "%s: media lost for %d s: attendance paused", p->pid,
                YJ_MEETING_ROOMS_LOST_SECONDS);
        close_interval(p, p->lost_at);
    }
    return G_SOURCE_REMOVE;
}

static void media_attendance(part_t *p, yj_media_peer_state_t s)
{
    if (!p->att_media || !p->room || p->who.kind != YJ_PRINCIPAL_MEMBER)
        return;
    int64_t now = yj_now();
    if (s == YJ_PEER_CONNECTED) {
        p->lost_at = 0;
        if (!p->interval) {
            int rc = yj_store_attendance_join(p->rooms->app->store, p->room->meeting,
                                              p->who.member_id, p->device, now, &p->interval);
            if (rc)
                yj_error("meetings", "%s: cannot record attendance: %s", p->pid, yj_strerror(rc));
        }
    } else if (s == YJ_PEER_DISCONNECTED) {
        if (p->interval && !p->lost_at) {
            p->lost_at = now;
            lost_check_t *c = g_new0(lost_check_t, 1);
            c->conn = yj_ws_conn_ref(p->conn);
            c->lost_at = now;
            GSource *t = g_timeout_source_new_seconds(YJ_MEETING_ROOMS_LOST_SECONDS);
            g_source_set_callback(t, lost_fired, c, lost_check_free);
            g_source_attach(t, yj_ws_server_context(p->rooms->ws));
            g_source_unref(t);
        }
    } else if (s == YJ_PEER_FAILED || s == YJ_PEER_CLOSED) {
        close_interval(p, p->lost_at ? p->lost_at : now);
        p->lost_at = 0;
    }
}

static gboolean peer_event_main(gpointer ud)
{
    peer_post_t *x = ud;
    part_t *p = yj_ws_conn_data(x->conn);
    if (!p || !p->peer || p->peer_gen != x->gen || !p->room)
        return G_SOURCE_REMOVE;
    if (x->what == 0) {
        send_json(p, json_pack("{s:s,s:o,s:o}", "type", "candidate", "candidate",
                               x->candidate ? json_string(x->candidate) : json_null(), "mid",
                               x->mid ? json_string(x->mid) : json_null()));
    } else if (x->what == 1) {
        media_attendance(p, (yj_media_peer_state_t)x->state);
        send_json(p, json_pack("{s:s,s:s}", "type", "media_state", "state",
                               yj_media_peer_state_name((yj_media_peer_state_t)x->state)));
    } else {
        make_offer(p);
    }
    return G_SOURCE_REMOVE;
}

static void post_peer(part_t *p, peer_post_t *x)
{
    x->conn = yj_ws_conn_ref(p->conn);
    x->gen = p->peer_gen;
    g_main_context_invoke_full(yj_ws_server_context(p->rooms->ws), G_PRIORITY_DEFAULT,
                               peer_event_main, x, peer_post_free);
}

/* [media worker] */
static void on_candidate(yj_media_peer_t *peer, const char *mid, const char *cand, void *ud)
{
    (void)peer;
    peer_post_t *x = g_new0(peer_post_t, 1);
    x->what = 0;
    x->mid = g_strdup(mid);
    x->candidate = g_strdup(cand);
    post_peer(ud, x);
}

static void on_state(yj_media_peer_t *peer, yj_media_peer_state_t st, void *ud)
{
    (void)peer;
    peer_post_t *x = g_new0(peer_post_t, 1);
    x->what = 1;
    x->state = (int)st;
    post_peer(ud, x);
}

static void on_negotiation_needed(yj_media_peer_t *peer, void *ud)
{
    (void)peer;
    peer_post_t *x = g_new0(peer_post_t, 1);
    x->what = 2;
    post_peer(ud, x);
}

/* ------------------------------------------------------------------ */
/* messages */

static bool resolve_principal(part_t *p, const yj_protocol_msg_t *m, yj_principal_t *out)
{
    if (m->token) {
        char hash[65];
        yj_sha256_hex(m->token, strlen(m->token), hash);
        return yj_store_session_get(p->rooms->app->store, hash, out) == 0;
    }
    if (p->cookie.kind == YJ_PRINCIPAL_NONE)
        return false;
    *out = p->cookie;
    return true;
}

static bool same_person(const yj_principal_t *a, const yj_principal_t *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == YJ_PRINCIPAL_ADMIN)
        return a->admin_id == b->admin_id;
    return strcmp(a->member_id, b->member_id) == 0;
}

static json_t *participants_json(room_t *r)
{
    json_t *a = json_array();
    for (guint i = 0; i < r->order->len; i++)
        json_array_append_new(a, part_json(g_ptr_array_index(r->order, i)));
    return a;
}

static json_t *ice_servers_json(yj_meeting_rooms_t *rs)
{
    json_t *a = json_array();
    if (rs->ice_servers && *rs->ice_servers) {
        gchar **urls = g_strsplit(rs->ice_servers, ",", 16);
        for (int i = 0; urls[i]; i++) {
            g_strstrip(urls[i]);
            if (*urls[i])
                json_array_append_new(a, json_pack("{s:s}", "urls", urls[i]));
        }
        g_strfreev(urls);
    }
    return a;
}

/* Does `replaces` name a live participant of this meeting who is `who`? */
static bool is_rejoin(yj_meeting_rooms_t *rs, int64_t meeting, const char *replaces,
                      const yj_principal_t *who)
{
    room_t *r = replaces ? g_hash_table_lookup(rs->rooms, &meeting) : NULL;
    part_t *old = r ? g_hash_table_lookup(r->parts, replaces) : NULL;
    return old && same_person(&old->who, who);
}

static void do_join(part_t *p, const yj_protocol_msg_t *m)
{
    yj_meeting_rooms_t *rs = p->rooms;
    yj_store_t *st = rs->app->store;
    if (p->room)
        return send_error(p, m->id, "already_joined", NULL,
                          "this connection has joined a meeting already; leave first");
    if (++p->join_attempts > MAX_JOIN_ATTEMPTS) {
        yj_ws_conn_close(p->conn, 1008, "too many join attempts");
        return;
    }
    yj_principal_t who;
    if (!resolve_principal(p, m, &who))
        return send_error(p, m->id, "unauthorized", m->token ? "token" : NULL,
                          m->token ? "the token is unknown or expired; sign in again"
                                   : "sign in first (session cookie) or give a token");
    yj_meeting_info_t info;
    if (yj_store_meeting_info(st, m->meeting, &info) != 0 ||
        !yj_store_meeting_can_join(st, &info, &who)) {
        /* Unknown and not invited look the same to a stranger… */
        if (yj_store_meeting_info(st, m->meeting, &info) == 0 && who.kind == YJ_PRINCIPAL_MEMBER)
            return send_error(p, m->id, "forbidden", "meeting",
                              "you are not invited to this meeting");
        return send_error(p, m->id, "not_found", "meeting", "no such meeting");
    }
    if (strcmp(info.status, "ended") == 0)
        return send_error(p, m->id, "meeting_ended", "meeting", "this meeting has ended");
    /* Admission: a newcomer whose handshake the media workers have no time
     * for would make everyone in every meeting lose packets. The host (the
     * speaker) always comes in, and so does someone coming back on a new
     * connection in place of their old one (no extra load). */
    if (rs->media && !yj_meeting_is_host(&info, &who) &&
        !is_rejoin(rs, info.id, m->replaces, &who)) {
        int load = 0;
        if (yj_media_admit(rs->media, "meeting member", &load) != YJ_MEDIA_ADMIT) {
            yj_counter_add(m_refused, 1);
            return send_error(p, m->id, "at_capacity", NULL,
                              "the media server is full (%d%% busy); try again in a minute", load);
        }
    }

    int64_t now = yj_now();
    char device[128];
    g_snprintf(device, sizeof device, "%s %s", yj_ws_conn_peer(p->conn),
               m->device ? m->device : "");
    g_strstrip(device);
    int rc;
    /* With a media plane, a member is present from when their media
     * connects (media_attendance), not from this join. */
    bool att_media = rs->media && !rs->opt.attendance_signaling;
    if (who.kind == YJ_PRINCIPAL_MEMBER && !att_media)
        rc = yj_store_attendance_join(st, info.id, who.member_id, device, now, &p->interval);
    else
        rc = yj_store_meeting_start(st, info.id, now);
    if (rc == YJ_ESTATE)
        return send_error(p, m->id, "meeting_ended", "meeting", "this meeting has ended");
    if (rc)
        return send_error(p, m->id, "internal", NULL, "cannot record the join: %s",
                          yj_strerror(rc));
    yj_store_meeting_info(st, info.id, &info); /* now live */

    room_t *r = room_get(rs, &info);
    grace_cancel(r);
    p->who = who;
    g_strlcpy(p->device, device, sizeof p->device);
    g_snprintf(p->pid, sizeof p->pid, "p%" G_GUINT64_FORMAT, yj_ws_conn_id(p->conn));
    p->host = yj_meeting_is_host(&info, &who);
    p->audio_only = m->audio_only;
    p->att_media = att_media;
    p->lost_at = 0;
    p->room = r;
    yj_ws_conn_ref(p->conn); /* the room's reference, dropped in leave() */

    /* The same person rejoining (a reconnect): the old connection goes. */
    if (m->replaces) {
        part_t *old = g_hash_table_lookup(r->parts, m->replaces);
        if (old && same_person(&old->who, &who)) {
            send_json(old, json_pack("{s:s}", "type", "replaced"));
            yj_ws_conn_close(old->conn, CLOSE_REPLACED, "joined again elsewhere");
            leave(old, "replaced");
        }
    }
    g_hash_table_insert(r->parts, p->pid, p);
    g_ptr_array_add(r->order, p);
    set_count(rs, r->meeting, (int)r->order->len);
    set_host(rs, r);
    hook_participant(r, p, 0);

    if (r->mroom) {
        yj_media_peer_callbacks_t cb = {.on_candidate = on_candidate,
                                        .on_state = on_state,
                                        .on_negotiation_needed = on_negotiation_needed};
        unsigned flags = YJ_MEDIA_PUBLISH | YJ_MEDIA_SUBSCRIBE;
        if (p->audio_only)
            flags |= YJ_MEDIA_AUDIO_ONLY;
        p->peer_gen++;
        p->peer = yj_media_peer_new(r->mroom, p->pid, flags, &cb, p);
        if (!p->peer)
            yj_warn("meetings", "%s: no media peer", p->pid);
    }
    yj_counter_add(m_joins, 1);
    yj_info("meetings", "meeting %" G_GINT64_FORMAT ": %s (%s) joined from %s", r->meeting, p->pid,
            who.username, device);

    json_t *meeting = yj_store_meeting_json(st, info.id);
    if (!meeting)
        meeting = json_object();
    json_t *out = json_pack("{s:s,s:o,s:o,s:o,s:o,s:b}", "type", "joined", "you", part_json(p),
                            "meeting", meeting, "participants", participants_json(r), "ice_servers",
                            ice_servers_json(rs), "media", p->peer != NULL);
    json_object_set_new(out, "active_speaker", r->active[0] ? json_string(r->active) : json_null());
    json_object_set_new(
        out, "recording",
        json_boolean(rs->hooks.recording && rs->hooks.recording(r->meeting, rs->hooks_ud)));
    if (m->id)
        json_object_set_new(out, "id", json_string(m->id));
    send_json(p, out);
    broadcast(r, p,
              json_pack("{s:s,s:o}", "type", "participant_joined", "participant", part_json(p)));
}

static void do_offer(part_t *p, const yj_protocol_msg_t *m)
{
    if (!p->peer)
        return send_error(p, m->id, "media_unavailable", NULL,
                          "media is not available on this server right now");
    char *answer = NULL, *err = NULL;
    int rc = yj_media_peer_answer(p->peer, m->sdp, 0, &answer, &err);
    if (rc) {
        send_error(p, m->id, "bad_sdp", "sdp", "the offer was refused: %s",
                   err ? err : yj_strerror(rc));
    } else {
        json_t *j = json_pack("{s:s,s:s}", "type", "answer", "sdp", answer);
        if (m->id)
            json_object_set_new(j, "id", json_string(m->id));
        send_json(p, j);
        if (p->needs_offer)
            make_offer(p);
    }
    g_free(answer);
    g_free(err);
}

static void do_answer(part_t *p, const yj_protocol_msg_t *m)
{
    if (!p->peer)
        return send_error(p, m->id, "media_unavailable", NULL,
                          "media is not available on this server right now");
    char *err = NULL;
    int rc = yj_media_peer_set_answer(p->peer, m->sdp, &err);
    if (rc == YJ_ESTATE)
        send_error(p, m->id, "unexpected_answer", "sdp", "no offer from the server is pending");
    else if (rc)
        send_error(p, m->id, "bad_sdp", "sdp", "the answer was refused: %s",
                   err ? err : yj_strerror(rc));
    g_free(err);
}

static void do_candidate(part_t *p, const yj_protocol_msg_t *m)
{
    if (!p->peer)
        return send_error(p, m->id, "media_unavailable", NULL,
                          "media is not available on this server right now");
    int rc = yj_media_peer_add_candidate(p->peer, m->mid, m->candidate);
    if (rc)
        send_error(p, m->id, "bad_candidate", "candidate", "the candidate was refused: %s",
                   yj_strerror(rc));
}

static part_t *target_of(part_t *p, const yj_protocol_msg_t *m)
{
    part_t *t = g_hash_table_lookup(p->room->parts, m->target);
    if (!t)
        send_error(p, m->id, "not_found", "pid", "no participant %s in this meeting", m->target);
    return t;
}

static void do_host(part_t *p, const yj_protocol_msg_t *m)
{
    if (!p->host)
        return send_error(p, m->id, "forbidden", "action", "only the host may do this");
    room_t *r = p->room;
    part_t *t;
    switch (m->action) {
    case YJ_HOST_END:
        end_meeting(p->rooms, r->meeting, yj_now(), "host", NULL);
        return;
    case YJ_HOST_RECORD_START:
    case YJ_HOST_RECORD_STOP:
        if (!p->rooms->hooks.record)
            return send_error(p, m->id, "unavailable", "action",
                              "recording is not available on this server");
        p->rooms->hooks.record(r->meeting, m->action == YJ_HOST_RECORD_START, p->who.name,
                               p->rooms->hooks_ud);
        return;
    case YJ_HOST_MUTE:
        if (!(t = target_of(p, m)))
            return;
        if (m->kind == 0)
            t->audio_muted = true;
        else
            t->video_muted = true;
        if (t->peer)
            yj_media_peer_set_muted(t->peer, m->kind ? YJ_MEDIA_VIDEO : YJ_MEDIA_AUDIO, true);
        send_json(t, json_pack("{s:s,s:s,s:s}", "type", "muted_by_host", "kind",
                               m->kind ? "video" : "audio", "by", p->who.name));
        broadcast_update(r, t);
        return;
    case YJ_HOST_LOWER_HAND:
        if (!(t = target_of(p, m)))
            return;
        t->hand = false;
        broadcast_update(r, t);
        return;
    case YJ_HOST_REMOVE:
        if (!(t = target_of(p, m)))
            return;
        if (t == p)
            return send_error(p, m->id, "bad_message", "pid", "use leave to leave yourself");
        send_json(t, json_pack("{s:s,s:s}", "type", "removed", "by", p->who.name));
        yj_ws_conn_close(t->conn, CLOSE_REMOVED, "removed by the host");
        leave(t, "removed");
        return;
    }
}

static bool rate_ok(part_t *p)
{
    gint64 now = g_get_monotonic_time();
    if (!p->tokens_at) {
        p->tokens = RATE_BURST;
        p->tokens_at = now;
    }
    p->tokens += (double)(now - p->tokens_at) / 1e6 * RATE_PER_SEC;
    if (p->tokens > RATE_BURST)
        p->tokens = RATE_BURST;
    p->tokens_at = now;
    if (p->tokens < 1)
        return false;
    p->tokens -= 1;
    return true;
}

static void on_text(yj_ws_conn_t *c, const char *text, size_t len, void *ud)
{
    (void)ud;
    part_t *p = yj_ws_conn_data(c);
    if (!rate_ok(p)) {
        send_error(p, NULL, "rate_limited", NULL, "too many messages; slow down");
        return;
    }
    yj_protocol_msg_t m;
    yj_protocol_msg_error_t err;
    if (yj_protocol_msg_parse(text, len, &m, &err) != 0) {
        /* Echo a request id when one can still be read. */
        json_t *root = json_loadb(text, len, 0, NULL);
        json_t *idv = json_is_object(root) ? json_object_get(root, "id") : NULL;
        send_error(
            p, json_is_string(idv) && json_string_length(idv) <= 64 ? json_string_value(idv) : NULL,
            err.code, err.field, "%s", err.message);
        json_decref(root);
        return;
    }
    if (m.type != YJ_MSG_JOIN && m.type != YJ_MSG_PING && !p->room) {
        send_error(p, m.id, "not_joined", "type", "join a meeting first");
        yj_protocol_msg_clear(&m);
        return;
    }
    switch (m.type) {
    case YJ_MSG_JOIN:
        do_join(p, &m);
        break;
    case YJ_MSG_OFFER:
        do_offer(p, &m);
        break;
    case YJ_MSG_ANSWER:
        do_answer(p, &m);
        break;
    case YJ_MSG_CANDIDATE:
        do_candidate(p, &m);
        break;
    case YJ_MSG_MUTE:
        if (m.audio >= 0) {
            p->audio_muted = m.audio;
            if (p->peer)
                yj_media_peer_set_muted(p->peer, YJ_MEDIA_AUDIO, p->audio_muted);
        }
        if (m.video >= 0) {
            p->video_muted = m.video;
            if (p->peer)
                yj_media_peer_set_muted(p->peer, YJ_MEDIA_VIDEO, p->video_muted);
        }
        if (m.screen >= 0)
            p->screen = m.screen;
        broadcast_update(p->room, p);
        break;
    case YJ_MSG_HAND:
        p->hand = m.raised;
        broadcast_update(p->room, p);
        break;
    case YJ_MSG_AUDIO_ONLY:
        p->audio_only = m.audio_only;
        if (p->peer)
            yj_media_peer_set_audio_only(p->peer, p->audio_only);
        break;
    case YJ_MSG_VIEW:
        if (p->peer)
            yj_media_peer_set_video_height(p->peer, m.target, m.height);
        break;
    case YJ_MSG_HOST:
        do_host(p, &m);
        break;
    case YJ_MSG_LEAVE:
        send_json(p, json_pack("{s:s}", "type", "left"));
        leave(p, "left");
        yj_ws_conn_close(c, 1000, "left the meeting");
        break;
    case YJ_MSG_PING: {
        json_t *j = json_pack("{s:s}", "type", "pong");
        if (m.id)
            json_object_set_new(j, "id", json_string(m.id));
        send_json(p, j);
        break;
    }
    }
    yj_protocol_msg_clear(&m);
}

static void on_open(yj_ws_conn_t *c, void *ud)
{
    (void)c;
    (void)ud;
}

static void on_close(yj_ws_conn_t *c, unsigned code, void *ud)
{
    (void)ud;
    part_t *p = yj_ws_conn_data(c);
    char why[32];
    g_snprintf(why, sizeof why, code == 1006 ? "connection lost" : "closed (%u)", code);
    leave(p, code == 1000 || code == 1001 ? "left" : why);
}

/* ------------------------------------------------------------------ */
/* handshake data, heartbeat, API entry points */

void *yj_meeting_rooms_conn_data(yj_meeting_rooms_t *rs, const yj_principal_t *cookie)
{
    part_t *p = g_new0(part_t, 1);
    p->rooms = rs;
    if (cookie)
        p->cookie = *cookie;
    return p;
}

static gboolean heartbeat(gpointer ud)
{
    yj_meeting_rooms_t *rs = ud;
    GHashTableIter it;
    gpointer k, v;
    int64_t now = yj_now();
    g_hash_table_iter_init(&it, rs->rooms);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        room_t *r = v;
        if (r->order->len > 0)
            yj_store_meeting_heartbeat(rs->app->store, r->meeting, now);
    }
    return G_SOURCE_CONTINUE;
}

/* The part needs its connection pointer: set on open. */
static void on_open_set(yj_ws_conn_t *c, void *ud)
{
    part_t *p = yj_ws_conn_data(c);
    p->conn = c;
    on_open(c, ud);
}

yj_meeting_rooms_t *yj_meeting_rooms_new(yj_app_t *app, const yj_meeting_rooms_options_t *opt,
                                         const yj_ws_options_t *ws_opt)
{
    if (!m_joins) {
        m_joins = yj_metrics_counter("yj_meeting_joins_total", "Participants who joined");
        m_refused = yj_metrics_counter("yj_meeting_joins_refused_total",
                                       "Joins refused because the media server was full");
        m_leaves = yj_metrics_counter("yj_meeting_leaves_total", "Participants who left");
        m_errors = yj_metrics_counter("yj_signaling_errors_total",
                                      "Error messages sent to signaling clients");
        m_ended = yj_metrics_counter("yj_meetings_ended_total", "Meetings ended");
    }
    yj_meeting_rooms_t *rs = g_new0(yj_meeting_rooms_t, 1);
    rs->app = app;
    rs->opt = *opt;
    rs->ice_servers = g_strdup(opt->ice_servers);
    rs->opt.ice_servers = rs->ice_servers;
    if (rs->opt.heartbeat_seconds <= 0)
        rs->opt.heartbeat_seconds = 15;
    rs->rooms = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)room_free);
    g_mutex_init(&rs->counts_lock);
    rs->counts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    rs->hosts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    yj_ws_callbacks_t cb = {.on_open = on_open_set, .on_text = on_text, .on_close = on_close};
    rs->ws = yj_ws_server_new(ws_opt, &cb, rs);
    return rs;
}

yj_ws_server_t *yj_meeting_rooms_ws(yj_meeting_rooms_t *rs)
{
    return rs->ws;
}

void yj_meeting_rooms_set_media(yj_meeting_rooms_t *rs, yj_media_t *media)
{
    rs->media = media;
}

void yj_meeting_rooms_set_hooks(yj_meeting_rooms_t *rs, const yj_meeting_rooms_hooks_t *h, void *ud)
{
    if (h)
        rs->hooks = *h;
    else
        memset(&rs->hooks, 0, sizeof rs->hooks);
    rs->hooks_ud = ud;
}

typedef struct {
    yj_meeting_rooms_t *rs;
    int64_t meeting;
    bool on;
    char reason[32];
} rec_post_t;

static gboolean announce_main(gpointer ud)
{
    rec_post_t *x = ud;
    room_t *r = g_hash_table_lookup(x->rs->rooms, &x->meeting);
    if (r)
        broadcast(
            r, NULL,
            json_pack("{s:s,s:b,s:s}", "type", "recording", "on", x->on, "reason", x->reason));
    return G_SOURCE_REMOVE;
}

void yj_meeting_rooms_announce_recording(yj_meeting_rooms_t *rs, int64_t meeting, bool on, const char *reason)
{
    rec_post_t *x = g_new0(rec_post_t, 1);
    x->rs = rs;
    x->meeting = meeting;
    x->on = on;
    g_strlcpy(x->reason, reason ? reason : "", sizeof x->reason);
    g_main_context_invoke_full(yj_ws_server_context(rs->ws), G_PRIORITY_DEFAULT, announce_main, x,
                               g_free);
}

/* Runs fn(ud) on the ws thread and waits. */
typedef struct {
    GSourceFunc fn;
    void *ud;
    GMutex lock;
    GCond cond;
    bool done;
} sync_t;

static gboolean sync_cb(gpointer ud)
{
    sync_t *s = ud;
    s->fn(s->ud);
    g_mutex_lock(&s->lock);
    s->done = true;
    g_cond_signal(&s->cond);
    g_mutex_unlock(&s->lock);
    return G_SOURCE_REMOVE;
}

static void run_sync(yj_meeting_rooms_t *rs, GSourceFunc fn, void *ud)
{
    sync_t s = {.fn = fn, .ud = ud};
    g_mutex_init(&s.lock);
    g_cond_init(&s.cond);
    g_main_context_invoke(yj_ws_server_context(rs->ws), sync_cb, &s);
    g_mutex_lock(&s.lock);
    while (!s.done)
        g_cond_wait(&s.cond, &s.lock);
    g_mutex_unlock(&s.lock);
    g_mutex_clear(&s.lock);
    g_cond_clear(&s.cond);
}

static gboolean recover_main(gpointer ud)
{
    yj_meeting_rooms_t *rs = ud;
    GArray *ids = yj_store_meetings_recover(rs->app->store);
    for (guint i = 0; ids && i < ids->len; i++) {
        yj_meeting_info_t info;
        if (yj_store_meeting_info(rs->app->store, g_array_index(ids, gint64, i), &info) != 0)
            continue;
        room_t *r = room_get(rs, &info);
        yj_info("meetings",
                "meeting %" G_GINT64_FORMAT " was live at the last stop; it ends "
                "in %d s unless someone joins",
                info.id, rs->opt.grace_seconds);
        grace_start(r);
    }
    if (ids)
        g_array_unref(ids);
    rs->heartbeat = g_timeout_source_new_seconds((guint)rs->opt.heartbeat_seconds);
    g_source_set_callback(rs->heartbeat, heartbeat, rs, NULL);
    g_source_attach(rs->heartbeat, yj_ws_server_context(rs->ws));
    return G_SOURCE_REMOVE;
}

int yj_meeting_rooms_start(yj_meeting_rooms_t *rs)
{
    int rc = yj_ws_server_start(rs->ws);
    if (rc)
        return rc;
    run_sync(rs, recover_main, rs);
    return 0;
}

static gboolean stop_main(gpointer ud)
{
    yj_meeting_rooms_t *rs = ud;
    if (rs->heartbeat) {
        g_source_destroy(rs->heartbeat);
        g_source_unref(rs->heartbeat);
        rs->heartbeat = NULL;
    }
    /* Connections are closed by the ws server next (on_close → leave);
     * grace timers die with the rooms. Meetings stay live in the store and
     * are recovered at the next start. */
    return G_SOURCE_REMOVE;
}

void yj_meeting_rooms_free(yj_meeting_rooms_t *rs)
{
    if (!rs)
        return;
    if (yj_ws_server_context(rs->ws) && rs->heartbeat)
        run_sync(rs, stop_main, rs);
    yj_ws_server_free(rs->ws); /* closes connections: leave() for each */
    g_hash_table_destroy(rs->rooms);
    g_hash_table_destroy(rs->counts);
    g_hash_table_destroy(rs->hosts);
    g_mutex_clear(&rs->counts_lock);
    g_free(rs->ice_servers);
    g_free(rs);
}

typedef struct {
    yj_meeting_rooms_t *rs;
    int64_t meeting;
    const char *reason;
    int credited, rc;
} end_t;

static gboolean end_main(gpointer ud)
{
    end_t *e = ud;
    e->rc = end_meeting(e->rs, e->meeting, yj_now(), e->reason, &e->credited);
    return G_SOURCE_REMOVE;
}

int yj_meeting_rooms_end(yj_meeting_rooms_t *rs, int64_t meeting, const char *reason, int *credited)
{
    end_t e = {.rs = rs, .meeting = meeting, .reason = reason};
    run_sync(rs, end_main, &e);
    if (credited)
        *credited = e.credited;
    return e.rc;
}

bool yj_meeting_rooms_may_enter(yj_meeting_rooms_t *rs, int64_t meeting, const yj_principal_t *p)
{
    yj_meeting_info_t info;
    if (!p || yj_store_meeting_info(rs->app->store, meeting, &info) != 0)
        return false;
    return strcmp(info.status, "ended") != 0 && yj_store_meeting_can_join(rs->app->store, &info, p);
}
