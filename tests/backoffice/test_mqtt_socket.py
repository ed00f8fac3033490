"""Ingest's paho client: its buffered socket reads as a socket does, only in fewer system calls, and the
acknowledgements its network thread queues go out at once, unwoken (backoffice/mqtt_socket.py)."""
import socket
import threading

import paho.mqtt.client as mqtt
import pytest

from backoffice import mqtt_socket
from backoffice.mqtt_socket import BufferedSocket
from tests.fleet.mqtt_helpers import Broker


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    b.setblocking(False)
    yield a, BufferedSocket(b)
    a.close()
    b.close()


def test_bytes_come_out_in_order_in_any_sizes_and_pending_says_what_is_held(pair):
    peer, sock = pair
    peer.sendall(b"\x30\x05hello\x30\x03abc")
    assert sock.recv(1) == b"\x30"
    assert sock.pending() == 11  # the rest came in the same read, and paho does not wait in select for it
    assert sock.recv(1) == b"\x05"
    assert sock.recv(5) == b"hello"
    assert sock.recv(100) == b"\x30\x03abc"  # fewer than asked: paho reads the rest later
    assert sock.pending() == 0
    with pytest.raises(BlockingIOError):  # nothing more yet, as a non-blocking socket says
        sock.recv(1)
    peer.sendall(b"xyz")
    assert sock.recv(2) == b"xy" and sock.recv(2) == b"z"


def test_a_closed_peer_reads_as_closed_once_what_was_sent_is_read(pair):
    peer, sock = pair
    peer.sendall(b"ab")
    peer.close()
    assert sock.recv(1) == b"a" and sock.recv(1) == b"b"
    assert sock.recv(1) == b""


def test_everything_else_is_the_socket_itself(pair):
    peer, sock = pair
    sock.send(b"out")
    assert peer.recv(3) == b"out"
    assert sock.fileno() == sock._sock.fileno() and sock.gettimeout() == 0.0


def subscriber(port: int, client_id: str, got: list, every: threading.Event, n: int, cls=mqtt_socket.Client):
    c = cls(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    subscribed = threading.Event()
    c.on_connect = lambda c, u, f, rc, p: c.subscribe("t/#", qos=1)
    c.on_subscribe = lambda *a: subscribed.set()

    def on_message(client, userdata, message):
        got.append(message.payload.decode())
        if len(got) >= n:
            every.set()
    c.on_message = on_message
    c.connect("127.0.0.1", port)
    c.loop_start()
    assert subscribed.wait(10)
    return c


def test_every_report_is_acknowledged_as_it_is_read_and_none_comes_again(tmp_path):
    """The broker holds one unacknowledged message per client (max_inflight_messages 1): the next one comes
    only once the last is acknowledged, so all of them arrive only if every PUBACK goes out at once. After
    a reconnect the broker sends again whatever was not acknowledged: nothing, before the next message."""
    broker = Broker(tmp_path)
    broker.conf.write_text(broker.conf.read_text() + "max_inflight_messages 1\n")
    broker.start()
    try:
        got, every = [], threading.Event()
        sub = subscriber(broker.port, "ingest-acks", got, every, 50)
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="kiosk")
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        for i in range(50):
            pub.publish("t/health", str(i), qos=1)
        assert every.wait(20), f"{len(got)} of 50 arrived: acknowledgements held back"
        assert got == [str(i) for i in range(50)]
        sub.disconnect()
        sub.loop_stop()
        pub.publish("t/health", "after", qos=1).wait_for_publish(10)  # queued for the absent session
        again, after = [], threading.Event()
        later = subscriber(broker.port, "ingest-acks", again, after, 1, cls=mqtt.Client)
        assert after.wait(10)
        assert again == ["after"]  # nothing of the 50 came again
        later.disconnect()
        later.loop_stop()
        pub.disconnect()
        pub.loop_stop()
    finally:
        broker.stop()
