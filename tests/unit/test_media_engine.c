/* SPDX-License-Identifier: Apache-2.0 */
/* test_media_engine.c — the engine's reading of the STUN/TURN settings:
 * host names resolve to an address of the host candidates' family (a
 * dual-stack name such as "localhost" enumerates IPv6 first, which libnice
 * would never pair with IPv4 candidates), the default port is 3478, and a
 * bad or unresolvable server stops the engine with a message naming the
 * key. Uses "localhost", which the C library resolves without DNS.
 * Also the workers' load measure that admission of viewers relies on: a
 * worker that spends a second of CPU reads as busy, then idle again; and
 * admission itself (yj_media_admit): a peer in its handshake counts
 * against max_handshakes until it is closed, a worker above
 * max_load_percent refuses, and bad bounds stop the engine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/worker.h"
#include "core/yj.h"

#include <string.h>
#include <time.h>

static yj_media_t *engine(const char *interfaces, const char *stun, const char *turn, char **err)
{
    yj_media_config_t cfg = {.workers = 1,
                             .interfaces = interfaces,
                             .stun_server = stun,
                             .turn_server = turn,
                             .turn_user = "u",
                             .turn_password = "p"};
    *err = NULL;
    return yj_media_new(&cfg, err);
}

static void names_follow_the_candidates_family(void **state)
{
    (void)state;
    char *err = NULL;
    yj_media_t *m = engine("127.0.0.1", "localhost:3479", "localhost", &err);
    assert_non_null(m);
    assert_string_equal(m->ice.stun_ip, "127.0.0.1");
    assert_int_equal(m->ice.stun_port, 3479);
    assert_string_equal(m->ice.turn_ip, "127.0.0.1");
    assert_int_equal(m->ice.turn_port, 3478);
    assert_string_equal(m->ice.turn_user, "u");
    yj_media_free(m);

    /* no interfaces: libnice offers IPv4 addresses, so IPv4 */
    m = engine("", NULL, "localhost:5349", &err);
    assert_non_null(m);
    assert_null(m->ice.stun_ip);
    assert_string_equal(m->ice.turn_ip, "127.0.0.1");
    assert_int_equal(m->ice.turn_port, 5349);
    yj_media_free(m);

    /* IPv6 interfaces only: the IPv6 address */
    m = engine("::1", "localhost", NULL, &err);
    assert_non_null(m);
    assert_string_equal(m->ice.stun_ip, "::1");
    assert_null(m->ice.turn_ip);
    yj_media_free(m);

    /* literal addresses are kept as they are */
    m = engine("127.0.0.1", "[::1]:3480", "192.0.2.7:3478", &err);
    assert_non_null(m);
    assert_string_equal(m->ice.stun_ip, "::1");
    assert_int_equal(m->ice.stun_port, 3480);
    assert_string_equal(m->ice.turn_ip, "192.0.2.7");
    yj_media_free(m);
}

static void bad_servers_are_refused_by_name(void **state)
{
    (void)state;
    char *err = NULL;
    assert_null(engine("127.0.0.1", NULL, "bad host:x", &err));
    assert_non_null(err);
    assert_non_null(strstr(err, "turn_server"));
    assert_non_null(strstr(err, "bad server address"));
    g_free(err);

    assert_null(engine("127.0.0.1", "stun.example.org:99999", NULL, &err));
    assert_non_null(err);
    assert_non_null(strstr(err, "stun_server"));
    g_free(err);
}

static int64_t thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

typedef struct {
    gint done;
    int64_t wall_us; /* how long the spin took on the clock */
} spin_t;

/* Runs on the worker: burns 2.5 s of the worker thread's CPU. */
static gboolean spin(gpointer data)
{
    spin_t *s = data;
    int64_t t0 = g_get_monotonic_time();
    int64_t end = thread_cpu_us() + 2500000;
    while (thread_cpu_us() < end) /* each call is itself CPU work */
        ;
    s->wall_us = g_get_monotonic_time() - t0;
    g_atomic_int_set(&s->done, 1);
    return G_SOURCE_REMOVE;
}

/* Polls the load until it is at least min_busy (busy) or at most 10. */
static int wait_load(yj_media_t *m, bool busy, int seconds, int min_busy)
{
    int load = yj_media_load_percent(m);
    for (int i = 0; i < seconds * 10 && (busy ? load < min_busy : load > 10); i++) {
        g_usleep(100000);
        load = yj_media_load_percent(m);
    }
    return load;
}

static void worker_load_is_measured(void **state)
{
    (void)state;
    char *err = NULL;
    yj_media_t *m = engine("127.0.0.1", "", "", &err);
    assert_non_null(m);
    assert_int_equal(yj_media_start(m), 0);
    /* idle: the 20 ms tick costs next to nothing */
    g_usleep(1300000);
    assert_true(wait_load(m, false, 3, 0) <= 10);
    spin_t s = {0};
    g_main_context_invoke(m->workers[0].ctx, spin, &s);
    for (int i = 0; i < 1200 && !g_atomic_int_get(&s.done); i++)
        g_usleep(100000);
    assert_true(g_atomic_int_get(&s.done));
    /* The tick cannot run during the spin, so the first measure after it
     * spans the spin and at most a second before: 2.5 s of CPU over the
     * spin's wall time plus at most a second. On a machine that gave the
     * thread only a share of a core the spin took longer, so the load to
     * expect is judged against the share the thread really had, and the
     * measure must show at least half of it. */
    int expect = (int)(2500000 * 100 / (s.wall_us + 1000000));
    int busy = wait_load(m, true, 3, expect / 2);
    if (busy < expect / 2 || busy < 5)
        fail_msg("load %d %% after 2.5 s of CPU in %.1f s: expected at least %d %%", busy,
                 (double)s.wall_us / 1e6, expect / 2);
    assert_true(busy <= 100);
    assert_true(wait_load(m, false, 5, 0) <= 10);
    yj_media_free(m);
    assert_int_equal(yj_media_load_percent(NULL), 0);
}

/* A publisher that never answers ICE: its peer stays in its handshake. */
static const char *stuck_offer =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n"
    "a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=ice-ufrag:unit\r\n"
    "a=ice-pwd:admissionunittestpassword0\r\n"
    "a=fingerprint:sha-256 "
    "00:07:0E:15:1C:23:2A:31:38:3F:46:4D:54:5B:62:69:70:77:7E:85:8C:93:9A:A1:A8:AF:B6:BD:C4:CB:"
    "D2:D9\r\na=setup:active\r\na=ssrc:99 cname:unit\r\n";

static void admission_counts_handshakes_and_load(void **state)
{
    (void)state;
    char *err = NULL;
    yj_media_config_t cfg = {.workers = 1, .interfaces = "127.0.0.1", .max_handshakes = 1};
    yj_media_t *m = yj_media_new(&cfg, &err);
    assert_non_null(m);
    assert_int_equal(yj_media_start(m), 0);
    assert_int_equal(yj_media_admit(m, "test viewer", NULL), YJ_MEDIA_ADMIT);
    yj_media_room_t *room = yj_media_room_get(m, "adm");
    yj_media_peer_callbacks_t cb = {0};
    yj_media_peer_t *p = yj_media_peer_new(room, "p1", YJ_MEDIA_PUBLISH, &cb, NULL);
    assert_non_null(p);
    char *answer = NULL;
    assert_int_equal(yj_media_peer_answer(p, stuck_offer, 0, &answer, &err), 0);
    g_free(answer);
    /* answered, its ICE and DTLS under way: the worker is full */
    assert_int_equal(g_atomic_int_get(&m->workers[0].handshakes), 1);
    int load = -1;
    assert_int_equal(yj_media_admit(m, "test viewer", &load), YJ_MEDIA_FULL_HANDSHAKES);
    assert_true(load >= 0 && load <= 100);
    yj_media_peer_close(p);
    assert_int_equal(g_atomic_int_get(&m->workers[0].handshakes), 0);
    assert_int_equal(yj_media_admit(m, "test viewer", NULL), YJ_MEDIA_ADMIT);
    yj_media_room_unref(room);
    yj_media_free(m);

    /* load: a worker that was runnable all of the last second (set by
     * hand on an engine whose workers do not run, so no tick rewrites it) */
    cfg.max_handshakes = 0;
    cfg.max_load_percent = 85;
    m = yj_media_new(&cfg, &err);
    assert_non_null(m);
    assert_int_equal(yj_media_admit(m, "test viewer", NULL), YJ_MEDIA_ADMIT);
    g_atomic_int_set(&m->workers[0].demand_pm, 900);
    assert_int_equal(yj_media_admit(m, "test viewer", &load), YJ_MEDIA_FULL_LOAD);
    assert_int_equal(load, 90);
    /* below the bound again: still refused for a while (hysteresis) */
    g_atomic_int_set(&m->workers[0].demand_pm, 840);
    assert_int_equal(yj_media_admit(m, "test viewer", NULL), YJ_MEDIA_FULL_LOAD);
    m->full_until_us = g_get_monotonic_time() - 1; /* the hold is over */
    assert_int_equal(yj_media_admit(m, "test viewer", NULL), YJ_MEDIA_ADMIT);
    yj_media_free(m);

    cfg.max_load_percent = 101;
    assert_null(yj_media_new(&cfg, &err));
    assert_non_null(strstr(err, "max_load_percent"));
    g_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_follow_the_candidates_family),
        cmocka_unit_test(bad_servers_are_refused_by_name),
        cmocka_unit_test(worker_load_is_measured),
        cmocka_unit_test(admission_counts_handshakes_and_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
