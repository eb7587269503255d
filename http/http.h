/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h — the HTTP server (libmicrohttpd) and its router.
 *
 * Every route handler has one shape (nginx style): it receives a request,
 * reads what it needs (path parameters, query, headers, body, principal)
 * and queues exactly one reply with a yj_req_reply_* call, then returns 0.
 * Returning a negative YJ_E* code without a reply sends a 500 JSON error.
 * The request carries an arena (yj_req_strdup/yj_req_alloc) freed with it.
 *
 * The server handles what every route needs, so no handler repeats it:
 * body accumulation with a per-route size limit (413), authentication
 * through a hook set by portal/auth (401 before the handler runs when a
 * route demands it), unknown route → 404 JSON, wrong method → 405, one
 * access-log line per request, Prometheus metrics per route and status.
 *
 * Patterns: literal segments, "{name}" for one segment, and a final
 * "{name*}" for the rest of the path. Routes are matched in registration
 * order; register before yj_http_start.
 */
#ifndef YJ_HTTP_H
#define YJ_HTTP_H

#include "core/principal.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct yj_http yj_http_t;
typedef struct yj_req yj_req_t;

/* Who is calling (core/principal.h): resolved by the auth hook from a
 * session cookie or a bearer token; kind NONE for anonymous requests. */

/* Route flags. */
enum {
    YJ_ROUTE_PUBLIC = 0,      /* no sign-in needed */
    YJ_ROUTE_AUTH = 1 << 0,   /* any signed-in principal */
    YJ_ROUTE_ADMIN = 1 << 1,  /* administrators only (403 for members) */
    YJ_ROUTE_MEMBER = 1 << 2, /* members only (403 for admins) */
    YJ_ROUTE_UNDOC = 1 << 8,  /* not an API route: exempt from OpenAPI */
    YJ_ROUTE_QUIET = 1 << 9,  /* no access-log line (e.g. /healthz) */
    /* The handler runs on the server's background threads, not on an
     * HTTP thread: for slow work (exports, large reports), so it can never
     * hold every HTTP thread. The connection is suspended meanwhile; at
     * most YJ_HTTP_BACKGROUND_QUEUE such requests wait, later ones get 503
     * with Retry-After. The handler has the usual shape. */
    YJ_ROUTE_BACKGROUND = 1 << 10,
};

#define YJ_HTTP_BACKGROUND_THREADS 2
#define YJ_HTTP_BACKGROUND_QUEUE 32

typedef int (*yj_handler_fn)(yj_req_t *req, void *ud);

typedef struct {
    const char *address; /* "127.0.0.1", "0.0.0.0" or "::" */
    int port;            /* 0: pick a free port (see yj_http_port) */
    int threads;         /* thread pool size; 0: number of cores */
    size_t body_limit;   /* default per-request body limit in bytes */
    /* One client cannot starve the server: at most per_ip connections from
     * one address (0: 256), and a request's header must be complete within
     * header_timeout seconds of the connection opening (0: 10) or the
     * connection is shut down, however slowly it trickles. */
    int per_ip;
    int header_timeout;
} yj_http_options_t;

yj_http_t *yj_http_new(const yj_http_options_t *opt);
/* Stops the server if running (in-flight requests finish), frees all. */
void yj_http_free(yj_http_t *http);

/* Registers a route. pattern and summary must outlive the server (use
 * literals). max_body 0 means the server default. Returns 0 or YJ_EINVAL. */
int yj_http_route(yj_http_t *http, const char *method, const char *pattern, unsigned flags,
                  size_t max_body, yj_handler_fn fn, void *ud);

/* The auth hook: fills *out from the request's cookie/bearer token, or
 * leaves kind NONE. Called once per request that has credentials. */
/* The auth hook resolves credentials into *out; it may also reply (e.g.
 * 403 for a cross-site cookie request), and then the route is not run. */
typedef void (*yj_auth_fn)(yj_req_t *req, yj_principal_t *out, void *ud);
void yj_http_set_auth(yj_http_t *http, yj_auth_fn fn, void *ud);
/* A header added to every reply (e.g. Strict-Transport-Security); call
 * before yj_http_start. */
void yj_http_add_default_header(yj_http_t *http, const char *name, const char *value);

int yj_http_start(yj_http_t *http, char **err);
/* Bound port (after start). */
int yj_http_port(const yj_http_t *http);
/* Stops accepting, waits for in-flight requests, joins the pool. */
void yj_http_stop(yj_http_t *http);
/* YJ_ROUTE_BACKGROUND requests queued or running now (tests, metrics). */
int yj_http_background_waiting(const yj_http_t *http);

/* Iterates registered routes (for the OpenAPI check and /metrics). */
typedef void (*yj_route_visit_fn)(const char *method, const char *pattern, unsigned flags,
                                  void *ud);
/* Which route a request would reach (for tests and fuzzing): the pattern
 * or NULL; params[0..max) receive the captured values (g_free each, NULL
 * past the last); *method_mismatch as for a 405. */
const char *yj_http_match(yj_http_t *http, const char *method, const char *path, char **params,
                          int max, bool *method_mismatch);
void yj_http_each_route(const yj_http_t *http, yj_route_visit_fn fn, void *ud);

/* ---- request accessors (valid during the handler) ---- */
const char *yj_req_method(const yj_req_t *req);
const char *yj_req_path(const yj_req_t *req);
/* Path parameter captured by "{name}" (already percent-decoded), or NULL. */
const char *yj_req_param(const yj_req_t *req, const char *name);
const char *yj_req_query(const yj_req_t *req, const char *name);
const char *yj_req_header(const yj_req_t *req, const char *name);
const char *yj_req_cookie(const yj_req_t *req, const char *name);
/* Query parameter name as a whole number in [min, max] (def when absent or
 * empty). On a bad value replies 400 naming the parameter and returns
 * false; the handler then just returns 0. Never casts out of range. */
bool yj_req_query_int(yj_req_t *req, const char *name, int64_t min, int64_t max, int64_t def,
                      int64_t *out);
/* Peer address as text. */
const char *yj_req_peer(const yj_req_t *req);
const void *yj_req_body(const yj_req_t *req, size_t *len);
const yj_principal_t *yj_req_principal(const yj_req_t *req);
yj_http_t *yj_req_server(const yj_req_t *req);

/* Parses the body as a JSON object. On failure queues a 400 error naming
 * the line/column (code "invalid_json") — or 415 when a non-empty body is
 * not sent as application/json — and returns NULL; the handler then
 * just returns 0. The result is owned by the request. */
json_t *yj_req_json_body(yj_req_t *req);

/* Arena allocations freed with the request. */
void *yj_req_alloc(yj_req_t *req, size_t n);
char *yj_req_strdup(yj_req_t *req, const char *s);

/* ---- replies: exactly one per request ---- */
/* Adds a response header (before or after choosing the reply). */
void yj_req_add_header(yj_req_t *req, const char *name, const char *value);
/* Sends body (copied) with the given Content-Type. */
int yj_req_reply_data(yj_req_t *req, unsigned status, const char *content_type, const void *data,
                      size_t len);
/* Sends JSON and takes the reference to body. */
int yj_req_reply_json(yj_req_t *req, unsigned status, json_t *body);
/* Sends {"error":{"code":code,"field":field,"message":…}}; field may be NULL. */
int yj_req_reply_error(yj_req_t *req, unsigned status, const char *code, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Maps a YJ_E* code to a status and error body (e.g. ENOENT → 404). */
int yj_req_reply_errno(yj_req_t *req, int yj_err, const char *field);
/* Sends len bytes of fd from offset with sendfile; takes ownership of fd
 * (closed after sending, or now on failure). */
int yj_req_reply_fd(yj_req_t *req, unsigned status, const char *content_type, int fd,
                    uint64_t offset, uint64_t len);
/* Serves a regular file with ETag, Last-Modified, conditional GET (304)
 * and a single Range (206/416). cache_control may be NULL. A missing file
 * or a non-regular one gets 404. */
int yj_req_reply_file(yj_req_t *req, const char *path, const char *content_type,
                      const char *cache_control);

/* Upgrade (WebSocket): replies 101 with the headers added so far and, once
 * the connection is handed over, calls fn with the socket; fn then owns the
 * connection and must call yj_http_upgrade_close when done. extra/extra_len
 * are bytes already read past the request. */
typedef struct yj_upgraded yj_upgraded_t;
typedef void (*yj_upgrade_fn)(yj_upgraded_t *up, int sock, const char *extra, size_t extra_len,
                              void *ud);
int yj_req_reply_upgrade(yj_req_t *req, yj_upgrade_fn fn, void *ud);
void yj_http_upgrade_close(yj_upgraded_t *up);

/* Percent-decodes in place; returns false on a malformed escape or NUL. */
bool yj_url_decode(char *s);
/* Guess a Content-Type from a file name's extension. */
const char *yj_mime_type(const char *path);

#endif
