"""The simulated ID card reader: cards are put on it by the demo's panel, the flow tests or a contract test."""
from __future__ import annotations

import asyncio

from devices.contracts import IdCardReader
from devices.errors import CardError, NoCard
from devices.records import IdCard
from devices.simulation import SimMixin
from devices.status import Reason


class SimIdCardReader(SimMixin, IdCardReader):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self._cards: asyncio.Queue = asyncio.Queue()

    def insert_card(self, card: IdCard | None) -> None:
        """Put a card on the reader; None simulates a card that cannot be read."""
        self._cards.put_nowait(card)

    async def read_card(self, *, timeout: float | None = None) -> IdCard:
        self._refuse_if_unreachable()
        try:
            async with asyncio.timeout(timeout):  # the queue's get is the pending task itself: an unplug
                card = await self._pending(self._cards.get())  # before it starts leaves nothing unawaited
        except asyncio.TimeoutError:
            raise NoCard(f"{self.name}: no card within {timeout}s") from None
        if card is None or Reason.SAM_ERROR in self.faults:
            raise CardError(f"{self.name}: card could not be read")
        return card
