/* SPDX-License-Identifier: Apache-2.0 */
/*
 * body_input.h — the JSON bodies of the course and lesson routes (POST and
 * PATCH /api/v1/courses, the lesson fields of POST/PATCH /api/v1/lessons
 * and of an upload's completion) to validated fields, without the request
 * object, so the handlers and the fuzz targets (tests/fuzz/
 * fuzz_course_body.c, fuzz_lesson_body.c) share one parser. Only shape,
 * text and ranges are checked here; organisation codes are resolved
 * against the caller's subtree by the handlers. Never: keep a reference to
 * the body beyond its life, or touch the store.
 */
#ifndef YJ_VOD_BODY_INPUT_H
#define YJ_VOD_BODY_INPUT_H

#include "core/member_input.h"

#include <jansson.h>
#include <stdbool.h>

/* Course fields; strings borrowed from the body, NULL when absent. */
typedef struct {
    const char *title;       /* 1..200 characters, one line */
    const char *description; /* at most 4000 characters */
    const char *category;    /* at most 50 characters, one line */
    const char *org_code;    /* create only: a string, or NULL */
} yj_vod_course_input_t;

/* create: title required, org_code read. On a PATCH a given title must not
 * be empty. Returns 0 or YJ_EINVAL with *err filled. */
int yj_vod_course_input_from_json(json_t *body, bool create, yj_vod_course_input_t *out,
                                  yj_field_error_t *err);

/* Lesson fields. minutes/threshold are -1 when absent on a PATCH (a create
 * gets 45 minutes and 0.9). orgs: the "orgs" array borrowed from the body
 * (at most 1000 entries; its elements are for the handler to resolve), or
 * NULL when absent. */
typedef struct {
    const char *title;
    int minutes;      /* 0..6000, or -1 */
    double threshold; /* 0 < t <= 1, or -1 */
    json_t *orgs;
} yj_vod_lesson_input_t;

int yj_vod_lesson_input_from_json(json_t *body, bool create, yj_vod_lesson_input_t *out,
                                  yj_field_error_t *err);

#endif
