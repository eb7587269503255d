/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo.h — the demo organisation a newcomer gets with `yuanjiao --demo`:
 * a district committee, two township committees, four village/community
 * branches, about 20 members (two of them migrants) and one administrator
 * per level. Loaded only into an empty database, in one transaction.
 */
#ifndef YJ_DEMO_H
#define YJ_DEMO_H

#include "store.h"

#define YJ_DEMO_ADMIN "district"
#define YJ_DEMO_PASSWORD "demo-pass-2026"

/* Returns 1 if loaded, 0 if the database already had organisations, or a
 * negative YJ_E* code with *err set (g_free). */
int yj_demo_seed(yj_store_t *st, char **err);

#endif
