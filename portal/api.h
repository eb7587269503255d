/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.h — the records REST API (/api/v1): organisations, members, CSV
 * import/export, the credit ledger, member records and reports. Each
 * api_*.c file registers its routes from yj_api_register (api.c).
 */
#ifndef YJ_API_H
#define YJ_API_H

#include "core/app.h"
#include "http/http.h"

int yj_api_register(yj_app_t *app, yj_http_t *http);

#endif
