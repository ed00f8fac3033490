"""Subcommands of `kiosk`, one module per group."""
from __future__ import annotations

import sys


def load_config(args):
    """The configuration, or None after printing why not (the caller exits 2)."""
    from kiosk import config

    try:
        return config.load(args.config)
    except config.ConfigError as exc:
        print(exc, file=sys.stderr)
        return None
