#!/bin/sh
# Builds the kiosk OS image: build/image/kiosk.cpio.zst (the whole system, to
# boot as an initramfs) and build/image/vmlinuz (its kernel).
#
#   image/build.sh            (as root; make image does the same)
#
# Stages a copy of image/ with the runtime tree (kiosk/, devices/, wire/, assets/,
# flows/), wheels of its locked dependencies (requirements/runtime.txt) built
# here (same Debian 12 and Python 3.11 as the image), the units, the udev
# rules and the configuration, then runs mkosi. Needs mkosi, debootstrap,
# cpio, zstd and network access to the Debian mirror and PyPI.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${KIOSK_IMAGE_DIR:-$ROOT/build/image}
PY=${PYTHON:-$ROOT/.venv/bin/python}

rm -rf "$OUT"
mkdir -p "$OUT"
cp -a "$ROOT/image/." "$OUT/"
EXTRA=$OUT/mkosi.extra
LIB=$EXTRA/usr/lib/kiosk
mkdir -p "$LIB/app" "$LIB/wheels" "$EXTRA/etc/kiosk" "$EXTRA/etc/systemd/system" "$EXTRA/etc/udev/rules.d"

# The runtime as a source tree (assets and flows sit beside the code, as in a checkout).
for d in kiosk devices wire assets flows; do
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard -- "$d" | xargs -0 cp --parents -t "$LIB/app")
done
# Its dependencies: the runtime lock, every download checked against its hash,
# sdists built with the locked build tools of this venv (no isolation, so
# nothing unhashed is fetched). The image installs exactly these versions
# offline; its list carries no hashes, since a wheel built here from an sdist
# cannot match the sdist's hash.
"$PY" -m pip wheel --quiet --require-hashes --no-build-isolation --wheel-dir "$LIB/wheels" \
    -r "$ROOT/requirements/runtime.txt"
sed -e '/^ *#/d' -e '/^ *--hash=/d' -e 's/ *\\$//' "$ROOT/requirements/runtime.txt" > "$LIB/requirements.txt"

cp "$ROOT"/systemd/*.service "$EXTRA/etc/systemd/system/"
cp "$ROOT"/systemd/*.rules "$EXTRA/etc/udev/rules.d/"
cp "$ROOT/etc/kiosk.example.toml" "$EXTRA/etc/kiosk/kiosk.toml"

# nspawn (mkosi 14 runs package scripts in it) removes its propagation
# directory, and refuses to unless /run/systemd/nspawn is a tmpfs. In a
# container /run is not, so give it a private tmpfs in a mount namespace.
cd "$OUT"
unshare --mount --propagation private sh -c \
    'mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn && exec mkosi --force build'

# The kernel to boot it with, taken from the image itself.
zstd -dc kiosk.cpio.zst | (cd "$OUT" && cpio -i --quiet --to-stdout 'boot/vmlinuz-*') > vmlinuz
test -s vmlinuz
ls -l "$OUT/kiosk.cpio.zst" "$OUT/vmlinuz"
