"""A kiosk's reporter in its own process, so tests can kill -9 it. Prints READY, then one line per event stored."""
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.fleet.reporter import MqttReporter  # noqa: E402
from kiosk.fleet.outbox import Outbox  # noqa: E402
from wire.messages import Visit  # noqa: E402


async def main(port: int, var: Path, events: int) -> None:
    r = MqttReporter("K9", "127.0.0.1", port, Outbox(var / "outbox.db"), var, keepalive=2)
    await r.start()
    r.set_state("in_service")
    for i in range(events):
        r.event(Visit(flow="queue-ticket", result="completed", reason="", printed={}, tickets=i))
        print(f"stored {i}", flush=True)
    print("READY", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])))
