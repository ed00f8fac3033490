#!/usr/bin/env bash
# Brings a fresh Debian 12 (Python 3.11) to the point where the kiosk runs:
# system packages through apt-get, then a virtualenv with the locked Python
# packages and the project in it.
# Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

# System packages the runtime and its tests use. Each entry: command-or-file:package.
need=(
  "/usr/lib/python3.11/venv/__init__.py:python3-venv"
  "/usr/include/python3.11/Python.h:python3-dev"
  "/usr/bin/gcc:build-essential"
  "/usr/include/linux/input.h:linux-libc-dev"
  "/usr/bin/Xvfb:xvfb"
  "/usr/bin/xvfb-run:xvfb"
  "/usr/bin/xauth:xauth"
  "/usr/lib/x86_64-linux-gnu/dri/swrast_dri.so:libgl1-mesa-dri"
  "/usr/lib/x86_64-linux-gnu/libmtdev.so.1:libmtdev1"
  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk"
  "/usr/bin/espeak-ng:espeak-ng"
  "/usr/sbin/ippeveprinter:cups-ipp-utils"
  "/usr/bin/pdftotext:poppler-utils"
  "/usr/bin/zbarimg:zbar-tools"
  "/usr/sbin/mosquitto:mosquitto"
  "/usr/share/fonts/truetype/arphic/uming.ttc:fonts-arphic-uming"
  "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf:fonts-droid-fallback"
  "/usr/lib/x86_64-linux-gnu/libpangoft2-1.0.so.0:libpangoft2-1.0-0"
  "/usr/lib/x86_64-linux-gnu/libharfbuzz-subset.so.0:libharfbuzz-subset0"
  "/usr/bin/fc-match:fontconfig"
  "/usr/bin/chromium:chromium"                      # the console's page tests (Playwright, executable_path)
  "/usr/sbin/nats-server:nats-server"               # the back office's cluster ingest path
  "/usr/lib/postgresql/15/bin/initdb:postgresql"    # the back office's production database
  "/usr/bin/turnserver:coturn"                      # video help through TURN
  "/usr/bin/ffmpeg:ffmpeg"                          # lavfi camera and microphone, the demo's guide videos
)
# Building and booting the OS image (make image, make test-slow) needs more.
if [ "${IMAGE:-0}" = 1 ]; then
  need+=(
    "/usr/bin/mkosi:mkosi"
    "/usr/sbin/debootstrap:debootstrap"
    "/usr/bin/systemd-nspawn:systemd-container"
    "/usr/bin/cpio:cpio"
    "/usr/bin/zstd:zstd"
    "/usr/bin/qemu-system-x86_64:qemu-system-x86"
  )
fi
missing=()
for entry in "${need[@]}"; do
  path=${entry%%:*}; pkg=${entry#*:}
  [ -e "$path" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

PYTHON=${PYTHON:-/usr/bin/python3.11}
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
# Python packages come only from the lock (requirements/, written by `make lock`):
# exact versions, each file checked against its hash, nothing resolved here.
# The build tools come first and from the lock too, so that building the
# sdists and the project itself (--no-build-isolation) fetches nothing unhashed.
pip=("$VENV/bin/python" -m pip install -q --require-hashes)
"${pip[@]}" -r requirements/build.txt
"${pip[@]}" --no-build-isolation -r requirements/dev.txt
"$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
touch "$VENV/.bootstrapped"
echo "bootstrap: ready ($VENV)"
