"""Ending a process a test started: the way every fixture does it, in one place."""
from __future__ import annotations

import subprocess


def end_process(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    """SIGTERM, so the program runs its own shutdown (the thing a service stop does); SIGKILL if it has not
    ended within `timeout` seconds, so that a hung child cannot hang the test run."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
