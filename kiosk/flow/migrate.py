"""Ordered migrations of the flow format, so old files keep loading.

Each migration takes the plain data of version N and returns version N+1.
The loader applies them in memory; ``kiosk flows migrate`` writes the result.
"""
from __future__ import annotations

from collections.abc import Callable

from kiosk.flow.model import FORMAT_VERSION


def _v1_to_v2(doc: dict) -> dict:
    """v1 kept steps as a mapping keyed by id and called the wait limit `timeout`."""
    doc = dict(doc)
    steps = doc.get("steps")
    if isinstance(steps, dict):
        doc["steps"] = [{"id": sid, **(body if isinstance(body, dict) else {})} for sid, body in steps.items()]
    if isinstance(doc.get("steps"), list):
        doc["steps"] = [_rename(s, "timeout", "timeout_s") for s in doc["steps"]]
    doc["format"] = 2
    return doc


def _rename(step, old: str, new: str):
    if isinstance(step, dict) and old in step and new not in step:
        step = {(new if k == old else k): v for k, v in step.items()}
    return step


MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2}


class MigrationError(ValueError):
    pass


def migrate(doc: dict) -> tuple[dict, int]:
    """Bring a document to the current format; returns it and the version it had."""
    version = doc.get("format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise MigrationError(f"`format` must be an integer (current format is {FORMAT_VERSION})")
    if version > FORMAT_VERSION:
        raise MigrationError(f"format {version} is newer than this runtime understands ({FORMAT_VERSION}); upgrade the kiosk")
    if version < 1:
        raise MigrationError(f"format {version} does not exist")
    original = version
    while version < FORMAT_VERSION:
        doc = MIGRATIONS[version](doc)
        version += 1
    return doc, original
