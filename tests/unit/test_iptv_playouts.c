/* SPDX-License-Identifier: Apache-2.0 */
/* test_iptv_playouts.c — how the IPTV subsystem drives playouts
 * (iptv/iptv.c), through a table of fakes in place of yj_iptv_playout_*:
 * one playout per channel at start with the channel's configuration (the
 * live HLS folder created), a channel whose playout cannot start left
 * off the air without stopping the others, a changed channel restarted,
 * a changed schedule rescheduled, a deleted channel stopped, and every
 * playout freed at stop. The schedule ops handed over answer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/crypto.h"
#include "core/demo.h"
#include "core/store.h"
#include "daemon/migrations.h"
#include "core/yj.h"
#include "http/http.h"
#include "iptv/iptv.h"
#include "iptv/iptv_internal.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
    int64_t channel;
    int number, bitrate, port;
    bool rtp;
    char address[64], hls_dir[512], name[256];
    int rescheduled;
    bool freed;
} fake_t;

static fake_t fakes[16];
static int n_fakes, fail_number;
static void *seen_ud;
static const yj_iptv_schedule_ops_t *seen_ops;

static yj_iptv_playout_t *fake_new(const yj_iptv_channel_cfg_t *cfg,
                                   const yj_iptv_schedule_ops_t *ops, void *ud, char **err)
{
    seen_ud = ud;
    seen_ops = ops;
    if (cfg->number == fail_number) {
        *err = g_strdup("refused by the test");
        return NULL;
    }
    assert_true(n_fakes < 16);
    fake_t *f = &fakes[n_fakes++];
    memset(f, 0, sizeof *f);
    f->channel = cfg->id;
    f->number = cfg->number;
    f->bitrate = cfg->bitrate;
    f->port = cfg->port;
    f->rtp = cfg->rtp;
    g_strlcpy(f->address, cfg->address, sizeof f->address);
    g_strlcpy(f->hls_dir, cfg->hls_dir, sizeof f->hls_dir);
    g_strlcpy(f->name, cfg->name, sizeof f->name);
    return (yj_iptv_playout_t *)f;
}

static void fake_reschedule(yj_iptv_playout_t *p)
{
    ((fake_t *)p)->rescheduled++;
}

static void fake_free(yj_iptv_playout_t *p)
{
    if (p) {
        assert_false(((fake_t *)p)->freed);
        ((fake_t *)p)->freed = true;
    }
}

static const yj_iptv_playout_ops_t fake_ops = {
    .create = fake_new,
    .reschedule = fake_reschedule,
    .destroy = fake_free,
};

static int64_t add_channel(yj_store_t *st, int64_t org, int number, const char *addr, bool rtp)
{
    yj_iptv_channel_t c = {.org_id = org,
                           .number = number,
                           .port = 5004,
                           .ttl = 4,
                           .bitrate = 1000000 + number,
                           .rtp = rtp};
    g_snprintf(c.name, sizeof c.name, "台%d", number);
    g_strlcpy(c.address, addr, sizeof c.address);
    assert_int_equal(yj_iptv_store_channel_put(st, &c, &org, 1, true, NULL), 0);
    return c.id;
}

static fake_t *live_fake(int64_t channel)
{
    fake_t *found = NULL;
    for (int i = 0; i < n_fakes; i++)
        if (fakes[i].channel == channel && !fakes[i].freed)
            found = &fakes[i];
    return found;
}

static void rm_tree(const char *path)
{
    GDir *d = g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)
                  ? g_dir_open(path, 0, NULL)
                  : NULL;
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *child = g_build_filename(path, n, NULL);
        rm_tree(child);
    }
    if (d) {
        g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static void test_playouts(void **state)
{
    (void)state;
    g_autofree char *dir = g_dir_make_tmp("yj-iptv-po-XXXXXX", NULL);
    g_autofree char *dbp = g_build_filename(dir, "t.db", NULL);
    char *err = NULL;
    yj_store_t *st = yj_daemon_store_open(dbp, &err);
    assert_non_null(st);
    yj_crypto_set_iterations(1000);
    assert_int_equal(yj_demo_seed(st, &err), 1);
    int64_t org = 0;
    char path[256];
    assert_int_equal(yj_iptv_store_org(st, "330100", &org, path, sizeof path), 0);
    int64_t a = add_channel(st, org, 1, "239.1.1.1", false);
    int64_t b = add_channel(st, org, 2, "239.1.1.2", true);
    int64_t c = add_channel(st, org, 3, "239.1.1.3", false);
    fail_number = 2;

    yj_config_t *cfg = yj_config_load(NULL, &err);
    assert_non_null(cfg);
    yj_app_t app = {.cfg = cfg, .store = st, .data_dir = dir, .web_dir = dir, .npm_dir = dir};
    yj_http_options_t ho = {.address = "127.0.0.1", .port = 0, .threads = 1, .body_limit = 1 << 20};
    yj_http_t *http = yj_http_new(&ho);
    assert_non_null(http);
    yj_iptv_t *iptv = yj_iptv_new(&app, http, &fake_ops, &err);
    assert_non_null(iptv);
    assert_int_equal(yj_iptv_start(iptv), 0);

    /* channels 1 and 3 on the air; 2 refused and left off */
    assert_int_equal(n_fakes, 2);
    fake_t *fa = live_fake(a), *fc = live_fake(c);
    assert_non_null(fa);
    assert_non_null(fc);
    assert_null(live_fake(b));
    assert_int_equal(fa->bitrate, 1000001);
    assert_string_equal(fa->address, "239.1.1.1");
    assert_string_equal(fa->name, "台1");
    g_autofree char *want = g_strdup_printf("%s/iptv/%" G_GINT64_FORMAT "/hls", dir, a);
    assert_string_equal(fa->hls_dir, want);
    assert_true(g_file_test(want, G_FILE_TEST_IS_DIR));

    /* the ops handed over answer for the channel: a slate, nothing on */
    yj_iptv_programme_t now, next;
    assert_ptr_equal(seen_ops, &yj_iptv_schedule_ops);
    assert_int_equal(seen_ops->programme_at(a, g_get_real_time() / 1000, &now, &next, seen_ud), 0);
    assert_int_equal(now.kind, YJ_IPTV_SLATE);
    assert_string_equal(now.title, "台1");
    yj_iptv_programme_clear(&now);
    yj_iptv_programme_clear(&next);

    /* the roll-call code the playout's card shows: open in the start
     * window of a creditable programme on now, the same the members are
     * asked for, and none outside the windows */
    int64_t t = g_get_real_time() / 1000;
    yj_iptv_prog_t p = {.channel_id = a,
                        .lesson_id = 1,
                        .start_ms = t - 60000,
                        .end_ms = t + 3600000,
                        .creditable = true,
                        .minutes = 60,
                        .title = g_strdup("党课")};
    g_strlcpy(p.kind, "lesson", sizeof p.kind);
    g_strlcpy(p.repeat, "none", sizeof p.repeat);
    assert_int_equal(yj_iptv_store_prog_put(st, &p, NULL, NULL), 0);
    char code[8], want_code[8];
    int64_t until = 0;
    assert_int_equal(yj_iptv_rollcall_current(iptv, a, t, code, NULL, &until), 0);
    yj_iptv_rollcall_code(seen_ud, p.id, p.start_ms, 1, want_code);
    assert_string_equal(code, want_code);
    assert_int_equal(strlen(code), 6);
    assert_int_equal(until, p.start_ms + 10 * 60000); /* [iptv] rollcall_minutes */
    assert_int_equal(yj_iptv_rollcall_current(iptv, a, t + 20 * 60000, code, NULL, &until), YJ_ENOENT);
    assert_int_equal(yj_iptv_rollcall_current(iptv, a, p.end_ms - 60000, code, NULL, &until), 0);
    yj_iptv_rollcall_code(seen_ud, p.id, p.start_ms, 2, want_code);
    assert_string_equal(code, want_code);
    assert_int_equal(yj_iptv_rollcall_current(iptv, c, t, code, NULL, &until), YJ_ENOENT); /* nothing on */
    yj_iptv_prog_clear(&p);

    /* a schedule change reschedules only that channel's playout */
    yj_iptv_schedule_changed(seen_ud, a);
    assert_int_equal(fa->rescheduled, 1);
    assert_int_equal(fc->rescheduled, 0);
    yj_iptv_schedule_changed(seen_ud, b); /* off the air: nothing to do */

    /* a changed channel restarts with its new configuration */
    yj_iptv_channel_t ch;
    assert_int_equal(yj_iptv_store_channel_get(st, c, &ch), 0);
    ch.bitrate = 800000;
    assert_int_equal(yj_iptv_store_channel_put(st, &ch, NULL, 0, false, NULL), 0);
    yj_iptv_channel_changed(seen_ud, c);
    assert_true(fc->freed);
    fake_t *fc2 = live_fake(c);
    assert_non_null(fc2);
    assert_int_equal(fc2->bitrate, 800000);

    /* a deleted channel's playout stops */
    yj_iptv_channel_deleted(seen_ud, a);
    assert_true(fa->freed);
    assert_null(live_fake(a));

    /* stop frees the rest */
    yj_iptv_stop(iptv);
    yj_iptv_free(iptv);
    assert_true(fc2->freed);
    for (int i = 0; i < n_fakes; i++)
        assert_true(fakes[i].freed);

    yj_http_free(http);
    yj_config_free(cfg);
    yj_store_close(st);
    rm_tree(dir);
    g_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_playouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
