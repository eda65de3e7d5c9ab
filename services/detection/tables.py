"""The alerts table and its workflow notes: off-chain, like the scan log.

Not in DERIVED_TABLES: an alert's status (open → investigating → confirmed / false_alarm) is an
investigator's work, which a rebuild of the read model from the ledger must not erase; and most
evidence (scans) is off-chain anyway. Re-running detection is idempotent: an alert is keyed by its
rule and the object it is about, so a new run refreshes its evidence and score but keeps its status.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel

ALERT_STATUSES = ("open", "investigating", "confirmed", "false_alarm")


class Alert(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=300)  # rule + subject, e.g. clone|gtin|serial
    rule: str = Field(index=True, max_length=64)
    severity: str = Field(index=True)  # critical / high / medium / low
    score: float  # 1.0 for hard rules; 0..1 for soft rules
    certain: bool  # hard rule
    gtin: str | None = Field(default=None, index=True)
    lot: str | None = None
    serial: str | None = None
    msp_id: str | None = Field(default=None, index=True)  # the organization concerned, if any
    sentence: str
    evidence: str  # JSON list: "scan:<id>", "event:<block>/<tx_index>", "shipment:<id>"
    first_seen: str  # ISO time of the earliest evidence
    last_seen: str
    detected_at: str
    status: str = Field(default="open", index=True)


class DetectionCursor(SQLModel, table=True):
    """How far incremental detection has read: the last scan id and ledger position seen."""

    id: int = Field(default=1, primary_key=True)
    scan_id: int
    block: int
    tx_index: int


class AlertNote(SQLModel, table=True):
    """One step of an alert's workflow: who moved it from which status to which, when, and why.

    Off-chain like the alert itself, and append-only: the history of an investigation is never
    rewritten. A note without a change of status has `from_status == to_status`.
    """

    id: int | None = Field(default=None, primary_key=True)
    alert_key: str = Field(index=True, max_length=300)
    at: str = Field(index=True)  # ISO 8601 UTC, the runtime's clock
    msp_id: str = Field(max_length=64)
    user: str
    from_status: str
    to_status: str = Field(index=True)
    note: str = ""
