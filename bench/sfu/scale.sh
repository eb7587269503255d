#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/sfu/scale.sh — one track, every core (issue 11 §1): in one run,
# the largest number of WHEP subscribers of one ~1 Mbit/s stream served
# with < 0.5 % loss by the daemon with 1 media worker, then with 2, and the
# ratio of the two (target ≥ 1.8×). Each configuration gets a fresh daemon
# (bench/sfu/run.sh) under the same conditions: the daemon may use
# DAEMON_CPUS (all CPUs), the load tool TOOL_CPUS (all CPUs) and waits in
# epoll (SLEEP=1) rather than busy-polling, since on a small machine it
# shares the daemon's cores. Admission is off (ADMISSION=off) so that the
# figure is the forwarding's, not the admission threshold's. Each search
# ends after its first step with >= 0.5 % loss (STOP_ON_LOSS=1): past
# saturation every WHEP POST waits seconds and the steps only get longer.
#   SUBS=300,600,900 SECONDS_PER_STEP=10 BUILD=build bash bench/sfu/scale.sh
# Prints each run's table, then "workers=1 N=…", "workers=2 N=…",
# "ratio 2/1: …" and the kernel floor (udp_floor) at the 1-worker N.
set -euo pipefail
cd "$(dirname "$0")/../.."
all="0-$(($(nproc) - 1))"
export DAEMON_CPUS=${DAEMON_CPUS:-$all} TOOL_CPUS=${TOOL_CPUS:-$all} SLEEP=${SLEEP:-1}
export ADMISSION=${ADMISSION:-off} STOP_ON_LOSS=${STOP_ON_LOSS:-1}
export SUBS=${SUBS:-300,600,900,1200,1500,1800,2100,2400}
declare -A best
out=$(mktemp /tmp/yj-sfu-scale-XXXXXX)
trap 'rm -f "$out"' EXIT
for w in ${WORKER_COUNTS:-1 2}; do
  echo "== $w media worker(s); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  WORKERS=$w bash bench/sfu/run.sh | tee "$out"
  best[$w]=$(sed -n 's/^largest N with < 0.5% loss: \([0-9]*\)$/\1/p' "$out" | tail -1)
  best[$w]=${best[$w]:-0}
done
for w in ${WORKER_COUNTS:-1 2}; do
  echo "workers=$w N=${best[$w]}"
done
if [ "${best[1]:-0}" -gt 0 ] && [ -n "${best[2]:-}" ]; then
  awk -v a="${best[1]}" -v b="${best[2]}" 'BEGIN { printf "ratio 2/1: %.2f\n", b / a }'
fi
# The kernel's floor in the same run: CPU per 1,200-byte loopback datagram
# sent to as many sockets as one worker served (bench/sfu/udp_floor.c), to
# set beside the runs' "cpu/pkt µs".
n=${best[1]:-0}
[ "$n" -gt 0 ] || n=500
taskset -c 0 "${BUILD:-build}/bench/bench_sfu_udp_floor" --subs "$n" | sed 's/^/floor: /'
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
