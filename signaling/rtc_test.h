/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtc_test.h — test-only HTTP signaling for browser tests of server
 * re-offers (see rtc_test.c); registered by rtc.c only when [media]
 * test_pages is configured. Never enabled in production configurations.
 * It is daemon code (the test-only half of rtc, prefix yj_rtc_test_), not
 * a unit test: those live in tests/unit/test_*.c.
 */
#ifndef YJ_RTC_TEST_H
#define YJ_RTC_TEST_H

#include "media/media.h"
#include "http/http.h"

typedef struct yj_rtc_test yj_rtc_test_t;

/* Registers the test routes on http; engine is borrowed and must outlive
 * the result. NULL when a route cannot be registered. */
yj_rtc_test_t *yj_rtc_test_new(yj_http_t *http, yj_media_t *engine);
/* Closes the test peers (before the engine is freed); more may come. */
void yj_rtc_test_stop(yj_rtc_test_t *t);
/* Closes the peers and frees. NULL: no-op. */
void yj_rtc_test_free(yj_rtc_test_t *t);

#endif
