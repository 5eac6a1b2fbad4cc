"""Where the runtime reports what it goes through: one log record and one ``Hook.on_event``
call per event, with the step's workflow, id, task, kind and attempt as fields and in the text."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from tributary.hooks import Hook, RuntimeEvent, RuntimeEventName, WorkPayload

logger = logging.getLogger("tributary.runtime")


class Events:
    """Sends runtime events to the log and to the hooks; a hook that raises is logged, not fatal."""

    def __init__(self, hooks: Sequence[Hook], worker_id: str) -> None:
        self._hooks = list(hooks)
        self._worker_id = worker_id

    def emit(
        self,
        name: RuntimeEventName,
        message: str,
        *,
        work: WorkPayload | None = None,
        error: BaseException | None = None,
        state: str | None = None,
        count: int | None = None,
        level: int = logging.WARNING,
    ) -> None:
        text = f"{work.describe()}: {message}" if work is not None else message
        extra = {"event": name, "worker_id": self._worker_id, **(work.log_fields() if work is not None else {})}
        logger.log(level, "%s", text, extra=extra)
        event = RuntimeEvent(
            name,
            text,
            step_id=work.step_id if work is not None else None,
            workflow_id=work.workflow_id if work is not None else None,
            error=error,
            queue=work.queue if work is not None else None,
            kind=work.kind if work is not None else None,
            state=state,
            count=count,
        )
        for hook in self._hooks:
            try:
                hook.on_event(event)
            except Exception:
                logger.exception("hook %s failed on runtime event %s", type(hook).__qualname__, name)
