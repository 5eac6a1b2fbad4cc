"""The plans of map expansion, collection and branch skipping stay index scans as tables grow.

Same method as test_plan_stability: the statements are planned (generic plans) on a nearly empty
database, the tables grow in the same session, then auto_explain prints every statement the
worker functions run for a map step (expansion, elements, collection) and for branches (a
run_if not met, a skipped step's dependents, an any_completed join).
"""

from __future__ import annotations

from tests.engine_helpers import Conn, claim, complete_steps, create_workflow, task
from tests.fix_database import Connect
from tests.test_plan_stability import GROWTH, WHOLE_READS, explained, unbounded_index_scans


def create_maps_and_branches(conn: Conn, queue: str) -> None:
    create_workflow(
        conn,
        queue,
        [
            task("a", queue=queue),
            task("m", queue=queue, depends_on=["a"], map={"over": "a", "path": "items"}),
            task("after", queue=queue, depends_on=["m"]),
            task("decide", queue=queue),
            task("x", queue=queue, depends_on=["decide"], run_if={"decide": {"go": True}}),
            task("x2", queue=queue, depends_on=["x"]),
            task("y", queue=queue, depends_on=["decide"]),
            task("join", queue=queue, depends_on=["x2", "y"], run_when="any_completed"),
        ],
    )


def exercise(conn: Conn, queue: str) -> None:
    """Roots complete (the map expands, x is skipped and x2 with it), the elements complete one
    by one (the last collects), then y completes and the join becomes available."""
    roots = claim(conn, queue, "w", 2)
    complete_steps(conn, roots, [{"items": [1, 2, 3]} if r.task_name == "a" else {"go": False} for r in roots])
    while claimed := claim(conn, queue, "w", 1):
        complete_steps(conn, claimed, [1])


def test_map_and_branch_plans_stay_index_scans_after_growth(connect: Connect) -> None:
    conn = connect()
    create_maps_and_branches(conn, "maps-while-empty")
    exercise(conn, "maps-while-empty")

    create_workflow(conn, "history", [task(f"h{i}") for i in range(GROWTH)])
    complete_steps(conn, claim(conn, "default", "bulk", GROWTH))
    create_workflow(
        conn, "waiting", [task("gate", queue="never")] + [task(f"p{i}", depends_on=["gate"]) for i in range(GROWTH)]
    )
    create_maps_and_branches(conn, "maps-after-growth")

    plans = explained(conn, lambda: exercise(conn, "maps-after-growth"))

    states = conn.execute(
        "SELECT s.task_name, s.state FROM tributary.steps s JOIN tributary.workflows w ON w.id = s.workflow_id"
        " WHERE w.name = 'maps-after-growth' ORDER BY s.id"
    ).fetchall()
    assert dict(states) == {
        "a": "completed",
        "m": "completed",
        "after": "completed",
        "decide": "completed",
        "x": "skipped",
        "x2": "skipped",
        "y": "completed",
        "join": "completed",
        "m[0]": "completed",
        "m[1]": "completed",
        "m[2]": "completed",
    }
    statements = [p for p in plans if "tributary.steps" in p]
    assert any("map_step_id" in p for p in statements), "the collection ran under auto_explain"
    assert any("INSERT INTO tributary.steps" in p for p in statements), "the expansion ran under auto_explain"
    whole_reads = [p for p in statements if any(node in p for node in WHOLE_READS) or unbounded_index_scans(p)]
    assert whole_reads == [], "\n\n".join(whole_reads)
