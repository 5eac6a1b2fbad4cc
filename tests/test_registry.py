"""The worker registry: step types need a kind, workers a parametrized args type, one worker a kind."""

from __future__ import annotations

from typing import Any

import pytest

from tributary import Step, StepArgs, Worker, WorkerDefinitionError, Workers


class Alpha(StepArgs):
    kind = "alpha"


class Beta(StepArgs):
    kind = "beta"


class AlphaWorker(Worker[Alpha]):
    def work(self, step: Step[Alpha]) -> None:
        step.result = "alpha"


class OtherAlphaWorker(Worker[Alpha]):
    async def work(self, step: Step[Alpha]) -> None:
        step.result = "other"


class BetaWorker(Worker[Beta]):
    def work(self, step: Step[Beta]) -> str:
        return "beta"


def test_step_args_without_kind_is_refused_at_class_definition() -> None:
    with pytest.raises(WorkerDefinitionError, match="NoKind must set a class attribute `kind`"):

        class NoKind(StepArgs):
            value: int


def test_step_args_with_an_empty_kind_is_refused() -> None:
    with pytest.raises(WorkerDefinitionError, match="EmptyKind"):

        class EmptyKind(StepArgs):
            kind = ""


def test_step_args_subclass_inherits_its_parents_kind() -> None:
    class AlphaPlus(Alpha):
        extra: int = 0

    assert AlphaPlus.kind == "alpha"


def test_two_workers_for_one_kind_are_refused() -> None:
    with pytest.raises(WorkerDefinitionError, match='kind "alpha" already has a worker \\(AlphaWorker\\)') as raised:
        Workers(AlphaWorker(), OtherAlphaWorker())
    assert "OtherAlphaWorker" in str(raised.value)

    workers = Workers(AlphaWorker())
    with pytest.raises(WorkerDefinitionError, match='kind "alpha"'):
        workers.add(AlphaWorker())
    assert len(workers) == 1


def test_unparametrized_worker_is_refused_at_registration() -> None:
    class Bare(Worker):  # type: ignore[type-arg]
        def work(self, step: Step[Any]) -> None:
            pass

    with pytest.raises(WorkerDefinitionError, match=r"Bare must subclass Worker\[SomeArgs\]"):
        Workers(Bare())


def test_worker_parametrized_with_a_non_step_args_type_is_refused_at_definition() -> None:
    with pytest.raises(WorkerDefinitionError, match="takes a StepArgs subclass"):

        class Wrong(Worker[int]):  # type: ignore[type-var]
            def work(self, step: Step[Any]) -> None:
                pass


def test_worker_without_work_is_refused_at_registration() -> None:
    class Lazy(Worker[Beta]):
        pass

    with pytest.raises(WorkerDefinitionError, match=r"Lazy does not define work\(\)"):
        Workers(Lazy())


def test_workers_iteration_containment_and_lookup() -> None:
    alpha, beta = AlphaWorker(), BetaWorker()
    workers = Workers(alpha)
    workers.add(beta)

    assert list(workers) == [alpha, beta]
    assert len(workers) == 2
    assert "alpha" in workers
    assert "beta" in workers
    assert "gamma" not in workers
    assert workers.get("beta") is beta
    assert workers.get("gamma") is None
    assert [w.kind for w in workers] == ["alpha", "beta"]
    assert not alpha.is_async
    assert OtherAlphaWorker().is_async


def test_subclass_of_a_parametrized_worker_keeps_its_args_type() -> None:
    class LoudAlphaWorker(AlphaWorker):
        def work(self, step: Step[Alpha]) -> None:
            step.result = "ALPHA"

    workers = Workers(LoudAlphaWorker())
    assert "alpha" in workers
    assert LoudAlphaWorker.args_type is Alpha
