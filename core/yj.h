/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yj.h — error codes shared by every module.
 *
 * Functions return 0 on success or a negative YJ_E* code (libuv style);
 * constructors return NULL. yj_strerror() names a code for logs and error
 * bodies. This header must stay free of any dependency but libc.
 */
#ifndef YJ_H
#define YJ_H

enum {
    YJ_OK = 0,
    YJ_EINVAL = -1,    /* bad argument or malformed input */
    YJ_ENOMEM = -2,    /* allocation failed */
    YJ_ENOENT = -3,    /* no such object */
    YJ_EEXIST = -4,    /* object already exists / unique key taken */
    YJ_EIO = -5,       /* file or socket I/O failed */
    YJ_EDB = -6,       /* database error */
    YJ_EPERM = -7,     /* caller is not allowed */
    YJ_EBUSY = -8,     /* object still in use (e.g. org with members) */
    YJ_ETOOBIG = -9,   /* input over a size limit */
    YJ_EAUTH = -10,    /* authentication failed */
    YJ_ELIMIT = -11,   /* rate limited */
    YJ_ESTATE = -12,   /* operation not valid in the current state */
    YJ_ECRYPTO = -13,  /* OpenSSL / SRTP failure */
    YJ_EMEDIA = -14,   /* media file or stream unusable */
};

/* Returns a static English description of a YJ_E* code; never NULL. */
const char *yj_strerror(int code);

#define YJ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
