/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sfu_room.h — the SFU's room (sfu_room.c): membership, published tracks,
 * the binding of subscribers' slots, room watchers, active speaker, taps'
 * attachment. Named apart from signaling's meeting room. Above the
 * publisher/subscriber layer.
 */
#ifndef YJ_MEDIA_SFU_ROOM_H
#define YJ_MEDIA_SFU_ROOM_H

#include "publisher.h"
#include "subscriber.h"

int yj_m_sfu_room_add_peer(yj_media_room_t *room, yj_media_peer_t *p);
/* Removes p, its tracks and slots; rebinds the others. */
void yj_m_sfu_room_remove_peer(yj_media_room_t *room, yj_media_peer_t *p);
/* Publishes/unpublishes tracks and (re)binds every subscriber's slots. */
void yj_m_sfu_room_publish(yj_media_room_t *room, yj_media_peer_t *p, yj_track_t *t);
void yj_m_sfu_room_unpublish(yj_media_room_t *room, yj_track_t *t);
void yj_m_sfu_room_add_slot(yj_media_room_t *room, yj_media_peer_t *p, yj_slot_t *s);
void yj_m_sfu_room_rebind(yj_media_room_t *room); /* takes room->lock */
void yj_m_sfu_room_rebind_locked(yj_media_room_t *room);
/* Tracks a subscriber should receive but has no slot for (room->lock). */
int yj_m_sfu_room_unserved_locked(yj_media_room_t *room, yj_media_peer_t *p, yj_track_t **out,
                                  int max);
/* Whether subscriber s can decode t's codec: false when s offered codecs of
 * t's kind but not t's (a VP8-only viewer and an H.264 publisher); such a
 * track is neither bound to s nor offered to it. */
bool yj_m_sfu_room_can_receive(const yj_media_peer_t *s, const yj_track_t *t);
/* Logs a warning for each track of the room p wants but cannot decode
 * (after p's offer was answered). Takes room->lock. */
void yj_m_sfu_room_warn_codecs(yj_media_room_t *room, yj_media_peer_t *p);
void yj_m_sfu_room_notify_tracks(yj_media_room_t *room);
/* Elects the active speaker from the tracks' audio levels (rate-limited;
 * the publisher reaches it through p->up->speaker). */
void yj_m_sfu_room_eval_speaker(yj_media_room_t *room, int64_t now_us);

#endif
