"""The dashboard over HTTP (Starlette's test client, a real database): pages and their filters,
authentication, the loopback rule, CSRF, read-only mode, error pages, /metrics, the command."""

from __future__ import annotations

import base64
import html
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from psycopg.types.json import Jsonb
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from tests.client_helpers import Conn, workflow_state
from tests.dashboard_helpers import serving
from tributary import Client, Config, cli
from tributary.dashboard import app as dashboard_app
from tributary.dashboard import create_app, is_loopback
from tributary.dashboard.graph import Event, layout, render_svg, render_timeline
from tributary.testing.databases import with_dbname

LOOPBACK = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.7", 50000)  # TEST-NET-3: never routed, only a label for the test client
TOKEN = "t0ken-for-tests"


def _create(conn: Conn, name: str, tasks: list[dict[str, Any]], metadata: dict[str, Any] | None = None) -> int:
    row = conn.execute(
        "SELECT tributary.create_workflow(%s, %s, NULL, %s)", (name, Jsonb(tasks), Jsonb(metadata or {}))
    ).fetchone()
    assert row is not None
    return int(row[0])


def _diamond(conn: Conn, name: str = "diamond") -> int:
    return _create(
        conn,
        name,
        [
            {"name": "a", "kind": "k", "args": {"n": 1}},
            {"name": "b", "kind": "k", "depends_on": ["a"]},
            {"name": "c", "kind": "k", "depends_on": ["a"]},
            {"name": "d", "kind": "k", "depends_on": ["b", "c"]},
        ],
    )


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


@pytest.fixture
def local(dsn: str) -> Iterator[TestClient]:
    """A client on loopback of a dashboard without a token."""
    with TestClient(create_app(dsn), client=LOOPBACK) as client:
        yield client


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# -- pages -------------------------------------------------------------------------------------


def test_workflow_page_draws_the_graph_with_states_and_dependencies(local: TestClient, conn: Conn) -> None:
    workflow_id = _diamond(conn)
    page = local.get(f"/workflows/{workflow_id}")
    assert page.status_code == 200
    html = page.text
    nodes = dict(re.findall(r'<g class="node state-\w+" data-task="(\w)" data-state="(\w+)"', html))
    assert nodes == {"a": "available", "b": "pending", "c": "pending", "d": "pending"}
    edges = set(re.findall(r'class="edge" data-from="(\w)" data-to="(\w)"', html))
    assert edges == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")}
    assert '<tr data-task="d" data-state="pending">' in html
    assert "b, c" in html  # d's depends_on
    assert "&#34;n&#34;: 1" in html or '"n": 1' in html  # a's args, shown
    assert 'id="cancel-workflow"' in html
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "tributary_csrf" in page.headers["set-cookie"]
    assert "HttpOnly" in page.headers["set-cookie"]
    assert "SameSite=strict" in page.headers["set-cookie"]


def test_sealed_args_show_a_marker_not_the_envelope(local: TestClient, conn: Conn) -> None:
    envelope = {"tributary_sealed": 1, "kid": "ab12cd34", "ct": "Y2lwaGVydGV4dA=="}
    workflow_id = _create(conn, "sealed", [{"name": "s", "kind": "k", "args": envelope}])
    html = local.get(f"/workflows/{workflow_id}").text
    assert '<span class="sealed"' in html
    assert "Y2lwaGVydGV4dA" not in html


def test_a_result_of_sealed_pieces_shows_a_marker_not_the_envelopes(local: TestClient, conn: Conn) -> None:
    envelope = {"tributary_sealed": 1, "kid": "ab12cd34", "ct": "cGllY2U=", "to": "attempt"}
    workflow_id = _create(conn, "pieces", [{"name": "m", "kind": "k"}])
    (step_id,) = conn.execute("SELECT step_id FROM tributary.claim_step('default', 'w', 1)").fetchone() or (None,)
    # A map's result (its elements' sealed results), as the engine stores it.
    conn.execute("SELECT tributary.complete_step(%s, 1, %s)", (step_id, Jsonb([envelope, envelope])))
    html = local.get(f"/workflows/{workflow_id}").text
    assert html.count('<span class="sealed"') >= 1
    assert "cGllY2U" not in html


def test_error_history_with_tracebacks(local: TestClient, conn: Conn) -> None:
    workflow_id = _create(conn, "failing", [{"name": "x", "kind": "k_fail", "max_attempts": 2}])
    for attempt in (1, 2):
        claimed = conn.execute("SELECT step_id FROM tributary.claim_step('default', 'w1', 1)").fetchone()
        assert claimed is not None
        error = {"message": f"boom {attempt}", "traceback": f"Traceback <frame {attempt}>"}
        conn.execute("UPDATE tributary.steps SET scheduled_at = tributary.now() WHERE id = %s", (claimed[0],))
        conn.execute("SELECT tributary.fail_step(%s, %s, %s)", (claimed[0], attempt, Jsonb(error)))
        conn.execute("UPDATE tributary.steps SET scheduled_at = tributary.now() WHERE id = %s", (claimed[0],))
    html = local.get(f"/workflows/{workflow_id}").text
    assert html.count('class="attempt failed"') == 2
    assert "boom 1" in html
    assert "boom 2" in html
    assert "Traceback &lt;frame 2&gt;" in html  # escaped
    kinds = re.findall(r'<circle class="event" data-kind="(\w+)"', html)
    assert sorted(kinds) == ["discarded", "failed", "failed", "scheduled", "started"]  # the attempts' timeline
    assert 'id="retry-workflow"' in html


def test_index_filters_search_and_pages(local: TestClient, conn: Conn) -> None:
    ids = [_create(conn, f"batch_{i % 3}", [{"name": "t", "kind": "k"}]) for i in range(55)]
    conn.execute("SELECT tributary.cancel_workflow(%s)", (ids[0],))

    first = local.get("/")
    listed = [int(i) for i in re.findall(r'<tr data-workflow-id="(\d+)"', first.text)]
    assert listed == sorted(ids, reverse=True)[:50]
    older = re.search(r'id="older" href="([^"]+)"', first.text)
    assert older is not None
    second = local.get(older.group(1).replace("&amp;", "&"))
    assert [int(i) for i in re.findall(r'<tr data-workflow-id="(\d+)"', second.text)] == sorted(ids, reverse=True)[50:]

    by_state = local.get("/", params={"state": "cancelled"}).text
    assert re.findall(r'<tr data-workflow-id="(\d+)"', by_state) == [str(ids[0])]
    by_name = local.get("/", params={"name": "batch_1"}).text
    assert len(re.findall(r'<tr data-workflow-id="(\d+)"', by_name)) == 18
    by_id = local.get("/", params={"q": str(ids[7])}).text
    assert re.findall(r'<tr data-workflow-id="(\d+)"', by_id) == [str(ids[7])]
    by_prefix = local.get("/", params={"q": "batch_", "since": "1h"}).text
    assert len(re.findall(r'<tr data-workflow-id="(\d+)"', by_prefix)) == 50
    assert re.findall(r'<tr data-workflow-id="(\d+)"', local.get("/", params={"since": "2999-01-01"}).text) == []


def test_bad_filters_get_a_400_page(local: TestClient) -> None:
    bad_state = local.get("/", params={"state": "done"})
    assert bad_state.status_code == 400
    assert 'unknown workflow state "done"' in html.unescape(bad_state.text)
    bad_since = local.get("/", params={"since": "yesterday"})
    assert bad_since.status_code == 400
    assert "since" in bad_since.text
    assert local.get("/", params={"since": "999999d"}).status_code == 400  # before year 1
    assert local.get("/", params={"before": "x"}).status_code == 400
    assert local.get("/", params={"before": "-7"}).status_code == 404  # a cursor naming no workflow


def test_unknown_workflow_is_a_404_page(local: TestClient) -> None:
    page = local.get("/workflows/987654321")
    assert page.status_code == 404
    assert "workflow 987654321 does not exist" in page.text


def test_queues_and_failures_pages(local: TestClient, conn: Conn) -> None:
    workflow_id = _create(conn, "q", [{"name": "t", "kind": "k", "queue": "q-page"}, {"name": "u", "kind": "k"}])
    claimed = conn.execute("SELECT step_id FROM tributary.claim_step('default', 'w', 1)").fetchone()
    assert claimed is not None
    conn.execute("SELECT tributary.fail_step(%s, 1, %s, false)", (claimed[0], Jsonb({"message": "kaputt"})))
    queues = local.get("/queues").text
    assert re.search(r'<tr data-queue="q-page"><td>q-page</td><td class="num">1</td>', queues)
    failures = local.get("/failures").text
    assert "kaputt" in failures
    assert f"/workflows/{workflow_id}#step-u" in failures


def test_workers_page_and_unserved_queues(local: TestClient, conn: Conn) -> None:
    _create(conn, "w", [{"name": "t", "kind": "k", "queue": "lonely"}])
    conn.execute("SELECT tributary.report_worker_process('w-1', 'h', 7, ARRAY['default'], ARRAY['k'], '0.1.0')")
    workers = local.get("/workers").text
    assert re.search(r'<tr data-worker="w-1"><td>w-1</td><td>h</td><td class="num">7</td>', workers)
    assert "<td>default</td>" in workers
    queues = local.get("/queues").text
    lonely = queues[queues.index('data-queue="lonely"') :]
    assert "no live worker process" in lonely[: lonely.index("</tr>")]


def test_metrics_endpoint_serves_database_gauges(local: TestClient, conn: Conn) -> None:
    _create(conn, "m", [{"name": "t", "kind": "k", "queue": "q-metrics"}])
    body = local.get("/metrics")
    assert body.headers["content-type"].startswith("text/plain")
    assert 'tributary_queue_ready_steps{queue="q-metrics"} 1.0' in body.text
    assert "tributary_database_up 1.0" in body.text


def test_events_push_a_finalization_at_once_without_waiting_for_the_poll(dsn: str, conn: Conn) -> None:
    workflow_id = _create(conn, "pushed", [{"name": "only", "kind": "k"}])
    with (
        serving(dsn, poll_interval=60) as url,
        httpx.Client(timeout=10) as http,
        http.stream("GET", f"{url}/workflows/{workflow_id}/events") as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = _sse_events(stream.iter_lines())
        first = next(events)
        assert 'data-workflow-state="running"' in first
        started = time.monotonic()
        claimed = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('default', 'w', 1)").fetchone()
        assert claimed is not None
        conn.execute("SELECT tributary.complete_step(%s, %s, NULL)", claimed)
        second = next(events)
        assert 'data-workflow-state="completed"' in second
        assert time.monotonic() - started < 10  # the LISTEN, not the 60 s poll


def _sse_events(lines: Iterator[str]) -> Iterator[str]:
    """The data of each ``update`` event of a server-sent event stream."""
    name, data = "", []
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data.append(line[len("data: ") :])
        elif line == "":
            if name == "update":
                yield "\n".join(data)
            name, data = "", []


# -- actions, CSRF, read-only --------------------------------------------------------------------


def test_cancel_and_retry_actions(local: TestClient, conn: Conn) -> None:
    workflow_id = _diamond(conn)
    token = _csrf(local.get(f"/workflows/{workflow_id}").text)
    done = local.post(f"/workflows/{workflow_id}/cancel", data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/workflows/{workflow_id}?notice=cancelled"
    assert workflow_state(conn, workflow_id) == "cancelled"
    row = conn.execute("SELECT cancel_reason FROM tributary.steps WHERE workflow_id = %s LIMIT 1", (workflow_id,))
    assert row.fetchone() == ("cancelled from the dashboard",)
    again = local.post(f"/workflows/{workflow_id}/cancel", data={"csrf": token}, follow_redirects=False)
    assert again.headers["location"].endswith("notice=already-finished")

    step_id = conn.execute(
        "SELECT id FROM tributary.steps WHERE workflow_id = %s AND task_name = 'a'", (workflow_id,)
    ).fetchone()
    assert step_id is not None
    refused = local.post(f"/steps/{step_id[0]}/retry", data={"csrf": token, "workflow_id": str(workflow_id)})
    assert refused.status_code == 409  # TB011: a cancelled workflow's steps are retried together
    assert "retry_workflow" in refused.text or "retried together" in refused.text

    retried = local.post(f"/workflows/{workflow_id}/retry", data={"csrf": token}, follow_redirects=False)
    assert retried.headers["location"].endswith("notice=retried")
    assert workflow_state(conn, workflow_id) == "running"


def test_retry_step_action(local: TestClient, conn: Conn) -> None:
    workflow_id = _create(conn, "one", [{"name": "x", "kind": "k"}, {"name": "y", "kind": "k"}])
    claimed = conn.execute("SELECT step_id FROM tributary.claim_step('default', 'w', 1)").fetchone()
    assert claimed is not None
    conn.execute("SELECT tributary.fail_step(%s, 1, %s, false)", (claimed[0], Jsonb({"message": "no"})))
    token = _csrf(local.get(f"/workflows/{workflow_id}").text)
    done = local.post(
        f"/steps/{claimed[0]}/retry", data={"csrf": token, "workflow_id": str(workflow_id)}, follow_redirects=False
    )
    assert done.headers["location"] == f"/workflows/{workflow_id}?notice=step-retried"
    state = conn.execute("SELECT state FROM tributary.steps WHERE id = %s", (claimed[0],)).fetchone()
    assert state == ("available",)


@pytest.mark.parametrize(
    ("form", "headers", "why"),
    [
        ({}, {}, "no token"),
        ({"csrf": "0" * 64}, {}, "a wrong token"),
        (None, {"Origin": "https://evil.example"}, "another origin"),
    ],
)
def test_csrf_refuses_forged_posts(
    local: TestClient, conn: Conn, form: dict[str, str] | None, headers: dict[str, str], why: str
) -> None:
    workflow_id = _diamond(conn)
    token = _csrf(local.get(f"/workflows/{workflow_id}").text)
    refused = local.post(
        f"/workflows/{workflow_id}/cancel", data=form if form is not None else {"csrf": token}, headers=headers
    )
    assert refused.status_code == 403, why
    assert "Cross-site request refused" in refused.text
    assert workflow_state(conn, workflow_id) == "running"


def test_a_token_from_another_session_is_refused(local: TestClient, conn: Conn) -> None:
    workflow_id = _diamond(conn)
    stolen = _csrf(local.get(f"/workflows/{workflow_id}").text)
    local.cookies.clear()
    local.get("/")  # a new session: its own CSRF cookie
    assert local.post(f"/workflows/{workflow_id}/cancel", data={"csrf": stolen}).status_code == 403
    assert workflow_state(conn, workflow_id) == "running"


def test_read_only_mode_shows_no_action_and_refuses_them(dsn: str, conn: Conn) -> None:
    workflow_id = _diamond(conn)
    with TestClient(create_app(dsn, read_only=True), client=LOOPBACK) as client:
        page = client.get(f"/workflows/{workflow_id}").text
        assert "cancel-workflow" not in page
        assert "read-only" in page
        refused = client.post(f"/workflows/{workflow_id}/cancel", data={"csrf": "any"})
        assert refused.status_code == 403
        assert "read-only" in refused.text
    assert workflow_state(conn, workflow_id) == "running"


# -- authentication ------------------------------------------------------------------------------


def test_without_credentials_only_loopback_is_served(dsn: str) -> None:
    with TestClient(create_app(dsn), client=REMOTE) as remote:
        for path in ("/", "/queues", "/metrics"):
            refused = remote.get(path)
            assert refused.status_code == 403, path
            assert "serves loopback clients only" in refused.text
    with TestClient(create_app(dsn), client=("::1", 50000)) as ipv6_loopback:
        assert ipv6_loopback.get("/").status_code == 200


def test_a_token_is_required_everywhere(dsn: str, conn: Conn) -> None:
    workflow_id = _diamond(conn)
    with TestClient(create_app(dsn, token=TOKEN), client=LOOPBACK) as client:
        missing = client.get("/")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Basic realm=")
        assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics").status_code == 401
        assert client.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert client.get("/", headers=_basic("anyone", TOKEN)).status_code == 200
        assert client.get("/", headers=_basic(TOKEN, "x")).status_code == 401
        token = _csrf(client.get(f"/workflows/{workflow_id}", headers=_basic("ops", TOKEN)).text)
        refused = client.post(f"/workflows/{workflow_id}/cancel", data={"csrf": token})
        assert refused.status_code == 401
        assert workflow_state(conn, workflow_id) == "running"
        done = client.post(
            f"/workflows/{workflow_id}/cancel", data={"csrf": token}, headers=_basic("ops", TOKEN),
            follow_redirects=False,
        )  # fmt: skip
        assert done.status_code == 303
    assert workflow_state(conn, workflow_id) == "cancelled"


def test_basic_auth_pair(dsn: str) -> None:
    with TestClient(create_app(dsn, basic_auth=("admin", "pw")), client=REMOTE) as client:
        assert client.get("/", headers=_basic("admin", "pw")).status_code == 200
        assert client.get("/", headers=_basic("admin", "nope")).status_code == 401
        assert client.get("/", headers=_basic("other", "pw")).status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer pw"}).status_code == 401


def test_anonymous_read_still_guards_actions(dsn: str, conn: Conn) -> None:
    workflow_id = _diamond(conn)
    with TestClient(create_app(dsn, token=TOKEN, anonymous_read=True), client=REMOTE) as client:
        page = client.get(f"/workflows/{workflow_id}")
        assert page.status_code == 200
        assert 'id="login"' in page.text
        refused = client.post(f"/workflows/{workflow_id}/cancel", data={"csrf": _csrf(page.text)})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")  # no browser prompt
        assert "Authentication required" in refused.text
        login = client.get("/login", params={"next": f"/workflows/{workflow_id}"}, follow_redirects=False)
        assert login.status_code == 401
        assert login.headers["www-authenticate"].startswith("Basic")
        back = client.get(
            "/login", params={"next": f"/workflows/{workflow_id}"}, headers=_basic("ops", TOKEN),
            follow_redirects=False,
        )  # fmt: skip
        assert back.headers["location"] == f"/workflows/{workflow_id}"
        offsite = client.get("/login", params={"next": "//evil.example/"}, headers=_basic("ops", TOKEN),
                             follow_redirects=False)  # fmt: skip
        assert offsite.headers["location"] == "/"
    assert workflow_state(conn, workflow_id) == "running"


def test_options_that_would_leave_actions_open_are_refused(dsn: str) -> None:
    with pytest.raises(ValueError, match="anonymous_read needs a token"):
        create_app(dsn, anonymous_read=True)


def test_mounted_under_a_prefix(dsn: str, conn: Conn) -> None:
    workflow_id = _diamond(conn)
    host = Starlette(routes=[Mount("/ops/tributary", app=create_app(dsn))])
    with TestClient(host, client=LOOPBACK) as client:
        index = client.get("/ops/tributary/")
        assert index.status_code == 200
        assert f'href="/ops/tributary/workflows/{workflow_id}"' in index.text
        assert 'href="/ops/tributary/static/style.css"' in index.text
        assert client.get("/ops/tributary/static/style.css").status_code == 200
        page = client.get(f"/ops/tributary/workflows/{workflow_id}").text
        assert f'data-events="/ops/tributary/workflows/{workflow_id}/events"' in page


# -- the command, the loopback rule, the graph ---------------------------------------------------


def test_command_refuses_to_listen_beyond_loopback_without_a_token(
    dsn: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRIBUTARY_DASHBOARD_TOKEN", raising=False)
    assert cli.main(["dashboard", "--dsn", dsn, "--host", "0.0.0.0"]) == 2
    assert "without authentication" in capsys.readouterr().err
    assert cli.main(["dashboard", "--dsn", dsn, "--basic-auth", "nocolon"]) == 2
    assert "USER:PASSWORD" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.0.2.1", False), ("example.com", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_layout_by_depth_and_escaping() -> None:
    graph = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": []}
    nodes = layout(graph, {"a": "completed"})
    assert {t: n.depth for t, n in nodes.items()} == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 0}
    assert nodes["a"].state == "completed"
    assert nodes["d"].state == "pending"
    assert len({(n.x, n.y) for n in nodes.values()}) == 5  # no two boxes overlap
    chain = {f"t{i}": [f"t{i - 1}"] if i else [] for i in range(5000)}  # deeper than Python's recursion limit
    assert layout(chain, {})["t4999"].depth == 4999
    svg = render_svg({"<b>": [], "x": ["<b>"]}, {})
    assert "<b>" not in svg.replace('data-task="&lt;b&gt;"', "")
    assert "&lt;b&gt;" in svg


def test_timeline_orders_events_by_time() -> None:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    svg = render_timeline(
        [
            Event(at + timedelta(seconds=10), "completed", "completed"),
            Event(at, "scheduled", "claimable from"),
            Event(at + timedelta(seconds=5), "failed", "attempt 1 failed: <boom>"),
        ]
    )
    xs = [int(x) for x in re.findall(r'cx="(\d+)"', svg)]
    assert xs == sorted(xs)
    assert xs[1] - xs[0] == xs[2] - xs[1]  # 5 s apart, both
    assert re.findall(r'data-kind="(\w+)"', svg) == ["scheduled", "failed", "completed"]
    assert "&lt;boom&gt;" in svg
    assert render_timeline([]) == ""


def test_get_workflow_returns_depends_on_and_args(dsn: str, conn: Conn) -> None:
    workflow_id = _diamond(conn)
    with Client(dsn, Config()) as client:
        result = client.get_workflow(workflow_id)
    assert {t: s.depends_on for t, s in result.steps.items()} == {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
    assert result.steps["a"].args == {"n": 1}
    assert result.steps["b"].args == {}


def test_pages_answer_503_when_the_database_is_unreachable(dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard_app, "POOL_TIMEOUT_SECONDS", 1.0)
    with TestClient(create_app(with_dbname(dsn, "tributary_no_such_database")), client=LOOPBACK) as client:
        page = client.get("/")
    assert page.status_code == 503
    assert "cannot reach the database" in page.text
    assert "tributary_no_such_database" not in page.text  # no connection details leak


def test_metrics_say_when_the_database_is_unreachable(dsn: str) -> None:
    broken = with_dbname(dsn, "tributary_no_such_database")
    with TestClient(create_app(broken), client=LOOPBACK, raise_server_exceptions=False) as client:
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert "tributary_database_up 0.0" in metrics.text


def test_workflow_page_draws_map_elements_between_the_map_dependency_and_the_map(local: TestClient, conn: Conn) -> None:
    workflow_id = _create(
        conn,
        "mapped",
        [
            {"name": "a", "kind": "k"},
            {"name": "m", "kind": "k", "args": {}, "depends_on": ["a"], "map": {"over": "a"}},
            {"name": "z", "kind": "k", "depends_on": ["m"]},
        ],
    )
    claimed = conn.execute("SELECT step_id, attempt FROM tributary.claim_step('default', 'w1', 1)").fetchone()
    assert claimed is not None
    conn.execute("SELECT tributary.complete_step(%s, %s, '[1, 2]')", claimed)

    html = local.get(f"/workflows/{workflow_id}").text
    edges = set(re.findall(r'class="edge" data-from="([\w\[\]]+)" data-to="([\w\[\]]+)"', html))
    assert {("a", "m[0]"), ("a", "m[1]"), ("m[0]", "m"), ("m[1]", "m"), ("m", "z")} <= edges
    x = {
        task: int(at)
        for task, at in re.findall(r'data-task="([\w\[\]]+)"[^<]*<title>[^<]*</title><rect x="(\d+)"', html)
    }
    assert x["a"] < x["m[0]"] == x["m[1]"] < x["m"] < x["z"]
