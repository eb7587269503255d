/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h — the daemon's configuration, a GKeyFile INI file.
 *
 * Each module reads its own keys with a default, so a missing file or key
 * means "use the default"; yuanjiao.conf.example lists every key. A value of
 * the wrong type is an error reported at start (yj_config_check), never a
 * silent fallback.
 */
#ifndef YJ_CONFIG_H
#define YJ_CONFIG_H

#include <stdbool.h>

typedef struct yj_config yj_config_t;

/* Loads FILE (NULL: empty configuration). On error returns NULL and, if
 * err is not NULL, stores a newly allocated message the caller g_free()s. */
yj_config_t *yj_config_load(const char *file, char **err);
void yj_config_free(yj_config_t *cfg);

/* Getters return the default when the key is absent. A present but
 * malformed value is recorded and reported by yj_config_check(). The
 * returned string is owned by the config (valid until yj_config_free). */
const char *yj_config_string(yj_config_t *cfg, const char *group, const char *key, const char *def);
long yj_config_int(yj_config_t *cfg, const char *group, const char *key, long def);
bool yj_config_bool(yj_config_t *cfg, const char *group, const char *key, bool def);

/* Overrides a key (command-line options win over the file). */
void yj_config_set(yj_config_t *cfg, const char *group, const char *key, const char *value);

/* Returns 0, or YJ_EINVAL with *err set (caller g_free()s) naming the first
 * malformed key read so far. */
int yj_config_check(yj_config_t *cfg, char **err);

#endif
