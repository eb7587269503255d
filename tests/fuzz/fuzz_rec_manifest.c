/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_rec_manifest.c — libFuzzer target for the composition plan read
 * from a recording's manifest JSON (recordings/compose.h): any bytes as
 * JSON, then the plan, then the layout and the active speaker's frame at
 * a spread of times, checking that every file stays inside the root
 * folder and every tile and frame inside the canvas. */
#include "recordings/compose.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!j)
        return 0;
    yj_rec_plan_t p;
    char err[256];
    if (yj_rec_plan_from_json(j, "/rec", &p, err, sizeof err) == 0) {
        for (size_t i = 0; i < p.n_tracks; i++)
            if (strncmp(p.tracks[i].path, "/rec/", 5) != 0 || strstr(p.tracks[i].path, "/../"))
                abort();
        yj_rec_tile_t t[16];
        for (int k = 0; k <= 8; k++) {
            size_t n = yj_rec_layout(&p, p.dur_us / 8 * k, 1280, 720, t, 16);
            if (n > 16)
                abort();
            for (size_t i = 0; i < n; i++)
                if (t[i].x < 0 || t[i].y < 0 || t[i].x + t[i].w > 1280 || t[i].y + t[i].h > 720 ||
                    t[i].track < 0 || (size_t)t[i].track >= p.n_tracks)
                    abort();
            yj_rec_tile_t f;
            if (yj_rec_speaker_frame(&p, p.dur_us / 8 * k, 1280, 720, &f) &&
                (f.x < 0 || f.y < 0 || f.x + f.w > 1280 || f.y + f.h > 720 || f.track < 0 ||
                 (size_t)f.track >= p.n_tracks))
                abort();
        }
        yj_rec_plan_clear(&p);
    } else if (!err[0]) {
        abort(); /* a refusal always says why */
    }
    json_decref(j);
    return 0;
}
