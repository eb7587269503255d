/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h — one-line log records on stderr (journald picks them up).
 *
 * Each line: ISO-8601 UTC time, level, module, message. Thread-safe (stdio
 * locks the stream per call). Never allocates on the caller's behalf.
 */
#ifndef YJ_LOG_H
#define YJ_LOG_H

#include <stddef.h>

typedef enum { YJ_LOG_DEBUG, YJ_LOG_INFO, YJ_LOG_WARN, YJ_LOG_ERROR } yj_log_level_t;

/* Lines below this level are dropped. Default YJ_LOG_INFO. */
void yj_log_set_level(yj_log_level_t level);
/* Parses "debug", "info", "warn", "error"; returns 0 or YJ_EINVAL. */
int yj_log_parse_level(const char *name, yj_log_level_t *out);
void yj_log(yj_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies in to out (n bytes, always terminated) with control characters
 * (C0, DEL, C1, U+202A–U+202E, U+2066–U+2069) written as \xNN / \uNNNN;
 * returns the length written. What yj_log does to every message. */
size_t yj_log_escape(const char *in, char *out, size_t n);

#define yj_debug(mod, ...) yj_log(YJ_LOG_DEBUG, mod, __VA_ARGS__)
#define yj_info(mod, ...) yj_log(YJ_LOG_INFO, mod, __VA_ARGS__)
#define yj_warn(mod, ...) yj_log(YJ_LOG_WARN, mod, __VA_ARGS__)
#define yj_error(mod, ...) yj_log(YJ_LOG_ERROR, mod, __VA_ARGS__)

#endif
