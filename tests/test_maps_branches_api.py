"""The Python side of map steps and branches: add_task's options reach the engine (and only when
given), their errors come back as typed exceptions, an element's args are typed by the args
class, a failed element discards its map, and a worker's dependency results of a join."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.client_helpers import fast_config, started
from tributary import (
    Client,
    Discard,
    InvalidBranch,
    InvalidMapTask,
    Step,
    StepArgs,
    Worker,
    WorkflowValidationError,
)


class Source(StepArgs):
    kind = "mb_source"
    value: Any


class Square(StepArgs):
    kind = "mb_square"
    offset: int = 0
    element: int | None = None


class Join(StepArgs):
    kind = "mb_join"


class SourceWorker(Worker[Source]):
    def work(self, step: Step[Source]) -> Any:
        return step.args.value


class SquareWorker(Worker[Square]):
    def work(self, step: Step[Square]) -> int:
        assert step.args.element is not None
        if step.args.element < 0:
            raise Discard("negative")
        return step.args.element**2 + step.args.offset


class JoinWorker(Worker[Join]):
    def work(self, step: Step[Join]) -> dict[str, Any]:
        return dict(step.dependency_results)


def test_task_specs_carry_the_options_only_when_given(dsn: str) -> None:
    with Client(dsn, fast_config()) as client:
        spec = (
            client.new_workflow("w")
            .add_task("s", Source(value=[1]))
            .add_task("m", Square(), depends_on="s", map_over="s", map_path="items")
            .add_task("j", Join(), depends_on=["m"], run_if={"m": [1]}, run_when="any_completed")
            .task_specs()
        )
    assert [{k: t.get(k) for k in ("map", "run_if", "run_when")} for t in spec] == [
        {"map": None, "run_if": None, "run_when": None},
        {"map": {"over": "s", "path": "items"}, "run_if": None, "run_when": None},
        {"map": None, "run_if": {"m": [1]}, "run_when": "any_completed"},
    ]
    assert "map" not in spec[0]
    assert "run_if" not in spec[0]


def test_bad_options_raise_typed_errors(dsn: str) -> None:
    with Client(dsn, fast_config()) as client:
        with pytest.raises(InvalidMapTask, match=re.escape('task "m" in workflow "w": "map"."over" must name one of')):
            client.new_workflow("w").add_task("s", Source(value=1)).add_task("m", Square(), map_over="s").execute()
        with pytest.raises(InvalidBranch) as refused:
            (
                client.new_workflow("w")
                .add_task("s", Source(value=1))
                .add_task("j", Join(), depends_on=["s"], run_when="sometimes")  # type: ignore[arg-type]
                .execute()
            )
        assert isinstance(refused.value, WorkflowValidationError)
        assert refused.value.sqlstate == "TB321"


def test_a_map_runs_typed_elements_and_a_join_sees_only_completed_branches(dsn: str) -> None:
    config = fast_config(SourceWorker(), SquareWorker(), JoinWorker())
    with Client(dsn, config) as client, started(client):
        workflow_id = (
            client.new_workflow("mb")
            .add_task("s", Source(value={"items": [3, 1, 2]}))
            .add_task("m", Square(offset=1), depends_on=["s"], map_over="s", map_path="items")
            .add_task("big", Join(), depends_on=["m"], run_if={"m": [10]})
            .add_task("small", Join(), depends_on=["m"], run_if={"m": [7]})
            .add_task("j", Join(), depends_on=["big", "small"], run_when="any_completed")
            .execute()
        )
        outcome = client.wait(workflow_id, timeout=30)
    assert outcome.state == "completed"
    assert outcome.result("m") == [10, 2, 5]
    assert outcome.steps["m[0]"].args == {"offset": 1, "element": 3}
    assert outcome.steps["big"].state == "completed"
    assert outcome.steps["small"].state == "skipped"
    assert outcome.steps["small"].attempt == 0
    assert outcome.result("j") == {"big": {"m": [10, 2, 5]}}


def test_a_discarded_element_fails_the_workflow_and_skips_nothing(dsn: str) -> None:
    config = fast_config(SourceWorker(), SquareWorker(), JoinWorker())
    with Client(dsn, config) as client, started(client):
        workflow_id = (
            client.new_workflow("mb")
            .add_task("s", Source(value=[2, -1]))
            .add_task("m", Square(), depends_on=["s"], map_over="s")
            .add_task("after", Join(), depends_on=["m"])
            .execute()
        )
        outcome = client.wait(workflow_id, timeout=30)
    assert outcome.state == "failed"
    assert {name: step.state for name, step in outcome.steps.items()} == {
        "s": "completed",
        "m": "cancelled",
        "after": "cancelled",
        "m[0]": "completed",
        "m[1]": "discarded",
    }
    assert outcome.steps["m[1]"].map_index == 1
    assert outcome.steps["m[1]"].map_step_id == outcome.steps["m"].id
