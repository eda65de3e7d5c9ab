"""The regulator's provenance report pages, server-rendered, and their downloads.

    GET /regulator/reports/batches/{gtin}/{lot}                      the report (?page=N)
    GET /regulator/reports/packs/{gtin}/{serial}                     a pack's report (?page=N)
    GET /regulator/reports/{batches|packs}/{gtin}/{id}/provenance.pdf | .csv | .epcis.json

The page shows the summary, the alerts, the custody graph (SVG drawn here, services.reports
.custody_graph), a map of the organizations (dashboards.report_map, offline), the shipments and the
timeline. The timeline is paginated (`TIMELINE_PAGE` entries a page, newest last as recorded), so
a 10,000-event batch renders fast; every count on the page is of the whole report, and the PDF,
CSV and EPCIS downloads hold every entry. Only a signed-in regulator sees a report (the /regulator
cookie session of dashboards.session); unknown ids answer the API's codes (404 UNKNOWN_BATCH,
UNKNOWN_SERIAL) on an error page.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from dashboards.render import Renderer
from dashboards.report_map import build_map
from dashboards.session import REGULATOR_AREA, SignedOutError, csrf_token, session_token
from services.api.deps import RuntimeDep
from services.api.routes.reports import FileFormat, Subject, provenance_file
from services.errors import PharmaTraceError
from services.reports.provenance_report import ProvenanceReport, batch_report, pack_report
from services.reports.timeline import TimelineEntry
from services.runtime import Actor, Runtime

REPORTS = f"{REGULATOR_AREA.path}/reports"
TIMELINE_PAGE = 250
ALERTS_SHOWN = 50  # the most severe first; the PDF and the alert dashboard have every one
DOWNLOADS: dict[str, FileFormat] = {
    "provenance.pdf": "pdf",
    "provenance.csv": "csv",
    "provenance.epcis.json": "epcis",
}
PLURAL: dict[Literal["batch", "pack"], str] = {"batch": "batches", "pack": "packs"}
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]


@dataclass(frozen=True)
class TimelinePage:
    """One page of the timeline, with the numbers that say where it sits in the whole."""

    entries: list[TimelineEntry]
    number: int
    pages: int
    first: int  # 1-based index of the first entry shown
    last: int
    total: int

    @property
    def numbers(self) -> list[int]:
        """Page links to show: the first, the last, and two around the current one."""
        near = range(max(1, self.number - 2), min(self.pages, self.number + 2) + 1)
        return sorted({1, self.pages, *near})


def timeline_page(report: ProvenanceReport, number: int) -> TimelinePage:
    total = len(report.timeline)
    pages = max(1, math.ceil(total / TIMELINE_PAGE))
    number = min(number, pages)
    start = (number - 1) * TIMELINE_PAGE
    shown = list(report.timeline[start : start + TIMELINE_PAGE])
    return TimelinePage(shown, number, pages, start + 1 if shown else 0, start + len(shown), total)


def _path(subject: Subject) -> str:
    kind = PLURAL[subject.kind]
    return f"{REPORTS}/{kind}/{quote(subject.gtin, safe='')}/{quote(subject.key, safe='')}"


def _report(rt: Runtime, subject: Subject) -> ProvenanceReport:
    if subject.kind == "batch":
        return batch_report(rt, subject.gtin, subject.key)
    return pack_report(rt, subject.gtin, subject.key)


class ReportPages:
    """The report pages over one template environment."""

    def __init__(self) -> None:
        self.render = Renderer()

    def _error(self, request: Request, actor: Actor, error: PharmaTraceError) -> Response:
        return self.render.html(
            "report_error.html",
            status=error.status,
            error=error,
            actor=actor,
            csrf=csrf_token(session_token(request) or ""),
        )

    def _page(self, request: Request, rt: Runtime, subject: Subject, page: int) -> Response:
        try:
            actor = REGULATOR_AREA.page_actor(rt, request)
        except SignedOutError:
            return REGULATOR_AREA.signed_out(request)
        try:
            report = _report(rt, subject)
        except PharmaTraceError as error:
            return self._error(request, actor, error)
        base = _path(subject)
        return self.render.html(
            "report.html",
            actor=actor,
            csrf=csrf_token(session_token(request) or ""),
            report=report,
            timeline=timeline_page(report, page),
            alerts_shown=ALERTS_SHOWN,
            graph=report.graph,
            map=build_map(report.places, report.graph.edges),
            base=base,
            downloads={fmt: f"{base}/{name}" for name, fmt in DOWNLOADS.items()},
            generated_at=rt.now().strftime("%Y-%m-%d %H:%M:%S"),
            ledger_height=rt.ledger.height(),
        )

    def _download(self, request: Request, rt: Runtime, subject: Subject, name: str) -> Response:
        try:
            actor = REGULATOR_AREA.page_actor(rt, request)
        except SignedOutError:
            return REGULATOR_AREA.signed_out(request)
        try:
            return provenance_file(rt, actor, subject, DOWNLOADS[name])
        except PharmaTraceError as error:
            return self._error(request, actor, error)

    # -- routes ----------------------------------------------------------------------------------
    def batch(
        self, request: Request, rt: RuntimeDep, gtin: str, lot: str, page: PageNumber = 1
    ) -> Response:
        return self._page(request, rt, Subject("batch", gtin, lot), page)

    def pack(
        self, request: Request, rt: RuntimeDep, gtin: str, serial: str, page: PageNumber = 1
    ) -> Response:
        return self._page(request, rt, Subject("pack", gtin, serial), page)

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        # downloads first: `{lot:path}` would otherwise take "LOT/provenance.pdf" for a lot
        for name in DOWNLOADS:
            for kind in ("batch", "pack"):
                path = f"{REPORTS}/{PLURAL[kind]}/{{gtin}}/{{key:path}}/{name}"
                router.add_api_route(path, self._downloader(kind, name), methods=["GET"])
        add = router.add_api_route
        add(f"{REPORTS}/batches/{{gtin}}/{{lot:path}}", self.batch, methods=["GET"])
        add(f"{REPORTS}/packs/{{gtin}}/{{serial:path}}", self.pack, methods=["GET"])
        return router

    def _downloader(
        self, kind: Literal["batch", "pack"], name: str
    ) -> Callable[[Request, Runtime, str, str], Response]:
        def download(request: Request, rt: RuntimeDep, gtin: str, key: str) -> Response:
            return self._download(request, rt, Subject(kind, gtin, key), name)

        return download
