/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_rtcp.c — libFuzzer target for RTCP: the compound parser and the
 * subscriber's feedback handling (receiver reports, NACK → resend from a
 * publisher's cache, PLI/FIR → keyframe request, REMB), run against a
 * peer with two bound slots and no network (sends fail quietly). */
#include "media/subscriber.h"

#include <stdint.h>
#include <string.h>

static yj_media_peer_t sub, pub;
static yj_track_t *track;
static yj_slot_t slots[2];

static void setup(void)
{
    yj_m_worker_metrics_init();
    g_mutex_init(&sub.out_lock);
    g_mutex_init(&pub.out_lock);
    strcpy(sub.id, "sub");
    strcpy(pub.id, "pub");
    sub.slots = g_ptr_array_new();
    track = yj_m_track_new(&pub, "pub-v1", YJ_MEDIA_VIDEO);
    track->codec = YJ_CODEC_VP8;
    track->clock = 90000;
    track->pt_codec[96] = YJ_CODEC_VP8;
    track->n_layers = 1;
    track->layers[0].ssrc = 0x1111;
    yj_nack_cache_init(&track->layers[0].cache, 1000000);
    /* a few cached packets to resend */
    for (uint16_t i = 0; i < 32; i++) {
        uint8_t pkt[40];
        int h = yj_rtp_write_header(pkt, sizeof pkt, false, 96, (uint16_t)(100 + i), 9000, 0x1111,
                                    NULL, 0);
        memset(pkt + h, 0x90, sizeof pkt - (size_t)h);
        yj_nack_cache_put(&track->layers[0].cache, (uint16_t)(100 + i), pkt, sizeof pkt, 0);
    }
    for (int i = 0; i < 2; i++) {
        yj_slot_t *s = &slots[i];
        s->sub = &sub;
        s->kind = YJ_MEDIA_VIDEO;
        s->active = true;
        s->ssrc = 0x2222 + (uint32_t)i;
        s->rtx_ssrc = 0x3333;
        for (int k = 0; k < 5; k++)
            s->pt_for[k] = s->rtx_pt_for[k] = -1;
        s->pt_for[YJ_CODEC_VP8] = 96;
        s->rtx_pt_for[YJ_CODEC_VP8] = i ? 97 : -1;
        s->track = yj_m_track_ref(track);
        s->layer = 0;
        strcpy(s->mid, "1");
        s->ext_mid = 4;
        uint16_t o;
        uint32_t t;
        yj_rewriter_map(&s->rw, 0x1111, 100, 9000, 90000, 0, &o, &t);
        yj_rewriter_map(&s->rw, 0x1111, 131, 9000, 90000, 0, &o, &t);
        g_ptr_array_add(sub.slots, s);
    }
}

static void visit(const yj_rtcp_item_t *it, void *ud)
{
    (void)ud;
    yj_m_subscriber_on_rtcp_item(&sub, it, 500000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    /* Data arrives decrypted in a writable buffer, like on the wire path. */
    uint8_t *buf = g_malloc(size ? size : 1);
    memcpy(buf, data, size);
    yj_rtcp_parse(buf, size, visit, NULL);
    g_free(buf);
    return 0;
}
