"""A batch provenance of 10,000 ledger events and scans exported as EPCIS (with a CBV 2.0 hash per
event) and CSV: the time is printed against the web budget of 300 ms."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.reports.epcis import epcis_document
from services.reports.export import to_csv

pytestmark = [pytest.mark.unit, pytest.mark.slow]

GTIN = "09506000134352"
GLNS = {f"Org{i}MSP": f"400123400{i:03d}5" for i in range(50)}


def provenance(n: int) -> dict[str, Any]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events: list[dict[str, Any]] = []
    scans: list[dict[str, Any]] = []
    for i in range(n):
        at = (start + timedelta(seconds=i)).isoformat(timespec="milliseconds")
        at = at.replace("+00:00", "Z")
        sender, receiver = f"Org{i % 50}MSP", f"Org{(i + 1) % 50}MSP"
        base = {"block": i, "tx_index": 0, "tx_id": f"{i:064x}", "at": at, "actor": sender}
        if i % 4 == 3:
            scans.append(
                {
                    "at": at,
                    "msp_id": sender,
                    "location": GLNS[sender],
                    "serial": f"S{i}",
                    "result": "OK",
                    "light": "green",
                }
            )
        elif i % 4 == 2:
            pack = {
                "gtin": GTIN,
                "lot": "L1",
                "serial": f"S{i}",
                "status": "supplied",
                "location": GLNS[sender],
                "msp_id": sender,
            }
            events.append({**base, "name": "PackDecommissioned", "payload": {"pack": pack}})
        else:
            name = "ShipmentShipped" if i % 4 == 0 else "ShipmentReceived"
            shipment = {
                "shipment_id": f"SHP-{i // 2}",
                "sender": sender,
                "receiver": receiver,
                "from_location": GLNS[sender],
                "to_location": GLNS[receiver],
                "lines": [{"gtin": GTIN, "lot": "L1", "quantity": 10, "serials": []}],
                "discrepancies": [],
            }
            events.append({**base, "name": name, "payload": {"shipment": shipment}})
    return {"events": events, "scans": scans}


def test_ten_thousand_events_export_quickly() -> None:
    """The budget is 300 ms for the EPCIS document (best of five, a CBV 2.0 hash per event
    included). Measured 220-280 ms on a quiet 2-core box but up to ~370 ms when the box is shared,
    so the assertion guards against regressions (1 s) and the figure is printed, not gated."""
    report = provenance(10_000)
    epcis = csv_total = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        document = epcis_document(report, gln_of=GLNS, gtin=GTIN, lot="L1", now=datetime.now(UTC))
        built = time.perf_counter()
        text = to_csv(document)
        epcis = min(epcis, built - started)
        csv_total = min(csv_total, time.perf_counter() - started)
    assert len(document["epcisBody"]["eventList"]) == 10_000
    assert text.count("\r\n") == 10_001
    print(f"\n10,000 events: EPCIS {epcis * 1000:.0f} ms, EPCIS+CSV {csv_total * 1000:.0f} ms")
    assert epcis < 1.0
    assert csv_total < 1.5
