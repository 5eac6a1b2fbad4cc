"""The step a worker receives: typed args, attempt, dependency results, and its result."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from tributary.args import StepArgs
from tributary.errors import DependencyNotFound
from tributary.hooks import ChildWorkflow
from tributary.payload import from_json

if TYPE_CHECKING:
    from tributary.workflow import WorkflowSpec

ArgsT = TypeVar("ArgsT", bound=StepArgs)
T = TypeVar("T")


@dataclass
class Step(Generic[ArgsT]):
    """One claimed attempt of a step.

    ``dependency_results`` holds the raw JSON result of every direct dependency, keyed by task
    name (empty for a root step). Set ``result`` (or return a value from ``work``) to store the
    step's result for its dependents, call :meth:`start_workflow` to start workflows when it
    completes, or call :meth:`spawn` to hand the step over to a child workflow.
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
    child: ChildWorkflow | None = None
    workflows_to_start: list[dict[str, Any]] = field(default_factory=list)

    def start_workflow(self, workflow: WorkflowSpec) -> None:
        """Starts ``workflow`` when this step completes, in the transaction that completes it
        (``complete_steps_and_start``): if the step does not complete (the handler raises, the
        attempt is stale or the step was cancelled) the workflow is never created, and a handler
        that runs twice starts it once, from the attempt that completes. Its first steps are
        claimable at once, and this worker claims them in the same call when it serves their
        queue. Call it once per workflow to start; build ``workflow`` with
        ``client.new_workflow(...)`` or :class:`~tributary.workflow.WorkflowSpec` (its
        ``scheduled_at``, ``metadata`` and ``idempotency_key`` are used). It does no I/O, so it
        suits sync and async handlers alike; validation happens in the engine, and a workflow the
        engine refuses fails this attempt with the engine's error; one that is not JSON (a
        ``datetime`` in its metadata, say) raises ``ValueError`` here. Starting workflows needs the
        submitter role as well as the worker role. Not with :meth:`spawn` (a spawning step does
        not complete now): raises ``ValueError``.
        """
        if self.child is not None:
            raise ValueError("a step that spawns a child workflow does not complete now: it cannot start workflows")
        document = workflow.bulk_item()
        try:  # here, in the handler, rather than in the report it shares with other steps
            json.dumps(document, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ValueError(f'workflow "{workflow.name}" cannot be sent as JSON: {error}') from error
        self.workflows_to_start.append(document)

    def spawn(self, workflow: WorkflowSpec) -> None:
        """Starts ``workflow`` as this step's child when the handler returns, instead of completing
        the step: the engine (``spawn_child_workflow``) creates the child, validated like any
        workflow, and puts this step into ``waiting``, holding no worker. When the child finishes,
        the step completes with the results of the child's leaf steps keyed by task name, or, if
        the child failed or was cancelled, the attempt fails (and is retried while attempts
        remain: the handler runs again and may spawn a new child). Build ``workflow`` with
        ``client.new_workflow(...)`` or :class:`~tributary.workflow.WorkflowSpec`; its
        ``scheduled_at`` and ``idempotency_key`` are not used. The handler's return value is
        ignored; an invalid child fails the attempt with the validation error. Not with
        :meth:`start_workflow`: raises ``ValueError``.
        """
        if self.workflows_to_start:
            raise ValueError("a step that starts workflows when it completes cannot spawn a child workflow")
        self.child = ChildWorkflow(workflow.name, workflow.task_specs(), workflow.metadata)

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
