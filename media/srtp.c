/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srtp.c — see srtp.h. Inbound sessions are libsrtp's: the policy for each
 * profile and a wide replay window (video bursts reorder). Outbound
 * sessions are srtp_send.c's (OpenSSL, no allocation per packet).
 */
#include "srtp.h"
#include "dtls.h"
#include "srtp_send.h"
#include "core/yj.h"

#include <glib.h>
#include <srtp2/srtp.h>
#include <string.h>

struct yj_srtp {
    bool outbound;
    yj_srtp_send_t send; /* outbound */
    srtp_t ctx;          /* inbound */
};

static gsize init_done;
static int init_rc;

int yj_srtp_global_init(void)
{
    if (g_once_init_enter(&init_done)) {
        init_rc = srtp_init() == srtp_err_status_ok ? 0 : YJ_ECRYPTO;
        g_once_init_leave(&init_done, 1);
    }
    return init_rc;
}

yj_srtp_t *yj_srtp_new(int profile, const uint8_t *key, size_t keylen, bool inbound)
{
    if (!inbound) {
        yj_srtp_t *s = g_new0(yj_srtp_t, 1);
        s->outbound = true;
        if (yj_srtp_send_init(&s->send, profile, key, keylen)) {
            g_free(s);
            return NULL;
        }
        return s;
    }
    srtp_policy_t pol;
    memset(&pol, 0, sizeof pol);
    if (profile == YJ_SRTP_AEAD_AES_128_GCM && keylen == 28) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
    } else if (profile == YJ_SRTP_AES128_CM_SHA1_80 && keylen == 30) {
        srtp_crypto_policy_set_rtp_default(&pol.rtp);
        srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
    } else {
        return NULL;
    }
    uint8_t k[32];
    memcpy(k, key, keylen);
    pol.ssrc.type = ssrc_any_inbound;
    pol.key = k;
    pol.window_size = 1024;
    pol.next = NULL;
    yj_srtp_t *s = g_new0(yj_srtp_t, 1);
    if (srtp_create(&s->ctx, &pol) != srtp_err_status_ok) {
        g_free(s);
        s = NULL;
    }
    memset(k, 0, sizeof k);
    return s;
}

void yj_srtp_free(yj_srtp_t *s)
{
    if (!s)
        return;
    if (s->outbound)
        yj_srtp_send_clear(&s->send);
    else
        srtp_dealloc(s->ctx);
    g_free(s);
}

int yj_srtp_protect(yj_srtp_t *s, uint8_t *buf, int *len)
{
    return s->outbound && yj_srtp_send_rtp(&s->send, buf, len) == 0 ? 0 : YJ_ECRYPTO;
}

int yj_srtp_protect_rtcp(yj_srtp_t *s, uint8_t *buf, int *len)
{
    return s->outbound && yj_srtp_send_rtcp(&s->send, buf, len) == 0 ? 0 : YJ_ECRYPTO;
}

int yj_srtp_unprotect(yj_srtp_t *s, uint8_t *buf, int *len)
{
    if (s->outbound)
        return YJ_ECRYPTO;
    return srtp_unprotect(s->ctx, buf, len) == srtp_err_status_ok ? 0 : YJ_ECRYPTO;
}

int yj_srtp_unprotect_rtcp(yj_srtp_t *s, uint8_t *buf, int *len)
{
    if (s->outbound)
        return YJ_ECRYPTO;
    return srtp_unprotect_rtcp(s->ctx, buf, len) == srtp_err_status_ok ? 0 : YJ_ECRYPTO;
}

const char *yj_srtp_profile_name(int profile)
{
    switch (profile) {
    case YJ_SRTP_AEAD_AES_128_GCM:
        return "AEAD_AES_128_GCM";
    case YJ_SRTP_AES128_CM_SHA1_80:
        return "AES_CM_128_HMAC_SHA1_80";
    default:
        return "none";
    }
}
