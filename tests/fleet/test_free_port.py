"""The tests' port picker never hands out one port twice: a cluster's nodes take a dozen ports in a row."""
from tests.fleet import mqtt_helpers


def kernel_offering(ports: list[int]):
    """A socket class whose bind(port 0) gets the next of `ports`: a kernel offering a port again."""
    class Socket:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def bind(self, addr):
            self.port = ports.pop(0)

        def getsockname(self):
            return ("127.0.0.1", self.port)
    return Socket


def test_a_port_the_kernel_offers_again_is_not_handed_out_again(monkeypatch):
    monkeypatch.setattr(mqtt_helpers, "_handed_out", set())
    monkeypatch.setattr(mqtt_helpers.socket, "socket", kernel_offering([40001, 40001, 40002]))
    assert [mqtt_helpers.free_port(), mqtt_helpers.free_port()] == [40001, 40002]
