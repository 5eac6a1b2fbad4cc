"""Recurring workflows: ``client.schedule(...)`` defines one from a workflow builder; the engine
(``tributary.fire_due_schedules``) fires each fire time once, called by every worker's maintenance loop
or by pg_cron. Listing, pausing, resuming and deleting are one engine call each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

from tributary import _sql
from tributary.errors import ScheduleNotFound
from tributary.workflow import WorkflowBuilder

Overlap = Literal["skip", "allow", "cancel_previous"]
"""At a fire time, while the previous fire time's workflow still runs: skip the fire time, allow a second one,
or cancel the previous one first."""

CatchUp = Literal["none", "last", "all"]
"""Fire times that passed while nothing fired: none (only the newest, and only within
``catch_up_grace``), last (the newest), all (the newest ``catch_up_limit``, oldest first)."""

FireOutcome = Literal["fired", "fired_after_cancel", "skipped", "already_fired", "failed"]


@dataclass(frozen=True)
class ScheduleInfo:
    """A schedule as the view ``tributary.schedule_status`` shows it."""

    name: str
    cron: str | None
    time_zone: str
    every: timedelta | None
    workflow_name: str
    overlap: Overlap
    catch_up: CatchUp
    paused: bool
    next_fire_at: datetime | None
    next_fire_in: timedelta | None
    last_fire_at: datetime | None
    last_workflow_id: int | None
    last_workflow_state: str | None
    last_error: str | None


@dataclass(frozen=True)
class Firing:
    """One fire time ``fire_due_schedules`` handled, and what came of it."""

    schedule_name: str
    fire_at: datetime
    workflow_id: int | None
    outcome: FireOutcome


def upsert(
    conn: psycopg.Connection[Any],
    name: str,
    workflow: WorkflowBuilder,
    *,
    cron: str | None,
    every: timedelta | None,
    time_zone: str,
    overlap: Overlap,
    catch_up: CatchUp,
    catch_up_limit: int,
    catch_up_grace: timedelta,
    starts_at: datetime | None,
) -> ScheduleInfo:
    """Creates the schedule ``name``, or replaces its definition (``create_schedule(...,
    p_replace => true)``); an unchanged timing keeps its next fire time and pause."""
    if workflow.scheduled_at is not None or workflow.idempotency_key is not None:
        raise ValueError(
            f"schedule {name!r}: its workflow cannot have scheduled_at or idempotency_key; each fire time sets its own"
        )
    params = (
        name,
        workflow.name,
        Jsonb(workflow.task_specs()),
        cron,
        every,
        time_zone,
        Jsonb(workflow.metadata or {}),
        overlap,
        catch_up,
        catch_up_limit,
        catch_up_grace,
        starts_at,
    )
    _sql.call(conn, _sql.CREATE_SCHEDULE, params)
    return get(conn, name)


def get(conn: psycopg.Connection[Any], name: str) -> ScheduleInfo:
    found = _sql.read_as(conn, ScheduleInfo, _sql.GET_SCHEDULE, (name,))
    if not found:
        raise ScheduleNotFound(f'schedule "{name}" does not exist')
    return found[0]


def list_all(conn: psycopg.Connection[Any]) -> list[ScheduleInfo]:
    return _sql.read_as(conn, ScheduleInfo, _sql.LIST_SCHEDULES)


def fire_due(conn: psycopg.Connection[Any]) -> list[Firing]:
    return _sql.read_as(conn, Firing, _sql.FIRE_DUE_SCHEDULES)
