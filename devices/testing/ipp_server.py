"""Printers for the IPP tests: CUPS's real ippeveprinter on 127.0.0.1, and a scripted fake.

Why ippeveprinter: it is CUPS's reference IPP Everywhere printer, so the
driver meets real replies, job states and reason keywords, not our idea of
them. It needs no system services here: ippeveprinter 2.4 refuses to start
without DNS-SD even with ``-r off``, but it creates its Avahi client with
AVAHI_CLIENT_NO_FAIL, so a D-Bus *system bus* is all it needs, not
avahi-daemon. Each instance gets a private dbus-daemon on a socket in its
own temp dir (``DBUS_SYSTEM_BUS_ADDRESS``); nothing system-wide is started.
``-n localhost`` binds 127.0.0.1 and ::1 only (ippeveprinter needs both).

States for tests (checked with CUPS 2.4.2):
- paper and toner through ippeveprinter's web forms (/media, /supplies);
- any other reason through the per-job command (``-c``), which reads its
  behaviour from the job name: ``kiosk-state:+cover-open`` writes that
  ``STATE:`` line; ``*jam*`` jams and exits 1 (job aborted); ``*hold*`` takes
  the job and waits for :meth:`IppEvePrinter.release` (bounded); ``*slow*``
  reports one impression every 0.15 s for 0.75 s; anything else is
  captured to ``captured/<job-id>.pdf`` for pdftotext.
ippeveprinter runs in its own process group, so :meth:`kill` (the printer
vanishing), :meth:`freeze` (the printer going silent) and :meth:`stop` also
reach the job command it started.

:class:`ScriptedIppServer` answers with whatever a test builds: the states
and garbage ippeveprinter cannot produce (printer-state stopped, bad bytes).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from devices.document_printer.ipp_codec import Attribute, Group, GroupTag, Message, Tag, decode

IPPEVEPRINTER = shutil.which("ippeveprinter") or "/usr/sbin/ippeveprinter"
IPPTOOL = shutil.which("ipptool") or "/usr/bin/ipptool"
HOLD_LIMIT_TICKS = 1200  # a held job gives up after 1200 x 0.05 s = 60 s, so nothing outlives a test run

JOB_COMMAND = r"""#!/bin/sh
# ippeveprinter's per-job command for tests: $1 is the spooled document.
dir='@DIR@'
touch "$dir/started/$IPP_JOB_ID"
pages=1
case "$IPP_JOB_NAME" in
  kiosk-state:*) echo "STATE: ${IPP_JOB_NAME#kiosk-state:}" >&2; exit 0 ;;
  *jam*) echo "STATE: +media-jam" >&2; echo "ERROR: paper jam" >&2; exit 1 ;;
  *hold*) n=0
          while [ ! -e "$dir/release" ] && [ $n -lt @HOLD@ ]; do sleep 0.05; n=$((n + 1)); done
          exit 0 ;;
  *slow*) for pages in 1 2 3 4 5; do sleep 0.15; echo "ATTR: job-impressions-completed=$pages" >&2; done ;;
esac
cp "$1" "$dir/captured/$IPP_JOB_ID.tmp" && mv "$dir/captured/$IPP_JOB_ID.tmp" "$dir/captured/$IPP_JOB_ID.pdf"
echo "ATTR: job-impressions-completed=$pages" >&2
"""

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <!-- checked: without the eavesdrop rules, ippeveprinter 2.4.2 hangs before it listens -->
  <type>custom</type>
  <listen>unix:path=@SOCKET@</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

STATE_JOB_TEST = """{
  NAME "state job"
  OPERATION Print-Job
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name test
  ATTR name job-name $jobname
  ATTR mimeMediaType document-format application/pdf
  FILE $filename
  STATUS successful-ok
  EXPECT job-id
}
{
  NAME "wait for the job"
  OPERATION Get-Job-Attributes
  DELAY "0,0.05"
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job-id
  STATUS successful-ok
  EXPECT job-state WITH-VALUE >6 REPEAT-NO-MATCH REPEAT-LIMIT 200
}
"""

QUERY_TEST = """{
  NAME "query"
  OPERATION $op
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $jobid
  ATTR keyword requested-attributes job-state,printer-state,printer-state-reasons
  STATUS successful-ok
  DISPLAY job-state
  DISPLAY printer-state
  DISPLAY printer-state-reasons
}
"""

TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
           b"trailer<</Root 1 0 R>>\n%%EOF\n"


class IppEvePrinter:
    """``with IppEvePrinter() as printer: IppDocumentPrinter("a4", uri=printer.uri)``."""

    def __init__(self, name: str = "KioskA4", *, startup_timeout: float = 10.0):
        self.name = name
        self.startup_timeout = startup_timeout
        self.port = 0
        self.dir: Path | None = None
        self._printer: subprocess.Popen | None = None
        self._bus: subprocess.Popen | None = None

    # lifecycle ------------------------------------------------------------------
    def __enter__(self) -> "IppEvePrinter":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def uri(self) -> str:
        return f"ipp://127.0.0.1:{self.port}/ipp/print"

    @property
    def ipps_uri(self) -> str:
        """The same printer over TLS (ippeveprinter detects TLS on the same port)."""
        return f"ipps://127.0.0.1:{self.port}/ipp/print"

    def certificate_sha256(self) -> str:
        """The self-signed certificate's fingerprint, as a technician would pin it (after the first ipps call)."""
        import hashlib
        import ssl

        pem = (self.dir / "keys" / "localhost.crt").read_text()
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()

    def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="kiosk-ippeve-"))
        for sub in ("spool", "captured", "started", "keys"):
            (self.dir / sub).mkdir()
        command = self.dir / "job.sh"
        command.write_text(JOB_COMMAND.replace("@DIR@", str(self.dir)).replace("@HOLD@", str(HOLD_LIMIT_TICKS)))
        command.chmod(0o755)
        (self.dir / "state.test").write_text(STATE_JOB_TEST)
        (self.dir / "query.test").write_text(QUERY_TEST)
        (self.dir / "tiny.pdf").write_bytes(TINY_PDF)
        try:
            self._start_bus()
            for _attempt in range(3):  # another process may take the free port before ippeveprinter binds it
                if self._start_printer():
                    return
            raise RuntimeError(f"ippeveprinter did not start: {self.log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _start_bus(self) -> None:
        sock = self.dir / "bus"
        (self.dir / "bus.conf").write_text(BUS_CONFIG.replace("@SOCKET@", str(sock)))
        self._bus = subprocess.Popen(["dbus-daemon", f"--config-file={self.dir / 'bus.conf'}", "--nofork"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self._wait(lambda: sock.exists() or self._bus.poll() is not None, "the private D-Bus socket")
        if self._bus.poll() is not None:
            raise RuntimeError("dbus-daemon exited at start")

    def _start_printer(self) -> bool:
        self.port = _free_port()
        log = open(self.dir / "ippeveprinter.log", "ab")
        env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={self.dir / 'bus'}"}
        try:
            self._printer = subprocess.Popen(
                [IPPEVEPRINTER, "-p", str(self.port), "-n", "localhost", "-r", "off", "-k",
                 "-K", str(self.dir / "keys"),  # it makes a self-signed localhost certificate there: ipps://
                 "-d", str(self.dir / "spool"), "-f", "application/pdf", "-c", str(self.dir / "job.sh"),
                 "-m", "Kiosk A4 test", "-v", self.name],
                stdout=log, stderr=log, env=env, start_new_session=True)
        finally:
            log.close()
        self._wait(lambda: self._printer.poll() is not None or _listening(self.port), "ippeveprinter's port")
        return self._printer.poll() is None

    def stop(self) -> None:
        """Release held jobs, then end ippeveprinter (with its job command) and the bus; remove the files."""
        if self.dir is not None and self.dir.exists():
            (self.dir / "release").touch()
        self.thaw()  # a frozen printer would not act on SIGTERM
        _end_group(self._printer, signal.SIGTERM)
        _end_group(self._bus, signal.SIGTERM)
        self._printer = self._bus = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def kill(self) -> None:
        """The printer vanishes mid-job: SIGKILL, no goodbye on the sockets."""
        _end_group(self._printer, signal.SIGKILL)

    def freeze(self) -> None:
        """The printer goes silent: SIGSTOP, so the kernel still accepts connections and nothing answers."""
        if self._printer is not None and self._printer.returncode is None:
            _killpg(self._printer.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self._printer is not None and self._printer.returncode is None:
            _killpg(self._printer.pid, signal.SIGCONT)

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = (self.dir / "ippeveprinter.log").read_text(errors="replace")
        except (OSError, TypeError):
            return "no log"
        return " | ".join(text.strip().splitlines()[-lines:]) or "empty log"

    # states -------------------------------------------------------------------------
    def set_media(self, main: int = 250, bypass: int = 25) -> None:
        """Sheets in the main tray and the by-pass tray: 0 = media-empty, 1..24 = media-low.
        Both trays are always sent: a tray missing from the form is set to 0 sheets."""
        a4 = "iso_a4_210x297mm"
        self._form(f"/media?size1={a4}&type1=stationery&level1={main}&size3={a4}&type3=stationery&level3={bypass}")

    def set_supplies(self, toner: int = 75, waste: int = 25) -> None:
        """Toner and waste-toner percent: toner 0 = toner-empty, 1..9 = toner-low."""
        self._form(f"/supplies?supply0={waste}&supply1={toner}")

    def set_reasons(self, spec: str) -> None:
        """Run a job whose command writes ``STATE: spec`` (``+cover-open``, ``-media-jam``, ``none``).
        Only ippeveprinter's own keywords stick (no door-open, no offline)."""
        out = self._ipptool("state.test", f"jobname=kiosk-state:{spec}", "-f", str(self.dir / "tiny.pdf"))
        if "FAIL" in out:
            raise RuntimeError(f"state job {spec!r} failed: {out[-300:]}")

    def reset(self) -> None:
        """Back to a healthy idle printer: held jobs released, trays full, toner fine, no reasons."""
        self.release()
        self.wait_for(lambda: self.printer_state()[0] == "idle", 10.0, "the printer to become idle")
        (self.dir / "release").unlink(missing_ok=True)
        self.set_media()
        self.set_supplies()
        self.set_reasons("none")

    def release(self) -> None:
        (self.dir / "release").touch()

    # observations ---------------------------------------------------------------------
    def printer_state(self) -> tuple[str, list[str]]:
        out = self._ipptool("query.test", "op=Get-Printer-Attributes", "-d", "jobid=0")
        state = re.search(r"printer-state \(enum\) = (\S+)", out)
        reasons = re.search(r"printer-state-reasons \([^)]*\) = (\S+)", out)
        return (state.group(1) if state else "?", reasons.group(1).split(",") if reasons else [])

    def job_state(self, job_id: int) -> str:
        out = self._ipptool("query.test", "op=Get-Job-Attributes", "-d", f"jobid={job_id}")
        found = re.search(r"job-state \(enum\) = (\S+)", out)
        return found.group(1) if found else "?"

    def started_jobs(self) -> list[int]:
        return sorted(int(p.name) for p in (self.dir / "started").iterdir())

    def captured(self) -> dict[int, Path]:
        return {int(p.stem): p for p in (self.dir / "captured").glob("*.pdf")}

    def captured_text(self, job_id: int) -> str:
        path = self.dir / "captured" / f"{job_id}.pdf"
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              timeout=10, check=True).stdout

    @staticmethod
    def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.02):
        """Poll a condition until it holds or the deadline passes (monotonic); returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"waited {timeout:g}s for {what}")
            time.sleep(interval)

    # plumbing ---------------------------------------------------------------------------
    def _wait(self, condition: Callable[[], object], what: str) -> None:
        self.wait_for(condition, self.startup_timeout, what, interval=0.01)

    def _form(self, path: str) -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as resp:
            resp.read()

    def _ipptool(self, test: str, define: str, *args: str) -> str:
        cmd = [IPPTOOL, "-T", "5", "-t", "-d", define, *args, self.uri, str(self.dir / test)]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def _end_group(proc: subprocess.Popen | None, sig: int, grace: float = 3.0) -> None:
    """Signal the process group we created for ``proc`` (start_new_session: group id = its pid).

    The leader is reaped only at the very end: until then its pid, and so the
    group id, cannot be reused, so these signals reach only processes we started.
    """
    if proc is None or proc.returncode is not None:
        return  # never started, or already reaped (it exited at start-up, before any job ran)
    _killpg(proc.pid, sig)
    deadline = time.monotonic() + grace
    while not _exited_unreaped(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    _killpg(proc.pid, signal.SIGKILL)  # the leader if it lingers, and any job command still in the group
    proc.wait(grace)


def _exited_unreaped(pid: int) -> bool:
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


# scripted fake ------------------------------------------------------------------------------

Responder = Callable[[Message], "bytes | tuple[int, bytes]"]


class ScriptedIppServer:
    """An HTTP server on 127.0.0.1 that hands each decoded IPP request to ``responder``.

    The responder returns reply bytes (HTTP 200) or (HTTP status, bytes). ``requests``
    keeps every decoded request, so tests can assert what the driver sent.
    """

    def __init__(self, responder: Responder):
        self.responder = responder
        self.requests: list[Message] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                req = decode(body)
                outer.requests.append(req)
                answer = outer.responder(req)
                status, payload = answer if isinstance(answer, tuple) else (200, answer)
                self.send_response(status)
                self.send_header("Content-Type", "application/ipp")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # poll_interval: how soon shutdown() is noticed (the default 0.5 s would dominate each test)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def uri(self) -> str:
        return f"ipp://127.0.0.1:{self._server.server_address[1]}/ipp/print"

    def __enter__(self) -> "ScriptedIppServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def reply(req: Message, status: int = 0, *, printer: dict | None = None, job: dict | None = None) -> bytes:
    """A reply to ``req``: ``printer``/``job`` map attribute names to (tag, value or list of values)."""
    groups = [Group(GroupTag.OPERATION, (Attribute.of("attributes-charset", Tag.CHARSET, "utf-8"),
                                         Attribute.of("attributes-natural-language", Tag.LANGUAGE, "en")))]
    for tag, attrs in ((GroupTag.PRINTER, printer), (GroupTag.JOB, job)):
        if attrs:
            groups.append(Group(tag, tuple(
                Attribute.of(name, vtag, *(v if isinstance(v, list) else [v])) for name, (vtag, v) in attrs.items())))
    return Message(status, req.request_id, tuple(groups)).encode()
