/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_filecache.c — the mapping cache for immutable files: one
 * mapping shared by repeated requests, a file replaced by rename gets a
 * fresh mapping with its new content, the least recently used mappings go
 * first past the byte limit, a mapping stays readable while a request
 * holds it even after eviction, and files outside the size limits are not
 * cached. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/filecache.h"

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static char *dir;

static char *make(const char *name, size_t size, char fill)
{
    char *path = g_build_filename(dir, name, NULL);
    char *tmp = g_strconcat(path, ".tmp", NULL);
    char *buf = g_malloc(size);
    memset(buf, fill, size);
    assert_true(g_file_set_contents(tmp, buf, (gssize)size, NULL));
    assert_int_equal(g_rename(tmp, path), 0); /* how segments are written */
    g_free(buf);
    g_free(tmp);
    return path;
}

static yj_mapped_t *get(yj_filecache_t *fc, const char *path)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    yj_mapped_t *m = yj_filecache_get(fc, fd, &st);
    close(fd);
    return m;
}

static void shared_then_replaced(void **state)
{
    (void)state;
    yj_filecache_t *fc = yj_filecache_new(1 << 20, 4096, 1 << 20);
    char *p = make("a.ts", 100000, 'a');
    yj_mapped_t *m1 = get(fc, p), *m2 = get(fc, p);
    assert_non_null(m1);
    assert_ptr_equal(m1, m2);
    assert_int_equal(yj_mapped_size(m1), 100000);
    assert_int_equal(yj_mapped_data(m1)[99999], 'a');
    assert_int_equal(yj_filecache_bytes(fc), 100000);
    g_free(make("a.ts", 120000, 'b')); /* replaced under the same name */
    yj_mapped_t *m3 = get(fc, p);
    assert_non_null(m3);
    assert_ptr_not_equal(m3, m1);
    assert_int_equal(yj_mapped_size(m3), 120000);
    assert_int_equal(yj_mapped_data(m3)[0], 'b');
    /* the old version is still readable by the requests holding it */
    assert_int_equal(yj_mapped_data(m1)[0], 'a');
    yj_mapped_unref(m1);
    yj_mapped_unref(m2);
    yj_mapped_unref(m3);
    yj_filecache_free(fc);
    g_free(p);
}

static void least_recently_used_evicted(void **state)
{
    (void)state;
    yj_filecache_t *fc = yj_filecache_new(250000, 4096, 1 << 20);
    char *a = make("1.ts", 100000, '1'), *b = make("2.ts", 100000, '2'),
         *c = make("3.ts", 100000, '3');
    yj_mapped_t *ma = get(fc, a);
    yj_mapped_unref(get(fc, b));
    yj_mapped_unref(get(fc, a)); /* a used again: b is now the oldest */
    yj_mapped_unref(get(fc, c)); /* over 250,000 bytes: b goes */
    assert_int_equal(yj_filecache_bytes(fc), 200000);
    yj_mapped_t *ma2 = get(fc, a);
    assert_ptr_equal(ma, ma2); /* still cached */
    yj_mapped_unref(ma2);
    yj_mapped_unref(get(fc, b)); /* b mapped again: c, the oldest, goes */
    yj_mapped_unref(get(fc, c)); /* c again: now a is the oldest and goes … */
    assert_int_equal(yj_filecache_bytes(fc), 200000);
    yj_mapped_t *ma3 = get(fc, a);
    assert_ptr_not_equal(ma3, ma); /* … so a is mapped afresh */
    yj_mapped_unref(ma3);
    /* the evicted mapping ma still holds is still readable */
    assert_int_equal(yj_mapped_data(ma)[12345], '1');
    yj_mapped_unref(ma);
    yj_filecache_free(fc);
    g_free(a);
    g_free(b);
    g_free(c);
}

static void outside_limits_not_cached(void **state)
{
    (void)state;
    yj_filecache_t *fc = yj_filecache_new(1 << 20, 4096, 200000);
    char *small = make("s.m3u8", 100, 's'), *big = make("b.ts", 300000, 'b');
    assert_null(get(fc, small));
    assert_null(get(fc, big));
    assert_int_equal(yj_filecache_bytes(fc), 0);
    yj_filecache_free(fc);
    g_free(small);
    g_free(big);
}

int main(void)
{
    dir = g_dir_make_tmp("yj-filecache-XXXXXX", NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_then_replaced),
        cmocka_unit_test(least_recently_used_evicted),
        cmocka_unit_test(outside_limits_not_cached),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    (void)!system(cmd);
    g_free(cmd);
    g_free(dir);
    return rc;
}
