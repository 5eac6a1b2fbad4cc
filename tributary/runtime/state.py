"""The runtime's lifecycle: one state, changed in one place, read by every part."""

from __future__ import annotations

import enum


class RuntimeState(enum.Enum):
    """``NEW`` → ``STARTING`` → ``RUNNING`` → ``STOPPING`` → ``STOPPED`` (or ``STARTING`` →
    ``STOPPED`` when the start fails). Steps are claimed only while ``RUNNING``."""

    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


_NEXT = {
    RuntimeState.NEW: {RuntimeState.STARTING},
    RuntimeState.STARTING: {RuntimeState.RUNNING, RuntimeState.STOPPING, RuntimeState.STOPPED},
    RuntimeState.RUNNING: {RuntimeState.STOPPING},
    RuntimeState.STOPPING: {RuntimeState.STOPPED},
    RuntimeState.STOPPED: set(),
}


class Lifecycle:
    """Holds the current :class:`RuntimeState` and refuses a transition the diagram has not."""

    def __init__(self) -> None:
        self.state = RuntimeState.NEW

    def move_to(self, state: RuntimeState) -> None:
        if state not in _NEXT[self.state]:
            raise RuntimeError(f"the runtime cannot go from {self.state.value} to {state.value}")
        self.state = state

    @property
    def accepting_work(self) -> bool:
        """Whether new steps may be claimed: only while running."""
        return self.state is RuntimeState.RUNNING
