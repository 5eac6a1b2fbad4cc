"""Building a workflow in Python and creating it with one call to ``tributary.create_workflow``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Self, TypedDict, Unpack

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


RunWhen = Literal["all_completed", "any_completed"]
"""Which dependencies a step needs: all of them completed (the default), or any one (a join)."""


@dataclass(frozen=True)
class _Task:
    name: str
    args: StepArgs
    depends_on: tuple[str, ...]
    insert_opts: InsertOpts | None
    map_over: str | None = None
    map_path: str | None = None
    run_if: Mapping[str, Any] | None = None
    run_when: RunWhen | None = None


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
        *,
        map_over: str | None = None,
        map_path: str | None = None,
        run_if: Mapping[str, Any] | None = None,
        run_when: RunWhen | None = None,
    ) -> Self:
        """Adds a step named ``name`` running ``args``; it waits for the tasks in ``depends_on``.

        ``map_over`` (a dependency) makes it a map step: it runs once per element of the array in
        that dependency's result (at ``map_path``, keys separated by dots), each element step
        getting ``args`` with ``element`` set to its element; its dependents receive the list of
        the elements' results in order. ``run_if`` ({dependency: value}) skips the step unless
        each such dependency's result contains the value; ``run_when="any_completed"`` makes it
        a join that runs when any of its dependencies completed (the others skipped).
        """
        if isinstance(depends_on, str):
            depends_on = (depends_on,)
        self._tasks.append(_Task(name, args, tuple(depends_on), insert_opts, map_over, map_path, run_if, run_when))
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
                    **_branch_fields(task),
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


def _branch_fields(task: _Task) -> dict[str, Any]:
    """The task's map, run_if and run_when options, only those given (the engine checks them)."""
    fields: dict[str, Any] = {}
    if task.map_over is not None or task.map_path is not None:
        fields["map"] = {"over": task.map_over, "path": task.map_path}
    if task.run_if is not None:
        fields["run_if"] = dict(task.run_if)
    if task.run_when is not None:
        fields["run_when"] = task.run_when
    return fields


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
        with self._connection() as own:
            return int(_sql.call(own, _sql.CREATE_WORKFLOW, self.create_params())[0][0])


def create_many(conn: psycopg.Connection[Any], workflows: Sequence[WorkflowSpec]) -> list[int]:
    """Creates ``workflows`` with one ``create_workflows`` call on ``conn``; their ids, in order."""
    if not workflows:
        return []
    ids = _sql.call(conn, _sql.CREATE_WORKFLOWS, _sql.create_workflows_params([w.bulk_item() for w in workflows]))
    return [int(i) for i in ids[0][0]]
