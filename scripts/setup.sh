#!/usr/bin/env bash
# Installs every dependency from Debian's packages and npm (idempotent) and
# builds yuanjiao into build/. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libglib2.0-dev libnice-dev libsrtp2-dev libssl-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libmicrohttpd-dev libsqlite3-dev libjansson-dev libcmocka-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-nice ffmpeg
  chromium fonts-noto-cjk sqlite3 curl wrk nginx-light iproute2 python3 ca-certificates
  coturn nftables xmltv-util libxml2-utils
  gstreamer1.0-x vlc-bin vlc-plugin-base
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# coturn is only for the STUN/TURN browser tests, which start their own
# turnserver on addresses they create. Debian's SysV script starts nothing
# while TURNSERVER_ENABLED is unset in /etc/default/coturn, but its systemd
# unit starts at install: when this run installed it on a machine run by
# systemd, stop and disable it (a coturn set up before is left alone).
if [[ " ${missing[*]} " == *" coturn "* ]] && [ -d /run/systemd/system ] &&
  command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now coturn.service >/dev/null 2>&1 || true
fi

# Page libraries (hls.js) and the browser-test driver (playwright-core),
# exactly as locked in package-lock.json.
# A stamp of the lockfile's hash skips the reinstall when nothing changed.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.yj-lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_sum" > node_modules/.yj-lock-sha256
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
