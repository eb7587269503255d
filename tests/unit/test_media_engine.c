/* SPDX-License-Identifier: Apache-2.0 */
/* test_media_engine.c — the engine's reading of the STUN/TURN settings:
 * host names resolve to an address of the host candidates' family (a
 * dual-stack name such as "localhost" enumerates IPv6 first, which libnice
 * would never pair with IPv4 candidates), the default port is 3478, and a
 * bad or unresolvable server stops the engine with a message naming the
 * key. Uses "localhost", which the C library resolves without DNS.
 * Also the workers' load measure that admission of viewers relies on: a
 * worker that spends a second of CPU reads as busy, then idle again. */
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

/* Runs on the worker: burns 2.5 s of the worker thread's CPU. */
static gboolean spin(gpointer data)
{
    int64_t end = thread_cpu_us() + 2500000;
    while (thread_cpu_us() < end) /* each call is itself CPU work */
        ;
    g_atomic_int_set((gint *)data, 1);
    return G_SOURCE_REMOVE;
}

static int wait_load(yj_media_t *m, bool busy, int seconds)
{
    int load = yj_media_load_percent(m);
    for (int i = 0; i < seconds * 10 && (busy ? load < 30 : load > 10); i++) {
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
    assert_true(wait_load(m, false, 3) <= 10);
    gint done = 0;
    g_main_context_invoke(m->workers[0].ctx, spin, &done);
    for (int i = 0; i < 200 && !g_atomic_int_get(&done); i++)
        g_usleep(100000);
    assert_true(g_atomic_int_get(&done));
    /* The tick cannot run during the spin, so the first measure after it
     * spans the spin and at most a second before: 2.5 s of CPU over at
     * most 3.5 s of wall time, or over 6 s if the machine gave the thread
     * only half a core. */
    int busy = wait_load(m, true, 3);
    assert_true(busy >= 30);
    assert_true(busy <= 100);
    assert_true(wait_load(m, false, 5) <= 10);
    yj_media_free(m);
    assert_int_equal(yj_media_load_percent(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_follow_the_candidates_family),
        cmocka_unit_test(bad_servers_are_refused_by_name),
        cmocka_unit_test(worker_load_is_measured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
