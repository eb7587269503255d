/* SPDX-License-Identifier: Apache-2.0 */
/*
 * progress.c — POST/GET /api/v1/lessons/{id}/progress: the player's
 * reports of where it is and what was watched since the last report.
 *
 * The handler parses the report (rules.c), checks that the lesson is
 * visible to the member, then applies it inside one write transaction
 * (store_vod.c): load the stored union, decide with the rules, write the
 * new state, the event row and — when the union first reaches the
 * threshold — the ledger's credit row. The reply is sent only after the
 * commit, so an acknowledged report survives kill -9 (WAL).
 *
 * Group commit: concurrent reports share one transaction. A handler
 * queues its report; if no transaction is running it becomes the leader,
 * takes everything queued and applies it in one BEGIN … COMMIT (each
 * report still decided on its own), then wakes the others. Alone, a report
 * commits at once; under load, BEGIN/COMMIT and the WAL write are paid once
 * per batch instead of once per report.
 *
 * The page sends reports with navigator.sendBeacon on page-hide, which
 * cannot set headers: the session cookie authenticates it and the body is
 * read as JSON whatever its Content-Type says.
 */
#include "progress.h"
#include "rules.h"
#include "vod_internal.h"
#include "core/metrics.h"
#include "core/yj.h"

#include <string.h>

typedef struct {
    const yj_vod_rules_report_t *report;
    int64_t now_ms;
    yj_vod_rules_error_t err;
    int64_t watched_ms;
    int64_t duration_ms;
    bool completed;
} decide_ctx_t;

/* The store's callback: turns the stored row + the report into the new
 * row, or refuses (non-zero, nothing written). */
static int decide(yj_vod_progress_op_t *op, void *ud)
{
    (void)ud;
    decide_ctx_t *c = op->ud;
    c->duration_ms = op->duration_ms;
    if (!op->lesson_ready) {
        g_strlcpy(c->err.field, "id", sizeof c->err.field);
        g_strlcpy(c->err.code, "not_ready", sizeof c->err.code);
        g_strlcpy(c->err.message, "the lesson is not ready to play", sizeof c->err.message);
        return YJ_ESTATE;
    }
    yj_vod_rules_state_t prev = {0};
    if (op->prev.exists) {
        prev.exists = true;
        prev.position_ms = op->prev.position_ms;
        prev.updated_ms = op->prev.updated_ms;
        prev.completed = op->prev.completed_at != 0;
        prev.has_budget = op->prev.has_budget;
        prev.budget_ms = op->prev.budget_ms;
        prev.budget_at_ms = op->prev.budget_at_ms;
        if (yj_intervals_from_json(&prev.watched, op->prev.intervals) != 0)
            yj_intervals_clear(&prev.watched); /* unreadable: start over, never crash */
    }
    yj_vod_rules_state_t next;
    bool credit = false;
    int rc = yj_vod_rules_decide(&prev, c->report, op->duration_ms, op->threshold, c->now_ms, &next,
                                 &credit, &c->err);
    yj_intervals_clear(&prev.watched);
    if (rc)
        return rc;
    op->position_ms = next.position_ms;
    op->watched_ms = yj_intervals_total(&next.watched);
    op->updated_ms = next.updated_ms;
    op->budget_ms = next.budget_ms;
    op->budget_at_ms = next.budget_at_ms;
    op->intervals = yj_intervals_to_json(&next.watched);
    op->complete = next.completed;
    op->from_ms = c->report->from_ms;
    op->event =
        c->report->event == YJ_EV_PROGRESS ? NULL : yj_vod_rules_event_name(c->report->event);
    c->watched_ms = op->watched_ms;
    c->completed = next.completed;
    yj_intervals_clear(&next.watched);
    return 0;
}

enum { R_ACCEPTED, R_REFUSED, R_INVALID, R_CREDITED, R_N };
static yj_counter_t *counters[R_N];

/* Looked up once: registration takes a lock, updates are atomic. */
static void count(int which)
{
    static const char *const names[R_N] = {
        "yj_vod_progress_reports_total{result=\"accepted\"}",
        "yj_vod_progress_reports_total{result=\"refused\"}",
        "yj_vod_progress_reports_total{result=\"invalid\"}",
        "yj_vod_lessons_credited_total",
    };
    yj_counter_t *c = g_atomic_pointer_get(&counters[which]);
    if (!c) {
        c = yj_metrics_counter(names[which], which == R_CREDITED
                                                 ? "Lessons credited to members' records"
                                                 : "Progress reports by result");
        g_atomic_pointer_set(&counters[which], c);
    }
    yj_counter_add(c, 1);
}

#define MAX_BATCH 256

typedef struct {
    yj_vod_progress_op_t *op;
    int rc;
    bool done;
} pending_t;

/* Group commit: yj_vod_t's gc_* fields, guarded by gc_lock. */

/* Applies op together with whatever other reports are waiting; returns
 * the transaction's result (op->result holds the report's own). */
static int apply_grouped(yj_vod_t *v, yj_vod_progress_op_t *op)
{
    pending_t me = {op, 0, false};
    g_mutex_lock(&v->gc_lock);
    if (!v->gc_queue)
        v->gc_queue = g_ptr_array_new();
    g_ptr_array_add(v->gc_queue, &me);
    while (!me.done) {
        if (v->gc_leader) {
            g_cond_wait(&v->gc_cond, &v->gc_lock);
            continue;
        }
        v->gc_leader = true;
        guint n = MIN(v->gc_queue->len, MAX_BATCH);
        pending_t *batch[MAX_BATCH];
        memcpy(batch, v->gc_queue->pdata, n * sizeof(pending_t *));
        g_ptr_array_remove_range(v->gc_queue, 0, n);
        g_mutex_unlock(&v->gc_lock);
        yj_vod_progress_op_t ops[MAX_BATCH];
        for (guint i = 0; i < n; i++)
            ops[i] = *batch[i]->op;
        int rc = yj_store_vod_progress_apply(v->store, ops, n, decide, NULL);
        g_mutex_lock(&v->gc_lock);
        for (guint i = 0; i < n; i++) {
            *batch[i]->op = ops[i];
            batch[i]->rc = rc;
            batch[i]->done = true;
        }
        v->gc_leader = false;
        g_cond_broadcast(&v->gc_cond);
    }
    g_mutex_unlock(&v->gc_lock);
    return me.rc;
}

/* POST /api/v1/lessons/{id}/progress {position, intervals, event, from} */
static int progress_post(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    const yj_principal_t *me = yj_req_principal(req);
    int64_t id = yj_vod_param_id(req, "id");
    size_t len = 0;
    const char *body = yj_req_body(req, &len);
    yj_vod_rules_report_t r;
    yj_vod_rules_error_t perr;
    if (yj_vod_rules_parse(body, len, &r, &perr) != 0) {
        count(R_INVALID);
        return yj_req_reply_error(req, 400, perr.code, perr.field, "%s", perr.message);
    }
    if (id <= 0) {
        yj_vod_rules_report_clear(&r);
        return yj_req_reply_error(req, 404, "not_found", "id", "no such lesson");
    }
    decide_ctx_t c = {.report = &r, .now_ms = yj_vod_now_ms()};
    yj_vod_progress_op_t op = {
        .member_id = me->member_id, .member_path = me->org_path, .lesson_id = id, .ud = &c};
    int rc = apply_grouped(v, &op);
    yj_vod_rules_report_clear(&r);
    if (rc)
        return rc;
    if (op.result == YJ_ENOENT)
        return yj_req_reply_error(req, 404, "not_found", "id", "no such lesson");
    if (op.result) {
        count(R_REFUSED);
        return yj_req_reply_error(req, op.result == YJ_ESTATE ? 409 : 400, c.err.code, c.err.field,
                                  "%s", c.err.message);
    }
    count(R_ACCEPTED);
    if (op.credited)
        count(R_CREDITED);
    return yj_req_reply_json(
        req, 200,
        json_pack("{s:f,s:f,s:i,s:b,s:b}", "position", (double)op.position_ms / 1000, "watched",
                  (double)c.watched_ms / 1000, "percent",
                  c.duration_ms > 0 ? (int)(c.watched_ms * 100 / c.duration_ms) : 0, "completed",
                  c.completed, "credited", op.credited));
}

/* GET /api/v1/lessons/{id}/progress — the member's stored state. */
static int progress_get(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    const yj_principal_t *me = yj_req_principal(req);
    int64_t id = yj_vod_param_id(req, "id");
    if (id <= 0 || !yj_store_vod_lesson_visible(v->store, id, me->org_path))
        return yj_req_reply_error(req, 404, "not_found", "id", "no such lesson");
    yj_vod_progress_row_t row;
    int rc = yj_store_vod_progress_get(v->store, me->member_id, id, &row);
    if (rc)
        return rc;
    yj_intervals_t set = {0};
    if (row.exists)
        yj_intervals_from_json(&set, row.intervals);
    json_t *iv = json_array();
    for (size_t i = 0; i < set.n; i++)
        json_array_append_new(
            iv, json_pack("[f,f]", (double)set.v[i].start / 1000, (double)set.v[i].end / 1000));
    json_t *out =
        json_pack("{s:b,s:f,s:f,s:o,s:b}", "started", row.exists, "position",
                  (double)row.position_ms / 1000, "watched", (double)row.watched_ms / 1000,
                  "intervals", iv, "completed", row.completed_at != 0);
    yj_intervals_clear(&set);
    yj_vod_progress_row_clear(&row);
    return yj_req_reply_json(req, 200, out);
}

int yj_vod_progress_register(yj_vod_t *v, yj_http_t *http)
{
    int rc = 0;
    rc |= yj_http_route(http, "POST", "/api/v1/lessons/{id}/progress", YJ_ROUTE_MEMBER,
                        YJ_VOD_RULES_MAX_BODY, progress_post, v);
    rc |= yj_http_route(http, "GET", "/api/v1/lessons/{id}/progress", YJ_ROUTE_MEMBER, 0,
                        progress_get, v);
    return rc ? YJ_EINVAL : 0;
}
