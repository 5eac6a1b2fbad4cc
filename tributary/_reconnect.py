"""The one backoff of every client-side retry loop (claims, completion flushes, LISTEN, wait)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class ReconnectBackoff:
    """Jittered exponential delays with a cap: the n-th failure in a row waits a random time
    between half and all of ``min(cap, first * 2**(n - 1))`` seconds, so processes that lost the
    database at the same moment come back spread out, not in lockstep. ``reset()`` after a
    success."""

    first: float = 0.1
    cap: float = 5.0
    failures: int = 0

    def next_delay(self) -> float:
        """Counts one more failure and returns how long to wait before the next try."""
        self.failures += 1
        ceiling = min(self.cap, self.first * 2 ** min(self.failures - 1, 32))
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0
