#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/sfu/run.sh — SFU load test: the daemon runs pinned to CPU 0 with one
# media worker (so forwarding is one core's work), the load tool
# (bench_sfu_sfu_bench, built on media/) pinned to CPU 1 publishes one
# ~1 Mbit/s VP8+Opus-shaped stream over WHIP and attaches N WHEP
# subscribers for each N in SUBS. Prints one line per N.
#   SUBS=50,100,200 SECONDS_PER_STEP=10 BUILD=build [BURST=1] bash bench/sfu/run.sh
# (BURST=1: the publisher sends each frame's packets at once instead of
# pacing them 4 ms apart as browsers do. ADMISSION=off: max_load_percent=0
# and max_handshakes=0, else the defaults; MAX_LOAD_PERCENT=N sets that.) The daemon's log is left in
# ${TMPDIR:-/tmp}/yj-sfu-bench-daemon.log. The demo IPTV channel is kept
# off the air ([iptv] playout=false): its playout would share the cores.
# WORKERS=N sets [media] workers (1); DAEMON_CPUS and TOOL_CPUS the taskset
# CPU lists of the daemon (0) and of the load tool (1); SLEEP=1 makes the
# tool wait in epoll instead of busy-polling (for runs where it shares
# cores with the daemon); STOP_ON_LOSS=1 ends after the first step with
# >= 0.5 % loss. bench/sfu/scale.sh runs 1 and 2 workers.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SUBS=${SUBS:-50,100,200,500,1000,1500,2000}
STEP=${SECONDS_PER_STEP:-10}
SAMPLE=${SAMPLE:-20}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
dir=$(mktemp -d /tmp/yj-sfu-bench-XXXXXX)
cat > "$dir/bench.conf" <<CONF
[auth]
pbkdf2_iterations=1000
[iptv]
playout=false
[media]
workers=${WORKERS:-1}
interfaces=127.0.0.1
$([ "${ADMISSION:-on}" = off ] && printf 'max_load_percent=0\nmax_handshakes=0\n')
$([ -n "${MAX_LOAD_PERCENT:-}" ] && printf 'max_load_percent=%s\n' "$MAX_LOAD_PERCENT")
CONF
taskset -c "${DAEMON_CPUS:-0}" "$BUILD/yuanjiao" --config "$dir/bench.conf" --data-dir "$dir" --http-port 0 --demo \
  --log-level "${LOG_LEVEL:-info}" >"$dir/out.txt" 2>"$dir/err.txt" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; cp "$dir/err.txt" "${TMPDIR:-/tmp}/yj-sfu-bench-daemon.log" 2>/dev/null; rm -rf "$dir"' EXIT
url=
for _ in $(seq 200); do
  url=$(grep -o 'http://[^/ ]*' "$dir/out.txt" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "daemon did not start"; cat "$dir/err.txt"; exit 1; }
# The demo data includes a lesson transcoded at start; wait for it so x264
# does not share the measured core with the forwarding.
for _ in $(seq 1200); do
  grep -q 'lesson .* ready' "$dir/err.txt" && break
  sleep 0.1
done
token=$(curl -s -X POST -H 'Content-Type: application/json' \
  -d '{"username":"district","password":"demo-pass-2026"}' "$url/api/v1/session" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
echo "daemon pid $pid at $url (CPUs ${DAEMON_CPUS:-0}, ${WORKERS:-1} media worker(s)); load tool on CPUs ${TOOL_CPUS:-1}$([ -n "${SLEEP:-}" ] && echo ', sleeping in epoll'); $(nproc) CPUs"
taskset -c "${TOOL_CPUS:-1}" "$BUILD/bench/bench_sfu_sfu_bench" --url "$url" --token "$token" --pid "$pid" \
  --subs "$SUBS" --seconds "$STEP" --sample "$SAMPLE" ${BURST:+--burst} ${SLEEP:+--sleep} ${STOP_ON_LOSS:+--stop-on-loss}
# How the forwarding was shared: CPU time of each media worker thread over
# the whole run (handshakes included).
hz=$(getconf CLK_TCK)
for t in /proc/"$pid"/task/*; do
  n=$(cat "$t/comm" 2>/dev/null) || continue
  case $n in
  yj-media-*) awk -v n="$n" -v hz="$hz" '{ printf "thread %s: %.1f s CPU\n", n, ($14 + $15) / hz }' "$t/stat" ;;
  esac
done
