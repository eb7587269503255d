#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/recordings/live_beside.sh — a recording composed and transcoded
# into the full HLS ladder by the daemon itself, on its one background
# pool, while a live meeting forwards beside it.
#
# compose_bench makes a PARTIES × MINUTES recording (VP8 640×360 25 fps +
# Opus per party) and the SQL that adds it to the daemon's database as a
# stopped recording; the daemon, started on that database, composes it at
# start (recordings/) and hands it to the course library, which transcodes
# it into 720p + 360p + audio (vod/). Meanwhile bench_sfu_sfu_bench
# publishes one ~1 Mbit/s stream over WHIP to SUBS WHEP subscribers and
# prints, every STEP seconds, what they lost. The daemon is not pinned: it
# shares the machine's cores with its own jobs, as in production.
#   BUILD=build PARTIES=4 MINUTES=10 SUBS=20 STEP=30 YIELD=60 \
#     bash bench/recordings/live_beside.sh
# YIELD is [jobs] yield_load_percent (0: jobs never yield). Prints the
# daemon's composition and transcode lines, the jobs' yielded time, and
# the load tool's per-step loss.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PARTIES=${PARTIES:-4}
MINUTES=${MINUTES:-10}
SUBS=${SUBS:-20}
STEP=${STEP:-30}
YIELD=${YIELD:-60}
dir=$(mktemp -d /tmp/yj-live-beside-XXXXXX)
cat >"$dir/bench.conf" <<CONF
[auth]
pbkdf2_iterations=1000
[media]
workers=1
interfaces=127.0.0.1
max_load_percent=0
max_handshakes=0
[iptv]
playout=false
[vod]
demo_lesson=false
[jobs]
yield_load_percent=$YIELD
CONF
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  cp "$dir/err.txt" "${TMPDIR:-/tmp}/yj-live-beside-daemon.log" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

start() {
  "$BUILD/yuanjiao" --config "$dir/bench.conf" --data-dir "$dir" --http-port 0 --demo \
    --log-level info >"$dir/out.txt" 2>>"$dir/err.txt" &
  pid=$!
  url=
  for _ in $(seq 300); do
    url=$(grep -o 'http://[^/ ]*' "$dir/out.txt" | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "daemon did not start"; cat "$dir/err.txt"; exit 1; }
}

# 1. the database with the demo organisation
start
kill "$pid"; wait "$pid" || true; pid=
: >"$dir/out.txt"
# 2. the recording and its rows
mkdir -p "$dir/recordings/bench/1"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/bench_recordings_compose_bench" "$PARTIES" "$MINUTES" "$dir/recordings/bench/1" \
  --sql "$dir/rec.sql"
sqlite3 "$dir/yuanjiao.db" <"$dir/rec.sql"
# 3. the daemon composes it at start; a live meeting forwards meanwhile
start
t0=$(date +%s)
token=$(curl -s -X POST -H 'Content-Type: application/json' \
  -d '{"username":"district","password":"demo-pass-2026"}' "$url/api/v1/session" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
steps=$(( (MINUTES * 60) / STEP + 20 )); [ "$steps" -le 64 ] || steps=64 # the tool's limit
list=$(printf "$SUBS%.0s," $(seq "$steps")); list=${list%,}
"$BUILD/bench/bench_sfu_sfu_bench" --url "$url" --token "$token" --pid "$pid" \
  --subs "$list" --seconds "$STEP" --sample 20 >"$dir/sfu.txt" 2>&1 &
sfu=$!
# until the lesson is ready (bounded: 4 × the meeting's length + 10 min)
for _ in $(seq $(( (MINUTES * 240 + 600) ))); do
  grep -q 'lesson .* ready' "$dir/err.txt" && break
  grep -q 'composition failed\|job .* failed' "$dir/err.txt" && break
  sleep 1
done
t1=$(date +%s)
kill "$sfu" 2>/dev/null || true; wait "$sfu" 2>/dev/null || true
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E 'composing|composed in|lesson .* ready|failed' "$dir/err.txt" || true
curl -s "$url/metrics" | grep -E '^yj_jobs_(done|yielded)' || true
echo "compose + ladder: $((t1 - t0)) s wall for ${MINUTES} min of meeting"
echo "--- live meeting (1 publisher, $SUBS viewers), one line per ${STEP} s:"
cat "$dir/sfu.txt"
