"""The dashboard end to end in a real headless browser: Playwright driving Debian's chromium
against a dashboard served by uvicorn, with this test's workers running the workflows.

A person's view: open the page, watch a running workflow turn completed (pushed by server-sent
events, no reload), cancel one, retry one, and see an action refused without the token.

With TRIBUTARY_SCREENSHOTS=<dir> it also saves the screenshots of docs/dashboard.md there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client_helpers import WAIT_SECONDS, fast_config, started, workflow_state
from tests.dashboard_helpers import TOKEN, Flaky, FlakyWorker, Gate, Gates, GateWorker, Work, WorkWorker, serving
from tributary import Client, QueueConfig
from tributary.encryption import EncryptHook, SecretBoxEncryptor

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = int(WAIT_SECONDS * 1000)

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def gates() -> Iterator[Gates]:
    made = Gates()
    try:
        yield made
    finally:
        made.release_all()  # no handler outlives its test


@pytest.fixture
def flaky() -> FlakyWorker:
    return FlakyWorker()


@pytest.fixture
def client(dsn: str, gates: Gates, flaky: FlakyWorker) -> Iterator[Client]:
    config = fast_config(WorkWorker(), GateWorker(gates), flaky, queues={"default": QueueConfig(max_workers=8)})
    with Client(dsn, config) as made, started(made):
        yield made


@pytest.fixture
def dashboard(dsn: str) -> Iterator[str]:
    with serving(dsn, token=TOKEN, anonymous_read=True) as url:
        yield url


def _page(browser: Any, dashboard: str, *, authenticated: bool) -> Any:
    """A page of a new browser context; ``authenticated``: logged in the way a person does it,
    through "Log in" (a basic-auth challenge the browser answers with the token as password;
    it then sends the credentials with every request to the dashboard)."""
    context = browser.new_context(
        http_credentials={"username": "ops", "password": TOKEN} if authenticated else None,
        viewport={"width": 1280, "height": 860},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    if authenticated:
        page.goto(f"{dashboard}/")
        page.locator("#login").click()
        expect(page.locator("#login")).to_have_count(0)  # logged in: the link is gone
    return page


def _screenshot(page: Any, name: str, **options: Any) -> None:
    target = os.environ.get("TRIBUTARY_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), **options)


def test_a_running_workflow_turns_completed_live(browser: Any, client: Client, gates: Gates, dashboard: str) -> None:
    workflow_id = (
        client.new_workflow("nightly_etl", metadata={"team": "data"})
        .add_task("extract", Work(label="orders"))
        .add_task("clean", Work(label="orders"), depends_on=["extract"])
        .add_task("enrich", Work(label="customers"), depends_on=["extract"])
        .add_task("load", Gate(gate="load"), depends_on=["clean", "enrich"])
        .add_task("report", Work(label="daily"), depends_on=["load"])
        .execute()
    )
    page = _page(browser, dashboard, authenticated=True)
    page.goto(f"{dashboard}/")
    row = page.locator(f'#workflows tr[data-workflow-id="{workflow_id}"]')
    expect(row).to_contain_text("nightly_etl")
    row.get_by_role("link", name=str(workflow_id)).first.click()
    expect(page).to_have_url(re.compile(rf"/workflows/{workflow_id}$"))

    # The steps before the gate complete while we watch; the gate holds the workflow running.
    expect(page.locator('svg.dag g.node[data-task="load"]')).to_have_attribute("data-state", "running")
    expect(page.locator('svg.dag g.node[data-task="clean"]')).to_have_attribute("data-state", "completed")
    expect(page.locator("#workflow-state")).to_have_text("running")
    expect(page.locator("svg.dag path.edge")).to_have_count(5)
    expect(page.locator("#live-dot.on")).to_have_count(1)
    _screenshot(page, "workflow-running", full_page=True)

    gates.event("load").set()
    expect(page.locator("#workflow-state")).to_have_text("completed")  # pushed, no reload
    expect(page.locator('svg.dag g.node[data-task="report"]')).to_have_attribute("data-state", "completed")
    expect(page.locator('#steps tr[data-task="report"]')).to_contain_text("completed")
    page.locator("#step-extract summary").click()
    expect(page.locator("#step-extract pre.result")).to_contain_text('"rows": 3')
    assert client.get_workflow(workflow_id).state == "completed"

    page.goto(f"{dashboard}/?state=completed&name=nightly_etl")
    expect(page.locator(f'#workflows tr[data-workflow-id="{workflow_id}"]')).to_contain_text("5/5")
    _screenshot(page, "workflows", clip={"x": 0, "y": 0, "width": 1280, "height": 250})
    page.context.close()


def test_cancel_a_running_workflow(browser: Any, client: Client, dashboard: str, conn: Any) -> None:
    workflow_id = client.new_workflow("cancel_me").add_task("hold", Gate(gate="never")).execute()
    page = _page(browser, dashboard, authenticated=True)
    page.goto(f"{dashboard}/workflows/{workflow_id}")
    expect(page.locator('svg.dag g.node[data-task="hold"]')).to_have_attribute("data-state", "running")
    page.locator("#cancel-workflow").click()
    expect(page.locator("#notice")).to_have_text("Workflow cancelled.")
    expect(page.locator("#workflow-state")).to_have_text("cancelled")
    expect(page.locator('#steps tr[data-task="hold"]')).to_contain_text("cancelled")
    expect(page.locator("#cancel-workflow")).to_have_count(0)
    assert workflow_state(conn, workflow_id) == "cancelled"
    page.context.close()


def test_retry_a_failed_workflow_and_watch_it_complete(
    browser: Any, client: Client, flaky: FlakyWorker, dashboard: str
) -> None:
    workflow_id = (
        client.new_workflow("flaky_import")
        .add_task("fetch", Work(label="feed"))
        .add_task("parse", Flaky(label="feed"), depends_on=["fetch"])
        .add_task("store", Work(label="feed"), depends_on=["parse"])
        .execute()
    )
    assert client.wait(workflow_id, timeout=WAIT_SECONDS).state == "failed"
    page = _page(browser, dashboard, authenticated=True)
    page.goto(f"{dashboard}/workflows/{workflow_id}")
    expect(page.locator("#workflow-state")).to_have_text("failed")
    expect(page.locator('svg.dag g.node[data-task="parse"]')).to_have_attribute("data-state", "discarded")
    expect(page.locator('svg.dag g.node[data-task="store"]')).to_have_attribute("data-state", "cancelled")
    page.locator("#step-parse > summary").click()
    expect(page.locator("#step-parse .error-message")).to_contain_text("upstream for feed is unavailable")
    _screenshot(page, "workflow-failed", full_page=True)
    page.locator("#step-parse details summary").first.click()
    expect(page.locator("#step-parse pre.traceback")).to_contain_text("Traceback")

    page.goto(f"{dashboard}/failures")
    expect(page.locator("#failures")).to_contain_text("upstream for feed is unavailable")

    flaky.healed.set()
    page.goto(f"{dashboard}/workflows/{workflow_id}")
    page.locator("#retry-workflow").click()
    expect(page.locator("#notice")).to_contain_text("Retrying")
    expect(page.locator("#workflow-state")).to_have_text("completed")  # pushed once the retry finished
    expect(page.locator('svg.dag g.node[data-task="store"]')).to_have_attribute("data-state", "completed")
    assert client.get_workflow(workflow_id).state == "completed"
    page.context.close()


def test_retry_one_step(browser: Any, client: Client, flaky: FlakyWorker, dashboard: str) -> None:
    workflow_id = (
        client.new_workflow("one_step_retry")
        .add_task("fine", Work(label="a"))
        .add_task("broken", Flaky(label="b"))
        .execute()
    )
    assert client.wait(workflow_id, timeout=WAIT_SECONDS).state == "failed"
    flaky.healed.set()
    page = _page(browser, dashboard, authenticated=True)
    page.goto(f"{dashboard}/workflows/{workflow_id}")
    page.locator("#step-broken > summary").click()
    page.locator('button.retry-step[data-task="broken"]').click()
    expect(page.locator("#notice")).to_contain_text("Retrying the step")
    expect(page.locator("#workflow-state")).to_have_text("completed")
    page.context.close()


def test_an_action_without_the_token_is_refused(browser: Any, client: Client, dashboard: str, conn: Any) -> None:
    workflow_id = client.new_workflow("guarded").add_task("hold", Gate(gate="guarded")).execute()
    page = _page(browser, dashboard, authenticated=False)
    page.goto(f"{dashboard}/workflows/{workflow_id}")  # reading is open (anonymous_read)
    expect(page.locator("#workflow-state")).to_have_text("running")
    page.locator("#cancel-workflow").click()
    expect(page.locator("h1")).to_have_text("Authentication required")
    expect(page.locator("#error-message")).to_contain_text("needs the dashboard's token")
    _screenshot(page, "action-refused", clip={"x": 0, "y": 0, "width": 1280, "height": 200})
    assert workflow_state(conn, workflow_id) == "running"
    page.context.close()


def test_sealed_args_and_results_show_a_marker(browser: Any, dsn: str, dashboard: str) -> None:
    hook = EncryptHook(SecretBoxEncryptor("11" * 32))
    config = fast_config(WorkWorker(), hooks=[hook])
    with Client(dsn, config) as client, started(client):
        workflow_id = client.new_workflow("secret").add_task("classified", Work(label="top secret")).execute()
        assert client.wait(workflow_id, timeout=WAIT_SECONDS).state == "completed"
    page = _page(browser, dashboard, authenticated=False)
    page.goto(f"{dashboard}/workflows/{workflow_id}")
    page.locator("#step-classified > summary").click()
    expect(page.locator("#step-classified .sealed")).to_have_count(2)  # args and result
    expect(page.locator("#step-classified")).not_to_contain_text("top secret")
    page.goto(f"{dashboard}/queues")
    expect(page.locator("h1")).to_have_text("Queues")
    page.context.close()
