"""The help panel's own thread and asyncio loop, where everything aiortc and the desk link do runs.

Why: the kiosk's UI loop is also Kivy's; a call's packet work (RTP and RTCP,
SRTP, the jitter buffer, VP8 and Opus decode scheduling, turning each received
picture into RGB) on that loop delays every tap's redraw. On this thread the
UI loop only sees finished pictures (the deques of one) and call-state
changes, marshalled back to the loop that asked (`home`).

aiohttp sessions and aiortc's objects are bound to the loop they were made
on: they are made here and used only here.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from typing import Any, Awaitable, Callable, TypeVar

import structlog

log = structlog.get_logger("devices.help_panel")
T = TypeVar("T")
FINISH_S = 5.0  # how long a cancelled caller waits for the call's own teardown on this thread
JOIN_S = 5.0  # how long close waits for the thread; aiortc's codec threads are not ours to join


class CallThread:
    def __init__(self, name: str):
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _start(self) -> asyncio.AbstractEventLoop:
        if self.loop is None:
            ready = threading.Event()
            loop = asyncio.new_event_loop()

            def run() -> None:
                asyncio.set_event_loop(loop)
                ready.set()
                loop.run_forever()

            self._thread = threading.Thread(target=run, name=f"{self.name}-call", daemon=True)
            self._thread.start()
            ready.wait()
            self.loop = loop
        return self.loop

    def here(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    async def run(self, operation: Awaitable[T]) -> T:
        """Await `operation` on this thread's loop from the caller's loop.

        A caller that is cancelled cancels the operation there, and waits (a
        bounded time) for it to finish: a call's teardown is over when the
        caller's cancellation is, as it was when the call ran on the caller's loop.
        """
        loop = self._start()
        started: concurrent.futures.Future = concurrent.futures.Future()

        async def body():
            started.set_result(asyncio.current_task())
            return await operation

        done = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(body(), loop))
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            if started.done():
                loop.call_soon_threadsafe(started.result().cancel)
                with contextlib.suppress(BaseException):
                    await asyncio.wait([done], timeout=FINISH_S)
            else:
                done.cancel()
            raise

    def stop(self) -> None:
        """End the loop's remaining tasks, its executor and the thread (joined with a timeout)."""
        loop, thread, self.loop, self._thread = self.loop, self._thread, None, None
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(_drain(loop), loop)
        thread.join(JOIN_S)
        if thread.is_alive():
            log.warning("help_panel.thread_left_running", thread=thread.name)
        else:
            loop.close()


async def _drain(loop: asyncio.AbstractEventLoop) -> None:
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks(loop) if t is not me]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=JOIN_S / 2)
    await loop.shutdown_asyncgens()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(loop.shutdown_default_executor(), JOIN_S / 2)
    loop.stop()


def homed(listener: Callable[..., Any], home: Callable[[], asyncio.AbstractEventLoop | None]) -> Callable[..., None]:
    """`listener` called on the loop `home()` names (the caller's), whichever thread the change happened on."""

    def call(*args) -> None:
        loop = home()
        if loop is None or loop.is_closed() or _running() is loop:
            listener(*args)
        else:
            loop.call_soon_threadsafe(listener, *args)

    return call


def _running() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
