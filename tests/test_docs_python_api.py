"""docs/python-api.md read as a user reads it: its signatures, defaults, exceptions and runnable
snippets are checked against the package, so a change of either fails here."""

from __future__ import annotations

import ast
import dataclasses
import datetime
import inspect
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import BaseModel

import tributary
import tributary.errors
import tributary.migrate
from tributary import InsertOpts, Step, StepArgs, Worker, Workers
from tributary.async_client import AsyncClient
from tributary.client import Client
from tributary.config import Config
from tributary.workflow import WorkflowBuilder, WorkflowOptions

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "python-api.md").read_text()


def _section(title: str) -> str:
    return DOC.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("| `"):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def _documented_calls(text: str) -> list[tuple[str, str]]:
    """(name, parameters) of every `name(parameters)` in the first column of the tables."""
    calls = []
    for row in _table_rows(text):
        calls += re.findall(r"`(?:await )?([\w.]+)\(([^`]*?)\)(?: -> [^`]*)?`", row[0])
    return [(name, params) for name, params in calls if params != "..."]


def _parse_params(params: str) -> list[tuple[str, str | None, bool]]:
    """(name, default source or None, keyword-only) of a documented parameter list."""
    tree = ast.parse(f"def f({params}): pass")
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    a = fn.args
    out: list[tuple[str, str | None, bool]] = []
    positional = a.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for arg, default in zip(positional, defaults, strict=True):
        out.append((arg.arg, ast.unparse(default) if default is not None else None, False))
    for arg, kw_default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        out.append((arg.arg, ast.unparse(kw_default) if kw_default is not None else None, True))
    return out


def _real_params(fn: Callable[..., Any]) -> list[tuple[str, Any, bool]]:
    params = []
    for p in inspect.signature(fn).parameters.values():
        if p.name == "self":
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:  # new_workflow(name, **WorkflowOptions)
            for key in WorkflowOptions.__annotations__:
                params.append((key, None, True))
            continue
        params.append((p.name, p.default, p.kind is inspect.Parameter.KEYWORD_ONLY))
    return params


def _check_calls(text: str, owner: type | Any) -> int:
    checked = 0
    namespace = {"timedelta": datetime.timedelta, "NO_DEFAULT": tributary.workflow.NO_DEFAULT}
    for name, params in _documented_calls(text):
        *prefix, attr = name.split(".")
        target = {"WorkflowBuilder": WorkflowBuilder, "migrate": tributary.migrate}.get(prefix[0]) if prefix else owner
        fn = getattr(target, attr)
        documented = _parse_params(params)
        real = _real_params(fn)
        assert [(n, kw) for n, _, kw in documented] == [(n, kw) for n, _, kw in real], name
        for (pname, doc_default, _), (_, real_default, _) in zip(documented, real, strict=True):
            if pname in WorkflowOptions.__annotations__:  # total=False: an option not given is None
                assert doc_default == "None", f"{name}: {pname}"
            elif real_default is inspect.Parameter.empty:
                assert doc_default is None, f"{name}: {pname} has no default"
            else:
                assert doc_default is not None, f"{name}: {pname} has a default"
                assert eval(doc_default, namespace) == real_default, f"{name}: {pname}"
        checked += 1
    return checked


def test_client_table_matches_the_signatures() -> None:
    assert _check_calls(_section("Client"), Client) >= 20
    assert _check_calls(_section("Concurrency and rate limits"), Client) == 5
    assert _check_calls(_section("Schedules"), Client) == 6
    assert _check_calls(_section("The migrator"), tributary.migrate) == 5


def test_async_client_table_matches_the_signatures_and_lists_every_public_method() -> None:
    text = _section("Many workflows at once, and the asyncio client")
    assert _check_calls(text, AsyncClient) >= 10
    listed = {name for row in _table_rows(text) for name in re.findall(r"`(?:await )?(\w+)\(", row[0])}
    public = {name for name, _ in inspect.getmembers(AsyncClient, inspect.isfunction) if not name.startswith("_")}
    assert public - {"open", "close"} <= listed  # open/close are in the prose above the table


def test_config_table_matches_the_fields_and_defaults() -> None:
    rows = {row[0].strip("`"): row for row in _table_rows(_section("Config and QueueConfig"))}
    fields = {f.name: f for f in dataclasses.fields(Config)}
    assert set(rows) == set(fields)
    config = Config()
    for name, row in rows.items():
        default = row[2]
        value = getattr(config, name)
        if isinstance(value, datetime.timedelta):
            number, unit = re.fullmatch(r"([\d.]+) ?(s|ms)?", default).groups()  # type: ignore[union-attr]
            assert value == datetime.timedelta(**{"milliseconds" if unit == "ms" else "seconds": float(number)}), name
        elif name == "worker_id":
            assert value.endswith(f"-{__import__('os').getpid()}")
        elif name == "workers":
            assert len(value) == 0
        else:
            assert repr(value) == default.strip("`"), name


def test_exceptions_table_is_true() -> None:
    checked = 0
    for row in _table_rows(_section("Exceptions")):
        names = re.findall(r"`(\w+)`( \*)?", row[0])
        codes = re.findall(r"TB\d{3}", row[1].split(",")[0] if len(names) == 1 else row[1])
        codes_in_cell = codes
        classes = []
        for name, star in names:
            cls = getattr(tributary.errors, name)
            assert issubclass(cls, tributary.TributaryError), name
            assert (getattr(tributary, name, None) is cls) == bool(star), f"{name}: exported from tributary?"
            classes.append(cls)
            checked += 1
        with_codes = [cls for cls in classes if getattr(cls, "sqlstate", None)]
        if with_codes and "\u2013" not in row[1] and "base of" not in row[1]:
            assert [cls.sqlstate for cls in with_codes] == codes_in_cell[: len(with_codes)], row[0]
    documented = {name for row in _table_rows(_section("Exceptions")) for name in re.findall(r"`(\w+)`", row[0])}
    every = {
        name
        for name, obj in vars(tributary.errors).items()
        if isinstance(obj, type) and issubclass(obj, tributary.TributaryError) and obj.__module__ == "tributary.errors"
    }
    assert every <= documented | {"TributaryError"}
    assert checked >= 40


def test_python_code_blocks_are_formatted() -> None:
    docs = [ROOT / "docs" / "python-api.md", ROOT / "docs" / "testing.md", ROOT / "README.md"]
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *map(str, docs)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(60)
def test_the_opening_snippet_runs(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The first code block, with its DSN replaced by the test database's."""
    code = DOC.split("```python\n", 1)[1].split("```", 1)[0]
    assert '"postgresql://localhost/app"' in code
    exec(compile(code.replace('"postgresql://localhost/app"', repr(dsn)), "python-api.md", "exec"), {})
    assert capsys.readouterr().out == "completed {'rows': 1, 'table': 'orders'}\n"  # jsonb orders keys


@pytest.mark.timeout(60)
def test_the_readme_quick_start_runs(dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text()
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code.replace('"postgresql://localhost/app"', repr(dsn)), "README.md", "exec"), {})
    assert capsys.readouterr().out == "{'loaded': 3}\n"


class _Stubs:
    """The names the snippets take as given (a user's own step types and values)."""

    @staticmethod
    def namespace(client: Client, dsn: str) -> dict[str, Any]:
        class ChargeArgs(StepArgs):
            kind = "doc_charge"
            order_id: int

        class Bill(StepArgs):
            kind = "doc_bill"
            order: int

        class ListPagesArgs(StepArgs):
            kind = "doc_list_pages"
            site: str

        class ReportArgs(StepArgs):
            kind = "doc_report"
            title: str = ""

        class SalesArgs(StepArgs):
            kind = "doc_sales"
            region: str

        class PingArgs(StepArgs):
            kind = "doc_ping"

        class SubmitExpense(StepArgs):
            kind = "doc_submit"
            amount_cents: int

        class Pay(StepArgs):
            kind = "doc_pay"

        class Fulfil(StepArgs):
            kind = "doc_fulfil"
            items: list[str]

        class Pick(StepArgs):
            kind = "doc_pick"
            item: str

        class Pack(StepArgs):
            kind = "doc_pack"

        class Receive(StepArgs):
            kind = "doc_receive"
            upload: str
            files: list[str]

        class Convert(StepArgs):
            kind = "doc_convert"
            file: str

        class Page(BaseModel):
            url: str

        return {
            "client": client,
            "dsn": dsn,
            "psycopg": psycopg,
            "timedelta": datetime.timedelta,
            "InsertOpts": InsertOpts,
            "Step": Step,
            "StepArgs": StepArgs,
            "Worker": Worker,
            "Workers": Workers,
            "ChargeArgs": ChargeArgs,
            "Bill": Bill,
            "ListPagesArgs": ListPagesArgs,
            "ReportArgs": ReportArgs,
            "SalesArgs": SalesArgs,
            "PingArgs": PingArgs,
            "SubmitExpense": SubmitExpense,
            "Pay": Pay,
            "Fulfil": Fulfil,
            "Pick": Pick,
            "Pack": Pack,
            "Receive": Receive,
            "Convert": Convert,
            "Page": Page,
            "fetch": lambda site, element: Page(url=f"{site}{element}"),
            "order_id": 7,
            "orders": [1, 2],
            "builder": client.new_workflow("limited"),
        }


def test_the_snippets_that_create_workflows_run(dsn: str) -> None:
    """Every snippet that calls the client runs against a real database, with the user's own step
    types stubbed: the signatures, keyword names and option values they use are accepted."""
    blocks = re.findall(r"```python\n(.*?)```", DOC, re.DOTALL)
    ran = 0
    with Client(dsn) as client:
        with client.connection() as conn:
            conn.execute("CREATE TABLE orders (id int)")
        for block in blocks:
            if "client." not in block or "Config(...," in block or 'Client("' in block:  # the first: above
                continue
            namespace = _Stubs.namespace(client, dsn)
            exec(compile(block, "python-api.md", "exec"), namespace)
            ran += 1
            if "class ReceiveWorker" in block:  # the handler builds one workflow per file to start
                step = Step(
                    1, 1, "receive", "doc_receive", namespace["Receive"](upload="u", files=["a", "b"]), 1, 1, "default"
                )
                assert namespace["ReceiveWorker"]().work(step) == 2
                assert [w["tasks"][0]["args"] for w in step.workflows_to_start] == [{"file": "a"}, {"file": "b"}]
        assert len(client.schedules()) == 2
        assert {limit.name for limit in client.flow_limits()} == {"emails", "customer:42", "api:billing"}
    assert ran == 8


def test_every_runtime_event_is_documented() -> None:
    source = "".join(path.read_text() for path in (ROOT / "tributary" / "runtime").glob("*.py"))
    emitted = set(re.findall(r'\.emit\(\s*"([a-z_]+)"', source))
    assert len(emitted) >= 20
    documented = {name for row in _table_rows(_section("Hooks")) for name in re.findall(r"`([a-z_]+)`", row[0])}
    assert emitted <= documented, sorted(emitted - documented)


def test_the_documented_exceptions_are_raised_when_the_docs_say(dsn: str) -> None:
    errors = tributary.errors

    class Job(StepArgs):
        kind = "doc_job"
        element: int | None = None

    with Client(dsn) as client:
        with pytest.raises(errors.InvalidWait, match='"nap"'):
            client.new_workflow("w").add_sleep("nap", -1).execute()
        assert issubclass(errors.InvalidWait, tributary.InvalidTask)
        with pytest.raises(tributary.InvalidMapTask):
            client.new_workflow("w").add_task("a", Job()).add_task("m", Job(), map_over="a").execute()
        with pytest.raises(tributary.InvalidBranch):
            client.new_workflow("w").add_task("a", Job()).add_task(
                "b",
                Job(),
                depends_on=["a"],
                run_when="sometimes",  # type: ignore[arg-type]
            ).execute()
        with pytest.raises(errors.InvalidConcurrencyLimit):
            client.set_concurrency_limit("queue", "q", 0)
        with pytest.raises(errors.UnknownLimitScope):
            client.set_concurrency_limit("tenant", "q", 1)  # type: ignore[arg-type]
        with pytest.raises(errors.InvalidLimitName):
            client.set_rate_limit("key", "", 1, datetime.timedelta(seconds=1))
        with pytest.raises(errors.InvalidRateLimit):
            client.set_rate_limit("key", "k", 0, datetime.timedelta(seconds=1))
        with pytest.raises(errors.InvalidRatePeriod):
            client.set_rate_limit("key", "k", 1, datetime.timedelta(0))
        with pytest.raises(errors.EventWorkflowNotFound):
            client.send_event("approved", workflow_id=999_999)
        with pytest.raises(errors.InvalidArgument):
            client.pause_queue("")
        with pytest.raises(errors.WorkflowNotFound):
            client.get_workflow(999_999)
        assert client.flow_limits() == []  # nothing was left behind
