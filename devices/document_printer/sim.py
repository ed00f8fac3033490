"""The simulated A4 printer: keeps what it printed, and writes it to a folder when given one (the demo)."""
from __future__ import annotations

from devices.contracts import DocumentPrinter
from devices.records import PrintResult
from devices.simulation import SimPrinter, keep, output_dir


class SimDocumentPrinter(SimPrinter, DocumentPrinter):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self.printed: list[tuple[str, bytes]] = []
        self.output_dir = output_dir(options)

    async def print_pdf(self, pdf: bytes, *, title: str, copies: int = 1, timeout: float = 120.0) -> PrintResult:
        await self._job(title, timeout)
        n = keep(self.printed, (title, pdf))
        if self.output_dir is not None:
            suffix = ".pdf" if pdf.startswith(b"%PDF") else ".html"  # HTML until a PDF renderer is configured
            (self.output_dir / f"{n:03d}-{title}{suffix}").write_bytes(pdf)
        return PrintResult(title, True, copies, detail=self._result_detail())
