"""The worker runtime: claims steps of each configured queue, runs their handlers, reports back.

One asyncio event loop drives named parts, each owning its state and reaching the database only
through :class:`~tributary.runtime.engine.EngineCalls`:

- :class:`~tributary.runtime.fetcher.Fetcher` (one per queue) claims into the queue's free
  slots (:class:`~tributary.runtime.slots.QueueSlots`), woken by the
  :class:`~tributary.runtime.fetcher.Listener` (one LISTEN connection) and polling only as a
  fallback;
- :class:`~tributary.runtime.executor.Executor` runs each claimed attempt: hooks, typed args,
  the handler on the loop (``async def work``) or in a thread (plain ``def work``), its
  timeout; failures go to ``fail_step``;
- :class:`~tributary.runtime.completer.Completer` reports results in batches, claiming with a
  completion that unlocks dependents in the same transaction;
- :class:`~tributary.runtime.maintenance.Maintenance` renews leases and rescues expired ones.

:class:`~tributary.runtime.lifecycle.Runtime` puts them together and moves through the
states of :class:`~tributary.runtime.state.RuntimeState`; what happens on the way reaches the
log and every hook's ``on_event``. The runtime never decides a state transition of a step:
every outcome is reported to the engine, which decides.
"""

from tributary.runtime.lifecycle import Runtime
from tributary.runtime.state import RuntimeState

__all__ = ["Runtime", "RuntimeState"]
