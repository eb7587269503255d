/* SPDX-License-Identifier: Apache-2.0 */
/*
 * portal.c — system routes and static pages.
 *
 * The OpenAPI document is assembled at start from the fragments in
 * docs/openapi/ (one per subsystem, each {"paths":…, "components":…}), so
 * whoever adds a route documents it beside its peers; a test compares the
 * document with the registered routes.
 */
#include "portal.h"
#include "auth.h"
#include "api.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"

#include <glib.h>
#include <string.h>

struct yj_portal {
    yj_app_t *app;   /* borrowed */
    json_t *openapi; /* owned: the merged OpenAPI document */
    yj_auth_t *auth; /* owned: sign-in routes and their limiter */
};

static int healthz(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    return yj_req_reply_json(req, 200,
                             json_pack("{s:s,s:s,s:i}", "status", "ok", "version", YJ_VERSION,
                                       "schema", yj_store_version(app->store)));
}

static int metrics(yj_req_t *req, void *ud)
{
    (void)ud;
    char *text = yj_metrics_render();
    int rc =
        yj_req_reply_data(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    g_free(text);
    return rc;
}

static const char *openapi_dir(yj_app_t *app)
{
    return yj_config_string(app->cfg, "portal", "openapi_dir", YJ_SOURCE_DIR "/docs/openapi");
}

json_t *yj_portal_openapi(yj_app_t *app, char **err)
{
    const char *dir = openapi_dir(app);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d) {
        *err = g_strdup_printf("cannot open OpenAPI folder %s", dir);
        return NULL;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".json"))
            g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    json_t *doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:[{s:s}],s:{},s:{s:{},s:{}}}", "openapi",
                            "3.0.3", "info", "title", "yuanjiao API", "version", YJ_VERSION,
                            "description", "远教 distance-education media server", "servers", "url",
                            "/", "paths", "components", "schemas", "securitySchemes");
    json_t *paths = json_object_get(doc, "paths");
    json_t *comp = json_object_get(doc, "components");
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *file = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
        json_error_t e;
        json_t *frag = json_load_file(file, 0, &e);
        if (!frag) {
            *err = g_strdup_printf("%s:%d: %s", file, e.line, e.text);
            json_decref(doc);
            g_ptr_array_free(names, TRUE);
            return NULL;
        }
        const char *path;
        json_t *item;
        json_object_foreach(json_object_get(frag, "paths"), path, item)
        {
            json_t *have = json_object_get(paths, path);
            if (have)
                json_object_update(have, item);
            else
                json_object_set(paths, path, item);
        }
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(frag, "components"), k, v)
        {
            json_t *mine = json_object_get(comp, k);
            if (mine)
                json_object_update(mine, v);
            else
                json_object_set(comp, k, v);
        }
        json_decref(frag);
    }
    g_ptr_array_free(names, TRUE);
    return doc;
}

static int openapi(yj_req_t *req, void *ud)
{
    yj_portal_t *P = ud;
    return yj_req_reply_json(req, 200, json_incref(P->openapi));
}

static int web_file(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    const char *rel = yj_req_param(req, "path");
    if (!rel)
        rel = "index.html";
    if (g_str_has_prefix(rel, "api/"))
        return yj_req_reply_error(req, 404, "not_found", NULL, "no such API route: %s",
                                  yj_req_path(req));
    g_autofree char *file = g_build_filename(app->web_dir, rel, NULL);
    if (g_file_test(file, G_FILE_TEST_IS_DIR)) {
        g_free(file);
        file = g_build_filename(app->web_dir, rel, "index.html", NULL);
    }
    /* A person's browser asking for a page that is not there gets a page in
     * words with a way home, not a JSON error. */
    const char *accept = yj_req_header(req, "Accept");
    if (!g_file_test(file, G_FILE_TEST_IS_REGULAR) && accept && strstr(accept, "text/html")) {
        g_autofree char *nf = g_build_filename(app->web_dir, "404.html", NULL);
        g_autofree char *html = NULL;
        gsize len = 0;
        if (g_file_get_contents(nf, &html, &len, NULL))
            return yj_req_reply_data(req, 404, "text/html; charset=utf-8", html, len);
    }
    return yj_req_reply_file(req, file, NULL, "no-cache");
}

/* Page libraries from npm (package.json), served from [portal] npm_dir. */
static const struct {
    const char *route, *file;
} vendor[] = {
    {"/vendor/echarts.min.js", "echarts/dist/echarts.min.js"},
    {"/vendor/qrcode.mjs", "qrcode-generator/dist/qrcode.mjs"},
};

static int vendor_file(yj_req_t *req, void *ud)
{
    yj_app_t *app = ud;
    for (size_t i = 0; i < G_N_ELEMENTS(vendor); i++)
        if (strcmp(yj_req_path(req), vendor[i].route) == 0) {
            g_autofree char *file = g_build_filename(app->npm_dir, vendor[i].file, NULL);
            return yj_req_reply_file(req, file, "text/javascript; charset=utf-8",
                                     "public, max-age=86400");
        }
    return yj_req_reply_error(req, 404, "not_found", NULL, "no such file");
}

yj_portal_t *yj_portal_new(yj_app_t *app, yj_http_t *http, char **err)
{
    json_t *doc = yj_portal_openapi(app, err);
    if (!doc)
        return NULL;
    yj_portal_t *P = g_new0(yj_portal_t, 1);
    P->app = app;
    P->openapi = doc;
    int rc = 0;
    rc |= yj_http_route(http, "GET", "/healthz", YJ_ROUTE_PUBLIC | YJ_ROUTE_QUIET, 0, healthz, app);
    rc |= yj_http_route(http, "GET", "/metrics", YJ_ROUTE_PUBLIC | YJ_ROUTE_QUIET, 0, metrics, app);
    rc |= yj_http_route(http, "GET", "/api/v1/openapi.json", YJ_ROUTE_PUBLIC, 0, openapi, P);
    P->auth = yj_auth_new(app, http);
    rc |= P->auth ? 0 : YJ_EINVAL;
    rc |= yj_api_register(app, http);
    if (rc) {
        *err = g_strdup("cannot register the portal routes");
        yj_portal_free(P);
        return NULL;
    }
    return P;
}

int yj_portal_static(yj_app_t *app, yj_http_t *http)
{
    int rc = yj_http_route(http, "GET", "/", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0, web_file, app);
    for (size_t i = 0; i < G_N_ELEMENTS(vendor); i++)
        rc |= yj_http_route(http, "GET", vendor[i].route, YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0,
                            vendor_file, app);
    rc |= yj_http_route(http, "GET", "/{path*}", YJ_ROUTE_PUBLIC | YJ_ROUTE_UNDOC, 0, web_file,
                        app);
    return rc ? YJ_EINVAL : 0;
}

void yj_portal_free(yj_portal_t *P)
{
    if (!P)
        return;
    json_decref(P->openapi);
    yj_auth_free(P->auth);
    g_free(P);
}
