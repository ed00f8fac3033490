"""Technician command: ``kiosk devices idcard --port PORT [--baud N] [--timeout S] --json``.

Why it prints the card: the technician checks a reader with their own test
card and must see that every field came through (rare characters, 长期,
addresses with spaces). This is the one place personal data is written
out, to stdout only, on request; logs still never get it. Exit codes tell
scripts what to do next: 0 read, 2 no card came (put one on the reader),
3 the reader, its SAM, the cable or the card could not be talked to.
"""
from __future__ import annotations

import asyncio
import json
import sys

from devices.errors import CardError, ConfigError, DeviceError, NoCard
from devices.records import IdCard
from devices.status import State

EXIT_OK, EXIT_NO_CARD, EXIT_DEVICE = 0, 2, 3
JSON_KEYS = ("name", "gender", "nation", "birth_date", "address", "id_number", "authority", "valid_from",
             "valid_to", "card_type")


def card_json(card: IdCard) -> dict:
    """The CLI's fixed shape: ISO 8601 dates, valid_to null for 长期, no photo."""
    full = card.as_json()
    return {key: full[key] for key in JSON_KEYS}


def run_idcard(port: str, baud: int, timeout: float) -> int:
    """Read one card and print it as JSON; see the module docstring for the exit codes."""
    _logs_to_stderr()
    from devices.id_reader.sam_serial import SerialIdCardReader  # imported on use: the CLI stays light

    try:
        reader = SerialIdCardReader("idcard-cli", port=port, baud=baud)
    except ConfigError as exc:
        return _fail(EXIT_DEVICE, port, "配置错误 / invalid configuration", exc)
    return asyncio.run(_read(reader, port, timeout))


async def _read(reader, port: str, timeout: float) -> int:
    try:
        await reader.open()
        if reader.status.state is State.OFFLINE:  # no port or no SAM answer: do not wait for a card
            return _fail(EXIT_DEVICE, port, "读卡器不可用 / reader unreachable", reader.status.detail)
        card = await reader.read_card(timeout=timeout)
    except NoCard:
        return _fail(EXIT_NO_CARD, port, "未放卡 / no card", f"no card within {timeout:g}s")
    except CardError as exc:
        return _fail(EXIT_DEVICE, port, "卡片无法读取 / card unreadable", exc)
    except DeviceError as exc:
        return _fail(EXIT_DEVICE, port, "读卡器故障 / reader or protocol error", exc)
    finally:
        await reader.close()
    sys.stdout.write(json.dumps(card_json(card), ensure_ascii=False) + "\n")
    return EXIT_OK


def _fail(code: int, port: str, what: str, detail: object) -> int:
    text = " ".join(str(detail).split()) or type(detail).__name__
    print(f"id reader {port}: {what}: {text}", file=sys.stderr)
    return code


def _logs_to_stderr() -> None:
    """stdout carries only the JSON and stderr one line; structlog's default would print to stdout.

    Only when nobody configured logging (a bare call); under ``kiosk`` the
    global ``--log-level`` decides, and a status warning may precede our line.
    """
    import logging

    import structlog

    if not structlog.is_configured():
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR),
                            logger_factory=structlog.PrintLoggerFactory(sys.stderr))
