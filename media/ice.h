/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ice.h — one peer's ICE transport: a libnice NiceAgent (RFC 5245/8445
 * full ICE, trickle) with one stream of one component (BUNDLE + rtcp-mux),
 * living on the peer's worker GMainContext.
 *
 * Host candidates come from the configured addresses (loopback allowed),
 * server-reflexive ones from the STUN server, relayed ones from the TURN
 * server; UDP ports from the configured range. Callbacks run on the
 * worker. yj_ice_send may be called from any thread (NiceAgent locks).
 */
#ifndef YJ_ICE_H
#define YJ_ICE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct yj_ice yj_ice_t;

/* Shared, immutable settings made by the engine from its config. */
typedef struct {
    char **addresses; /* NULL-terminated IP strings; NULL: libnice's choice */
    int port_min, port_max;
    char *stun_ip; /* resolved; NULL: none */
    int stun_port;
    char *turn_ip;
    int turn_port;
    char *turn_user, *turn_password;
} yj_ice_config_t;

typedef enum {
    YJ_ICE_NEW,
    YJ_ICE_CHECKING,
    YJ_ICE_CONNECTED,
    YJ_ICE_DISCONNECTED,
    YJ_ICE_FAILED,
} yj_ice_state_t;

typedef struct {
    /* "candidate:…" or NULL when gathering is done. */
    void (*on_candidate)(const char *cand, void *ud);
    void (*on_state)(yj_ice_state_t st, void *ud);
    /* One received datagram (buf valid during the call, may be modified). */
    void (*on_recv)(uint8_t *buf, size_t len, void *ud);
} yj_ice_callbacks_t;

/* Creates the agent on ctx; the server is the controlled side (it
 * answers), a client (the bench) controlling. Gathering starts with
 * yj_ice_gather. NULL on failure. */
yj_ice_t *yj_ice_new(GMainContext *ctx, const yj_ice_config_t *cfg, bool controlling,
                     const yj_ice_callbacks_t *cb, void *ud);
/* Detaches callbacks and frees the agent (on the worker). NULL: no-op. */
void yj_ice_free(yj_ice_t *ice);

int yj_ice_gather(yj_ice_t *ice);
bool yj_ice_gathering_done(const yj_ice_t *ice);
/* Local credentials (owned by ice, valid until a restart). */
const char *yj_ice_ufrag(const yj_ice_t *ice);
const char *yj_ice_pwd(const yj_ice_t *ice);
/* Copies up to max local candidates ("candidate:…"); returns the count. */
int yj_ice_local_candidates(yj_ice_t *ice, char (*out)[256], int max);

int yj_ice_set_remote_credentials(yj_ice_t *ice, const char *ufrag, const char *pwd);
const char *yj_ice_remote_ufrag(const yj_ice_t *ice);
/* "candidate:…" (or with "a="). Unresolvable ones (mDNS .local) are
 * ignored and return 0; malformed ones YJ_EINVAL. */
int yj_ice_add_remote_candidate(yj_ice_t *ice, const char *cand);
void yj_ice_remote_gathering_done(yj_ice_t *ice);

/* New local credentials, remote candidates forgotten; gathering restarts. */
int yj_ice_restart(yj_ice_t *ice);

/* Sends one datagram on the selected pair; YJ_ESTATE when none yet.
 * Any thread. */
int yj_ice_send(yj_ice_t *ice, const uint8_t *buf, size_t len);

yj_ice_state_t yj_ice_state(const yj_ice_t *ice);
/* "udp 127.0.0.1:50000 host" of the selected pair (any thread). */
void yj_ice_selected(yj_ice_t *ice, char *local, size_t lsize, char *remote, size_t rsize);

#endif
