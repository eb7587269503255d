/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pcap.h — one recorded track on disk: a classic pcap file (libpcap 2.4,
 * microsecond timestamps, link type 101 LINKTYPE_RAW = raw IPv4), each
 * record a synthetic IPv4 + UDP header around one RTP packet (to port
 * YJ_PCAP_RTP_PORT) or one RTCP sender report (to YJ_PCAP_RTCP_PORT), so
 * Wireshark and GStreamer's pcapparse read it as it is.
 *
 * The writer only appends; a crash leaves at worst a partial last record,
 * which yj_pcap_recover() cuts away. The reader tolerates that partial
 * record (it stops before it) and rejects nothing silently: malformed
 * records end the scan with the offset of the last whole one.
 *
 * Never: the writer never rewrites what it wrote, never blocks on anything
 * but its own file, and is used by one thread at a time.
 */
#ifndef YJ_RECORDINGS_PCAP_H
#define YJ_RECORDINGS_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YJ_PCAP_LINKTYPE_RAW 101
#define YJ_PCAP_RTP_PORT 5004
#define YJ_PCAP_RTCP_PORT 5005
#define YJ_PCAP_SRC_PORT 5000
#define YJ_PCAP_FILE_HDR 24
#define YJ_PCAP_REC_HDR 16
#define YJ_PCAP_IPUDP_HDR 28
/* Largest payload a record carries (IPv4 total length is 16 bits). */
#define YJ_PCAP_MAX_PAYLOAD (65535 - YJ_PCAP_IPUDP_HDR)

typedef enum { YJ_PCAP_RTP = 0, YJ_PCAP_RTCP = 1 } yj_pcap_stream_t;

typedef struct yj_pcap_writer yj_pcap_writer_t;

/* Creates (truncates) path and writes the file header. NULL on failure
 * (errno set). The writer owns its fd; yj_pcap_writer_close frees it. */
yj_pcap_writer_t *yj_pcap_writer_open(const char *path);

/* Appends one record (buffered). ts_us: wall clock in microseconds since
 * the epoch. 0, YJ_EINVAL (len 0 or > YJ_PCAP_MAX_PAYLOAD) or YJ_EIO. */
int yj_pcap_writer_append(yj_pcap_writer_t *w, int64_t ts_us, yj_pcap_stream_t stream,
                          const uint8_t *payload, size_t len);

/* Writes the buffer out and fdatasync()s. 0 or YJ_EIO. */
int yj_pcap_writer_sync(yj_pcap_writer_t *w);

/* Bytes in the file once everything appended is written (header included). */
uint64_t yj_pcap_writer_bytes(const yj_pcap_writer_t *w);

/* Syncs, closes and frees. Returns the sync's result. NULL: 0. */
int yj_pcap_writer_close(yj_pcap_writer_t *w);

/* One record as the reader sees it. payload points into the scanned
 * buffer and is valid only during the visit. */
typedef struct {
    int64_t ts_us;
    yj_pcap_stream_t stream; /* by UDP destination port */
    uint16_t dst_port;
    const uint8_t *payload;
    size_t len;
} yj_pcap_record_t;

/* Return non-zero to stop the scan (that value is returned). */
typedef int (*yj_pcap_visit_fn)(const yj_pcap_record_t *rec, void *ud);

/* Scans a whole pcap image in memory: checks the file header (either byte
 * order, micro- or nanosecond magic, link type 101), then visits each
 * whole IPv4/UDP record whose destination port is one of ours. Records of
 * other ports or protocols are skipped. A partial or malformed record ends
 * the scan; *whole (optional) gets the byte offset just after the last
 * whole well-formed record (0 when the header itself is bad).
 * Returns the number of records visited, YJ_EINVAL for a bad header,
 * or the visitor's non-zero value. */
int yj_pcap_parse(const uint8_t *buf, size_t len, yj_pcap_visit_fn visit, void *ud, size_t *whole);

/* Same over a file, read in chunks (files run to hundreds of MB). */
int yj_pcap_scan_file(const char *path, yj_pcap_visit_fn visit, void *ud, uint64_t *whole);

/* Reads a file record by record (the composition streams hours of it).
 * NULL (errno set) when it cannot be opened or its header is not ours. */
typedef struct yj_pcap_reader yj_pcap_reader_t;
yj_pcap_reader_t *yj_pcap_reader_open(const char *path);
/* 1 with *rec filled (payload valid until the next call), 0 at the end or
 * at the first partial or malformed record, YJ_EIO on a read error.
 * Records not of ours are skipped. */
int yj_pcap_reader_next(yj_pcap_reader_t *r, yj_pcap_record_t *rec);
void yj_pcap_reader_close(yj_pcap_reader_t *r);

/* Crash recovery: cuts path at the end of its last whole record (an empty
 * or header-less file gets a fresh header). *kept_records (optional) gets
 * the count, *cut_bytes (optional) the bytes removed. 0, YJ_ENOENT,
 * YJ_EINVAL (not a pcap of ours) or YJ_EIO. */
int yj_pcap_recover(const char *path, uint64_t *kept_records, uint64_t *cut_bytes);

#endif
