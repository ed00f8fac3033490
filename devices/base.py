"""What every device has: a lifecycle, capabilities, observable status, a worker.

A driver subclasses one contract from :mod:`devices.contracts`; this module
holds the machinery they share so that transports stay thin.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

import structlog

from devices.errors import ConfigError, DeviceOffline, DeviceTimeout
from devices.status import Reason, State, Status, StatusChanged

log = structlog.get_logger("devices")

StatusListener = Callable[[StatusChanged], None]
EventListener = Callable[[str, dict], None]
T = TypeVar("T")


class DeviceWorker:
    """One thread per device for blocking I/O (pyserial, sockets, USB).

    The event loop never blocks on a device. A deadline bounds every call; the
    driver's own I/O timeouts must be shorter so that the thread itself comes back.
    """

    def __init__(self, name: str):
        self.name = name
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    async def call(self, fn: Callable[..., Any], *args: Any, timeout: float) -> Any:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"dev-{self.name}")
        fut = asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError as exc:
            raise DeviceTimeout(f"{self.name}: no answer within {timeout:g}s") from exc

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


class Device:
    """Base of every contract: lifecycle, status as data, listeners.

    Status changes are published once per change with the diff; a driver calls
    :meth:`_set_status` whenever it learns something and never logs state itself.
    """

    device_class: ClassVar[str] = "device"

    def __init__(self, name: str, **options: Any):
        self.name = name
        self.options = options
        self._status = Status.unknown()
        self._status_listeners: list[StatusListener] = []
        self._event_listeners: list[EventListener] = []
        # pending operation -> the future an unplug fails; the operation is cancelled in the same step, so
        # that nothing it was about to do (publish a stale "ok", say) happens after the device went away
        self._unplugged: dict[asyncio.Future, asyncio.Future] = {}
        self.worker = DeviceWorker(name)

    # lifecycle -----------------------------------------------------------
    async def open(self) -> None:
        """Claim the device. A missing device is not an exception: status goes offline."""

    async def close(self) -> None:
        """Release the device; an operation still pending fails with DeviceOffline instead of hanging."""
        self._fail_pending(f"{self.name}: closed")
        self.worker.shutdown()

    async def reconnect(self) -> None:
        await self.close()
        await self.open()

    # status ----------------------------------------------------------------
    @property
    def status(self) -> Status:
        return self._status

    async def check_health(self) -> Status:
        """Ask the device now (a status poll that changes nothing) and return the result."""
        return self._status

    def capabilities(self) -> dict[str, Any]:
        return {}

    def on_status(self, listener: StatusListener) -> Callable[[], None]:
        self._status_listeners.append(listener)
        return lambda: self._status_listeners.remove(listener)

    def on_event(self, listener: EventListener) -> Callable[[], None]:
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    def _set_status(self, new: Status) -> None:
        old = self._status
        if old == new:
            return
        self._status = new
        event = StatusChanged(self.name, old, new)
        level = "info" if new.state in (State.OK, State.UNKNOWN) else "warning"
        getattr(log, level)("device.status", device=self.name, cls=self.device_class, **_loggable(event.changes))
        for listener in list(self._status_listeners):
            listener(event)

    def _set_reasons(self, reasons: set[Reason], detail: str = "") -> None:
        self._set_status(Status.from_reasons(reasons, detail))

    def _emit(self, kind: str, **data: Any) -> None:
        for listener in list(self._event_listeners):
            listener(kind, data)

    async def device_removed(self, detail: str = "removed (udev)") -> None:
        """Hotplug saw the device go away: offline now, and every pending operation fails with DeviceOffline now.

        Part of every contract, so the hotplug monitor calls it on any device. A
        driver that holds OS handles (a port, a grabbed node) extends it to release them.
        """
        self._set_reasons({Reason.NO_DEVICE}, detail)
        self._fail_pending(f"{self.name}: {detail}")

    async def _pending(self, operation: Awaitable[T]) -> T:
        """Await an operation that an unplug must end at once, not at its deadline or never.

        A worker thread blocked in a read cannot be interrupted; the caller is
        answered now and the thread ends within its own I/O timeout.
        """
        unplugged = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(operation)
        self._unplugged[unplugged] = task
        try:
            await asyncio.wait((task, unplugged), return_when=asyncio.FIRST_COMPLETED)
            if unplugged.done():  # the unplug wins a tie: whatever the operation was doing, the device is gone
                task.add_done_callback(_quiet)
                task.cancel()
                return unplugged.result()  # raises the DeviceOffline
            return task.result()
        finally:
            self._unplugged.pop(unplugged, None)
            if not task.done():
                task.add_done_callback(_quiet)
                task.cancel()
            if not unplugged.done():
                unplugged.cancel()

    def _fail_pending(self, detail: str) -> None:
        for fut, task in list(self._unplugged.items()):
            if not fut.done():
                fut.set_exception(DeviceOffline(detail))
                task.add_done_callback(_quiet)
                task.cancel()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "class": self.device_class,
            "driver": type(self).__module__ + ":" + type(self).__name__,
            "status": self.status.as_dict(),
            "capabilities": self.capabilities(),
        }


def _quiet(task: asyncio.Future) -> None:
    """Collect the outcome of an operation nobody awaits any more (its caller was answered by an unplug)."""
    if not task.cancelled():
        task.exception()


def _loggable(changes: dict) -> dict:
    return {k: ([str(x) for x in v] if isinstance(v, list) else str(v)) for k, v in changes.items()}


def driver_options(name: str, options: dict[str, Any], spec: dict[str, tuple[Any, str]],
                   required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Validate a driver's configuration once: unknown keys name the option, defaults filled, required present.

    ``spec`` maps option -> (default, description), so the description is where the option is declared.
    """
    unknown = sorted(set(options) - set(spec))
    if unknown:
        raise ConfigError(f"{name}: unknown option {unknown[0]!r}; known: {', '.join(sorted(spec))}")
    cfg = {k: options.get(k, default) for k, (default, _doc) in spec.items()}
    for key in required:
        if not cfg[key] or not isinstance(cfg[key], str):
            raise ConfigError(f"{name}: option {key!r} is required ({spec[key][1]})")
    return cfg


def close_quietly(port) -> None:
    """Close a serial port that may already be gone: an unplugged port can fail to close, and is closed anyway."""
    if port is not None:
        try:
            port.close()
        except Exception:  # noqa: BLE001 - whatever the library raises, the port is gone
            pass
