/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_config.c — libFuzzer target for the INI configuration
 * (core/config.c on GKeyFile): any file either fails to load with a
 * message, or loads and then answers every getter — string, int, bool —
 * with a value or the default, and yj_config_check reports a malformed
 * value with a message naming it. Never a crash or a leak.
 */
#define _GNU_SOURCE
#include "core/config.h"
#include "core/yj.h"

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *const keys[][2] = {
    {"server", "http_port"},
    {"server", "public_url"},
    {"server", "per_ip_connections"},
    {"server", "header_timeout_seconds"},
    {"auth", "pbkdf2_iterations"},
    {"auth", "secure_cookie"},
    {"auth", "member_token_max_days"},
    {"auth", "purge_seconds"},
    {"media", "port_min"},
    {"meetings", "attendance"},
    {"meetings", "grace_seconds"},
    {"vod", "threads"},
    {"x", "y"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("cfg", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    char *err = NULL;
    yj_config_t *cfg = yj_config_load(path, &err);
    close(fd);
    if (!cfg) {
        if (!err || !*err)
            abort(); /* a refusal says why */
        g_free(err);
        return 0;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        const char *s = yj_config_string(cfg, keys[i][0], keys[i][1], "def");
        if (!s)
            abort();
        (void)yj_config_int(cfg, keys[i][0], keys[i][1], 7);
        (void)yj_config_bool(cfg, keys[i][0], keys[i][1], true);
    }
    char *cerr = NULL;
    int rc = yj_config_check(cfg, &cerr);
    if (rc != 0 && (!cerr || !*cerr))
        abort();
    g_free(cerr);
    yj_config_set(cfg, "server", "http_port", "1");
    if (yj_config_int(cfg, "server", "http_port", 0) != 1)
        abort();
    yj_config_free(cfg);
    return 0;
}
