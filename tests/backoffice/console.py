"""A real `backoffice serve` process and Debian's Chromium driven by Playwright, for the console's page tests.

Playwright never downloads a browser here: it launches /usr/bin/chromium (executable_path) with the flags
that keep it off the network. Tests that need it use the `page` fixture; with no Chromium they are skipped
with the reason, as `make test` installs it.
"""
from __future__ import annotations

import contextlib

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.processes import end_process

ROOT = Path(__file__).resolve().parents[2]  # this checkout, not whatever `backoffice` is installed
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


class Console:
    """`backoffice serve` in its own directory, on a free port, against the given broker."""

    def __init__(self, workdir: Path, port: int, broker_port: int, extra_toml: str = ""):
        self.workdir, self.port = workdir, port
        self.url = f"http://127.0.0.1:{port}"
        self.config = workdir / "backoffice.toml"
        self.config.write_text(f'[server]\nport = {port}\n\n[broker]\nhost = "127.0.0.1"\nport = {broker_port}\n'
                               + extra_toml)
        self.log = workdir / "backoffice.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "Console":
        self.proc = subprocess.Popen([sys.executable, "-m", "backoffice.cli", "--config", str(self.config), "serve"],
                                     cwd=self.workdir, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"backoffice exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/login", timeout=1):  # public: needs no account
                    return self
            except OSError:
                time.sleep(0.05)  # polling readiness of another process, not synchronising on time
        raise TimeoutError(f"backoffice not serving after {timeout} s:\n{self.log.read_text()[-3000:]}")

    def cli(self, *args: str, stdin: str = "") -> str:
        """`backoffice --config <this console's> ARGS`, as an administrator runs it; its standard output."""
        out = subprocess.run([sys.executable, "-m", "backoffice.cli", "--config", str(self.config), *args],
                             cwd=self.workdir, input=stdin, capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
        if out.returncode:
            raise RuntimeError(f"backoffice {' '.join(args)}: {out.stderr}")
        return out.stdout

    def add_user(self, name: str, role: str, password: str) -> None:
        """An account to sign in with: the console runs in production mode, with none by default."""
        self.cli("users", "add", name, "--role", role, stdin=password + "\n")

    def token(self, role: str = "viewer", name: str = "tests") -> str:
        """An API token for `Authorization: Bearer ...`."""
        return self.cli("tokens", "add", name, "--role", role).strip()

    def get(self, token: str, path: str) -> str:
        """GET `path` with an API token, as another government system would; the body as text."""
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.read().decode()

    def sign_in(self, page, name: str, password: str, path: str = "/") -> None:
        """Sign `page` (Playwright) in through the login form, then open `path`."""
        page.goto(f"{self.url}/login?next={path}")
        page.locator("input[name=name]").fill(name)
        page.locator("input[name=password]").fill(password)
        page.locator("form[action='/login'] button").click()
        page.wait_for_url(lambda url: "/login" not in url)

    def stop(self) -> None:
        end_process(self.proc)


@contextlib.contextmanager
def chromium(args: list[str]):
    """Debian's chromium under Playwright's sync API, for one test: that API keeps an event loop running while
    it is open, which pytest-asyncio's tests cannot share, so it must not outlive the test."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        yield b
        b.close()
