/* SPDX-License-Identifier: Apache-2.0 */
/*
 * range.h — the HTTP Range request header (RFC 9110 §14.2), as
 * yj_req_reply_file (http.c) serves files: one byte range only.
 *
 * Exposed so that it can be unit-tested and fuzzed (it reads what the
 * network sends); it allocates nothing and must never read past the
 * string or return a range outside the file.
 */
#ifndef YJ_HTTP_RANGE_H
#define YJ_HTTP_RANGE_H

#include <stdint.h>

/* Parses "bytes=A-B", "bytes=A-" or "bytes=-N" (suffix) against a file of
 * size bytes. Returns 1 for a satisfiable single range with *from <= *to
 * < size set; 0 to ignore the header (malformed, another unit, several
 * ranges: serve the whole file); -1 if unsatisfiable (416). */
int yj_http_parse_range(const char *hdr, uint64_t size, uint64_t *from, uint64_t *to);

#endif
