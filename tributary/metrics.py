"""Prometheus metrics: a hook counting the steps this process works, and a collector reading the
database's queues at each scrape. Needs ``prometheus-client`` (``pip install 'tributary[metrics]'``).

Worker processes add :class:`PrometheusHook` to ``Config(hooks=[...])`` and expose its registry
(:func:`serve_metrics`, or their own HTTP server); one process per database (the dashboard does
it at ``/metrics``) exposes :class:`DatabaseCollector`, whose gauges are the same whichever
process reads them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from tributary import _sql
from tributary.hooks import Hook, RuntimeEvent, WorkPayload

logger = logging.getLogger(__name__)

# Handler durations, in seconds: from a few milliseconds to ten minutes.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class PrometheusHook(Hook):
    """Counts steps started, completed, failed and discarded by queue and kind, with a histogram
    of handler durations by queue, kind and outcome (``completed`` or ``failed``), the
    completions whose started workflows the engine refused, and the steps this process's rescues
    took back (expired leases).

    ``registry`` defaults to prometheus-client's global one, where a metric name can be
    registered once: make one hook per process and share it between Configs (a second hook on the
    same registry raises ValueError). A failed attempt counts once in
    ``tributary_steps_failed_total`` whether it will be retried or was the last one.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        target = REGISTRY if registry is None else registry
        labels = ("queue", "kind")
        self.started = Counter(
            "tributary_steps_started", "Step attempts this process started.", labels, registry=target
        )
        self.completed = Counter(
            "tributary_steps_completed", "Step attempts this process completed.", labels, registry=target
        )
        self.failed = Counter(
            "tributary_steps_failed",
            "Step attempts this process saw fail (raised, timed out).",
            labels,
            registry=target,
        )
        self.discarded = Counter(
            "tributary_steps_discarded",
            "Steps this process's failed attempts left discarded (no attempt left, or not retryable).",
            labels,
            registry=target,
        )
        self.starts_refused = Counter(
            "tributary_workflow_starts_refused",
            "Completions whose started workflows (step.start_workflow) the engine refused: the attempt failed instead.",
            labels,
            registry=target,
        )
        self.rescued = Counter(
            "tributary_lease_expiries_rescued",
            "Steps whose lease expired that this process's rescue took back.",
            registry=target,
        )
        self.duration = Histogram(
            "tributary_step_duration_seconds",
            "Handler time of a step attempt, by outcome.",
            (*labels, "outcome"),
            buckets=DURATION_BUCKETS,
            registry=target,
        )

    def before_work(self, work: WorkPayload) -> None:
        self.started.labels(work.queue, work.kind).inc()

    def after_work(self, work: WorkPayload, error: BaseException | None) -> None:
        outcome = "completed" if error is None else "failed"
        (self.completed if error is None else self.failed).labels(work.queue, work.kind).inc()
        self.duration.labels(work.queue, work.kind, outcome).observe(time.monotonic() - work.started_at)

    def on_event(self, event: RuntimeEvent) -> None:
        if event.name == "attempt_failed" and event.state == "discarded":
            self.discarded.labels(event.queue or "", event.kind or "").inc()
        elif event.name == "start_failed":
            self.starts_refused.labels(event.queue or "", event.kind or "").inc()
        elif event.name == "rescued" and event.count is not None:
            self.rescued.inc(event.count)


class DatabaseCollector(Collector):
    """Gauges read from the engine's views at each scrape (one short connection, two queries):

    - ``tributary_queue_ready_steps``, ``tributary_queue_scheduled_steps``,
      ``tributary_queue_running_steps`` and ``tributary_queue_oldest_ready_age_seconds`` by queue
      (``tributary.queue_depths``);
    - ``tributary_expired_leases`` by queue: running steps whose lease lapsed and that no rescue
      took back yet (``tributary.expired_leases``);
    - ``tributary_database_up``: 1 when the scrape could read the database, else 0.
    """

    def __init__(self, dsn: str, connect_timeout: float = 5.0) -> None:
        self.dsn = dsn
        self.connect_timeout = connect_timeout

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("tributary_database_up", "1 when the last scrape read the database.")
        try:
            with psycopg.connect(self.dsn, autocommit=True, connect_timeout=int(self.connect_timeout)) as conn:
                depths = _sql.read(conn, _sql.QUEUE_DEPTHS)
                expired = _sql.call(conn, _sql.EXPIRED_LEASES_BY_QUEUE)
        except psycopg.Error as error:
            logger.warning("metrics: cannot read the database: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        families: dict[str, GaugeMetricFamily] = {
            "ready": GaugeMetricFamily("tributary_queue_ready_steps", "Steps claimable now.", labels=["queue"]),
            "scheduled": GaugeMetricFamily(
                "tributary_queue_scheduled_steps",
                "Available steps waiting for their time (delay, backoff).",
                labels=["queue"],
            ),
            "running": GaugeMetricFamily("tributary_queue_running_steps", "Steps being worked.", labels=["queue"]),
            "age": GaugeMetricFamily(
                "tributary_queue_oldest_ready_age_seconds",
                "How long the oldest ready step has waited.",
                labels=["queue"],
            ),
        }
        for depth in depths:
            queue, age = depth["queue"], depth["oldest_ready_age"]
            families["ready"].add_metric([queue], depth["ready"])
            families["scheduled"].add_metric([queue], depth["scheduled"])
            families["running"].add_metric([queue], depth["running"])
            families["age"].add_metric([queue], age.total_seconds() if age is not None else 0.0)
        leases = GaugeMetricFamily(
            "tributary_expired_leases", "Running steps whose lease lapsed, awaiting a rescue.", labels=["queue"]
        )
        for queue, count in expired:
            leases.add_metric([queue], count)
        yield from families.values()
        yield leases


def database_registry(dsn: str) -> CollectorRegistry:
    """A registry holding only a :class:`DatabaseCollector` for ``dsn``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(dsn))
    return registry


def serve_metrics(
    port: int, addr: str = "127.0.0.1", *, dsn: str | None = None, registry: CollectorRegistry | None = None
) -> Any:
    """Serves ``registry`` (default: prometheus-client's global one, where :class:`PrometheusHook`
    counts by default) at ``http://addr:port/metrics`` from a daemon thread; with ``dsn``, the
    database gauges of :class:`DatabaseCollector` too. Returns the server (``.shutdown()`` stops it)."""
    target = REGISTRY if registry is None else registry
    if dsn is not None:
        target.register(DatabaseCollector(dsn))
    server, _thread = start_http_server(port, addr, registry=target)
    return server
