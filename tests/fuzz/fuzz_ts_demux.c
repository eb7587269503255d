/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_ts_demux.c — libFuzzer target for the MPEG-TS input side of iptv/:
 * the analyzer (iptv/ts_check.c: sync recovery, PSI section reassembly
 * across packets, PAT/PMT/SDT/EIT parsing with DVB text, PES headers,
 * PCR) fed as a byte stream, as datagrams (plain and RTP) and through the
 * bitrate estimator, the way yj-tscheck and the bench feed it from the
 * network; and the external feed's demuxer (iptv/source_feed.c). */
#include "iptv/source.h"
#include "iptv/ts_check.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yj_ts_check_t *c = yj_ts_check_new(2000000, 1316);
    /* the first byte picks how the input is cut into datagrams */
    size_t step = size ? (size_t)data[0] * 7 + 1 : 1;
    int64_t t = 1;
    for (size_t o = 0; o < size; o += step) {
        size_t n = size - o < step ? size - o : step;
        yj_ts_check_datagram(c, data + o, n, t);
        t += 5000000;
    }
    yj_ts_check_bytes(c, data, size);
    yj_ts_report_t r;
    yj_ts_check_report(c, &r);
    char *j = yj_ts_report_json(&r);
    /* the report must stay valid UTF-8 JSON text whatever the input */
    if (!g_utf8_validate(j, -1, NULL))
        __builtin_trap();
    g_free(j);
    yj_ts_check_free(c);
    (void)yj_ts_estimate_bitrate(data, size);
    /* the external feed's demuxer (iptv/source_feed.c): first programme and a numbered one */
    (void)yj_iptv_feed_demux_run(data, size, 0);
    (void)yj_iptv_feed_demux_run(data, size, size ? data[size - 1] : 1);
    return 0;
}
