"""A planted set of alerts over the small network, stored through detection's own `store`.

Two more pharmacies are registered with countries (DE, FR), so alerts have regions; the small
network's own organizations have none. Every number the alert statistics must give is derivable
from `PLANTED` by hand, which the tests do.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from services.detection.engine import store
from services.detection.rules import Finding
from services.domain import organizations, verification
from services.readmodel.tables import LedgerEvent, Scan
from services.runtime import Runtime
from tests.support.network import SmallNetwork, with_check_digit

COUNTRIES = {
    # msp_id: (name, GLN body, country)
    "BerlinPharmMSP": ("Apotheke Mitte", "400123400201", "DE"),
    "ParisPharmMSP": ("Pharmacie Lafayette", "300123400202", "FR"),
}


@dataclass(frozen=True)
class Planted:
    rule: str
    severity: str
    subject: str
    msp_id: str | None
    last_seen: str
    serial: str | None = None
    lot: str | None = None

    @property
    def key(self) -> str:
        return f"{self.rule}|{self.subject}"


PLANTED = (
    Planted("clone", "critical", "s1", "BerlinPharmMSP", "2026-01-02T10:00:00.000Z", "SN0001X"),
    Planted("clone", "critical", "s2", "ParisPharmMSP", "2026-01-03T11:00:00.000Z", "SN0002X"),
    Planted("unknown_serial", "high", "s3", "BerlinPharmMSP", "2026-01-03T12:00:00.000Z", "ZZ9"),
    Planted(
        "quantity_drift", "medium", "shipment-1", "WholesaleMSP", "2026-01-04T08:00:00.000Z",
        lot="LOT001",
    ),
    Planted("scan_velocity", "medium", "s5", None, "2026-01-04T09:30:00.000Z", "SN0005X"),
    Planted(
        "recalled_in_use", "high", "LOT001|ParisPharmMSP", "ParisPharmMSP",
        "2026-01-04T10:00:00.000Z", lot="LOT001",
    ),
)  # fmt: skip


def register_countries(net: SmallNetwork) -> None:
    for msp_id, (name, body, country) in COUNTRIES.items():
        organizations.register_organization(
            net.rt,
            actor=net.regulator,
            msp_id=msp_id,
            name=name,
            role="pharmacy",
            gln=with_check_digit(body),
            country=country,
        )


def finding(planted: Planted, gtin: str, evidence: list[str] | None = None) -> Finding:
    return Finding(
        rule=planted.rule,
        severity=planted.severity,
        score=1.0 if planted.severity == "critical" else 0.7,
        certain=planted.severity == "critical",
        sentence=f"Planted {planted.rule} alert about {planted.subject}.",
        evidence=evidence or ["scan:1", "scan:2"],
        first_seen="2026-01-01T09:00:00.000Z",
        last_seen=planted.last_seen,
        gtin=gtin,
        lot=planted.lot,
        serial=planted.serial,
        msp_id=planted.msp_id,
        subject=planted.subject,
    )


def real_evidence(net: SmallNetwork) -> list[str]:
    """Two real scans of one pack (two pharmacies) and the batch's registration event."""
    for actor in (net.pharmacy_a, net.pharmacy_b):
        verification.verify(net.rt, actor=actor, code=net.code(net.serials[1]))
    with Session(net.rt.engine) as session:
        scans = session.exec(select(Scan.id).order_by(col(Scan.id).desc()).limit(2)).all()
        event = session.exec(
            select(LedgerEvent).where(LedgerEvent.name == "BatchRegistered")
        ).first()
    references = [f"scan:{n}" for n in sorted(s for s in scans if s is not None)]
    if event is not None:
        references.append(f"event:{event.block}/{event.tx_index}")
    return references


def plant_alerts(net: SmallNetwork) -> list[str]:
    """The organizations with countries and the planted alerts, all open; their evidence."""
    register_countries(net)
    evidence = real_evidence(net)
    store(net.rt, [finding(p, net.gtin, evidence) for p in PLANTED])
    return evidence


def alert_count(rt: Runtime) -> int:
    from services.detection.alert_filter import AlertFilter
    from services.detection.alert_queries import count_alerts

    return count_alerts(rt, AlertFilter())
