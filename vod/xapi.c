/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xapi.c — GET /api/v1/members/{id_number}/xapi: a member's playback
 * history as xAPI statements in the video profile's vocabulary
 * (https://w3id.org/xapi/video): verbs played, paused, seeked, terminated
 * and completed; result extensions time, time-from, time-to, progress and
 * played-segments; context extensions length, completion-threshold and
 * session-id. A learning record store can ingest the array as is.
 *
 * Events are the player's reports other than heartbeats, each stored with
 * the union of watched intervals at that moment; "completed" comes from
 * the moment the union reached the lesson's threshold. Statement ids are
 * derived from their content, so exporting twice gives the same ids and
 * an LRS deduplicates them.
 */
#include "xapi.h"
#include "vod_internal.h"
#include "intervals.h"
#include "core/crypto.h"
#include "core/store_auth.h"
#include "core/yj.h"

#include <string.h>

#define VIDEO "https://w3id.org/xapi/video"
#define EXT VIDEO "/extensions/"

static const struct {
    const char *event, *verb_id, *en, *zh;
} verbs[] = {
    {"play", VIDEO "/verbs/played", "played", "播放"},
    {"pause", VIDEO "/verbs/paused", "paused", "暂停"},
    {"ended", VIDEO "/verbs/paused", "paused", "暂停"},
    {"seek", VIDEO "/verbs/seeked", "seeked", "跳转"},
    {"hide", "http://adlnet.gov/expapi/verbs/terminated", "terminated", "离开"},
    {"completed", "http://adlnet.gov/expapi/verbs/completed", "completed", "完成"},
};

static void uuid_of(const char *material, char out[37])
{
    char h[65];
    yj_sha256_hex(material, strlen(material), h);
    h[12] = '5';                                     /* version 5 style */
    h[16] = "89ab"[g_ascii_xdigit_value(h[16]) & 3]; /* RFC 4122 variant */
    g_snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static char *iso_ms(int64_t ms)
{
    GDateTime *d = g_date_time_new_from_unix_utc(ms / 1000);
    if (!d)
        return g_strdup("1970-01-01T00:00:00Z");
    g_autofree char *s = g_date_time_format(d, "%Y-%m-%dT%H:%M:%S");
    g_date_time_unref(d);
    return g_strdup_printf("%s.%03dZ", s, (int)(ms % 1000));
}

static json_t *segments_of(const char *intervals)
{
    yj_intervals_t set = {0};
    yj_intervals_from_json(&set, intervals);
    char *s = yj_intervals_to_segments(&set);
    yj_intervals_clear(&set);
    json_t *j = json_string(s);
    g_free(s);
    return j;
}

static json_t *statement(yj_vod_t *v, const yj_principal_t *m, json_t *lesson, const char *ev,
                         int64_t at_ms, json_t *result)
{
    size_t k = 0;
    while (k < G_N_ELEMENTS(verbs) && strcmp(verbs[k].event, ev) != 0)
        k++;
    if (k == G_N_ELEMENTS(verbs)) {
        json_decref(result);
        return NULL;
    }
    json_int_t lid = json_integer_value(json_object_get(lesson, "lesson_id"));
    double len = (double)json_integer_value(json_object_get(lesson, "duration_ms")) / 1000;
    const char *base = v->app->public_url ? v->app->public_url : "";
    g_autofree char *activity = g_strdup_printf("%s/learn/%" JSON_INTEGER_FORMAT, base, lid);
    g_autofree char *material = g_strdup_printf(
        "%s|%" JSON_INTEGER_FORMAT "|%" G_GINT64_FORMAT "|%s", m->member_id, lid, at_ms, ev);
    char id[37];
    uuid_of(material, id);
    g_autofree char *session_material =
        g_strdup_printf("session|%s|%" JSON_INTEGER_FORMAT, m->member_id, lid);
    char session[37];
    uuid_of(session_material, session);
    g_autofree char *ts = iso_ms(at_ms);
    json_t *ctx_ext =
        json_pack("{s:f,s:f,s:s}", EXT "length", len, EXT "completion-threshold",
                  json_real_value(json_object_get(lesson, "threshold")), EXT "session-id", session);
    return json_pack(
        "{s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:s,s:{s:s,s:s}},s:{s:s,s:s,s:{s:s,s:{s:O,s:O}}},"
        "s:o,s:{s:{s:[{s:s}]},s:o},s:s,s:s}",
        "id", id, "actor", "objectType", "Agent", "name", m->name, "account", "homePage",
        base[0] ? base : "urn:yuanjiao", "name", m->member_id, "verb", "id", verbs[k].verb_id,
        "display", "en-US", verbs[k].en, "zh-CN", verbs[k].zh, "object", "objectType", "Activity",
        "id", activity, "definition", "type", VIDEO "/activity-type/video", "name", "zh-CN",
        json_object_get(lesson, "title"), "en-US", json_object_get(lesson, "title"), "result",
        result, "context", "contextActivities", "category", "id", VIDEO, "extensions", ctx_ext,
        "timestamp", ts, "version", "1.0.3");
}

#define XAPI_PAGE 1000     /* events per page by default */
#define XAPI_PAGE_MAX 5000 /* and at most */

/* GET /api/v1/members/{id_number}/xapi[?after=&limit=] — one page of
 * statements; "next" (or null) continues. */
static int member_xapi(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    const yj_principal_t *me = yj_req_principal(req);
    const char *id = yj_req_param(req, "id_number");
    yj_principal_t m;
    bool ok = id && yj_store_member_find(v->store, id, &m, NULL) == 0 &&
              (me->kind == YJ_PRINCIPAL_ADMIN ? yj_path_within(me->org_path, m.org_path)
                                              : strcmp(me->member_id, m.member_id) == 0);
    if (!ok)
        return yj_req_reply_error(req, 404, "not_found", "id_number", "no such member");
    /* Paged (issue 13): at most `limit` events per request, so memory and
     * the HTTP thread's time are bounded whatever the history's size. */
    const char *as = yj_req_query(req, "after"), *ls = yj_req_query(req, "limit");
    gint64 after = 0, limit = XAPI_PAGE;
    if (as && (!g_ascii_string_to_signed(as, 10, 0, G_MAXINT64, &after, NULL)))
        return yj_req_reply_error(req, 400, "invalid_after", "after",
                                  "after must be the \"next\" value of the previous page");
    if (ls && !g_ascii_string_to_signed(ls, 10, 1, XAPI_PAGE_MAX, &limit, NULL))
        return yj_req_reply_error(req, 400, "invalid_limit", "limit",
                                  "limit must be a whole number from 1 to %d", XAPI_PAGE_MAX);
    int64_t next = 0;
    json_t *hist =
        yj_store_vod_member_history_page(v->store, m.member_id, after, (int)limit, &next);
    if (!hist)
        return YJ_EDB;
    json_t *out = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(hist, i, l)
    {
        double dur = (double)json_integer_value(json_object_get(l, "duration_ms"));
        size_t j;
        json_t *e;
        json_array_foreach(json_object_get(l, "events"), j, e)
        {
            const char *ev = json_string_value(json_object_get(e, "event"));
            double pos = (double)json_integer_value(json_object_get(e, "position_ms")) / 1000;
            double w = (double)json_integer_value(json_object_get(e, "watched_ms"));
            json_t *ext = json_object();
            if (strcmp(ev, "seek") == 0) {
                json_t *from = json_object_get(e, "from_ms");
                if (json_is_integer(from))
                    json_object_set_new(ext, EXT "time-from",
                                        json_real((double)json_integer_value(from) / 1000));
                json_object_set_new(ext, EXT "time-to", json_real(pos));
            } else {
                json_object_set_new(ext, EXT "time", json_real(pos));
            }
            if (strcmp(ev, "play") != 0) {
                json_object_set_new(
                    ext, EXT "played-segments",
                    segments_of(json_string_value(json_object_get(e, "intervals"))));
                json_object_set_new(ext, EXT "progress",
                                    json_real(dur > 0 ? (double)(int)(w / dur * 1000) / 1000 : 0));
            }
            json_t *st = statement(v, &m, l, ev, json_integer_value(json_object_get(e, "at_ms")),
                                   json_pack("{s:o}", "extensions", ext));
            if (st)
                json_array_append_new(out, st);
        }
        json_t *done = json_object_get(l, "completed_at");
        if (json_is_integer(done) && after == 0) { /* completions: on the first page */
            double w = (double)json_integer_value(json_object_get(l, "watched_ms"));
            json_t *res = json_pack(
                "{s:b,s:{s:o,s:f,s:f}}", "completion", 1, "extensions", EXT "played-segments",
                segments_of(json_string_value(json_object_get(l, "intervals"))), EXT "progress",
                dur > 0 ? (double)(int)(w / dur * 1000) / 1000 : 0.0, EXT "time",
                (double)json_integer_value(json_object_get(l, "position_ms")) / 1000);
            json_t *st = statement(v, &m, l, "completed", json_integer_value(done) * 1000, res);
            if (st)
                json_array_append_new(out, st);
        }
    }
    json_decref(hist);
    json_t *reply = json_pack("{s:s,s:o}", "member", m.member_id, "statements", out);
    if (next) {
        char n[24];
        g_snprintf(n, sizeof n, "%" G_GINT64_FORMAT, next);
        json_object_set_new(reply, "next", json_string(n));
    } else {
        json_object_set_new(reply, "next", json_null());
    }
    return yj_req_reply_json(req, 200, reply);
}

int yj_vod_xapi_register(yj_vod_t *v, yj_http_t *http)
{
    return yj_http_route(http, "GET", "/api/v1/members/{id_number}/xapi",
                         YJ_ROUTE_AUTH | YJ_ROUTE_BACKGROUND, 0, member_xapi, v)
               ? YJ_EINVAL
               : 0;
}
