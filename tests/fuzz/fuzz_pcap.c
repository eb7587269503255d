/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_pcap.c — libFuzzer target for the recordings' pcap reader: any
 * bytes as a whole file image (both byte orders, torn tails, hostile
 * lengths, IPv4/UDP headers that lie), every visited payload read to its
 * end so ASan sees an over-read. */
#include "recordings/pcap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int touch(const yj_pcap_record_t *r, void *ud)
{
    unsigned *sum = ud;
    for (size_t i = 0; i < r->len; i++)
        *sum += r->payload[i];
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy so reads past the end are caught */
    uint8_t *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    unsigned sum = 0;
    size_t whole = 0;
    int n = yj_pcap_parse(buf, size, touch, &sum, &whole);
    if (whole > size || (n < 0 && whole != 0))
        abort();
    free(buf);
    return 0;
}
