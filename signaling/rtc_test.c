/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtc_test.c — a tiny HTTP signaling channel for browser tests of the
 * media plane's renegotiation (server re-offers), registered only when
 * [media] test_pages is set. Production clients use WHIP/WHEP or the
 * meeting WebSocket; this exists so tests/browser can drive a
 * publish-and-subscribe PeerConnection without the meeting protocol:
 *
 *   POST /rtc-test/peer/{room}/{id}         {"sdp": offer} → {"sdp": answer}
 *   GET  /rtc-test/peer/{room}/{id}/offer   → {"sdp": server offer} or 204
 *   POST /rtc-test/peer/{room}/{id}/answer  {"sdp": answer} → 204
 *   DELETE /rtc-test/peer/{room}/{id}       → 204
 *   POST /rtc-test/peer/{room}/{id}/height  {"publisher", "height"} → 204
 *   GET  /rtc-test/room/{room}              → {"tracks": […], "speaker"}
 *
 * The peer publishes and subscribes; on_negotiation_needed only raises a
 * flag that the page polls. Nothing here is documented API.
 */
#include "rtc_test.h"
#include "core/log.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

typedef struct {
    yj_media_peer_t *peer;
    gint nego;
} tpeer_t;

struct yj_rtc_test {
    GMutex lock;
    GHashTable *peers;  /* "room/id" -> tpeer_t* (owned) */
    yj_media_t *engine; /* borrowed from the rtc subsystem */
};

static void on_nego(yj_media_peer_t *p, void *ud)
{
    (void)p;
    tpeer_t *t = ud;
    g_atomic_int_set(&t->nego, 1);
}

static char *key_of(yj_req_t *req)
{
    return g_strdup_printf("%s/%s", yj_req_param(req, "room"), yj_req_param(req, "id"));
}

/* The peer for the request with a new reference, or NULL. */
static yj_media_peer_t *lookup(yj_rtc_test_t *T, yj_req_t *req, tpeer_t **out)
{
    char *k = key_of(req);
    g_mutex_lock(&T->lock);
    tpeer_t *t = T->peers ? g_hash_table_lookup(T->peers, k) : NULL;
    yj_media_peer_t *p = t ? yj_media_peer_ref(t->peer) : NULL;
    g_mutex_unlock(&T->lock);
    g_free(k);
    if (out)
        *out = t;
    return p;
}

static const char *sdp_of(yj_req_t *req)
{
    json_t *j = yj_req_json_body(req);
    if (!j)
        return NULL;
    const char *sdp = json_string_value(json_object_get(j, "sdp"));
    if (!sdp)
        yj_req_reply_error(req, 400, "invalid", "sdp", "sdp is required");
    return sdp;
}

static int peer_offer(yj_req_t *req, void *ud)
{
    yj_rtc_test_t *T = ud;
    const char *sdp = sdp_of(req);
    if (!sdp)
        return 0;
    tpeer_t *t = NULL;
    yj_media_peer_t *p = lookup(T, req, &t);
    if (!p) {
        yj_media_room_t *room = yj_media_room_get(T->engine, yj_req_param(req, "room"));
        if (!room)
            return yj_req_reply_error(req, 400, "invalid", "room", "bad room");
        t = g_new0(tpeer_t, 1);
        unsigned flags = YJ_MEDIA_PUBLISH | YJ_MEDIA_SUBSCRIBE;
        const char *ao = yj_req_query(req, "audio_only");
        if (ao && strcmp(ao, "1") == 0)
            flags |= YJ_MEDIA_AUDIO_ONLY;
        yj_media_peer_callbacks_t cb = {.on_negotiation_needed = on_nego};
        t->peer = yj_media_peer_new(room, yj_req_param(req, "id"), flags, &cb, t);
        yj_media_room_unref(room);
        if (!t->peer) {
            g_free(t);
            return yj_req_reply_error(req, 409, "exists", "id", "cannot create the peer");
        }
        g_mutex_lock(&T->lock);
        g_hash_table_insert(T->peers, key_of(req), t);
        g_mutex_unlock(&T->lock);
        p = yj_media_peer_ref(t->peer);
    }
    char *answer = NULL, *err = NULL;
    int rc = yj_media_peer_answer(p, sdp, YJ_MEDIA_SDP_FULL, &answer, &err);
    yj_media_peer_unref(p);
    if (rc) {
        int r = yj_req_reply_error(req, 400, "invalid_sdp", "sdp", "%s", err ? err : "?");
        g_free(err);
        return r;
    }
    int r = yj_req_reply_json(req, 200, json_pack("{s:s}", "sdp", answer));
    g_free(answer);
    return r;
}

static int peer_get_offer(yj_req_t *req, void *ud)
{
    yj_rtc_test_t *T = ud;
    tpeer_t *t = NULL;
    yj_media_peer_t *p = lookup(T, req, &t);
    if (!p)
        return yj_req_reply_error(req, 404, "not_found", "id", "no such peer");
    const char *force = yj_req_query(req, "force");
    if (!g_atomic_int_compare_and_exchange(&t->nego, 1, 0) && !(force && *force == '1')) {
        yj_media_peer_unref(p);
        return yj_req_reply_data(req, 204, "application/json", "", 0);
    }
    char *offer = NULL, *err = NULL;
    int rc = yj_media_peer_offer(p, YJ_MEDIA_SDP_FULL, &offer, &err);
    yj_media_peer_unref(p);
    if (rc) {
        int r = yj_req_reply_error(req, 409, "state", NULL, "%s", err ? err : "?");
        g_free(err);
        return r;
    }
    int r = yj_req_reply_json(req, 200, json_pack("{s:s}", "sdp", offer));
    g_free(offer);
    return r;
}

static int peer_answer(yj_req_t *req, void *ud)
{
    yj_rtc_test_t *T = ud;
    const char *sdp = sdp_of(req);
    if (!sdp)
        return 0;
    yj_media_peer_t *p = lookup(T, req, NULL);
    if (!p)
        return yj_req_reply_error(req, 404, "not_found", "id", "no such peer");
    char *err = NULL;
    int rc = yj_media_peer_set_answer(p, sdp, &err);
    yj_media_peer_unref(p);
    if (rc) {
        int r = yj_req_reply_error(req, 400, "invalid_sdp", "sdp", "%s", err ? err : "?");
        g_free(err);
        return r;
    }
    return yj_req_reply_data(req, 204, "application/json", "", 0);
}

static void tpeer_free(gpointer d)
{
    tpeer_t *t = d;
    yj_media_peer_close(t->peer);
    g_free(t);
}

static int peer_delete(yj_req_t *req, void *ud)
{
    yj_rtc_test_t *T = ud;
    char *k = key_of(req);
    g_mutex_lock(&T->lock);
    gpointer stored = NULL, value = NULL;
    if (T->peers)
        g_hash_table_steal_extended(T->peers, k, &stored, &value);
    tpeer_t *t = value;
    g_free(stored);
    g_mutex_unlock(&T->lock);
    g_free(k);
    if (!t)
        return yj_req_reply_error(req, 404, "not_found", "id", "no such peer");
    tpeer_free(t);
    return yj_req_reply_data(req, 204, "application/json", "", 0);
}

static int peer_height(yj_req_t *req, void *ud)
{
    yj_rtc_test_t *T = ud;
    json_t *j = yj_req_json_body(req);
    if (!j)
        return 0;
    yj_media_peer_t *p = lookup(T, req, NULL);
    if (!p)
        return yj_req_reply_error(req, 404, "not_found", "id", "no such peer");
    const char *pub = json_string_value(json_object_get(j, "publisher"));
    int rc = yj_media_peer_set_video_height(p, pub,
                                            (int)json_integer_value(json_object_get(j, "height")));
    yj_media_peer_unref(p);
    if (rc)
        return yj_req_reply_errno(req, rc, "height");
    return yj_req_reply_data(req, 204, "application/json", "", 0);
}

static int room_info(yj_req_t *req, void *ud)
{
    yj_rtc_test_t *T = ud;
    yj_media_room_t *room = yj_media_room_get(T->engine, yj_req_param(req, "room"));
    if (!room)
        return yj_req_reply_error(req, 400, "invalid", "room", "bad room");
    yj_media_track_info_t *t = NULL;
    size_t n = 0;
    yj_media_room_tracks(room, &t, &n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:i,s:b}", "peer", t[i].peer_id, "track",
                           t[i].track_id, "kind", t[i].kind == YJ_MEDIA_VIDEO ? "video" : "audio",
                           "codec", t[i].codec, "layers", t[i].layers, "muted", t[i].muted));
    g_free(t);
    char speaker[64];
    yj_media_room_active_speaker(room, speaker, sizeof speaker);
    yj_media_room_unref(room);
    return yj_req_reply_json(req, 200, json_pack("{s:o,s:s}", "tracks", arr, "speaker", speaker));
}

yj_rtc_test_t *yj_rtc_test_new(yj_http_t *http, yj_media_t *engine)
{
    yj_rtc_test_t *T = g_new0(yj_rtc_test_t, 1);
    g_mutex_init(&T->lock);
    T->engine = engine;
    T->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const unsigned f = YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC;
    int rc = yj_http_route(http, "POST", "/rtc-test/peer/{room}/{id}", f, 65536, peer_offer, T);
    rc |= yj_http_route(http, "GET", "/rtc-test/peer/{room}/{id}/offer", f, 0, peer_get_offer, T);
    rc |=
        yj_http_route(http, "POST", "/rtc-test/peer/{room}/{id}/answer", f, 65536, peer_answer, T);
    rc |= yj_http_route(http, "DELETE", "/rtc-test/peer/{room}/{id}", f, 0, peer_delete, T);
    rc |= yj_http_route(http, "POST", "/rtc-test/peer/{room}/{id}/height", f, 4096, peer_height, T);
    rc |= yj_http_route(http, "GET", "/rtc-test/room/{room}", f, 0, room_info, T);
    if (rc) {
        yj_rtc_test_free(T);
        return NULL;
    }
    return T;
}

void yj_rtc_test_stop(yj_rtc_test_t *T)
{
    if (!T)
        return;
    g_mutex_lock(&T->lock);
    GHashTable *h = T->peers;
    T->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_mutex_unlock(&T->lock);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, h);
    while (g_hash_table_iter_next(&it, &k, &v))
        tpeer_free(v);
    g_hash_table_destroy(h);
}

void yj_rtc_test_free(yj_rtc_test_t *T)
{
    if (!T)
        return;
    yj_rtc_test_stop(T);
    g_hash_table_destroy(T->peers);
    g_mutex_clear(&T->lock);
    g_free(T);
}
