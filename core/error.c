/* SPDX-License-Identifier: Apache-2.0 */
/* error.c — names for the YJ_E* codes of yj.h. */
#include "yj.h"

const char *yj_strerror(int code)
{
    switch (code) {
    case YJ_OK: return "ok";
    case YJ_EINVAL: return "invalid argument";
    case YJ_ENOMEM: return "out of memory";
    case YJ_ENOENT: return "not found";
    case YJ_EEXIST: return "already exists";
    case YJ_EIO: return "input/output error";
    case YJ_EDB: return "database error";
    case YJ_EPERM: return "permission denied";
    case YJ_EBUSY: return "still in use";
    case YJ_ETOOBIG: return "too large";
    case YJ_EAUTH: return "authentication failed";
    case YJ_ELIMIT: return "rate limited";
    case YJ_ESTATE: return "invalid state";
    case YJ_ECRYPTO: return "cryptographic failure";
    case YJ_EMEDIA: return "unusable media";
    }
    return "unknown error";
}
