"""`backoffice fleet simulate N`: N kiosks that speak the wire contract, for the demo, the console's tests and load.

Each simulated kiosk is what the back office cannot tell from a real one on the wire: its own MQTT
connection with its own Will (`lost`, with its session counter), a retained birth with its identity card,
retained state and health, visits as events, and signed commands answered (checked with wire.signing, as
the kiosk's gate does). It imports wire only, never the kiosk runtime: hundreds of them are one asyncio
loop driving one paho client each through paho's external-loop callbacks (a reader per socket, one
ticker for keepalives and schedules): 300 cost under 1% of one core once connected.

The mix of states is fixed by kiosk number (see PATTERN): paper low, paper out, offline (a Will after the
link drops), silent (connected, no heartbeats), restarting (a new birth with a higher session counter,
again and again), out of service, maintenance; the rest in service, with visits. One in fifty is short of
disk, one in forty has an unsynchronised clock, one in seven runs the previous version.
"""
from __future__ import annotations

import asyncio
import json
import random
import signal
import socket
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
import structlog

from wire import commands as wc
from wire import messages as wm
from wire import signing, topics
from wire.errors import WireError

log = structlog.get_logger("backoffice.simulator")

# One block of 25 kiosks: the realistic mix, spread over a block by kiosk number (7 is prime to 25).
PATTERN = (["ok"] * 14 + ["paper_low"] * 3 + ["paper_out"] * 2 + ["offline", "silent", "restarting",
                                                                    "out_of_service", "maintenance"])
PROFILES = tuple(dict.fromkeys(PATTERN))
REGIONS = ("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "示例区")
PLACES = ("政务服务中心", "社区服务站", "街道便民服务中心", "银行网点自助区", "24小时自助服务区")
STREETS = ("人民路", "建设路", "解放大街", "和平街", "文化路", "中山路")
MODELS = ("自助终端 ZW-8000", "自助终端 ZW-6000", "政务一体机 GA-21")
MAINTAINERS = (("示例科技有限公司", "400-800-1234"), ("城市服务设备维保公司", "400-820-5678"),
               ("智慧政务运维中心", "010-8888-6666"))
ITEMS = ("social-security-certificate", "queue-ticket", "medical-insurance-query", "housing-fund-query",
         "real-estate-query", "no-criminal-record", "one-thing")
DEVICES = ("id_reader", "receipt_printer", "document_printer", "ticket_dispenser", "code_scanner")
PRINTED_BY = {"queue-ticket": "ticket_dispenser", "social-security-certificate": "document_printer",
              "no-criminal-record": "document_printer"}
SKEW_S = 60  # as the kiosk's gate: clock difference allowed on a command's times


def profile_of(index: int) -> str:
    return PATTERN[(index * 7) % len(PATTERN)]


def hall_of(index: int, halls: int) -> dict[str, str]:
    h = index % halls
    region = REGIONS[h % len(REGIONS)]
    place = PLACES[(h // len(REGIONS)) % len(PLACES)]
    number = h // (len(REGIONS) * len(PLACES))
    hall = f"{region}{place}" + (f"（{number + 1}）" if number else "")
    return {"region": region, "hall": hall, "address": f"示例市{region}{STREETS[h % len(STREETS)]}{10 + h}号"}


def identity(kiosk_id: str, index: int, halls: int) -> dict[str, str]:
    where = hall_of(index, halls)
    maintainer, phone = MAINTAINERS[index % len(MAINTAINERS)]
    return {"name": f"{where['hall']} 自助终端 {index // halls + 1:02d}号", "model": MODELS[index % len(MODELS)],
            **where, "maintainer": maintainer, "maintainer_phone": phone,
            "asset_number": f"ZW-2026-{index + 1:06d}"}


@dataclass
class SimKiosk:
    """One kiosk's facts and schedule; its paho client is replaced at every (re)connection."""
    kiosk_id: str
    index: int
    profile: str
    identity: dict[str, str]
    session_seq: int = 0
    state: str = "starting"
    mode: str = "home"
    client: mqtt.Client | None = None
    sock: socket.socket | None = None
    online: bool = False  # the broker acknowledged the connection
    down: bool = False  # deliberately off the air (offline, or between a restart's drop and its return)
    next_health: float = 0.0
    next_visit: float = 0.0
    next_event: float = 0.0  # the profile's own: the offline kiosk's drop, the restarting kiosk's next restart
    reconnect_at: float = 0.0
    restarts: int = 0
    restarting: bool = False  # down for a restart: back with a new session
    counters: dict = field(default_factory=lambda: {"sessions": 0, "completions": {}, "failures": {}, "pages": {}})
    seen: set[str] = field(default_factory=set)  # command ids obeyed


class Fleet:
    def __init__(self, host: str, port: int, n: int, *, halls: int | None = None, prefix: str = "SIM",
                 command_key=None, interval_s: float = 30.0, seed: int = 12, keepalive: int = 30):
        self.host, self.port, self.keepalive = host, port, keepalive
        self.interval_s = interval_s
        self.halls = max(1, halls or -(-n // 25))
        self.command_key = command_key  # Ed25519PublicKey, or None: every command refused as `disabled`
        self.rng = random.Random(seed)
        self.kiosks = [SimKiosk(f"{prefix}-{i + 1:04d}", i, profile_of(i),
                                identity(f"{prefix}-{i + 1:04d}", i, self.halls)) for i in range(n)]
        for k in self.kiosks:
            topics.check_kiosk_id(k.kiosk_id)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.commands_answered = 0

    # ---------------------------------------------------------------------- life
    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        now = time.monotonic()
        for k in self.kiosks:
            self._connect(k)
            k.next_health = now + 1 + self.rng.uniform(0, self.interval_s)
            k.next_visit = now + self.rng.uniform(1, 4 * self.interval_s)
            k.next_event = now + {"offline": 3.0, "restarting": self._restart_period()}.get(k.profile, 1e12)
            await asyncio.sleep(0)  # let the loop read CONNACKs while hundreds connect
        log.info("simulator.started", kiosks=len(self.kiosks), halls=self.halls, broker=f"{self.host}:{self.port}")
        while not stop.is_set():
            self._tick(time.monotonic())
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
        await self._goodbye()

    def _restart_period(self) -> float:
        return max(3.0, 1.5 * self.interval_s) + self.rng.uniform(0, 2)

    def _tick(self, now: float) -> None:
        for k in self.kiosks:
            if k.down:
                if now >= k.reconnect_at:
                    self._connect(k)
                continue
            if k.client is not None:
                if k.client.loop_misc() != mqtt.MQTT_ERR_SUCCESS and not k.online:
                    self._lost(k, now)  # the broker went away: try again later, as a kiosk would
                    continue
            if not k.online:
                continue
            if now >= k.next_event:
                self._profile_event(k, now)
                continue
            if now >= k.next_health and k.profile != "silent":
                k.next_health = now + self.interval_s
                self._publish(k, topics.HEALTH, self._health(k).encode(), retain=True)
            if now >= k.next_visit and k.state in ("in_service", "degraded"):
                k.next_visit = now + self.rng.expovariate(1 / (2 * self.interval_s))
                self._visit(k)

    def _profile_event(self, k: SimKiosk, now: float) -> None:
        if k.profile == "offline":  # the link drops: the broker sends the Will
            k.next_event = 1e12
            self._drop(k, back_after=None)
        elif k.profile == "restarting":  # a crash loop: dropped, back with a new session a few seconds later
            k.next_event = now + self._restart_period() + 2
            self._drop(k, back_after=2.0)

    # ------------------------------------------------------------------ the link
    def _connect(self, k: SimKiosk) -> None:
        """A new process (first start, restart) is a new session; a link that came back keeps its session."""
        if k.session_seq == 0 or k.restarting:
            k.session_seq += 1
            k.state, k.mode = _initial(k.profile)
        k.down, k.online, k.restarting = False, False, False
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sim-{k.kiosk_id}", clean_session=True)
        c.will_set(topics.topic(k.kiosk_id, topics.STATE), wm.State("lost", k.session_seq, time.time()).encode(),
                   qos=1, retain=True)
        c.on_socket_open = lambda client, userdata, sock: self._opened(k, sock)
        c.on_socket_close = lambda client, userdata, sock: self._closed(k, sock)
        c.on_socket_register_write = lambda client, userdata, sock: self._loop.add_writer(sock, client.loop_write)
        c.on_socket_unregister_write = lambda client, userdata, sock: self._loop.remove_writer(sock)
        c.on_connect = lambda client, userdata, flags, rc, props: self._connected(k, rc)
        c.on_message = lambda client, userdata, message: self._command(k, bytes(message.payload[:signing.MAX_SIZE + 1]),
                                                                         message.retain)
        k.client = c
        try:
            c.connect(self.host, self.port, keepalive=self.keepalive)
        except OSError as exc:
            log.warning("simulator.connect_failed", kiosk=k.kiosk_id, error=str(exc))
            k.client = None
            self._lost(k, time.monotonic())

    def _opened(self, k: SimKiosk, sock) -> None:
        k.sock = sock
        self._loop.add_reader(sock, k.client.loop_read)

    def _closed(self, k: SimKiosk, sock) -> None:
        if sock.fileno() != -1:
            self._loop.remove_reader(sock)
            self._loop.remove_writer(sock)
        if k.sock is sock:
            k.sock = None
            k.online = False

    def _connected(self, k: SimKiosk, rc) -> None:
        if rc.is_failure:
            log.warning("simulator.refused", kiosk=k.kiosk_id, reason=str(rc))
            return
        k.online = True
        birth = wm.Birth(k.kiosk_id, f"sim-boot-{k.index}", k.session_seq, _versions(k.index), list(wc.NAMES),
                         signing.VERSION, self.command_key is not None, time.time(), dict(k.identity))
        self._publish(k, topics.BIRTH, birth.encode(), retain=True)
        self._publish(k, topics.STATE, wm.State(k.state, k.session_seq, time.time()).encode(), retain=True)
        k.client.subscribe(topics.topic(k.kiosk_id, topics.CMD), qos=1)
        self._publish(k, topics.HEALTH, self._health(k).encode(), retain=True)  # after the subscription, as a kiosk
        k.next_health = time.monotonic() + self.interval_s

    def _lost(self, k: SimKiosk, now: float) -> None:
        k.client, k.down, k.online = None, True, False
        k.reconnect_at = now + self.rng.uniform(2, 6)

    def _drop(self, k: SimKiosk, back_after: float | None) -> None:
        """The link dies without a DISCONNECT (power cut, crash): the broker publishes the Will."""
        sock, k.sock = k.sock, None
        if k.client is not None:  # the abandoned client must not call back about a socket closed here
            k.client.on_socket_close = k.client.on_socket_unregister_write = None
        if sock is not None:
            self._loop.remove_reader(sock)
            self._loop.remove_writer(sock)
            sock.close()
        k.client, k.online, k.down = None, False, True
        k.reconnect_at = time.monotonic() + back_after if back_after is not None else float("inf")
        k.restarting = back_after is not None
        k.restarts += k.restarting

    async def _goodbye(self) -> None:
        """A clean stop says `disconnected` itself (no Will follows a DISCONNECT), as a kiosk does."""
        for k in self.kiosks:
            if k.online and k.client is not None:
                self._publish(k, topics.STATE, wm.State("disconnected", k.session_seq, time.time()).encode(),
                              retain=True)
                k.client.disconnect()
        deadline = time.monotonic() + 3
        while any(k.sock is not None for k in self.kiosks) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # the loop writes each goodbye and closes each socket
        for k in self.kiosks:
            if k.sock is not None:
                self._drop(k, None)

    def _publish(self, k: SimKiosk, which: topics.Topic, payload: str | bytes, *, retain: bool = False) -> None:
        if k.client is not None:
            k.client.publish(topics.topic(k.kiosk_id, which), payload, qos=which.qos, retain=retain)

    # --------------------------------------------------------------------- facts
    def _health(self, k: SimKiosk) -> wm.Health:
        devices = {d: wm.DeviceHealth("ok", [], "") for d in DEVICES}
        items = {i: wm.ItemHealth(True, []) for i in ITEMS}
        if k.profile == "paper_low":
            devices["receipt_printer"] = wm.DeviceHealth("warning", ["paper_low"], "")
        if k.profile == "paper_out":
            devices["ticket_dispenser"] = wm.DeviceHealth("error", ["paper_out"], "")
            items["queue-ticket"] = wm.ItemHealth(False, ["ticket_dispenser:paper_out"])
        if k.state in ("out_of_service", "maintenance"):
            items = {i: wm.ItemHealth(False, []) for i in ITEMS}
        c = k.counters
        return wm.Health(state=k.state, mode=k.mode, maintenance_pending=False, devices=devices, items=items,
                         system=_system(k), versions=_versions(k.index),
                         counters=wm.VisitCounts(c["sessions"], dict(c["completions"]), dict(c["failures"]),
                                                 dict(c["pages"])),
                         journal=wm.JournalFlags(True),
                         commands=wm.CommandStats(self.command_key is not None, 0, {}),
                         session_seq=k.session_seq, at=time.time())

    def _visit(self, k: SimKiosk) -> None:
        available = [i for i in ITEMS if not (k.profile == "paper_out" and i == "queue-ticket")]
        item = self.rng.choice(available)
        result = self.rng.choices(("completed", "cancelled", "failed", "timeout"), (80, 10, 6, 4))[0]
        printer = PRINTED_BY.get(item)
        printed = {printer: 1} if printer and result == "completed" else {}
        c = k.counters
        c["sessions"] += 1
        if result == "completed":
            c["completions"][item] = c["completions"].get(item, 0) + 1
        elif result in ("failed", "timeout"):
            c["failures"][item] = c["failures"].get(item, 0) + 1
        for role, pages in printed.items():
            c["pages"][role] = c["pages"].get(role, 0) + pages
        reason = {"failed": "backend_unavailable", "timeout": "idle_timeout"}.get(result, "")
        visit = wm.Visit(flow=item, result=result, reason=reason, printed=printed,
                         tickets=int(item == "queue-ticket" and result == "completed"),
                         session_seq=k.session_seq, at=time.time())
        self._publish(k, topics.EVENTS, visit.encode())

    # ------------------------------------------------------------------ commands
    def _command(self, k: SimKiosk, raw: bytes, retained: bool) -> None:
        """The kiosk gate's checks, in its order, then the command's effect on this simulated kiosk."""
        reply = self._admit(k, raw, retained)
        if isinstance(reply, signing.Command):
            reply = self._obey(k, reply)
        self._publish(k, topics.CMD_RESP, reply.encode())
        self.commands_answered += 1

    def _admit(self, k: SimKiosk, raw: bytes, retained: bool):
        try:
            msg = signing.parse(raw)
        except signing.EnvelopeError as exc:
            return wm.Refused(None, exc.reason, str(exc)[:200])
        cid = msg.get("id") if isinstance(msg.get("id"), str) and 0 < len(msg["id"]) <= signing.MAX_ID else None
        if retained:
            return wm.Refused(cid, "retained", "commands must not be retained")
        if self.command_key is None:
            return wm.Refused(cid, "disabled", "this simulated kiosk has no command key")
        try:
            cmd = signing.verify(self.command_key, msg)
        except signing.EnvelopeError as exc:
            return wm.Refused(cid, exc.reason, str(exc)[:200])
        except signing.BadSignature:
            return wm.Refused(cid, "bad_signature", "signature does not match")
        now = time.time()
        if cmd.kiosk != k.kiosk_id:
            return wm.Refused(cid, "wrong_kiosk", "signed for another kiosk")
        if now >= cmd.expires_at + SKEW_S:
            return wm.Refused(cid, "expired", "past expires_at")
        if cmd.id in k.seen:
            return wm.Refused(cid, "replayed", "this command id was already received")
        k.seen.add(cmd.id)
        if cmd.cmd not in wc.NAMES:
            return wm.Refused(cid, "unknown_command", f"known: {', '.join(wc.NAMES)}")
        return cmd

    def _obey(self, k: SimKiosk, cmd: signing.Command):
        try:
            wc.check_args(cmd.cmd, cmd.args)
        except WireError as exc:
            return wm.Failed(cmd.id, f"{exc.at}: {exc.detail}")
        if cmd.cmd == wc.PING:
            answer = wc.Pong(pong=True, state=k.state)
        elif cmd.cmd == wc.RELOAD_FLOWS:
            answer = wc.Reloaded(reloaded=True, flows=len(ITEMS))
        elif cmd.cmd == wc.MAINTENANCE_ON:
            outcome = "renewed" if k.mode == "remote_maintenance" else "started"
            self._set(k, "maintenance", "remote_maintenance")
            answer = wc.MaintenanceStarted(outcome, k.mode, 1800.0)
        elif cmd.cmd == wc.MAINTENANCE_OFF:
            left = k.mode == "remote_maintenance"
            if left:
                self._set(k, *_initial(k.profile))
            answer = wc.MaintenanceLeft("left" if left else "not_in_maintenance", k.mode)
        else:  # restart: answered first, then gone for two seconds, back with a new session
            answer = wc.Restarting(restarting=True, after_visit=False)
            self._loop.call_later(1.0, self._restart_cleanly, k)
        return wm.Result(cmd.id, wc.SPECS[cmd.cmd].encode_result(answer))

    def _set(self, k: SimKiosk, state: str, mode: str) -> None:
        k.state, k.mode = state, mode
        self._publish(k, topics.STATE, wm.State(state, k.session_seq, time.time()).encode(), retain=True)
        self._publish(k, topics.HEALTH, self._health(k).encode(), retain=True)

    def _restart_cleanly(self, k: SimKiosk) -> None:
        if k.online and k.client is not None:
            self._publish(k, topics.STATE, wm.State("disconnected", k.session_seq, time.time()).encode(), retain=True)
            k.client.disconnect()
        k.client, k.online, k.down, k.restarting = None, False, True, True
        k.reconnect_at = time.monotonic() + 2.0
        k.restarts += 1


def _initial(profile: str) -> tuple[str, str]:
    return {"paper_out": ("degraded", "home"), "out_of_service": ("out_of_service", "out_of_service"),
            "maintenance": ("maintenance", "maintenance")}.get(profile, ("in_service", "home"))


def _versions(index: int) -> dict[str, str]:
    """Most of the fleet updated, one in seven not yet: something for the console's version filter."""
    return {"runtime": "0.0.9", "flows": "1c7e20b4a9f3"} if index % 7 == 3 else {"runtime": "0.1.0",
                                                                                 "flows": "5f3a9c0d21be"}


def _system(k: SimKiosk) -> dict:
    """Figures as a kiosk reports them, with the odd machine short of disk or with its clock unsynchronised."""
    return {"uptime_s": 3600.0, "cpus": 4, "mem_available_mib": 1800 - k.index % 500,
            "disk_free_mib": 300 if k.index % 50 == 13 else 20000 - k.index * 7 % 15000,
            "clock_synchronized": k.index % 40 != 21, "state_persistent": True, "restarts": k.restarts}


# ------------------------------------------------------------------------ the command
def main(cfg, args) -> int:
    """`backoffice fleet simulate N`: until Ctrl-C or SIGTERM."""
    import sys

    from backoffice.broker import local_address
    from backoffice.commands import key_path

    if not 1 <= args.n <= 100_000:
        print("backoffice: N must be 1-100000", file=sys.stderr)
        return 2
    if args.broker:
        host, _, port = args.broker.rpartition(":")
        if not port.isdigit():
            print(f"backoffice: --broker {args.broker[:64]!r}: give host:port", file=sys.stderr)
            return 2
        address = (host or "127.0.0.1", int(port))
    elif cfg.broker.host:
        address = (cfg.broker.host, cfg.broker.port)
    else:
        address = local_address(cfg.var_dir)
    if address is None:
        print("backoffice: no broker: give --broker host:port, configure [broker], or start `backoffice serve` "
              "with the same var_dir first", file=sys.stderr)
        return 2
    key = None
    try:
        if args.command_key:
            key = signing.load_public_key(args.command_key)
        else:
            private = key_path(cfg.commands.key_file, cfg.var_dir)
            key = signing.load_private_key(private).public_key() if private.exists() else None
    except signing.KeyFileError as exc:
        print(f"backoffice: {exc}", file=sys.stderr)
        return 2
    try:
        fleet = Fleet(address[0], address[1], args.n, halls=args.halls, prefix=args.prefix, command_key=key,
                      interval_s=max(1.0, args.interval), seed=args.seed)
    except WireError as exc:
        print(f"backoffice: --prefix: kiosk ids {exc.detail}", file=sys.stderr)
        return 2
    mix = {p: sum(1 for k in fleet.kiosks if k.profile == p) for p in PROFILES}
    print(f"simulating {args.n} kiosks in {fleet.halls} halls on {address[0]}:{address[1]} "
          f"(commands {'obeyed' if key else 'refused: no key'}): {json.dumps(mix)}", file=sys.stderr, flush=True)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await fleet.run(stop)

    asyncio.run(run())
    return 0

