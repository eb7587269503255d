/* SPDX-License-Identifier: Apache-2.0 */
/*
 * app.h — what every subsystem is given when the daemon starts it.
 *
 * The daemon owns all of these; a subsystem borrows them for its lifetime
 * (from its _start to its _stop) and frees none of them.
 */
#ifndef YJ_APP_H
#define YJ_APP_H

#include "config.h"
#include "jobs.h"
#include "store.h"

#include <stdbool.h>

typedef struct {
    yj_config_t *cfg;
    yj_store_t *store;
    const char *data_dir;     /* writable: media, recordings, uploads */
    const char *web_dir;      /* portal/web: static pages */
    const char *npm_dir;      /* node_modules: hls.js and other page libraries */
    const char *public_url;   /* how browsers reach us; set once HTTP listens
                                 (after _start): read it at request time */
    yj_jobs_t *jobs;          /* the one background job pool (jobs.h): vod's
                                 transcodes, recordings' compositions; the
                                 daemon creates it before the subsystems,
                                 stops it (yj_jobs_stop) before any of them
                                 stops and frees it after all are freed */
    bool demo;                /* --demo: subsystems may add their demo content
                                 (only into an empty store) in _start */
} yj_app_t;

#endif
