"""Building a workflow in Python and creating it with one call to ``tributary.create_workflow``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Self, TypedDict, Unpack

import psycopg

from tributary import _sql
from tributary.args import InsertOpts, StepArgs
from tributary.errors import ConfigError
from tributary.hooks import TaskPayload
from tributary.payload import to_json

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


@dataclass(frozen=True)
class _WaitTask:
    """A wait or sleep task: no worker runs it; the engine ends it (event, timer)."""

    name: str
    options: dict[str, Any]
    depends_on: tuple[str, ...]


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()
"""``add_wait(default=...)`` left unset: a wait that times out fails."""


def _seconds(interval: timedelta | float) -> float:
    return interval.total_seconds() if isinstance(interval, timedelta) else float(interval)


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
        self._tasks: list[_Task | _WaitTask] = []

    @property
    def config(self) -> Config:
        """The configuration whose defaults and hooks apply to this workflow's tasks."""
        return self._config

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

    def add_wait(
        self,
        name: str,
        event: str,
        *,
        key: str | None = None,
        timeout: timedelta | float | None = None,
        default: Any = NO_DEFAULT,
        depends_on: Sequence[str] = (),
    ) -> Self:
        """Adds a step that waits, holding no worker, for the event ``event`` (task option
        ``wait_for``). It is ended by ``client.send_event(event, payload, workflow_id=...)`` or,
        with ``key``, by ``client.send_event(event, payload, key=key)``; the payload becomes its
        result. With ``timeout`` (a timedelta or seconds), it fails once the timeout passed since
        it began waiting, or completes with ``default`` when one is given.
        """
        wait: dict[str, Any] = {"event": event}
        if key is not None:
            wait["key"] = key
        if timeout is not None:
            wait["timeout"] = _seconds(timeout)
        if default is not NO_DEFAULT:
            wait["on_timeout"] = {"default": to_json(default)}
        return self._add_wait_task(name, {"wait_for": wait}, depends_on)

    def add_sleep(
        self,
        name: str,
        duration: timedelta | float | None = None,
        *,
        until: datetime | None = None,
        depends_on: Sequence[str] = (),
    ) -> Self:
        """Adds a step that sleeps, holding no worker, for ``duration`` (a timedelta or seconds,
        task option ``sleep``) from when it becomes ready, or ``until`` a time (``sleep_until``);
        then it completes by itself with a ``None`` result. Give one of the two.
        """
        options: dict[str, Any] = {}
        if duration is not None:
            options["sleep"] = _seconds(duration)
        if until is not None:
            options["sleep_until"] = until.isoformat()
        return self._add_wait_task(name, options, depends_on)

    def _add_wait_task(self, name: str, options: dict[str, Any], depends_on: Sequence[str]) -> Self:
        if isinstance(depends_on, str):
            depends_on = (depends_on,)
        self._tasks.append(_WaitTask(name, options, tuple(depends_on)))
        return self

    def task_specs(self, workflow_id: int | None = None) -> list[dict[str, Any]]:
        """The ``create_workflow`` tasks array: options resolved, hooks applied to args
        (``workflow_id``: the id reserved for this workflow, which the hooks see)."""
        config = self._config
        client_defaults = config.insert_defaults()
        specs: list[dict[str, Any]] = []
        sealing = _seals_payloads(config)
        maps = {task.name for task in self._tasks if isinstance(task, _Task) and task.map_over is not None}
        # Sources a map maps over, whose list results are sealed element by element as well
        # (a map's own result is a list of sealed results already).
        mapped = {
            task.map_over
            for task in self._tasks
            if isinstance(task, _Task) and task.map_over is not None and task.map_over not in maps
        }
        for task in self._tasks:
            if isinstance(task, _WaitTask):
                options = task.options
                on_timeout = options.get("wait_for", {}).get("on_timeout")
                if on_timeout is not None and config.hooks:
                    default = on_timeout["default"]
                    for hook in config.hooks:
                        default = hook.before_wait_insert(workflow_id, task.name, default)
                    options = {**options, "wait_for": {**options["wait_for"], "on_timeout": {"default": default}}}
                specs.append({"name": task.name, "depends_on": list(task.depends_on), **options})
                continue
            _check_sealable(config, task)
            opts = (task.insert_opts or InsertOpts()).over(task.args.insert_opts().over(client_defaults))
            payload = TaskPayload(
                task.name, task.args.kind, task.args.model_dump(mode="json"), workflow_id, task.name in mapped
            )
            for hook in config.hooks:
                hook.before_insert(payload)
            specs.append(
                {
                    "name": task.name,
                    "kind": task.args.kind,
                    "args": payload.args,
                    "depends_on": list(task.depends_on),
                    **opts.as_task_fields(),
                    **_branch_fields(task, sealed_elements=sealing and task.map_over not in maps),
                }
            )
        return specs

    def create_params(self) -> tuple[Any, ...]:
        """The parameters of ``create_workflow`` for this workflow."""
        return _sql.create_workflow_params(
            self.name, self.task_specs(), self.scheduled_at, self.metadata, self.idempotency_key
        )

    def bulk_item(self, workflow_id: int | None = None) -> dict[str, Any]:
        """This workflow as one element of ``create_workflows``' array; with ``workflow_id`` (from
        ``reserve_workflow_ids``), created with that id."""
        tasks = self.task_specs(workflow_id)
        item: dict[str, Any] = {"name": self.name, "tasks": tasks, "metadata": self.metadata or {}}
        if workflow_id is not None:
            item["id"] = workflow_id
        if self.scheduled_at is not None:
            item["scheduled_at"] = self.scheduled_at.isoformat()
        if self.idempotency_key is not None:
            item["idempotency_key"] = self.idempotency_key
        return item


def _seals_payloads(config: Config) -> bool:
    return any(getattr(hook, "seals_payloads", False) for hook in config.hooks)


def _check_sealable(config: Config, task: _Task) -> None:
    """Refuses, with an EncryptHook configured, the options that need a dependency's result in
    plaintext in SQL: ``run_if`` (a jsonb containment test) and ``map_path`` (a path into the
    result). A map over a whole result works: the result is sealed element by element."""
    if not _seals_payloads(config):
        return
    if task.run_if is not None:
        raise ConfigError(
            f'task "{task.name}": run_if tests a dependency\'s result in SQL, which an EncryptHook seals;'
            " branch in a handler instead"
        )
    if task.map_path is not None:
        raise ConfigError(
            f'task "{task.name}": map_path reads into a dependency\'s result in SQL, which an EncryptHook'
            " seals; map over a whole result (a list, sealed element by element) instead"
        )


def _branch_fields(task: _Task, *, sealed_elements: bool = False) -> dict[str, Any]:
    """The task's map, run_if and run_when options, only those given (the engine checks them).
    ``sealed_elements``: the mapped result is sealed, its list element by element at "elements"."""
    fields: dict[str, Any] = {}
    if task.map_over is not None or task.map_path is not None:
        path = "elements" if sealed_elements and task.map_over is not None else task.map_path
        fields["map"] = {"over": task.map_over, "path": path}
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
            return create_many(conn, [self])[0]
        with self._connection() as own, _sql.one_statement(own):
            return create_many(own, [self])[0]


def binds_workflow_ids(config: Config) -> bool:
    """Whether a configured hook needs each workflow's id before it exists (encryption does)."""
    return any(hook.binds_workflow_id for hook in config.hooks)


def _creation(workflows: Sequence[WorkflowSpec], reserved: Sequence[int] | None) -> tuple[str, tuple[Any, ...]]:
    """The one statement that creates ``workflows`` (with the ``reserved`` ids, if any)."""
    if reserved is None and len(workflows) == 1:
        return _sql.CREATE_WORKFLOW, workflows[0].create_params()
    ids: Sequence[int | None] = reserved if reserved is not None else [None] * len(workflows)
    items = [w.bulk_item(i) for w, i in zip(workflows, ids, strict=True)]
    return _sql.CREATE_WORKFLOWS, _sql.create_workflows_params(items)


def _created_ids(created: Any) -> list[int]:
    """The ids a creation statement returned: one (``create_workflow``) or an array."""
    return [int(i) for i in created] if isinstance(created, list) else [int(created)]


def create_many(conn: psycopg.Connection[Any], workflows: Sequence[WorkflowSpec]) -> list[int]:
    """Creates ``workflows`` on ``conn`` in one statement (``create_workflow`` for one,
    ``create_workflows`` for several); their ids, in order. When a hook binds payloads to the
    workflow id, the ids are reserved first (one more round trip)."""
    if not workflows:
        return []
    reserved = None
    if binds_workflow_ids(workflows[0].config):
        reserved = [int(i) for i in _sql.call(conn, _sql.RESERVE_WORKFLOW_IDS, (len(workflows),))[0][0]]
    statement, params = _creation(workflows, reserved)
    return _created_ids(_sql.call(conn, statement, params)[0][0])


async def acreate_many(conn: psycopg.AsyncConnection[Any], workflows: Sequence[WorkflowSpec]) -> list[int]:
    """Async :func:`create_many`."""
    if not workflows:
        return []
    reserved = None
    if binds_workflow_ids(workflows[0].config):
        reserved = [int(i) for i in (await _sql.acall(conn, _sql.RESERVE_WORKFLOW_IDS, (len(workflows),)))[0][0]]
    statement, params = _creation(workflows, reserved)
    return _created_ids((await _sql.acall(conn, statement, params))[0][0])
