/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_route.c — libFuzzer target for HTTP route matching (http/http.c
 * find_route via yj_http_match) over a table shaped like the daemon's:
 * literal routes, {param} segments, several methods on one path, and
 * catch-alls ({path*}). Input: "METHOD path" (the path as MHD hands it
 * over, already percent-decoded). Invariants: a path holding a "." or
 * ".." segment never matches; a match's literal segments equal the
 * path's, a {param} captures one non-empty segment without '/', a
 * catch-all captures the non-empty rest; the method matches (HEAD may use
 * GET); no leak or overflow.
 */
#include "http/http.h"
#include "core/yj.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int h(yj_req_t *req, void *ud)
{
    (void)req;
    (void)ud;
    return 0;
}

static const char *const routes[][2] = {
    {"GET", "/healthz"},
    {"GET", "/api/v1/session"},
    {"POST", "/api/v1/session"},
    {"DELETE", "/api/v1/session"},
    {"GET", "/api/v1/me/sessions"},
    {"DELETE", "/api/v1/me/sessions/{id}"},
    {"GET", "/api/v1/members/{id_number}"},
    {"PATCH", "/api/v1/members/{id_number}"},
    {"PUT", "/api/v1/members/{id_number}/password"},
    {"DELETE", "/api/v1/members/{id_number}/sessions"},
    {"POST", "/api/v1/lessons/{id}/progress"},
    {"GET", "/api/v1/orgs/{code}/learning/ranking"},
    {"GET", "/hls/{lesson}/{exp}/{sig}/{file*}"},
    {"POST", "/whip/{room}"},
    {"PATCH", "/whip/{room}/{session}"},
    {"GET", "/{path*}"},
};

static yj_http_t *server(void)
{
    static yj_http_t *http;
    if (!http) {
        yj_http_options_t o = {0};
        http = yj_http_new(&o);
        for (size_t i = 0; i < G_N_ELEMENTS(routes); i++)
            if (yj_http_route(http, routes[i][0], routes[i][1], 0, 0, h, NULL))
                abort();
    }
    return http;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048)
        return 0;
    char *in = g_strndup((const char *)data, size);
    char *sp = strchr(in, ' ');
    if (!sp) {
        g_free(in);
        return 0;
    }
    *sp = 0;
    const char *method = in, *path = sp + 1;
    char *params[8];
    bool mismatch = false;
    const char *pat = yj_http_match(server(), method, path, params, 8, &mismatch);
    if (pat) {
        const char *m = NULL;
        for (size_t i = 0; i < G_N_ELEMENTS(routes); i++)
            if (routes[i][1] == pat &&
                (strcmp(routes[i][0], method) == 0 ||
                 (strcmp(routes[i][0], "GET") == 0 && strcmp(method, "HEAD") == 0)))
                m = routes[i][0];
        if (!m)
            abort(); /* matched under another method */
        const char *p = path;
        while (*p == '/')
            p++;
        char **segs = g_strsplit(p, "/", -1), **ps = g_strsplit(pat + 1, "/", -1);
        for (int i = 0; segs[i]; i++)
            if (!strcmp(segs[i], ".") || !strcmp(segs[i], ".."))
                abort();
        int k = 0;
        for (int i = 0; ps[i]; i++) {
            size_t pl = strlen(ps[i]);
            bool param = ps[i][0] == '{' && pl > 2 && ps[i][pl - 1] == '}';
            if (param && ps[i][pl - 2] == '*') {
                if (!params[k] || !params[k][0])
                    abort();
                char *rest = g_strjoinv("/", segs + i);
                if (strcmp(rest, params[k]) != 0)
                    abort();
                g_free(rest);
                break;
            }
            if (!segs[i])
                abort();
            if (param) {
                if (!params[k] || !params[k][0] || strchr(params[k], '/') ||
                    strcmp(params[k], segs[i]) != 0)
                    abort();
                k++;
            } else if (strcmp(ps[i], segs[i]) != 0) {
                abort();
            }
        }
        g_strfreev(segs);
        g_strfreev(ps);
    }
    for (int i = 0; i < 8; i++)
        g_free(params[i]);
    g_free(in);
    return 0;
}
