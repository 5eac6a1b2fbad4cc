"""A workflow's DAG laid out by depth and drawn as inline SVG (no JavaScript, no graph library),
and a step's attempts on a timeline.

Each step sits in the column of its depth (the longest dependency path from a root), so every
edge points right. Within a column, steps are ordered by the mean row of their dependencies (then
by name), which keeps most edges short and uncrossed for the shapes workflows usually have
(chains, fan-out/fan-in, diamonds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

NODE_WIDTH = 160
NODE_HEIGHT = 40
COLUMN_GAP = 60
ROW_GAP = 18
MARGIN = 12
LABEL_CHARS = 20

# One colour per step state; the dashboard's legend and CSS use the same names.
STATE_COLOURS: dict[str, str] = {
    "pending": "#cbd5e1",
    "available": "#93c5fd",
    "running": "#3b82f6",
    "waiting": "#a78bfa",
    "completed": "#22c55e",
    "discarded": "#ef4444",
    "cancelled": "#f59e0b",
    "skipped": "#e2e8f0",
}
STATE_TEXT: dict[str, str] = {"running": "#ffffff", "discarded": "#ffffff"}


@dataclass(frozen=True)
class Node:
    task_name: str
    state: str
    depth: int
    row: float  # columns shorter than the tallest one are centred: half rows happen

    @property
    def x(self) -> int:
        return MARGIN + self.depth * (NODE_WIDTH + COLUMN_GAP)

    @property
    def y(self) -> int:
        return MARGIN + round(self.row * (NODE_HEIGHT + ROW_GAP))


def layout(depends_on: Mapping[str, Sequence[str]], states: Mapping[str, str]) -> dict[str, Node]:
    """Positions every task of ``depends_on`` (task -> the task names it waits for).

    Unknown dependency names are ignored (the engine refuses them at creation anyway)."""
    depth: dict[str, int] = {}
    for task in sorted(depends_on):
        _resolve_depths(task, depends_on, depth)
    columns: dict[int, list[str]] = {}
    for task in depends_on:
        columns.setdefault(depth[task], []).append(task)
    rows: dict[str, float] = {}
    tallest = max((len(c) for c in columns.values()), default=0)
    for column in sorted(columns):

        def order(task: str) -> tuple[float, str]:
            parent_rows = [rows[p] for p in depends_on.get(task, ()) if p in rows]
            return (sum(parent_rows) / len(parent_rows) if parent_rows else 0.0, task)

        offset = (tallest - len(columns[column])) / 2
        for row, task in enumerate(sorted(columns[column], key=order)):
            rows[task] = row + offset
    return {task: Node(task, states.get(task, "pending"), depth[task], rows[task]) for task in depends_on}


def _resolve_depths(start: str, depends_on: Mapping[str, Sequence[str]], depth: dict[str, int]) -> None:
    """Fills ``depth`` for ``start`` and its ancestors, without recursion (chains run to thousands of
    steps). A cycle cannot be stored; should one appear, its back edge is ignored."""
    stack = [start]
    on_stack = {start}
    while stack:
        task = stack[-1]
        if task in depth:
            stack.pop()
            on_stack.discard(task)
            continue
        parents = [p for p in depends_on.get(task, ()) if p in depends_on]
        missing = [p for p in parents if p not in depth and p not in on_stack]
        if missing:
            stack.extend(missing)
            on_stack.update(missing)
            continue
        depth[task] = 1 + max((depth.get(p, 0) for p in parents), default=-1)
        stack.pop()
        on_stack.discard(task)


def _label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def render_svg(depends_on: Mapping[str, Sequence[str]], states: Mapping[str, str]) -> str:
    """The DAG as an ``<svg>`` element: one ``<g class="node">`` per step (``data-task``,
    ``data-state``, filled with its state's colour, linking to ``#step-<task>``) and one path per
    dependency edge."""
    nodes = layout(depends_on, states)
    if not nodes:
        return '<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="0" height="0" role="img"></svg>'
    width = max(n.x for n in nodes.values()) + NODE_WIDTH + MARGIN
    height = max(n.y for n in nodes.values()) + NODE_HEIGHT + MARGIN
    parts = [
        f'<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="workflow graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#64748b"/></marker></defs>',
    ]
    for task in sorted(nodes):
        child = nodes[task]
        for parent_name in depends_on.get(task, ()):
            parent = nodes.get(parent_name)
            if parent is None:
                continue
            x1, y1 = parent.x + NODE_WIDTH, parent.y + NODE_HEIGHT // 2
            x2, y2 = child.x, child.y + NODE_HEIGHT // 2
            bend = (x2 - x1) // 2
            parts.append(
                f'<path class="edge" data-from="{escape(parent_name)}" data-to="{escape(task)}" '
                f'd="M {x1} {y1} C {x1 + bend} {y1}, {x2 - bend} {y2}, {x2} {y2}" '
                'fill="none" stroke="#64748b" stroke-width="1.5" marker-end="url(#arrow)"/>'
            )
    for task in sorted(nodes, key=lambda t: (nodes[t].depth, nodes[t].row)):
        node = nodes[task]
        fill = STATE_COLOURS.get(node.state, "#e5e7eb")
        ink = STATE_TEXT.get(node.state, "#0f172a")
        name = escape(task)
        parts.append(
            f'<a href="#step-{name}"><g class="node state-{escape(node.state)}" data-task="{name}" '
            f'data-state="{escape(node.state)}"><title>{name}: {escape(node.state)}</title>'
            f'<rect x="{node.x}" y="{node.y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6" '
            f'fill="{fill}" stroke="#334155" stroke-width="1"/>'
            f'<text x="{node.x + 8}" y="{node.y + 16}" font-size="12" font-weight="600" fill="{ink}">'
            f"{escape(_label(task))}</text>"
            f'<text x="{node.x + 8}" y="{node.y + 31}" font-size="11" fill="{ink}">{escape(node.state)}</text>'
            "</g></a>"
        )
    parts.append("</svg>")
    return "".join(parts)


TIMELINE_WIDTH = 640
TIMELINE_HEIGHT = 34
EVENT_COLOURS: dict[str, str] = {
    "scheduled": "#94a3b8",
    "started": "#3b82f6",
    "failed": "#ef4444",
    **{
        state: colour
        for state, colour in STATE_COLOURS.items()
        if state in ("completed", "discarded", "cancelled", "skipped")
    },
}


@dataclass(frozen=True)
class Event:
    """A point on a step's timeline: ``kind`` is scheduled, started, failed, or a final state."""

    at: datetime
    kind: str
    label: str


def render_timeline(events: Sequence[Event]) -> str:
    """A step's events on one horizontal axis, left (first) to right (last), as ``<svg>``: one dot
    per event (``data-kind``), coloured by kind, with its label and time as a tooltip."""
    ordered = sorted(events, key=lambda e: e.at)
    if not ordered:
        return ""
    start, end = ordered[0].at, ordered[-1].at
    span = (end - start).total_seconds() or 1.0
    usable = TIMELINE_WIDTH - 2 * MARGIN
    mid = TIMELINE_HEIGHT // 2
    parts = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{TIMELINE_WIDTH}" '
        f'height="{TIMELINE_HEIGHT}" viewBox="0 0 {TIMELINE_WIDTH} {TIMELINE_HEIGHT}" role="img" '
        'aria-label="attempts timeline">',
        f'<line x1="{MARGIN}" y1="{mid}" x2="{TIMELINE_WIDTH - MARGIN}" y2="{mid}" stroke="#cbd5e1" stroke-width="2"/>',
    ]
    for event in ordered:
        x = MARGIN + round((event.at - start).total_seconds() / span * usable)
        colour = EVENT_COLOURS.get(event.kind, "#64748b")
        when = event.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"
        parts.append(
            f'<circle class="event" data-kind="{escape(event.kind)}" cx="{x}" cy="{mid}" r="6" fill="{colour}" '
            f'stroke="#334155" stroke-width="1"><title>{escape(event.label)} · {when}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)
