/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filecache.h — immutable files (HLS segments) kept mapped in memory and
 * shared between requests, so a segment that many viewers fetch is sent
 * from one mapping with its header in the same write, instead of
 * libmicrohttpd's sendfile path (128 KiB per call with a trip through its
 * event loop between calls; see bench/RESULTS.md, HLS serving).
 *
 * Only for files that are never modified in place or truncated: they are
 * written under another name and renamed, and later deleted. (A mapped
 * file that shrinks would fault on access.) A changed file (other inode,
 * size or modification time) gets a fresh mapping; the old one lives
 * until its last request is sent.
 *
 * THREADS: every function may be called from any thread.
 */
#ifndef YJ_HTTP_FILECACHE_H
#define YJ_HTTP_FILECACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

typedef struct yj_filecache yj_filecache_t;
typedef struct yj_mapped yj_mapped_t;

/* A cache holding at most max_bytes of mappings, of files from min_file
 * to max_file bytes (others are not cached: tiny ones gain nothing, huge
 * ones would push everything else out). */
yj_filecache_t *yj_filecache_new(size_t max_bytes, size_t min_file, size_t max_file);
/* Frees the cache; mappings still referenced live until released. NULL:
 * no-op. */
void yj_filecache_free(yj_filecache_t *fc);

/* The mapping of the file open on fd (st: its fstat), a new reference, or
 * NULL when the file is outside the size limits or cannot be mapped (then
 * send it another way). fd is not kept. */
yj_mapped_t *yj_filecache_get(yj_filecache_t *fc, int fd, const struct stat *st);
const uint8_t *yj_mapped_data(const yj_mapped_t *m);
size_t yj_mapped_size(const yj_mapped_t *m);
/* Releases a reference from yj_filecache_get. NULL: no-op. */
void yj_mapped_unref(yj_mapped_t *m);

/* Bytes mapped by the cache now (tests, metrics). */
size_t yj_filecache_bytes(yj_filecache_t *fc);

#endif
