"""A workflow's graph for people and tools: steps in dependency order, as text, Mermaid or DOT.

Reads the document ``tributary.get_workflow`` returns (each step with its ``depends_on``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tributary.cli.output import duration, format_table, shorten

STATE_COLOURS = {
    "pending": "#d0d7de",
    "available": "#9ecbff",
    "running": "#f2cc60",
    "waiting": "#d2b8ff",
    "completed": "#7ee2a8",
    "discarded": "#ff9492",
    "cancelled": "#bdbdbd",
    "skipped": "#eeeeee",
}


def _map_step_names(steps: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each element step's map step: element task name -> map task name."""
    by_id = {step.get("id"): name for name, step in steps.items()}
    return {
        name: by_id[step["map_step_id"]]
        for name, step in steps.items()
        if step.get("map_step_id") is not None and step["map_step_id"] in by_id
    }


def ordered_tasks(steps: dict[str, dict[str, Any]]) -> list[str]:
    """Task names, every step after the steps it depends on, ties by name; the element steps of a
    map step right after it, in element order."""
    depth: dict[str, int] = {}
    map_of = _map_step_names(steps)

    def depth_of(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name not in depth:
            parents = [p for p in steps[name].get("depends_on") or [] if p in steps and p not in seen]
            depth[name] = 1 + max((depth_of(p, seen | {name}) for p in parents), default=-1)
        return depth[name]

    def key(name: str) -> tuple[int, str, int]:
        if name in map_of:
            return (depth_of(map_of[name]), map_of[name], 1 + int(steps[name].get("map_index") or 0))
        return (depth_of(name), name, 0)

    return sorted(steps, key=key)


def _note(name: str, step: dict[str, Any], map_of: dict[str, str], children: dict[Any, list[Any]]) -> str:
    """What the state alone does not say: a map's size, an element's map, what a wait waits for."""
    if name in map_of:
        return f"element {step.get('map_index')} of {map_of[name]}"
    if step.get("map"):
        spec = step["map"]
        over = spec.get("over", "") + (f".{spec['path']}" if spec.get("path") else "")
        size = spec.get("size")
        return f"map over {over}" + (f": {size} elements" if size is not None else "")
    wait = step.get("wait") or {}
    waiting = step["state"] == "waiting"
    wake_at = _clock(step.get("wake_at")) if waiting else None
    if "event" in wait:
        text = f"event {wait['event']}" + (f" (key {wait['key']})" if wait.get("key") else "")
        return text + (f", times out {wake_at}" if wake_at else "")
    if "sleep" in wait or "sleep_until" in wait:
        return f"sleep until {wake_at}" if wake_at else "sleep"
    spawned = children.get(step.get("id"))
    if spawned:  # a step that spawned a child workflow (one per attempt that spawned)
        return "child workflow " + ", ".join(str(child) for child in spawned)
    return "-"


def _clock(value: str | None) -> str | None:
    if not value:
        return None
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _last_error(step: dict[str, Any]) -> str:
    errors = step.get("errors") or []
    return shorten(str(errors[-1].get("message", "")), 50) if errors else "-"


def as_text(doc: dict[str, Any]) -> list[str]:
    """The workflow's header and one row per step in dependency order."""
    steps: dict[str, dict[str, Any]] = doc["steps"]
    header = f'workflow {doc["id"]} "{doc["name"]}": {doc["state"]}, {len(steps)} steps'
    if doc.get("parent_workflow_id") is not None:
        header += f" (child of workflow {doc['parent_workflow_id']}, step {doc.get('parent_step_id')})"
    rows = []
    map_of = _map_step_names(steps)
    children: dict[Any, list[Any]] = {}
    for child in doc.get("children") or []:
        children.setdefault(child.get("parent_step_id"), []).append(child.get("id"))
    for name in ordered_tasks(steps):
        step = steps[name]
        took = _seconds_between(step.get("attempted_at"), step.get("finalized_at"))
        rows.append(
            (
                name,
                step["kind"],
                step["state"],
                f"{step['attempt']}/{step['max_attempts']}",
                duration(took) if took is not None else "-",
                ", ".join(step.get("depends_on") or []) or "-",
                _last_error(step),
                _note(name, step, map_of, children),
            )
        )
    table = format_table(("task", "kind", "state", "attempts", "duration", "depends on", "last error", "note"), rows)
    return [header, "", *table]


def _node_id(index: int) -> str:
    return f"s{index}"


def as_mermaid(doc: dict[str, Any]) -> list[str]:
    """A Mermaid flowchart: one node per step (task, kind, state), an edge per dependency, a dotted
    link from a map step to each of its element steps."""
    steps: dict[str, dict[str, Any]] = doc["steps"]
    order = ordered_tasks(steps)
    ids = {name: _node_id(i) for i, name in enumerate(order)}
    lines = ["flowchart TD"]
    for name in order:
        label = f"{name}<br/>{steps[name]['kind']}: {steps[name]['state']}".replace('"', "'")
        lines.append(f'    {ids[name]}["{label}"]:::{steps[name]["state"]}')
    for name in order:
        lines.extend(
            f"    {ids[parent]} --> {ids[name]}" for parent in steps[name].get("depends_on") or [] if parent in ids
        )
    lines.extend(f"    {ids[parent]} -.- {ids[name]}" for name, parent in _map_step_names(steps).items())
    lines.extend(f"    classDef {state} fill:{colour}" for state, colour in STATE_COLOURS.items())
    return lines


def as_dot(doc: dict[str, Any]) -> list[str]:
    """A Graphviz digraph: one filled node per step coloured by state, an edge per dependency, a
    dashed line from a map step to each of its element steps."""
    steps: dict[str, dict[str, Any]] = doc["steps"]
    order = ordered_tasks(steps)
    lines = [f"digraph {json.dumps('workflow ' + str(doc['id']))} {{", "    node [shape=box, style=filled];"]
    for name in order:
        step = steps[name]
        label = json.dumps(f"{name}\n{step['kind']}: {step['state']}")
        colour = json.dumps(STATE_COLOURS.get(step["state"], "white"))
        lines.append(f"    {json.dumps(name)} [label={label}, fillcolor={colour}];")
    for name in order:
        lines.extend(
            f"    {json.dumps(parent)} -> {json.dumps(name)};"
            for parent in steps[name].get("depends_on") or []
            if parent in steps
        )
    lines.extend(
        f"    {json.dumps(parent)} -> {json.dumps(name)} [style=dashed, arrowhead=none];"
        for name, parent in _map_step_names(steps).items()
    )
    lines.append("}")
    return lines
