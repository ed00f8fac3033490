"""Verification codes printed on documents: unguessable, easy to read, and the backend's own when it has one.

Whoever holds a code can check, and for some items download, the document
online, so a code is a secret of the person who holds the paper. It is 65
bits from the operating system's CSPRNG and never derived from the document
number, which is printed beside it and counts up. Crockford's base32 leaves
out I, L, O and U, so a code read aloud or typed in cannot mix up 1, I and L
or 0 and O; groups of 4-4-5 are easier to copy than 13 characters in a row.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
LENGTH = 13  # 13 characters x 5 bits = 65 bits
BACKEND_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{3,63}")  # goes into the verify URL as it is


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def backend_code(data: dict) -> str | None:
    """The code the backend issued (a call result named `verify_code`), when it is one a URL can carry.

    The backend that issues a document also answers its verification, so its
    own code is the one to print; a value that is not a plain code is ignored
    and the kiosk mints one.
    """
    code = data.get("verify_code")
    return code if isinstance(code, str) and BACKEND_CODE.fullmatch(code) else None
