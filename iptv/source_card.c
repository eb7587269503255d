/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source_card.c — the roll-call card (集中收看签到) put over a programme's
 * source for a few tens of seconds: a source wrapping another one.
 *
 * The card is a slate clip (source_slate.c) on its own colour with the
 * code in large digits. In the inner source's own timeline the card
 * starts at `at` on its keyframe and loops for at least `duration`; the
 * inner source keeps running underneath, unseen (its access units are
 * read and dropped), so the programme keeps its place in the schedule and
 * a restart resumes it at the same point. After the duration the inner
 * source comes back on its first video keyframe whose DTS is past the
 * card's last frame; the card keeps looping until that keyframe is due.
 * From there on the wrapper passes the inner source through, dropping
 * only the few audio frames that would not follow the card's audio
 * strictly, so DTS rises strictly on both streams across both changes.
 * It never blocks: a live inner source with nothing yet (2) makes the card
 * loop on. It must never hand out an access unit whose DTS does not rise.
 */
#include "core/yj.h"
#include "iptv/source.h"

#include <glib.h>
#include <string.h>

/* inner access units read per call while looking for the keyframe */
#define SCAN_MAX 6000

typedef enum { CARD, SCAN, PASS } state_t;

typedef struct {
    yj_iptv_src_t *inner, *card;
    state_t state;
    int64_t at, until;  /* card from at; inner may come back after until */
    int64_t last[2];    /* DTS handed out last, per stream */
    yj_iptv_au_t stash; /* the inner keyframe to come back on (SCAN) */
    uint8_t *stash_buf;
    bool stashed;
} card_t;

static bool rises(const card_t *c, const yj_iptv_au_t *au)
{
    return c->last[au->st] == INT64_MIN || au->dts > c->last[au->st];
}

/* The next card access unit, on the inner timeline. */
static int card_next(card_t *c, yj_iptv_au_t *au)
{
    int rc = yj_iptv_src_read(c->card, au);
    if (rc != 1)
        return rc;
    au->pts += c->at;
    au->dts += c->at;
    return 1;
}

static int card_read(void *impl, yj_iptv_au_t *au)
{
    card_t *c = impl;
    if (c->state == PASS) {
        for (int guard = 0; guard < SCAN_MAX; guard++) {
            int rc = yj_iptv_src_read(c->inner, au);
            if (rc != 1)
                return rc;
            if (rises(c, au)) {
                c->last[au->st] = au->dts;
                return 1;
            }
        }
        return 2;
    }
    if (c->state == CARD) {
        int rc = card_next(c, au);
        if (rc != 1)
            return rc;
        if (au->dts < c->until || !au->key || au->st != YJ_TS_VIDEO) {
            c->last[au->st] = au->dts;
            return 1;
        }
        /* the card has run its time: look for the inner keyframe, and
         * show this card frame meanwhile */
        c->state = SCAN;
        c->last[au->st] = au->dts;
        return 1;
    }
    /* SCAN: find the inner keyframe after the card's last video frame */
    for (int guard = 0; !c->stashed && guard < SCAN_MAX; guard++) {
        yj_iptv_au_t in;
        int rc = yj_iptv_src_read(c->inner, &in);
        if (rc == 2)
            break; /* live, nothing yet: the card loops on */
        if (rc != 1)
            return rc; /* the programme's media ended or broke */
        if (in.st != YJ_TS_VIDEO || !in.key || in.dts <= c->last[YJ_TS_VIDEO])
            continue;
        c->stash = in;
        c->stash_buf = g_memdup2(in.data, in.len);
        c->stash.data = c->stash_buf;
        c->stashed = true;
    }
    int rc = card_next(c, au);
    if (rc != 1)
        return rc;
    if (!c->stashed || au->dts < c->stash.dts) {
        if (!rises(c, au))
            return 2;
        c->last[au->st] = au->dts;
        return 1;
    }
    /* the keyframe is due: the programme comes back */
    *au = c->stash;
    c->last[YJ_TS_VIDEO] = au->dts;
    c->state = PASS;
    return 1;
}

static void card_free(void *impl)
{
    card_t *c = impl;
    yj_iptv_src_free(c->inner);
    yj_iptv_src_free(c->card);
    g_free(c->stash_buf);
    g_free(c);
}

static const yj_iptv_src_ops_t card_ops = {.read = card_read, .free = card_free};

yj_iptv_src_t *yj_iptv_src_card_open(yj_iptv_src_t *inner, yj_iptv_slate_t *card, int64_t at,
                                     int64_t duration)
{
    if (!card)
        return inner;
    card_t *c = g_new0(card_t, 1);
    c->inner = inner;
    c->card = yj_iptv_src_slate_open(card);
    c->at = at;
    c->until = at + (duration > 0 ? duration : 0);
    c->last[0] = c->last[1] = INT64_MIN;
    return yj_iptv_src_wrap(&card_ops, c);
}
