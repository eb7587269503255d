/* SPDX-License-Identifier: Apache-2.0 */
/* test_media_room.c — decisions the SFU makes without the network: the
 * active-speaker election (threshold, 1.5 s hold, a margin so two similar
 * voices do not flap, silence) and the simulcast layer choice (height
 * limit, congestion steps down and holds, a clean link steps up). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/sfu_room.h"
#include "core/yj.h"

#include <string.h>

static char last_speaker[64];
static int speaker_events;

static void on_speaker(yj_media_room_t *room, const char *peer_id, void *ud)
{
    (void)room;
    (void)ud;
    g_strlcpy(last_speaker, peer_id ? peer_id : "", sizeof last_speaker);
    speaker_events++;
}

static yj_track_t *audio_track(yj_media_room_t *room, yj_media_peer_t *pub, const char *id)
{
    yj_track_t *t = yj_m_track_new(pub, id, YJ_MEDIA_AUDIO);
    g_ptr_array_add(room->tracks, t); /* the room's reference */
    return t;
}

static void speak(yj_track_t *t, double level, double avg, int64_t now)
{
    t->level = level;
    t->level_avg = avg;
    t->level_us = now;
}

static void speaker_election(void **state)
{
    (void)state;
    yj_media_config_t cfg = {.workers = 1};
    char *err = NULL;
    yj_media_t *m = yj_media_new(&cfg, &err);
    assert_non_null(m);
    yj_media_room_t *room = yj_media_room_get(m, "r1");
    yj_media_room_callbacks_t cb = {.on_active_speaker = on_speaker};
    int w = yj_media_room_watch(room, &cb, NULL);
    assert_true(w > 0);
    yj_media_peer_t a = {0}, b = {0};
    strcpy(a.id, "alice");
    strcpy(b.id, "bob");
    yj_track_t *ta = audio_track(room, &a, "alice-a0");
    yj_track_t *tb = audio_track(room, &b, "bob-a0");
    int64_t now = 10000000;
    /* alice speaks: elected only after holding 1.5 s */
    for (int i = 0; i < 4; i++, now += 400000) {
        speak(ta, 90, 90, now);
        speak(tb, 0, 0, now);
        yj_m_sfu_room_eval_speaker(room, now);
    }
    assert_int_equal(speaker_events, 0);
    for (int i = 0; i < 2; i++, now += 400000) {
        speak(ta, 90, 90, now);
        yj_m_sfu_room_eval_speaker(room, now);
    }
    assert_int_equal(speaker_events, 1);
    assert_string_equal(last_speaker, "alice");
    char buf[64];
    yj_media_room_active_speaker(room, buf, sizeof buf);
    assert_string_equal(buf, "alice");
    /* bob about as loud: alice keeps the floor */
    for (int i = 0; i < 10; i++, now += 400000) {
        speak(ta, 90, 88, now);
        speak(tb, 95, 92, now);
        yj_m_sfu_room_eval_speaker(room, now);
    }
    assert_int_equal(speaker_events, 1);
    /* bob clearly louder and alice quiet: bob after the hold */
    for (int i = 0; i < 6; i++, now += 400000) {
        speak(ta, 20, 20, now);
        speak(tb, 100, 100, now);
        yj_m_sfu_room_eval_speaker(room, now);
    }
    assert_int_equal(speaker_events, 2);
    assert_string_equal(last_speaker, "bob");
    /* a muted speaker does not count; silence → no speaker */
    tb->muted = true;
    for (int i = 0; i < 6; i++, now += 400000) {
        speak(ta, 10, 10, now);
        yj_m_sfu_room_eval_speaker(room, now);
    }
    assert_int_equal(speaker_events, 3);
    assert_string_equal(last_speaker, "");
    yj_media_room_unwatch(room, w);
    /* the room frees the tracks with it */
    ta->pub = tb->pub = NULL;
    yj_media_room_unref(room);
    yj_media_free(m);
}

static void layer_choice(void **state)
{
    (void)state;
    yj_media_peer_t pub = {0};
    yj_track_t *t = yj_m_track_new(&pub, "p-v1", YJ_MEDIA_VIDEO);
    t->n_layers = 3;
    /* RIDs in an order that is not the bitrate order */
    int rates[3] = {1500000, 150000, 500000}, heights[3] = {720, 180, 360};
    for (int i = 0; i < 3; i++) {
        t->layers[i].active = true;
        t->layers[i].bitrate = (uint32_t)rates[i];
        t->layers[i].height = heights[i];
    }
    yj_slot_t s = {.layer = -1, .target_layer = -1};
    int64_t now = 100000000;
    /* new binding: the best layer */
    assert_int_equal(yj_m_router_pick_layer(&s, t, 0, 0, now), 0);
    s.layer = s.target_layer = 0;
    s.bound_us = now;
    /* a smaller display: down at once to the tallest that fits */
    s.max_height = 360;
    assert_int_equal(yj_m_router_pick_layer(&s, t, 0, 0, now), 2);
    s.layer = s.target_layer = 2;
    s.max_height = 0;
    /* a low REMB right after binding is ignored (receivers start low) */
    assert_int_equal(yj_m_router_pick_layer(&s, t, 100000, 0, now + 1000000), 0);
    s.layer = s.target_layer = 2;
    /* settled: REMB under the layer's rate steps down and holds 15 s */
    now += 6000000;
    assert_int_equal(yj_m_router_pick_layer(&s, t, 300000, 0, now), 1);
    s.layer = s.target_layer = 1;
    assert_int_equal(yj_m_router_pick_layer(&s, t, 0, 0, now + 5000000), 1);
    /* clean link after the hold: one step up at a time */
    assert_int_equal(yj_m_router_pick_layer(&s, t, 0, 0.0, now + 16000000), 2);
    s.layer = s.target_layer = 2;
    assert_int_equal(yj_m_router_pick_layer(&s, t, 0, 0.0, now + 17000000), 2); /* 3 s apart */
    assert_int_equal(yj_m_router_pick_layer(&s, t, 0, 0.0, now + 19500000), 0);
    s.layer = s.target_layer = 0;
    /* heavy loss steps down */
    assert_int_equal(yj_m_router_pick_layer(&s, t, 0, 0.2, now + 30000000), 2);
    /* one layer only: always 0 */
    t->n_layers = 1;
    assert_int_equal(yj_m_router_pick_layer(&s, t, 1, 0.5, now), 0);
    t->pub = NULL;
    yj_m_track_unref(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(speaker_election),
        cmocka_unit_test(layer_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
