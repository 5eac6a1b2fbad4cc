"""Workers: the code that runs steps of one kind, and the registry that maps kinds to workers."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Iterator
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin

from tributary.args import StepArgs
from tributary.errors import WorkerDefinitionError
from tributary.step import Step

ArgsT = TypeVar("ArgsT", bound=StepArgs)


class Worker(Generic[ArgsT]):
    """Runs steps whose args are ``ArgsT``. Subclass with the args type and define ``work``.

    ``work`` may be a plain function (run in a thread pool) or ``async def`` (run on the event
    loop). It stores a result with ``step.result = ...`` or by returning it; raising fails the
    attempt (retried with backoff), raising :class:`~tributary.errors.Discard` fails the step at
    once.
    """

    args_type: ClassVar[type[StepArgs]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if get_origin(base) is Worker:
                (args_type,) = get_args(base)
                if not (isinstance(args_type, type) and issubclass(args_type, StepArgs)):
                    raise WorkerDefinitionError(
                        f"{cls.__qualname__}: Worker[...] takes a StepArgs subclass, got {args_type!r}"
                    )
                cls.args_type = args_type

    def work(self, step: Step[ArgsT]) -> Any | Awaitable[Any]:
        raise NotImplementedError

    @property
    def kind(self) -> str:
        return self.args_type.kind

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(type(self).work)


class Workers:
    """The registry of workers, one per kind."""

    def __init__(self, *workers: Worker[Any]) -> None:
        self._by_kind: dict[str, Worker[Any]] = {}
        for worker in workers:
            self.add(worker)

    def add(self, worker: Worker[Any]) -> None:
        """Registers ``worker`` for its args' kind; refuses a second worker for one kind."""
        if not hasattr(type(worker), "args_type"):
            raise WorkerDefinitionError(
                f"{type(worker).__qualname__} must subclass Worker[SomeArgs] to say which args it takes"
            )
        if type(worker).work is Worker.work:
            raise WorkerDefinitionError(f"{type(worker).__qualname__} does not define work()")
        existing = self._by_kind.get(worker.kind)
        if existing is not None:
            raise WorkerDefinitionError(
                f'kind "{worker.kind}" already has a worker ({type(existing).__qualname__}); '
                f"cannot add {type(worker).__qualname__}"
            )
        self._by_kind[worker.kind] = worker

    def get(self, kind: str) -> Worker[Any] | None:
        return self._by_kind.get(kind)

    def __contains__(self, kind: object) -> bool:
        return kind in self._by_kind

    def __iter__(self) -> Iterator[Worker[Any]]:
        return iter(self._by_kind.values())

    def __len__(self) -> int:
        return len(self._by_kind)
