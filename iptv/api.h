/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.h — the parsing and JSON shapes of the channels API that other
 * iptv/ modules and the fuzz targets share. Internal to iptv/.
 */
#ifndef YJ_IPTV_API_H
#define YJ_IPTV_API_H

#include "iptv_internal.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A unicast or multicast IPv4/IPv6 literal, not the unspecified or the
 * broadcast address. 0 or YJ_EINVAL; *multicast when not NULL. */
int yj_iptv_check_address(const char *s, bool *multicast);
/* "udp://[source@]address:port" or "rtp://…" (IPv6 in brackets). 0 or
 * YJ_EINVAL; host, port and rtp filled when not NULL. */
int yj_iptv_parse_feed_url(const char *url, char *host, size_t hostlen, int *port, bool *rtp);

/* New JSON objects (caller owns the reference). */
json_t *yj_iptv_channel_json(yj_iptv_t *v, const yj_iptv_channel_t *c, bool editable);
json_t *yj_iptv_prog_json(const yj_iptv_prog_t *p);
/* A refusal: HTTP status, error code, the field it names, a message. */
typedef struct {
    int status;
    char code[32], field[32], message[256];
} yj_iptv_ferr_t;
void yj_iptv_ferr_set(yj_iptv_ferr_t *e, int status, const char *code, const char *field,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Applies a programme body (JSON object) over p (zeroed for a create, the
 * stored row for an update) and checks the whole programme without the
 * database: fields, times with offsets, end > start, repeats, the kind's
 * reference present, the feed URL. 0, or YJ_EINVAL with *e set. p's
 * strings are g_malloc'd (yj_iptv_prog_clear). */
int yj_iptv_prog_parse(json_t *b, yj_iptv_prog_t *p, yj_iptv_ferr_t *e);

#endif
