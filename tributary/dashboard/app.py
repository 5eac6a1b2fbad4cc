"""The dashboard's ASGI application: server-rendered pages (Starlette + Jinja2), live updates by
server-sent events, admin actions behind authentication and CSRF protection.

Every read calls one engine function or view (``get_workflow``, ``list_workflows``,
``queue_depths``, ``recent_failures``, ``expired_leases``); every action one admin function
(``cancel_workflow``, ``retry_workflow``, ``retry_step``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import psycopg
from jinja2 import Environment, FileSystemLoader, select_autoescape
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tributary import _sql
from tributary.dashboard.graph import STATE_COLOURS, Event, render_svg, render_timeline
from tributary.encryption import holds_sealed, is_sealed
from tributary.errors import EngineError, InvalidArgument, StepNotFound, WorkflowNotFound
from tributary.metrics import database_registry

logger = logging.getLogger(__name__)

WORKFLOW_STATES = ("running", "completed", "failed", "cancelled")
CSRF_COOKIE = "tributary_csrf"
CANCEL_REASON = "cancelled from the dashboard"
PAGE_SIZE = 50
FAILURES_SHOWN = 50
KEEPALIVE_SECONDS = 15.0
LISTEN_WAIT_SECONDS = 5.0
POOL_TIMEOUT_SECONDS = 10.0  # a page waits this long for a connection, then answers 503
RELATIVE_SINCE = re.compile(r"^(\d{1,6})([mhd])$")
NOTICES = {
    "cancelled": "Workflow cancelled.",
    "already-finished": "The workflow had already finished: nothing was cancelled.",
    "retried": "Retrying: the discarded and cancelled steps run again.",
    "nothing-to-retry": "Nothing to retry: no step was discarded or cancelled.",
    "step-retried": "Retrying the step (and the steps cancelled because of it).",
}
STATIC_TYPES = {"style.css": "text/css; charset=utf-8", "live.js": "text/javascript; charset=utf-8"}


SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds a strict Content-Security-Policy (no inline script, no framing) and friends to every
    response. Pure ASGI, so the event stream is not buffered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _Refused(Exception):
    """A request the dashboard answers with an error page (status, title, message)."""

    def __init__(self, status: int, title: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.headers = headers or {}


@dataclass
class DashboardSettings:
    """How the dashboard connects, authenticates and what it allows.

    ``token``: accepted as ``Authorization: Bearer <token>``, or as the password of HTTP basic
    auth (any user name), so a browser can log in. ``basic_auth``: a (user, password) pair
    accepted as HTTP basic auth. With neither, only loopback clients are served.
    ``anonymous_read``: pages (not actions) need no credentials. ``read_only``: no action at all.
    ``metrics_registry``: served at ``/metrics`` after the database gauges (e.g. the registry of
    a ``PrometheusHook`` running in the same process).
    """

    dsn: str
    token: str | None = None
    basic_auth: tuple[str, str] | None = None
    read_only: bool = False
    anonymous_read: bool = False
    poll_interval: float = 1.0
    metrics_registry: CollectorRegistry | None = None
    csrf_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @property
    def has_credentials(self) -> bool:
        return bool(self.token) or self.basic_auth is not None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is on the loopback interface only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _when(value: Any) -> str:
    if not value:
        return ""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return str(at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))


def _duration(value: Any) -> str:
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _parse_since(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    relative = RELATIVE_SINCE.match(text)
    try:
        if relative:
            unit = {"m": "minutes", "h": "hours", "d": "days"}[relative.group(2)]
            return datetime.now(UTC) - timedelta(**{unit: int(relative.group(1))})
        at = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise _Refused(400, "Bad filter", f'since: "{text}" is neither 30m, 24h, 7d nor an ISO date and time') from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _back_path(request: Request) -> str:
    """Where to return after logging in: this page, or for a form post the page it came from."""
    if request.method == "GET":
        return request.url.path
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.headers.get("host") and referer.path:
        return referer.path
    return str(request.url_for("workflows").path)


def _int_param(text: str | None, what: str) -> int | None:
    if text is None or text == "":
        return None
    if not re.fullmatch(r"-?\d{1,18}", text):
        raise _Refused(400, "Bad request", f'{what}: "{text}" is not a number')
    return int(text)


class Dashboard:
    """The dashboard's state: settings, templates and a connection pool opened on first use."""

    def __init__(self, settings: DashboardSettings) -> None:
        self.settings = settings
        templates = files("tributary.dashboard") / "templates"
        self.env = Environment(
            loader=FileSystemLoader(str(templates)),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["when"] = _when
        self.env.filters["duration"] = _duration
        self._pool: AsyncConnectionPool[Any] | None = None
        self._pool_lock = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._watchers: dict[int, set[asyncio.Event]] = {}
        self._listening = asyncio.Event()
        self.db_metrics = database_registry(settings.dsn)

    # -- database ---------------------------------------------------------------------------
    async def pool(self) -> AsyncConnectionPool[Any]:
        async with self._pool_lock:
            if self._pool is None:
                pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                    self.settings.dsn, min_size=1, max_size=4, open=False, name="tributary-dashboard",
                    timeout=POOL_TIMEOUT_SECONDS,
                    kwargs={"autocommit": True},
                )  # fmt: skip
                await pool.open()
                self._pool = pool
            return self._pool

    async def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        pool = await self.pool()
        async with pool.connection() as conn:
            return await _sql.acall(conn, sql, params)

    async def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows by column name."""
        pool = await self.pool()
        async with pool.connection() as conn:
            return await _sql.aread(conn, sql, params)

    async def read_workflow(self, workflow_id: int) -> dict[str, Any]:
        pool = await self.pool()
        async with pool.connection() as conn:
            return await _sql.aread_workflow(conn, workflow_id)

    async def aclose(self) -> None:
        """Stops the LISTEN task and closes the pool (call it when the host app shuts down)."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
            self._listening.clear()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # -- finalization notifications ----------------------------------------------------------
    async def watch(self, workflow_id: int) -> asyncio.Event:
        """An event set whenever ``workflow_id`` is finalized (LISTEN, one connection per app).

        Returns once the LISTEN is active (or after 5 s without it: the poll still runs), so a
        read made after this call cannot miss a finalization it did not see."""
        event = asyncio.Event()
        self._watchers.setdefault(workflow_id, set()).add(event)
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="tributary-dashboard-listen")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), LISTEN_WAIT_SECONDS)
        return event

    def unwatch(self, workflow_id: int, event: asyncio.Event) -> None:
        watchers = self._watchers.get(workflow_id)
        if watchers is not None:
            watchers.discard(event)
            if not watchers:
                del self._watchers[workflow_id]

    async def _listen(self) -> None:
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self.settings.dsn, autocommit=True, connect_timeout=10)
                async with conn:
                    await _sql.alisten(conn, _sql.FINALIZED_CHANNEL)
                    self._listening.set()
                    async for note in conn.notifies():
                        try:
                            workflow_id = int(json.loads(note.payload)["workflow_id"])
                        except (ValueError, KeyError, TypeError):
                            continue
                        for event in self._watchers.get(workflow_id, ()):
                            event.set()
            except (psycopg.Error, OSError) as error:
                self._listening.clear()
                logger.warning("dashboard: LISTEN connection lost (%s); page updates poll until it is back", error)
                await asyncio.sleep(1)

    # -- authentication and CSRF -------------------------------------------------------------
    def authorize(self, request: Request, *, action: bool) -> None:
        settings = self.settings
        if not settings.has_credentials:
            host = request.client.host if request.client is not None else ""
            if not is_loopback(host):
                raise _Refused(
                    403, "Forbidden",
                    "This dashboard has no token, so it serves loopback clients only; start it with a token.",
                )  # fmt: skip
            return
        if not action and settings.anonymous_read:
            return
        if self._credentials_ok(request.headers.get("authorization", "")):
            return
        if action and settings.anonymous_read:
            # A page read anonymously: answer with the error page rather than a browser prompt
            # (a Bearer challenge prompts nothing); its "Log in" link asks for basic auth.
            raise _Refused(
                401, "Authentication required",
                "This action needs the dashboard's token (a bearer token or HTTP basic auth): log in and try again.",
                {"WWW-Authenticate": 'Bearer realm="tributary"'},
            )  # fmt: skip
        raise _Refused(
            401, "Authentication required",
            "This dashboard needs its token (a bearer token or HTTP basic auth).",
            {"WWW-Authenticate": 'Basic realm="tributary", charset="UTF-8"'},
        )  # fmt: skip

    def _credentials_ok(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        token, basic = self.settings.token, self.settings.basic_auth
        if scheme.lower() == "bearer":
            return bool(token) and hmac.compare_digest(value.strip().encode(), str(token).encode())
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        ok = bool(token) and hmac.compare_digest(password.encode(), str(token).encode())
        if basic is not None:
            ok = ok or (
                hmac.compare_digest(user.encode(), basic[0].encode())
                and hmac.compare_digest(password.encode(), basic[1].encode())
            )
        return ok

    def csrf_token(self, cookie: str) -> str:
        return hmac.new(self.settings.csrf_secret, cookie.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, request: Request, form: dict[str, str]) -> None:
        origin = request.headers.get("origin")
        if origin is not None and origin != "null":
            host = request.headers.get("host", "")
            if urlsplit(origin).netloc != host:
                raise _Refused(403, "Cross-site request refused", f"Origin {origin} is not this dashboard ({host}).")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        sent = form.get("csrf", "")
        if not cookie or not sent or not hmac.compare_digest(sent, self.csrf_token(cookie)):
            raise _Refused(
                403, "Cross-site request refused",
                "The form's CSRF token is missing or stale: reload the page and try again.",
            )  # fmt: skip

    # -- rendering ---------------------------------------------------------------------------
    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        html = self.env.get_template(template).render(**self.context(request, cookie), status=status, **context)
        response = HTMLResponse(html, status_code=status)
        if request.cookies.get(CSRF_COOKIE) != cookie:
            response.set_cookie(
                CSRF_COOKIE, cookie, httponly=True, samesite="strict", path=request.scope.get("root_path") or "/"
            )
        return response

    def context(self, request: Request, cookie: str) -> dict[str, Any]:
        def u(name: str, **params: Any) -> str:
            return str(request.url_for(name, **params).path)

        return {
            "u": u,
            "csrf": self.csrf_token(cookie),
            "read_only": self.settings.read_only,
            "states": WORKFLOW_STATES,
            "step_states": list(STATE_COLOURS),
            "login_url": str(request.url_for("login").path) + "?" + urlencode({"next": _back_path(request)}),
            "anonymous": self.settings.has_credentials
            and not self._credentials_ok(request.headers.get("authorization", "")),
        }


def _timeline(step: dict[str, Any]) -> str:
    """The step's known instants: when it was (last) made claimable, each failed attempt, the
    current attempt's claim, and its end."""
    events: list[Event] = []

    def add(at: Any, kind: str, label: str) -> None:
        if isinstance(at, str) and at:
            with contextlib.suppress(ValueError):
                events.append(Event(datetime.fromisoformat(at), kind, label))

    add(step.get("scheduled_at"), "scheduled", "claimable from")
    for error in step.get("errors") or []:
        if isinstance(error, dict):
            reason = error.get("reason") or error.get("message") or "failed"
            add(error.get("at"), "failed", f"attempt {error.get('attempt', '?')} failed: {reason}")
    if step.get("attempted_at"):
        add(step["attempted_at"], "started", f"attempt {step['attempt']} claimed by {step.get('worker_id') or '?'}")
    add(step.get("finalized_at"), step["state"], step["state"])
    return render_timeline(events)


def workflow_view(doc: dict[str, Any]) -> dict[str, Any]:
    """``get_workflow``'s document shaped for the templates: steps in id order with sealed markers."""
    steps = []
    for task_name, step in sorted(doc["steps"].items(), key=lambda item: item[1]["id"]):
        took = None
        if step.get("finalized_at") and step.get("attempted_at") and step["state"] == "completed":
            took = datetime.fromisoformat(step["finalized_at"]) - datetime.fromisoformat(step["attempted_at"])
        steps.append(
            {
                **step,
                "task_name": task_name,
                "args_sealed": is_sealed(step.get("args")),
                "result_sealed": holds_sealed(step.get("result")),  # a map's or a child's: sealed pieces
                "took": took,
                "timeline": _timeline(step),
            }
        )
    return {
        **doc,
        "steps": steps,
        "done": sum(1 for s in steps if s["state"] == "completed"),
        "retryable": any(s["state"] in ("discarded", "cancelled") for s in steps),
    }


def _svg(view: dict[str, Any]) -> str:
    """The graph of the workflow's steps. A map step's elements (which have no ``depends_on`` of
    their own) are drawn where they run: after the map's dependencies, and the map step after them,
    collecting their results."""
    depends_on = {s["task_name"]: list(s.get("depends_on") or []) for s in view["steps"]}
    by_id = {s["id"]: s for s in view["steps"]}
    for element in view["steps"]:
        map_step = by_id.get(element.get("map_step_id"))
        if map_step is not None:
            depends_on[element["task_name"]] = list(map_step.get("depends_on") or [])
            depends_on[map_step["task_name"]].append(element["task_name"])
    return render_svg(depends_on, {s["task_name"]: s["state"] for s in view["steps"]})


Handler = Callable[["_Pages", Request], Awaitable[Response]]


def _page(action: bool = False) -> Callable[[Handler], Handler]:
    """Wraps a page: authorizes the request (``action``: it changes something), and turns refusals
    and engine errors into error pages with the right status."""

    def wrap(handler: Handler) -> Handler:
        async def endpoint(self: _Pages, request: Request) -> Response:
            dashboard = self.d
            try:
                dashboard.authorize(request, action=action)
                return await handler(self, request)
            except _Refused as refused:
                response = dashboard.render(
                    request, "error.html", refused.status, title=refused.title, message=refused.message
                )
                response.headers.update(refused.headers)
                return response
            except (psycopg.OperationalError, PoolTimeout) as error:
                logger.warning("dashboard: the database is unreachable: %s", error)
                return dashboard.render(
                    request, "error.html", 503, title="Database unreachable",
                    message="The dashboard cannot reach the database right now; try again shortly.",
                )  # fmt: skip
            except EngineError as error:
                status = 404 if isinstance(error, WorkflowNotFound | StepNotFound) else 409
                if isinstance(error, InvalidArgument):
                    status = 400
                title = {404: "Not found", 409: "Not allowed now", 400: "Bad request"}[status]
                return dashboard.render(
                    request, "error.html", status, title=title, message=error.message or str(error), hint=error.hint
                )

        return endpoint

    return wrap


class _Pages:
    """The dashboard's endpoints."""

    def __init__(self, dashboard: Dashboard) -> None:
        self.d = dashboard

    @_page()
    async def workflows(self, request: Request) -> Response:
        params = request.query_params
        filters = {k: params.get(k, "") for k in ("q", "state", "name", "since", "before")}
        before = _int_param(filters["before"], "before")
        found = await self.d.read(
            _sql.LIST_WORKFLOWS,
            (
                filters["state"] or None,
                filters["name"] or None,
                _parse_since(filters["since"]),
                filters["q"] or None,
                before,
                PAGE_SIZE,
            ),
        )
        for w in found:
            w["took"] = (w["finalized_at"] - w["created_at"]) if w["finalized_at"] else None
        base = str(request.url_for("workflows").path)
        kept = {k: v for k, v in filters.items() if v and k != "before"}
        next_page = None
        if len(found) == PAGE_SIZE:
            next_page = f"{base}?{urlencode({**kept, 'before': found[-1]['id']})}"
        first_page = f"{base}?{urlencode(kept)}" if kept else base
        return self.d.render(
            request, "workflows.html", workflows=found, filters=filters, next_page=next_page, first_page=first_page
        )

    async def load(self, workflow_id: int) -> dict[str, Any]:
        return workflow_view(await self.d.read_workflow(workflow_id))

    @_page()
    async def workflow(self, request: Request) -> Response:
        view = await self.load(int(request.path_params["workflow_id"]))
        notice = NOTICES.get(request.query_params.get("notice", ""))
        return self.d.render(request, "workflow.html", wf=view, svg=_svg(view), notice=notice)

    @_page()
    async def workflow_events(self, request: Request) -> Response:
        workflow_id = int(request.path_params["workflow_id"])
        await self.load(workflow_id)  # a 404 page rather than an empty stream for an unknown workflow
        cookie = request.cookies.get(CSRF_COOKIE, "")
        template = self.d.env.get_template("_live.html")
        context = self.d.context(request, cookie)
        interval = self.d.settings.poll_interval

        async def stream() -> AsyncIterator[str]:
            finalized = await self.d.watch(workflow_id)
            last = ""
            quiet = 0.0
            try:
                yield f"retry: {int(interval * 1000)}\n\n"
                while True:
                    try:
                        view = await self.load(workflow_id)
                    except WorkflowNotFound:
                        yield "event: gone\ndata: pruned\n\n"
                        return
                    except (psycopg.Error, OSError) as error:
                        logger.warning("dashboard: workflow %s: %s", workflow_id, error)
                        view = None
                    if view is not None:
                        html = template.render(**context, wf=view, svg=_svg(view))
                        if html != last:
                            last = html
                            quiet = 0.0
                            yield "event: update\n" + "".join(f"data: {line}\n" for line in html.split("\n")) + "\n"
                        elif quiet >= KEEPALIVE_SECONDS:
                            quiet = 0.0
                            yield ": keep-alive\n\n"
                    # Woken at once by the finalization notification; step changes are polled.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(finalized.wait(), interval)
                    finalized.clear()
                    quiet += interval
            finally:
                self.d.unwatch(workflow_id, finalized)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def read_form(self, request: Request) -> dict[str, str]:
        if self.d.settings.read_only:
            raise _Refused(403, "Read-only", "This dashboard is read-only: actions are disabled.")
        body = (await request.body()).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(body).items()}
        self.d.check_csrf(request, form)
        return form

    def back_to(self, request: Request, workflow_id: int, notice: str) -> Response:
        path = str(request.url_for("workflow", workflow_id=workflow_id).path)
        return RedirectResponse(f"{path}?notice={notice}", status_code=303)

    @_page(action=True)
    async def cancel_workflow(self, request: Request) -> Response:
        await self.read_form(request)
        workflow_id = int(request.path_params["workflow_id"])
        done = (await self.d.query(_sql.CANCEL_WORKFLOW, (workflow_id, CANCEL_REASON)))[0][0]
        logger.info("dashboard: workflow %s cancel requested (%s)", workflow_id, "cancelled" if done else "finished")
        return self.back_to(request, workflow_id, "cancelled" if done else "already-finished")

    @_page(action=True)
    async def retry_workflow(self, request: Request) -> Response:
        await self.read_form(request)
        workflow_id = int(request.path_params["workflow_id"])
        reopened = (await self.d.query(_sql.RETRY_WORKFLOW, (workflow_id,)))[0][0]
        logger.info("dashboard: workflow %s retried (%s steps reopened)", workflow_id, reopened)
        return self.back_to(request, workflow_id, "retried" if reopened else "nothing-to-retry")

    @_page(action=True)
    async def retry_step(self, request: Request) -> Response:
        form = await self.read_form(request)
        step_id = int(request.path_params["step_id"])
        workflow_id = _int_param(form.get("workflow_id"), "workflow_id")
        await self.d.query(_sql.RETRY_STEP, (step_id,))
        logger.info("dashboard: step %s retried", step_id)
        if workflow_id is None:
            return RedirectResponse(str(request.url_for("workflows").path), status_code=303)
        return self.back_to(request, workflow_id, "step-retried")

    @_page()
    async def queues(self, request: Request) -> Response:
        depths = await self.d.read(_sql.QUEUE_DEPTHS)
        expired = dict(await self.d.query(_sql.EXPIRED_LEASES_BY_QUEUE))
        unserved = {row[0] for row in await self.d.query(_sql.UNSERVED_QUEUES)}
        rows = [
            {**depth, "expired": expired.get(depth["queue"], 0), "served": depth["queue"] not in unserved}
            for depth in depths
        ]
        return self.d.render(request, "queues.html", queues=rows)

    @_page()
    async def workers(self, request: Request) -> Response:
        return self.d.render(request, "workers.html", workers=await self.d.read(_sql.WORKER_PROCESSES))

    @_page()
    async def failures(self, request: Request) -> Response:
        failures = await self.d.read(_sql.RECENT_FAILURES, (FAILURES_SHOWN,))
        return self.d.render(request, "failures.html", failures=failures)

    @_page()
    async def metrics(self, request: Request) -> Response:
        body: bytes = await run_in_threadpool(generate_latest, self.d.db_metrics)
        extra = self.d.settings.metrics_registry
        if extra is not None:
            body += await run_in_threadpool(generate_latest, extra)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def login(self, request: Request) -> Response:
        """Asks the browser for basic auth (the token as password), then goes back to ``next``."""
        target = request.query_params.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = str(request.url_for("workflows").path)
        if self.d.settings.has_credentials and not self.d._credentials_ok(request.headers.get("authorization", "")):
            response = self.d.render(
                request, "error.html", 401, title="Authentication required",
                message="Log in with the dashboard's token as the password (any user name).",
            )  # fmt: skip
            response.headers["WWW-Authenticate"] = 'Basic realm="tributary", charset="UTF-8"'
            return response
        return RedirectResponse(target, status_code=303)

    @staticmethod
    async def static(request: Request) -> Response:
        name = request.path_params["path"]
        if name not in STATIC_TYPES:
            return PlainTextResponse("not found", status_code=404)
        content = (files("tributary.dashboard") / "static" / name).read_bytes()
        return Response(content, media_type=STATIC_TYPES[name], headers={"Cache-Control": "max-age=300"})


def create_app(
    dsn: str,
    *,
    token: str | None = None,
    basic_auth: tuple[str, str] | None = None,
    read_only: bool = False,
    anonymous_read: bool = False,
    poll_interval: float = 1.0,
    metrics_registry: CollectorRegistry | None = None,
) -> Starlette:
    """The dashboard as an ASGI app, to serve (``tributary dashboard``) or mount in an existing
    app (``Mount("/tributary", app=create_app(dsn, token=...))``). See :class:`DashboardSettings`.

    The app's ``state.dashboard`` is the :class:`Dashboard`; a host app that mounts it calls
    ``await app.state.dashboard.aclose()`` when it shuts down (a mounted app's lifespan does not run).
    """
    if anonymous_read and not (token or basic_auth):
        raise ValueError("anonymous_read needs a token or basic_auth: actions must stay authenticated")
    if poll_interval <= 0:
        raise ValueError(f"poll_interval must be positive, got {poll_interval}")
    dashboard = Dashboard(
        DashboardSettings(
            dsn=dsn,
            token=token,
            basic_auth=basic_auth,
            read_only=read_only,
            anonymous_read=anonymous_read,
            poll_interval=poll_interval,
            metrics_registry=metrics_registry,
        )
    )

    pages = _Pages(dashboard)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await dashboard.aclose()

    app = Starlette(
        routes=[
            Route("/", pages.workflows, name="workflows"),
            Route("/workflows/{workflow_id:int}", pages.workflow, name="workflow"),
            Route("/workflows/{workflow_id:int}/events", pages.workflow_events, name="workflow_events"),
            Route(
                "/workflows/{workflow_id:int}/cancel", pages.cancel_workflow, methods=["POST"], name="cancel_workflow"
            ),
            Route("/workflows/{workflow_id:int}/retry", pages.retry_workflow, methods=["POST"], name="retry_workflow"),
            Route("/steps/{step_id:int}/retry", pages.retry_step, methods=["POST"], name="retry_step"),
            Route("/queues", pages.queues, name="queues"),
            Route("/failures", pages.failures, name="failures"),
            Route("/workers", pages.workers, name="workers"),
            Route("/metrics", pages.metrics, name="metrics"),
            Route("/static/{path}", pages.static, name="static"),
            Route("/login", pages.login, name="login"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    app.state.dashboard = dashboard
    return app


__all__ = ["Dashboard", "DashboardSettings", "create_app", "is_loopback", "workflow_view"]
