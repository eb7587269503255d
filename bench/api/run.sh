#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/api/run.sh — the records API under load, and durability across
# kill -9.
#
#   1. builds yuanjiao (Release) into build-release/ and starts it with the
#      demo data on 127.0.0.1 (free port, temporary data folder);
#   2. signs in as the demo district administrator for a bearer token;
#   3. wrk, 64 connections, DURATION seconds: GET a member's record;
#   4. wrk, 64 connections, DURATION seconds: POST manual credits, each with
#      a unique source_id (credits.lua);
#   5. starts a third write run, kill -9s the daemon KILL_AFTER seconds into
#      it, restarts on the same folder and checks that every write wrk saw
#      acknowledged (HTTP 201) is in the ledger.
#
# Prints req/s and latency percentiles (wrk --latency) and a verdict per
# target: >= 10,000 reads/s with p99 < 10 ms, >= 2,000 writes/s, no
# acknowledged write lost. Never part of the test suite: figures depend on
# the machine. Environment: DURATION (10), THREADS (2), CONNECTIONS (64),
# KILL_AFTER (3), LOG_LEVEL (info: one access-log line per request, as in
# production), BUILD_DIR (build-release).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
KILL_AFTER=${KILL_AFTER:-3}
LOG_LEVEL=${LOG_LEVEL:-info}
BUILD_DIR=${BUILD_DIR:-build-release}
READ_MEMBER=330102195603120130   # 张建国, demo member with a few ledger rows
WRITE_MEMBER=330102196309250246  # 李秀英, receives the bench credits

command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is missing" >&2; exit 1; }

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j2 --target yuanjiao >/dev/null
BIN=$ROOT/$BUILD_DIR/yuanjiao

DIR=$(mktemp -d /tmp/yj-bench-XXXXXX)
PID=
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill "$PID"; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$DIR"
}
trap cleanup EXIT
printf '[server]\nlog_level=%s\n' "$LOG_LEVEL" >"$DIR/bench.conf"

start() { # [--demo]
  : >"$DIR/stdout"
  "$BIN" --config "$DIR/bench.conf" --data-dir "$DIR" --http-address 127.0.0.1 --http-port 0 "$@" \
    >"$DIR/stdout" 2>>"$DIR/daemon.log" &
  PID=$!
  for _ in $(seq 1 300); do
    URL=$(sed -n 's|^yuanjiao: portal at \(http://[^/]*\)/.*|\1|p' "$DIR/stdout")
    [ -n "$URL" ] && return 0
    kill -0 "$PID" 2>/dev/null || { tail -n 20 "$DIR/daemon.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: daemon did not start" >&2
  exit 1
}

token() {
  curl -sf -X POST "$URL/api/v1/session" -H 'Content-Type: application/json' \
    -d '{"username":"district","password":"demo-pass-2026"}' |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}

start --demo
TOKEN=$(token)
[ -n "$TOKEN" ] || { echo "bench: sign-in failed" >&2; exit 1; }
AUTH="Authorization: Bearer $TOKEN"
echo "yuanjiao $("$BIN" --version | cut -d' ' -f2) at $URL; $(nproc) cores; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s; log_level=$LOG_LEVEL"

cpu_ticks() { # user+system clock ticks used by the daemon so far
  awk '{print $14 + $15}' "/proc/$PID/stat"
}

# CPU the daemon spent per request: a figure that does not depend on what
# else the machine is doing (wall-clock req/s and latency do).
cpu_per_request() { # ticks-before ticks-after wrk-output-file
  local n
  n=$(awk '/requests in/ {print $1}' "$3")
  awk -v a="$1" -v b="$2" -v n="$n" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f", (b - a) / hz * 1e6 / n }'
}

figures() { # label wrk-output-file
  local rps p50 p99
  rps=$(awk '/^Requests\/sec/ {print $2}' "$2")
  p50=$(awk '$1 == "50%" {print $2}' "$2")
  p99=$(awk '$1 == "99%" {print $2}' "$2")
  echo "$1: $rps req/s, p50 $p50, p99 $p99"
}

to_ms() { # "1.23ms" / "850.00us" / "1.2s" -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; print n }'
}

echo
echo "== reads: GET /api/v1/members/$READ_MEMBER/record"
C0=$(cpu_ticks)
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$AUTH" \
  "$URL/api/v1/members/$READ_MEMBER/record" | tee "$DIR/read.txt"
READ_CPU=$(cpu_per_request "$C0" "$(cpu_ticks)" "$DIR/read.txt")
curl -sf -H "$AUTH" "$URL/api/v1/members/$READ_MEMBER/record" >/dev/null

echo
echo "== writes: POST /api/v1/members/$WRITE_MEMBER/credits (unique source_id per request)"
C0=$(cpu_ticks)
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$AUTH" \
  -s bench/api/credits.lua "$URL/api/v1/members/$WRITE_MEMBER/credits" -- w1 | tee "$DIR/write.txt"
WRITE_CPU=$(cpu_per_request "$C0" "$(cpu_ticks)" "$DIR/write.txt")

echo
echo "== kill -9 ${KILL_AFTER}s into a write run, restart, look for every acknowledged write"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$((KILL_AFTER + 3))s" -H "$AUTH" \
  -s bench/api/credits.lua "$URL/api/v1/members/$WRITE_MEMBER/credits" -- kill "$DIR/acked.txt" \
  >"$DIR/kill.txt" 2>&1 &
WRK=$!
sleep "$KILL_AFTER"
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=
wait "$WRK" || true
cat "$DIR/kill.txt"
ACKED=$(wc -l <"$DIR/acked.txt")
start
STORED=$(sqlite3 "$DIR/yuanjiao.db" "SELECT count(*) FROM ledger WHERE source_id LIKE 'bench-kill-%'")
sqlite3 "$DIR/yuanjiao.db" "CREATE TEMP TABLE acked(s TEXT PRIMARY KEY);" \
  ".import $DIR/acked.txt acked" \
  "SELECT s FROM acked WHERE s NOT IN (SELECT source_id FROM ledger);" >"$DIR/lost.txt"
LOST=$(wc -l <"$DIR/lost.txt")
# The ledger's totals agree with the rows after recovery.
TOK2=$(token)
curl -sf -H "Authorization: Bearer $TOK2" "$URL/api/v1/members/$WRITE_MEMBER/record" >/dev/null
echo "acknowledged before the kill: $ACKED; in the ledger after restart: $STORED; acknowledged but missing: $LOST"

echo
echo "== summary"
echo "machine load (1 min) at the end: $(cut -d' ' -f1 /proc/loadavg); CPU pressure: $(sed -n 's/^some avg10=\([0-9.]*\).*/\1% of time some task waited for a CPU/p' /proc/pressure/cpu 2>/dev/null)"
echo "$(figures reads "$DIR/read.txt"), daemon CPU ${READ_CPU} us/request"
echo "$(figures writes "$DIR/write.txt"), daemon CPU ${WRITE_CPU} us/request"
R=$(awk '/^Requests\/sec/ {print int($2)}' "$DIR/read.txt")
W=$(awk '/^Requests\/sec/ {print int($2)}' "$DIR/write.txt")
P99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$DIR/read.txt")")
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
echo "target reads >= 10000/s with p99 < 10 ms: $(verdict "$(awk -v r="$R" -v p="$P99" 'BEGIN{print (r >= 10000 && p < 10) ? 1 : 0}')")"
echo "target writes >= 2000/s: $(verdict "$([ "$W" -ge 2000 ] && echo 1 || echo 0)")"
echo "target no acknowledged write lost across kill -9: $(verdict "$([ "$LOST" -eq 0 ] && [ "$STORED" -ge "$ACKED" ] && echo 1 || echo 0)")"
