#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/compare.sh — runs the same benches on two versions of yuanjiao in
# one sitting, alternating, so machine drift hits both alike.
#
#   bash bench/compare.sh BASE_REF [ROUNDS=2] [HEAD_REF=HEAD]
#
# Checks both refs out into temporary git worktrees (outside the
# repository's tree, removed at the end, so the working tree stays free),
# builds each in Release (build-bench/ in each), then for each round runs
# every bench in BENCHES on the base and then on the head, each with its
# own scripts. Output: one block per run, headed "== <bench> <base|head>
# round N", and the load average before each run. Environment: BENCHES
# (default "api progress hls sfu"), DURATION (seconds per measure, 5),
# SUBS (SFU steps, 200,500).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BASE=${1:?usage: bench/compare.sh BASE_REF [ROUNDS] [HEAD_REF]}
ROUNDS=${2:-2}
HEAD_REF=$(git rev-parse "${3:-HEAD}")
BENCHES=${BENCHES:-api progress hls sfu}
DURATION=${DURATION:-5}
SUBS=${SUBS:-200,500}
tmp=$(mktemp -d /tmp/yj-compare-XXXXXX)
base=$tmp/base head=$tmp/head
git worktree add -q --detach "$base" "$BASE"
git worktree add -q --detach "$head" "$HEAD_REF"
trap 'git -C "$ROOT" worktree remove --force "$base" >/dev/null 2>&1
      git -C "$ROOT" worktree remove --force "$head" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
for tree in "$base" "$head"; do
  ln -s "$ROOT/node_modules" "$tree/node_modules" 2>/dev/null || true
  cmake -S "$tree" -B "$tree/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
  # Only what the benches run: the tests of older trees may not build in
  # Release with a newer compiler.
  cmake --build "$tree/build-bench" -j2 --target yuanjiao bench_progress_progress_load \
    bench_sfu_sfu_bench >/dev/null
done
run() { # bench tree
  local b=$1 tree=$2
  case $b in
    api) (cd "$tree" && BUILD_DIR=build-bench DURATION=$DURATION KILL_AFTER=2 bash bench/api/run.sh) ;;
    progress) (cd "$tree" && YJ_BUILD=build-bench bash bench/progress/run.sh 1000 "$DURATION") ;;
    hls) (cd "$tree" && YJ_BUILD=build-bench bash bench/hls/run.sh "$DURATION") ;;
    sfu) (cd "$tree" && BUILD=build-bench SUBS=$SUBS SECONDS_PER_STEP=$DURATION bash bench/sfu/run.sh) ;;
    *) echo "unknown bench $b" >&2; return 2 ;;
  esac
}
for r in $(seq "$ROUNDS"); do
  for b in $BENCHES; do
    for side in base head; do
      tree=$head; [ $side = base ] && tree=$base
      echo "== $b $side round $r (load $(cut -d' ' -f1-3 /proc/loadavg))"
      run "$b" "$tree" 2>&1 || echo "(exit $?)"
    done
  done
done
