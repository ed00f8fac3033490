"""The buffered socket under ingest's paho client reads as a socket does, only in fewer system calls."""
import socket

import pytest

from backoffice.mqtt_socket import BufferedSocket


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
