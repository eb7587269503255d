/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_sdp.c — libFuzzer target for the session-description layer: parse
 * (GstSDP + validation), negotiate every m-line's codecs, write an answer
 * and parse it back; and the trickle-fragment parser. */
#include "media/sdp.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = g_strndup((const char *)data, size);
    char *err = NULL;
    yj_sdp_t *s = yj_sdp_parse(text, &err);
    g_free(err);
    if (s) {
        yj_sdp_t a = {0};
        a.n_m = s->n_m;
        a.m = g_new0(yj_sdp_media_t, s->n_m);
        g_strlcpy(a.ufrag, "ufrag", sizeof a.ufrag);
        g_strlcpy(a.pwd, "passwordpasswordpassword", sizeof a.pwd);
        g_strlcpy(a.fingerprint, yj_sdp_fingerprint(s), sizeof a.fingerprint);
        g_strlcpy(a.setup, "passive", sizeof a.setup);
        for (int i = 0; i < s->n_m; i++) {
            yj_sdp_media_t *m = &a.m[i];
            g_strlcpy(m->kind, s->m[i].kind, sizeof m->kind);
            g_strlcpy(m->mid, s->m[i].mid, sizeof m->mid);
            m->is_audio = s->m[i].is_audio;
            m->is_video = s->m[i].is_video;
            m->rtcp_mux = true;
            m->dir = YJ_DIR_RECV;
            m->rejected = yj_sdp_negotiate_codecs(&s->m[i], m, i & 1) == 0 || s->m[i].rejected;
            m->simulcast = s->m[i].simulcast;
            m->n_rid = s->m[i].n_rid;
            memcpy(m->rid, s->m[i].rid, sizeof m->rid);
            if (!m->rejected && a.n_bundle < YJ_SDP_MAX_MEDIA)
                g_strlcpy(a.bundle[a.n_bundle++], m->mid, sizeof a.bundle[0]);
        }
        char *out = yj_sdp_write(&a);
        if (out) {
            yj_sdp_t *back = yj_sdp_parse(out, NULL);
            yj_sdp_free(back);
            g_free(out);
        }
        g_free(a.m);
        yj_sdp_free(s);
    }
    char ufrag[64], pwd[160], cands[4][256];
    bool end;
    yj_sdp_parse_frag(text, ufrag, pwd, cands, 4, &end, &err);
    g_free(err);
    g_free(text);
    return 0;
}
