"""The health snapshot: current facts only, no personal data."""
from pathlib import Path

from kiosk.controller import KioskController
from kiosk.engine.clock import VirtualClock
from kiosk.flow.registry import FlowRegistry
from kiosk.fleet.health import Counters, filesystem_type, kiosk_state, snapshot, system_figures
from kiosk.scenario.twins import open_devices
from wire.messages import Health

FLOWS = Path(__file__).resolve().parents[2] / "flows"


async def test_snapshot_reports_devices_items_system_and_state():
    reg = FlowRegistry(FLOWS)
    reg.reload()
    devices = await open_devices()
    c = KioskController(reg, devices, None, VirtualClock(), kiosk={"id": "K1"})
    counters = Counters()
    counters.visit("queue-ticket", "completed", {"ticket_dispenser": 1})
    counters.visit("queue-ticket", "failed", {})
    snap = snapshot(c, versions={"runtime": "0.1.0"}, counters=counters).as_dict()
    assert snap["state"] == "in_service"
    assert snap["counters"]["completions"] == {"queue-ticket": 1} and snap["counters"]["failures"] == {"queue-ticket": 1}
    assert snap["system"]["uptime_s"] >= 0 and snap["system"]["disk_free_mib"] > 0
    devices["document_printer"].inject("paper_out")
    c.refresh_home()
    health = snapshot(c, versions={}, counters=counters)
    snap = health.as_dict()
    assert snap["state"] == "degraded"
    assert snap["devices"]["document_printer"]["reasons"] == ["paper_out"]
    assert snap["items"]["social-security-certificate"] == {"available": False, "reasons": ["document_printer:paper_out"]}
    assert snap["items"]["queue-ticket"]["available"]
    assert Health.decode(health.encode()) == health  # publishable as is, and the console reads it back


def test_state_rules():
    assert kiosk_state("maintenance", {}, 0, 3) == "maintenance"
    assert kiosk_state("home", {"a": "ok"}, 0, 3) == "out_of_service"
    assert kiosk_state("home", {"a": "offline"}, 3, 3) == "degraded"
    assert kiosk_state("visit", {"a": "warning"}, 3, 3) == "in_service"


MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:25 / /run rw,nosuid shared:5 - tmpfs tmpfs rw
41 22 8:17 / /var/lib/kiosk rw,noatime shared:9 - ext4 /dev/sdb1 rw
"""


def test_the_filesystem_under_the_kiosk_state_is_found_by_the_longest_mount():
    assert filesystem_type(Path("/var/lib/kiosk/journal.db"), MOUNTINFO) == "ext4"
    assert filesystem_type(Path("/run/kiosk"), MOUNTINFO) == "tmpfs"
    assert filesystem_type(Path("/var/lib/kioskette"), MOUNTINFO) == "ext4"  # the root's, not /var/lib/kiosk's
    initramfs = MOUNTINFO.replace("ext4 /dev/sda1", "rootfs rootfs")  # the image booted without a data partition
    assert filesystem_type(Path("/var/lib/kioskette"), initramfs) == "rootfs"


def test_health_says_when_the_journal_would_not_survive_a_power_cut():
    assert system_figures(Path("/dev/shm"))["state_persistent"] is False  # tmpfs on every Linux


async def test_health_says_whether_the_journal_can_link_visits(tmp_path):
    """Operations must see a kiosk whose journal key was never provisioned: its statistics have no citizens."""
    import secrets

    from kiosk.journal import Journal

    reg = FlowRegistry(FLOWS)
    reg.reload()
    devices = await open_devices()
    for key, expected in ((None, False), (secrets.token_bytes(32), True)):
        journal = Journal(tmp_path / f"{expected}.db", key=key)
        c = KioskController(reg, devices, None, VirtualClock(), kiosk={"id": "K1"}, journal=journal)
        assert snapshot(c, versions={}, counters=Counters()).journal.pseudonymous is expected
        journal.close()


async def test_a_visit_under_way_reports_its_item_and_step_only():
    reg = FlowRegistry(FLOWS)
    reg.reload()
    c = KioskController(reg, await open_devices(), None, VirtualClock(), kiosk={"id": "K1"})
    assert snapshot(c, versions={}, counters=Counters()).visit == {}
    assert c.start("queue-ticket")
    health = snapshot(c, versions={}, counters=Counters())
    assert health.visit["item"] == "queue-ticket" and set(health.visit) == {"item", "step"}
    assert health.visit["step"] == c.runner.session.frame.step_id
    assert Health.decode(health.encode()).visit == health.visit
    assert "visit" not in health.facts()  # a step alone does not make a report
