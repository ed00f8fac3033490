"""A hall's queue system over HTTP, against a real aiohttp server on 127.0.0.1: good, slow, failing, garbage."""
import asyncio
import datetime as dt
import json
import socket
import time

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.errors import ConfigError
from devices.status import Reason
from devices.ticket_dispenser.queue import QueueError, QueueUnavailable
from devices.ticket_dispenser.queue_http import MAX_REPLY, HttpQueueProvider, parse_reply

ISSUED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
OK = {"status": 0, "num": "C007", "wsn": 5}


def reply(body, code=200, content_type="application/json", charset=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ctype = content_type + (f"; charset={charset}" if charset else "")
    return code, raw, {"Content-Type": ctype}


class Hall:
    """A scripted queue system: each request takes the next reply (OK when none is left)."""

    def __init__(self):
        self.replies: list = []
        self.requests: list[tuple[str, dict, dict]] = []
        self.release = asyncio.Event()  # hanging handlers end when the test ends
        self.url = ""

    async def take(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, await request.json(), dict(request.headers)))
        what = self.replies.pop(0) if self.replies else reply(OK)
        if what == "hang":
            await self.release.wait()
            return web.Response(status=503)
        if what in ("trickle", "stream-big"):
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})  # chunked: no length
            await resp.prepare(request)
            if what == "trickle":
                await resp.write(b'{"status": 0, ')
                await self.release.wait()
            else:
                for _ in range(10):
                    await resp.write(b" " * 8192)
            return resp
        code, raw, headers = what
        return web.Response(status=code, body=raw, headers=headers)


@pytest.fixture
async def hall():
    h = Hall()
    app = web.Application()
    app.router.add_post("/take", h.take)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    h.url = "http://127.0.0.1:%d" % runner.addresses[0][1]
    yield h
    h.release.set()
    await runner.cleanup()


def provider(hall, **kw):
    kw.setdefault("timeout", 2.0)
    return HttpQueueProvider(hall.url, clock=lambda: ISSUED, **kw)


async def test_a_number_from_the_halls_queue_system(hall):
    q = provider(hall, token="s3cret")
    n = await q.take_number("C", "出入境业务", request_id="visit-1")
    assert (n.number, n.waiting_ahead, n.category, n.issued_at) == ("C007", 5, "C", ISSUED)
    path, body, headers = hall.requests[0]
    assert path == "/take" and body == {"category": "C", "service": "出入境业务", "request_id": "visit-1"}
    assert headers["Idempotency-Key"] == "visit-1" and headers["Authorization"] == "Bearer s3cret"
    assert "s3cret" not in repr(q)


async def test_without_a_token_no_authorization_is_sent(hall):
    await provider(hall).take_number("C", "x", request_id="r")
    assert "Authorization" not in hall.requests[0][2]


async def test_a_retry_with_the_same_request_id_does_not_ask_for_a_second_number(hall):
    q = provider(hall)
    first = await q.take_number("C", "x", request_id="visit-1")
    assert await q.take_number("C", "x", request_id="visit-1") == first
    assert len(hall.requests) == 1  # even a vendor that ignores Idempotency-Key gives one number
    with pytest.raises(QueueError, match="another category"):
        await q.take_number("D", "x", request_id="visit-1")


async def test_a_failed_request_is_not_remembered(hall):
    hall.replies = [reply({}, 500)]
    q = provider(hall)
    with pytest.raises(QueueUnavailable):
        await q.take_number("C", "x", request_id="visit-1")
    assert (await q.take_number("C", "x", request_id="visit-1")).number == "C007"


BAD_REPLIES = [
    (reply(b"<html>Bad Gateway</html>", content_type="text/html"), "not JSON"),
    (reply(b""), "not JSON"),
    (reply(b"[" * 10_000), "not JSON"),
    (reply(b"\xff\xfe{}"), "not text"),
    (reply(b'{"status": 0}', charset="no-such-charset"), "not text"),
    (reply([1, 2]), "JSON list"),
    (reply("C007"), "JSON str"),
    (reply({}), "lacks status, num, wsn"),
    (reply({"status": 0, "num": "C007"}), "lacks wsn"),
    (reply({"status": 1, "num": "C007", "wsn": 5}), "refused"),
    (reply({"status": "error", "num": "C007", "wsn": 5}), "refused"),
    (reply({"status": True, "num": "C007", "wsn": 5}), "'status' is a bool"),
    (reply({"status": None, "num": "C007", "wsn": 5}), "'status' is a NoneType"),
    (reply({"status": 0, "num": 7, "wsn": 5}), "'num'"),
    (reply({"status": 0, "num": "", "wsn": 5}), "'num'"),
    (reply({"status": 0, "num": "ABCDEFGH1", "wsn": 5}), "'num'"),
    (reply({"status": 0, "num": "C００7", "wsn": 5}), "'num'"),
    (reply({"status": 0, "num": "CCC", "wsn": 5}), "'num'"),
    (reply({"status": 0, "num": "C007", "wsn": "5"}), "'wsn'"),
    (reply({"status": 0, "num": "C007", "wsn": True}), "'wsn'"),
    (reply({"status": 0, "num": "C007", "wsn": -1}), "'wsn'"),
    (reply({"status": 0, "num": "C007", "wsn": 5.0}), "'wsn'"),
    (reply({"status": 0, "num": "C007", "wsn": 10**6}), "'wsn'"),
    (reply({"status": 0, "num": "C007", "wsn": None}), "'wsn'"),
    (reply(b'{"status": 0, "num": "C007", "wsn": 5, "pad": "' + b"x" * MAX_REPLY + b'"}'), "exceeds 64 KiB"),
    ("stream-big", "exceeds 64 KiB"),
    (reply(OK, 404), "HTTP 404"),
    (reply(OK, 302), "HTTP 302"),  # redirects are not followed: the URL is configuration
]


@pytest.mark.parametrize("answer, message", BAD_REPLIES, ids=[m for _, m in BAD_REPLIES])
async def test_a_bad_reply_is_a_queue_error_that_says_what_is_wrong(hall, answer, message):
    hall.replies = [answer]
    with pytest.raises(QueueError, match=message) as err:
        await provider(hall).take_number("C", "x", request_id="r")
    assert not isinstance(err.value, QueueUnavailable)  # the system answered: retrying will not help


async def test_a_refused_token_is_a_configuration_problem(hall):
    hall.replies = [reply({"error": "unauthorized"}, 401)]
    with pytest.raises(QueueError, match="credentials") as err:
        await provider(hall, token="old").take_number("C", "x", request_id="r")
    assert err.value.reason == Reason.NOT_CONFIGURED


@pytest.mark.parametrize("code", [500, 502, 503])
async def test_a_server_error_is_unavailable(hall, code):
    hall.replies = [reply(OK, code)]
    with pytest.raises(QueueUnavailable, match=f"HTTP {code}") as err:
        await provider(hall).take_number("C", "x", request_id="r")
    assert err.value.reason == Reason.NO_REPLY


@pytest.mark.parametrize("how", ["hang", "trickle"])
async def test_a_slow_queue_system_times_out_on_the_deadline(hall, how):
    hall.replies = [how]
    started = time.monotonic()
    with pytest.raises(QueueUnavailable, match="no reply within 0.2s"):
        await provider(hall, timeout=0.2).take_number("C", "x", request_id="r")
    assert time.monotonic() - started < 1.5


async def test_an_unreachable_queue_system_is_unavailable():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(QueueUnavailable, match="unreachable"):
        await HttpQueueProvider(f"http://127.0.0.1:{port}", 1.0).take_number("C", "x", request_id="r")


async def test_a_reply_in_the_declared_charset_is_read(hall):
    body = '{"status": "OK", "num": "A012", "wsn": 0, "msg": "取号成功"}'.encode("gbk")
    hall.replies = [reply(body, charset="gbk")]
    n = await provider(hall).take_number("A", "x", request_id="r")  # status compared without case
    assert (n.number, n.waiting_ahead) == ("A012", 0)


async def test_the_success_status_is_configurable(hall):
    hall.replies = [reply({"status": 1, "num": "A1", "wsn": 0}), reply({"status": 0, "num": "A2", "wsn": 0})]
    q = provider(hall, ok_status=[1, "success"])
    assert (await q.take_number("A", "x", request_id="r1")).number == "A1"
    with pytest.raises(QueueError, match="refused"):
        await q.take_number("A", "x", request_id="r2")


@pytest.mark.parametrize("url, timeout", [("ftp://hall/q", 5), ("http://user:pw@hall", 5), ("hall:8080", 5),
                                          ("http://hall", 0), ("http://hall", 600)])
def test_bad_configuration_is_refused(url, timeout):
    with pytest.raises(ConfigError):
        HttpQueueProvider(url, timeout)


def test_a_bad_request_id_is_refused_before_anything_is_sent():
    q = HttpQueueProvider("http://127.0.0.1:9", 1.0)
    with pytest.raises(QueueError, match="request_id"):
        asyncio.run(q.take_number("C", "x", request_id=""))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
                    max_leaves=12)
REPLY = st.fixed_dictionaries({}, optional={"status": JSON | st.sampled_from([0, "0", "ok"]),
                                            "num": JSON | st.from_regex(r"[A-Z]{0,3}[0-9]{1,5}", fullmatch=True),
                                            "wsn": JSON | st.integers(-2, 10_002)})


@settings(max_examples=300, deadline=None)
@given(st.one_of(REPLY.map(lambda d: json.dumps(d).encode()), JSON.map(lambda v: json.dumps(v).encode()),
                 st.binary(max_size=64)))
def test_any_reply_gives_a_number_or_a_queue_error_and_nothing_else(raw):
    try:
        num, wsn = parse_reply(raw)
    except QueueError:
        return
    assert isinstance(num, str) and 1 <= len(num) <= 8 and type(wsn) is int and 0 <= wsn <= 9999
