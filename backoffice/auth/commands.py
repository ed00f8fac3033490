"""`backoffice users ...` and `backoffice tokens ...`: accounts and API tokens from the server's shell.

A password never comes from the command line (it would sit in the shell history and in `ps`): it is read
from a prompt (twice), from --password-file, or from the first line of standard input when that is not a
terminal. Every change is audited with the actor `cli:<unix user>`.
"""
from __future__ import annotations

import argparse
import getpass
import sys
import time

import structlog

from backoffice import db
from backoffice.auth import ROLES, passwords
from backoffice.auth.accounts import AccountError, Accounts
from backoffice.auth.tokens import Tokens
from backoffice.config import Config

COMMANDS = ("users", "tokens")


def add_parsers(sub) -> None:
    users = sub.add_parser("users", help="console accounts").add_subparsers(dest="users_cmd", required=True)
    # allow_abbrev off: `--password SECRET` must be an error, not taken for --password-file SECRET
    add = users.add_parser("add", help="create an account", allow_abbrev=False)
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    passwd = users.add_parser("passwd", help="set an account's password (also unlocks it, ends its sessions)",
                              allow_abbrev=False)
    passwd.add_argument("name")
    for p in (add, passwd):
        p.add_argument("--password-file", help="read the password from this file's first line ('-': stdin)")
    users.add_parser("list", help="the accounts, their roles and states")
    for verb, text in (("disable", "stop an account signing in (ends its sessions)"), ("enable", "allow it again"),
                       ("unlock", "end a lockout now")):
        users.add_parser(verb, help=text).add_argument("name")
    role = users.add_parser("role", help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    tokens = sub.add_parser("tokens", help="API tokens for other systems").add_subparsers(dest="tokens_cmd",
                                                                                         required=True)
    tadd = tokens.add_parser("add", help="create a token; it is printed once, never again")
    tadd.add_argument("name")
    tadd.add_argument("--role", choices=ROLES, default="viewer")
    tadd.add_argument("--days", type=float, help="expire after this many days (default: never)")
    tokens.add_parser("list", help="the tokens (names, roles, use), never their values")
    tokens.add_parser("revoke", help="revoke a token at once").add_argument("name")
    for group in (users, tokens):  # `backoffice users add X --config F` works like `backoffice --config F ...`
        for leaf in group.choices.values():
            leaf.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)


def run(args: argparse.Namespace, cfg: Config) -> int:
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout: only the answer
    engine = db.engine(cfg.database.url)
    try:
        db.upgrade(engine)
        actor = f"cli:{getpass.getuser()}"
        if args.cmd == "users":
            return _users(args, Accounts(engine, cfg.auth), actor, cfg.auth.min_password_length)
        return _tokens(args, Tokens(engine), actor)
    except (AccountError, passwords.PasswordRefused) as exc:
        print(f"backoffice: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _users(args, accounts: Accounts, actor: str, min_length: int) -> int:
    if args.users_cmd == "list":
        print(f"{'NAME':24} {'ROLE':10} {'STATE':10} LAST SIGN-IN")
        now = time.time()
        for a in accounts.list():
            state = ("disabled" if a.disabled else "locked" if a.locked_until and a.locked_until > now
                     else "default-pw" if a.default_password else "active")
            print(f"{a.name:24} {a.role:10} {state:10} {_when(a.last_login_at)}")
        return 0
    if args.users_cmd in ("add", "passwd"):
        password = _password(args.password_file, min_length)
        if password is None:
            return 1
        if args.users_cmd == "add":
            accounts.add(args.name, args.role, password, actor=actor)
            print(f"account {args.name} ({args.role}) created")
        else:
            accounts.set_password(args.name, password, actor=actor)
            print(f"password of {args.name} changed; its sessions have ended")
        return 0
    if args.users_cmd == "role":
        accounts.set_role(args.name, args.role, actor=actor)
    elif args.users_cmd == "unlock":
        accounts.unlock(args.name, actor=actor)
    else:
        accounts.set_disabled(args.name, args.users_cmd == "disable", actor=actor)
    print(f"account {args.name}: {args.users_cmd} done")
    return 0


def _tokens(args, tokens: Tokens, actor: str) -> int:
    if args.tokens_cmd == "add":
        token = tokens.issue(args.name, args.role, actor=actor, days=args.days)
        print(token)
        print(f"token {args.name} ({args.role}): shown this once; send it as 'Authorization: Bearer <token>'",
              file=sys.stderr)
    elif args.tokens_cmd == "revoke":
        tokens.revoke(args.name, actor=actor)
        print(f"token {args.name} revoked")
    else:
        print(f"{'NAME':24} {'ROLE':10} {'PREFIX':12} {'EXPIRES':17} LAST USED")
        for t in tokens.list():
            print(f"{t.name:24} {t.role:10} {t.prefix:12} {_when(t.expires_at):17} {_when(t.last_used_at)}")
    return 0


def _password(path: str | None, min_length: int) -> str | None:
    if path == "-" or (path is None and not sys.stdin.isatty()):
        return sys.stdin.readline().rstrip("\r\n")
    if path is not None:
        try:
            with open(path, encoding="utf-8") as f:
                return f.readline().rstrip("\r\n")
        except OSError as exc:
            print(f"backoffice: {path}: {exc.strerror}", file=sys.stderr)
            return None
    first = getpass.getpass(f"password (at least {min_length} characters): ")
    if getpass.getpass("again: ") != first:
        print("backoffice: the two passwords differ", file=sys.stderr)
        return None
    return first


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if at else "-"
