"""Receipt pictures: what the printer would print, readable, with a scannable QR code."""
import shutil
import subprocess

import pytest

from devices.receipt_printer.sim import SimReceiptPrinter
from devices.records import Cut, QrCode, Receipt, Text


async def test_the_simulated_printer_leaves_a_picture_in_its_folder(tmp_path):
    p = SimReceiptPrinter("receipt", output_dir=str(tmp_path / "out"))
    await p.open()
    receipt = Receipt((Text("排队号", "center", 2, True), Text("A023", "center", 4), QrCode("https://example.gov.cn/t/A023"),
                       Cut()), job_id="K1-1")
    result = await p.print_receipt(receipt)
    assert result.printed
    (png,) = (tmp_path / "out").glob("*.png")
    from PIL import Image

    img = Image.open(png)
    assert img.width == 608 and img.height > 300
    lo, hi = img.convert("L").getextrema()
    assert (lo, hi) == (0, 255)
    if shutil.which("zbarimg"):
        out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, timeout=30)
        assert out.stdout.strip() == "https://example.gov.cn/t/A023"


async def test_a_failed_job_leaves_no_picture(tmp_path):
    p = SimReceiptPrinter("receipt", output_dir=str(tmp_path))
    p.inject("paper_out")
    from devices.errors import MediaError

    with pytest.raises(MediaError):
        await p.print_receipt(Receipt((Text("x"),)))
    assert list(tmp_path.glob("*.png")) == []


def test_demo_config_resolves_output_folders_next_to_it():
    from pathlib import Path

    from kiosk import config

    cfg = config.load("etc/demo.toml")
    out = cfg.devices["receipt_printer"].options()["output_dir"]
    assert Path(out).is_absolute() and out.endswith("var/demo/printed")


async def test_the_simulated_dispenser_leaves_a_ticket_picture(tmp_path):
    from devices.ticket_dispenser.sim import SimTicketDispenser

    d = SimTicketDispenser("tickets", hall_name="示例大厅", output_dir=str(tmp_path))
    await d.open()
    ticket = await d.dispense("A", "社保业务", request_id="r1")
    assert (tmp_path / f"ticket-{ticket.number}.png").exists()
