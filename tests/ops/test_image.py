"""The OS image: built with mkosi as a cpio, booted under qemu without KVM.

It must come up with kiosk.service ready (systemd logs "Started" for a
Type=notify unit only once READY=1 arrived, after the first frame), and a
UI thread that hangs must be restarted by systemd's watchdog and become
ready again. A data partition (KIOSK-DATA) is attached: it must be mounted
before the kiosk starts, and after the power is cut it must hold the restart
counter with both starts and the transaction journal. The kernel command line carries the test-only fault hook
(``systemd.setenv=KIOSK_TEST_FREEZE=ui-thread@N``) and sends the journal to
the serial console, which is all the test reads.

Slow (an image build and a software-emulated boot): ``make test-slow``.
Set KIOSK_TEST_IMAGE=DIR to boot an image already built by image/build.sh.
"""
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 2400
BOOT_TIMEOUT_S = 1500  # software emulation: boot, first frame, hang, watchdog, restart, second frame

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="mkosi builds as root"),
    pytest.mark.skipif(not (shutil.which("mkosi") and shutil.which("qemu-system-x86_64")),
                       reason="mkosi and qemu-system-x86 missing: make test-slow installs them (IMAGE=1 scripts/bootstrap.sh)"),
]

DATA = re.compile(r"KIOSK-DATA mounted on /var/lib/kiosk")
READY = re.compile(r"Started kiosk\.service")
WATCHDOG = re.compile(r"kiosk\.service: Watchdog timeout")
HANG = re.compile(r"watchdog\.test_fault")


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    prebuilt = os.environ.get("KIOSK_TEST_IMAGE")
    if prebuilt:
        return Path(prebuilt)
    out = tmp_path_factory.mktemp("image")
    r = subprocess.run([str(ROOT / "image" / "build.sh")], env={**os.environ, "KIOSK_IMAGE_DIR": str(out)},
                       capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    return out


def data_disk(path: Path) -> Path:
    """A provisioned kiosk's data partition: 64 MB of ext4 labelled KIOSK-DATA."""
    with path.open("wb") as f:
        f.truncate(64 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "KIOSK-DATA", str(path)], check=True, timeout=60)
    return path


def replay_journal(disk: Path) -> None:
    """After the power cut, as the next boot would: fsck replays ext4's journal."""
    subprocess.run(["e2fsck", "-fy", str(disk)], capture_output=True, timeout=120)


def read_from(disk: Path, name: str) -> bytes:
    r = subprocess.run(["debugfs", "-R", f"cat /{name}", str(disk)], capture_output=True, timeout=60)
    return r.stdout


def boot(image: Path, hang_after_s: int, disk: Path) -> subprocess.Popen:
    append = " ".join([
        "console=ttyS0", "rdinit=/sbin/init", "panic=-1", "quiet",
        "systemd.show_status=1", "systemd.journald.forward_to_console=1",
        f"systemd.setenv=KIOSK_TEST_FREEZE=ui-thread@{hang_after_s}",
    ])
    return subprocess.Popen(
        ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-smp", "2", "-m", "4096",
         "-kernel", str(image / "vmlinuz"), "-initrd", str(image / "kiosk.cpio.zst"), "-append", append,
         "-drive", f"file={disk},format=raw,if=virtio",
         "-vga", "std", "-display", "none", "-serial", "stdio", "-monitor", "none", "-nic", "none", "-no-reboot"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_the_image_boots_to_a_ready_kiosk_and_the_watchdog_restarts_a_hung_ui(image, tmp_path):
    console = tmp_path / "console.log"
    disk = data_disk(tmp_path / "data.img")
    vm = boot(image, hang_after_s=20, disk=disk)
    seen: list[str] = []  # the milestones, in the order the console showed them
    want = [("data partition", DATA), ("ready", READY), ("hang", HANG), ("watchdog", WATCHDOG), ("ready again", READY)]
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    buf = b""
    try:
        with console.open("wb") as log:
            while len(seen) < len(want) and time.monotonic() < deadline:
                ready, _, _ = select.select([vm.stdout], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    break
                chunk = os.read(vm.stdout.fileno(), 65536)
                if not chunk:
                    break  # qemu exited (kernel panic, power off)
                log.write(chunk)
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    text = line.decode("utf-8", "replace")
                    name, pattern = want[len(seen)] if len(seen) < len(want) else (None, None)
                    if pattern is not None and pattern.search(text):
                        seen.append(name)
    finally:
        vm.kill()  # a power cut
        vm.wait(30)
    tail = console.read_text(errors="replace")[-4000:]
    assert seen == [name for name, _ in want], f"console showed {seen}; last output:\n{tail}"
    # Both starts were counted on the data partition, and survived the power cut with the journal.
    replay_journal(disk)
    starts = json.loads(read_from(disk, "restarts.json") or b"[]")
    assert len(starts) == 2, starts
    assert read_from(disk, "journal.db").startswith(b"SQLite format 3")
