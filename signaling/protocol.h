/* SPDX-License-Identifier: Apache-2.0 */
/*
 * protocol.h — the meeting signaling protocol's client messages: parsing
 * and validation of one JSON text into a typed message, with an error that
 * names the problem. Pure: no I/O, no rooms, no store, so it can be fuzzed
 * on its own (tests/fuzz/fuzz_signaling.c). The protocol itself is
 * documented in docs/signaling-protocol.md.
 */
#ifndef YJ_PROTOCOL_H
#define YJ_PROTOCOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YJ_SDP_MAX 65536
#define YJ_CANDIDATE_MAX 1024

typedef enum {
    YJ_MSG_JOIN,
    YJ_MSG_OFFER,
    YJ_MSG_ANSWER,
    YJ_MSG_CANDIDATE,
    YJ_MSG_MUTE,
    YJ_MSG_HAND,
    YJ_MSG_HOST,
    YJ_MSG_AUDIO_ONLY,
    YJ_MSG_VIEW,
    YJ_MSG_LEAVE,
    YJ_MSG_PING,
} yj_protocol_msg_type_t;

typedef enum {
    YJ_HOST_MUTE,
    YJ_HOST_REMOVE,
    YJ_HOST_LOWER_HAND,
    YJ_HOST_END,
    YJ_HOST_RECORD_START, /* recordings: start recording the meeting */
    YJ_HOST_RECORD_STOP,
} yj_host_action_t;

/* A parsed client message. Strings point into the parsed JSON, which the
 * message owns until yj_protocol_msg_clear. */
typedef struct {
    yj_protocol_msg_type_t type;
    const char *id; /* optional request id, echoed in the reply/error */
    /* join */
    int64_t meeting;
    const char *token;    /* optional: else the session cookie */
    const char *device;   /* optional free text, ≤ 64 bytes */
    const char *replaces; /* optional: a pid of the same person to replace */
    bool audio_only;      /* join, audio_only */
    /* offer, answer */
    const char *sdp;
    /* candidate: NULL/"" = end of candidates */
    const char *candidate, *mid;
    /* mute: -1 = not given, else 0/1 */
    int audio, video, screen;
    /* hand */
    bool raised;
    /* view: the height (px) shown for target's video (NULL: everyone) */
    int height;
    /* host */
    yj_host_action_t action;
    const char *target; /* pid (host: mute, remove, lower_hand; view) */
    int kind;           /* mute: 0 audio, 1 video */
    json_t *root;
} yj_protocol_msg_t;

typedef struct {
    const char *code;  /* "bad_json", "bad_message", "unknown_type", "bad_sdp" … */
    const char *field; /* the offending field, or NULL */
    char message[256]; /* English, names the problem */
} yj_protocol_msg_error_t;

/* Parses and validates text[0..len). Returns 0 with *m filled (free with
 * yj_protocol_msg_clear), or YJ_EINVAL with *err filled and *m cleared. */
int yj_protocol_msg_parse(const char *text, size_t len, yj_protocol_msg_t *m,
                          yj_protocol_msg_error_t *err);
void yj_protocol_msg_clear(yj_protocol_msg_t *m);

/* {"type":"error","code":…,"message":…[,"field":…][,"id":…]} as compact
 * JSON text (g_free). */
char *yj_protocol_msg_error_text(const char *code, const char *field, const char *id,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A participant id: "p" followed by 1–20 digits. */
bool yj_protocol_pid_valid(const char *pid);

#endif
