#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/progress/run.sh — progress reports from simulated learners.
#
# Starts yuanjiao (build/, --demo) on loopback, waits for the demo lesson,
# adds LEARNERS members with one session token each, then runs
# bench_progress_progress_load for SECONDS: throughput and latency
# percentiles. Then a second run is cut by kill -9 and the database is
# checked: no acknowledged report may be missing.
#
#   bash bench/progress/run.sh [LEARNERS=1000] [SECONDS=10] [CONNS=64]
# Environment: YJ_BUILD (default build), HTTP_THREADS (default 0 = cores),
# LOG_LEVEL (default info).
set -euo pipefail
cd "$(dirname "$0")/../.."
LEARNERS=${1:-1000}
SECONDS_RUN=${2:-10}
CONNS=${3:-64}
BUILD=${YJ_BUILD:-build}
BIN=$BUILD/yuanjiao
LOAD=$BUILD/bench/bench_progress_progress_load
[ -x "$BIN" ] && [ -x "$LOAD" ] || { echo "build first: cmake --build $BUILD" >&2; exit 1; }

dir=$(mktemp -d /tmp/yj-bench-progress-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

start() {
  cat > "$dir/bench.conf" <<INI
[server]
log_level=${LOG_LEVEL:-info}
http_threads=${HTTP_THREADS:-0}
[auth]
pbkdf2_iterations=1000
INI
  "$BIN" --config "$dir/bench.conf" --data-dir "$dir" --http-port 0 --demo >"$dir/out.log" 2>>"$dir/err.log" &
  pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's#.*portal at http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$dir/out.log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "daemon did not start" >&2; cat "$dir/err.log" >&2; exit 1; }
}

start
tok=$(curl -s -X POST -H 'Content-Type: application/json' \
  -d '{"username":"district","password":"demo-pass-2026"}' "http://127.0.0.1:$port/api/v1/session" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
for _ in $(seq 600); do
  st=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/lessons/1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("status"))')
  [ "$st" = ready ] && break
  sleep 0.5
done
[ "$st" = ready ] || { echo "demo lesson not ready" >&2; exit 1; }

# Members and their bearer tokens (only the SHA-256 is stored).
python3 - "$LEARNERS" "$dir" <<'PY'
import hashlib, secrets, sys
n, d = int(sys.argv[1]), sys.argv[2]
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
orgs = ['33010101', '33010102', '33010201', '33010202']
sql, toks = ['BEGIN;'], []
for i in range(n):
    body = '330102' + '1970' + '0101' + '%03d' % (i % 1000)
    body = body[:6] + str(1970 + i // 1000) + body[10:]
    chk = '10X98765432'[sum(int(c) * x for c, x in zip(body, w)) % 11]
    mid = body + chk
    tok = 'bench-' + secrets.token_urlsafe(24)
    h = hashlib.sha256(tok.encode()).hexdigest()
    sql.append(f"INSERT INTO members(id_number,name,gender,birth_date,org_id,created_at,updated_at) "
               f"SELECT '{mid}','学员{i}','male','1970-01-01',id,0,0 FROM orgs WHERE code='{orgs[i % 4]}';")
    sql.append(f"INSERT INTO sessions(token_hash,kind,member_id,created_at,expires_at) "
               f"VALUES ('{h}','token','{mid}',0,4102444800);")
    toks.append(f'{mid} {tok}')
sql.append('COMMIT;')
open(f'{d}/members.sql', 'w').write('\n'.join(sql))
open(f'{d}/tokens.txt', 'w').write('\n'.join(toks) + '\n')
PY
sqlite3 "$dir/yuanjiao.db" ".timeout 5000" ".read $dir/members.sql"

echo "== throughput: $LEARNERS learners, $CONNS connections, ${SECONDS_RUN}s, http_threads=${HTTP_THREADS:-0} log_level=${LOG_LEVEL:-info}"
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
c0=$(cpu "$pid")
"$LOAD" --port "$port" --tokens "$dir/tokens.txt" --lesson 1 --conns "$CONNS" --seconds "$SECONDS_RUN" | tee "$dir/load.txt"
c1=$(cpu "$pid")
n=$(sed -n 's/^reports: \([0-9]*\) accepted.*/\1/p' "$dir/load.txt")
hz=$(getconf CLK_TCK)
python3 -c "print(f'daemon CPU: {($c1-$c0)/$hz:.2f} s for $n reports = {($c1-$c0)/$hz/max($n,1)*1e6:.0f} us per report (load average: ' + open('/proc/loadavg').read().split()[0] + ')')"

echo "== durability: kill -9 after 3 s of load"
"$LOAD" --port "$port" --tokens "$dir/tokens.txt" --lesson 1 --conns "$CONNS" --seconds 30 \
  --kill-pid "$pid" --kill-after 3 --db "$dir/yuanjiao.db"
wait "$pid" 2>/dev/null || true
pid=
