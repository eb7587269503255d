/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ws.c — the WebSocket server; see ws.h for the contract.
 *
 * Socket ownership: libmicrohttpd hands over the upgraded socket in its own
 * thread. We dup() it and at once tell MHD we are done with its copy
 * (yj_http_upgrade_close), so a connection's life no longer depends on the
 * HTTP daemon: the daemon may stop (it does so first at shutdown) while our
 * connections still say goodbye with a 1001 close frame.
 *
 * Each connection is a GSource with its fd on the server's GMainContext.
 * Writes may come from any thread: they try a non-blocking send() at once
 * under the connection's lock and queue what the kernel did not take; the
 * server thread then watches G_IO_OUT until the queue drains.
 *
 * Closing: after our close frame is sent we half-close (shutdown SHUT_WR)
 * and keep reading (and discarding) until the client's close frame or EOF,
 * for at most two seconds. Closing a socket with unread input would make
 * the kernel send a reset, and a client might then never see the close
 * frame (e.g. the 1009 for a message that was too big).
 */
#include "ws.h"
#include "ws_frame.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/yj.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLOSE_LINGER_US (2 * G_USEC_PER_SEC)

enum { ST_OPEN, ST_CLOSING, ST_CLOSED };

struct yj_ws_server {
    yj_ws_options_t opt;
    yj_ws_callbacks_t cb;
    void *ud;
    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
    GHashTable *conns; /* id → conn (server thread only) */
    GSource *tick;
    gint count;      /* open + pending connections (atomic) */
    gint stopping;   /* atomic */
    guint64 next_id; /* atomic */
};

struct yj_ws_conn {
    gint ref;
    yj_ws_server_t *s;
    uint64_t id;
    int fd;
    char peer[64];
    void *data;
    GDestroyNotify free_data;
    yj_ws_frame_parser_t *parser;
    GSource *src;
    gpointer tag;
    /* guarded by lock */
    GMutex lock;
    GByteArray *out;
    int state;
    bool close_sent, write_shut, want_out;
    unsigned code; /* close code sent or received, for on_close */
    /* server thread only */
    bool close_received, opened;
    gint64 last_rx, last_ping, closing_since;
    GByteArray *extra;
};

typedef struct {
    yj_ws_server_t *s;
    void *data;
    GDestroyNotify free_data;
    char peer[64];
} pending_t;

static yj_counter_t *m_conns, *m_msgs_in, *m_msgs_out, *m_errors;

static void finish(yj_ws_conn_t *c, unsigned code);

/* ------------------------------------------------------------------ */
/* handshake */

void yj_ws_accept_key(const char *key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    EVP_DigestInit_ex(x, EVP_sha1(), NULL);
    EVP_DigestUpdate(x, key, strlen(key));
    EVP_DigestUpdate(x, guid, sizeof guid - 1);
    EVP_DigestFinal_ex(x, md, &n);
    EVP_MD_CTX_free(x);
    EVP_EncodeBlock((unsigned char *)out, md, (int)n); /* 20 bytes → 28 chars + NUL */
}

/* True when the comma-separated header value holds token (case-insensitive). */
static bool has_token(const char *value, const char *token)
{
    if (!value)
        return false;
    gchar **parts = g_strsplit(value, ",", 32);
    bool found = false;
    for (int i = 0; parts[i] && !found; i++)
        found = g_ascii_strcasecmp(g_strstrip(parts[i]), token) == 0;
    g_strfreev(parts);
    return found;
}

/* The Origin's host[:port] must equal the Host header: the page that opens
 * the socket is ours. Requests without Origin (non-browser clients) pass. */
static bool origin_ok(const char *origin, const char *host)
{
    if (!origin)
        return true;
    if (!host)
        return false;
    const char *p = strstr(origin, "://");
    if (!p)
        return false;
    p += 3;
    size_t n = strcspn(p, "/");
    return strlen(host) == n && g_ascii_strncasecmp(p, host, n) == 0;
}

const char *yj_ws_check_handshake(const char *upgrade, const char *connection, const char *version,
                                  const char *key, const char *origin, const char *host,
                                  unsigned *status, const char **field)
{
    *status = 400;
    *field = NULL;
    if (!has_token(upgrade, "websocket")) {
        *status = 426;
        *field = "Upgrade";
        return "this endpoint needs a WebSocket upgrade (Upgrade: websocket)";
    }
    if (!has_token(connection, "upgrade")) {
        *field = "Connection";
        return "the Connection header must contain Upgrade";
    }
    if (!version || strcmp(version, "13") != 0) {
        *status = 426;
        *field = "Sec-WebSocket-Version";
        return "only WebSocket version 13 is supported";
    }
    gsize klen = 0;
    if (key && strlen(key) == 24) {
        guchar *raw = g_base64_decode(key, &klen);
        g_free(raw);
    }
    if (klen != 16) {
        *field = "Sec-WebSocket-Key";
        return "Sec-WebSocket-Key must be 16 bytes in base64";
    }
    if (!origin_ok(origin, host)) {
        *status = 403;
        *field = "Origin";
        return "cross-origin WebSocket connections are not allowed";
    }
    return NULL;
}

static void pending_free(pending_t *p)
{
    if (p->free_data && p->data)
        p->free_data(p->data);
    g_free(p);
}

static gboolean tcp_attach(gpointer ud);

static void upgraded(yj_upgraded_t *up, int sock, const char *extra, size_t extra_len, void *ud)
{
    pending_t *p = ud;
    yj_ws_server_t *s = p->s;
    int fd = fcntl(sock, F_DUPFD_CLOEXEC, 3);
    yj_http_upgrade_close(up);
    if (fd < 0 || g_atomic_int_get(&s->stopping)) {
        if (fd >= 0)
            close(fd);
        g_atomic_int_dec_and_test(&s->count);
        pending_free(p);
        return;
    }
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    yj_ws_conn_t *c = g_new0(yj_ws_conn_t, 1);
    c->ref = 1;
    c->s = s;
    c->id = (uint64_t)__atomic_add_fetch(&s->next_id, 1, __ATOMIC_RELAXED);
    c->fd = fd;
    g_strlcpy(c->peer, p->peer, sizeof c->peer);
    c->data = p->data;
    c->free_data = p->free_data;
    g_free(p);
    g_mutex_init(&c->lock);
    c->out = g_byte_array_new();
    c->parser = yj_ws_frame_parser_new(s->opt.max_message);
    if (extra_len) {
        c->extra = g_byte_array_new();
        g_byte_array_append(c->extra, (const guint8 *)extra, (guint)extra_len);
    }
    g_main_context_invoke(s->ctx, tcp_attach, c);
}

int yj_ws_handshake(yj_ws_server_t *s, yj_req_t *req, void *data, GDestroyNotify free_data)
{
    const char *field = NULL;
    unsigned status = 400;
    const char *key = yj_req_header(req, "Sec-WebSocket-Key");
    const char *err = yj_ws_check_handshake(
        yj_req_header(req, "Upgrade"), yj_req_header(req, "Connection"),
        yj_req_header(req, "Sec-WebSocket-Version"), key, yj_req_header(req, "Origin"),
        yj_req_header(req, "Host"), &status, &field);
    if (!err && g_atomic_int_get(&s->stopping)) {
        status = 503;
        err = "the server is stopping";
    }
    if (!err && g_atomic_int_add(&s->count, 1) >= s->opt.max_connections) {
        g_atomic_int_dec_and_test(&s->count);
        status = 503;
        err = "too many WebSocket connections";
    }
    if (err) {
        if (free_data && data)
            free_data(data);
        yj_counter_add(m_errors, 1);
        if (status == 426)
            yj_req_add_header(req, "Sec-WebSocket-Version", "13");
        return yj_req_reply_error(req, status, status == 503 ? "unavailable" : "bad_handshake",
                                  field, "%s", err);
    }
    char accept[29];
    yj_ws_accept_key(key, accept);
    yj_req_add_header(req, "Upgrade", "websocket");
    yj_req_add_header(req, "Sec-WebSocket-Accept", accept);
    yj_req_add_header(req, "Cache-Control", "no-store");
    pending_t *p = g_new0(pending_t, 1);
    p->s = s;
    p->data = data;
    p->free_data = free_data;
    g_strlcpy(p->peer, yj_req_peer(req), sizeof p->peer);
    int rc = yj_req_reply_upgrade(req, upgraded, p);
    if (rc) {
        g_atomic_int_dec_and_test(&s->count);
        pending_free(p);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* connections */

yj_ws_conn_t *yj_ws_conn_ref(yj_ws_conn_t *c)
{
    g_atomic_int_inc(&c->ref);
    return c;
}

void yj_ws_conn_unref(yj_ws_conn_t *c)
{
    if (!c || !g_atomic_int_dec_and_test(&c->ref))
        return;
    if (c->free_data && c->data)
        c->free_data(c->data);
    if (c->fd >= 0)
        close(c->fd);
    yj_ws_frame_parser_free(c->parser);
    g_byte_array_free(c->out, TRUE);
    if (c->extra)
        g_byte_array_free(c->extra, TRUE);
    g_mutex_clear(&c->lock);
    g_free(c);
}

void *yj_ws_conn_data(yj_ws_conn_t *c)
{
    return c->data;
}

uint64_t yj_ws_conn_id(const yj_ws_conn_t *c)
{
    return c->id;
}

const char *yj_ws_conn_peer(const yj_ws_conn_t *c)
{
    return c->peer;
}

bool yj_ws_conn_closing(yj_ws_conn_t *c)
{
    g_mutex_lock(&c->lock);
    bool r = c->state != ST_OPEN;
    g_mutex_unlock(&c->lock);
    return r;
}

/* Sends what is queued; lock held. Returns false on a dead socket. */
static bool flush_locked(yj_ws_conn_t *c)
{
    while (c->out->len > 0 && c->fd >= 0) {
        ssize_t n = send(c->fd, c->out->data, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            g_byte_array_remove_range(c->out, 0, (guint)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        return false;
    }
    if (c->out->len == 0 && c->close_sent && !c->write_shut && c->fd >= 0) {
        shutdown(c->fd, SHUT_WR);
        c->write_shut = true;
    }
    return true;
}

static gboolean want_out_cb(gpointer ud);

/* Appends a frame and tries to send; lock held. */
static int queue_frame_locked(yj_ws_conn_t *c, uint8_t opcode, const void *data, size_t len)
{
    uint8_t h[14];
    size_t hl = yj_ws_frame_header_write(h, opcode, true, len, NULL);
    bool was_empty = c->out->len == 0;
    g_byte_array_append(c->out, h, (guint)hl);
    if (len)
        g_byte_array_append(c->out, data, (guint)len);
    if (was_empty && !flush_locked(c))
        return YJ_EIO;
    if (c->out->len > 0 && !c->want_out) {
        /* Always deferred (never inline: we hold the lock), even when
         * called on the server thread. */
        c->want_out = true;
        GSource *idle = g_idle_source_new();
        g_source_set_callback(idle, want_out_cb, yj_ws_conn_ref(c),
                              (GDestroyNotify)yj_ws_conn_unref);
        g_source_attach(idle, c->s->ctx);
        g_source_unref(idle);
    }
    return 0;
}

/* Queues a close frame; lock held. */
static void close_locked(yj_ws_conn_t *c, unsigned code, const char *reason)
{
    if (c->close_sent || c->state == ST_CLOSED)
        return;
    uint8_t body[125];
    size_t rl = reason ? strlen(reason) : 0;
    if (rl > 123)
        rl = 123;
    size_t n = 0;
    if (code != YJ_WS_CLOSE_NO_STATUS) {
        body[0] = (uint8_t)(code >> 8);
        body[1] = (uint8_t)code;
        if (rl)
            memcpy(body + 2, reason, rl);
        n = 2 + rl;
    }
    c->close_sent = true;
    c->code = code;
    c->state = ST_CLOSING;
    c->closing_since = g_get_monotonic_time();
    queue_frame_locked(c, YJ_WS_OP_CLOSE, body, n);
    if (c->out->len == 0)
        flush_locked(c); /* half-close now */
}

int yj_ws_conn_send_text(yj_ws_conn_t *c, const char *text, size_t len)
{
    g_mutex_lock(&c->lock);
    int rc = YJ_ESTATE;
    if (c->state == ST_OPEN) {
        if (c->out->len + len > c->s->opt.max_outbuf) {
            yj_warn("ws", "conn %" G_GUINT64_FORMAT " (%s): client too slow, %u bytes unsent",
                    c->id, c->peer, c->out->len);
            close_locked(c, YJ_WS_CLOSE_POLICY, "too slow to receive");
        } else {
            rc = queue_frame_locked(c, YJ_WS_OP_TEXT, text, len);
            yj_counter_add(m_msgs_out, 1);
        }
    }
    g_mutex_unlock(&c->lock);
    return rc;
}

void yj_ws_conn_close(yj_ws_conn_t *c, unsigned code, const char *reason)
{
    g_mutex_lock(&c->lock);
    close_locked(c, code, reason);
    g_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------------ */
/* the server thread */

static void set_events(yj_ws_conn_t *c)
{
    if (!c->src || !c->tag)
        return;
    g_mutex_lock(&c->lock);
    GIOCondition ev = G_IO_IN;
    if (c->out->len > 0)
        ev |= G_IO_OUT;
    c->want_out = c->out->len > 0;
    g_mutex_unlock(&c->lock);
    g_source_modify_unix_fd(c->src, c->tag, ev);
}

static gboolean want_out_cb(gpointer ud)
{
    yj_ws_conn_t *c = ud;
    if (c->src)
        set_events(c);
    return G_SOURCE_REMOVE;
}

static void handle_event(yj_ws_conn_t *c, const yj_ws_event_t *ev)
{
    yj_ws_server_t *s = c->s;
    switch (ev->type) {
    case YJ_WS_EV_TEXT: {
        g_mutex_lock(&c->lock);
        bool open = c->state == ST_OPEN;
        g_mutex_unlock(&c->lock);
        yj_counter_add(m_msgs_in, 1);
        if (open && s->cb.on_text) {
            char *copy = g_strndup((const char *)ev->data, ev->len);
            s->cb.on_text(c, copy, ev->len, s->ud);
            g_free(copy);
        }
        break;
    }
    case YJ_WS_EV_BINARY:
        yj_ws_conn_close(c, YJ_WS_CLOSE_UNSUPPORTED, "binary messages are not supported");
        break;
    case YJ_WS_EV_PING:
        g_mutex_lock(&c->lock);
        if (c->state == ST_OPEN)
            queue_frame_locked(c, YJ_WS_OP_PONG, ev->data, ev->len);
        g_mutex_unlock(&c->lock);
        break;
    case YJ_WS_EV_PONG:
        break;
    case YJ_WS_EV_CLOSE:
        c->close_received = true;
        g_mutex_lock(&c->lock);
        if (!c->close_sent) {
            /* Echo the code (RFC 6455 §5.5.1); 1005 means "none given". */
            close_locked(c, ev->code == YJ_WS_CLOSE_NO_STATUS ? YJ_WS_CLOSE_NORMAL : ev->code,
                         NULL);
            c->code = ev->code;
        }
        g_mutex_unlock(&c->lock);
        break;
    case YJ_WS_EV_ERROR:
        yj_counter_add(m_errors, 1);
        yj_info("ws", "conn %" G_GUINT64_FORMAT " (%s): closing %u: %s", c->id, c->peer, ev->code,
                ev->reason);
        yj_ws_conn_close(c, ev->code, ev->reason);
        break;
    }
}

/* Drains the parser; returns false once the connection is finished. */
static bool drain_parser(yj_ws_conn_t *c)
{
    yj_ws_event_t ev;
    for (int i = 0; i < 1024; i++) {
        if (c->state == ST_CLOSED)
            return false;
        if (!yj_ws_frame_parser_next(c->parser, &ev))
            return true;
        if (ev.type == YJ_WS_EV_ERROR) {
            g_mutex_lock(&c->lock);
            bool sent = c->close_sent;
            g_mutex_unlock(&c->lock);
            if (!sent)
                handle_event(c, &ev);
            return true; /* keep reading (discarding) until EOF or linger */
        }
        if (c->close_received)
            return true; /* nothing after a close frame counts */
        handle_event(c, &ev);
    }
    return true;
}

static gboolean conn_dispatch(GSource *src, GSourceFunc cb, gpointer ud)
{
    (void)cb;
    (void)ud;
    yj_ws_conn_t *c = *(yj_ws_conn_t **)(src + 1);
    GIOCondition rev = g_source_query_unix_fd(src, c->tag);
    yj_ws_conn_ref(c);
    if (rev & G_IO_OUT) {
        g_mutex_lock(&c->lock);
        bool ok = flush_locked(c);
        g_mutex_unlock(&c->lock);
        if (!ok) {
            finish(c, 1006);
            goto out;
        }
        set_events(c);
    }
    if (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        uint8_t buf[16384];
        for (int i = 0; i < 16; i++) {
            ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                c->last_rx = g_get_monotonic_time();
                yj_ws_frame_parser_feed(c->parser, buf, (size_t)n);
                if (!drain_parser(c))
                    goto out;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            /* EOF or error. */
            g_mutex_lock(&c->lock);
            unsigned code = c->close_sent || c->close_received ? c->code : 1006;
            g_mutex_unlock(&c->lock);
            finish(c, code);
            goto out;
        }
    }
    /* Both close frames exchanged and ours is out: done. */
    g_mutex_lock(&c->lock);
    bool done = c->close_received && c->close_sent && c->out->len == 0;
    unsigned code = c->code;
    g_mutex_unlock(&c->lock);
    if (done)
        finish(c, code);
out:
    yj_ws_conn_unref(c);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs conn_funcs = {NULL, NULL, conn_dispatch, NULL, NULL, NULL};

static gboolean tcp_attach(gpointer ud)
{
    yj_ws_conn_t *c = ud;
    yj_ws_server_t *s = c->s;
    if (g_atomic_int_get(&s->stopping)) {
        g_atomic_int_dec_and_test(&s->count);
        yj_ws_conn_unref(c);
        return G_SOURCE_REMOVE;
    }
    c->src = g_source_new(&conn_funcs, sizeof(GSource) + sizeof(yj_ws_conn_t *));
    *(yj_ws_conn_t **)(c->src + 1) = c;
    c->tag = g_source_add_unix_fd(c->src, c->fd, G_IO_IN);
    g_source_attach(c->src, s->ctx);
    c->last_rx = c->last_ping = g_get_monotonic_time();
    g_hash_table_insert(s->conns, &c->id, c);
    yj_counter_add(m_conns, 1);
    c->opened = true;
    if (s->cb.on_open)
        s->cb.on_open(c, s->ud);
    if (c->extra) {
        yj_ws_frame_parser_feed(c->parser, c->extra->data, c->extra->len);
        g_byte_array_free(c->extra, TRUE);
        c->extra = NULL;
        drain_parser(c);
    }
    set_events(c);
    return G_SOURCE_REMOVE;
}

/* Tears the connection down on the server thread; runs on_close once. */
static void finish(yj_ws_conn_t *c, unsigned code)
{
    yj_ws_server_t *s = c->s;
    g_mutex_lock(&c->lock);
    if (c->state == ST_CLOSED) {
        g_mutex_unlock(&c->lock);
        return;
    }
    c->state = ST_CLOSED;
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    g_mutex_unlock(&c->lock);
    if (c->src) {
        g_source_destroy(c->src);
        g_source_unref(c->src);
        c->src = NULL;
    }
    yj_counter_add(m_conns, -1);
    g_atomic_int_dec_and_test(&s->count);
    if (c->opened && s->cb.on_close)
        s->cb.on_close(c, code, s->ud);
    g_hash_table_remove(s->conns, &c->id); /* drops the server's reference */
}

static gboolean tick(gpointer ud)
{
    yj_ws_server_t *s = ud;
    gint64 now = g_get_monotonic_time();
    GList *list = g_hash_table_get_values(s->conns);
    for (GList *l = list; l; l = l->next)
        yj_ws_conn_ref(l->data);
    for (GList *l = list; l; l = l->next) {
        yj_ws_conn_t *c = l->data;
        g_mutex_lock(&c->lock);
        int st = c->state;
        gint64 since = c->closing_since;
        unsigned code = c->code;
        g_mutex_unlock(&c->lock);
        if (st == ST_CLOSING && now - since > CLOSE_LINGER_US) {
            finish(c, code);
        } else if (st == ST_OPEN &&
                   now - c->last_rx > (gint64)s->opt.idle_seconds * G_USEC_PER_SEC) {
            yj_info("ws", "conn %" G_GUINT64_FORMAT " (%s): silent for %d s, closing", c->id,
                    c->peer, s->opt.idle_seconds);
            yj_ws_conn_close(c, YJ_WS_CLOSE_GOING_AWAY, "idle");
        } else if (st == ST_OPEN &&
                   now - c->last_rx > (gint64)s->opt.ping_seconds * G_USEC_PER_SEC &&
                   now - c->last_ping > (gint64)s->opt.ping_seconds * G_USEC_PER_SEC) {
            c->last_ping = now;
            g_mutex_lock(&c->lock);
            queue_frame_locked(c, YJ_WS_OP_PING, "yj", 2);
            g_mutex_unlock(&c->lock);
        }
    }
    for (GList *l = list; l; l = l->next)
        yj_ws_conn_unref(l->data);
    g_list_free(list);
    return G_SOURCE_CONTINUE;
}

static gpointer run(gpointer ud)
{
    yj_ws_server_t *s = ud;
    /* Process signals (SIGTERM, SIGINT) belong to the main thread's GLib
     * handlers, never to this one. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    g_main_context_push_thread_default(s->ctx);
    g_main_loop_run(s->loop);
    g_main_context_pop_thread_default(s->ctx);
    return NULL;
}

yj_ws_server_t *yj_ws_server_new(const yj_ws_options_t *opt, const yj_ws_callbacks_t *cb, void *ud)
{
    if (!m_conns) {
        m_conns = yj_metrics_gauge("yj_ws_connections", "Open WebSocket connections");
        m_msgs_in =
            yj_metrics_counter("yj_ws_messages_total{direction=\"in\"}", "WebSocket text messages");
        m_msgs_out = yj_metrics_counter("yj_ws_messages_total{direction=\"out\"}",
                                        "WebSocket text messages");
        m_errors =
            yj_metrics_counter("yj_ws_errors_total", "Refused handshakes and protocol violations");
    }
    yj_ws_server_t *s = g_new0(yj_ws_server_t, 1);
    s->opt = *opt;
    if (!s->opt.max_message)
        s->opt.max_message = 65536;
    if (!s->opt.max_outbuf)
        s->opt.max_outbuf = 4u << 20;
    if (s->opt.ping_seconds <= 0)
        s->opt.ping_seconds = 20;
    if (s->opt.idle_seconds <= 0)
        s->opt.idle_seconds = 60;
    if (s->opt.max_connections <= 0)
        s->opt.max_connections = 10000;
    s->cb = *cb;
    s->ud = ud;
    s->ctx = g_main_context_new();
    s->loop = g_main_loop_new(s->ctx, FALSE);
    s->conns =
        g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)yj_ws_conn_unref);
    return s;
}

int yj_ws_server_start(yj_ws_server_t *s)
{
    s->tick = g_timeout_source_new_seconds(1);
    g_source_set_callback(s->tick, tick, s, NULL);
    g_source_attach(s->tick, s->ctx);
    s->thread = g_thread_new("yj-ws", run, s);
    return s->thread ? 0 : YJ_ENOMEM;
}

GMainContext *yj_ws_server_context(yj_ws_server_t *s)
{
    return s->ctx;
}

int yj_ws_server_count(yj_ws_server_t *s)
{
    return g_atomic_int_get(&s->count);
}

typedef struct {
    yj_ws_server_t *s;
    GMutex lock;
    GCond cond;
    bool done;
} stop_t;

static gboolean stop_on_thread(gpointer ud)
{
    stop_t *st = ud;
    yj_ws_server_t *s = st->s;
    GList *list = g_hash_table_get_values(s->conns);
    for (GList *l = list; l; l = l->next)
        yj_ws_conn_ref(l->data);
    for (GList *l = list; l; l = l->next) {
        yj_ws_conn_t *c = l->data;
        yj_ws_conn_close(c, YJ_WS_CLOSE_GOING_AWAY, "server shutting down");
        finish(c, YJ_WS_CLOSE_GOING_AWAY);
        yj_ws_conn_unref(c);
    }
    g_list_free(list);
    g_main_loop_quit(s->loop);
    g_mutex_lock(&st->lock);
    st->done = true;
    g_cond_signal(&st->cond);
    g_mutex_unlock(&st->lock);
    return G_SOURCE_REMOVE;
}

void yj_ws_server_free(yj_ws_server_t *s)
{
    if (!s)
        return;
    g_atomic_int_set(&s->stopping, 1);
    if (s->thread) {
        stop_t st = {.s = s};
        g_mutex_init(&st.lock);
        g_cond_init(&st.cond);
        g_main_context_invoke(s->ctx, stop_on_thread, &st);
        g_mutex_lock(&st.lock);
        while (!st.done)
            g_cond_wait(&st.cond, &st.lock);
        g_mutex_unlock(&st.lock);
        g_thread_join(s->thread);
        g_mutex_clear(&st.lock);
        g_cond_clear(&st.cond);
    }
    if (s->tick) {
        g_source_destroy(s->tick);
        g_source_unref(s->tick);
    }
    /* Run whatever was posted meanwhile (attaches refuse, unrefs). */
    while (g_main_context_iteration(s->ctx, FALSE))
        ;
    g_hash_table_destroy(s->conns);
    g_main_loop_unref(s->loop);
    g_main_context_unref(s->ctx);
    g_free(s);
}
