/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bytes.h — network-order (big-endian) reads and writes of 16 and 32 bits,
 * shared by the RTP, RTCP and SRTP code. Callers check lengths first.
 */
#ifndef YJ_MEDIA_BYTES_H
#define YJ_MEDIA_BYTES_H

#include <stdint.h>

static inline uint16_t yj_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t yj_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void yj_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void yj_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
