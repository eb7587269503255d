/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdp.c — see sdp.h. GstSDP does the tokenising and writing; this file
 * maps its attribute lists to yj_sdp_t and back, validating every field
 * the rest of media/ will trust (lengths, ranges, uniqueness). It must
 * never keep a pointer into the GstSDPMessage past the call.
 */
#include "sdp.h"
#include "core/yj.h"

#include <errno.h>
#include <glib.h>
#include <gst/sdp/sdp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ext_uris[YJ_EXT_COUNT] = {
    [YJ_EXT_NONE] = "",
    [YJ_EXT_MID] = "urn:ietf:params:rtp-hdrext:sdes:mid",
    [YJ_EXT_RID] = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    [YJ_EXT_RRID] = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    [YJ_EXT_AUDIO_LEVEL] = "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    [YJ_EXT_ABS_SEND_TIME] = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
};

const char *yj_sdp_ext_uri(yj_ext_t e)
{
    return e > YJ_EXT_NONE && e < YJ_EXT_COUNT ? ext_uris[e] : "";
}

yj_ext_t yj_sdp_ext_from_uri(const char *uri)
{
    for (int i = 1; i < YJ_EXT_COUNT; i++)
        if (strcmp(uri, ext_uris[i]) == 0)
            return (yj_ext_t)i;
    return YJ_EXT_NONE;
}

const char *yj_sdp_dir_name(int dir)
{
    switch (dir & 3) {
    case YJ_DIR_SEND:
        return "sendonly";
    case YJ_DIR_RECV:
        return "recvonly";
    case YJ_DIR_SENDRECV:
        return "sendrecv";
    default:
        return "inactive";
    }
}

void yj_sdp_free(yj_sdp_t *s)
{
    if (!s)
        return;
    g_free(s->m);
    g_free(s);
}

static int set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_err(char **err, const char *fmt, ...)
{
    if (err && !*err) {
        va_list ap;
        va_start(ap, fmt);
        *err = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    return YJ_EINVAL;
}

/* Copies src into dst[size]; false (nothing useful copied) if too long. */
static bool copy_str(char *dst, size_t size, const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= size)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

/* Parses a decimal in [lo, hi] that makes up the whole token. */
static bool parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Leading decimal of s (up to the first non-digit); -1 if none. */
static long lead_int(const char *s, const char **rest, long hi)
{
    long v = 0;
    const char *p = s;
    if (!g_ascii_isdigit(*p))
        return -1;
    while (g_ascii_isdigit(*p)) {
        v = v * 10 + (*p - '0');
        if (v > hi)
            return -1;
        p++;
    }
    if (rest)
        *rest = p;
    return v;
}

static yj_sdp_codec_t *codec_by_pt(yj_sdp_media_t *m, long pt)
{
    for (int i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    return NULL;
}

static yj_codec_t codec_kind(const char *name)
{
    if (g_ascii_strcasecmp(name, "opus") == 0)
        return YJ_CODEC_OPUS;
    if (g_ascii_strcasecmp(name, "VP8") == 0)
        return YJ_CODEC_VP8;
    if (g_ascii_strcasecmp(name, "H264") == 0)
        return YJ_CODEC_H264;
    if (g_ascii_strcasecmp(name, "rtx") == 0)
        return YJ_CODEC_RTX;
    return YJ_CODEC_NONE;
}

static int add_ssrc(yj_sdp_media_t *m, uint32_t ssrc)
{
    for (int i = 0; i < m->n_ssrc; i++)
        if (m->ssrc[i] == ssrc || m->rtx_ssrc[i] == ssrc)
            return i;
    if (m->n_ssrc >= YJ_SDP_MAX_SSRCS)
        return -1;
    m->ssrc[m->n_ssrc] = ssrc;
    m->rtx_ssrc[m->n_ssrc] = 0;
    return m->n_ssrc++;
}

/* One media-level attribute. idx is the m-line number for messages. */
static int media_attr(yj_sdp_t *s, yj_sdp_media_t *m, int idx, const char *key, const char *val,
                      char **err)
{
    if (!val)
        val = "";
    if (strcmp(key, "mid") == 0) {
        if (!*val || !copy_str(m->mid, sizeof m->mid, val))
            return set_err(err, "m-line %d: bad mid", idx);
    } else if (strcmp(key, "sendrecv") == 0) {
        m->dir = YJ_DIR_SENDRECV;
    } else if (strcmp(key, "sendonly") == 0) {
        m->dir = YJ_DIR_SEND;
    } else if (strcmp(key, "recvonly") == 0) {
        m->dir = YJ_DIR_RECV;
    } else if (strcmp(key, "inactive") == 0) {
        m->dir = YJ_DIR_INACTIVE;
    } else if (strcmp(key, "rtcp-mux") == 0) {
        m->rtcp_mux = true;
    } else if (strcmp(key, "rtcp-rsize") == 0) {
        m->rtcp_rsize = true;
    } else if (strcmp(key, "ice-ufrag") == 0) {
        if (!copy_str(m->ufrag, sizeof m->ufrag, val))
            return set_err(err, "m-line %d: ice-ufrag too long", idx);
    } else if (strcmp(key, "ice-pwd") == 0) {
        if (!copy_str(m->pwd, sizeof m->pwd, val))
            return set_err(err, "m-line %d: ice-pwd too long", idx);
    } else if (strcmp(key, "fingerprint") == 0) {
        if (!copy_str(m->fingerprint, sizeof m->fingerprint, val))
            return set_err(err, "m-line %d: fingerprint too long", idx);
    } else if (strcmp(key, "setup") == 0) {
        if (!copy_str(m->setup, sizeof m->setup, val))
            return set_err(err, "m-line %d: bad setup", idx);
    } else if (strcmp(key, "candidate") == 0) {
        if (s->n_cands < YJ_SDP_MAX_CANDS && strlen(val) < 240)
            g_snprintf(s->cands[s->n_cands++], sizeof s->cands[0], "candidate:%s", val);
    } else if (strcmp(key, "end-of-candidates") == 0) {
        s->end_of_candidates = true;
    } else if (strcmp(key, "rtpmap") == 0) {
        const char *rest;
        long pt = lead_int(val, &rest, 127);
        yj_sdp_codec_t *c = pt >= 0 ? codec_by_pt(m, pt) : NULL;
        if (pt < 0 || *rest != ' ')
            return set_err(err, "m-line %d: bad rtpmap \"%s\"", idx, val);
        if (!c)
            return 0; /* rtpmap for a type not in the m= line: ignore */
        char **parts = g_strsplit(rest + 1, "/", 4);
        int np = (int)g_strv_length(parts);
        long clock = 0, ch = 1;
        bool ok = np >= 2 && np <= 3 && copy_str(c->name, sizeof c->name, parts[0]) &&
                  parse_int(parts[1], 1, 10000000, &clock) &&
                  (np < 3 || parse_int(parts[2], 1, 8, &ch));
        g_strfreev(parts);
        if (!ok)
            return set_err(err, "m-line %d: bad rtpmap \"%s\"", idx, val);
        c->clock = (int)clock;
        c->channels = (int)ch;
        c->codec = codec_kind(c->name);
    } else if (strcmp(key, "fmtp") == 0) {
        const char *rest;
        long pt = lead_int(val, &rest, 127);
        if (pt < 0 || *rest != ' ')
            return set_err(err, "m-line %d: bad fmtp \"%s\"", idx, val);
        yj_sdp_codec_t *c = codec_by_pt(m, pt);
        if (!c)
            return 0;
        if (!copy_str(c->fmtp, sizeof c->fmtp, rest + 1))
            return set_err(err, "m-line %d: fmtp too long", idx);
        const char *apt = strstr(c->fmtp, "apt=");
        if (apt) {
            long a = lead_int(apt + 4, NULL, 127);
            c->apt = (int)a;
        }
    } else if (strcmp(key, "rtcp-fb") == 0) {
        const char *rest;
        long pt = -1;
        if (val[0] == '*' && val[1] == ' ')
            rest = val + 1;
        else if ((pt = lead_int(val, &rest, 127)) < 0 || *rest != ' ')
            return set_err(err, "m-line %d: bad rtcp-fb \"%s\"", idx, val);
        rest++;
        unsigned bit = 0;
        if (strcmp(rest, "nack") == 0)
            bit = YJ_FB_NACK;
        else if (strcmp(rest, "nack pli") == 0)
            bit = YJ_FB_PLI;
        else if (strcmp(rest, "ccm fir") == 0)
            bit = YJ_FB_FIR;
        else if (strcmp(rest, "goog-remb") == 0)
            bit = YJ_FB_REMB;
        else if (strcmp(rest, "transport-cc") == 0)
            bit = YJ_FB_TWCC;
        for (int i = 0; i < m->n_codecs; i++)
            if (pt < 0 || m->codecs[i].pt == pt)
                m->codecs[i].fb |= bit;
    } else if (strcmp(key, "extmap") == 0) {
        const char *rest;
        long id = lead_int(val, &rest, 255);
        if (id < 1 || (*rest != ' ' && *rest != '/'))
            return set_err(err, "m-line %d: bad extmap \"%s\"", idx, val);
        const char *sp = strchr(rest, ' ');
        if (!sp)
            return set_err(err, "m-line %d: bad extmap \"%s\"", idx, val);
        char uri[256];
        const char *end = strchr(sp + 1, ' ');
        size_t n = end ? (size_t)(end - sp - 1) : strlen(sp + 1);
        if (n >= sizeof uri)
            return 0;
        memcpy(uri, sp + 1, n);
        uri[n] = 0;
        for (int i = 0; i < m->n_ext; i++)
            if (m->ext[i].id == id)
                return set_err(err, "m-line %d: extmap id %ld used twice", idx, id);
        yj_ext_t e = yj_sdp_ext_from_uri(uri);
        if (e != YJ_EXT_NONE && m->n_ext < YJ_SDP_MAX_EXT)
            m->ext[m->n_ext++] = (yj_sdp_extmap_t){.id = (int)id, .ext = e};
    } else if (strcmp(key, "ssrc") == 0) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(val, &end, 10);
        if (errno || end == val || v > 0xffffffffUL || (*end && *end != ' '))
            return set_err(err, "m-line %d: bad ssrc \"%s\"", idx, val);
        if (add_ssrc(m, (uint32_t)v) < 0)
            return 0;
        if (g_str_has_prefix(end, " cname:") && !m->cname[0])
            copy_str(m->cname, sizeof m->cname, end + 7);
        else if (g_str_has_prefix(end, " msid:") && !m->msid[0])
            copy_str(m->msid, sizeof m->msid, end + 6);
    } else if (strcmp(key, "ssrc-group") == 0) {
        if (g_str_has_prefix(val, "FID ")) {
            unsigned long a, b;
            char extra;
            if (sscanf(val + 4, "%lu %lu%c", &a, &b, &extra) != 2 || a > 0xffffffffUL ||
                b > 0xffffffffUL || a == b)
                return set_err(err, "m-line %d: bad ssrc-group \"%s\"", idx, val);
            int i = add_ssrc(m, (uint32_t)a);
            if (i >= 0 && m->ssrc[i] == a) {
                /* b may have been added as a primary by its a=ssrc line. */
                for (int j = 0; j < m->n_ssrc; j++)
                    if (m->ssrc[j] == b && j != i) {
                        memmove(&m->ssrc[j], &m->ssrc[j + 1],
                                sizeof m->ssrc[0] * (size_t)(m->n_ssrc - j - 1));
                        memmove(&m->rtx_ssrc[j], &m->rtx_ssrc[j + 1],
                                sizeof m->rtx_ssrc[0] * (size_t)(m->n_ssrc - j - 1));
                        m->n_ssrc--;
                        if (j < i)
                            i--;
                        break;
                    }
                m->rtx_ssrc[i] = (uint32_t)b;
            }
        }
    } else if (strcmp(key, "msid") == 0) {
        if (!copy_str(m->msid, sizeof m->msid, val))
            return set_err(err, "m-line %d: msid too long", idx);
    } else if (strcmp(key, "rid") == 0) {
        /* Recorded via a=simulcast; a=rid alone only validates the id. */
        const char *sp = strchr(val, ' ');
        if (!sp || sp == val || (size_t)(sp - val) >= sizeof m->rid[0])
            return set_err(err, "m-line %d: bad rid \"%s\"", idx, val);
    } else if (strcmp(key, "simulcast") == 0) {
        bool send = g_str_has_prefix(val, "send ");
        bool recv = g_str_has_prefix(val, "recv ");
        if (!send && !recv)
            return set_err(err, "m-line %d: bad simulcast \"%s\"", idx, val);
        const char *list = val + 5;
        const char *sp = strchr(list, ' ');
        g_autofree char *own = sp ? g_strndup(list, (gsize)(sp - list)) : g_strdup(list);
        char **alts = g_strsplit(own, ";", 8);
        m->n_rid = 0;
        for (int i = 0; alts[i] && m->n_rid < YJ_SDP_MAX_RIDS; i++) {
            char *id = alts[i];
            char *comma = strchr(id, ',');
            if (comma)
                *comma = 0;
            if (*id == '~')
                id++;
            if (!*id || strlen(id) >= sizeof m->rid[0]) {
                g_strfreev(alts);
                return set_err(err, "m-line %d: bad simulcast rid", idx);
            }
            for (const char *c = id; *c; c++)
                if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_') {
                    g_strfreev(alts);
                    return set_err(err, "m-line %d: bad simulcast rid", idx);
                }
            strcpy(m->rid[m->n_rid++], id);
        }
        g_strfreev(alts);
        m->simulcast = m->n_rid > 0;
        m->rid_send = send;
    }
    return 0;
}

static int parse_media(yj_sdp_t *s, const GstSDPMedia *gm, yj_sdp_media_t *m, int idx, char **err)
{
    const char *kind = gst_sdp_media_get_media(gm);
    const char *proto = gst_sdp_media_get_proto(gm);
    if (!kind || !copy_str(m->kind, sizeof m->kind, kind))
        return set_err(err, "m-line %d: bad media type", idx);
    m->is_audio = strcmp(kind, "audio") == 0;
    m->is_video = strcmp(kind, "video") == 0;
    copy_str(m->proto, sizeof m->proto, proto);
    m->rejected = gst_sdp_media_get_port(gm) == 0;
    m->dir = YJ_DIR_SENDRECV;
    if (m->is_audio || m->is_video) {
        for (guint i = 0; i < gst_sdp_media_formats_len(gm); i++) {
            long pt;
            if (!parse_int(gst_sdp_media_get_format(gm, i), 0, 127, &pt))
                return set_err(err, "m-line %d: bad payload type \"%s\"", idx,
                               gst_sdp_media_get_format(gm, i));
            if (codec_by_pt(m, pt))
                return set_err(err, "m-line %d: payload type %ld listed twice", idx, pt);
            if (m->n_codecs < YJ_SDP_MAX_CODECS)
                m->codecs[m->n_codecs++] = (yj_sdp_codec_t){.pt = (int)pt, .apt = -1};
        }
    }
    for (guint i = 0; i < gst_sdp_media_attributes_len(gm); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(gm, i);
        if (a && a->key && media_attr(s, m, idx, a->key, a->value, err))
            return YJ_EINVAL;
        /* RFC 8843 bundle-only: port 0 but part of the BUNDLE transport. */
        if (a && a->key && strcmp(a->key, "bundle-only") == 0)
            m->rejected = false;
    }
    return 0;
}

yj_sdp_t *yj_sdp_parse(const char *text, char **err)
{
    if (err)
        *err = NULL;
    if (!text || !*text) {
        set_err(err, "empty SDP");
        return NULL;
    }
    size_t len = strlen(text);
    if (len > 256 * 1024) {
        set_err(err, "SDP larger than 256 KiB");
        return NULL;
    }
    if (!g_str_has_prefix(text, "v=0")) {
        set_err(err, "SDP must start with v=0");
        return NULL;
    }
    GstSDPMessage *msg = NULL;
    if (gst_sdp_message_new(&msg) != GST_SDP_OK)
        return NULL;
    yj_sdp_t *s = g_new0(yj_sdp_t, 1);
    if (gst_sdp_message_parse_buffer((const guint8 *)text, (guint)len, msg) != GST_SDP_OK) {
        set_err(err, "unparseable SDP");
        goto fail;
    }
    const GstSDPOrigin *o = gst_sdp_message_get_origin(msg);
    if (o && o->sess_id)
        s->sess_id = g_ascii_strtoull(o->sess_id, NULL, 10);
    if (o && o->sess_version)
        s->sess_version = g_ascii_strtoull(o->sess_version, NULL, 10);
    for (guint i = 0; i < gst_sdp_message_attributes_len(msg); i++) {
        const GstSDPAttribute *a = gst_sdp_message_get_attribute(msg, i);
        const char *v = a->value ? a->value : "";
        if (!a->key)
            continue;
        if (strcmp(a->key, "group") == 0 && g_str_has_prefix(v, "BUNDLE")) {
            char **ids = g_strsplit(v + 6, " ", 0);
            s->n_bundle = 0;
            for (int k = 0; ids[k]; k++) {
                if (!*ids[k])
                    continue;
                if (s->n_bundle >= YJ_SDP_MAX_MEDIA ||
                    !copy_str(s->bundle[s->n_bundle], sizeof s->bundle[0], ids[k])) {
                    g_strfreev(ids);
                    set_err(err, "bad BUNDLE group");
                    goto fail;
                }
                s->n_bundle++;
            }
            g_strfreev(ids);
        } else if (strcmp(a->key, "ice-lite") == 0) {
            s->ice_lite = true;
        } else if (strcmp(a->key, "ice-options") == 0) {
            s->trickle = strstr(v, "trickle") != NULL;
        } else if (strcmp(a->key, "ice-ufrag") == 0) {
            copy_str(s->ufrag, sizeof s->ufrag, v);
        } else if (strcmp(a->key, "ice-pwd") == 0) {
            copy_str(s->pwd, sizeof s->pwd, v);
        } else if (strcmp(a->key, "fingerprint") == 0) {
            copy_str(s->fingerprint, sizeof s->fingerprint, v);
        } else if (strcmp(a->key, "setup") == 0) {
            copy_str(s->setup, sizeof s->setup, v);
        }
    }
    guint nm = gst_sdp_message_medias_len(msg);
    if (nm == 0) {
        set_err(err, "SDP has no m-line");
        goto fail;
    }
    if (nm > YJ_SDP_MAX_MEDIA) {
        set_err(err, "SDP has more than %d m-lines", YJ_SDP_MAX_MEDIA);
        goto fail;
    }
    s->m = g_new0(yj_sdp_media_t, nm);
    s->n_m = (int)nm;
    for (guint i = 0; i < nm; i++)
        if (parse_media(s, gst_sdp_message_get_media(msg, i), &s->m[i], (int)i, err))
            goto fail;
    gst_sdp_message_free(msg);
    msg = NULL;

    /* Structural checks every later stage relies on. */
    for (int i = 0; i < s->n_m; i++) {
        yj_sdp_media_t *m = &s->m[i];
        for (int j = 0; j < i; j++)
            if (m->mid[0] && strcmp(m->mid, s->m[j].mid) == 0) {
                set_err(err, "m-line %d: mid \"%s\" used twice", i, m->mid);
                goto fail;
            }
        for (int c = 0; c < m->n_codecs; c++) {
            yj_sdp_codec_t *k = &m->codecs[c];
            if (k->codec == YJ_CODEC_RTX && (k->apt < 0 || !codec_by_pt(m, k->apt)))
                k->codec = YJ_CODEC_NONE; /* rtx for nothing we know */
        }
        if (m->rejected)
            continue;
        if (!m->mid[0]) {
            set_err(err, "m-line %d: no a=mid", i);
            goto fail;
        }
        bool in_bundle = false;
        for (int b = 0; b < s->n_bundle; b++)
            in_bundle |= strcmp(s->bundle[b], m->mid) == 0;
        if (!in_bundle) {
            set_err(err, "m-line %d (mid %s) is not in the BUNDLE group", i, m->mid);
            goto fail;
        }
        if ((m->is_audio || m->is_video) && !m->rtcp_mux) {
            set_err(err, "m-line %d: rtcp-mux is required", i);
            goto fail;
        }
    }
    if (!yj_sdp_ufrag(s)[0] || !yj_sdp_pwd(s)[0]) {
        set_err(err, "no ice-ufrag/ice-pwd");
        goto fail;
    }
    if (!g_str_has_prefix(yj_sdp_fingerprint(s), "sha-256 ")) {
        set_err(err, "no sha-256 fingerprint");
        goto fail;
    }
    return s;
fail:
    if (msg)
        gst_sdp_message_free(msg);
    yj_sdp_free(s);
    return NULL;
}

/* The m-line carrying the BUNDLE transport: the first non-rejected one. */
static const yj_sdp_media_t *transport_m(const yj_sdp_t *s)
{
    for (int i = 0; i < s->n_m; i++)
        if (!s->m[i].rejected)
            return &s->m[i];
    return NULL;
}

#define TRANSPORT_GETTER(fn, field)                                                                \
    const char *fn(const yj_sdp_t *s)                                                              \
    {                                                                                              \
        const yj_sdp_media_t *m = transport_m(s);                                                  \
        if (m && m->field[0])                                                                      \
            return m->field;                                                                       \
        return s->field;                                                                           \
    }
TRANSPORT_GETTER(yj_sdp_ufrag, ufrag)
TRANSPORT_GETTER(yj_sdp_pwd, pwd)
TRANSPORT_GETTER(yj_sdp_fingerprint, fingerprint)
TRANSPORT_GETTER(yj_sdp_setup, setup)

/* ------------------------------------------------------------------ */
/* writing                                                             */
/* ------------------------------------------------------------------ */

static void add_attr(GstSDPMedia *gm, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_attr(GstSDPMedia *gm, const char *key, const char *fmt, ...)
{
    if (!fmt) {
        gst_sdp_media_add_attribute(gm, key, NULL);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *v = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    gst_sdp_media_add_attribute(gm, key, v);
    g_free(v);
}

static const char *fb_names[] = {"nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"};

char *yj_sdp_write(const yj_sdp_t *s)
{
    if (!s || s->n_m <= 0 || s->n_m > YJ_SDP_MAX_MEDIA)
        return NULL;
    GstSDPMessage *msg;
    gst_sdp_message_new(&msg);
    gst_sdp_message_set_version(msg, "0");
    char id[24], ver[24];
    g_snprintf(id, sizeof id, "%" G_GUINT64_FORMAT, s->sess_id);
    g_snprintf(ver, sizeof ver, "%" G_GUINT64_FORMAT, s->sess_version);
    gst_sdp_message_set_origin(msg, "-", id, ver, "IN", "IP4", "127.0.0.1");
    gst_sdp_message_set_session_name(msg, "yuanjiao");
    gst_sdp_message_add_time(msg, "0", "0", NULL);
    if (s->n_bundle > 0) {
        GString *g = g_string_new("BUNDLE");
        for (int i = 0; i < s->n_bundle; i++)
            g_string_append_printf(g, " %s", s->bundle[i]);
        gst_sdp_message_add_attribute(msg, "group", g->str);
        g_string_free(g, TRUE);
    }
    if (s->ice_lite)
        gst_sdp_message_add_attribute(msg, "ice-lite", NULL);
    if (s->trickle)
        gst_sdp_message_add_attribute(msg, "ice-options", "trickle");
    gst_sdp_message_add_attribute(msg, "msid-semantic", " WMS *");
    const yj_sdp_media_t *tm = transport_m(s);
    for (int i = 0; i < s->n_m; i++) {
        const yj_sdp_media_t *m = &s->m[i];
        GstSDPMedia gm;
        memset(&gm, 0, sizeof gm); /* _init frees what it finds */
        gst_sdp_media_init(&gm);
        gst_sdp_media_set_media(&gm, m->kind[0] ? m->kind : "audio");
        gst_sdp_media_set_port_info(&gm, m->rejected ? 0 : 9, 0);
        gst_sdp_media_set_proto(&gm, m->proto[0] ? m->proto : "UDP/TLS/RTP/SAVPF");
        for (int c = 0; c < m->n_codecs; c++) {
            char pt[8];
            g_snprintf(pt, sizeof pt, "%d", m->codecs[c].pt);
            gst_sdp_media_add_format(&gm, pt);
        }
        if (m->n_codecs == 0)
            gst_sdp_media_add_format(&gm, m->is_audio || m->is_video ? "0" : "webrtc-datachannel");
        gst_sdp_media_add_connection(&gm, "IN", "IP4", "0.0.0.0", 0, 0);
        if (m->mid[0])
            add_attr(&gm, "mid", "%s", m->mid);
        if (!m->rejected) {
            add_attr(&gm, "ice-ufrag", "%s", s->ufrag);
            add_attr(&gm, "ice-pwd", "%s", s->pwd);
            add_attr(&gm, "fingerprint", "%s", s->fingerprint);
            add_attr(&gm, "setup", "%s", s->setup);
            if (m == tm) {
                for (int c = 0; c < s->n_cands; c++)
                    add_attr(&gm, "candidate", "%s",
                             g_str_has_prefix(s->cands[c], "candidate:") ? s->cands[c] + 10
                                                                         : s->cands[c]);
                if (s->end_of_candidates)
                    add_attr(&gm, "end-of-candidates", NULL);
            }
            add_attr(&gm, yj_sdp_dir_name(m->dir), NULL);
            if (m->rtcp_mux)
                add_attr(&gm, "rtcp-mux", NULL);
            if (m->rtcp_rsize)
                add_attr(&gm, "rtcp-rsize", NULL);
            for (int e = 0; e < m->n_ext; e++)
                add_attr(&gm, "extmap", "%d %s", m->ext[e].id, yj_sdp_ext_uri(m->ext[e].ext));
            for (int c = 0; c < m->n_codecs; c++) {
                const yj_sdp_codec_t *k = &m->codecs[c];
                if (k->channels > 1)
                    add_attr(&gm, "rtpmap", "%d %s/%d/%d", k->pt, k->name, k->clock, k->channels);
                else
                    add_attr(&gm, "rtpmap", "%d %s/%d", k->pt, k->name, k->clock);
                if (k->fmtp[0])
                    add_attr(&gm, "fmtp", "%d %s", k->pt, k->fmtp);
                for (unsigned b = 0; b < G_N_ELEMENTS(fb_names); b++)
                    if (k->fb & (1u << b))
                        add_attr(&gm, "rtcp-fb", "%d %s", k->pt, fb_names[b]);
            }
            if (m->n_rid > 0 && m->simulcast) {
                GString *g = g_string_new(m->rid_send ? "send " : "recv ");
                for (int r = 0; r < m->n_rid; r++) {
                    add_attr(&gm, "rid", "%s %s", m->rid[r], m->rid_send ? "send" : "recv");
                    g_string_append_printf(g, "%s%s", r ? ";" : "", m->rid[r]);
                }
                gst_sdp_media_add_attribute(&gm, "simulcast", g->str);
                g_string_free(g, TRUE);
            }
            if (m->msid[0] && (m->dir & YJ_DIR_SEND))
                add_attr(&gm, "msid", "%s", m->msid);
            if (m->dir & YJ_DIR_SEND) {
                for (int k = 0; k < m->n_ssrc; k++)
                    if (m->rtx_ssrc[k])
                        add_attr(&gm, "ssrc-group", "FID %u %u", m->ssrc[k], m->rtx_ssrc[k]);
                for (int k = 0; k < m->n_ssrc; k++) {
                    const uint32_t both[2] = {m->ssrc[k], m->rtx_ssrc[k]};
                    for (int j = 0; j < 2; j++) {
                        if (!both[j])
                            continue;
                        add_attr(&gm, "ssrc", "%u cname:%s", both[j],
                                 m->cname[0] ? m->cname : "yj");
                        if (m->msid[0])
                            add_attr(&gm, "ssrc", "%u msid:%s", both[j], m->msid);
                    }
                }
            }
        }
        gst_sdp_message_add_media(msg, &gm);
    }
    char *text = gst_sdp_message_as_text(msg);
    gst_sdp_message_free(msg);
    return text;
}

/* ------------------------------------------------------------------ */
/* negotiation                                                         */
/* ------------------------------------------------------------------ */

static bool fmtp_has(const char *fmtp, const char *kv)
{
    char **parts = g_strsplit(fmtp, ";", 32);
    bool found = false;
    for (int i = 0; parts[i] && !found; i++)
        found = g_ascii_strcasecmp(g_strstrip(parts[i]), kv) == 0;
    g_strfreev(parts);
    return found;
}

/* Rank of an H.264 entry: 2 = exact 42e01f pm=1, 1 = constrained baseline
 * pm=1 at another level, 0 = not acceptable. */
static int h264_rank(const yj_sdp_codec_t *c)
{
    if (!fmtp_has(c->fmtp, "packetization-mode=1"))
        return 0;
    const char *p = strstr(c->fmtp, "profile-level-id=");
    if (!p)
        return 0;
    p += 17;
    if (g_ascii_strncasecmp(p, "42e01f", 6) == 0)
        return 2;
    if (g_ascii_strncasecmp(p, "42e0", 4) == 0 || g_ascii_strncasecmp(p, "42c0", 4) == 0)
        return 1;
    return 0;
}

static const yj_sdp_codec_t *best(const yj_sdp_media_t *m, yj_codec_t kind)
{
    const yj_sdp_codec_t *pick = NULL;
    int rank = 0;
    for (int i = 0; i < m->n_codecs; i++) {
        const yj_sdp_codec_t *c = &m->codecs[i];
        if (c->codec != kind)
            continue;
        int r = 1;
        if (kind == YJ_CODEC_OPUS && (c->clock != 48000 || c->channels != 2))
            r = 0;
        if (kind == YJ_CODEC_VP8 && c->clock != 90000)
            r = 0;
        if (kind == YJ_CODEC_H264)
            r = c->clock == 90000 ? h264_rank(c) : 0;
        if (r > rank) {
            rank = r;
            pick = c;
        }
    }
    return pick;
}

static void keep(const yj_sdp_media_t *offered, yj_sdp_media_t *out, const yj_sdp_codec_t *c,
                 unsigned fb_mask)
{
    if (!c || out->n_codecs >= YJ_SDP_MAX_CODECS - 1)
        return;
    yj_sdp_codec_t k = *c;
    k.fb &= fb_mask;
    out->codecs[out->n_codecs++] = k;
    int rtx = yj_sdp_rtx_for(offered, c->pt);
    if (rtx >= 0) {
        for (int i = 0; i < offered->n_codecs; i++)
            if (offered->codecs[i].pt == rtx) {
                yj_sdp_codec_t r = offered->codecs[i];
                r.fb = 0;
                out->codecs[out->n_codecs++] = r;
            }
    }
}

int yj_sdp_negotiate_codecs(const yj_sdp_media_t *offered, yj_sdp_media_t *out, bool prefer_h264)
{
    out->n_codecs = 0;
    out->n_ext = 0;
    int kept = 0;
    const unsigned video_fb = YJ_FB_NACK | YJ_FB_PLI | YJ_FB_FIR | YJ_FB_REMB;
    if (offered->is_audio) {
        const yj_sdp_codec_t *c = best(offered, YJ_CODEC_OPUS);
        keep(offered, out, c, YJ_FB_NACK);
        kept += c != NULL;
    } else if (offered->is_video) {
        const yj_sdp_codec_t *vp8 = best(offered, YJ_CODEC_VP8);
        const yj_sdp_codec_t *h264 = best(offered, YJ_CODEC_H264);
        keep(offered, out, prefer_h264 ? h264 : vp8, video_fb);
        keep(offered, out, prefer_h264 ? vp8 : h264, video_fb);
        kept += (vp8 != NULL) + (h264 != NULL);
    }
    for (int i = 0; i < offered->n_ext && out->n_ext < YJ_SDP_MAX_EXT; i++) {
        yj_ext_t e = offered->ext[i].ext;
        if (offered->ext[i].id > 14)
            continue; /* we write one-byte headers only */
        if (e == YJ_EXT_AUDIO_LEVEL && !offered->is_audio)
            continue;
        if ((e == YJ_EXT_RID || e == YJ_EXT_RRID) && !offered->is_video)
            continue;
        out->ext[out->n_ext++] = offered->ext[i];
    }
    return kept;
}

const yj_sdp_codec_t *yj_sdp_find_codec(const yj_sdp_media_t *m, yj_codec_t c)
{
    for (int i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].codec == c)
            return &m->codecs[i];
    return NULL;
}

int yj_sdp_rtx_for(const yj_sdp_media_t *m, int pt)
{
    for (int i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].codec == YJ_CODEC_RTX && m->codecs[i].apt == pt)
            return m->codecs[i].pt;
    return -1;
}

int yj_sdp_ext_id(const yj_sdp_media_t *m, yj_ext_t e)
{
    for (int i = 0; i < m->n_ext; i++)
        if (m->ext[i].ext == e)
            return m->ext[i].id;
    return 0;
}

int yj_sdp_parse_frag(const char *frag, char ufrag[64], char pwd[160], char (*cands)[256], int max,
                      bool *end, char **err)
{
    if (err)
        *err = NULL;
    ufrag[0] = pwd[0] = 0;
    *end = false;
    if (!frag)
        return set_err(err, "empty fragment");
    if (strlen(frag) > 64 * 1024)
        return set_err(err, "fragment larger than 64 KiB");
    int n = 0;
    char **lines = g_strsplit(frag, "\n", 0);
    int rc = 0;
    for (int i = 0; lines[i]; i++) {
        char *l = g_strchomp(lines[i]);
        if (!*l || g_str_has_prefix(l, "m=") || g_str_has_prefix(l, "a=mid:") ||
            g_str_has_prefix(l, "a=group:") || g_str_has_prefix(l, "a=ice-options:"))
            continue;
        if (g_str_has_prefix(l, "a=ice-ufrag:")) {
            if (!copy_str(ufrag, 64, l + 12)) {
                rc = set_err(err, "ice-ufrag too long");
                break;
            }
        } else if (g_str_has_prefix(l, "a=ice-pwd:")) {
            if (!copy_str(pwd, 160, l + 10)) {
                rc = set_err(err, "ice-pwd too long");
                break;
            }
        } else if (g_str_has_prefix(l, "a=candidate:")) {
            if (strlen(l + 2) >= 256) {
                rc = set_err(err, "candidate line too long");
                break;
            }
            if (n < max)
                strcpy(cands[n++], l + 2);
        } else if (strcmp(l, "a=end-of-candidates") == 0) {
            *end = true;
        } else if (l[0] != 'a' || l[1] != '=') {
            rc = set_err(err, "unexpected line \"%.40s\" in the fragment", l);
            break;
        }
    }
    g_strfreev(lines);
    return rc ? rc : n;
}
