/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer.h — the recording writer: one thread that owns every open track
 * file, fed through one bounded single-producer queue per track.
 *
 * The producer is the media tap of the track (the publisher's worker):
 * yj_rec_track_push copies the packet into a free slot of the track's ring
 * and returns; when the ring is full the packet is dropped and counted
 * (per track and in /metrics as yj_recordings_dropped_packets_total),
 * never waited for. The writer thread drains the rings into pcap files
 * (recordings/pcap.h) every 10 ms and fdatasync()s each file that got data
 * at least once a second, so a crash loses at most about a second.
 *
 * Never: the push path takes no lock and makes no system call; the writer
 * thread never calls into media.
 */
#ifndef YJ_RECORDINGS_WRITER_H
#define YJ_RECORDINGS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct yj_rec_writer yj_rec_writer_t;
typedef struct yj_rec_track yj_rec_track_t;

/* What a track file has seen so far (read with yj_rec_track_stats). */
typedef struct {
    uint64_t packets; /* RTP packets written */
    uint64_t srs;     /* RTCP SRs written */
    uint64_t dropped; /* queue full, too big, or write failed */
    uint64_t bytes;   /* file size once written */
    int64_t first_us; /* arrival of the first RTP packet (0: none yet) */
    int64_t last_us;  /* arrival of the last RTP packet */
    /* RTCP SR mapping: the first and the latest SR (ntp in µs since the
     * Unix epoch, rtp its timestamp); sr_count 0 when none seen yet. */
    uint64_t sr_count;
    int64_t sr_first_ntp_us, sr_last_ntp_us;
    uint32_t sr_first_rtp, sr_last_rtp;
    bool ended;  /* the tap said the track ended */
    bool closed; /* the file is closed (all queued packets written) */
    bool failed; /* the file could not be opened or written */
} yj_rec_track_stats_t;

/* Called on the writer thread once per second (after the syncs) and once
 * more when a track file was closed (track then non-NULL). */
typedef struct {
    void (*on_tick)(yj_rec_writer_t *w, void *ud);
    void (*on_closed)(yj_rec_writer_t *w, yj_rec_track_t *t, void *ud);
} yj_rec_writer_callbacks_t;

/* Starts the writer thread. slots: queue length per track (packets,
 * default 2048 when 0). cb copied, may be NULL. NULL on failure. */
yj_rec_writer_t *yj_rec_writer_new(int slots, const yj_rec_writer_callbacks_t *cb, void *ud);

/* Stops the thread after writing out every queued packet and closing
 * every file (on_closed runs for each); then frees. NULL: no-op. The
 * tracks must no longer be pushed to. */
void yj_rec_writer_free(yj_rec_writer_t *w);

/* Opens path (truncated) as a new track file served by w. ud is the
 * owner's, returned by yj_rec_track_ud. NULL when the file cannot be
 * created. The track stays owned by the writer until yj_rec_track_release
 * after it is closed. [any thread but the writer's callbacks] */
yj_rec_track_t *yj_rec_track_open(yj_rec_writer_t *w, const char *path, void *ud);

/* Producer side, from the tap callbacks: copies pkt. Returns false when
 * the packet was dropped. [one producer thread per track] */
bool yj_rec_track_push(yj_rec_track_t *t, const uint8_t *pkt, size_t len, int64_t arrival_us,
                       bool is_sr);
/* The tap ended (or the owner stops recording this track): the writer
 * writes what is queued, closes the file and calls on_closed. Further
 * pushes are dropped. [any thread] */
void yj_rec_track_end(yj_rec_track_t *t);

/* A consistent copy of the track's figures. [any thread] */
void yj_rec_track_stats(yj_rec_track_t *t, yj_rec_track_stats_t *out);
const char *yj_rec_track_path(const yj_rec_track_t *t);
void *yj_rec_track_ud(const yj_rec_track_t *t);

/* Frees a closed track (from on_closed or after it). Returns YJ_EBUSY if
 * it is still open. */
int yj_rec_track_release(yj_rec_track_t *t);

/* Bytes written by all tracks of this writer since it started. */
uint64_t yj_rec_writer_bytes(yj_rec_writer_t *w);

#endif
