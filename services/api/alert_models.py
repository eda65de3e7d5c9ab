"""Schemas of the alert API: an alert, its notes, a page of alerts, the statistics, a transition.

Alerts are off-chain (services.detection.tables): these models carry no ledger transaction.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field

from services.api.models import RequestModel
from services.detection.alert_queries import AlertRow, AlertStats
from services.detection.tables import Alert, AlertNote

AlertStatus = Literal["open", "investigating", "confirmed", "false_alarm"]


class AlertNotePublic(BaseModel):
    """One step of the workflow (or a note without a change when the statuses are equal)."""

    at: str
    msp_id: str
    user: str
    from_status: AlertStatus
    to_status: AlertStatus
    note: str

    @classmethod
    def of(cls, note: AlertNote) -> AlertNotePublic:
        return cls.model_validate(note, from_attributes=True)


class AlertPublic(BaseModel):
    key: str = Field(examples=["clone|09506000134352|SN0001X"])
    rule: str
    severity: Literal["critical", "high", "medium", "low"]
    score: float
    certain: bool
    status: AlertStatus
    gtin: str | None
    lot: str | None
    serial: str | None
    msp_id: str | None = Field(description="The organization concerned, if any.")
    organization: str | None = Field(description="Its registered name.")
    region: str = Field(description="Its country code, or 'none'.")
    sentence: str
    evidence: list[str] = Field(
        description='"scan:<id>", "event:<block>/<tx_index>" or "shipment:<id>"'
    )
    first_seen: str
    last_seen: str
    detected_at: str

    @classmethod
    def of(cls, row: AlertRow) -> AlertPublic:
        alert: Alert = row.alert
        return cls(
            key=alert.key,
            rule=alert.rule,
            severity=alert.severity,
            score=alert.score,
            certain=alert.certain,
            status=alert.status,
            gtin=alert.gtin,
            lot=alert.lot,
            serial=alert.serial,
            msp_id=alert.msp_id,
            organization=row.organization,
            region=row.region,
            sentence=alert.sentence,
            evidence=json.loads(alert.evidence),
            first_seen=alert.first_seen,
            last_seen=alert.last_seen,
            detected_at=alert.detected_at,
        )


class AlertDetailPublic(AlertPublic):
    notes: list[AlertNotePublic] = Field(description="The workflow's history, oldest first.")
    next_statuses: list[AlertStatus] = Field(description="Where the alert may go from here.")


class AlertPagePublic(BaseModel):
    total: int = Field(description="Alerts matching the filters (every page).")
    limit: int
    offset: int
    alerts: list[AlertPublic]


class WeekRatePublic(BaseModel):
    week: str = Field(examples=["2026-W05"])
    confirmed: int
    false_alarm: int
    rate: float | None
    cumulative_rate: float | None


class AlertStatsPublic(BaseModel):
    total: int
    by_rule: dict[str, int]
    by_severity: dict[str, int]
    by_status: dict[str, int]
    by_region: dict[str, int]
    by_day: dict[str, int] = Field(description="Alerts by the day of their latest evidence.")
    confirmed: int
    false_alarm: int
    false_alert_rate: float | None = Field(
        description="false_alarm / (confirmed + false_alarm); null until something is decided."
    )
    weekly: list[WeekRatePublic] = Field(description="The same by the week of the decision.")

    @classmethod
    def of(cls, stats: AlertStats) -> AlertStatsPublic:
        return cls.model_validate(stats, from_attributes=True)


class AlertTransitionCreate(RequestModel):
    status: AlertStatus
    note: str = Field(default="", max_length=2000)


class AlertNoteCreate(RequestModel):
    note: str = Field(min_length=1, max_length=2000)
