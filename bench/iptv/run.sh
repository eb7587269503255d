#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/iptv/run.sh — N IPTV channels at a constant mux rate from one
# library-style lesson, to 127.0.0.1, received and judged in-process by
# the TS analyzer (build/bench_iptv_iptv_bench).
#
# Makes a 20 s 720p lesson (noisy testsrc2, libx264 at 1.2 Mbit/s capped
# at 1.8, 2-s GOP, AAC 64k, 4-s HLS segments + master playlist) unless
# LESSON names an existing master.m3u8, then runs the bench once per
# channel count.
#
#   bash bench/iptv/run.sh [CHANNELS="10 50 100"] [SECONDS=30] [BITRATE=2000000]
# Environment: YJ_BUILD (default build), LESSON, LIVE=1 (one 720p
# live-lecture encode beside the channels: its frames per second against
# the 25 put in, and the arrival-to-H.264 time).
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNTS=${1:-"10 50 100"}
SECS=${2:-30}
RATE=${3:-2000000}
BIN=${YJ_BUILD:-build}/bench/bench_iptv_iptv_bench
[ -x "$BIN" ] || { echo "build first: cmake --build build --target bench_iptv_iptv_bench" >&2; exit 1; }
lesson=${LESSON:-}
if [ -z "$lesson" ]; then
  dir=$(mktemp -d /tmp/yj-bench-iptv-XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  mkdir -p "$dir/720p"
  ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=25,noise=alls=12:allf=t" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 20 \
    -c:v libx264 -preset veryfast -b:v 1200k -maxrate 1800k -bufsize 2400k -g 50 -keyint_min 50 \
    -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 64k -ac 2 \
    -f hls -hls_time 4 -hls_playlist_type vod -hls_segment_filename "$dir/720p/seg%05d.ts" "$dir/720p/index.m3u8"
  printf '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=1300000,RESOLUTION=1280x720,CODECS="avc1.4d401f,mp4a.40.2"\n720p/index.m3u8\n' > "$dir/master.m3u8"
  lesson=$dir/master.m3u8
fi
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $COUNTS; do
  echo "## $n channels × $RATE bit/s, $SECS s"
  "$BIN" --lesson "$lesson" --channels "$n" --seconds "$SECS" --bitrate "$RATE" --programme 20 --live "${LIVE:-0}" 2>/dev/null
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
