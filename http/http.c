/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c — libmicrohttpd server and router; see http.h for the contract.
 *
 * MHD runs an epoll thread pool. The access handler is called several times
 * per request: first with no body (route lookup, early 413 on a declared
 * Content-Length), then with body chunks (accumulated up to the route's
 * limit), then once more with nothing left, when the handler runs. The
 * request object lives in *con_cls and is freed by the completion callback,
 * which also writes the access-log line and the metrics.
 */
#include "http.h"
#include "range.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARAMS 8

/* Per-route metric objects, looked up once and then updated lock-free, so
 * a request pays no name formatting or registry lookup. */
typedef struct {
    yj_histogram_t *latency;
    yj_counter_t *by_status[2][600]; /* [HEAD?][status], filled on first use */
} route_metrics_t;

typedef struct {
    const char *method;
    const char *pattern;
    char **segs; /* pattern split on '/' (leading empty dropped) */
    unsigned flags;
    size_t max_body;
    yj_handler_fn fn;
    void *ud;
    route_metrics_t metrics;
} route_t;

struct yj_http {
    yj_http_options_t opt;
    char *address;
    GPtrArray *routes; /* route_t* */
    yj_auth_fn auth_fn;
    void *auth_ud;
    struct MHD_Daemon *d;
    int port;
    int inflight; /* requests begun and not completed (atomic) */
    route_metrics_t unmatched;
    GPtrArray *default_headers; /* name, value, … added to every reply; set before start */
    /* Connections whose first request header is not complete yet, watched
     * by the header-deadline thread (see conn_notify). */
    GMutex conns_lock;
    GHashTable *conns; /* conn_track_t* set */
    GThread *sweeper;
    gint sweeper_stop;
    /* YJ_ROUTE_BACKGROUND handlers run here (see dispatch). */
    GThreadPool *background;
    gint background_waiting; /* atomic: queued or running */
    yj_counter_t *m_background_refused;
};

typedef struct {
    int fd;
    gint64 start;     /* monotonic µs at accept */
    gint header_done; /* atomic: the first header arrived */
    bool shut;
} conn_track_t;

struct yj_req {
    yj_http_t *http;
    struct MHD_Connection *conn;
    const char *method;
    char *path;
    route_t *route;
    bool method_mismatch;
    const char *pnames[MAX_PARAMS];
    char *pvalues[MAX_PARAMS];
    int nparams;
    GByteArray *body;
    bool too_big;
    bool replied;
    unsigned status;
    uint64_t bytes;
    gint64 t0;
    yj_principal_t principal;
    GPtrArray *arena;
    GPtrArray *headers; /* name, value, name, value … (arena strings) */
    json_t *json;
    char peer[64];
    /* Set while the handler runs on a background thread: a reply is kept
     * here and queued by the HTTP thread when the connection resumes
     * (MHD queues responses only from its own callback). */
    bool background;
    struct MHD_Response *pending;
};

struct yj_upgraded {
    struct MHD_UpgradeResponseHandle *urh;
};

typedef struct {
    yj_upgrade_fn fn;
    void *ud;
} upgrade_ctx_t;

/* ------------------------------------------------------------------ */

static void route_free(gpointer p)
{
    route_t *r = p;
    g_strfreev(r->segs);
    g_free(r);
}

static yj_histogram_t *latency_histogram(const char *pattern)
{
    static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05,   0.1,   0.25,   0.5,   1,    5};
    char name[400];
    g_snprintf(name, sizeof name, "yj_http_request_seconds{route=\"%s\"}", pattern);
    return yj_metrics_histogram(name, "HTTP request latency by route", buckets,
                                YJ_ARRAY_LEN(buckets));
}

/* Counts one request. Unmatched requests share one set of series with
 * method "*", so clients cannot grow the metrics by inventing methods. */
static void count_request(route_metrics_t *m, const char *pattern, const char *method,
                          unsigned status, double secs)
{
    int head = strcmp(method, "HEAD") == 0;
    if (status >= 600)
        status = 599;
    yj_counter_t *c = __atomic_load_n(&m->by_status[head][status], __ATOMIC_ACQUIRE);
    if (!c) {
        char name[400];
        g_snprintf(name, sizeof name,
                   "yj_http_requests_total{route=\"%s\",method=\"%s\",status=\"%u\"}", pattern,
                   method, status);
        c = yj_metrics_counter(name, "HTTP requests by route, method and status");
        __atomic_store_n(&m->by_status[head][status], c, __ATOMIC_RELEASE);
    }
    yj_counter_add(c, 1);
    yj_histogram_observe(m->latency, secs);
}

yj_http_t *yj_http_new(const yj_http_options_t *opt)
{
    yj_http_t *h = g_new0(yj_http_t, 1);
    h->opt = *opt;
    h->address = g_strdup(opt->address ? opt->address : "127.0.0.1");
    if (!h->opt.body_limit)
        h->opt.body_limit = 1 << 20;
    if (h->opt.threads <= 0)
        h->opt.threads = (int)g_get_num_processors();
    h->routes = g_ptr_array_new_with_free_func(route_free);
    h->default_headers = g_ptr_array_new_with_free_func(g_free);
    if (h->opt.per_ip <= 0)
        h->opt.per_ip = 256;
    if (h->opt.header_timeout <= 0)
        h->opt.header_timeout = 10;
    g_mutex_init(&h->conns_lock);
    h->conns = g_hash_table_new(g_direct_hash, g_direct_equal);
    h->unmatched.latency = latency_histogram("unmatched");
    h->m_background_refused = yj_metrics_counter(
        "yj_http_background_refused_total",
        "Requests for background routes (exports) refused with 503: too many waiting");
    return h;
}

void yj_http_free(yj_http_t *http)
{
    if (!http)
        return;
    yj_http_stop(http);
    g_ptr_array_free(http->routes, TRUE);
    g_ptr_array_free(http->default_headers, TRUE);
    g_hash_table_destroy(http->conns);
    g_mutex_clear(&http->conns_lock);
    g_free(http->address);
    g_free(http);
}

static char **split_path(const char *path)
{
    while (*path == '/')
        path++;
    return g_strsplit(path, "/", -1);
}

int yj_http_route(yj_http_t *http, const char *method, const char *pattern, unsigned flags,
                  size_t max_body, yj_handler_fn fn, void *ud)
{
    if (!method || !pattern || pattern[0] != '/' || !fn)
        return YJ_EINVAL;
    route_t *r = g_new0(route_t, 1);
    r->method = method;
    r->pattern = pattern;
    r->segs = split_path(pattern);
    int nparams = 0;
    for (int i = 0; r->segs[i]; i++)
        if (r->segs[i][0] == '{')
            nparams++;
    if (nparams > MAX_PARAMS) {
        route_free(r);
        return YJ_EINVAL;
    }
    r->flags = flags;
    r->max_body = max_body;
    r->fn = fn;
    r->ud = ud;
    r->metrics.latency = latency_histogram(pattern);
    g_ptr_array_add(http->routes, r);
    return 0;
}

void yj_http_add_default_header(yj_http_t *http, const char *name, const char *value)
{
    g_ptr_array_add(http->default_headers, g_strdup(name));
    g_ptr_array_add(http->default_headers, g_strdup(value));
}

void yj_http_set_auth(yj_http_t *http, yj_auth_fn fn, void *ud)
{
    http->auth_fn = fn;
    http->auth_ud = ud;
}

void yj_http_each_route(const yj_http_t *http, yj_route_visit_fn fn, void *ud)
{
    for (guint i = 0; i < http->routes->len; i++) {
        route_t *r = g_ptr_array_index(http->routes, i);
        fn(r->method, r->pattern, r->flags, ud);
    }
}

/* Matches segs of the request path against a route; fills params. */
static bool match(yj_req_t *req, route_t *r, char **segs)
{
    int n = 0, i = 0;
    for (; r->segs[i]; i++) {
        const char *p = r->segs[i];
        size_t pl = strlen(p);
        bool param = p[0] == '{' && pl > 2 && p[pl - 1] == '}';
        bool rest = param && p[pl - 2] == '*';
        if (rest) {
            if (!segs[i] || !segs[i][0])
                return false;
            req->pnames[n] = p;
            req->pvalues[n++] = g_strjoinv("/", segs + i);
            req->nparams = n;
            return true;
        }
        if (!segs[i])
            return false;
        if (param) {
            if (!segs[i][0])
                return false;
            req->pnames[n] = p;
            req->pvalues[n++] = g_strdup(segs[i]);
            req->nparams = n; /* a later mismatch must free it (clear_params) */
        } else if (strcmp(p, segs[i]) != 0) {
            return false;
        }
    }
    req->nparams = n;
    return segs[i] == NULL;
}

static void clear_params(yj_req_t *req)
{
    for (int i = 0; i < req->nparams; i++)
        g_free(req->pvalues[i]);
    req->nparams = 0;
}

static void find_route(yj_req_t *req)
{
    char **segs = split_path(req->path);
    bool bad = false;
    for (int i = 0; segs[i]; i++)
        if (strcmp(segs[i], "..") == 0 || strcmp(segs[i], ".") == 0)
            bad = true;
    if (!bad) {
        for (guint i = 0; i < req->http->routes->len; i++) {
            route_t *r = g_ptr_array_index(req->http->routes, i);
            if (!match(req, r, segs)) {
                clear_params(req);
                continue;
            }
            bool same = strcmp(r->method, req->method) == 0 ||
                        (strcmp(r->method, "GET") == 0 && strcmp(req->method, "HEAD") == 0);
            /* A path that a specific route owns under another method is a
             * 405, not something for a later catch-all to answer. */
            bool catch_all = strstr(r->pattern, "*}") != NULL;
            if (same && catch_all && req->method_mismatch) {
                clear_params(req);
                break;
            }
            if (same) {
                req->route = r;
                req->method_mismatch = false;
                break;
            }
            req->method_mismatch = true;
            clear_params(req);
        }
    }
    g_strfreev(segs);
}

const char *yj_http_match(yj_http_t *http, const char *method, const char *path, char **params,
                          int max, bool *method_mismatch)
{
    yj_req_t req;
    memset(&req, 0, sizeof req);
    req.http = http;
    req.method = method;
    req.path = (char *)path; /* read only: find_route splits a copy */
    find_route(&req);
    for (int i = 0; i < max; i++)
        params[i] = i < req.nparams ? g_strdup(req.pvalues[i]) : NULL;
    if (method_mismatch)
        *method_mismatch = req.method_mismatch;
    clear_params(&req);
    return req.route ? req.route->pattern : NULL;
}

/* ------------------------------------------------------------------ */
/* accessors */

const char *yj_req_method(const yj_req_t *req)
{
    return req->method;
}

const char *yj_req_path(const yj_req_t *req)
{
    return req->path;
}

const char *yj_req_param(const yj_req_t *req, const char *name)
{
    size_t nl = strlen(name);
    for (int i = 0; i < req->nparams; i++) {
        const char *p = req->pnames[i] + 1;
        if (strncmp(p, name, nl) == 0 && (p[nl] == '}' || (p[nl] == '*' && p[nl + 1] == '}')))
            return req->pvalues[i];
    }
    return NULL;
}

const char *yj_req_query(const yj_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *yj_req_header(const yj_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *yj_req_cookie(const yj_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *yj_req_peer(const yj_req_t *req)
{
    return req->peer;
}

const void *yj_req_body(const yj_req_t *req, size_t *len)
{
    if (len)
        *len = req->body ? req->body->len : 0;
    return req->body ? (const void *)req->body->data : "";
}

const yj_principal_t *yj_req_principal(const yj_req_t *req)
{
    return &req->principal;
}

yj_http_t *yj_req_server(const yj_req_t *req)
{
    return req->http;
}

void *yj_req_alloc(yj_req_t *req, size_t n)
{
    void *p = g_malloc0(n ? n : 1);
    g_ptr_array_add(req->arena, p);
    return p;
}

char *yj_req_strdup(yj_req_t *req, const char *s)
{
    char *p = g_strdup(s ? s : "");
    g_ptr_array_add(req->arena, p);
    return p;
}

/* application/json or application/<something>+json, any parameters. */
static bool json_content_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; ");
    if (n == 16 && g_ascii_strncasecmp(ct, "application/json", 16) == 0)
        return true;
    return n > 17 && g_ascii_strncasecmp(ct, "application/", 12) == 0 &&
           g_ascii_strncasecmp(ct + n - 5, "+json", 5) == 0;
}

bool yj_req_query_int(yj_req_t *req, const char *name, int64_t min, int64_t max, int64_t def,
                      int64_t *out)
{
    const char *v = yj_req_query(req, name);
    gint64 n = def;
    if (v && *v && !g_ascii_string_to_signed(v, 10, min, max, &n, NULL)) {
        char code[48];
        g_snprintf(code, sizeof code, "invalid_%s", name);
        yj_req_reply_error(req, 400, code, name,
                           "%s must be a whole number from %" G_GINT64_FORMAT
                           " to %" G_GINT64_FORMAT,
                           name, (gint64)min, (gint64)max);
        return false;
    }
    *out = n;
    return true;
}

json_t *yj_req_json_body(yj_req_t *req)
{
    if (req->json)
        return req->json;
    size_t len = 0;
    const char *data = yj_req_body(req, &len);
    /* A JSON body must say so: a form or text/plain body is what a
     * cross-site page can send without a preflight. */
    const char *ct = yj_req_header(req, "Content-Type");
    if (len > 0 && !json_content_type(ct)) {
        yj_req_reply_error(req, 415, "unsupported_media_type", NULL,
                           "send the body as application/json, not %s", ct ? ct : "untyped");
        return NULL;
    }
    json_error_t e;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        yj_req_reply_error(req, 400, "invalid_json", NULL,
                           "malformed JSON at line %d, column %d (byte %d): %s", e.line, e.column,
                           e.position, e.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        yj_req_reply_error(req, 400, "invalid_json", NULL,
                           "the request body must be a JSON object");
        return NULL;
    }
    req->json = j;
    return j;
}

/* ------------------------------------------------------------------ */
/* replies */

void yj_req_add_header(yj_req_t *req, const char *name, const char *value)
{
    g_ptr_array_add(req->headers, yj_req_strdup(req, name));
    g_ptr_array_add(req->headers, yj_req_strdup(req, value));
}

static int queue(yj_req_t *req, unsigned status, struct MHD_Response *resp, const char *ctype,
                 uint64_t bytes)
{
    if (!resp)
        return YJ_ENOMEM;
    if (req->replied) {
        MHD_destroy_response(resp);
        yj_error("http", "second reply to %s %s ignored", req->method, req->path);
        return YJ_ESTATE;
    }
    if (ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    for (guint i = 0; i + 1 < req->http->default_headers->len; i += 2)
        MHD_add_response_header(resp, req->http->default_headers->pdata[i],
                                req->http->default_headers->pdata[i + 1]);
    for (guint i = 0; i + 1 < req->headers->len; i += 2)
        MHD_add_response_header(resp, g_ptr_array_index(req->headers, i),
                                g_ptr_array_index(req->headers, i + 1));
    req->replied = true;
    req->status = status;
    req->bytes = bytes;
    if (req->background) {
        req->pending = resp; /* queued by access_cb after the resume */
        return 0;
    }
    enum MHD_Result r = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    return r == MHD_YES ? 0 : YJ_EIO;
}

int yj_req_reply_data(yj_req_t *req, unsigned status, const char *content_type, const void *data,
                      size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    return queue(req, status, r, content_type, len);
}

int yj_req_reply_json(yj_req_t *req, unsigned status, json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!s)
        return YJ_ENOMEM;
    size_t n = strlen(s);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    if (!r)
        free(s);
    return queue(req, status, r, "application/json; charset=utf-8", n);
}

int yj_req_reply_error(yj_req_t *req, unsigned status, const char *code, const char *field,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    json_t *e = json_pack("{s:s,s:s}", "code", code, "message", msg);
    if (field)
        json_object_set_new(e, "field", json_string(field));
    g_free(msg);
    return yj_req_reply_json(req, status, json_pack("{s:o}", "error", e));
}

int yj_req_reply_errno(yj_req_t *req, int err, const char *field)
{
    switch (err) {
    case YJ_EINVAL:
        return yj_req_reply_error(req, 400, "invalid", field, "invalid request");
    case YJ_ENOENT:
        return yj_req_reply_error(req, 404, "not_found", field, "not found");
    case YJ_EEXIST:
        return yj_req_reply_error(req, 409, "conflict", field, "already exists");
    case YJ_EBUSY:
        return yj_req_reply_error(req, 409, "in_use", field, "still in use");
    case YJ_EPERM:
        return yj_req_reply_error(req, 403, "forbidden", field, "not allowed");
    case YJ_EAUTH:
        return yj_req_reply_error(req, 401, "unauthorized", field, "sign-in required");
    case YJ_ETOOBIG:
        return yj_req_reply_error(req, 413, "too_large", field, "too large");
    case YJ_ELIMIT:
        return yj_req_reply_error(req, 429, "rate_limited", field, "too many attempts");
    case YJ_ESTATE:
        return yj_req_reply_error(req, 409, "invalid_state", field, "not possible now");
    case YJ_EMEDIA:
        return yj_req_reply_error(req, 422, "unusable_media", field, "not a playable video");
    }
    return yj_req_reply_error(req, 500, "internal", field, "internal error: %s", yj_strerror(err));
}

int yj_req_reply_fd(yj_req_t *req, unsigned status, const char *content_type, int fd,
                    uint64_t offset, uint64_t len)
{
    struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(len, fd, offset);
    if (!r) {
        close(fd);
        return YJ_ENOMEM;
    }
    return queue(req, status, r, content_type, len);
}

static void http_date(time_t t, char *out, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int yj_req_reply_file(yj_req_t *req, const char *path, const char *content_type,
                      const char *cache_control)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return yj_req_reply_error(req, 404, "not_found", NULL, "no such file");
    }
    char etag[64], lm[64];
    g_snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)st.st_ino,
               (unsigned long long)st.st_size, (long)st.st_mtime);
    http_date(st.st_mtime, lm, sizeof lm);
    yj_req_add_header(req, "ETag", etag);
    yj_req_add_header(req, "Last-Modified", lm);
    yj_req_add_header(req, "Accept-Ranges", "bytes");
    if (cache_control)
        yj_req_add_header(req, "Cache-Control", cache_control);
    if (!content_type)
        content_type = yj_mime_type(path);

    const char *inm = yj_req_header(req, "If-None-Match");
    const char *ims = yj_req_header(req, "If-Modified-Since");
    if ((inm && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0)) ||
        (!inm && ims && strcmp(ims, lm) == 0)) {
        close(fd);
        struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        return queue(req, 304, r, NULL, 0);
    }
    uint64_t size = (uint64_t)st.st_size, from = 0, to = 0;
    const char *range = yj_req_header(req, "Range");
    const char *if_range = yj_req_header(req, "If-Range");
    int pr = range && (!if_range || strcmp(if_range, etag) == 0 || strcmp(if_range, lm) == 0)
                 ? yj_http_parse_range(range, size, &from, &to)
                 : 0;
    if (pr < 0) {
        close(fd);
        char cr[64];
        g_snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
        yj_req_add_header(req, "Content-Range", cr);
        return yj_req_reply_error(req, 416, "range_not_satisfiable", "Range",
                                  "range outside the file");
    }
    if (pr > 0) {
        char cr[96];
        g_snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)from,
                   (unsigned long long)to, (unsigned long long)size);
        yj_req_add_header(req, "Content-Range", cr);
        return yj_req_reply_fd(req, 206, content_type, fd, from, to - from + 1);
    }
    return yj_req_reply_fd(req, 200, content_type, fd, 0, size);
}

static void upgrade_cb(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra,
                       size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)c;
    (void)con_cls;
    upgrade_ctx_t *ctx = cls;
    yj_upgraded_t *up = g_new0(yj_upgraded_t, 1);
    up->urh = urh;
    ctx->fn(up, sock, extra, extra_len, ctx->ud);
    g_free(ctx);
}

void yj_http_upgrade_close(yj_upgraded_t *up)
{
    if (!up)
        return;
    MHD_upgrade_action(up->urh, MHD_UPGRADE_ACTION_CLOSE);
    g_free(up);
}

int yj_req_reply_upgrade(yj_req_t *req, yj_upgrade_fn fn, void *ud)
{
    /* The context must outlive the request (the upgrade callback runs after
     * it completes), so it is not in the arena; upgrade_cb frees it. */
    upgrade_ctx_t *ctx = g_new0(upgrade_ctx_t, 1);
    ctx->fn = fn;
    ctx->ud = ud;
    struct MHD_Response *r = MHD_create_response_for_upgrade(upgrade_cb, ctx);
    if (!r) {
        g_free(ctx);
        return YJ_ENOMEM;
    }
    /* Leaks one small context per upgraded connection if MHD never calls
     * back (client vanished mid-handshake); accepted, it is bounded by the
     * number of handshakes. */
    return queue(req, MHD_HTTP_SWITCHING_PROTOCOLS, r, NULL, 0);
}

/* ------------------------------------------------------------------ */

bool yj_url_decode(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r == '%') {
            if (!g_ascii_isxdigit(r[1]) || !g_ascii_isxdigit(r[2]))
                return false;
            int v = g_ascii_xdigit_value(r[1]) * 16 + g_ascii_xdigit_value(r[2]);
            if (v == 0)
                return false;
            *w++ = (char)v;
            r += 2;
        } else if (*r == '+') {
            *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
    return true;
}

const char *yj_mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".m3u8", "application/vnd.apple.mpegurl"},
        {".ts", "video/mp2t"},
        {".m4s", "video/iso.segment"},
        {".mp4", "video/mp4"},
        {".csv", "text/csv; charset=utf-8"},
        {".xml", "application/xml; charset=utf-8"},
        {".m3u", "audio/x-mpegurl; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < YJ_ARRAY_LEN(types); i++)
            if (g_ascii_strcasecmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* ------------------------------------------------------------------ */
/* MHD callbacks */

static bool wants_credentials(yj_req_t *req)
{
    return yj_req_cookie(req, "yj_session") || yj_req_header(req, "Authorization");
}

static void run_handler(yj_req_t *req)
{
    route_t *r = req->route;
    int rc = r->fn(req, r->ud);
    if (!req->replied) {
        if (rc == 0)
            yj_error("http", "handler for %s %s sent no reply", r->method, r->pattern);
        yj_req_reply_errno(req, rc ? rc : YJ_ESTATE, NULL);
    }
}

static void dispatch(yj_req_t *req)
{
    route_t *r = req->route;
    if (!r) {
        if (req->method_mismatch)
            yj_req_reply_error(req, 405, "method_not_allowed", NULL, "%s is not allowed here",
                               req->method);
        else
            yj_req_reply_error(req, 404, "not_found", NULL, "no such resource: %s", req->path);
        return;
    }
    if (req->too_big) {
        yj_req_reply_error(req, 413, "too_large", NULL, "request body over %zu bytes",
                           r->max_body ? r->max_body : req->http->opt.body_limit);
        return;
    }
    if (req->http->auth_fn && wants_credentials(req))
        req->http->auth_fn(req, &req->principal, req->http->auth_ud);
    if (req->replied)
        return; /* the auth hook refused (e.g. a cross-site cookie request) */
    yj_principal_kind_t k = req->principal.kind;
    if ((r->flags & (YJ_ROUTE_AUTH | YJ_ROUTE_ADMIN | YJ_ROUTE_MEMBER)) && k == YJ_PRINCIPAL_NONE) {
        yj_req_reply_error(req, 401, "unauthorized", NULL, "sign-in required");
        return;
    }
    if ((r->flags & YJ_ROUTE_ADMIN) && k != YJ_PRINCIPAL_ADMIN) {
        yj_req_reply_error(req, 403, "forbidden", NULL, "administrators only");
        return;
    }
    if ((r->flags & YJ_ROUTE_MEMBER) && k != YJ_PRINCIPAL_MEMBER) {
        yj_req_reply_error(req, 403, "forbidden", NULL, "members only");
        return;
    }
    if ((r->flags & YJ_ROUTE_BACKGROUND) && req->http->background) {
        if (g_atomic_int_add(&req->http->background_waiting, 1) >= YJ_HTTP_BACKGROUND_QUEUE) {
            g_atomic_int_add(&req->http->background_waiting, -1);
            yj_counter_add(req->http->m_background_refused, 1);
            yj_req_add_header(req, "Retry-After", "5");
            yj_req_reply_error(req, 503, "busy", NULL,
                               "too many exports at once; try again in a few seconds");
            return;
        }
        req->background = true;
        MHD_suspend_connection(req->conn);
        g_thread_pool_push(req->http->background, req, NULL);
        return;
    }
    run_handler(req);
}

/* A background thread: runs the handler of a suspended request, then
 * wakes the connection so its HTTP thread queues the kept reply. */
static void background_main(gpointer data, gpointer user)
{
    yj_req_t *req = data;
    yj_http_t *http = user;
    run_handler(req);
    g_atomic_int_add(&http->background_waiting, -1);
    MHD_resume_connection(req->conn);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    yj_http_t *http = cls;
    yj_req_t *req = *con_cls;
    if (!req) {
        const union MHD_ConnectionInfo *sc =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (sc && sc->socket_context)
            g_atomic_int_set(&((conn_track_t *)sc->socket_context)->header_done, 1);
        req = g_new0(yj_req_t, 1);
        req->http = http;
        req->conn = c;
        req->method = method;
        req->path = g_strdup(url);
        req->t0 = g_get_monotonic_time();
        req->arena = g_ptr_array_new_with_free_func(g_free);
        req->headers = g_ptr_array_new();
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->peer,
                          sizeof req->peer);
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->peer,
                          sizeof req->peer);
        }
        *con_cls = req;
        g_atomic_int_inc(&http->inflight);
        find_route(req);
        size_t limit =
            req->route && req->route->max_body ? req->route->max_body : http->opt.body_limit;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && g_ascii_strtoull(cl, NULL, 10) > limit) {
            req->too_big = true;
            /* A modestly oversized body is read and dropped so the client
             * sees the 413 instead of a reset while still sending; a huge
             * one is refused at once and the connection closed. */
            if (g_ascii_strtoull(cl, NULL, 10) > MAX(limit * 4, (size_t)64 << 20))
                dispatch(req);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t limit =
            req->route && req->route->max_body ? req->route->max_body : http->opt.body_limit;
        if (!req->too_big) {
            if (!req->body)
                req->body = g_byte_array_new();
            if (req->body->len + *upload_size > limit)
                req->too_big = true;
            else
                g_byte_array_append(req->body, (const guint8 *)upload, (guint)*upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->background) {
        /* Called again after a background handler resumed the connection
         * (or spuriously while it runs: then there is nothing yet). */
        if (!req->pending)
            return MHD_YES;
        struct MHD_Response *resp = req->pending;
        req->pending = NULL;
        req->background = false;
        enum MHD_Result r = MHD_queue_response(c, req->status, resp);
        MHD_destroy_response(resp);
        return r;
    }
    if (!req->replied)
        dispatch(req);
    return MHD_YES;
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    yj_http_t *http = cls;
    yj_req_t *req = *con_cls;
    if (!req)
        return;
    g_atomic_int_dec_and_test(&http->inflight);
    double secs = (double)(g_get_monotonic_time() - req->t0) / 1e6;
    const char *route = req->route ? req->route->pattern : "unmatched";
    unsigned flags = req->route ? req->route->flags : 0;
    if (!(flags & YJ_ROUTE_QUIET))
        yj_info("http", "%s %s %u %" G_GUINT64_FORMAT " %.1fms peer=%s user=%s%s", req->method,
                req->path, req->status, req->bytes, secs * 1000, req->peer,
                req->principal.kind ? req->principal.username : "-",
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    if (req->route)
        count_request(&req->route->metrics, route, req->method, req->status, secs);
    else
        count_request(&http->unmatched, route, "*", req->status, secs);
    clear_params(req);
    if (req->pending)
        MHD_destroy_response(req->pending);
    if (req->body)
        g_byte_array_free(req->body, TRUE);
    if (req->json)
        json_decref(req->json);
    g_ptr_array_free(req->headers, TRUE);
    g_ptr_array_free(req->arena, TRUE);
    g_free(req->path);
    g_free(req);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    g_strchomp(buf);
    yj_warn("mhd", "%s", buf);
}

/* Header deadline. MHD's connection timeout is per idle period, so a
 * client trickling one header line at a time keeps a connection forever;
 * and the access handler only runs once the header is complete. So every
 * connection is tracked from accept (conn_notify) until its first header
 * arrives (access_cb); a thread shuts down, once a second, those older
 * than header_timeout — MHD then sees EOF and closes them itself. The
 * entry is removed (under the lock) before MHD closes the socket, so a
 * shutdown never hits a reused descriptor. */
static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode toe)
{
    yj_http_t *http = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_track_t *t = g_new0(conn_track_t, 1);
        t->fd = ci ? ci->connect_fd : -1;
        t->start = g_get_monotonic_time();
        g_mutex_lock(&http->conns_lock);
        g_hash_table_add(http->conns, t);
        g_mutex_unlock(&http->conns_lock);
        *socket_context = t;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        g_mutex_lock(&http->conns_lock);
        g_hash_table_remove(http->conns, *socket_context);
        g_mutex_unlock(&http->conns_lock);
        g_free(*socket_context);
        *socket_context = NULL;
    }
}

static gpointer sweeper_main(gpointer data)
{
    yj_http_t *http = data;
    while (!g_atomic_int_get(&http->sweeper_stop)) {
        g_usleep(250000);
        gint64 cut = g_get_monotonic_time() - (gint64)http->opt.header_timeout * G_USEC_PER_SEC;
        int n = 0;
        g_mutex_lock(&http->conns_lock);
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, http->conns);
        while (g_hash_table_iter_next(&it, &k, NULL)) {
            conn_track_t *t = k;
            if (!t->shut && t->fd >= 0 && t->start < cut && !g_atomic_int_get(&t->header_done)) {
                shutdown(t->fd, SHUT_RDWR);
                t->shut = true;
                n++;
            }
        }
        g_mutex_unlock(&http->conns_lock);
        if (n)
            yj_info("http", "closed %d connections whose request header took over %d s", n,
                    http->opt.header_timeout);
    }
    return NULL;
}

/* The server needs a descriptor per connection: use what the system
 * allows (soft limit up to the hard limit). Returns the soft limit. */
static rlim_t raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
        struct rlimit nl = {want, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
            rl.rlim_cur = want;
    }
    return rl.rlim_cur;
}

int yj_http_start(yj_http_t *http, char **err)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG |
                     MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, http->address, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)http->opt.port);
    } else if (inet_pton(AF_INET6, http->address, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)http->opt.port);
        flags |= MHD_USE_IPv6;
    } else {
        *err = g_strdup_printf("bad listen address %s", http->address);
        return YJ_EINVAL;
    }
    /* Keep a quarter of the descriptors for the database, media sockets
     * and files: past the limit MHD refuses connections instead of the
     * whole process running out. */
    rlim_t nofile = raise_nofile();
    unsigned max_conns = (unsigned)MIN((rlim_t)10000, MAX((rlim_t)64, nofile / 4 * 3));
    http->d = MHD_start_daemon(
        flags, (uint16_t)http->opt.port, NULL, NULL, access_cb, http, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, NULL, MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)http->opt.threads, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, http,
        MHD_OPTION_NOTIFY_CONNECTION, conn_notify, http, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)http->opt.per_ip, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (!http->d) {
        *err =
            g_strdup_printf("cannot listen on %s:%d (port in use?)", http->address, http->opt.port);
        return YJ_EIO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(http->d, MHD_DAEMON_INFO_BIND_PORT);
    http->port = di ? di->port : http->opt.port;
    g_atomic_int_set(&http->sweeper_stop, 0);
    http->sweeper = g_thread_new("http-deadline", sweeper_main, http);
    http->background =
        g_thread_pool_new(background_main, http, YJ_HTTP_BACKGROUND_THREADS, FALSE, NULL);
    return 0;
}

int yj_http_background_waiting(const yj_http_t *http)
{
    return g_atomic_int_get(&((yj_http_t *)http)->background_waiting);
}

int yj_http_port(const yj_http_t *http)
{
    return http->port;
}

void yj_http_stop(yj_http_t *http)
{
    if (!http || !http->d)
        return;
    /* Stop accepting first, then give in-flight requests up to 10 s to
     * finish before MHD closes the remaining (idle keep-alive) sockets. */
    MHD_socket ls = MHD_quiesce_daemon(http->d);
    for (int i = 0; i < 1000 && g_atomic_int_get(&http->inflight) > 0; i++)
        g_usleep(10000);
    /* Every background handler finishes and resumes its connection before
     * MHD stops (a connection must not be suspended at MHD_stop_daemon). */
    if (http->background) {
        g_thread_pool_free(http->background, FALSE, TRUE);
        http->background = NULL;
    }
    MHD_stop_daemon(http->d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    http->d = NULL;
    if (http->sweeper) {
        g_atomic_int_set(&http->sweeper_stop, 1);
        g_thread_join(http->sweeper);
        http->sweeper = NULL;
    }
}
