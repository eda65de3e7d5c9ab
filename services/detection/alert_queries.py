"""Reading the alerts for regulators: the filtered list, one page of it, its CSV, its statistics.

Everything here takes an `AlertFilter` (services.detection.alert_filter) and runs plain SQL over
the alert table, outer-joined to the organizations for the region (the country of the
organization the alert is about). The same SQL runs on SQLite and PostgreSQL: ISO time text is
compared and cut with `substr`, which both have; weeks are computed in Python from the few
decided alerts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, cast

from sqlalchemy import func
from sqlmodel import Session, col, select

from services.detection.alert_filter import NO_REGION, AlertFilter
from services.detection.tables import Alert, AlertNote
from services.detection.workflow import DECIDED, ensure_tables
from services.readmodel.tables import Organization
from services.runtime import Runtime

CSV_COLUMNS = (
    "key",
    "rule",
    "severity",
    "score",
    "certain",
    "status",
    "region",
    "msp_id",
    "organization",
    "gtin",
    "lot",
    "serial",
    "sentence",
    "first_seen",
    "last_seen",
    "detected_at",
    "evidence",
)
FORMULA_STARTS = frozenset("=+-@\t\r")
_Query = TypeVar("_Query")


@dataclass(frozen=True)
class AlertRow:
    """An alert with the organization it concerns, as the list and the export show it."""

    alert: Alert
    organization: str | None
    region: str  # country code, or NO_REGION


@dataclass(frozen=True)
class WeekRate:
    week: str  # ISO week, "2026-W05": when the alerts were decided
    confirmed: int
    false_alarm: int
    rate: float | None  # false_alarm / (confirmed + false_alarm) of the week
    cumulative_rate: float | None  # the same over every decision up to this week


@dataclass(frozen=True)
class AlertStats:
    total: int
    by_rule: dict[str, int]
    by_severity: dict[str, int]
    by_status: dict[str, int]
    by_region: dict[str, int]
    by_day: dict[str, int]  # YYYY-MM-DD of last_seen → count, in day order
    confirmed: int
    false_alarm: int
    false_alert_rate: float | None  # None until something is decided
    weekly: list[WeekRate] = field(default_factory=list)


def _region() -> Any:
    return func.coalesce(func.nullif(col(Organization.country), ""), NO_REGION)


def _filtered(query: _Query, alert_filter: AlertFilter) -> _Query:
    """`query` over the alerts in the filter, with their organization joined (if any)."""
    generative: Any = query  # sqlmodel's and SQLAlchemy's Select types differ; both generative
    joined = generative.outerjoin(Organization, col(Organization.msp_id) == col(Alert.msp_id))
    return cast(_Query, joined.where(*alert_filter.where()))


def list_alerts(rt: Runtime, alert_filter: AlertFilter) -> list[AlertRow]:
    """One page of the filtered alerts, newest evidence first."""
    return list(_rows(rt, alert_filter))


def _rows(rt: Runtime, alert_filter: AlertFilter) -> Iterator[AlertRow]:
    ensure_tables(rt)
    query = _filtered(select(Alert, Organization.name, _region()), alert_filter).order_by(
        col(Alert.last_seen).desc(), col(Alert.key)
    )
    if alert_filter.limit is not None:
        query = query.limit(alert_filter.limit)
    query = query.offset(alert_filter.offset)
    with Session(rt.engine) as session:
        for alert, organization, region in session.exec(query).yield_per(1000):
            yield AlertRow(alert, organization, region)


def count_alerts(rt: Runtime, alert_filter: AlertFilter) -> int:
    ensure_tables(rt)
    query = _filtered(select(func.count()).select_from(Alert), alert_filter)
    with Session(rt.engine) as session:
        return int(session.exec(query).one())


def _counts(session: Session, alert_filter: AlertFilter, key: Any) -> dict[str, int]:
    query = _filtered(select(key, func.count()).select_from(Alert), alert_filter).group_by(key)
    counted = {str(name): int(n) for name, n in session.exec(query).all()}
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))


def alert_stats(rt: Runtime, alert_filter: AlertFilter) -> AlertStats:
    """Counts by rule, severity, status, region and day; the false-alert rate, by week too."""
    ensure_tables(rt)
    day = func.substr(col(Alert.last_seen), 1, 10)
    with Session(rt.engine) as session:
        by_status = _counts(session, alert_filter, col(Alert.status))
        by_day = dict(sorted(_counts(session, alert_filter, day).items()))
        decisions = _decisions(session, alert_filter)
        stats = AlertStats(
            total=sum(by_status.values()),
            by_rule=_counts(session, alert_filter, col(Alert.rule)),
            by_severity=_counts(session, alert_filter, col(Alert.severity)),
            by_status=by_status,
            by_region=_counts(session, alert_filter, _region()),
            by_day=by_day,
            confirmed=by_status.get("confirmed", 0),
            false_alarm=by_status.get("false_alarm", 0),
            false_alert_rate=_rate(by_status.get("confirmed", 0), by_status.get("false_alarm", 0)),
            weekly=_weekly(decisions),
        )
    return stats


def _rate(confirmed: int, false_alarm: int) -> float | None:
    decided = confirmed + false_alarm
    return false_alarm / decided if decided else None


def _decisions(session: Session, alert_filter: AlertFilter) -> list[tuple[str, str]]:
    """(status, when it was decided) of every decided alert in the filter.

    The decision time is the latest note that moved the alert to its present status; an alert
    decided without a note (written by other tools) counts at its detection time.
    """
    decided_at = func.coalesce(func.max(col(AlertNote.at)), col(Alert.detected_at))
    query = (
        _filtered(select(col(Alert.status), decided_at).select_from(Alert), alert_filter)
        .outerjoin(
            AlertNote,
            (col(AlertNote.alert_key) == col(Alert.key))
            & (col(AlertNote.to_status) == col(Alert.status)),
        )
        .where(col(Alert.status).in_(DECIDED))
        .group_by(col(Alert.key), col(Alert.status), col(Alert.detected_at))
    )
    return [(str(status), str(at)) for status, at in session.exec(query).all()]


def _week(moment: str) -> str:
    year, week, _ = date.fromisoformat(moment[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def _weekly(decisions: list[tuple[str, str]]) -> list[WeekRate]:
    per_week: dict[str, dict[str, int]] = {}
    for status, at in decisions:
        counts = per_week.setdefault(_week(at), {"confirmed": 0, "false_alarm": 0})
        counts[status] += 1
    weeks: list[WeekRate] = []
    total_confirmed = total_false = 0
    for week in sorted(per_week):
        confirmed, false_alarm = per_week[week]["confirmed"], per_week[week]["false_alarm"]
        total_confirmed += confirmed
        total_false += false_alarm
        weeks.append(
            WeekRate(
                week,
                confirmed,
                false_alarm,
                _rate(confirmed, false_alarm),
                _rate(total_confirmed, total_false),
            )
        )
    return weeks


def _cell(value: object) -> str:
    """Text for a spreadsheet cell; formulas are neutralised (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text and text[0] in FORMULA_STARTS else text


def _csv_row(row: AlertRow) -> list[str]:
    alert = row.alert
    values: list[object] = [
        alert.key,
        alert.rule,
        alert.severity,
        f"{alert.score:.3f}",
        "yes" if alert.certain else "no",
        alert.status,
        row.region,
        alert.msp_id,
        row.organization,
        alert.gtin,
        alert.lot,
        alert.serial,
        alert.sentence,
        alert.first_seen,
        alert.last_seen,
        alert.detected_at,
        " ".join(json.loads(alert.evidence)),
    ]
    return [_cell(v) for v in values]


def alerts_csv(rt: Runtime, alert_filter: AlertFilter) -> Iterator[str]:
    """The filtered alerts as CSV text, a chunk at a time (an export may hold every alert)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n, row in enumerate(_rows(rt, alert_filter), start=1):
        writer.writerow(_csv_row(row))
        if n % 500 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
