"""What the regulator's dashboard shows, read once per request: filters, counts, charts, a page.

The page and its live fragment (polled by htmx) render the same `Dashboard`; the alert detail
page renders an `AlertView` with its evidence resolved to the scans and ledger events it names.
Everything comes from services.detection (the same functions as the JSON API), so the page, the
API and the CSV can never disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session, col, select

from services.api.alert_models import AlertDetailPublic, AlertPublic
from services.api.routes.alerts import detail
from services.detection import alert_queries
from services.detection.alert_filter import SEVERITIES, AlertFilter
from services.detection.alert_queries import AlertStats
from services.detection.rules import RuleSet
from services.detection.tables import ALERT_STATUSES
from services.readmodel.tables import LedgerEvent, Organization, Scan
from services.runtime import Runtime

PAGE_SIZE = 25
STATUS_LABELS = {
    "open": "Open",
    "investigating": "Investigating",
    "confirmed": "Confirmed counterfeit",
    "false_alarm": "False alert",
}
ACTION_LABELS = {
    "investigating": "Start investigating",
    "confirmed": "Confirm counterfeit",
    "false_alarm": "Mark as false alert",
    "open": "Reopen",
}


def rule_label(rule: str) -> str:
    return rule.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Choices:
    """The filter form's options."""

    rules: list[str]
    severities: tuple[str, ...]
    statuses: tuple[str, ...]
    regions: list[str]


@dataclass
class Dashboard:
    alert_filter: AlertFilter
    stats: AlertStats
    total: int
    alerts: list[AlertPublic]
    choices: Choices
    query: dict[str, str] = field(default_factory=dict)  # the filters as query parameters

    @property
    def query_string(self) -> str:
        return urlencode(self.query)

    def page_link(self, offset: int) -> str:
        return "/regulator?" + urlencode({**self.query, "offset": str(offset)})

    @property
    def previous_offset(self) -> int | None:
        offset = self.alert_filter.offset
        return max(0, offset - PAGE_SIZE) if offset > 0 else None

    @property
    def next_offset(self) -> int | None:
        following = self.alert_filter.offset + PAGE_SIZE
        return following if following < self.total else None

    def chart(self, name: str) -> str:
        """The JSON a canvas's data-chart attribute carries (labels, values)."""
        data: dict[str, Any]
        if name == "rule":
            data = _series({rule_label(k): v for k, v in self.stats.by_rule.items()})
        elif name == "severity":
            data = _series({s: self.stats.by_severity.get(s, 0) for s in SEVERITIES})
        elif name == "region":
            data = _series(self.stats.by_region)
        elif name == "day":
            data = _series(self.stats.by_day)
        else:  # the false-alert rate by week, as percentages
            data = {
                "labels": [w.week for w in self.stats.weekly],
                "values": [_percent(w.rate) for w in self.stats.weekly],
                "cumulative": [_percent(w.cumulative_rate) for w in self.stats.weekly],
            }
        return json.dumps(data)

    @property
    def rate_text(self) -> str:
        rate = self.stats.false_alert_rate
        return "–" if rate is None else f"{rate * 100:.1f} %"


def _series(counts: dict[str, int]) -> dict[str, Any]:
    return {"labels": list(counts), "values": list(counts.values())}


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def choices(rt: Runtime) -> Choices:
    with Session(rt.engine) as session:
        countries = session.exec(
            select(Organization.country).where(col(Organization.country) != "").distinct()
        ).all()
    return Choices(RuleSet().names(), SEVERITIES, ALERT_STATUSES, sorted(countries))


def dashboard(rt: Runtime, query: dict[str, str]) -> Dashboard:
    """The dashboard for a query string (422 INVALID_FILTER if a filter is malformed)."""
    given = {k: v for k, v in query.items() if k != "limit"}
    alert_filter = AlertFilter.parse({**given, "limit": str(PAGE_SIZE)})
    return Dashboard(
        alert_filter=alert_filter,
        stats=alert_queries.alert_stats(rt, alert_filter),
        total=alert_queries.count_alerts(rt, alert_filter),
        alerts=[AlertPublic.of(r) for r in alert_queries.list_alerts(rt, alert_filter)],
        choices=choices(rt),
        query=alert_filter.query_string(),
    )


@dataclass(frozen=True)
class Evidence:
    """One piece of an alert's evidence, described for a person."""

    reference: str  # as stored: "scan:12", "event:7/0", "shipment:…"
    kind: str
    when: str = ""
    who: str = ""
    what: str = ""


@dataclass
class AlertView:
    alert: AlertDetailPublic
    evidence: list[Evidence]


def _scan_evidence(session: Session, reference: str, scan_id: str) -> Evidence:
    scan = session.get(Scan, int(scan_id)) if scan_id.isdigit() else None
    if scan is None:
        return Evidence(reference, "Scan (not found)")
    where = f" at {scan.location}" if scan.location else ""
    return Evidence(
        reference,
        "Scan",
        scan.at,
        f"{scan.msp_id} · {scan.user}{where}",
        f"{scan.result} ({scan.light}) · {scan.gtin or '?'} lot {scan.lot or '?'} "
        f"serial {scan.serial or '?'}",
    )


def _event_evidence(session: Session, reference: str, position: str) -> Evidence:
    block, _, tx_index = position.partition("/")
    event = None
    if block.isdigit() and tx_index.isdigit():
        event = session.get(LedgerEvent, (int(block), int(tx_index)))
    if event is None:
        return Evidence(reference, "Ledger event (not found)")
    return Evidence(
        reference,
        f"Ledger event, block {event.block}",
        event.at,
        event.actor,
        f"{event.name} · tx {event.tx_id[:12]}…",
    )


def alert_view(rt: Runtime, key: str) -> AlertView:
    """One alert (404 UNKNOWN_ALERT) with its evidence resolved."""
    alert = detail(rt, key)
    evidence: list[Evidence] = []
    with Session(rt.engine) as session:
        for reference in alert.evidence:
            kind, _, rest = reference.partition(":")
            if kind == "scan":
                evidence.append(_scan_evidence(session, reference, rest))
            elif kind == "event":
                evidence.append(_event_evidence(session, reference, rest))
            elif kind == "shipment":
                evidence.append(Evidence(reference, "Shipment", what=rest))
            else:
                evidence.append(Evidence(reference, kind.capitalize() or "Reference", what=rest))
    return AlertView(alert, evidence)
