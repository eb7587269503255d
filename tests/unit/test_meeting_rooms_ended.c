/* SPDX-License-Identifier: Apache-2.0 */
/* test_meeting_rooms_ended.c — the "meeting ended" notice that the daemon
 * wires to other subsystems (yj_meetings_on_ended, fed by the rooms'
 * on_ended option): it fires once per meeting the store ends, whether a
 * host ends it (yj_meeting_rooms_end) or its grace timer does after a
 * restart, and never for a meeting that had already ended. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/demo.h"
#include "core/store.h"
#include "core/store_auth.h"
#include "signaling/store.h"
#include "fixture_store.h"
#include "core/yj.h"
#include "signaling/meeting_rooms.h"

#include <glib.h>
#include <glib/gstdio.h>

typedef struct {
    fixture_store_t fs;
    yj_config_t *cfg;
    yj_app_t app;
    yj_principal_t district;
    GMutex lock;
    GArray *ended; /* int64 meeting ids, in order */
} fx_t;

static void on_ended(int64_t meeting, void *ud)
{
    fx_t *f = ud;
    g_mutex_lock(&f->lock);
    g_array_append_val(f->ended, meeting);
    g_mutex_unlock(&f->lock);
}

static guint ended_count(fx_t *f)
{
    g_mutex_lock(&f->lock);
    guint n = f->ended->len;
    g_mutex_unlock(&f->lock);
    return n;
}

static int setup(void **state)
{
    fx_t *f = g_new0(fx_t, 1);
    fixture_store_setup(&f->fs, true);
    char *err = NULL;
    f->cfg = yj_config_load(NULL, &err);
    assert_non_null(f->cfg);
    f->app.cfg = f->cfg;
    f->app.data_dir = f->fs.dir;
    f->app.store = f->fs.st;
    assert_int_equal(yj_store_admin_find(f->app.store, "district", &f->district, NULL), 0);
    g_mutex_init(&f->lock);
    f->ended = g_array_new(FALSE, FALSE, sizeof(int64_t));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    yj_config_free(f->cfg);
    fixture_store_teardown(&f->fs);
    g_array_free(f->ended, TRUE);
    g_mutex_clear(&f->lock);
    g_free(f);
    return 0;
}

/* A live meeting of the district (started now). */
static int64_t live_meeting(fx_t *f)
{
    const char *orgs[] = {"330100"};
    yj_meeting_spec_t sp = {
        .title = "党课",
        .type = "lecture",
        .org_code = "330100",
        .start_at = yj_now(),
        .duration_minutes = 60,
        .threshold_percent = 50,
        .host_admin = "district",
        .org_codes = orgs,
        .n_orgs = 1,
        .by = &f->district,
    };
    int64_t id = 0;
    assert_int_equal(yj_store_meeting_create(f->app.store, &sp, &id, NULL, NULL), 0);
    assert_int_equal(yj_store_meeting_start(f->app.store, id, yj_now()), 0);
    return id;
}

static yj_meeting_rooms_t *rooms(fx_t *f, int grace)
{
    yj_meeting_rooms_options_t ro = {
        .grace_seconds = grace,
        .heartbeat_seconds = 15,
        .ice_servers = "",
        .on_ended = on_ended,
        .on_ended_ud = f,
    };
    yj_ws_options_t wo = {.max_message = 65536, .ping_seconds = 20, .idle_seconds = 60};
    yj_meeting_rooms_t *rs = yj_meeting_rooms_new(&f->app, &ro, &wo);
    assert_non_null(rs);
    assert_int_equal(yj_meeting_rooms_start(rs), 0);
    return rs;
}

static void host_ends_once(void **state)
{
    fx_t *f = *state;
    yj_meeting_rooms_t *rs = rooms(f, 300);
    int64_t id = live_meeting(f);
    int credited = -1;
    assert_int_equal(yj_meeting_rooms_end(rs, id, "host", &credited), 0);
    assert_int_equal(ended_count(f), 1);
    assert_int_equal(g_array_index(f->ended, int64_t, 0), id);
    /* Already ended: no second notice. */
    assert_int_equal(yj_meeting_rooms_end(rs, id, "host", &credited), YJ_ESTATE);
    assert_int_equal(ended_count(f), 1);
    yj_meeting_rooms_free(rs);
    assert_int_equal(ended_count(f), 1);
}

static void grace_timer_ends_recovered_meeting(void **state)
{
    fx_t *f = *state;
    int64_t id = live_meeting(f); /* live when the "process" starts */
    yj_meeting_rooms_t *rs = rooms(f, 0);
    /* Recovered with a grace timer of 0 s on the rooms' thread. Bounded
     * wait: 10 s. */
    for (int i = 0; i < 1000 && ended_count(f) == 0; i++)
        g_usleep(10000);
    assert_int_equal(ended_count(f), 1);
    assert_int_equal(g_array_index(f->ended, int64_t, 0), id);
    yj_meeting_info_t m;
    assert_int_equal(yj_store_meeting_info(f->app.store, id, &m), 0);
    assert_string_equal(m.status, "ended");
    yj_meeting_rooms_free(rs);
    assert_int_equal(ended_count(f), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(host_ends_once, setup, teardown),
        cmocka_unit_test_setup_teardown(grace_timer_ends_recovered_meeting, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
