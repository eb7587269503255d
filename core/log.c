/* SPDX-License-Identifier: Apache-2.0 */
/* log.c — see log.h. Formats the whole line first so a line is never torn. */
#include "log.h"
#include "yj.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static volatile int min_level = YJ_LOG_INFO;

void yj_log_set_level(yj_log_level_t level)
{
    min_level = level;
}

int yj_log_parse_level(const char *name, yj_log_level_t *out)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (yj_log_level_t)i;
            return 0;
        }
    }
    return YJ_EINVAL;
}

void yj_log(yj_log_level_t level, const char *module, const char *fmt, ...)
{
    static const char *tags[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if ((int)level < min_level)
        return;
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, ".%03dZ %-5s %s: ", (int)(tv.tv_usec / 1000),
                  tags[level], module);
    va_list ap;
    va_start(ap, fmt);
    if (n < (int)sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
