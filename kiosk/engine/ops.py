"""Executes the engine's ops on real or simulated devices and on backend services.

Each op ends as (outcome, data, detail): the device layer's typed errors
are translated to the step kinds' outcomes here and nowhere else.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import structlog

from devices.errors import (CardError, DeviceError, DeviceOffline, DeviceTimeout, MediaError, NoCard)
from devices.status import Reason
from kiosk.engine.messages import StartOp

log = structlog.get_logger("kiosk.ops")
Result = tuple[str, object, str]


class OpExecutor:
    def __init__(self, devices: Mapping[str, object], services, *, pdf_renderer: Callable | None = None):
        self.devices = devices
        self.services = services
        self.pdf_renderer = pdf_renderer
        self.printed: list = []  # documents confirmed printed, in order (journal and tests)
        self.tickets: list = []

    async def run(self, op: StartOp) -> Result:
        if op.target == "service":
            args = op.args
            return await self.services.call(op.name, args["request"], timeout=float(args.get("timeout_s") or 10),
                                            idempotency_key=args.get("idempotency_key"))
        device = self.devices.get(op.target)
        if device is None:
            return "error", None, f"no {op.target} configured"
        try:
            return await getattr(self, f"_{op.name}")(device, op)
        except NoCard:
            return "timeout", None, "no card"
        except CardError as exc:
            return "unreadable", None, str(exc)[:120]
        except MediaError as exc:
            return ("paper_out" if exc.reason == Reason.PAPER_OUT else "printer_error"), None, str(exc)[:120]
        except (DeviceOffline, DeviceTimeout) as exc:
            printer = op.target in ("receipt_printer", "document_printer", "ticket_dispenser")
            return ("printer_error" if printer else "error"), None, str(exc)[:120]
        except DeviceError as exc:
            return "error", None, str(exc)[:120]

    async def _read_card(self, device, op) -> Result:
        return "ok", await device.read_card(timeout=None), ""

    async def _read_code(self, device, op) -> Result:
        return "ok", await device.read_code(timeout=None), ""

    async def _print(self, device, op) -> Result:
        doc = op.args["document"]
        timeout = float(op.args.get("timeout_s") or 60)
        for _ in range(op.args.get("copies", 1)):
            if op.target == "receipt_printer":
                result = await device.print_receipt(doc.receipt, timeout=timeout)
            else:
                pdf = doc.pdf or await self._render(doc)
                result = await device.print_pdf(pdf, title=doc.number, timeout=timeout)
            if not result.printed:
                return "printer_error", None, result.detail[:120]
        self.printed.append(doc)
        return "ok", result, ""

    async def _print_slip(self, device, op) -> Result:
        """A receipt the engine composed itself (a referral slip), not a flow's document: not counted as one."""
        result = await device.print_receipt(op.args["receipt"], timeout=float(op.args.get("timeout_s") or 30))
        return ("ok", result, "") if result.printed else ("printer_error", None, result.detail[:120])

    async def _render(self, doc) -> bytes:
        """Off the event loop: a render takes 40-120 ms warm and about a second the first time."""
        if self.pdf_renderer is None:
            return (doc.html or "").encode()
        try:
            return await asyncio.to_thread(self.pdf_renderer, doc)
        except Exception as exc:  # a document that cannot be rendered is an error outcome, never a crash
            log.error("document.render_failed", document=doc.name, error=type(exc).__name__)
            raise DeviceError(f"document {doc.name} could not be rendered") from exc

    async def _dispense(self, device, op) -> Result:
        a = op.args
        ticket = await device.dispense(a["category"], a["service_name"], timeout=float(a.get("timeout_s") or 30),
                                       request_id=a.get("idempotency_key"))
        self.tickets.append(ticket)
        return "ok", ticket, ""

    async def _call_staff(self, device, op) -> Result:
        outcome = await device.call_staff(op.args)
        return outcome, None, ""
