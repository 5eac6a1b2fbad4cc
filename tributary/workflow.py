"""Building a workflow in Python and creating it with one call to ``tributary.create_workflow``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self, TypedDict, Unpack

import psycopg

from tributary import _sql
from tributary.args import InsertOpts, StepArgs
from tributary.hooks import TaskPayload

if TYPE_CHECKING:
    from tributary.config import Config


class WorkflowOptions(TypedDict, total=False):
    """Options of a whole workflow: ``scheduled_at`` delays every step, ``metadata`` is a JSON
    object kept with it, ``idempotency_key`` makes creating it again return the first one's id."""

    scheduled_at: datetime | None
    metadata: dict[str, Any] | None
    idempotency_key: str | None


ConnectionFactory = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]
"""Gives a connection in a transaction that commits when the block ends without error."""


@dataclass(frozen=True)
class _Task:
    name: str
    args: StepArgs
    depends_on: tuple[str, ...]
    insert_opts: InsertOpts | None


class WorkflowSpec:
    """The tasks of one workflow before it exists: add them, then create it with a builder's
    ``execute()`` or many at once with ``Client.insert_many``.

    Validation (unique names, known dependencies, no cycle) happens in the database; its errors
    come out as :class:`~tributary.errors.WorkflowValidationError` subclasses naming the task.
    """

    def __init__(
        self,
        config: Config,
        name: str,
        *,
        scheduled_at: datetime | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        self._config = config
        self.name = name
        self.scheduled_at = scheduled_at
        self.metadata = metadata
        self.idempotency_key = idempotency_key
        self._tasks: list[_Task] = []

    def add_task(
        self,
        name: str,
        args: StepArgs,
        depends_on: Sequence[str] = (),
        insert_opts: InsertOpts | None = None,
    ) -> Self:
        """Adds a step named ``name`` running ``args``; it waits for the tasks in ``depends_on``."""
        if isinstance(depends_on, str):
            depends_on = (depends_on,)
        self._tasks.append(_Task(name, args, tuple(depends_on), insert_opts))
        return self

    def task_specs(self) -> list[dict[str, Any]]:
        """The ``create_workflow`` tasks array: options resolved, hooks applied to args."""
        config = self._config
        client_defaults = config.insert_defaults()
        specs: list[dict[str, Any]] = []
        for task in self._tasks:
            opts = (task.insert_opts or InsertOpts()).over(task.args.insert_opts().over(client_defaults))
            payload = TaskPayload(task.name, task.args.kind, task.args.model_dump(mode="json"))
            for hook in config.hooks:
                hook.before_insert(payload)
            specs.append(
                {
                    "name": task.name,
                    "kind": task.args.kind,
                    "args": payload.args,
                    "depends_on": list(task.depends_on),
                    **opts.as_task_fields(),
                }
            )
        return specs

    def create_params(self) -> tuple[Any, ...]:
        """The parameters of ``create_workflow`` for this workflow."""
        return _sql.create_workflow_params(
            self.name, self.task_specs(), self.scheduled_at, self.metadata, self.idempotency_key
        )

    def bulk_item(self) -> dict[str, Any]:
        """This workflow as one element of ``create_workflows``' array."""
        item: dict[str, Any] = {"name": self.name, "tasks": self.task_specs(), "metadata": self.metadata or {}}
        if self.scheduled_at is not None:
            item["scheduled_at"] = self.scheduled_at.isoformat()
        if self.idempotency_key is not None:
            item["idempotency_key"] = self.idempotency_key
        return item


class WorkflowBuilder(WorkflowSpec):
    """A :class:`WorkflowSpec` that ``execute()`` creates in one round trip."""

    def __init__(
        self, config: Config, connection: ConnectionFactory, name: str, **options: Unpack[WorkflowOptions]
    ) -> None:
        super().__init__(config, name, **options)
        self._connection = connection

    def execute(self, conn: psycopg.Connection[Any] | None = None) -> int:
        """Creates the workflow and returns its id.

        With ``conn``, runs in that connection's current transaction: the workflow exists only
        if the caller commits it.
        """
        if conn is not None:
            return int(_sql.call(conn, _sql.CREATE_WORKFLOW, self.create_params())[0][0])
        with self._connection() as own, _sql.one_statement(own):
            return int(_sql.call(own, _sql.CREATE_WORKFLOW, self.create_params())[0][0])


def create_many(conn: psycopg.Connection[Any], workflows: Sequence[WorkflowSpec]) -> list[int]:
    """Creates ``workflows`` with one ``create_workflows`` call on ``conn``; their ids, in order."""
    if not workflows:
        return []
    ids = _sql.call(conn, _sql.CREATE_WORKFLOWS, _sql.create_workflows_params([w.bulk_item() for w in workflows]))
    return [int(i) for i in ids[0][0]]
