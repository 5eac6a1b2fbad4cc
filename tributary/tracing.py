"""OpenTelemetry spans, one per step attempt, all attempts of a workflow in one trace. Needs
``opentelemetry-api`` (``pip install 'tributary[otel]'``) and an SDK configured by the application.

The trace of a workflow is derived from its id: ``workflow_trace_id(workflow_id)`` is a
128-bit hash of the workflow id (and of ``namespace``, to tell databases apart), and every
attempt span is a child of a remote parent span whose id is derived the same way. So every worker
process, on any host, puts its spans in the workflow's trace without anything stored in the
database, and an operator finds a workflow's trace from its id alone. The parent span itself is
never exported: tracing backends show it as the trace's (missing) root.

While an async handler runs, its attempt span is the current span, so spans the handler opens
(HTTP calls, queries) nest under it. A synchronous handler runs in a worker thread, which does not
inherit the context: pass it on yourself if you need that.
"""

from __future__ import annotations

import hashlib
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TracerProvider,
)

from tributary.hooks import Hook, WorkPayload

TRACER_NAME = "tributary"


def _derived(namespace: str, workflow_id: int, what: bytes, size: int) -> int:
    digest = hashlib.blake2b(f"{namespace}\x00{workflow_id}".encode(), digest_size=size, person=what).digest()
    return int.from_bytes(digest, "big") or 1  # an all-zero id is invalid in OpenTelemetry


def workflow_trace_id(workflow_id: int, namespace: str = "") -> int:
    """The 128-bit trace id of a workflow's spans (format as ``f"{id:032x}"`` to search for it)."""
    return _derived(namespace, workflow_id, b"tributary-trace", 16)


def workflow_span_context(workflow_id: int, namespace: str = "") -> SpanContext:
    """The remote parent of every attempt span of the workflow."""
    return SpanContext(
        trace_id=workflow_trace_id(workflow_id, namespace),
        span_id=_derived(namespace, workflow_id, b"tributary-span", 8),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )


class OpenTelemetryHook(Hook):
    """Opens a span per step attempt in ``before_work`` and ends it in ``after_work``.

    Span name ``tributary.step <kind>``, kind CONSUMER, attributes ``tributary.workflow_id``,
    ``tributary.step_id``, ``tributary.task``, ``tributary.kind``, ``tributary.attempt`` and
    ``tributary.queue``; status ERROR with the exception recorded when the attempt failed.
    Put it first in ``Config(hooks=[...])`` so its span covers the other hooks' work too.
    ``namespace`` tells apart workflows with the same id in different databases.
    """

    def __init__(self, tracer_provider: TracerProvider | None = None, namespace: str = "") -> None:
        self._tracer = trace.get_tracer(TRACER_NAME, tracer_provider=tracer_provider)
        self._namespace = namespace
        self._open: dict[tuple[int, int], tuple[Span, Any]] = {}

    def before_work(self, work: WorkPayload) -> None:
        parent = trace.set_span_in_context(NonRecordingSpan(workflow_span_context(work.workflow_id, self._namespace)))
        span = self._tracer.start_span(
            f"tributary.step {work.kind}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "tributary.workflow_id": work.workflow_id,
                "tributary.step_id": work.step_id,
                "tributary.task": work.task_name,
                "tributary.kind": work.kind,
                "tributary.attempt": work.attempt,
                "tributary.queue": work.queue,
            },
        )
        token = context.attach(trace.set_span_in_context(span))
        self._open[(work.step_id, work.attempt)] = (span, token)

    def after_work(self, work: WorkPayload, error: BaseException | None) -> None:
        opened = self._open.pop((work.step_id, work.attempt), None)
        if opened is None:
            return
        span, token = opened
        context.detach(token)
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, str(error) or type(error).__name__))
        span.end()
