#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/hls/run.sh — yuanjiao vs nginx (Debian's nginx-light) serving the
# same HLS files on loopback.
#
# Makes a 24 s noisy 720p clip (so the 720p rendition runs at its
# 1.2–1.8 Mbit/s cap and segments are about 1 MB), imports it through
# yuanjiao's real import path, then runs wrk against both servers on the
# master playlist, a media playlist and the largest segment, and prints
# requests/s and MB/s side by side. yuanjiao checks the HMAC signature of
# every request; nginx just maps the same URL onto the same folder.
# Both write an access log.
#
#   bash bench/hls/run.sh [SECONDS=10] [CONNECTIONS=256] [THREADS=2]
# Environment: YJ_BUILD (default build).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
CONNS=${2:-256}
THREADS=${3:-2}
BIN=${YJ_BUILD:-build}/yuanjiao
[ -x "$BIN" ] || { echo "build first: cmake --build build" >&2; exit 1; }
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx-light" >&2; exit 1; }

dir=$(mktemp -d /tmp/yj-bench-hls-XXXXXX)
ypid= npid=
cleanup() {
  [ -n "$ypid" ] && kill "$ypid" 2>/dev/null
  [ -n "$npid" ] && kill "$npid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$dir/import" "$dir/nginx"

ffmpeg -v error -f lavfi -i "testsrc2=size=1280x720:rate=25,noise=alls=40:allf=t+u" \
  -f lavfi -i "sine=frequency=440" -t 24 -c:v libx264 -preset ultrafast -crf 16 \
  -c:a aac "$dir/import/bench.mp4"

cat > "$dir/yj.conf" <<INI
[auth]
pbkdf2_iterations=1000
[vod]
import_dir=$dir/import
demo_lesson=false
INI
"$BIN" --config "$dir/yj.conf" --data-dir "$dir" --http-port 0 --demo >"$dir/out.log" 2>"$dir/err.log" &
ypid=$!
for _ in $(seq 100); do
  yport=$(sed -n 's#.*portal at http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$dir/out.log")
  [ -n "$yport" ] && break
  sleep 0.1
done
[ -n "$yport" ] || { echo "yuanjiao did not start" >&2; exit 1; }
Y=http://127.0.0.1:$yport
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
tok=$(curl -s -X POST -H 'Content-Type: application/json' \
  -d '{"username":"district","password":"demo-pass-2026"}' "$Y/api/v1/session" | json '["token"]')
auth=(-H "Authorization: Bearer $tok" -H 'Content-Type: application/json')
course=$(curl -s "${auth[@]}" -d '{"title":"bench"}' "$Y/api/v1/courses" | json '["id"]')
lesson=$(curl -s "${auth[@]}" -d "{\"path\":\"bench.mp4\",\"course_id\":$course,\"title\":\"bench\"}" \
  "$Y/api/v1/lessons/import" | json '["id"]')
for _ in $(seq 600); do
  st=$(curl -s "${auth[@]}" "$Y/api/v1/lessons/$lesson" | json '.get("status")')
  [ "$st" = ready ] && break
  sleep 0.5
done
[ "$st" = ready ] || { echo "lesson not ready" >&2; exit 1; }
prefix=$(curl -s "${auth[@]}" "$Y/api/v1/lessons/$lesson" | json '["hls_path"]' | sed 's/master.m3u8$//')
seg=$(cd "$dir/vod/lessons/$lesson/720p" && ls -S seg*.ts | head -1)
segsize=$(stat -c %s "$dir/vod/lessons/$lesson/720p/$seg")

cat > "$dir/nginx/nginx.conf" <<NGX
worker_processes 2;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
daemon off;
user root;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log $dir/nginx/access.log;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $dir/nginx/tmp;
  server {
    listen 127.0.0.1:0;
    location ~ ^/hls/(\d+)/[^/]+/\d+/[^/]+/(.+)\$ {
      alias $dir/vod/lessons/\$1/\$2;
      add_header Cache-Control "public, max-age=31536000, immutable";
    }
  }
}
NGX
# nginx cannot pick a free port itself: take one now.
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/listen 127.0.0.1:0;/listen 127.0.0.1:$nport;/" "$dir/nginx/nginx.conf"
nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" &
npid=$!
sleep 0.5
N=http://127.0.0.1:$nport
curl -sf -o /dev/null "$N${prefix}master.m3u8" || { echo "nginx does not serve" >&2; cat "$dir/nginx/error.log" >&2; exit 1; }

# CPU ticks used so far by a process and its children-threads (utime+stime).
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
run() { # url pids… → "req/s MB/s cpu-us-per-request"
  local url=$1; shift
  local c0; c0=$(ticks "$@")
  wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency "$url" 2>&1 >"$dir/wrk.txt"
  local c1; c1=$(ticks "$@")
  awk -v cpu=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" '/Requests\/sec/ {r=$2} /Transfer\/sec/ {t=$2; if (t ~ /GB/) t*=1024; else if (t ~ /KB/) t/=1024; else t+=0}
       /requests in/ {n=$1} /Non-2xx/ {e=$NF}
       END {printf "%.0f %.1f %.1f %s\n", r, t, (n ? cpu / hz * 1e6 / n : 0), (e ? "non-2xx:" e : "")}' "$dir/wrk.txt"
}
nworkers=$(pgrep -P "$(cat "$dir/nginx/nginx.pid")" | tr '\n' ' ')
ROUNDS=${ROUNDS:-3}
echo "HLS serving on loopback: wrk -t$THREADS -c$CONNS -d${SECS}s, $ROUNDS alternating rounds (median); segment $seg = $segsize bytes"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
printf "%-18s %13s %8s %8s %13s %8s %8s %7s\n" object "yuanjiao req/s" "MB/s" "CPU us/req" "nginx req/s" "MB/s" "CPU us/req" ratio
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for obj in master.m3u8 720p/index.m3u8 "720p/$seg"; do
  : >"$dir/y.txt"
  : >"$dir/n.txt"
  for _ in $(seq "$ROUNDS"); do
    run "$Y$prefix$obj" "$ypid" >>"$dir/y.txt"
    run "$N$prefix$obj" $nworkers >>"$dir/n.txt"
  done
  yr=$(cut -d' ' -f1 "$dir/y.txt" | median); ym=$(cut -d' ' -f2 "$dir/y.txt" | median)
  yc=$(cut -d' ' -f3 "$dir/y.txt" | median)
  nr=$(cut -d' ' -f1 "$dir/n.txt" | median); nm=$(cut -d' ' -f2 "$dir/n.txt" | median)
  nc=$(cut -d' ' -f3 "$dir/n.txt" | median)
  bad=$(cat "$dir/y.txt" "$dir/n.txt" | grep -o 'non-2xx:[0-9]*' | head -1 || true)
  printf "%-18s %13s %8s %8s %13s %8s %8s %6.2fx %s\n" "$obj" "$yr" "$ym" "$yc" "$nr" "$nm" "$nc" \
    "$(python3 -c "print($yr/max($nr,1))")" "$bad"
  echo "  rounds yuanjiao: $(cut -d' ' -f1 "$dir/y.txt" | tr '\n' ' ') nginx: $(cut -d' ' -f1 "$dir/n.txt" | tr '\n' ' ')"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
