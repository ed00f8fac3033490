"""structlog set up once: readable in development, JSON in production.

A last-line processor drops any field whose name says it holds personal data,
so a careless log call cannot leak a name or ID number.
"""
from __future__ import annotations

import logging
import sys

import structlog

PERSONAL_KEYS = frozenset({"name", "id_number", "address", "birth_date", "phone", "card", "photo", "english_name"})


def _scrub(logger, method, event: dict) -> dict:
    for key in PERSONAL_KEYS & event.keys():
        event[key] = "<redacted>"
    return event


def setup(fmt: str = "console", level: str = "info", stream=None) -> None:
    lvl = getattr(logging, level.upper())
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _scrub,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
