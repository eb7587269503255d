/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtc_test.h — test-only HTTP signaling for browser tests of server
 * re-offers (see rtc_test.c); registered by rtc.c only when [media]
 * test_pages is configured. Never enabled in production configurations.
 */
#ifndef YJ_RTC_TEST_H
#define YJ_RTC_TEST_H

#include "media/media.h"
#include "http/http.h"

int yj_rtc_test_register(yj_http_t *http, yj_media_t *(*engine)(void));
/* Closes the test peers (before the engine is freed). */
void yj_rtc_test_stop(void);

#endif
