/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtc.c — see rtc.h. Each WHIP/WHEP session is one media peer named by a
 * random session id; the table of sessions maps the id to the peer and the
 * principal that created it (only they may PATCH or DELETE it). A session
 * whose connection fails is closed from the main loop, never from inside a
 * media callback. This file speaks HTTP and SDP-as-text only; every media
 * decision is media/'s. All state lives in one yj_rtc_t the daemon owns.
 */
#include "rtc.h"
#include "rtc_test.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

#define SDP_MAX_BODY (64 * 1024)
/* Admission defaults ([media] max_load_percent, max_handshakes): see
 * docs/media.md for how they were measured. */
#define YJ_RTC_DEFAULT_MAX_LOAD 85
#define YJ_RTC_DEFAULT_MAX_HANDSHAKES 8

typedef struct {
    char id[32];
    char room[64];
    char owner[96];
    bool whep;
    yj_media_peer_t *peer;
    gint closing;
} session_t;

struct yj_rtc {
    yj_app_t *app;        /* borrowed */
    yj_media_t *engine;   /* owned; freed by yj_rtc_free */
    GMutex lock;          /* guards sessions and the authorizer */
    GHashTable *sessions; /* id -> session_t* (owned) */
    yj_rtc_authorize_fn authorizer;
    void *authorizer_ud;
    char *test_pages;
    yj_rtc_test_t *test; /* [media] test_pages only */
};

/* Process-wide metric (the registry is process-wide). */
static yj_counter_t *m_refused; /* WHEP viewers refused at capacity */

static bool default_authorizer(const char *room, const yj_principal_t *who, yj_rtc_role_t role,
                               void *ud)
{
    (void)room;
    (void)role;
    (void)ud;
    return who && who->kind != YJ_PRINCIPAL_NONE;
}

void yj_rtc_set_authorizer(yj_rtc_t *R, yj_rtc_authorize_fn fn, void *ud)
{
    g_mutex_lock(&R->lock);
    R->authorizer = fn ? fn : default_authorizer;
    R->authorizer_ud = fn ? ud : NULL;
    g_mutex_unlock(&R->lock);
}

static bool authorize(yj_rtc_t *R, const char *room, const yj_principal_t *who, yj_rtc_role_t role)
{
    g_mutex_lock(&R->lock);
    yj_rtc_authorize_fn fn = R->authorizer ? R->authorizer : default_authorizer;
    void *ud = R->authorizer_ud;
    g_mutex_unlock(&R->lock);
    return fn(room, who, role, ud);
}

yj_media_t *yj_rtc_engine(yj_rtc_t *R)
{
    return R ? R->engine : NULL;
}

static void owner_key(const yj_principal_t *p, char *out, size_t size)
{
    if (p->kind == YJ_PRINCIPAL_ADMIN)
        g_snprintf(out, size, "admin:%" G_GINT64_FORMAT, p->admin_id);
    else
        g_snprintf(out, size, "member:%s", p->member_id);
}

static void session_free(session_t *s)
{
    g_free(s);
}

/* Removes and closes a session (blocking media call; not on a worker). */
static void end_session(yj_rtc_t *R, const char *id)
{
    g_mutex_lock(&R->lock);
    session_t *s = g_hash_table_lookup(R->sessions, id);
    if (s)
        g_hash_table_steal(R->sessions, id);
    g_mutex_unlock(&R->lock);
    if (!s)
        return;
    yj_info("rtc", "%s session %s in room %s ended", s->whep ? "WHEP" : "WHIP", s->id, s->room);
    yj_media_peer_close(s->peer);
    session_free(s);
}

typedef struct {
    yj_rtc_t *rtc;
    char id[32];
} close_t;

static gboolean close_later(gpointer data)
{
    close_t *c = data;
    end_session(c->rtc, c->id);
    return G_SOURCE_REMOVE;
}

static void on_state(yj_media_peer_t *p, yj_media_peer_state_t st, void *ud)
{
    if (st != YJ_PEER_FAILED)
        return;
    yj_info("rtc", "session %s failed (no ICE path, DTLS error or consent lost)",
            yj_media_peer_id(p));
    /* Not from inside the media callback: let the main loop close it (the
     * main loop stops before yj_rtc_free, so ud outlives the source). */
    close_t *c = g_new0(close_t, 1);
    c->rtc = ud;
    g_strlcpy(c->id, yj_media_peer_id(p), sizeof c->id);
    g_idle_add_full(G_PRIORITY_DEFAULT, close_later, c, g_free);
}

static bool content_type_is(yj_req_t *req, const char *want)
{
    const char *ct = yj_req_header(req, "Content-Type");
    if (!ct)
        return false;
    size_t n = strlen(want);
    return g_ascii_strncasecmp(ct, want, n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

static int create(yj_rtc_t *R, yj_req_t *req, bool whep)
{
    const char *room_id = yj_req_param(req, "room");
    const yj_principal_t *who = yj_req_principal(req);
    if (!R->engine)
        return yj_req_reply_error(req, 503, "unavailable", NULL, "media is not running");
    if (!content_type_is(req, "application/sdp"))
        return yj_req_reply_error(req, 415, "unsupported_media_type", "Content-Type",
                                  "send the SDP offer as application/sdp");
    if (!authorize(R, room_id, who, whep ? YJ_RTC_WATCH : YJ_RTC_PUBLISH))
        return yj_req_reply_error(req, 403, "forbidden", "room", "you may not %s room %s",
                                  whep ? "watch" : "publish into", room_id);
    size_t len;
    const char *body = yj_req_body(req, &len);
    if (!body || len == 0)
        return yj_req_reply_error(req, 400, "invalid_sdp", "body", "the SDP offer is empty");
    char *offer = g_strndup(body, len);
    yj_media_room_t *room = yj_media_room_get(R->engine, room_id);
    if (!room) {
        g_free(offer);
        return yj_req_reply_error(req, 400, "invalid_room", "room",
                                  "a room id is 1–63 letters, digits, '.', '_' or '-'");
    }
    /* Admission: a viewer the workers have no time for would make every
     * viewer lose packets, the publisher too. Publishers always come in.
     * media/ counts and logs the refusal (once per interval). */
    int load = 0;
    yj_media_admission_t adm = whep ? yj_media_admit(R->engine, "WHEP viewer", &load) : 0;
    if (adm != YJ_MEDIA_ADMIT) {
        yj_media_room_unref(room);
        g_free(offer);
        yj_counter_add(m_refused, 1);
        yj_req_add_header(req, "Retry-After", "10");
        return yj_req_reply_error(req, 503, "at_capacity", NULL,
                                  adm == YJ_MEDIA_FULL_LOAD
                                      ? "the media server is at capacity (%d%% busy); try again "
                                        "later"
                                      : "the media server is at capacity (%d%% busy, too many "
                                        "viewers connecting at once); try again later",
                                  load);
    }
    session_t *s = g_new0(session_t, 1);
    char *tok = yj_random_token(16);
    g_strlcpy(s->id, tok, sizeof s->id);
    g_free(tok);
    g_strlcpy(s->room, room_id, sizeof s->room);
    owner_key(who, s->owner, sizeof s->owner);
    s->whep = whep;
    yj_media_peer_callbacks_t cb = {.on_state = on_state};
    s->peer = yj_media_peer_new(
        room, s->id, whep ? YJ_MEDIA_SUBSCRIBE | YJ_MEDIA_STATIC : YJ_MEDIA_PUBLISH, &cb, R);
    yj_media_room_unref(room);
    if (!s->peer) {
        g_free(offer);
        g_free(s);
        return yj_req_reply_error(req, 503, "unavailable", NULL, "cannot open a media session");
    }
    char *answer = NULL, *err = NULL;
    int rc = yj_media_peer_answer(s->peer, offer, YJ_MEDIA_SDP_FULL, &answer, &err);
    g_free(offer);
    if (rc) {
        yj_media_peer_close(s->peer);
        g_free(s);
        int r = yj_req_reply_error(req, rc == YJ_EINVAL ? 400 : 500, "invalid_sdp", "body", "%s",
                                   err ? err : yj_strerror(rc));
        g_free(err);
        return r;
    }
    g_mutex_lock(&R->lock);
    g_hash_table_insert(R->sessions, s->id, s);
    g_mutex_unlock(&R->lock);
    char loc[160];
    g_snprintf(loc, sizeof loc, "/%s/%s/%s", whep ? "whep" : "whip", room_id, s->id);
    yj_req_add_header(req, "Location", loc);
    yj_req_add_header(req, "ETag", "\"1\"");
    const char *stun = yj_config_string(R->app->cfg, "media", "stun_server", "");
    if (*stun) {
        char link[300];
        g_snprintf(link, sizeof link, "<stun:%s>; rel=\"ice-server\"", stun);
        yj_req_add_header(req, "Link", link);
    }
    yj_info("rtc", "%s session %s in room %s by %s", whep ? "WHEP" : "WHIP", s->id, room_id,
            s->owner);
    rc = yj_req_reply_data(req, 201, "application/sdp", answer, strlen(answer));
    g_free(answer);
    return rc;
}

static int whip_post(yj_req_t *req, void *ud)
{
    return create(ud, req, false);
}

static int whep_post(yj_req_t *req, void *ud)
{
    return create(ud, req, true);
}

/* The session's peer (a new reference: yj_media_peer_unref) for the
 * request's room/session, checked for ownership. On failure a reply has
 * been queued and NULL is returned. */
static yj_media_peer_t *find(yj_rtc_t *R, yj_req_t *req, bool whep, char *id_out)
{
    const char *room = yj_req_param(req, "room");
    const char *id = yj_req_param(req, "session");
    char owner[96];
    owner_key(yj_req_principal(req), owner, sizeof owner);
    g_mutex_lock(&R->lock);
    session_t *s = g_hash_table_lookup(R->sessions, id);
    bool ok = s && s->whep == whep && strcmp(s->room, room) == 0;
    bool mine = ok && strcmp(s->owner, owner) == 0;
    yj_media_peer_t *p = ok && mine ? yj_media_peer_ref(s->peer) : NULL;
    g_mutex_unlock(&R->lock);
    if (!ok) {
        yj_req_reply_error(req, 404, "not_found", "session", "no such session");
        return NULL;
    }
    if (!mine) {
        yj_req_reply_error(req, 403, "forbidden", "session", "this session is someone else's");
        return NULL;
    }
    g_strlcpy(id_out, id, 32);
    return p;
}

static int patch(yj_rtc_t *R, yj_req_t *req, bool whep)
{
    char id[32];
    if (!content_type_is(req, "application/trickle-ice-sdpfrag"))
        return yj_req_reply_error(req, 415, "unsupported_media_type", "Content-Type",
                                  "send application/trickle-ice-sdpfrag");
    yj_media_peer_t *p = find(R, req, whep, id);
    if (!p)
        return 0;
    size_t len;
    const char *body = yj_req_body(req, &len);
    char *frag = g_strndup(body ? body : "", len);
    char *answer = NULL, *err = NULL;
    int rc = yj_media_peer_patch(p, frag, &answer, &err);
    yj_media_peer_unref(p);
    g_free(frag);
    if (rc) {
        int r = yj_req_reply_error(req, rc == YJ_EINVAL ? 400 : 409, "invalid_sdpfrag", "body",
                                   "%s", err ? err : yj_strerror(rc));
        g_free(err);
        return r;
    }
    if (!answer)
        return yj_req_reply_data(req, 204, "application/trickle-ice-sdpfrag", "", 0);
    yj_req_add_header(req, "ETag", "\"2\"");
    rc = yj_req_reply_data(req, 200, "application/trickle-ice-sdpfrag", answer, strlen(answer));
    g_free(answer);
    return rc;
}

static int whip_patch(yj_req_t *req, void *ud)
{
    return patch(ud, req, false);
}

static int whep_patch(yj_req_t *req, void *ud)
{
    return patch(ud, req, true);
}

static int del(yj_rtc_t *R, yj_req_t *req, bool whep)
{
    char id[32];
    yj_media_peer_t *p = find(R, req, whep, id);
    if (!p)
        return 0;
    yj_media_peer_unref(p);
    end_session(R, id);
    return yj_req_reply_json(req, 200, json_pack("{s:s}", "status", "ended"));
}

static int whip_delete(yj_req_t *req, void *ud)
{
    return del(ud, req, false);
}

static int whep_delete(yj_req_t *req, void *ud)
{
    return del(ud, req, true);
}

/* Test-only pages ([media] test_pages): same-origin WHIP/WHEP clients. */
static int test_page(yj_req_t *req, void *ud)
{
    yj_rtc_t *R = ud;
    const char *path = yj_req_param(req, "path");
    if (!R->test_pages || !path || strstr(path, "..") || path[0] == '/')
        return yj_req_reply_error(req, 404, "not_found", NULL, "no such page");
    char *file = g_build_filename(R->test_pages, path, NULL);
    int rc = yj_req_reply_file(req, file, yj_mime_type(file), "no-store");
    g_free(file);
    return rc;
}

yj_rtc_t *yj_rtc_new(yj_app_t *app, yj_http_t *http, char **err)
{
    yj_config_t *cfg = app->cfg;
    yj_media_config_t mc = {
        .workers = (int)yj_config_int(cfg, "media", "workers", 0),
        .port_min = (int)yj_config_int(cfg, "media", "port_min", 0),
        .port_max = (int)yj_config_int(cfg, "media", "port_max", 0),
        .interfaces = yj_config_string(cfg, "media", "interfaces", ""),
        .stun_server = yj_config_string(cfg, "media", "stun_server", ""),
        .turn_server = yj_config_string(cfg, "media", "turn_server", ""),
        .turn_user = yj_config_string(cfg, "media", "turn_user", ""),
        .turn_password = yj_config_string(cfg, "media", "turn_password", ""),
        .gather_timeout_ms = (int)yj_config_int(cfg, "media", "gather_timeout_ms", 3000),
        .max_publish_kbps = (int)yj_config_int(cfg, "media", "max_publish_kbps", 2500),
        .nack_cache_ms = (int)yj_config_int(cfg, "media", "nack_cache_ms", 1000),
        .max_load_percent =
            (int)yj_config_int(cfg, "media", "max_load_percent", YJ_RTC_DEFAULT_MAX_LOAD),
        .max_handshakes =
            (int)yj_config_int(cfg, "media", "max_handshakes", YJ_RTC_DEFAULT_MAX_HANDSHAKES),
    };
    if (!m_refused)
        m_refused = yj_metrics_counter("yj_rtc_viewers_refused_total",
                                       "WHEP viewers refused at capacity (max_load_percent, "
                                       "max_handshakes)");
    char *merr = NULL;
    yj_media_t *engine = yj_media_new(&mc, &merr);
    if (!engine) {
        *err = g_strdup(merr ? merr : "cannot create the media engine");
        g_free(merr);
        return NULL;
    }
    yj_rtc_t *R = g_new0(yj_rtc_t, 1);
    R->app = app;
    R->engine = engine;
    g_mutex_init(&R->lock);
    R->sessions = g_hash_table_new(g_str_hash, g_str_equal);
    const char *tp = yj_config_string(cfg, "media", "test_pages", "");
    R->test_pages = *tp ? g_strdup(tp) : NULL;
    int rc = 0;
    rc |= yj_http_route(http, "POST", "/whip/{room}", YJ_ROUTE_AUTH, SDP_MAX_BODY, whip_post, R);
    rc |= yj_http_route(http, "PATCH", "/whip/{room}/{session}", YJ_ROUTE_AUTH, SDP_MAX_BODY,
                        whip_patch, R);
    rc |= yj_http_route(http, "DELETE", "/whip/{room}/{session}", YJ_ROUTE_AUTH, 0, whip_delete, R);
    rc |= yj_http_route(http, "POST", "/whep/{room}", YJ_ROUTE_AUTH, SDP_MAX_BODY, whep_post, R);
    rc |= yj_http_route(http, "PATCH", "/whep/{room}/{session}", YJ_ROUTE_AUTH, SDP_MAX_BODY,
                        whep_patch, R);
    rc |= yj_http_route(http, "DELETE", "/whep/{room}/{session}", YJ_ROUTE_AUTH, 0, whep_delete, R);
    if (R->test_pages) {
        R->test = yj_rtc_test_new(http, R->engine);
        rc |= R->test ? 0 : YJ_EINVAL;
        rc |= yj_http_route(http, "GET", "/rtc-test/{path*}", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0,
                            test_page, R);
    }
    if (rc) {
        *err = g_strdup("cannot register the WHIP/WHEP routes");
        yj_rtc_free(R);
        return NULL;
    }
    return R;
}

int yj_rtc_start(yj_rtc_t *R)
{
    return yj_media_start(R->engine);
}

void yj_rtc_stop(yj_rtc_t *R)
{
    if (!R)
        return;
    yj_rtc_test_stop(R->test);
    /* Close every session; the engine (and any other peer) goes in _free. */
    for (;;) {
        char id[32] = "";
        g_mutex_lock(&R->lock);
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, R->sessions);
        if (g_hash_table_iter_next(&it, &k, &v))
            g_strlcpy(id, k, sizeof id);
        g_mutex_unlock(&R->lock);
        if (!id[0])
            break;
        end_session(R, id);
    }
}

void yj_rtc_free(yj_rtc_t *R)
{
    if (!R)
        return;
    yj_rtc_stop(R);
    yj_rtc_test_free(R->test);
    yj_media_free(R->engine);
    g_hash_table_destroy(R->sessions);
    g_mutex_clear(&R->lock);
    g_free(R->test_pages);
    g_free(R);
}
