/* SPDX-License-Identifier: Apache-2.0 */
/*
 * protocol.c — parsing and validation of the signaling protocol's client
 * messages; see protocol.h and docs/signaling-protocol.md.
 *
 * Every field is checked for type and size here, so the room logic only
 * ever sees well-formed messages. SDP is only checked for shape (GstSDP
 * parses it, it has a version line and at least one m-line); whether its
 * content is acceptable is the media plane's call, whose error text is
 * passed back to the client as "bad_sdp".
 */
#include "protocol.h"
#include "core/yj.h"

#include <glib.h>
#include <gst/sdp/sdp.h>
#include <stdarg.h>
#include <string.h>

static int fail(yj_protocol_msg_t *m, yj_protocol_msg_error_t *err, const char *code,
                const char *field, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(yj_protocol_msg_t *m, yj_protocol_msg_error_t *err, const char *code,
                const char *field, const char *fmt, ...)
{
    err->code = code;
    err->field = field;
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    yj_protocol_msg_clear(m);
    return YJ_EINVAL;
}

void yj_protocol_msg_clear(yj_protocol_msg_t *m)
{
    if (!m)
        return;
    json_decref(m->root);
    memset(m, 0, sizeof *m);
}

bool yj_protocol_pid_valid(const char *pid)
{
    if (!pid || pid[0] != 'p')
        return false;
    size_t n = strlen(pid + 1);
    if (n < 1 || n > 20)
        return false;
    for (size_t i = 1; pid[i]; i++)
        if (!g_ascii_isdigit(pid[i]))
            return false;
    return true;
}

/* Optional string field of at most max bytes; "present but wrong" fails. */
static int opt_string(json_t *o, const char *key, size_t max, const char **out,
                      yj_protocol_msg_t *m, yj_protocol_msg_error_t *err)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fail(m, err, "bad_message", key, "%s must be a string", key);
    if (json_string_length(v) > max)
        return fail(m, err, "bad_message", key, "%s is longer than %zu bytes", key, max);
    if (memchr(json_string_value(v), 0, json_string_length(v)))
        return fail(m, err, "bad_message", key, "%s contains a NUL character", key);
    *out = json_string_value(v);
    return 0;
}

static int req_string(json_t *o, const char *key, size_t max, const char **out,
                      yj_protocol_msg_t *m, yj_protocol_msg_error_t *err)
{
    int rc = opt_string(o, key, max, out, m, err);
    if (rc)
        return rc;
    if (!*out || !**out)
        return fail(m, err, "bad_message", key, "%s is required", key);
    return 0;
}

static int opt_bool(json_t *o, const char *key, int *out, yj_protocol_msg_t *m,
                    yj_protocol_msg_error_t *err)
{
    json_t *v = json_object_get(o, key);
    *out = -1;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return fail(m, err, "bad_message", key, "%s must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

static int check_sdp(const char *sdp, yj_protocol_msg_t *m, yj_protocol_msg_error_t *err)
{
    if (strncmp(sdp, "v=0\r\n", 5) != 0 && strncmp(sdp, "v=0\n", 4) != 0)
        return fail(m, err, "bad_sdp", "sdp", "SDP must start with the line v=0");
    GstSDPMessage *msg = NULL;
    if (gst_sdp_message_new(&msg) != GST_SDP_OK)
        return fail(m, err, "internal", NULL, "out of memory");
    GstSDPResult r = gst_sdp_message_parse_buffer((const guint8 *)sdp, (guint)strlen(sdp), msg);
    guint media = r == GST_SDP_OK ? gst_sdp_message_medias_len(msg) : 0;
    const gchar *origin_user = r == GST_SDP_OK ? gst_sdp_message_get_origin(msg)->username : NULL;
    gst_sdp_message_free(msg);
    if (r != GST_SDP_OK)
        return fail(m, err, "bad_sdp", "sdp", "SDP could not be parsed");
    if (!origin_user)
        return fail(m, err, "bad_sdp", "sdp", "SDP has no o= line");
    if (media == 0)
        return fail(m, err, "bad_sdp", "sdp", "SDP has no m= line");
    return 0;
}

int yj_protocol_msg_parse(const char *text, size_t len, yj_protocol_msg_t *m,
                          yj_protocol_msg_error_t *err)
{
    memset(m, 0, sizeof *m);
    memset(err, 0, sizeof *err);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return fail(m, err, "bad_json", NULL, "malformed JSON at line %d, column %d: %s", je.line,
                    je.column, je.text);
    m->root = root;
    if (!json_is_object(root))
        return fail(m, err, "bad_json", NULL, "a message must be a JSON object");
    /* The request id first, so that later errors can echo it. */
    json_t *idv = json_object_get(root, "id");
    if (idv && json_is_string(idv) && json_string_length(idv) <= 64 &&
        !memchr(json_string_value(idv), 0, json_string_length(idv)))
        m->id = json_string_value(idv);
    else if (idv && !json_is_null(idv))
        return fail(m, err, "bad_message", "id", "id must be a string of at most 64 bytes");

    const char *type = NULL;
    if (req_string(root, "type", 32, &type, m, err))
        return YJ_EINVAL;
    int rc = 0;
    if (strcmp(type, "join") == 0) {
        m->type = YJ_MSG_JOIN;
        json_t *mv = json_object_get(root, "meeting");
        if (json_is_string(mv)) {
            char *end = NULL;
            const char *s = json_string_value(mv);
            gint64 v = g_ascii_strtoll(s, &end, 10);
            if (!*s || *end || v <= 0)
                return fail(m, err, "bad_message", "meeting", "meeting must be a meeting id");
            m->meeting = v;
        } else if (json_is_integer(mv) && json_integer_value(mv) > 0) {
            m->meeting = json_integer_value(mv);
        } else {
            return fail(m, err, "bad_message", "meeting",
                        "meeting is required: the meeting's id number");
        }
        int ao;
        if ((rc = opt_string(root, "token", 128, &m->token, m, err)) ||
            (rc = opt_string(root, "device", 64, &m->device, m, err)) ||
            (rc = opt_string(root, "replaces", 24, &m->replaces, m, err)) ||
            (rc = opt_bool(root, "audio_only", &ao, m, err)))
            return rc;
        m->audio_only = ao == 1;
        if (m->replaces && !yj_protocol_pid_valid(m->replaces))
            return fail(m, err, "bad_message", "replaces", "replaces must be a participant id");
        if (m->device && !g_utf8_validate(m->device, -1, NULL))
            return fail(m, err, "bad_message", "device", "device is not UTF-8");
    } else if (strcmp(type, "offer") == 0 || strcmp(type, "answer") == 0) {
        m->type = type[0] == 'o' ? YJ_MSG_OFFER : YJ_MSG_ANSWER;
        if ((rc = req_string(root, "sdp", YJ_SDP_MAX, &m->sdp, m, err)))
            return rc;
        if ((rc = check_sdp(m->sdp, m, err)))
            return rc;
    } else if (strcmp(type, "candidate") == 0) {
        m->type = YJ_MSG_CANDIDATE;
        if ((rc = opt_string(root, "candidate", YJ_CANDIDATE_MAX, &m->candidate, m, err)) ||
            (rc = opt_string(root, "mid", 64, &m->mid, m, err)))
            return rc;
        const char *c = m->candidate;
        if (c && *c && !g_str_has_prefix(c, "candidate:") && !g_str_has_prefix(c, "a=candidate:"))
            return fail(m, err, "bad_message", "candidate",
                        "candidate must start with \"candidate:\" (or be empty for the end)");
        if (c && (strchr(c, '\r') || strchr(c, '\n')))
            return fail(m, err, "bad_message", "candidate", "candidate must be one line");
    } else if (strcmp(type, "mute") == 0) {
        m->type = YJ_MSG_MUTE;
        if ((rc = opt_bool(root, "audio", &m->audio, m, err)) ||
            (rc = opt_bool(root, "video", &m->video, m, err)) ||
            (rc = opt_bool(root, "screen", &m->screen, m, err)))
            return rc;
        if (m->audio < 0 && m->video < 0 && m->screen < 0)
            return fail(m, err, "bad_message", "audio",
                        "give at least one of audio, video, screen (true or false)");
    } else if (strcmp(type, "hand") == 0) {
        m->type = YJ_MSG_HAND;
        int r;
        if ((rc = opt_bool(root, "raised", &r, m, err)))
            return rc;
        if (r < 0)
            return fail(m, err, "bad_message", "raised", "raised (true or false) is required");
        m->raised = r;
    } else if (strcmp(type, "audio_only") == 0) {
        m->type = YJ_MSG_AUDIO_ONLY;
        int r;
        if ((rc = opt_bool(root, "enabled", &r, m, err)))
            return rc;
        if (r < 0)
            return fail(m, err, "bad_message", "enabled", "enabled (true or false) is required");
        m->audio_only = r;
    } else if (strcmp(type, "view") == 0) {
        m->type = YJ_MSG_VIEW;
        json_t *h = json_object_get(root, "height");
        if (!json_is_integer(h) || json_integer_value(h) < 0 || json_integer_value(h) > 4320)
            return fail(m, err, "bad_message", "height",
                        "height must be a whole number of pixels from 0 (no limit) to 4320");
        m->height = (int)json_integer_value(h);
        if ((rc = opt_string(root, "pid", 24, &m->target, m, err)))
            return rc;
        if (m->target && !yj_protocol_pid_valid(m->target))
            return fail(m, err, "bad_message", "pid", "pid must be a participant id");
    } else if (strcmp(type, "host") == 0) {
        m->type = YJ_MSG_HOST;
        const char *action = NULL;
        if ((rc = req_string(root, "action", 16, &action, m, err)))
            return rc;
        if (strcmp(action, "mute") == 0)
            m->action = YJ_HOST_MUTE;
        else if (strcmp(action, "remove") == 0)
            m->action = YJ_HOST_REMOVE;
        else if (strcmp(action, "lower_hand") == 0)
            m->action = YJ_HOST_LOWER_HAND;
        else if (strcmp(action, "end") == 0)
            m->action = YJ_HOST_END;
        else if (strcmp(action, "record_start") == 0)
            m->action = YJ_HOST_RECORD_START;
        else if (strcmp(action, "record_stop") == 0)
            m->action = YJ_HOST_RECORD_STOP;
        else
            return fail(m, err, "bad_message", "action",
                        "action must be mute, remove, lower_hand, end, record_start or "
                        "record_stop");
        if (m->action != YJ_HOST_END && m->action != YJ_HOST_RECORD_START &&
            m->action != YJ_HOST_RECORD_STOP) {
            if ((rc = req_string(root, "pid", 24, &m->target, m, err)))
                return rc;
            if (!yj_protocol_pid_valid(m->target))
                return fail(m, err, "bad_message", "pid", "pid must be a participant id");
        }
        m->kind = 0;
        if (m->action == YJ_HOST_MUTE) {
            const char *kind = NULL;
            if ((rc = opt_string(root, "kind", 8, &kind, m, err)))
                return rc;
            if (kind && strcmp(kind, "audio") != 0 && strcmp(kind, "video") != 0)
                return fail(m, err, "bad_message", "kind", "kind must be audio or video");
            m->kind = kind && strcmp(kind, "video") == 0;
        }
    } else if (strcmp(type, "leave") == 0) {
        m->type = YJ_MSG_LEAVE;
    } else if (strcmp(type, "ping") == 0) {
        m->type = YJ_MSG_PING;
    } else {
        return fail(m, err, "unknown_type", "type",
                    "unknown message type \"%.32s\" (join, offer, answer, candidate, mute, hand, "
                    "audio_only, view, host, leave, ping)",
                    type);
    }
    return 0;
}

char *yj_protocol_msg_error_text(const char *code, const char *field, const char *id,
                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *raw = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* A message may quote (truncated) client text: keep it valid UTF-8. */
    char *msg = g_utf8_make_valid(raw, -1);
    g_free(raw);
    json_t *j = json_pack("{s:s,s:s,s:s}", "type", "error", "code", code, "message", msg);
    g_free(msg);
    if (!j)
        return g_strdup("{\"type\":\"error\",\"code\":\"internal\",\"message\":\"?\"}");
    if (field)
        json_object_set_new(j, "field", json_string(field));
    if (id)
        json_object_set_new(j, "id", json_string(id));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    char *out = g_strdup(s);
    free(s);
    return out;
}
