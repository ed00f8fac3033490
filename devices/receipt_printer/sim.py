"""The simulated receipt printer: keeps what it printed, and draws it as PNG when given a folder (the demo)."""
from __future__ import annotations

from devices.contracts import ReceiptPrinter
from devices.records import PrintResult, Receipt
from devices.simulation import SimPrinter, keep, output_dir


class SimReceiptPrinter(SimPrinter, ReceiptPrinter):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self.printed: list[Receipt] = []
        self.output_dir = output_dir(options)

    def capabilities(self) -> dict:
        return {"cjk_encoding": "gb18030", "native_qr": True, "dots_per_line": 576, "cutter": True}

    async def print_receipt(self, receipt: Receipt, *, timeout: float = 30.0) -> PrintResult:
        await self._job(receipt.job_id, timeout)
        n = keep(self.printed, receipt)
        if self.output_dir is not None:
            from devices.receipt_printer.image import render_receipt

            render_receipt(receipt).save(self.output_dir / f"{n:03d}-{receipt.job_id or 'receipt'}.png")
        return PrintResult(receipt.job_id, True, 1, detail=self._result_detail())
