/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c — the yuanjiao daemon and its administrative subcommands.
 *
 *   yuanjiao [options]                      serve
 *   yuanjiao [options] admin add USER --org CODE   (password on stdin)
 *   yuanjiao [options] backup DEST          online copy of the database
 *   yuanjiao [options] routes               list every HTTP route
 *
 * The daemon owns every subsystem; there are no global singletons. Start-up
 * order: config → store (migrations) → HTTP server (not listening) → each
 * subsystem's _new (its routes, no threads), given what it needs → the
 * cross-subsystem wiring (callbacks) → static pages → each _start
 * (threads) → HTTP listen. SIGTERM/SIGINT stop in reverse: HTTP first
 * (in-flight requests finish), then each subsystem's _stop and _free in
 * reverse order of creation, then the store is closed cleanly.
 *
 * Wiring (the only place subsystems learn of each other):
 *   rtc       owns the media engine; meetings gets yj_rtc_engine(rtc)
 *   meetings  is rtc's authorizer (who may WHIP/WHEP into a meeting room)
 *   meetings  "meeting ended" hooks (yj_meetings_on_ended): recordings
 */
#include "core/app.h"
#include "core/crypto.h"
#include "core/demo.h"
#include "core/log.h"
#include "core/store_auth.h"
#include "core/yj.h"
#include "daemon/migrations.h"
#include "http/http.h"
#include "iptv/iptv.h"
#include "portal/portal.h"
#include "recordings/recordings.h"
#include "signaling/meetings.h"
#include "signaling/meeting_rooms.h"
#include "signaling/rtc.h"
#include "vod/vod.h"

#include <errno.h>
#include <glib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The subsystems, created in this order and freed in reverse. NULL until
 * created (every _free and _stop accepts NULL). */
static struct {
    yj_portal_t *portal;
    yj_rtc_t *rtc;
    yj_meetings_t *meetings;
    yj_vod_t *vod;
    yj_iptv_t *iptv;
    yj_recordings_t *recordings;
} sub;

static char *opt_config, *opt_data_dir, *opt_address, *opt_log_level, *opt_org, *opt_name;
static int opt_port = -1;
static gboolean opt_version, opt_demo;

static GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config, "Configuration file (INI)", "FILE"},
    {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_data_dir, "Data folder (database, media)",
     "DIR"},
    {"http-port", 'p', 0, G_OPTION_ARG_INT, &opt_port, "HTTP port (0: any free port)", "N"},
    {"http-address", 0, 0, G_OPTION_ARG_STRING, &opt_address, "HTTP listen address", "ADDR"},
    {"log-level", 0, 0, G_OPTION_ARG_STRING, &opt_log_level, "debug, info, warn or error", "LEVEL"},
    {"demo", 0, 0, G_OPTION_ARG_NONE, &opt_demo,
     "Load the demo organisation if the database is empty", NULL},
    {"org", 0, 0, G_OPTION_ARG_STRING, &opt_org, "Organisation code (admin add)", "CODE"},
    /* FILENAME: the bytes as given, whatever the locale (a STRING option
     * is converted from the locale's charset and fails under LANG=C). */
    {"name", 0, 0, G_OPTION_ARG_FILENAME, &opt_name, "Real name (admin add), UTF-8", "NAME"},
    {"version", 'V', 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static yj_app_t app;
static yj_http_t *http;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "yuanjiao: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return 1;
}

static int open_store(void)
{
    const char *dir = yj_config_string(app.cfg, "server", "data_dir", "data");
    if (g_mkdir_with_parents(dir, 0750) != 0)
        return fail("cannot create data folder %s: %s", dir, g_strerror(errno));
    app.data_dir = dir;
    g_autofree char *db = g_build_filename(dir, "yuanjiao.db", NULL);
    char *err = NULL;
    app.store = yj_daemon_store_open(db, &err);
    if (!app.store) {
        int r = fail("%s", err);
        g_free(err);
        return r;
    }
    return 0;
}

/* rtc's authorizer, answered by meetings (see the wiring above). */
static bool authorize_media(const char *room, const yj_principal_t *who, yj_rtc_role_t role,
                            void *ud)
{
    (void)role;
    return yj_meetings_may_use_room(ud, room, who);
}

static void stop_all(void)
{
    yj_http_free(http);
    http = NULL;
    yj_iptv_stop(sub.iptv);
    yj_iptv_free(sub.iptv);
    sub.iptv = NULL;
    /* Recording and composing stop before the course library they import
     * into goes; the instance stays until the meetings, whose hooks call
     * it, are gone. */
    yj_recordings_stop(sub.recordings);
    yj_vod_free(sub.vod);
    sub.vod = NULL;
    if (sub.rtc)
        yj_rtc_set_authorizer(sub.rtc, NULL, NULL);
    yj_meetings_free(sub.meetings);
    sub.meetings = NULL;
    yj_recordings_free(sub.recordings);
    sub.recordings = NULL;
    yj_rtc_free(sub.rtc);
    sub.rtc = NULL;
    yj_portal_free(sub.portal);
    sub.portal = NULL;
    yj_store_close(app.store);
    app.store = NULL;
}

/* Recordings hear the meetings' events and tell their participants when
 * recording starts or stops (the meeting-ended path included). */
static void announce_recording(int64_t meeting, bool on, const char *reason, void *ud)
{
    yj_meeting_rooms_announce_recording(ud, meeting, on, reason);
}

static void wire_recordings(void)
{
    static const yj_meeting_rooms_hooks_t hooks = {
        .live = yj_recordings_hook_live,
        .participant = yj_recordings_hook_participant,
        .record = yj_recordings_hook_record,
        .recording = yj_recordings_hook_recording,
        .ended = yj_recordings_hook_ended,
    };
    yj_meeting_rooms_t *rooms = yj_meetings_rooms(sub.meetings);
    yj_meeting_rooms_set_hooks(rooms, &hooks, sub.recordings);
    yj_recordings_set_announcer(sub.recordings, announce_recording, rooms);
}

/* LeakSanitizer (ASan builds only; the sanitizer runtime alone reads it):
 * libx264 keeps a lookahead buffer of a finished encode (about 3.3 MB)
 * that the transcoder cannot free; it is not ours. The IPTV slate and
 * roll-call card render text with GStreamer: fontconfig's configuration
 * and GLib's first quark block live as long as the process (as in
 * tests/lsan_gst.h; matching _dl_init needs full malloc stacks, which the
 * test harness asks for when the playout runs). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libx264.so\nleak:libfontconfig.so\nleak:_dl_init\n";
}

static int init_failed(const char *name, char *err)
{
    int r = fail("%s: initialisation failed: %s", name, err ? err : "unknown error");
    g_free(err);
    return r;
}

/* Creates the HTTP server and every subsystem (routes, no threads) and
 * wires them; what `yuanjiao routes` runs. */
static int init_all(void)
{
    yj_http_options_t ho = {
        .address = yj_config_string(app.cfg, "server", "http_address", "127.0.0.1"),
        .port = (int)yj_config_int(app.cfg, "server", "http_port", 8080),
        .threads = (int)yj_config_int(app.cfg, "server", "http_threads", 0),
        .body_limit = (size_t)yj_config_int(app.cfg, "server", "body_limit", 1 << 20),
        .per_ip = (int)yj_config_int(app.cfg, "server", "per_ip_connections", 256),
        .header_timeout = (int)yj_config_int(app.cfg, "server", "header_timeout_seconds", 10),
    };
    http = yj_http_new(&ho);
    app.web_dir = yj_config_string(app.cfg, "portal", "web_dir", YJ_SOURCE_DIR "/portal/web");
    app.npm_dir = yj_config_string(app.cfg, "portal", "npm_dir", YJ_SOURCE_DIR "/node_modules");
    char *err = NULL;
    if (!(sub.portal = yj_portal_new(&app, http, &err)))
        return init_failed("portal", err);
    if (!(sub.rtc = yj_rtc_new(&app, http, &err)))
        return init_failed("rtc", err);
    if (!(sub.meetings = yj_meetings_new(&app, http, yj_rtc_engine(sub.rtc), &err)))
        return init_failed("meetings", err);
    yj_rtc_set_authorizer(sub.rtc, authorize_media, sub.meetings);
    if (!(sub.vod = yj_vod_new(&app, http, &err)))
        return init_failed("vod", err);
    if (!(sub.iptv = yj_iptv_new(&app, http, NULL, &err)))
        return init_failed("iptv", err);
    if (!(sub.recordings =
              yj_recordings_new(&app, http, yj_rtc_engine(sub.rtc), sub.vod, &err)))
        return init_failed("recordings", err);
    wire_recordings();
    if (yj_portal_static(&app, http))
        return fail("cannot register the web pages");
    return 0;
}

static int start_all(void)
{
    if (yj_rtc_start(sub.rtc))
        return fail("rtc: cannot start");
    if (yj_recordings_start(sub.recordings))
        return fail("recordings: cannot start");
    if (yj_meetings_start(sub.meetings))
        return fail("meetings: cannot start");
    if (yj_vod_start(sub.vod))
        return fail("vod: cannot start");
    if (yj_iptv_start(sub.iptv))
        return fail("iptv: cannot start");
    return 0;
}

static gboolean on_signal(gpointer loop)
{
    yj_info("main", "shutting down");
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static int serve(void)
{
    if (open_store() || init_all()) {
        stop_all();
        return 1;
    }
    char *cerr = NULL;
    if (yj_config_check(app.cfg, &cerr)) {
        stop_all();
        int r = fail("%s", cerr);
        g_free(cerr);
        return r;
    }
    if (opt_demo) {
        char *err = NULL;
        int rc = yj_demo_seed(app.store, &err);
        if (rc < 0) {
            stop_all();
            int r = fail("demo data: %s", err ? err : yj_strerror(rc));
            g_free(err);
            return r;
        }
        if (rc > 0)
            yj_info("main", "loaded the demo organisation");
    }
    app.demo = opt_demo;
    if (start_all()) {
        stop_all();
        return 1;
    }
    /* Handle SIGTERM before announcing the port: a supervisor (or a test)
     * may stop us as soon as it reads the line below. */
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    char *err = NULL;
    if (yj_http_start(http, &err)) {
        g_main_loop_unref(loop);
        stop_all();
        int r = fail("%s", err);
        g_free(err);
        return r;
    }
    char *cfg_url = g_strdup(yj_config_string(app.cfg, "server", "public_url", ""));
    if (!*cfg_url) {
        g_free(cfg_url);
        const char *addr = yj_config_string(app.cfg, "server", "http_address", "127.0.0.1");
        cfg_url = g_strdup_printf("http://%s:%d", strcmp(addr, "0.0.0.0") ? addr : "127.0.0.1",
                                  yj_http_port(http));
    }
    app.public_url = cfg_url;
    yj_info("main", "yuanjiao %s listening on %s (data in %s)", YJ_VERSION, cfg_url, app.data_dir);
    /* A line on stdout that scripts and tests wait for. */
    printf("yuanjiao: portal at %s/\n", cfg_url);
    if (opt_demo)
        printf("yuanjiao: demo administrator: %s / %s\n", YJ_DEMO_ADMIN, YJ_DEMO_PASSWORD);
    fflush(stdout);

    g_main_loop_run(loop);
    g_main_loop_unref(loop);
    stop_all();
    g_free(cfg_url);
    yj_info("main", "stopped cleanly");
    return 0;
}

static int cmd_admin_add(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "add") != 0 || !opt_org)
        return fail("usage: yuanjiao admin add USERNAME --org CODE [--name NAME]  (password on "
                    "stdin)");
    if (opt_name && (!g_utf8_validate(opt_name, -1, NULL) || g_utf8_strlen(opt_name, -1) < 1 ||
                     g_utf8_strlen(opt_name, -1) > 64))
        return fail("the name needs 1 to 64 characters of UTF-8");
    char line[512];
    if (!fgets(line, sizeof line, stdin))
        return fail("no password on standard input");
    g_strchomp(line);
    if (g_utf8_strlen(line, -1) < 8)
        return fail("the password needs at least 8 characters");
    if (open_store())
        return 1;
    g_autofree char *hash = yj_password_hash(line);
    int rc = yj_store_admin_add(app.store, argv[2], hash, opt_org);
    if (rc == 0 && opt_name)
        rc = yj_store_admin_set_name(app.store, argv[2], opt_name);
    yj_store_close(app.store);
    if (rc == YJ_ENOENT)
        return fail("no organisation with code %s", opt_org);
    if (rc == YJ_EEXIST)
        return fail("an administrator named %s exists already", argv[2]);
    if (rc)
        return fail("cannot add the administrator: %s", yj_strerror(rc));
    printf("administrator %s added for organisation %s\n", argv[2], opt_org);
    return 0;
}

static int cmd_backup(int argc, char **argv)
{
    if (argc != 2)
        return fail("usage: yuanjiao backup DEST");
    if (g_file_test(argv[1], G_FILE_TEST_EXISTS))
        return fail("%s exists already; choose a new file", argv[1]);
    if (open_store())
        return 1;
    char *err = NULL;
    int rc = yj_store_backup(app.store, argv[1], &err);
    yj_store_close(app.store);
    if (rc) {
        int r = fail("backup failed: %s", err);
        g_free(err);
        return r;
    }
    printf("backup written to %s\n", argv[1]);
    return 0;
}

static void print_route(const char *method, const char *pattern, unsigned flags, void *ud)
{
    (void)ud;
    printf("%s %s%s\n", method, pattern, (flags & YJ_ROUTE_UNDOC) ? " undocumented" : "");
}

static int cmd_routes(void)
{
    /* Routes only need the store for nothing, but subsystems may read
     * settings from it at init; use a throw-away database. */
    g_autofree char *tmp = g_dir_make_tmp("yj-routes-XXXXXX", NULL);
    yj_config_set(app.cfg, "server", "data_dir", tmp);
    int rc = open_store() || init_all();
    if (!rc)
        yj_http_each_route(http, print_route, NULL);
    stop_all();
    g_autofree char *db = g_build_filename(tmp, "yuanjiao.db", NULL);
    g_autofree char *wal = g_strconcat(db, "-wal", NULL);
    g_autofree char *shm = g_strconcat(db, "-shm", NULL);
    g_unlink(wal);
    g_unlink(shm);
    g_unlink(db);
    g_rmdir(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    GOptionContext *ctx =
        g_option_context_new("[admin add USER --org CODE | backup DEST | routes]");
    g_option_context_set_summary(ctx, "yuanjiao (远教) — distance-education media server: video "
                                      "meetings, IPTV, recordings, course library, records.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *e = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &e)) {
        fail("%s (see --help)", e->message);
        g_error_free(e);
        g_option_context_free(ctx);
        return 2;
    }
    g_option_context_free(ctx);
    if (opt_version) {
        printf("yuanjiao %s\n", YJ_VERSION);
        return 0;
    }
    char *err = NULL;
    app.cfg = yj_config_load(opt_config, &err);
    if (!app.cfg) {
        int r = fail("%s", err);
        g_free(err);
        return r;
    }
    if (opt_data_dir)
        yj_config_set(app.cfg, "server", "data_dir", opt_data_dir);
    if (opt_address)
        yj_config_set(app.cfg, "server", "http_address", opt_address);
    if (opt_port >= 0) {
        char p[16];
        g_snprintf(p, sizeof p, "%d", opt_port);
        yj_config_set(app.cfg, "server", "http_port", p);
    }
    const char *lvl =
        opt_log_level ? opt_log_level : yj_config_string(app.cfg, "server", "log_level", "info");
    yj_log_level_t level;
    if (yj_log_parse_level(lvl, &level))
        return fail("unknown log level %s", lvl);
    yj_log_set_level(level);
    yj_crypto_set_iterations(
        (int)yj_config_int(app.cfg, "auth", "pbkdf2_iterations", YJ_PBKDF2_ITERATIONS));

    int rc;
    if (argc >= 2 && strcmp(argv[1], "admin") == 0)
        rc = cmd_admin_add(argc - 1, argv + 1);
    else if (argc >= 2 && strcmp(argv[1], "backup") == 0)
        rc = cmd_backup(argc - 1, argv + 1);
    else if (argc == 2 && strcmp(argv[1], "routes") == 0)
        rc = cmd_routes();
    else if (argc == 1)
        rc = serve();
    else
        rc = fail("unknown command %s (see --help)", argv[1]);
    if (rc == 0 && yj_config_check(app.cfg, &err)) {
        fail("%s", err);
        g_free(err);
        rc = 1;
    }
    yj_config_free(app.cfg);
    return rc;
}
