"""Map steps: one step per element of a list that an earlier step returned.

``list_pages`` returns ``{"pages": ["/", "/about", "/blog"]}``. ``fetch`` is declared with
``map_over="list_pages", map_path="pages"``: when ``list_pages`` completes, the engine expands
``fetch`` into one element step per page (``fetch[0]``, ``fetch[1]``, ...), each with its own
attempts, retries, timeout and lease, and each receiving the task's args with ``element`` set to
its page -- typed here by ``FetchArgs.element``. ``report`` depends on ``fetch`` and receives one
list: the elements' results in element order, however the elements were scheduled. An empty list
would complete ``fetch`` at once with ``[]``.

Run::

    DATABASE_URL=postgresql://localhost/app python -m examples.map_step
    # or only its workers, for workflows that other clients create (they run until SIGTERM):
    DATABASE_URL=postgresql://localhost/app tributary worker --app examples.map_step:app
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel

from tributary import Client, Config, QueueConfig, Step, StepArgs, Worker, Workers, WorkflowResult, migrate


class ListPagesArgs(StepArgs):
    kind = "map_list_pages"
    site: str


class FetchArgs(StepArgs):
    kind = "map_fetch"
    site: str
    element: str | None = None  # set by the engine on each element step: one page of the list


class ReportArgs(StepArgs):
    kind = "map_report"


class Page(BaseModel):
    url: str
    size: int


class ListPagesWorker(Worker[ListPagesArgs]):
    def work(self, step: Step[ListPagesArgs]) -> dict[str, Any]:
        return {"pages": ["/", "/about", "/blog"]}


class FetchWorker(Worker[FetchArgs]):
    def work(self, step: Step[FetchArgs]) -> Page:
        page = step.args.element
        assert page is not None, "fetch runs only as an element of its map"
        return Page(url=step.args.site + page, size=100 * len(page))


class ReportWorker(Worker[ReportArgs]):
    def work(self, step: Step[ReportArgs]) -> dict[str, Any]:
        pages = [Page.model_validate(raw) for raw in step.dependency("fetch", list)]
        return {"pages": len(pages), "bytes": sum(page.size for page in pages), "first": pages[0].url}


def app() -> Config:
    """The example's Config: ``tributary worker --app examples.map_step:app`` works its queues."""
    return Config(
        queues={"default": QueueConfig(max_workers=4)},
        workers=Workers(ListPagesWorker(), FetchWorker(), ReportWorker()),
    )


def main(dsn: str) -> WorkflowResult:
    with Client(dsn, app()) as client:
        client.start()
        workflow_id = (
            client.new_workflow("crawl")
            .add_task("list_pages", ListPagesArgs(site="https://example.com"))
            .add_task(
                "fetch",
                FetchArgs(site="https://example.com"),
                depends_on=["list_pages"],
                map_over="list_pages",
                map_path="pages",
            )
            .add_task("report", ReportArgs(), depends_on=["fetch"])
            .execute()
        )
        return client.wait(workflow_id, timeout=30)


if __name__ == "__main__":
    database_url = os.environ["DATABASE_URL"]
    migrate.up(database_url)  # deploys the schema if needed; a no-op when it is current
    outcome = main(database_url)
    print(f"workflow {outcome.id} {outcome.state}: fetch={outcome.result('fetch')} report={outcome.result('report')}")
