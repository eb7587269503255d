/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_rtp.c — libFuzzer target for the RTP side of media/rtp.c: the
 * parser, header-extension lookup (one- and two-byte), audio level,
 * VP8/H.264 keyframe probes, the H.264 SPS size reader, the rewriter and
 * the NACK cache, fed the way the forwarding path feeds them. */
#include "media/rtp.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static yj_nack_cache_t cache;
    static yj_rewriter_t rw;
    static int64_t now;
    if (!cache.slots)
        yj_nack_cache_init(&cache, 1000000);
    yj_pkt_classify(data, size);
    yj_rtp_t p;
    if (yj_rtp_parse(data, size, &p) != 0)
        return 0;
    const uint8_t *d;
    for (int id = 0; id <= 15; id++) {
        int n = yj_rtp_ext_find(&p, id, &d);
        if (n > 0) {
            volatile uint8_t sink = d[n - 1];
            (void)sink;
        }
    }
    yj_rtp_audio_level(&p, 1);
    yj_vp8_is_keyframe(p.payload, p.payload_len);
    int w, h;
    yj_vp8_keyframe_size(p.payload, p.payload_len, &w, &h);
    yj_h264_is_keyframe(p.payload, p.payload_len);
    if (yj_h264_sps_size(p.payload, p.payload_len, &w, &h) && (w <= 0 || h <= 0 || w > 16384))
        __builtin_trap(); /* a size read is a plausible one */
    now += 20000;
    if (p.marker)
        yj_rewriter_switch(&rw);
    uint16_t s;
    uint32_t t;
    if (yj_rewriter_map(&rw, p.ssrc, p.seq, p.ts, 90000, now, &s, &t)) {
        uint16_t src;
        yj_rewriter_unmap_seq(&rw, s, &src);
    }
    yj_nack_cache_put(&cache, p.seq, data, size, now);
    size_t len;
    const uint8_t *c = yj_nack_cache_get(&cache, p.seq, now, &len);
    /* what was just stored comes back intact (oversized ones are not kept) */
    if (size <= YJ_RTP_MAX && (!c || len != size || memcmp(c, data, len) != 0))
        __builtin_trap();
    /* Rebuild the header the way the router does and parse it back. */
    uint8_t out[YJ_RTP_MAX];
    yj_rtp_ext_elem_t ext = {.id = 4, .len = 1, .data = {'0'}};
    int hl = yj_rtp_write_header(out, sizeof out, p.marker, p.pt, s, t, p.ssrc, &ext, 1);
    if (hl > 0 && (size_t)hl + p.payload_len <= sizeof out) {
        memcpy(out + hl, p.payload, p.payload_len);
        yj_rtp_t q;
        if (yj_rtp_parse(out, (size_t)hl + p.payload_len, &q) != 0 ||
            q.payload_len != p.payload_len)
            __builtin_trap();
    }
    return 0;
}
