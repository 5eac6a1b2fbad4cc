"""Statements of the operators' reads and admin actions (the dashboard, the metrics collector).

Each calls exactly one function or view of the engine; :mod:`tributary._sql` runs them, so engine
errors come out as the exceptions of :mod:`tributary.errors`.
"""

from __future__ import annotations

LIST_WORKFLOWS = (
    "SELECT id, name, state, metadata, steps_total, steps_unfinished, created_at, scheduled_at,"
    " cancelled_at, finalized_at FROM tributary.list_workflows(%s, %s, %s, %s, %s, %s)"
)
QUEUE_DEPTHS = "SELECT queue, ready, scheduled, running, oldest_ready_age FROM tributary.queue_depths ORDER BY queue"
RECENT_FAILURES = (
    "SELECT step_id, workflow_id, task_name, kind, state, attempt, max_attempts, failed_at, message"
    " FROM tributary.recent_failures LIMIT %s"
)
EXPIRED_LEASES_BY_QUEUE = "SELECT queue, count(*) FROM tributary.expired_leases GROUP BY queue ORDER BY queue"
RETRY_STEP = "SELECT tributary.retry_step(%s)"
