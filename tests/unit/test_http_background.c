/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_background.c — YJ_ROUTE_BACKGROUND handlers run off the HTTP
 * threads: with a single HTTP thread and a background handler held, other
 * requests are still answered; the held request gets its reply once the
 * handler returns; past YJ_HTTP_BACKGROUND_QUEUE waiting requests the next
 * one is refused with 503 and Retry-After; stopping the server waits for
 * background handlers instead of freeing their connections under them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/yj.h"
#include "http/http.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static GMutex mu;
static GCond cond;
static bool released;
static int entered;
static GThread *handler_thread;

static int slow(yj_req_t *req, void *ud)
{
    (void)ud;
    g_mutex_lock(&mu);
    entered++;
    handler_thread = g_thread_self();
    g_cond_broadcast(&cond);
    while (!released)
        g_cond_wait(&cond, &mu);
    g_mutex_unlock(&mu);
    return yj_req_reply_data(req, 200, "text/plain", "slow done", 9);
}

static int fast(yj_req_t *req, void *ud)
{
    (void)ud;
    return yj_req_reply_data(req, 200, "text/plain", "pong", 4);
}

static int failing(yj_req_t *req, void *ud)
{
    (void)req;
    (void)ud;
    return YJ_EDB; /* no reply: the server answers 500 for it */
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_get(int fd, const char *path)
{
    char buf[256];
    int n = g_snprintf(buf, sizeof buf, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                       path);
    assert_int_equal(write(fd, buf, (size_t)n), n);
}

/* Reads the whole reply (the server closes); returns it (g_free). */
static char *read_reply(int fd)
{
    GString *s = g_string_new(NULL);
    char buf[1024];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        g_string_append_len(s, buf, n);
    close(fd);
    return g_string_free(s, FALSE);
}

static char *get(int port, const char *path)
{
    int fd = connect_to(port);
    send_get(fd, path);
    return read_reply(fd);
}

static void wait_entered(int n)
{
    gint64 until = g_get_monotonic_time() + 30 * G_TIME_SPAN_SECOND;
    g_mutex_lock(&mu);
    while (entered < n)
        if (!g_cond_wait_until(&cond, &mu, until))
            break;
    int e = entered;
    g_mutex_unlock(&mu);
    assert_true(e >= n);
}

static yj_http_t *server(void)
{
    yj_http_options_t o = {.address = "127.0.0.1", .port = 0, .threads = 1};
    yj_http_t *h = yj_http_new(&o);
    assert_int_equal(
        yj_http_route(h, "GET", "/slow", YJ_ROUTE_BACKGROUND | YJ_ROUTE_UNDOC, 0, slow, NULL), 0);
    assert_int_equal(
        yj_http_route(h, "GET", "/fail", YJ_ROUTE_BACKGROUND | YJ_ROUTE_UNDOC, 0, failing, NULL),
        0);
    assert_int_equal(yj_http_route(h, "GET", "/ping", YJ_ROUTE_UNDOC, 0, fast, NULL), 0);
    char *err = NULL;
    assert_int_equal(yj_http_start(h, &err), 0);
    released = false;
    entered = 0;
    handler_thread = NULL;
    return h;
}

static void release(void)
{
    g_mutex_lock(&mu);
    released = true;
    g_cond_broadcast(&cond);
    g_mutex_unlock(&mu);
}

static void other_requests_answered_while_held(void **state)
{
    (void)state;
    yj_http_t *h = server();
    int port = yj_http_port(h);
    int held = connect_to(port);
    send_get(held, "/slow");
    wait_entered(1);
    /* The only HTTP thread is free: /ping is answered while /slow is held. */
    char *r = get(port, "/ping");
    assert_non_null(strstr(r, "200 OK"));
    assert_non_null(strstr(r, "pong"));
    g_free(r);
    assert_true(handler_thread != NULL);
    release();
    r = read_reply(held);
    assert_non_null(strstr(r, "200 OK"));
    assert_non_null(strstr(r, "slow done"));
    g_free(r);
    /* A background handler that fails without replying gets the 500. */
    r = get(port, "/fail");
    assert_non_null(strstr(r, "500"));
    g_free(r);
    yj_http_stop(h);
    yj_http_free(h);
}

static void full_queue_refused_with_retry_after(void **state)
{
    (void)state;
    yj_http_t *h = server();
    int port = yj_http_port(h);
    int fds[YJ_HTTP_BACKGROUND_QUEUE];
    for (int i = 0; i < YJ_HTTP_BACKGROUND_QUEUE; i++) {
        fds[i] = connect_to(port);
        send_get(fds[i], "/slow");
    }
    /* Both background threads are inside the handler; the rest wait. */
    wait_entered(YJ_HTTP_BACKGROUND_THREADS);
    for (int i = 0; i < 3000 && yj_http_background_waiting(h) < YJ_HTTP_BACKGROUND_QUEUE; i++)
        g_usleep(10000);
    assert_int_equal(yj_http_background_waiting(h), YJ_HTTP_BACKGROUND_QUEUE);
    char *r = get(port, "/slow");
    assert_non_null(strstr(r, "503"));
    assert_non_null(strstr(r, "Retry-After: 5"));
    assert_non_null(strstr(r, "\"busy\""));
    g_free(r);
    release();
    for (int i = 0; i < YJ_HTTP_BACKGROUND_QUEUE; i++) {
        r = read_reply(fds[i]);
        assert_non_null(strstr(r, "slow done"));
        g_free(r);
    }
    yj_http_stop(h);
    yj_http_free(h);
}

static gpointer release_later(gpointer d)
{
    (void)d;
    g_usleep(200 * 1000);
    release();
    return NULL;
}

static void stop_waits_for_background_handlers(void **state)
{
    (void)state;
    yj_http_t *h = server();
    int fd = connect_to(yj_http_port(h));
    send_get(fd, "/slow");
    wait_entered(1);
    GThread *t = g_thread_new("release", release_later, NULL);
    yj_http_stop(h); /* returns only after the handler replied */
    g_mutex_lock(&mu);
    assert_true(released);
    g_mutex_unlock(&mu);
    g_thread_join(t);
    char *r = read_reply(fd);
    g_free(r); /* replied or closed: either way no use-after-free (ASan) */
    yj_http_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(other_requests_answered_while_held),
        cmocka_unit_test(full_queue_refused_with_retry_after),
        cmocka_unit_test(stop_waits_for_background_handlers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
