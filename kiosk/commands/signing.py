"""`kiosk keys generate` and `kiosk command sign`: the back office's command key, without a back office.

For tests, for a first installation, and for an operator who must reach a
kiosk before the console exists. The private key never goes on a kiosk:
kiosks get only the public key (`telemetry.command_key_file`).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

PRIVATE, PUBLIC = "command-signing.key", "command-signing.pub"


def generate(args) -> int:
    from wire.signing import generate_keypair

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if (out / PRIVATE).exists() or (out / PUBLIC).exists():
        print(f"error: {out} already holds a command key; refusing to overwrite it", file=sys.stderr)
        return 2
    private, public = generate_keypair()
    fd = os.open(out / PRIVATE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private)
    (out / PUBLIC).write_bytes(public)
    print(f"private key: {out / PRIVATE} (mode 0600; keep it in the back office only)\n"
          f"public key:  {out / PUBLIC} (install on kiosks as telemetry.command_key_file)")
    return 0


def sign(args) -> int:
    from wire.commands import check_args
    from wire.errors import WireError
    from wire.signing import MAX_LIFETIME_S, KeyFileError, load_private_key
    from wire.signing import sign as sign_command

    try:
        key = load_private_key(args.key)
    except KeyFileError as exc:
        print(f"error: --key: {exc}", file=sys.stderr)
        return 2
    try:
        cmd_args = json.loads(args.args)
    except ValueError:
        cmd_args = None
    if not isinstance(cmd_args, dict):
        print("error: --args: must be a JSON object, e.g. '{\"force\": true}'", file=sys.stderr)
        return 2
    try:
        check_args(args.cmd, cmd_args)  # what the kiosk would answer with an error, refused before signing
    except WireError as exc:
        print(f"error: --args: {exc}", file=sys.stderr)
        return 2
    if not 0 < args.ttl <= MAX_LIFETIME_S:
        print(f"error: --ttl: must be 1-{MAX_LIFETIME_S} seconds (kiosks refuse longer-lived commands)",
              file=sys.stderr)
        return 2
    now = int(time.time())
    try:
        msg = sign_command(key, kiosk=args.kiosk, cmd=args.cmd, args=cmd_args, issued_at=now,
                           expires_at=now + args.ttl, command_id=args.id)
    except ValueError as exc:
        print(f"error: --args: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(msg, ensure_ascii=False, separators=(",", ":")))
    return 0


def register(sub) -> None:
    from wire.commands import NAMES

    k = sub.add_parser("keys", help="the command-signing key pair")
    ks = k.add_subparsers(dest="keys_cmd", required=True)
    g = ks.add_parser("generate", help="make an Ed25519 key pair for signing fleet commands")
    g.add_argument("--out", required=True, help="directory for command-signing.key and command-signing.pub")
    g.set_defaults(func=generate)
    c = sub.add_parser("command", help="fleet commands")
    cs = c.add_subparsers(dest="command_cmd", required=True)
    s = cs.add_parser("sign", help="print a signed command, ready to publish on kiosk/v1/<id>/cmd (not retained)")
    s.add_argument("--key", required=True, help="the private key from `kiosk keys generate`")
    s.add_argument("--kiosk", required=True, help="the kiosk id the command is for")
    s.add_argument("--cmd", required=True, choices=NAMES, help=", ".join(NAMES))
    s.add_argument("--args", default="{}", help="the command's arguments as a JSON object")
    s.add_argument("--ttl", type=int, default=300, help="seconds until the command expires (default 300)")
    s.add_argument("--id", default=None, help="command id (default: random)")
    s.set_defaults(func=sign)
