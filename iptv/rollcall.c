/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rollcall.c — attendance at a station (集中收看) for creditable
 * programmes: two codes per occurrence, one shown at the start and one
 * near the end, each valid in its window; a member who gives both (or
 * whose station operator gives both for them) is credited the
 * programme's minutes once, as ledger kind "broadcast" with source
 * "iptv:<programme>:<occurrence start ms>".
 *
 * Codes are not stored: each is six digits of an HMAC (settings key
 * iptv.rollcall_key) over the programme, the occurrence and the phase, so
 * the playout and this file compute the same code and a code from one
 * occurrence is worthless in another. A wrong, early, late or already
 * used code is refused with a code the pages translate, and changes
 * nothing; the second code credits the ledger in the same transaction
 * that records it (store_stations.c).
 */
#include "iptv_internal.h"
#include "core/crypto.h"
#include "core/idnum.h"
#include "core/yj.h"

#include <stdlib.h>
#include <string.h>

/* minutes after the end during which the end code is still taken */
#define GRACE_MS (5 * 60 * 1000)

void yj_iptv_rollcall_code(yj_iptv_t *v, int64_t programme_id, int64_t occ_start_ms, int phase,
                           char code[8])
{
    char msg[96], hex[65];
    g_snprintf(msg, sizeof msg, "rollcall:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":%d",
               programme_id, occ_start_ms, phase);
    g_autofree char *mac = yj_hmac_b64(v->rollcall_key, strlen(v->rollcall_key), msg);
    yj_sha256_hex(mac ? mac : msg, strlen(mac ? mac : msg), hex);
    hex[12] = 0;
    unsigned long long n = strtoull(hex, NULL, 16);
    g_snprintf(code, 8, "%06llu", n % 1000000ULL);
}

void yj_iptv_rollcall_window(yj_iptv_t *v, int64_t occ_start_ms, int64_t occ_end_ms, int phase,
                             int64_t *from_ms, int64_t *to_ms)
{
    int64_t w = (int64_t)v->rollcall_window * 60000;
    if (phase == 1) {
        *from_ms = occ_start_ms;
        *to_ms = MIN(occ_start_ms + w, occ_end_ms);
    } else {
        *from_ms = MAX(occ_end_ms - w, MIN(occ_start_ms + w, occ_end_ms));
        *to_ms = occ_end_ms + GRACE_MS;
    }
}

/* The creditable occurrence a code given at now may belong to: the one
 * on now, or one that ended less than GRACE_MS ago. */
typedef struct {
    int64_t programme_id, occ_start, occ_end;
    int minutes;
    char title[256];
} occ_info_t;

static size_t candidates(yj_iptv_t *v, int64_t channel_id, int64_t now, occ_info_t out[2])
{
    size_t n = 0;
    yj_iptv_loaded_t *l = yj_iptv_load(v, channel_id, now - YJ_IPTV_HORIZON_MS);
    if (!l)
        return 0;
    int64_t at[2] = {now, now - GRACE_MS};
    for (int i = 0; i < 2; i++) {
        yj_iptv_slot_t sn, sx;
        yj_iptv_schedule_at(l->e, l->n, at[i], &sn, &sx);
        const yj_iptv_prog_t *p = sn.entry ? yj_iptv_loaded_prog(l, sn.entry) : NULL;
        if (!p || !p->creditable)
            continue;
        if (n == 1 && out[0].programme_id == p->id && out[0].occ_start == sn.occ_start_ms)
            continue;
        out[n] = (occ_info_t){p->id, sn.occ_start_ms, sn.occ_end_ms, p->minutes, ""};
        g_strlcpy(out[n].title, p->title ? p->title : "", sizeof out[n].title);
        n++;
    }
    yj_iptv_loaded_free(l);
    return n;
}

/* POST /api/v1/rollcall {channel_id, code, station_id?, members?[]} —
 * a member confirms for themself; a station (?key=) or an administrator
 * confirms for members of its organisation's subtree. */
static int confirm(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    if (yj_iptv_viewer(v, req, &who))
        return 0;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    const yj_principal_t *me = yj_req_principal(req);
    json_t *jch = json_object_get(b, "channel_id"), *jcode = json_object_get(b, "code");
    if (!json_is_integer(jch) || json_integer_value(jch) < 1)
        return yj_req_reply_error(req, 400, "invalid_field", "channel_id",
                                  "channel_id is the channel being watched");
    const char *code = json_is_string(jcode) ? json_string_value(jcode) : NULL;
    if (!code || strlen(code) != 6 || strspn(code, "0123456789") != 6)
        return yj_req_reply_error(req, 400, "code_malformed", "code",
                                  "the code is the six digits shown on the screen");
    yj_iptv_channel_t c;
    if (yj_iptv_channel_for(v, req, &who, json_integer_value(jch), &c))
        return 0;
    int64_t station_id = who.station_id;
    json_t *jst = json_object_get(b, "station_id");
    if (jst && !station_id) {
        yj_iptv_station_t s;
        if (!json_is_integer(jst) ||
            yj_iptv_store_station_get(v->store, json_integer_value(jst), &s))
            return yj_req_reply_error(req, 404, "unknown_station", "station_id", "no such station");
        station_id = s.id;
    }
    /* who is confirmed */
    GPtrArray *ids = g_ptr_array_new();
    const char *within = NULL, *by = NULL;
    char by_buf[96];
    json_t *jm = json_object_get(b, "members");
    if (me && me->kind == YJ_PRINCIPAL_MEMBER && !who.station_id) {
        if (jm) {
            g_ptr_array_free(ids, TRUE);
            return yj_req_reply_error(req, 403, "forbidden", "members",
                                      "a member confirms only for themself");
        }
        g_ptr_array_add(ids, (gpointer)me->member_id);
        by = "member";
    } else {
        if (!json_is_array(jm) || json_array_size(jm) < 1 || json_array_size(jm) > 200) {
            g_ptr_array_free(ids, TRUE);
            return yj_req_reply_error(req, 400, "invalid_members", "members",
                                      "members is a list of 1 to 200 identity numbers");
        }
        size_t i;
        json_t *e;
        json_array_foreach(jm, i, e)
        {
            yj_idnum_t idn;
            if (!json_is_string(e) || yj_idnum_parse(json_string_value(e), &idn) != YJ_IDNUM_OK) {
                g_ptr_array_free(ids, TRUE);
                return yj_req_reply_error(req, 400, "invalid_id_number", "members",
                                          "members[%zu] is not a valid identity number", i);
            }
            g_ptr_array_add(ids, (gpointer)json_string_value(e));
        }
        within = who.viewer_path ? who.viewer_path : who.admin_path;
        if (who.station_id)
            g_snprintf(by_buf, sizeof by_buf, "station:%" G_GINT64_FORMAT, who.station_id);
        else
            g_snprintf(by_buf, sizeof by_buf, "admin:%s", me ? me->username : "");
        by = by_buf;
    }
    /* which occurrence and phase the code belongs to */
    int64_t now = g_get_real_time() / 1000;
    occ_info_t occ[2];
    size_t n = candidates(v, c.id, now, occ);
    int phase = 0;
    const occ_info_t *hit = NULL;
    const char *why = NULL;
    for (size_t i = 0; i < n && !phase; i++) {
        for (int ph = 1; ph <= 2 && !phase; ph++) {
            char want[8];
            yj_iptv_rollcall_code(v, occ[i].programme_id, occ[i].occ_start, ph, want);
            if (!yj_str_equal_ct(want, code))
                continue;
            int64_t from, to;
            yj_iptv_rollcall_window(v, occ[i].occ_start, occ[i].occ_end, ph, &from, &to);
            if (now < from)
                why = "code_early";
            else if (now >= to)
                why = "code_late";
            else {
                phase = ph;
                hit = &occ[i];
            }
        }
    }
    if (!phase) {
        g_ptr_array_free(ids, TRUE);
        if (why && !strcmp(why, "code_late"))
            return yj_req_reply_error(req, 409, "code_late", "code", "this code's time is over");
        if (why)
            return yj_req_reply_error(req, 409, "code_early", "code", "this code is not valid yet");
        if (!n)
            return yj_req_reply_error(req, 409, "no_rollcall", "channel_id",
                                      "no roll-call is open on this channel now");
        return yj_req_reply_error(req, 400, "code_wrong", "code",
                                  "the code is not the one on the screen");
    }
    char source[96], reason[300];
    g_snprintf(source, sizeof source, "iptv:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
               hit->programme_id, hit->occ_start);
    g_snprintf(reason, sizeof reason, "集中收看：%s", hit->title);
    json_t *results = json_array();
    int ok = 0;
    for (guint i = 0; i < ids->len; i++) {
        yj_iptv_confirm_t cf = {
            .programme_id = hit->programme_id,
            .occ_start_ms = hit->occ_start,
            .member_id = g_ptr_array_index(ids, i),
            .station_id = station_id,
            .phase = phase,
            .at_ms = now,
            .by_whom = by,
            .within = within,
            .minutes = hit->minutes > 0 ? hit->minutes : 1,
            .source_id = source,
            .reason = reason,
        };
        int rc = yj_iptv_store_confirm(v->store, &cf);
        const char *res = rc == 0           ? (phase == 1 ? "start_confirmed" : "credited")
                          : rc == YJ_EEXIST ? "code_used"
                          : rc == YJ_ESTATE ? "start_missing"
                          : rc == YJ_ENOENT ? "unknown_member"
                                            : "error";
        if (!rc)
            ok++;
        json_array_append_new(results, json_pack("{s:s,s:s,s:b}", "id_number", cf.member_id,
                                                 "result", res, "credited", cf.credited));
    }
    g_ptr_array_free(ids, TRUE);
    if (!ok && json_array_size(results) == 1) {
        char res[32];
        g_strlcpy(res, json_string_value(json_object_get(json_array_get(results, 0), "result")),
                  sizeof res);
        json_decref(results);
        if (!strcmp(res, "code_used"))
            return yj_req_reply_error(req, 409, "code_used", "code", "this code was given already");
        if (!strcmp(res, "start_missing"))
            return yj_req_reply_error(req, 409, "start_missing", "code",
                                      "the start code was not given; this one alone does not "
                                      "count");
        if (!strcmp(res, "unknown_member"))
            return yj_req_reply_error(req, 404, "unknown_member", "members",
                                      "no such member in your organisation");
        return YJ_EDB;
    }
    return yj_req_reply_json(req, 200,
                             json_pack("{s:I,s:I,s:i,s:i,s:o}", "programme_id",
                                       (json_int_t)hit->programme_id, "occurrence_start_ms",
                                       (json_int_t)hit->occ_start, "phase", phase, "confirmed", ok,
                                       "results", results));
}

/* GET /api/v1/channels/{id}/rollcall — the code open now (administrators
 * of the channel; the playout calls yj_iptv_rollcall_current). */
static int current(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    yj_iptv_channel_t c;
    if (yj_iptv_viewer(v, req, &who) ||
        yj_iptv_channel_for(v, req, &who, yj_iptv_param_id(req, "id"), &c))
        return 0;
    int64_t now = g_get_real_time() / 1000;
    occ_info_t occ[2];
    size_t n = candidates(v, c.id, now, occ);
    json_t *open = json_array();
    for (size_t i = 0; i < n; i++) {
        for (int ph = 1; ph <= 2; ph++) {
            int64_t from, to;
            yj_iptv_rollcall_window(v, occ[i].occ_start, occ[i].occ_end, ph, &from, &to);
            if (now < from || now >= to)
                continue;
            char code[8];
            yj_iptv_rollcall_code(v, occ[i].programme_id, occ[i].occ_start, ph, code);
            json_array_append_new(open, json_pack("{s:I,s:s,s:o,s:i,s:s,s:o,s:o}", "programme_id",
                                                  (json_int_t)occ[i].programme_id, "title",
                                                  occ[i].title, "occurrence_start",
                                                  yj_iptv_time_json(occ[i].occ_start), "phase", ph,
                                                  "code", code, "from", yj_iptv_time_json(from),
                                                  "until", yj_iptv_time_json(to)));
        }
    }
    return yj_req_reply_json(req, 200, json_pack("{s:o}", "open", open));
}

/* GET /api/v1/channels/{id}/programmes/{pid}/rollcall?start= */
static int report(yj_req_t *req, void *ud)
{
    yj_iptv_t *v = ud;
    yj_iptv_viewer_t who;
    yj_iptv_channel_t c;
    if (yj_iptv_viewer(v, req, &who) ||
        yj_iptv_channel_for(v, req, &who, yj_iptv_param_id(req, "id"), &c))
        return 0;
    yj_iptv_prog_t p = {0};
    int64_t pid = yj_iptv_param_id(req, "pid"), start = 0;
    if (!pid || yj_iptv_store_prog_get(v->store, pid, &p) || p.channel_id != c.id) {
        yj_iptv_prog_clear(&p);
        return yj_req_reply_error(req, 404, "not_found", "pid", "no such programme");
    }
    const char *ss = yj_req_query(req, "start");
    if (ss && !yj_iptv_parse_time(ss, &start)) {
        yj_iptv_prog_clear(&p);
        return yj_req_reply_error(req, 400, "invalid_time", "start",
                                  "start is the occurrence's start with an explicit offset");
    }
    json_t *occs = yj_iptv_store_rollcall_report(v->store, pid, start);
    json_t *o = occs ? json_pack("{s:I,s:s,s:b,s:i,s:o}", "programme_id", (json_int_t)pid, "title",
                                 p.title ? p.title : "", "creditable", p.creditable, "minutes",
                                 p.minutes, "occurrences", occs)
                     : NULL;
    yj_iptv_prog_clear(&p);
    if (!o)
        return YJ_EDB;
    size_t i;
    json_t *oc;
    json_array_foreach(json_object_get(o, "occurrences"), i, oc)
    {
        json_object_set_new(oc, "start",
                            yj_iptv_time_json(json_integer_value(json_object_get(oc, "start_ms"))));
    }
    return yj_req_reply_json(req, 200, o);
}

int yj_iptv_rollcall_register(yj_iptv_t *v, yj_http_t *http)
{
    int rc = yj_http_route(http, "POST", "/api/v1/rollcall", YJ_ROUTE_PUBLIC, 0, confirm, v);
    rc |=
        yj_http_route(http, "GET", "/api/v1/channels/{id}/rollcall", YJ_ROUTE_ADMIN, 0, current, v);
    rc |= yj_http_route(http, "GET", "/api/v1/channels/{id}/programmes/{pid}/rollcall",
                        YJ_ROUTE_ADMIN, 0, report, v);
    return rc;
}
