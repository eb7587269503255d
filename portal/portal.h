/* SPDX-License-Identifier: Apache-2.0 */
/*
 * portal.h — the portal subsystem: system routes (/healthz, /metrics, the
 * OpenAPI document), sign-in, the records API and the static web pages.
 *
 * yj_portal_new registers routes only (no threads), so `yuanjiao routes`
 * can list them; yj_portal_static registers the catch-all for portal/web
 * and must come after every other subsystem's routes.
 */
#ifndef YJ_PORTAL_H
#define YJ_PORTAL_H

#include "core/app.h"
#include "http/http.h"

typedef struct yj_portal yj_portal_t;

/* Registers the portal's routes (user data: app or the instance); app and
 * http are borrowed and must outlive the result. NULL with *err (g_free)
 * when the OpenAPI document cannot be read. */
yj_portal_t *yj_portal_new(yj_app_t *app, yj_http_t *http, char **err);
int yj_portal_static(yj_app_t *app, yj_http_t *http);
/* NULL: no-op. */
void yj_portal_free(yj_portal_t *portal);

/* The merged OpenAPI document (every .json in docs/openapi); new reference. */
json_t *yj_portal_openapi(yj_app_t *app, char **err);

#endif
