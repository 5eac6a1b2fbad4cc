"""The slots of one queue: how many of its steps this process may hold (``max_workers`` running,
plus ``prefetch`` claimed ahead and waiting for a running one to end), and the signals that wake
its fetcher."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass(eq=False)  # compared and hashed by identity
class QueueSlots:
    """``free`` of the ``max_workers + prefetch`` slots of queue ``name`` are not taken.

    A claim reserves the slots it asks for first and gives back those it did not fill, so the
    fetcher and the completer (which claims with completions) together never hold more than
    ``max_workers + prefetch`` steps of the queue, of which at most ``max_workers`` run
    (``running``); the executor keeps the others waiting, in claim order. ``parked`` slots are
    neither free nor held: once steps that waited too long were given back, their slots and the
    other slots to claim ahead, free again when a running step of the queue ends. ``wake`` is
    set when steps of the queue may have become claimable; ``slot_freed`` when a slot was given
    back.
    """

    name: str
    max_workers: int
    prefetch: int = 0
    free: int = 0
    running: int = 0
    parked: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    slot_freed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.free = self.max_workers + self.prefetch

    def reserve(self, limit: int) -> int:
        """Takes up to ``limit`` free slots for a claim; returns how many."""
        taken = max(0, min(self.free, limit))
        self.free -= taken
        return taken

    def give_back(self, count: int = 1) -> None:
        """Returns ``count`` slots (a step ended, or a claim took fewer steps than reserved)."""
        if count > 0:
            self.free += count
            self.slot_freed.set()

    @property
    def can_run(self) -> bool:
        """Whether one more held step may start running now."""
        return self.running < self.max_workers
