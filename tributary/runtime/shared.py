"""What every part of one runtime shares."""

from __future__ import annotations

from dataclasses import dataclass

from tributary.runtime.engine import EngineCalls
from tributary.runtime.events import Events
from tributary.runtime.slots import QueueSlots
from tributary.runtime.state import Lifecycle


@dataclass(frozen=True)
class Shared:
    """The engine seam, the lifecycle, the events, and the slots of every configured queue."""

    engine: EngineCalls
    lifecycle: Lifecycle
    events: Events
    slots: dict[str, QueueSlots]

    def wake_all(self) -> None:
        """Wakes every fetcher: steps of any queue may have become claimable."""
        for slots in self.slots.values():
            slots.wake.set()
