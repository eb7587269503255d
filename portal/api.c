/* SPDX-License-Identifier: Apache-2.0 */
/* api.c — registers every records route; one line per api_*.c module. */
#include "api.h"
#include "api_common.h"
#include "core/yj.h"

int yj_api_register(yj_app_t *app, yj_http_t *http)
{
    int rc = 0;
    rc |= yj_api_orgs_register(app, http);
    rc |= yj_api_members_register(app, http);
    rc |= yj_api_ledger_register(app, http);
    rc |= yj_api_import_register(app, http);
    return rc ? YJ_EINVAL : 0;
}
