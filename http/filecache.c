/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filecache.c — mappings of immutable files shared between requests (see
 * filecache.h). A hash table by (device, inode) and a least-recently-used
 * list, under one mutex held only for lookups and bookkeeping; mmap and
 * munmap run outside it.
 */
#include "http/filecache.h"

#include <glib.h>
#include <stdbool.h>
#include <sys/mman.h>

struct yj_mapped {
    gint refs; /* atomic: the cache's own (while listed) + requests' */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    void *data;
    GList link; /* in the LRU list while listed (data: this) */
    bool listed;
};

struct yj_filecache {
    GMutex mu;
    GHashTable *by_file; /* key: yj_mapped_t* (dev, ino) → the same */
    GQueue lru;          /* head: most recently used */
    size_t bytes, max_bytes, min_file, max_file;
};

static guint file_hash(gconstpointer p)
{
    const yj_mapped_t *m = p;
    return (guint)(m->ino * 2654435761u) ^ (guint)m->dev;
}

static gboolean file_equal(gconstpointer a, gconstpointer b)
{
    const yj_mapped_t *x = a, *y = b;
    return x->dev == y->dev && x->ino == y->ino;
}

yj_filecache_t *yj_filecache_new(size_t max_bytes, size_t min_file, size_t max_file)
{
    yj_filecache_t *fc = g_new0(yj_filecache_t, 1);
    g_mutex_init(&fc->mu);
    fc->by_file = g_hash_table_new(file_hash, file_equal);
    g_queue_init(&fc->lru);
    fc->max_bytes = max_bytes;
    fc->min_file = min_file;
    fc->max_file = max_file;
    return fc;
}

void yj_mapped_unref(yj_mapped_t *m)
{
    if (m && g_atomic_int_dec_and_test(&m->refs)) {
        munmap(m->data, (size_t)m->size);
        g_free(m);
    }
}

/* Takes m off the table and the list; returns the cache's reference for
 * the caller to drop outside the lock. Locked. */
static yj_mapped_t *unlist(yj_filecache_t *fc, yj_mapped_t *m)
{
    g_hash_table_remove(fc->by_file, m);
    g_queue_unlink(&fc->lru, &m->link);
    m->listed = false;
    fc->bytes -= (size_t)m->size;
    return m;
}

void yj_filecache_free(yj_filecache_t *fc)
{
    if (!fc)
        return;
    while (fc->lru.head)
        yj_mapped_unref(unlist(fc, fc->lru.head->data));
    g_hash_table_destroy(fc->by_file);
    g_mutex_clear(&fc->mu);
    g_free(fc);
}

static bool same_version(const yj_mapped_t *m, const struct stat *st)
{
    return m->size == st->st_size && m->mtime.tv_sec == st->st_mtim.tv_sec &&
           m->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

yj_mapped_t *yj_filecache_get(yj_filecache_t *fc, int fd, const struct stat *st)
{
    if (!S_ISREG(st->st_mode) || (size_t)st->st_size < fc->min_file ||
        (size_t)st->st_size > fc->max_file || st->st_size <= 0)
        return NULL;
    yj_mapped_t key = {.dev = st->st_dev, .ino = st->st_ino};
    yj_mapped_t *stale = NULL;
    g_mutex_lock(&fc->mu);
    yj_mapped_t *m = g_hash_table_lookup(fc->by_file, &key);
    if (m && same_version(m, st)) {
        g_atomic_int_inc(&m->refs);
        g_queue_unlink(&fc->lru, &m->link);
        g_queue_push_head_link(&fc->lru, &m->link);
        g_mutex_unlock(&fc->mu);
        return m;
    }
    if (m)
        stale = unlist(fc, m);
    g_mutex_unlock(&fc->mu);
    yj_mapped_unref(stale);

    /* MAP_POPULATE: the pages are mapped now, in one call, rather than
     * faulted in one by one while the socket write copies them. */
    void *data = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (data == MAP_FAILED)
        return NULL;
    m = g_new0(yj_mapped_t, 1);
    m->refs = 2; /* the caller's and the cache's */
    m->dev = st->st_dev;
    m->ino = st->st_ino;
    m->size = st->st_size;
    m->mtime = st->st_mtim;
    m->data = data;
    m->link.data = m;

    GPtrArray *evicted = g_ptr_array_new();
    g_mutex_lock(&fc->mu);
    yj_mapped_t *other = g_hash_table_lookup(fc->by_file, m);
    if (other) /* another request mapped it meanwhile: keep the newer */
        g_ptr_array_add(evicted, unlist(fc, other));
    g_hash_table_add(fc->by_file, m);
    g_queue_push_head_link(&fc->lru, &m->link);
    m->listed = true;
    fc->bytes += (size_t)m->size;
    while (fc->bytes > fc->max_bytes && fc->lru.tail && fc->lru.tail->data != m)
        g_ptr_array_add(evicted, unlist(fc, fc->lru.tail->data));
    g_mutex_unlock(&fc->mu);
    for (guint i = 0; i < evicted->len; i++)
        yj_mapped_unref(evicted->pdata[i]);
    g_ptr_array_free(evicted, TRUE);
    return m;
}

const uint8_t *yj_mapped_data(const yj_mapped_t *m)
{
    return m->data;
}

size_t yj_mapped_size(const yj_mapped_t *m)
{
    return (size_t)m->size;
}

size_t yj_filecache_bytes(yj_filecache_t *fc)
{
    g_mutex_lock(&fc->mu);
    size_t b = fc->bytes;
    g_mutex_unlock(&fc->mu);
    return b;
}
