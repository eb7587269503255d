#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/sfu/peer.sh — yuanjiao and SRS side by side (issue 11 §3): the same
# load tool (bench_sfu_sfu_bench in peer mode: WHIP publisher, N WHEP
# viewers, H.264 + Opus, loss and forwarded packets counted at the viewers)
# against each server in turn, the server pinned to CPU 0 (yuanjiao with
# one media worker; SRS is single-threaded), the tool on CPU 1.
#
#   bash bench/sfu/peer.sh /path/to/srs/trunk
#   SUBS=50,100,200 SECONDS_PER_STEP=10 BUILD=build CODEC=h264 bash bench/sfu/peer.sh DIR
#
# DIR is an SRS source tree (the folder with `configure`, or its parent
# holding trunk/). If DIR/objs/srs is missing it is built there, outside
# this repository, with optimisation on (-O2), WebRTC on, no ASan, the
# system OpenSSL and nothing downloaded:
#   ./configure --rtc=on --ffmpeg-fit=off --ffmpeg-opus=on --srt=off --use-sys-ssl \
#               --sanitizer=off --gperf=off --utest=off --extra-flags=-O2
#   nice -n 10 make -j2
# (--ffmpeg-opus=on only skips building libopus, which SRS links for its
# AAC<->Opus transcoder; with --ffmpeg-fit=off nothing uses it.) SRS's
# configure also checks for automake: `apt-get install automake` first.
#
# Network: everything runs in a new network namespace (unshare -n) whose
# only interface is lo — SRS binds its WebRTC UDP port on every address
# whatever its config says, and the tool's viewers each send from their own
# 127.1.x.y (SRS tells sessions apart by the client's address; all of them
# reach its one port 8000), which needs a socket bound to 0.0.0.0.
# ADMISSION=on keeps yuanjiao's admission control (it then refuses viewers
# at capacity instead of losing packets); the default turns it off, as SRS
# has none.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 SRS_SOURCE_DIR" >&2; exit 2; }
srs=$(cd "$1" && pwd)
[ -x "$srs/configure" ] || { [ -x "$srs/trunk/configure" ] && srs=$srs/trunk; }
[ -x "$srs/configure" ] || { echo "peer.sh: no SRS configure in $1" >&2; exit 2; }
case "$srs/" in "$here"/*) echo "peer.sh: build SRS outside this repository" >&2; exit 2;; esac

if [ ! -x "$srs/objs/srs" ]; then
  echo "peer.sh: building SRS in $srs (log: $srs/objs/peer-build.log)"
  mkdir -p "$srs/objs"
  (cd "$srs" &&
    ./configure --rtc=on --ffmpeg-fit=off --ffmpeg-opus=on --srt=off --use-sys-ssl \
      --sanitizer=off --gperf=off --utest=off --extra-flags=-O2 &&
    nice -n 10 make -j2) >"$srs/objs/peer-build.log" 2>&1 ||
    { tail -30 "$srs/objs/peer-build.log"; echo "peer.sh: SRS build failed"; exit 1; }
fi

# Re-run inside a private network namespace (loopback only).
if [ -z "${YJ_PEER_NETNS:-}" ]; then
  exec unshare -n env YJ_PEER_NETNS=1 bash "$0" "$srs"
fi
ip link set lo up

cd "$here"
BUILD=${BUILD:-build}
SUBS=${SUBS:-50,100,200,300,500,800,1000,1500}
STEP=${SECONDS_PER_STEP:-10}
SAMPLE=${SAMPLE:-20}
CODEC=${CODEC:-h264}
for f in "$BUILD/yuanjiao" "$BUILD/bench/bench_sfu_sfu_bench"; do
  [ -x "$f" ] || { echo "peer.sh: $f missing (cmake --build $BUILD --target yuanjiao bench_sfu_sfu_bench)" >&2; exit 1; }
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
dir=$(mktemp -d /tmp/yj-sfu-peer-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do stop "$p"; done
  cp "$dir"/*.log "${TMPDIR:-/tmp}/" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
stop() { # TERM, then KILL after 5 s (SRS can take long to quit when loaded)
  kill "$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

tool() { # name pid whip whep [token]
  local name=$1 pid=$2 whip=$3 whep=$4 token=${5:-}
  echo "== $name (pid $pid, CPU 0) — load tool on CPU 1, codec $CODEC, subs $SUBS, ${STEP}s a step"
  taskset -c 1 "$BUILD/bench/bench_sfu_sfu_bench" --whip-url "$whip" --whep-url "$whep" \
    ${token:+--token "$token"} --pid "$pid" --codec "$CODEC" --distinct-ips \
    --subs "$SUBS" --seconds "$STEP" --sample "$SAMPLE" ${BURST:+--burst} | tee "$dir/$name.out" ||
    echo "peer.sh: the load tool failed against $name"
}

# ---- yuanjiao ----
cat >"$dir/yj.conf" <<CONF
[auth]
pbkdf2_iterations=1000
[media]
workers=1
interfaces=127.0.0.1
$([ "${ADMISSION:-off}" = off ] && printf 'max_load_percent=0\nmax_handshakes=0\n')
CONF
mkdir -p "$dir/yj"
taskset -c 0 "$BUILD/yuanjiao" --config "$dir/yj.conf" --data-dir "$dir/yj" --http-port 0 --demo \
  --log-level info >"$dir/yj.out" 2>"$dir/yj-sfu-peer-yuanjiao.log" &
yj=$!
pids+=("$yj")
url=
for _ in $(seq 200); do
  url=$(grep -so 'http://[^/ ]*' "$dir/yj.out" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "yuanjiao did not start"; cat "$dir/yj-sfu-peer-yuanjiao.log"; exit 1; }
for _ in $(seq 1200); do # the demo lesson is transcoded at start: not on the measured core's time
  grep -q 'lesson .* ready' "$dir/yj-sfu-peer-yuanjiao.log" && break
  sleep 0.1
done
token=$(curl -s -X POST -H 'Content-Type: application/json' \
  -d '{"username":"district","password":"demo-pass-2026"}' "$url/api/v1/session" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
yj_version=$(git -C "$here" rev-parse --short HEAD)
tool "yuanjiao-$yj_version" "$yj" "$url/whip/bench" "$url/whep/bench" "$token"
stop "$yj"

# ---- SRS ----
cat >"$dir/srs.conf" <<CONF
listen              127.0.0.1:19350;
max_connections     10000;
daemon              off;
pid                 $dir/srs.pid;
srs_log_tank        file;
srs_log_file        $dir/yj-sfu-peer-srs.log;
srs_log_level       warn;
http_api {
    enabled         on;
    listen          127.0.0.1:1985;
}
http_server {
    enabled         off;
}
rtc_server {
    enabled         on;
    listen          8000;
    candidate       127.0.0.1;
}
vhost __defaultVhost__ {
    rtc {
        enabled     on;
        rtmp_to_rtc off;
        rtc_to_rtmp off;
    }
}
CONF
(cd "$srs" && exec taskset -c 0 ./objs/srs -c "$dir/srs.conf") >"$dir/srs.out" 2>&1 &
sp=$!
pids+=("$sp")
for _ in $(seq 100); do
  curl -s -o /dev/null http://127.0.0.1:1985/api/v1/versions && break
  sleep 0.1
done
srs_version=$(curl -s http://127.0.0.1:1985/api/v1/versions | sed -n 's/.*"version":"\([^"]*\)".*/\1/p')
tool "srs-${srs_version:-unknown}" "$sp" "http://127.0.0.1:1985/rtc/v1/whip/?app=live&stream=bench" \
  "http://127.0.0.1:1985/rtc/v1/whep/?app=live&stream=bench"
stop "$sp"

# ---- summary: at each server's largest N with < 0.5 % loss ----
echo
printf '%-22s %10s %14s %10s %10s\n' server "largest N" "cpu/pkt µs" "p99 ms" "fwd pkt/s"
for f in "$dir"/*.out; do
  name=$(basename "$f" .out)
  case $name in yj|srs) continue;; esac
  awk -v name="$name" '
    /^largest N/ { n = $NF }
    $1 ~ /^[0-9]+$/ { cpu[$1] = $4; p99[$1] = $7; fwd[$1] = $2 }
    END { printf "%-22s %10d %14s %10s %10s\n", name, n, (n in cpu) ? cpu[n] : "-",
          (n in p99) ? p99[n] : "-", (n in fwd) ? fwd[n] : "-" }' "$f"
done
