#!/usr/bin/env bash
# Sets everything up and starts yuanjiao with the demo organisation.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p data
exec build/yuanjiao --data-dir data --demo "$@"
