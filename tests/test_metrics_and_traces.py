"""PrometheusHook and DatabaseCollector read through prometheus-client's registry;
OpenTelemetryHook's spans read from opentelemetry-sdk's in-memory exporter. Real workers, real
database."""

from __future__ import annotations

import time
import urllib.request
from datetime import timedelta

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from prometheus_client import CollectorRegistry
from psycopg.types.json import Jsonb

from tests.client_helpers import WAIT_SECONDS, Conn, fast_config, started
from tests.dashboard_helpers import free_port
from tributary import Client, InsertOpts, QueueConfig, Step, StepArgs, Worker
from tributary.hooks import RuntimeEvent
from tributary.metrics import DatabaseCollector, PrometheusHook, database_registry, serve_metrics
from tributary.testing.databases import with_dbname
from tributary.tracing import OpenTelemetryHook, workflow_span_context, workflow_trace_id


class Measure(StepArgs):
    kind = "measure"
    fail: bool = False


class MeasureWorker(Worker[Measure]):
    def work(self, step: Step[Measure]) -> int:
        if step.args.fail:
            raise ValueError("measured a failure")
        return 1


class Traced(StepArgs):
    kind = "traced"
    fail_first: bool = False


class TracedWorker(Worker[Traced]):
    """Async: opens a span of its own, which must nest under the attempt's span."""

    def __init__(self, tracer: trace.Tracer) -> None:
        super().__init__()
        self.tracer = tracer

    async def work(self, step: Step[Traced]) -> str:
        with self.tracer.start_as_current_span("handler.inner"):
            if step.args.fail_first and step.attempt == 1:
                raise RuntimeError("first attempt fails")
        return "ok"


QUEUES = {"default": QueueConfig(max_workers=4), "fast": QueueConfig(max_workers=2)}
RETRY_ONCE = InsertOpts(max_attempts=2, retry_backoff=timedelta(milliseconds=10))


# -- Prometheus ----------------------------------------------------------------------------------


def test_prometheus_hook_counts_by_queue_and_kind(dsn: str) -> None:
    registry = CollectorRegistry()
    config = fast_config(MeasureWorker(), hooks=[PrometheusHook(registry)], queues=QUEUES)
    with Client(dsn, config) as client, started(client):
        workflow_id = (
            client.new_workflow("measured")
            .add_task("ok1", Measure())
            .add_task("ok2", Measure(), insert_opts=InsertOpts(queue="fast"))
            .add_task("bad", Measure(fail=True), insert_opts=RETRY_ONCE)
            .execute()
        )
        assert client.wait(workflow_id, timeout=WAIT_SECONDS).state == "failed"

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("tributary_steps_started_total", queue="default", kind="measure") == 3  # ok1 + bad twice
    assert value("tributary_steps_started_total", queue="fast", kind="measure") == 1
    assert value("tributary_steps_completed_total", queue="default", kind="measure") == 1
    assert value("tributary_steps_completed_total", queue="fast", kind="measure") == 1
    assert value("tributary_steps_failed_total", queue="default", kind="measure") == 2
    assert value("tributary_steps_failed_total", queue="fast", kind="measure") is None
    assert value("tributary_steps_discarded_total", queue="default", kind="measure") == 1  # bad's last attempt
    assert value("tributary_step_duration_seconds_count", queue="default", kind="measure", outcome="failed") == 2
    assert value("tributary_step_duration_seconds_count", queue="default", kind="measure", outcome="completed") == 1
    total = value("tributary_step_duration_seconds_sum", queue="default", kind="measure", outcome="completed")
    assert total is not None
    assert 0 <= total < WAIT_SECONDS


def test_one_hook_per_registry() -> None:
    registry = CollectorRegistry()
    PrometheusHook(registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        PrometheusHook(registry)


def test_database_gauges(dsn: str, conn: Conn) -> None:
    conn.execute("UPDATE tributary.settings SET lease_duration = interval '1 second'")
    conn.execute(
        "SELECT tributary.create_workflow('gauges', %s)",
        (
            Jsonb(
                [
                    {"name": "r1", "kind": "k", "queue": "g1"},
                    {"name": "r2", "kind": "k", "queue": "g1"},
                    {"name": "later", "kind": "k", "queue": "g1", "scheduled_at": "2999-01-01T00:00:00Z"},
                    {"name": "held", "kind": "k", "queue": "g2"},
                ]
            ),
        ),
    )
    conn.execute("SELECT tributary.claim_step('g2', 'gone-worker', 1)")
    time.sleep(1.2)  # the claim's one-second lease lapses
    registry = database_registry(dsn)

    def value(name: str, queue: str) -> float | None:
        return registry.get_sample_value(name, {"queue": queue})

    assert registry.get_sample_value("tributary_database_up") == 1
    assert value("tributary_queue_ready_steps", "g1") == 2
    assert value("tributary_queue_scheduled_steps", "g1") == 1
    assert value("tributary_queue_running_steps", "g2") == 1
    age = value("tributary_queue_oldest_ready_age_seconds", "g1")
    assert age is not None
    assert 1.0 <= age < 60
    assert value("tributary_expired_leases", "g2") == 1
    assert value("tributary_expired_leases", "g1") is None
    conn.execute("SELECT tributary.rescue_expired_steps()")
    assert value("tributary_expired_leases", "g2") is None


def test_database_collector_reports_down(dsn: str) -> None:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(with_dbname(dsn, "tributary_no_such_database"), connect_timeout=3))
    assert registry.get_sample_value("tributary_database_up") == 0


def test_serve_metrics_standalone(dsn: str, conn: Conn) -> None:
    conn.execute('SELECT tributary.create_workflow(\'standalone\', \'[{"name": "t", "kind": "k", "queue": "sa"}]\')')
    registry = CollectorRegistry()
    hook = PrometheusHook(registry)
    port = free_port()
    server = serve_metrics(port, dsn=dsn, registry=registry)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            body = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'tributary_queue_ready_steps{queue="sa"} 1.0' in body
    assert "# TYPE tributary_steps_started_total counter" in body
    assert hook.started is not None


# -- OpenTelemetry -------------------------------------------------------------------------------


@pytest.fixture
def spans() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_a_span_per_attempt_in_the_workflows_trace(
    dsn: str, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    config = fast_config(TracedWorker(provider.get_tracer("handler")), hooks=[OpenTelemetryHook(provider)])
    with Client(dsn, config) as client, started(client):
        workflow_id = (
            client.new_workflow("traced")
            .add_task("first", Traced())
            .add_task("second", Traced(fail_first=True), depends_on=["first"], insert_opts=RETRY_ONCE)
            .execute()
        )
        other_id = client.new_workflow("traced_other").add_task("alone", Traced()).execute()
        assert client.wait(workflow_id, timeout=WAIT_SECONDS).state == "completed"
        assert client.wait(other_id, timeout=WAIT_SECONDS).state == "completed"

    finished: list[ReadableSpan] = list(exporter.get_finished_spans())
    attempts = [s for s in finished if s.name == "tributary.step traced"]
    ours = sorted(
        (s for s in attempts if s.attributes and s.attributes["tributary.workflow_id"] == workflow_id),
        key=lambda s: (str(s.attributes and s.attributes["tributary.task"]), s.start_time or 0),
    )
    assert [(s.attributes["tributary.task"], s.attributes["tributary.attempt"]) for s in ours if s.attributes] == [
        ("first", 1),
        ("second", 1),
        ("second", 2),
    ]
    parent = workflow_span_context(workflow_id)
    for span in ours:
        assert span.context is not None
        assert span.context.trace_id == workflow_trace_id(workflow_id)
        assert span.parent is not None
        assert span.parent.span_id == parent.span_id
        assert span.attributes is not None
        assert span.attributes["tributary.queue"] == "default"
        assert span.attributes["tributary.kind"] == "traced"
    failed, retried = ours[1], ours[2]
    assert failed.status.status_code == StatusCode.ERROR
    assert any(event.name == "exception" for event in failed.events)
    assert retried.status.status_code != StatusCode.ERROR

    other = [s for s in attempts if s.attributes and s.attributes["tributary.workflow_id"] == other_id]
    assert len(other) == 1
    assert other[0].context is not None
    assert other[0].context.trace_id == workflow_trace_id(other_id) != workflow_trace_id(workflow_id)

    inner = [s for s in finished if s.name == "handler.inner"]
    assert len(inner) == 4
    by_span_id = {s.context.span_id: s for s in attempts if s.context is not None}
    for span in inner:
        assert span.parent is not None
        assert span.parent.span_id in by_span_id  # nested under its attempt's span


def test_trace_ids_are_stable_and_namespaced() -> None:
    assert workflow_trace_id(7) == workflow_trace_id(7)
    assert workflow_trace_id(7) != workflow_trace_id(8)
    assert workflow_trace_id(7, "eu-db") != workflow_trace_id(7, "us-db")
    assert 0 < workflow_trace_id(7) < 2**128
    assert workflow_span_context(7).is_remote


def test_prometheus_hook_counts_the_leases_its_rescues_take_back() -> None:
    registry = CollectorRegistry()
    hook = PrometheusHook(registry)
    hook.on_event(RuntimeEvent("rescued", "rescued 3 steps whose lease expired", count=3))
    hook.on_event(RuntimeEvent("attempt_failed", "failed: x -> available", queue="q", kind="k", state="available"))
    assert registry.get_sample_value("tributary_lease_expiries_rescued_total") == 3
    assert registry.get_sample_value("tributary_steps_discarded_total", {"queue": "q", "kind": "k"}) is None
