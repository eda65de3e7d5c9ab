"""Provenance exports for regulators: EPCIS 2.0 JSON-LD and CSV, for a batch or a single pack.

A pack's report is its batch's custody chain (commissioning, shipments, recall) plus the pack's
own ledger events and scans; the other packs' decommissionings and scans are left out.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from services.domain import provenance
from services.reports.epcis import epcis_document, glns
from services.runtime import Runtime

PACK_EVENTS = ("PackDecommissioned", "PackReactivated")

CSV_COLUMNS = [
    "event_time",
    "kind",
    "business_step",
    "disposition",
    "what",
    "quantity",
    "location",
    "from_party",
    "to_party",
    "shipment_id",
    "actor",
    "ledger_event",
    "block",
    "tx_index",
    "tx_id",
    "scan_result",
    "scanned_by",
    "event_id",
]


def batch_epcis(rt: Runtime, gtin: str, lot: str) -> dict[str, Any]:
    report = provenance.batch_provenance(rt, gtin, lot)
    return epcis_document(report, gln_of=glns(rt), gtin=gtin, lot=lot, now=rt.now())


def pack_epcis(rt: Runtime, gtin: str, serial: str) -> dict[str, Any]:
    pack = provenance.pack_provenance(rt, gtin, serial)
    events = list(pack["events"])
    lot = pack["lot"]
    if lot:
        batch = provenance.batch_provenance(rt, gtin, lot)
        own = {(e["block"], e["tx_index"]) for e in events}
        events = [
            e
            for e in batch["events"]
            if e["name"] not in PACK_EVENTS or (e["block"], e["tx_index"]) in own
        ]
    report = {"events": events, "scans": pack["scans"]}
    return epcis_document(report, gln_of=glns(rt), gtin=gtin, lot=lot, now=rt.now(), serial=serial)


FORMULA_STARTS = frozenset("=+-@\t\r")


def _cell(text: str) -> str:
    """Text for a spreadsheet cell; formulas are neutralised (CSV injection)."""
    return "'" + text if text and text[0] in FORMULA_STARTS else text


def _row(event: dict[str, Any]) -> dict[str, str]:
    ledger = event.get("pt:ledger", {})
    scan = event.get("pt:scan", {})
    quantities = event.get("quantityList", [])
    what = event.get("epcList") or [q["epcClass"] for q in quantities]
    return {
        "event_time": event["eventTime"],
        "kind": "ledger" if ledger else "scan",
        "business_step": event.get("bizStep", ""),
        "disposition": event.get("disposition", ""),
        "what": " ".join(what),
        "quantity": str(sum(q["quantity"] for q in quantities) if quantities else len(what)),
        "location": event.get("readPoint", {}).get("id", ""),
        "from_party": " ".join(s["source"] for s in event.get("sourceList", [])),
        "to_party": " ".join(d["destination"] for d in event.get("destinationList", [])),
        "shipment_id": event.get("pt:shipmentID", ""),
        "actor": ledger.get("pt:actor", ""),
        "ledger_event": ledger.get("pt:event", ""),
        "block": str(ledger.get("pt:block", "")),
        "tx_index": str(ledger.get("pt:txIndex", "")),
        "tx_id": ledger.get("pt:txId", ""),
        "scan_result": scan.get("pt:result", ""),
        "scanned_by": scan.get("pt:by", ""),
        "event_id": event["eventID"],
    }


def to_csv(document: dict[str, Any]) -> str:
    """The events of an EPCIS document as a CSV table, one row per event, in time order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(
        [_cell(v) for v in _row(event).values()] for event in document["epcisBody"]["eventList"]
    )
    return out.getvalue()
