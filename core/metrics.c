/* SPDX-License-Identifier: Apache-2.0 */
/* metrics.c — see metrics.h. Families are grouped by the name before '{'. */
#include "metrics.h"

#include <glib.h>
#include <string.h>

enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

struct yj_counter {
    int64_t value;
};

struct yj_histogram {
    size_t n;
    double bounds[16];
    int64_t counts[17]; /* last is +Inf */
    int64_t sum_us;     /* sum in millionths, kept integral for atomics */
};

typedef struct {
    char *name; /* full name with labels */
    char *family;
    char *labels; /* inside the braces, or "" */
    char *help;
    int kind;
    void *obj;
} entry_t;

static GMutex lock;
static GHashTable *by_name; /* name -> entry_t* */

static entry_t *lookup(const char *name, const char *help, int kind, size_t objsize)
{
    g_mutex_lock(&lock);
    if (!by_name)
        by_name = g_hash_table_new(g_str_hash, g_str_equal);
    entry_t *e = g_hash_table_lookup(by_name, name);
    if (!e) {
        e = g_new0(entry_t, 1);
        e->name = g_strdup(name);
        const char *brace = strchr(name, '{');
        e->family = brace ? g_strndup(name, (gsize)(brace - name)) : g_strdup(name);
        e->labels = brace ? g_strndup(brace + 1, strlen(brace + 1) - 1) : g_strdup("");
        e->help = g_strdup(help);
        e->kind = kind;
        e->obj = g_malloc0(objsize);
        g_hash_table_insert(by_name, e->name, e);
    }
    g_mutex_unlock(&lock);
    return e;
}

yj_counter_t *yj_metrics_counter(const char *name, const char *help)
{
    return lookup(name, help, KIND_COUNTER, sizeof(yj_counter_t))->obj;
}

yj_counter_t *yj_metrics_gauge(const char *name, const char *help)
{
    return lookup(name, help, KIND_GAUGE, sizeof(yj_counter_t))->obj;
}

void yj_counter_add(yj_counter_t *c, int64_t v)
{
    __atomic_add_fetch(&c->value, v, __ATOMIC_RELAXED);
}

void yj_counter_set(yj_counter_t *c, int64_t v)
{
    __atomic_store_n(&c->value, v, __ATOMIC_RELAXED);
}

int64_t yj_counter_get(const yj_counter_t *c)
{
    return __atomic_load_n(&c->value, __ATOMIC_RELAXED);
}

yj_histogram_t *yj_metrics_histogram(const char *name, const char *help, const double *buckets,
                                     size_t n)
{
    entry_t *e = lookup(name, help, KIND_HISTOGRAM, sizeof(yj_histogram_t));
    yj_histogram_t *h = e->obj;
    g_mutex_lock(&lock);
    if (h->n == 0) {
        h->n = n > 16 ? 16 : n;
        memcpy(h->bounds, buckets, h->n * sizeof(double));
    }
    g_mutex_unlock(&lock);
    return h;
}

void yj_histogram_observe(yj_histogram_t *h, double v)
{
    size_t i = 0;
    while (i < h->n && v > h->bounds[i])
        i++;
    __atomic_add_fetch(&h->counts[i], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&h->sum_us, (int64_t)(v * 1e6), __ATOMIC_RELAXED);
}

static gint by_family(gconstpointer a, gconstpointer b)
{
    const entry_t *x = *(entry_t *const *)a, *y = *(entry_t *const *)b;
    int c = strcmp(x->family, y->family);
    return c ? c : strcmp(x->name, y->name);
}

static void label_join(GString *s, const char *labels, const char *extra)
{
    if (!*labels && !extra)
        return;
    g_string_append_c(s, '{');
    g_string_append(s, labels);
    if (extra)
        g_string_append_printf(s, "%s%s", *labels ? "," : "", extra);
    g_string_append_c(s, '}');
}

char *yj_metrics_render(void)
{
    GString *s = g_string_new(NULL);
    g_mutex_lock(&lock);
    GPtrArray *all = g_ptr_array_new();
    if (by_name) {
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, by_name);
        while (g_hash_table_iter_next(&it, NULL, &v))
            g_ptr_array_add(all, v);
    }
    g_ptr_array_sort(all, by_family);
    const char *last = "";
    static const char *types[] = {"counter", "gauge", "histogram"};
    for (guint i = 0; i < all->len; i++) {
        entry_t *e = g_ptr_array_index(all, i);
        if (strcmp(last, e->family) != 0) {
            g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n", e->family, e->help,
                                   e->family, types[e->kind]);
            last = e->family;
        }
        if (e->kind != KIND_HISTOGRAM) {
            g_string_append_printf(s, "%s %" G_GINT64_FORMAT "\n", e->name,
                                   yj_counter_get(e->obj));
            continue;
        }
        yj_histogram_t *h = e->obj;
        int64_t cum = 0;
        for (size_t b = 0; b <= h->n; b++) {
            cum += __atomic_load_n(&h->counts[b], __ATOMIC_RELAXED);
            char le[48];
            if (b < h->n)
                g_snprintf(le, sizeof le, "le=\"%g\"", h->bounds[b]);
            else
                g_strlcpy(le, "le=\"+Inf\"", sizeof le);
            g_string_append_printf(s, "%s_bucket", e->family);
            label_join(s, e->labels, le);
            g_string_append_printf(s, " %" G_GINT64_FORMAT "\n", cum);
        }
        g_string_append_printf(s, "%s_sum", e->family);
        label_join(s, e->labels, NULL);
        g_string_append_printf(s, " %.6f\n%s_count", (double)h->sum_us / 1e6, e->family);
        label_join(s, e->labels, NULL);
        g_string_append_printf(s, " %" G_GINT64_FORMAT "\n", cum);
    }
    g_ptr_array_free(all, TRUE);
    g_mutex_unlock(&lock);
    return g_string_free(s, FALSE);
}
