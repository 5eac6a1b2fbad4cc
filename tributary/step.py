"""The step a worker receives: typed args, attempt, dependency results, and its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar, overload

from tributary.args import StepArgs
from tributary.errors import DependencyNotFound
from tributary.payload import from_json

ArgsT = TypeVar("ArgsT", bound=StepArgs)
T = TypeVar("T")


@dataclass
class Step(Generic[ArgsT]):
    """One claimed attempt of a step.

    ``dependency_results`` holds the raw JSON result of every direct dependency, keyed by task
    name (empty for a root step). Set ``result`` (or return a value from ``work``) to store the
    step's result for its dependents.
    """

    id: int
    workflow_id: int
    task_name: str
    kind: str
    args: ArgsT
    attempt: int
    max_attempts: int
    queue: str
    deadline_at: datetime | None = None
    dependency_results: dict[str, Any] = field(default_factory=dict)
    result: Any = None

    @overload
    def dependency(self, name: str) -> Any: ...

    @overload
    def dependency(self, name: str, as_type: type[T]) -> T: ...

    def dependency(self, name: str, as_type: type[Any] | None = None) -> Any:
        """The result of dependency ``name``, validated as ``as_type`` when given.

        Raises :class:`~tributary.errors.DependencyNotFound` when ``name`` is not a direct
        dependency of this step.
        """
        if name not in self.dependency_results:
            known = ", ".join(sorted(self.dependency_results)) or "none"
            raise DependencyNotFound(f'task "{self.task_name}" has no dependency "{name}" (its dependencies: {known})')
        raw = self.dependency_results[name]
        return raw if as_type is None else from_json(raw, as_type)
