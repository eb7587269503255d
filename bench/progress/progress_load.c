/* SPDX-License-Identifier: Apache-2.0 */
/*
 * progress_load.c — load generator for POST /api/v1/lessons/{id}/progress:
 * many simulated learners (each with its own bearer token) send progress
 * reports over a pool of keep-alive HTTP/1.1 connections (epoll, one
 * request in flight per connection). It prints throughput and latency
 * percentiles.
 *
 * With --kill-pid it sends SIGKILL to the daemon mid-run, then opens the
 * database and checks, learner by learner, that the stored report count
 * is at least the number of reports the server acknowledged (200): an
 * acknowledged report must never be lost.
 *
 *   progress_load --port P --tokens FILE --lesson ID [--conns 64]
 *                 [--seconds 10] [--length 19.5]
 *                 [--kill-pid PID --kill-after S --db PATH]
 * FILE has one "identity_number token" pair per line. bench/progress/
 * run.sh sets everything up. A benchmark, not a test: it never fails CI.
 */
#include "core/store.h"
#include "daemon/migrations.h"
#include "vod/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char id[24];
    char token[128];
    int64_t k;     /* reports sent */
    int64_t acked; /* 200 responses */
} learner_t;

typedef struct {
    int fd;
    int next; /* index into its learners */
    int current;
    char out[1024];
    size_t out_len, out_off;
    char in[8192];
    size_t in_len;
    int64_t t0;
    bool dead;
} conn_t;

static learner_t *learners;
static int n_learners, n_conns = 64, port, lesson = 1;
static double seconds = 10, length = 19.5, kill_after = -1;
static pid_t kill_pid;
static const char *db_path;
static GArray *lat; /* int64 microseconds */
static int64_t ok_count, refused, errors;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Connects (blocking), then switches the socket to non-blocking. */
static int connect_one(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Waits for writability only while a request is partly sent; otherwise
 * a level-triggered EPOLLOUT would wake the loop for every idle socket. */
static void watch(int ep, conn_t *c, uint32_t idx)
{
    struct epoll_event ev = {.events = EPOLLIN | (c->out_off < c->out_len ? EPOLLOUT : 0),
                             .data.u32 = idx};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Learner i's next report: a 50 ms stretch after the previous one,
 * wrapping inside the lesson, so each report adds a little new watching. */
static void build(conn_t *c, int li)
{
    learner_t *l = &learners[li];
    double step = 0.05, span = length - 1;
    double a = (double)(l->k % (int64_t)(span / step)) * step;
    char body[160];
    int bl = snprintf(body, sizeof body, "{\"position\":%.3f,\"intervals\":[[%.3f,%.3f]]}",
                      a + step, a, a + step);
    c->out_len = (size_t)snprintf(c->out, sizeof c->out,
                                  "POST /api/v1/lessons/%d/progress HTTP/1.1\r\n"
                                  "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                                  "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                                  lesson, l->token, bl, body);
    c->out_off = 0;
    c->in_len = 0;
    c->current = li;
    c->t0 = now_us();
    l->k++;
}

static int pick(conn_t *c, int ci)
{
    int per = (n_learners + n_conns - 1) / n_conns;
    for (int tries = 0; tries < per; tries++) {
        int li = ci + (c->next++ % per) * n_conns;
        if (li < n_learners)
            return li;
    }
    return ci % n_learners;
}

static bool try_send(conn_t *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            return true;
        if (w <= 0)
            return false;
        c->out_off += (size_t)w;
    }
    return true;
}

/* 1: a full response was parsed; 0: need more; -1: broken. */
static int parse(conn_t *c)
{
    c->in[c->in_len < sizeof c->in ? c->in_len : sizeof c->in - 1] = 0;
    char *end = strstr(c->in, "\r\n\r\n");
    if (!end)
        return c->in_len >= sizeof c->in - 1 ? -1 : 0;
    int status = atoi(c->in + 9);
    long clen = 0;
    for (char *p = c->in; p < end; p++)
        if (g_ascii_strncasecmp(p, "\r\ncontent-length:", 17) == 0) {
            clen = strtol(p + 17, NULL, 10);
            break;
        }
    size_t need = (size_t)(end + 4 - c->in) + (size_t)clen;
    if (c->in_len < need)
        return 0;
    int64_t us = now_us() - c->t0;
    g_array_append_val(lat, us);
    if (status == 200) {
        ok_count++;
        learners[c->current].acked++;
    } else if (status == 400) {
        refused++;
        if (refused < 5)
            fprintf(stderr, "refused: %.*s\n", (int)clen, end + 4);
    } else {
        errors++;
    }
    memmove(c->in, c->in + need, c->in_len - need);
    c->in_len -= need;
    return 1;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void load_tokens(const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        perror(file);
        exit(2);
    }
    GArray *a = g_array_new(FALSE, TRUE, sizeof(learner_t));
    learner_t l;
    memset(&l, 0, sizeof l);
    while (fscanf(f, "%23s %127s", l.id, l.token) == 2)
        g_array_append_val(a, l);
    fclose(f);
    n_learners = (int)a->len;
    learners = (learner_t *)(void *)g_array_free(a, FALSE);
}

static int verify(void)
{
    usleep(300000);
    char *err = NULL;
    yj_store_t *st = yj_daemon_store_open(db_path, &err);
    if (!st) {
        fprintf(stderr, "cannot open %s: %s\n", db_path, err);
        return 1;
    }
    int64_t lost = 0, acked = 0, stored = 0;
    for (int i = 0; i < n_learners; i++) {
        yj_vod_progress_row_t r;
        yj_store_vod_progress_get(st, learners[i].id, lesson, &r);
        acked += learners[i].acked;
        stored += r.reports;
        if (r.reports < learners[i].acked) {
            lost += learners[i].acked - r.reports;
            if (lost < 5)
                fprintf(stderr,
                        "learner %s: %" G_GINT64_FORMAT " acknowledged, %" G_GINT64_FORMAT
                        " stored\n",
                        learners[i].id, learners[i].acked, r.reports);
        }
        yj_vod_progress_row_clear(&r);
    }
    yj_store_close(st);
    printf("kill -9 check: %" G_GINT64_FORMAT " reports acknowledged, %" G_GINT64_FORMAT
           " stored, %" G_GINT64_FORMAT " acknowledged reports lost\n",
           acked, stored, lost);
    return lost ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *tokens = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--tokens"))
            tokens = argv[i + 1];
        else if (!strcmp(argv[i], "--lesson"))
            lesson = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--conns"))
            n_conns = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--length"))
            length = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--kill-pid"))
            kill_pid = (pid_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--kill-after"))
            kill_after = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--db"))
            db_path = argv[i + 1];
    }
    if (!port || !tokens) {
        fprintf(stderr,
                "usage: %s --port P --tokens FILE [--lesson ID] [--conns N] "
                "[--seconds S] [--length S] [--kill-pid PID --kill-after S --db PATH]\n",
                argv[0]);
        return 2;
    }
    load_tokens(tokens);
    if (n_learners == 0 || n_conns < 1)
        return 2;
    if (n_conns > n_learners)
        n_conns = n_learners;
    lat = g_array_sized_new(FALSE, FALSE, sizeof(int64_t), 1 << 20);
    int ep = epoll_create1(0);
    conn_t *conns = calloc((size_t)n_conns, sizeof *conns);
    for (int i = 0; i < n_conns; i++) {
        conns[i].fd = connect_one();
        if (conns[i].fd < 0) {
            perror("connect");
            return 1;
        }
        build(&conns[i], pick(&conns[i], i));
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
        if (!try_send(&conns[i])) {
            perror("send");
            return 1;
        }
        if (conns[i].out_off < conns[i].out_len)
            watch(ep, &conns[i], (uint32_t)i);
    }
    int64_t start = now_us(), stop = start + (int64_t)(seconds * 1e6);
    bool killed = false;
    int alive = n_conns;
    struct epoll_event evs[256];
    while (alive > 0) {
        int64_t t = now_us();
        if (!killed && kill_pid && kill_after >= 0 && t - start >= (int64_t)(kill_after * 1e6)) {
            kill(kill_pid, SIGKILL);
            killed = true;
            stop = t + 1000000; /* drain what the dying server already sent */
        }
        if (t >= stop)
            break;
        int n = epoll_wait(ep, evs, 256, 50);
        for (int e = 0; e < n; e++) {
            conn_t *c = &conns[evs[e].data.u32];
            if (c->dead)
                continue;
            bool bad = (evs[e].events & (EPOLLERR | EPOLLHUP)) && !(evs[e].events & EPOLLIN);
            if (!bad && (evs[e].events & EPOLLOUT)) {
                bad = !try_send(c);
                if (!bad && c->out_off == c->out_len)
                    watch(ep, c, evs[e].data.u32);
            }
            if (!bad && (evs[e].events & EPOLLIN)) {
                ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - 1 - c->in_len, 0);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                    bad = true;
                else if (r > 0) {
                    c->in_len += (size_t)r;
                    int p = parse(c);
                    if (p < 0)
                        bad = true;
                    else if (p > 0 && !killed) {
                        build(c, pick(c, (int)evs[e].data.u32));
                        bad = !try_send(c);
                        if (!bad && c->out_off < c->out_len)
                            watch(ep, c, evs[e].data.u32);
                    }
                }
            }
            if (bad) {
                c->dead = true;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                alive--;
                if (!killed)
                    errors++;
            }
        }
    }
    double secs = (double)(now_us() - start) / 1e6;
    if (killed)
        secs = kill_after;
    g_array_sort(lat, cmp64);
    int64_t *v = (int64_t *)(void *)lat->data;
    size_t m = lat->len;
#define PCT(p) (m ? (double)v[(size_t)((double)(m - 1) * (p))] / 1000.0 : 0.0)
    printf("progress bench: %d learners over %d connections, %.1f s\n", n_learners, n_conns, secs);
    printf("reports: %" G_GINT64_FORMAT " accepted, %" G_GINT64_FORMAT " refused, %" G_GINT64_FORMAT
           " errors -> %.0f reports/s\n",
           ok_count, refused, errors, (double)ok_count / secs);
    printf("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", PCT(0.5), PCT(0.9), PCT(0.99),
           PCT(1.0));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double self = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                  ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
    printf("load generator CPU: %.2f s = %.0f us per report\n", self,
           ok_count ? self * 1e6 / (double)ok_count : 0.0);
    for (int i = 0; i < n_conns; i++)
        if (!conns[i].dead)
            close(conns[i].fd);
    free(conns);
    close(ep);
    g_array_free(lat, TRUE);
    int rc = killed && db_path ? verify() : 0;
    free(learners);
    return rc;
}
