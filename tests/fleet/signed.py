"""A back office in miniature for tests: a key pair and signed commands for one kiosk."""
import json
import time
from pathlib import Path

from wire import signing


class BackOffice:
    def __init__(self, tmp: Path):
        private, public = signing.generate_keypair()
        self.key_file = tmp / "command-signing.pub"
        self.key_file.write_bytes(public)
        (tmp / "command-signing.key").write_bytes(private)
        self.private = signing.load_private_key(tmp / "command-signing.key")
        self.public = signing.load_public_key(self.key_file)

    def command(self, kiosk: str, cmd: str, args: dict | None = None, *, ttl: int = 300, issued_at: int | None = None,
                command_id: str | None = None) -> dict:
        now = int(time.time()) if issued_at is None else issued_at
        return signing.sign(self.private, kiosk=kiosk, cmd=cmd, args=args, issued_at=now, expires_at=now + ttl,
                            command_id=command_id)

    def payload(self, *a, **kw) -> bytes:
        return json.dumps(self.command(*a, **kw)).encode()
