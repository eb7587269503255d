/* SPDX-License-Identifier: Apache-2.0 */
/* config.c — GKeyFile wrapper with defaults; see config.h. */
#include "config.h"
#include "yj.h"

#include <glib.h>

struct yj_config {
    GKeyFile *kf;
    GMutex lock;
    GHashTable *strings; /* "group\nkey" -> owned copy, so returned pointers stay valid */
    char *first_error;
};

yj_config_t *yj_config_load(const char *file, char **err)
{
    yj_config_t *cfg = g_new0(yj_config_t, 1);
    cfg->kf = g_key_file_new();
    g_mutex_init(&cfg->lock);
    cfg->strings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (file) {
        GError *e = NULL;
        if (!g_key_file_load_from_file(cfg->kf, file, G_KEY_FILE_NONE, &e)) {
            if (err)
                *err = g_strdup_printf("cannot read config %s: %s", file, e->message);
            g_error_free(e);
            yj_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

void yj_config_free(yj_config_t *cfg)
{
    if (!cfg)
        return;
    g_key_file_free(cfg->kf);
    g_hash_table_destroy(cfg->strings);
    g_mutex_clear(&cfg->lock);
    g_free(cfg->first_error);
    g_free(cfg);
}

static void note_error(yj_config_t *cfg, const char *group, const char *key, const char *what)
{
    if (!cfg->first_error)
        cfg->first_error = g_strdup_printf("config [%s] %s: %s", group, key, what);
}

const char *yj_config_string(yj_config_t *cfg, const char *group, const char *key, const char *def)
{
    g_mutex_lock(&cfg->lock);
    char *v = g_key_file_get_string(cfg->kf, group, key, NULL);
    const char *out = def;
    if (v) {
        char *k = g_strdup_printf("%s\n%s", group, key);
        g_hash_table_replace(cfg->strings, k, v);
        out = v;
    }
    g_mutex_unlock(&cfg->lock);
    return out;
}

long yj_config_int(yj_config_t *cfg, const char *group, const char *key, long def)
{
    g_mutex_lock(&cfg->lock);
    long out = def;
    if (g_key_file_has_key(cfg->kf, group, key, NULL)) {
        GError *e = NULL;
        gint64 v = g_key_file_get_int64(cfg->kf, group, key, &e);
        if (e) {
            note_error(cfg, group, key, "not an integer");
            g_error_free(e);
        } else {
            out = (long)v;
        }
    }
    g_mutex_unlock(&cfg->lock);
    return out;
}

bool yj_config_bool(yj_config_t *cfg, const char *group, const char *key, bool def)
{
    g_mutex_lock(&cfg->lock);
    bool out = def;
    if (g_key_file_has_key(cfg->kf, group, key, NULL)) {
        GError *e = NULL;
        gboolean v = g_key_file_get_boolean(cfg->kf, group, key, &e);
        if (e) {
            note_error(cfg, group, key, "not true/false");
            g_error_free(e);
        } else {
            out = v;
        }
    }
    g_mutex_unlock(&cfg->lock);
    return out;
}

void yj_config_set(yj_config_t *cfg, const char *group, const char *key, const char *value)
{
    g_mutex_lock(&cfg->lock);
    g_key_file_set_string(cfg->kf, group, key, value);
    g_mutex_unlock(&cfg->lock);
}

int yj_config_check(yj_config_t *cfg, char **err)
{
    if (!cfg->first_error)
        return 0;
    if (err)
        *err = g_strdup(cfg->first_error);
    return YJ_EINVAL;
}
