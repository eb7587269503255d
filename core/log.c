/* SPDX-License-Identifier: Apache-2.0 */
/* log.c — see log.h. Formats the whole line first so a line is never torn,
 * and escapes control characters in the message (C0, DEL, C1 and the bidi
 * controls) so no logged field — a URL with %0a, a user name with a
 * newline — can forge another line or reorder what a reader sees. */
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
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    yj_log_escape(msg, line + n, sizeof line - (size_t)n);
    fprintf(stderr, "%s\n", line);
}

size_t yj_log_escape(const char *in, char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (n == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        unsigned cp = 0, len = 0;
        if (*p < 0x20 || *p == 0x7f) {
            cp = *p;
            len = 1;
        } else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) { /* C1 */
            cp = p[1];
            len = 2;
        } else if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
                                    (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9))) {
            cp = 0x2000u | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu); /* U+202A–E, U+2066–9 */
            len = 3;
        }
        if (!len) {
            if (o + 1 >= n)
                break;
            out[o++] = (char)*p;
            continue;
        }
        char esc[12];
        int k = cp > 0xff ? snprintf(esc, sizeof esc, "\\u%04x", cp)
                          : snprintf(esc, sizeof esc, "\\x%c%c", hex[cp >> 4], hex[cp & 15]);
        if (o + (size_t)k >= n)
            break;
        memcpy(out + o, esc, (size_t)k);
        o += (size_t)k;
        p += len - 1;
    }
    out[o] = 0;
    return o;
}
