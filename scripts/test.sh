#!/usr/bin/env bash
# Sets everything up, then builds a second tree with clang under
# AddressSanitizer + UBSan (with the libFuzzer targets) and runs the whole
# suite there: unit, integration, browser and fuzz tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build-asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  -DYJ_SANITIZE=ON -DYJ_FUZZ=ON -DYJ_FUZZ_SECONDS="${YJ_FUZZ_SECONDS:-15}" >/dev/null
cmake --build build-asan -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
ctest --output-on-failure -j"${YJ_TEST_JOBS:-2}" "$@"
