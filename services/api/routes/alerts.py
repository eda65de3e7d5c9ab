"""The regulator's alert API: list, statistics, CSV, one alert, its workflow.

    GET  /alerts                 one page of alerts matching the filters (+ total)
    GET  /alerts/stats           counts by rule, severity, status, region, day; false-alert rate
    GET  /alerts.csv             every alert matching the filters, as CSV
    GET  /alerts/{key}           one alert with its notes and the statuses it may move to
    POST /alerts/{key}/transitions   {status, note}: open → investigating → confirmed | false_alarm
    POST /alerts/{key}/notes     {note}: a note without a change of status

Filters are the query string (services.detection.alert_filter): an unknown or malformed one is a
422 INVALID_FILTER and nothing runs. Keys hold '|' (and a lot may hold '/'), so clients
percent-encode them; the routes take the rest of the path.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from services.api.alert_models import (
    AlertDetailPublic,
    AlertNoteCreate,
    AlertNotePublic,
    AlertPagePublic,
    AlertPublic,
    AlertStatsPublic,
    AlertTransitionCreate,
)
from services.api.deps import RegulatorDep, RuntimeDep
from services.api.routes import errors
from services.detection import alert_queries, workflow
from services.detection.alert_filter import FILTER_NAMES, AlertFilter
from services.detection.alert_queries import AlertRow
from services.runtime import Runtime

router = APIRouter(tags=["alerts"], responses=errors(401, 403, 422))

AlertKey = Annotated[str, Path(max_length=300, description="The alert's key, percent-encoded.")]
_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "One row per alert, newest evidence first",
    }
}
_FILTERS = (
    "Filters (query string, all optional, combined with AND): "
    + ", ".join(FILTER_NAMES)
    + ". rule, severity and status take comma-separated lists; region is a country code or "
    "'none'; since/until are ISO dates or date-times over the latest evidence."
)


Text = Annotated[str | None, Query()]


def _filter(request: Request, *, paged: bool = True) -> AlertFilter:
    return AlertFilter.parse(dict(request.query_params), paged=paged)


def documented_filters(
    rule: Annotated[str | None, Query(description="Rule name(s), comma-separated.")] = None,
    severity: Annotated[str | None, Query(description="critical, high, medium, low.")] = None,
    status: Annotated[
        str | None, Query(description="open, investigating, confirmed, false_alarm.")
    ] = None,
    region: Annotated[str | None, Query(description="Country code, or 'none'.")] = None,
    msp_id: Text = None,
    gtin: Text = None,
    lot: Text = None,
    serial: Text = None,
    since: Annotated[str | None, Query(description="ISO date or date-time.")] = None,
    until: Annotated[str | None, Query(description="ISO date or date-time.")] = None,
    limit: Annotated[str | None, Query(description="1–1000 (list: 100 by default).")] = None,
    offset: Text = None,
) -> None:
    """The filters, declared for the OpenAPI description only: they are parsed from the raw
    query string (`AlertFilter.parse`), which also refuses unknown names."""


Filters = Depends(documented_filters)


def detail(rt: Runtime, key: str) -> AlertDetailPublic:
    """One alert with its organization, notes and next statuses (also used by the pages)."""
    alert = workflow.get_alert(rt, key)
    rows = alert_queries.list_alerts(rt, AlertFilter(limit=None, key=key))
    row = rows[0] if rows else AlertRow(alert, None, "none")
    return AlertDetailPublic(
        **AlertPublic.of(row).model_dump(),
        notes=[AlertNotePublic.of(n) for n in workflow.history(rt, key)],
        next_statuses=list(workflow.TRANSITIONS[alert.status]),
    )


@router.get(
    "/alerts",
    operation_id="list_alerts",
    response_model=AlertPagePublic,
    dependencies=[Filters],
    description="Alerts matching the filters, newest evidence first; `limit` (1–1000, default "
    f"100) and `offset` page them. {_FILTERS}",
)
def list_alerts(request: Request, rt: RuntimeDep, _r: RegulatorDep) -> AlertPagePublic:
    alert_filter = _filter(request)
    return AlertPagePublic(
        total=alert_queries.count_alerts(rt, alert_filter),
        limit=alert_filter.limit or 0,
        offset=alert_filter.offset,
        alerts=[AlertPublic.of(row) for row in alert_queries.list_alerts(rt, alert_filter)],
    )


@router.get(
    "/alerts/stats",
    operation_id="get_alert_stats",
    response_model=AlertStatsPublic,
    dependencies=[Filters],
)
def get_alert_stats(request: Request, rt: RuntimeDep, _r: RegulatorDep) -> AlertStatsPublic:
    """Counts of the filtered alerts, and the false-alert rate overall and by week of decision."""
    return AlertStatsPublic.of(alert_queries.alert_stats(rt, _filter(request, paged=False)))


@router.get(
    "/alerts.csv",
    operation_id="export_alerts_csv",
    response_class=StreamingResponse,
    dependencies=[Filters],
    responses=_CSV,
)
def export_alerts_csv(request: Request, rt: RuntimeDep, _r: RegulatorDep) -> StreamingResponse:
    """Every alert matching the filters (or `limit` of them) as CSV, streamed."""
    alert_filter = _filter(request, paged=False)
    chunks = alert_queries.alerts_csv(rt, alert_filter)
    return StreamingResponse(
        iterate_in_threadpool(chunks),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pharmatrace-alerts.csv"'},
    )


@router.post(
    "/alerts/{key:path}/transitions",
    operation_id="transition_alert",
    response_model=AlertDetailPublic,
    responses=errors(404, 409),
)
def transition_alert(
    key: AlertKey, body: AlertTransitionCreate, rt: RuntimeDep, regulator: RegulatorDep
) -> AlertDetailPublic:
    """Move an alert along its workflow; confirmed, false_alarm and reopening need a note.

    409 INVALID_TRANSITION when the move is not allowed from the current status, 409
    ALERT_CHANGED when another regulator changed it at the same moment.
    """
    workflow.transition(rt, actor=regulator, key=key, status=body.status, note=body.note)
    return detail(rt, key)


@router.post(
    "/alerts/{key:path}/notes",
    operation_id="add_alert_note",
    response_model=AlertDetailPublic,
    responses=errors(404),
)
def add_alert_note(
    key: AlertKey, body: AlertNoteCreate, rt: RuntimeDep, regulator: RegulatorDep
) -> AlertDetailPublic:
    """Add a note to an alert without changing its status."""
    workflow.add_note(rt, actor=regulator, key=key, note=body.note)
    return detail(rt, key)


@router.get(
    "/alerts/{key:path}",
    operation_id="get_alert",
    response_model=AlertDetailPublic,
    responses=errors(404),
)
def get_alert(key: AlertKey, rt: RuntimeDep, _r: RegulatorDep) -> AlertDetailPublic:
    """One alert: its evidence, its notes, and the statuses it may move to."""
    return detail(rt, key)
