"""list_workflows reads a page by index, whatever the number of workflows: with thousands of
them, ``auto_explain`` shows each filter as an ordered range of one index (or a primary-key
lookup) stopped at the page size, never a read of the whole table or a sort of everything."""

from __future__ import annotations

import re

import psycopg
import pytest

from tests.fix_database import Connect

WORKFLOWS = 2_000
PAGE = 10
WHOLE_READS = ("Seq Scan", "Bitmap Heap Scan", "Sort Method: external", "Hash Join", "Merge Join")


def test_each_filter_is_one_bounded_index_range(connect: Connect) -> None:
    conn = connect()
    conn.execute(
        'SELECT tributary.create_workflow(\'wf_\' || (i %% 30), \'[{"name": "t", "kind": "k"}]\')'
        " FROM generate_series(1, %s) AS i",
        (WORKFLOWS,),
    )
    conn.execute("SELECT tributary.cancel_workflow(id) FROM tributary.workflows WHERE id % 100 = 0")
    conn.execute("ANALYZE tributary.workflows")
    last = conn.execute("SELECT max(id) FROM tributary.workflows").fetchone()
    assert last is not None
    try:
        conn.execute("LOAD 'auto_explain'")
    except psycopg.errors.InsufficientPrivilege:
        pytest.skip("LOAD 'auto_explain' needs a superuser")
    for setting in (
        "auto_explain.log_min_duration = 0",
        "auto_explain.log_nested_statements = on",
        "auto_explain.log_analyze = on",
        "client_min_messages = log",
    ):
        conn.execute(f"SET {setting}")
    cases = {
        "no filter": ("p_limit => %s", (PAGE,), "workflows_created_at_idx"),
        "state": ("p_state => 'cancelled', p_limit => %s", (PAGE,), "workflows_state_created_at_idx"),
        "name": ("p_name => 'wf_7', p_limit => %s", (PAGE,), "workflows_name_created_at_idx"),
        "since": ("p_since => now() - interval '1 hour', p_limit => %s", (PAGE,), "workflows_created_at_idx"),
        "next page": ("p_before_id => %s, p_limit => %s", (last[0] - 1000, PAGE), "workflows_created_at_idx"),
        "state, next page": (
            "p_state => 'running', p_before_id => %s, p_limit => %s",
            (last[0] - 1000, PAGE),
            "workflows_state_created_at_idx workflows_created_at_idx",  # most are running: either is cheap
        ),
        "search by id": ("p_search => %s, p_limit => %s", (str(last[0] - 5), PAGE), "workflows_pkey"),
    }
    plans: list[str] = []
    conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    for case, (arguments, params, index) in cases.items():
        plans.clear()
        rows = conn.execute(f"SELECT id FROM tributary.list_workflows({arguments})", params).fetchall()
        assert rows, case
        inner = [p for p in plans if "tributary.workflows" in p or "on workflows" in p]
        listing = [p for p in inner if "Limit" in p or "workflows_pkey" in p]
        assert listing, f"{case}: no plan of the listing query in {plans}"
        plan = listing[-1]
        assert any(name in plan for name in index.split()), f"{case}: expected {index}:\n{plan}"
        assert not any(node in plan for node in WHOLE_READS), f"{case}:\n{plan}"
        read = [int(n) for n in re.findall(r"\(actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", plan)]
        assert read, plan
        assert max(read) <= PAGE, f"{case}: returned more rows than a page:\n{plan}"
        removed = sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan))
        assert removed <= PAGE, f"{case}: read far more rows than a page:\n{plan}"
