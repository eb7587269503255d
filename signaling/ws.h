/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ws.h — a WebSocket server (RFC 6455) on top of libmicrohttpd's upgrade.
 *
 * The HTTP route validates the opening handshake (yj_ws_handshake): GET,
 * "Upgrade: websocket", "Connection: Upgrade", a 16-byte base64
 * Sec-WebSocket-Key, version 13 (else 426) and, when the request carries an
 * Origin, that it is the server's own (cross-site pages are refused 403). It
 * replies 101 with Sec-WebSocket-Accept. The upgraded socket is then served
 * by one GLib main context thread owned by the server (not a thread per
 * connection): frames are parsed by ws_frame.c, pings answered, text
 * messages handed to on_text, idle connections pinged and, when silent too
 * long, closed. A message over the size limit closes with 1009, a protocol
 * violation with 1002, invalid UTF-8 with 1007; a client too slow to read
 * what it is sent (output over max_outbuf) is closed with 1008.
 *
 * Every callback runs on the server's thread. Sending and closing may be
 * called from any thread; connections are refcounted.
 */
#ifndef YJ_WS_H
#define YJ_WS_H

#include "http/http.h"

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct yj_ws_server yj_ws_server_t;
typedef struct yj_ws_conn yj_ws_conn_t;

typedef struct {
    /* A connection is open (handshake done). */
    void (*on_open)(yj_ws_conn_t *c, void *ud);
    /* A complete, valid UTF-8 text message (NUL-terminated copy). */
    void (*on_text)(yj_ws_conn_t *c, const char *text, size_t len, void *ud);
    /* The connection is gone (code sent or received; 1006 for a dropped
     * socket). The last callback for c; the server then drops its ref. */
    void (*on_close)(yj_ws_conn_t *c, unsigned code, void *ud);
} yj_ws_callbacks_t;

typedef struct {
    size_t max_message;  /* largest message accepted (default 65536) */
    size_t max_outbuf;   /* unsent bytes before a slow client is dropped (4 MiB) */
    int ping_seconds;    /* ping a connection silent this long (default 20) */
    int idle_seconds;    /* close one silent this long (default 60) */
    int max_connections; /* refuse more with 503 (default 10000) */
} yj_ws_options_t;

/* Creates the server (callbacks copied, ud borrowed). No thread yet. */
yj_ws_server_t *yj_ws_server_new(const yj_ws_options_t *opt, const yj_ws_callbacks_t *cb, void *ud);
/* Starts the server's thread. 0 or YJ_E*. */
int yj_ws_server_start(yj_ws_server_t *s);
/* Closes every connection (1001), stops and joins the thread, frees. After
 * it returns no callback runs. NULL is a no-op. */
void yj_ws_server_free(yj_ws_server_t *s);
/* The server thread's context, to run work there (g_main_context_invoke). */
GMainContext *yj_ws_server_context(yj_ws_server_t *s);
/* Number of open connections. */
int yj_ws_server_count(yj_ws_server_t *s);

/* The RFC 6455 handshake checks on the request's headers (any may be
 * NULL): NULL when acceptable, else the reason, with *status (400, 403 or
 * 426) and *field (the header) set. Pure; fuzzed (fuzz_ws_handshake). */
const char *yj_ws_check_handshake(const char *upgrade, const char *connection, const char *version,
                                  const char *key, const char *origin, const char *host,
                                  unsigned *status, const char **field);

/* Validates the opening handshake of req and replies (101 and the upgrade,
 * or 400/403/426/503 JSON errors). data is attached to the new connection
 * (yj_ws_conn_data) and freed with free_data when the connection is freed,
 * or at once if the handshake fails. Returns what the reply returned. */
int yj_ws_handshake(yj_ws_server_t *s, yj_req_t *req, void *data, GDestroyNotify free_data);

/* The Sec-WebSocket-Accept value for a key (28 chars + NUL into out). */
void yj_ws_accept_key(const char *key, char out[29]);

yj_ws_conn_t *yj_ws_conn_ref(yj_ws_conn_t *c);
void yj_ws_conn_unref(yj_ws_conn_t *c);
/* Queues a text message. [any thread] 0, YJ_ESTATE when closing/closed. */
int yj_ws_conn_send_text(yj_ws_conn_t *c, const char *text, size_t len);
/* Starts the closing handshake with code and reason (≤ 123 bytes). [any
 * thread] A second call is a no-op. */
void yj_ws_conn_close(yj_ws_conn_t *c, unsigned code, const char *reason);
/* The data given to yj_ws_handshake (borrowed). */
void *yj_ws_conn_data(yj_ws_conn_t *c);
/* A unique number for logs and maps; the peer address as text. */
uint64_t yj_ws_conn_id(const yj_ws_conn_t *c);
const char *yj_ws_conn_peer(const yj_ws_conn_t *c);
/* True once closing has started. */
bool yj_ws_conn_closing(yj_ws_conn_t *c);

#endif
