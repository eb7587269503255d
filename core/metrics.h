/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h — process-wide counters, gauges and histograms rendered as
 * Prometheus text (exposition format 0.0.4) at /metrics.
 *
 * A metric is registered by its full name including labels, e.g.
 * yj_metrics_counter("yj_rtp_dropped_total{reason=\"short\"}", "…"); the
 * same name returns the same object, so callers may look up once and keep
 * the pointer (objects live until yj_metrics_reset). Updates are lock-free
 * atomics; registration takes a mutex.
 */
#ifndef YJ_METRICS_H
#define YJ_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct yj_counter yj_counter_t;
typedef struct yj_histogram yj_histogram_t;

yj_counter_t *yj_metrics_counter(const char *name, const char *help);
/* A gauge is a counter rendered with TYPE gauge; set or add to it. */
yj_counter_t *yj_metrics_gauge(const char *name, const char *help);
void yj_counter_add(yj_counter_t *c, int64_t v);
void yj_counter_set(yj_counter_t *c, int64_t v);
int64_t yj_counter_get(const yj_counter_t *c);

/* buckets: ascending upper bounds in seconds (or any unit), n <= 16. */
yj_histogram_t *yj_metrics_histogram(const char *name, const char *help, const double *buckets,
                                     size_t n);
void yj_histogram_observe(yj_histogram_t *h, double v);

/* Renders every metric; returns a newly allocated string (g_free). */
char *yj_metrics_render(void);

#endif
