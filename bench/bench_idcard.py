"""Benchmark: a full ID card read (find + select + read) over a pty, beside its wire-time baseline.

Why two runs: a pty delivers bytes as fast as the kernel copies them, so an
unpaced read measures only the driver and codec. The paced run has the fake
write at 115200 baud 8N1 (10 bits per byte) and start each reply after the
command's own wire time, which is what a real UART link imposes; its excess
over the wire time is the driver's real cost. Goal: < 20 ms over the 1295-byte
30 01 reply's wire time. The SAM's ~1 s RF read is not modelled (it is the
card's time, not ours).

Run: ``.venv/bin/python bench/bench_idcard.py [N]``
"""
from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, installed or not

from bench._util import report  # noqa: E402
from devices.id_reader.sam_serial import SerialIdCardReader  # noqa: E402
from devices.id_reader.sample_cards import ZHANG_SAN  # noqa: E402
from devices.testing.fake_idcard import COMMAND_BYTES, FakeIdCardReader  # noqa: E402

BAUD = 115200
BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit
READ_REPLY, FIND_REPLY, SELECT_REPLY = 1295, 15, 19  # frame sizes from the SAM protocol reference
GOAL_MS = 20.0


def wire_ms(n_bytes: int) -> float:
    return n_bytes * BITS_PER_BYTE / BAUD * 1000


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]  # same rank as bench._util.report


async def measure(pace_baud: int | None, n: int) -> list[float]:
    with FakeIdCardReader(card=ZHANG_SAN, pace_baud=pace_baud) as fake:
        reader = SerialIdCardReader("bench", port=fake.port, baud=BAUD)
        await reader.open()
        await reader.read_card(timeout=2.0)  # warm-up: imports, first termios set-up
        times = []
        for _ in range(n):
            start = time.monotonic()
            card = await reader.read_card(timeout=2.0)
            times.append((time.monotonic() - start) * 1000)
            assert card == ZHANG_SAN
        await reader.close()
    return times


def main(argv: list[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 30
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
                        logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # figures only on stdout
    reply_wire = wire_ms(READ_REPLY)
    exchange_bytes = 3 * COMMAND_BYTES + FIND_REPLY + SELECT_REPLY + READ_REPLY
    unpaced = asyncio.run(measure(None, n))
    paced = asyncio.run(measure(BAUD, n))
    print(f"idcard: find + select + read of a resident card over a pty at {BAUD} 8N1, n={n}")
    print(f"{'idcard baseline: wire time of the 30 01 reply':<52} {reply_wire:8.3f} ms  ({READ_REPLY} bytes)")
    print(f"{'idcard baseline: wire time of the whole exchange':<52} {wire_ms(exchange_bytes):8.3f} ms  "
          f"({exchange_bytes} bytes both ways)")
    report("idcard read, pty unpaced (driver + codec only)", [t / 1000 for t in unpaced])
    med = report("idcard read, fake paced to the baud rate", [t / 1000 for t in paced])
    over = med - reply_wire
    print(f"{'idcard paced read over the reply wire time':<52} median {over:+8.3f} ms  "
          f"p95 {p95(paced) - reply_wire:+8.3f} ms  goal < {GOAL_MS:g} ms: {'met' if over < GOAL_MS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
