/* SPDX-License-Identifier: Apache-2.0 */
/*
 * library.c — courses and lessons: catalog search, CRUD for
 * administrators, and GET /api/v1/lessons/{id}, which gives a signed-in
 * member everything the player needs: the signed HLS URL, duration, hours
 * value and the resume point.
 *
 * Who sees what: an administrator manages courses owned by organisations
 * in their subtree and may look at (not change) courses of their ancestor
 * organisations; a member sees ready lessons assigned to their own
 * organisation or any ancestor of it. Anything else is a 404, never data.
 */
#include "library.h"
#include "body_input.h"
#include "serve.h"
#include "vod_internal.h"
#include "rules.h"
#include "core/log.h"
#include "core/member_input.h"
#include "core/yj.h"

#include <string.h>

/* Seconds near either end of a lesson where resuming makes no sense. */
#define RESUME_EDGE_MS 5000

static json_t *course_json(const yj_vod_course_t *c)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "id", (json_int_t)c->id, "title",
                     c->title, "description", c->description, "category", c->category, "org_code",
                     c->org_code, "created_by", c->created_by, "created_at",
                     (json_int_t)c->created_at, "updated_at", (json_int_t)c->updated_at);
}

static void scope_of(const yj_principal_t *p, yj_vod_scope_t *s)
{
    memset(s, 0, sizeof *s);
    if (p->kind == YJ_PRINCIPAL_MEMBER) {
        s->member_id = p->member_id;
        s->member_path = p->org_path;
    } else {
        s->admin_path = p->org_path;
    }
}

/* An administrator may view a course owned in their subtree or by an
 * ancestor organisation. */
static bool admin_may_view(const yj_principal_t *p, const char *course_org_path)
{
    return yj_path_within(p->org_path, course_org_path) ||
           g_str_has_prefix(p->org_path, course_org_path);
}

/* GET /api/v1/courses?q=&category=&limit=&offset= */
static int courses_list(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    yj_vod_scope_t sc;
    scope_of(yj_req_principal(req), &sc);
    int64_t limit, offset;
    if (!yj_req_query_int(req, "limit", 1, 500, 50, &limit) ||
        !yj_req_query_int(req, "offset", 0, 100000000, 0, &offset))
        return 0;
    json_t *out = yj_store_vod_courses(v->store, &sc, yj_req_query(req, "q"),
                                       yj_req_query(req, "category"), (int)limit, (int)offset);
    return out ? yj_req_reply_json(req, 200, out) : YJ_EDB;
}

/* POST /api/v1/courses {title, description, category, org_code?} */
static int course_create(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    const yj_principal_t *me = yj_req_principal(req);
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_vod_course_input_t in;
    yj_field_error_t fe;
    if (yj_vod_course_input_from_json(b, true, &in, &fe))
        return yj_req_reply_error(req, 400, fe.code, fe.field[0] ? fe.field : NULL, "%s",
                                  fe.message);
    const char *title = in.title, *desc = in.description, *cat = in.category;
    int64_t org = me->org_id;
    const char *code = in.org_code;
    if (code) {
        char path[256];
        if (yj_store_vod_org(v->store, code, &org, path, sizeof path) != 0 ||
            !yj_path_within(me->org_path, path))
            return yj_req_reply_error(req, 404, "unknown_org", "org_code",
                                      "no such organisation in your subtree");
    }
    int64_t id = 0;
    int rc = yj_store_vod_course_add(v->store, title, desc, cat, org, me->username, &id);
    if (rc)
        return rc;
    yj_vod_course_t c;
    if (yj_store_vod_course_get(v->store, id, &c))
        return YJ_EDB;
    json_t *out = course_json(&c);
    yj_vod_course_clear(&c);
    char loc[64];
    g_snprintf(loc, sizeof loc, "/api/v1/courses/%" G_GINT64_FORMAT, id);
    yj_req_add_header(req, "Location", loc);
    return yj_req_reply_json(req, 201, out);
}

/* GET /api/v1/courses/{id} — the course with its lessons in scope. */
static int course_get(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    const yj_principal_t *me = yj_req_principal(req);
    int64_t id = yj_vod_param_id(req, "id");
    yj_vod_course_t c;
    if (id <= 0 || yj_store_vod_course_get(v->store, id, &c) != 0)
        return yj_req_reply_error(req, 404, "not_found", "id", "no such course");
    yj_vod_scope_t sc;
    scope_of(me, &sc);
    bool ok = me->kind == YJ_PRINCIPAL_MEMBER || admin_may_view(me, c.org_path);
    json_t *lessons = ok ? yj_store_vod_course_lessons(v->store, id, &sc) : NULL;
    if (ok && !lessons) {
        yj_vod_course_clear(&c);
        return YJ_EDB;
    }
    if (!ok || (me->kind == YJ_PRINCIPAL_MEMBER && json_array_size(lessons) == 0)) {
        json_decref(lessons);
        yj_vod_course_clear(&c);
        return yj_req_reply_error(req, 404, "not_found", "id", "no such course");
    }
    json_t *out = course_json(&c);
    if (me->kind == YJ_PRINCIPAL_ADMIN)
        json_object_set_new(out, "editable",
                            json_boolean(yj_path_within(me->org_path, c.org_path)));
    json_object_set_new(out, "lessons", lessons);
    yj_vod_course_clear(&c);
    return yj_req_reply_json(req, 200, out);
}

/* PATCH /api/v1/courses/{id} {title?, description?, category?} */
static int course_patch(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_vod_course_t c;
    if (yj_vod_course_for_admin(v, req, yj_vod_param_id(req, "id"), &c))
        return 0;
    yj_vod_course_input_t in;
    yj_field_error_t fe;
    if (yj_vod_course_input_from_json(b, false, &in, &fe)) {
        yj_vod_course_clear(&c);
        return yj_req_reply_error(req, 400, fe.code, fe.field[0] ? fe.field : NULL, "%s",
                                  fe.message);
    }
    const char *title = in.title, *desc = in.description, *cat = in.category;
    int64_t id = c.id;
    yj_vod_course_clear(&c);
    int rc = yj_store_vod_course_update(v->store, id, title, desc, cat);
    if (rc)
        return yj_req_reply_errno(req, rc, "id");
    if (yj_store_vod_course_get(v->store, id, &c))
        return YJ_EDB;
    json_t *out = course_json(&c);
    yj_vod_course_clear(&c);
    return yj_req_reply_json(req, 200, out);
}

/* DELETE /api/v1/courses/{id} — only an empty course. */
static int course_delete(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    yj_vod_course_t c;
    if (yj_vod_course_for_admin(v, req, yj_vod_param_id(req, "id"), &c))
        return 0;
    int rc = yj_store_vod_course_delete(v->store, c.id);
    yj_vod_course_clear(&c);
    if (rc == YJ_EBUSY)
        return yj_req_reply_error(req, 409, "course_not_empty", "id",
                                  "delete the course's lessons first");
    if (rc)
        return yj_req_reply_errno(req, rc, "id");
    return yj_req_reply_data(req, 204, NULL, "", 0);
}

/* ------------------------------------------------------------------ */
/* lessons */

static json_t *lesson_json(yj_vod_t *v, const yj_vod_lesson_t *l, const yj_principal_t *me)
{
    json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:i,s:s,s:i,s:f,s:i,s:f,s:f,s:f,s:O,s:I}", "id",
                          (json_int_t)l->id, "course_id", (json_int_t)l->course_id, "course_title",
                          l->course_title, "title", l->title, "seq", l->seq, "status",
                          yj_vod_lesson_status_name(l->status), "percent", l->percent, "duration",
                          (double)l->duration_ms / 1000.0, "minutes", l->minutes, "hours",
                          (double)l->minutes / 60.0, "threshold", l->threshold, "needed",
                          (double)yj_vod_rules_needed_ms(l->duration_ms, l->threshold) / 1000.0,
                          "orgs", l->orgs, "updated_at", (json_int_t)l->updated_at);
    if (l->error)
        json_object_set_new(o, "error", json_string(l->error));
    json_object_set_new(o, "chapters", yj_store_vod_chapters(v->store, l->id));
    /* ready without a picture: a recorded meeting where nobody had video */
    json_object_set_new(o, "audio_only",
                        json_boolean(l->status == YJ_LESSON_READY && l->width <= 0));
    if (me->kind == YJ_PRINCIPAL_ADMIN) {
        json_t *r = json_loads(l->renditions ? l->renditions : "[]", 0, NULL);
        json_object_set_new(o, "renditions", r ? r : json_array());
        json_object_set_new(o, "width", json_integer(l->width));
        json_object_set_new(o, "height", json_integer(l->height));
    }
    if (l->status == YJ_LESSON_READY) {
        char viewer[96];
        if (me->kind == YJ_PRINCIPAL_MEMBER)
            g_snprintf(viewer, sizeof viewer, "m:%s", me->member_id);
        else
            g_snprintf(viewer, sizeof viewer, "a:%" G_GINT64_FORMAT, me->admin_id);
        g_autofree char *prefix = yj_vod_playback_prefix(v, l->id, viewer);
        if (prefix) {
            g_autofree char *path = g_strconcat(prefix, "master.m3u8", NULL);
            g_autofree char *poster = g_strconcat(prefix, "poster.jpg", NULL);
            const char *base = v->app->public_url ? v->app->public_url : "";
            g_autofree char *url = g_strconcat(base, path, NULL);
            json_object_set_new(o, "hls_path", json_string(path));
            json_object_set_new(o, "hls_url", json_string(url));
            if (l->width > 0) /* an audio lesson has no picture */
                json_object_set_new(o, "poster_path", json_string(poster));
        }
    }
    return o;
}

/* The member's saved state for the lesson: last position, resume point
 * (null when there is nothing sensible to resume), watched seconds. */
static json_t *progress_json(yj_vod_t *v, const yj_vod_lesson_t *l, const char *member_id)
{
    yj_vod_progress_row_t r;
    if (yj_store_vod_progress_get(v->store, member_id, l->id, &r) != 0)
        return json_null();
    bool resumable = r.exists && r.position_ms >= RESUME_EDGE_MS &&
                     r.position_ms < l->duration_ms - RESUME_EDGE_MS;
    json_t *o =
        json_pack("{s:f,s:o,s:f,s:i,s:b,s:o}", "position", (double)r.position_ms / 1000, "resume",
                  resumable ? json_real((double)r.position_ms / 1000) : json_null(), "watched",
                  (double)r.watched_ms / 1000, "percent",
                  l->duration_ms > 0 ? (int)(r.watched_ms * 100 / l->duration_ms) : 0, "completed",
                  r.completed_at != 0, "completed_at",
                  r.completed_at ? json_integer(r.completed_at) : json_null());
    yj_vod_progress_row_clear(&r);
    return o;
}

/* The lesson if the caller may see it; else queues 404. */
static int lesson_for(yj_vod_t *v, yj_req_t *req, yj_vod_lesson_t *l)
{
    const yj_principal_t *me = yj_req_principal(req);
    int64_t id = yj_vod_param_id(req, "id");
    int rc = id > 0 ? yj_store_vod_lesson_get(v->store, id, l) : YJ_ENOENT;
    if (rc && rc != YJ_ENOENT) {
        yj_req_reply_errno(req, rc, NULL);
        return rc;
    }
    bool ok = rc == 0 && (me->kind == YJ_PRINCIPAL_ADMIN
                              ? admin_may_view(me, l->course_org_path)
                              : yj_store_vod_lesson_visible(v->store, id, me->org_path));
    if (!ok) {
        if (rc == 0)
            yj_vod_lesson_clear(l);
        yj_req_reply_error(req, 404, "not_found", "id", "no such lesson");
        return YJ_ENOENT;
    }
    return 0;
}

/* GET /api/v1/lessons/{id} */
static int lesson_get(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    const yj_principal_t *me = yj_req_principal(req);
    yj_vod_lesson_t l;
    if (lesson_for(v, req, &l))
        return 0;
    json_t *out = lesson_json(v, &l, me);
    if (me->kind == YJ_PRINCIPAL_MEMBER)
        json_object_set_new(out, "progress", progress_json(v, &l, me->member_id));
    else
        json_object_set_new(out, "editable",
                            json_boolean(yj_path_within(me->org_path, l.course_org_path)));
    yj_vod_lesson_clear(&l);
    return yj_req_reply_json(req, 200, out);
}

/* The lesson if the administrator may change it; else queues 404/403. */
static int lesson_for_admin(yj_vod_t *v, yj_req_t *req, yj_vod_lesson_t *l)
{
    if (lesson_for(v, req, l))
        return YJ_ENOENT;
    if (!yj_path_within(yj_req_principal(req)->org_path, l->course_org_path)) {
        yj_vod_lesson_clear(l);
        yj_req_reply_error(req, 403, "forbidden", "id",
                           "the lesson belongs to a higher organisation's course");
        return YJ_EPERM;
    }
    return 0;
}

/* PATCH /api/v1/lessons/{id} {title?, hours|minutes?, threshold?, orgs?, seq?} */
static int lesson_patch(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    yj_vod_lesson_t l;
    if (lesson_for_admin(v, req, &l))
        return 0;
    int64_t id = l.id;
    yj_vod_lesson_clear(&l);
    yj_vod_lesson_spec_t spec;
    if (yj_vod_lesson_spec(v, req, b, false, &spec))
        return 0;
    json_t *seq = json_object_get(b, "seq");
    if (seq && (!json_is_integer(seq) || json_integer_value(seq) < 0 ||
                json_integer_value(seq) > 100000)) {
        g_free(spec.org_ids);
        return yj_req_reply_error(req, 400, "invalid_seq", "seq",
                                  "seq is the lesson's place in its course, 0 to 100000");
    }
    yj_vod_lesson_patch_t p = {
        .title = spec.title,
        .minutes = spec.minutes,
        .threshold = spec.threshold,
        .seq = seq ? (int)json_integer_value(seq) : -1,
        .org_ids = spec.org_ids,
        .n_orgs = spec.n_orgs,
        .set_orgs = spec.has_orgs,
    };
    int rc = yj_store_vod_lesson_update(v->store, id, &p);
    g_free(spec.org_ids);
    if (rc)
        return yj_req_reply_errno(req, rc, "id");
    if (yj_store_vod_lesson_get(v->store, id, &l))
        return YJ_EDB;
    json_t *out = lesson_json(v, &l, yj_req_principal(req));
    yj_vod_lesson_clear(&l);
    return yj_req_reply_json(req, 200, out);
}

/* DELETE /api/v1/lessons/{id} — the lesson, its media and progress; the
 * ledger keeps credits already earned. */
static int lesson_delete(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    yj_vod_lesson_t l;
    if (lesson_for_admin(v, req, &l))
        return 0;
    int64_t id = l.id;
    yj_vod_lesson_clear(&l);
    int rc = yj_store_vod_lesson_delete(v->store, id);
    if (rc)
        return yj_req_reply_errno(req, rc, "id");
    g_autofree char *dir = yj_vod_lesson_dir(v, id);
    yj_vod_rm_tree(dir);
    yj_vod_serve_forget(v, id);
    yj_info("vod", "lesson %" G_GINT64_FORMAT " deleted by %s", id,
            yj_req_principal(req)->username);
    return yj_req_reply_data(req, 204, NULL, "", 0);
}

int yj_vod_library_register(yj_vod_t *v, yj_http_t *http)
{
    int rc = 0;
    rc |= yj_http_route(http, "GET", "/api/v1/courses", YJ_ROUTE_AUTH, 0, courses_list, v);
    rc |= yj_http_route(http, "POST", "/api/v1/courses", YJ_ROUTE_ADMIN, 0, course_create, v);
    rc |= yj_http_route(http, "GET", "/api/v1/courses/{id}", YJ_ROUTE_AUTH, 0, course_get, v);
    rc |= yj_http_route(http, "PATCH", "/api/v1/courses/{id}", YJ_ROUTE_ADMIN, 0, course_patch, v);
    rc |=
        yj_http_route(http, "DELETE", "/api/v1/courses/{id}", YJ_ROUTE_ADMIN, 0, course_delete, v);
    rc |= yj_http_route(http, "GET", "/api/v1/lessons/{id}", YJ_ROUTE_AUTH, 0, lesson_get, v);
    rc |= yj_http_route(http, "PATCH", "/api/v1/lessons/{id}", YJ_ROUTE_ADMIN, 0, lesson_patch, v);
    rc |=
        yj_http_route(http, "DELETE", "/api/v1/lessons/{id}", YJ_ROUTE_ADMIN, 0, lesson_delete, v);
    return rc ? YJ_EINVAL : 0;
}
