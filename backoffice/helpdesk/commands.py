"""`backoffice kiosks credential ID [--revoke]`: a kiosk's help-desk credential, from the server's shell.

The credential is printed once on standard output (for the kiosk's credential file, mode 0600) and kept only
as a hash; issuing again replaces it. Audited with the actor `cli:<unix user>`.
"""
from __future__ import annotations

import argparse
import getpass
import re
import sys

import structlog

from backoffice import db
from backoffice.config import Config
from backoffice.helpdesk.secrets import issue_kiosk_credential, revoke_kiosk_credential

COMMANDS = ("kiosks",)


def add_parsers(sub) -> None:
    kiosks = sub.add_parser("kiosks", help="kiosks' help-desk credentials").add_subparsers(dest="kiosks_cmd",
                                                                                          required=True)
    cred = kiosks.add_parser("credential", help="issue (print once) or revoke a kiosk's help-desk credential")
    cred.add_argument("kiosk_id")
    cred.add_argument("--revoke", action="store_true", help="withdraw it: the kiosk can no longer call")
    cred.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)


def run(args: argparse.Namespace, cfg: Config) -> int:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", args.kiosk_id):
        print("backoffice: a kiosk id matches [A-Za-z0-9_-]{1,32}", file=sys.stderr)
        return 2
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout: only the answer
    engine = db.engine(cfg.database.url)
    try:
        db.upgrade(engine)
        actor = f"cli:{getpass.getuser()}"
        if args.revoke:
            if not revoke_kiosk_credential(engine, args.kiosk_id, actor):
                print(f"backoffice: {args.kiosk_id} has no credential", file=sys.stderr)
                return 1
            print(f"credential of {args.kiosk_id} revoked")
            return 0
        print(issue_kiosk_credential(engine, args.kiosk_id, actor))
        print(f"{args.kiosk_id}: shown this once; put it in the kiosk's help-desk credential file (mode 0600)",
              file=sys.stderr)
        return 0
    finally:
        engine.dispose()
