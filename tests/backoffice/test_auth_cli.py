"""`backoffice users` and `backoffice tokens` as an administrator runs them, and serve's production check."""
import subprocess
import sys
from pathlib import Path

from backoffice import audit, db
from backoffice.auth.accounts import Accounts
from backoffice.auth.demo import ensure_demo_accounts
from backoffice.auth.tokens import Tokens
from backoffice.config import AuthConfig

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"


def run(*args, cwd, stdin=""):
    return subprocess.run([sys.executable, "-m", "backoffice.cli", *args], cwd=cwd, capture_output=True, text=True,
                          input=stdin, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "USER": "ops"},
                          timeout=60)


def engine_in(tmp_path):
    return db.engine(f"sqlite:///{tmp_path / 'backoffice.db'}")


def test_users_add_passwd_list_with_the_password_from_stdin_or_a_file(tmp_path):
    out = run("users", "add", "olga", "--role", "operator", cwd=tmp_path, stdin=PASSWORD + "\n")
    assert out.returncode == 0, out.stderr
    assert PASSWORD not in out.stdout + out.stderr
    (tmp_path / "pw").write_text("another-long-passphrase\n")
    out = run("users", "passwd", "olga", "--password-file", "pw", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    eng = engine_in(tmp_path)
    accounts = Accounts(eng, AuthConfig())
    assert accounts.sign_in("olga", "another-long-passphrase", address="t").user.role == "operator"
    assert accounts.sign_in("olga", PASSWORD, address="t").user is None
    listing = run("users", "list", cwd=tmp_path).stdout.splitlines()
    assert listing[1].split()[:3] == ["olga", "operator", "active"]
    assert [(r.actor, r.action) for r in audit.entries(eng, action="user")] == [
        ("cli:ops", "user.passwd"), ("cli:ops", "user.add")]
    eng.dispose()


def test_a_password_cannot_be_given_on_the_command_line_and_defaults_are_refused(tmp_path):
    out = run("users", "add", "olga", "--role", "admin", "--password", PASSWORD, cwd=tmp_path)
    assert out.returncode == 2 and "unrecognized arguments" in out.stderr
    out = run("users", "add", "olga", "--role", "admin", cwd=tmp_path, stdin="admin123\n")
    assert out.returncode == 1 and "shorter than 10" in out.stderr
    out = run("users", "add", "olga", "--role", "admin", cwd=tmp_path, stdin="1234567890\n")
    assert out.returncode == 1 and "known default" in out.stderr
    out = run("users", "add", "olga", "--role", "root", cwd=tmp_path, stdin=PASSWORD + "\n")
    assert out.returncode == 2 and "invalid choice: 'root'" in out.stderr
    out = run("users", "passwd", "nobody", cwd=tmp_path, stdin=PASSWORD + "\n")
    assert out.returncode == 1 and out.stderr.strip() == "backoffice: no account 'nobody'"


def test_tokens_are_printed_once_listed_without_their_value_and_revocable(tmp_path):
    out = run("tokens", "add", "city-dashboard", "--role", "viewer", cwd=tmp_path)
    token = out.stdout.strip()
    assert out.returncode == 0 and token.startswith("bo_") and len(token) > 40
    eng = engine_in(tmp_path)
    assert Tokens(eng).resolve(token).role == "viewer"
    listing = run("tokens", "list", cwd=tmp_path).stdout
    assert "city-dashboard" in listing and token not in listing and token[:10] in listing
    assert run("tokens", "revoke", "city-dashboard", cwd=tmp_path).returncode == 0
    assert Tokens(eng).resolve(token) is None
    assert run("tokens", "revoke", "city-dashboard", cwd=tmp_path).returncode == 1
    eng.dispose()


def test_in_production_serve_refuses_to_start_while_an_account_has_a_default_password(tmp_path):
    eng = engine_in(tmp_path)
    db.upgrade(eng)
    ensure_demo_accounts(eng)  # a database left over from a demo
    eng.dispose()
    out = run("serve", "--port", "0", cwd=tmp_path)
    assert out.returncode == 1
    assert "known default password: admin, operator, viewer" in out.stderr
    for name in ("admin", "operator"):
        assert run("users", "passwd", name, cwd=tmp_path, stdin=f"{name}-real-passphrase\n").returncode == 0
    assert run("users", "disable", "viewer", cwd=tmp_path).returncode == 0
    listing = {line.split()[0]: line.split()[2] for line in run("users", "list", cwd=tmp_path).stdout.splitlines()[1:]}
    assert listing == {"admin": "active", "operator": "active", "viewer": "disabled"}
