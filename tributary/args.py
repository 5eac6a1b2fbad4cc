"""Typed step arguments and insert options.

A step type is a pydantic model deriving from :class:`StepArgs` with a class-level ``kind``; a
worker registered for that kind runs every step of that type. Options a step type always wants
(queue, attempts, timeout, priority) come from its ``insert_opts()``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel

from tributary.errors import WorkerDefinitionError


@dataclass(frozen=True)
class InsertOpts:
    """Options of a step. ``None`` means "not set here": a lower level decides.

    Precedence, highest first: the task's ``insert_opts`` (``add_task``), the args type's
    ``insert_opts()``, the client's ``Config``, the database's ``tributary.settings``.
    """

    queue: str | None = None
    priority: int | None = None
    max_attempts: int | None = None
    timeout: timedelta | None = None
    retry_backoff: timedelta | None = None
    scheduled_at: datetime | None = None
    concurrency_key: str | None = None  # limits of tributary.flow_limits (scope "key") apply to the step

    def over(self, lower: InsertOpts) -> InsertOpts:
        """These options, with every unset one taken from ``lower``."""
        return replace(
            lower, **{f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        )

    def as_task_fields(self) -> dict[str, Any]:
        """The set options as ``create_workflow`` task keys (intervals in seconds)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, timedelta):
                value = value.total_seconds()
            elif isinstance(value, datetime):
                value = value.isoformat()
            out[f.name] = value
        return out


class StepArgs(BaseModel):
    """Base class of typed step arguments. Subclasses must set ``kind``.

    >>> class ProcessData(StepArgs):
    ...     kind = "process_data"
    ...     input: str
    """

    kind: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind", getattr(cls, "kind", None))
        if not isinstance(kind, str) or not kind:
            raise WorkerDefinitionError(
                f"{cls.__qualname__} must set a class attribute `kind` (a non-empty string), "
                f'e.g. kind = "{cls.__name__.lower()}"'
            )

    def insert_opts(self) -> InsertOpts:
        """Options every step of this type gets unless the task overrides them."""
        return InsertOpts()
