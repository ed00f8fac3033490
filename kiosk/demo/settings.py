"""What the demo changes in a kiosk configuration: its backend, a journal key for this run only, its fleet."""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from kiosk.config import Config, JournalConfig, ServiceConfig, TelemetryConfig


def demo_config(cfg: Config, backend_url: str, declared: Iterable[str] = ()) -> Config:
    """Every service pointed at the demo backend (their timeouts kept), and a journal the demo can show.

    ``declared``: the services the bundle's services.yaml declares. Those the configuration does not name are
    pointed at the demo backend too, so that a new item answers in the demo with no configuration to edit."""
    services = {name: ServiceConfig(base_url=backend_url, timeout_s=s.timeout_s) for name, s in cfg.services.items()}
    services.update({name: ServiceConfig(base_url=backend_url) for name in declared if name not in services})
    return cfg.model_copy(update={"services": services, "journal": demo_journal(cfg.journal)})


def demo_journal(journal: JournalConfig) -> JournalConfig:
    """A demo convenience: a fresh journal key for this run, in this process's environment only, so that the
    demo's journal shows the citizen column. A real kiosk gets its key from the fleet (docs/operations.md)."""
    if journal.key_env or journal.key_file:
        return journal
    os.environ["KIOSK_DEMO_JOURNAL_KEY"] = secrets.token_hex(32)
    return JournalConfig(key_env="KIOSK_DEMO_JOURNAL_KEY")


def with_fleet(cfg: Config, host: str, port: int, command_key_file: Path) -> Config:
    """The demo kiosk as one of the demo's fleet: reporting to its broker, obeying its back office's commands."""
    telemetry = TelemetryConfig(host=host, port=port, command_key_file=command_key_file, health_interval_s=15)
    return cfg.model_copy(update={"telemetry": telemetry})
