"""A batch's or a pack's provenance as a GS1 EPCIS 2.0 JSON-LD document.

Every ledger event becomes one ObjectEvent (CBV 2.0 business steps and dispositions, identifiers
as GS1 Digital Link URIs); scans become `inspecting` observations. Each event carries as `eventID`
its CBV 2.0 canonical hash (services.reports.event_hash) and, in our own namespace `pt:`, the
ledger reference (block, transaction index, transaction id) or the scan's verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlmodel import select

from services.readmodel.tables import Organization
from services.reports.event_hash import canonical_time, event_hash
from services.runtime import Runtime

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
PT_NAMESPACE = "https://pharmatrace.example/ns/epcis/"
NAMESPACES = {"pt": PT_NAMESPACE}
DL = "https://id.gs1.org"

# Pack status on the ledger → (CBV business step, CBV disposition)
PACK_STEPS: dict[str, tuple[str, str]] = {
    "supplied": ("dispensing", "dispensed"),
    "destroyed": ("destroying", "destroyed"),
    "stolen": ("decommissioning", "stolen"),
    "sample": ("decommissioning", "inactive"),
    "free_sample": ("decommissioning", "inactive"),
    "locked": ("decommissioning", "inactive"),
    "exported": ("decommissioning", "inactive"),
    "checked_out": ("decommissioning", "inactive"),
}
BATCH_DISPOSITIONS = {
    "active": "active",
    "recalled": "recalled",
    "withdrawn": "recalled",
    "quarantined": "non_sellable_other",
}


@dataclass(frozen=True)
class _Context:
    gln_of: dict[str, str]  # MSP id → GLN
    only: tuple[str, str] | None  # (gtin, lot): a shipment's lines of that batch only
    serial: str | None  # a pack's report: serial-level lines naming that pack only


def _dl(value: str) -> str:
    return quote(value, safe="")


def lot_uri(gtin: str, lot: str) -> str:
    return f"{DL}/01/{gtin}/10/{_dl(lot)}"


def pack_uri(gtin: str, serial: str) -> str:
    return f"{DL}/01/{gtin}/21/{_dl(serial)}"


def location_uri(gln: str) -> str:
    return f"{DL}/414/{gln}"


def party_uri(gln: str) -> str:
    return f"{DL}/417/{gln}"


def _base(at: str, action: str = "OBSERVE") -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": canonical_time(at),
        "eventTimeZoneOffset": "+00:00",
        "action": action,
    }


def _ledger_ref(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "pt:ledger": {
            "pt:block": event["block"],
            "pt:txIndex": event["tx_index"],
            "pt:txId": event["tx_id"],
            "pt:event": event["name"],
            "pt:actor": event["actor"],
        }
    }


def _where(out: dict[str, Any], gln: str | None) -> None:
    if gln:
        out["readPoint"] = {"id": location_uri(gln)}
        out["bizLocation"] = {"id": location_uri(gln)}


def _commissioning(event: dict[str, Any], ctx: _Context) -> dict[str, Any] | None:
    batch = event["payload"]["batch"]
    out = _base(event["at"], "ADD")
    out["quantityList"] = [
        {"epcClass": lot_uri(batch["gtin"], batch["lot"]), "quantity": batch["quantity"]}
    ]
    out["bizStep"] = "commissioning"
    out["disposition"] = "active"
    _where(out, ctx.gln_of.get(batch["manufacturer"]))
    return out


def _shipment_what(
    shipment: dict[str, Any], shipped: bool, ctx: _Context
) -> tuple[list[str], list[dict[str, Any]]]:
    received = {(d["gtin"], d["lot"]): d["received"] for d in shipment.get("discrepancies", [])}
    epcs: list[str] = []
    quantities: list[dict[str, Any]] = []
    for line in shipment["lines"]:
        key = (line["gtin"], line["lot"])
        if ctx.only is not None and key != ctx.only:
            continue
        if line.get("serials"):
            listed = [s for s in line["serials"] if ctx.serial is None or s == ctx.serial]
            epcs.extend(pack_uri(line["gtin"], s) for s in listed)
        else:
            quantity = line["quantity"] if shipped else received.get(key, line["quantity"])
            quantities.append({"epcClass": lot_uri(*key), "quantity": quantity})
    return epcs, quantities


def _shipment(event: dict[str, Any], ctx: _Context) -> dict[str, Any] | None:
    shipment = event["payload"]["shipment"]
    shipped = event["name"] == "ShipmentShipped"
    epcs, quantities = _shipment_what(shipment, shipped, ctx)
    if not epcs and not quantities:
        return None
    out = _base(event["at"])
    if epcs:
        out["epcList"] = epcs
    if quantities:
        out["quantityList"] = quantities
    out["bizStep"] = "shipping" if shipped else "receiving"
    out["disposition"] = "in_transit" if shipped else "active"
    _where(out, shipment.get("from_location") if shipped else shipment.get("to_location"))
    source, destination = ctx.gln_of.get(shipment["sender"]), ctx.gln_of.get(shipment["receiver"])
    if source:
        out["sourceList"] = [{"type": "owning_party", "source": party_uri(source)}]
    if destination:
        out["destinationList"] = [{"type": "owning_party", "destination": party_uri(destination)}]
    out["pt:shipmentID"] = shipment["shipment_id"]
    return out


def _pack(event: dict[str, Any], ctx: _Context) -> dict[str, Any] | None:
    pack = event["payload"]["pack"]
    out = _base(event["at"])
    out["epcList"] = [pack_uri(pack["gtin"], pack["serial"])]
    if event["name"] == "PackDecommissioned":
        step, disposition = PACK_STEPS.get(pack["status"], ("decommissioning", "inactive"))
        out["bizStep"], out["disposition"] = step, disposition
    else:
        out["bizStep"], out["disposition"] = "inspecting", "active"
    _where(out, pack.get("location") or ctx.gln_of.get(pack.get("msp_id", "")))
    return out


def _batch_status(event: dict[str, Any], ctx: _Context) -> dict[str, Any] | None:
    batch = event["payload"]["batch"]
    out = _base(event["at"])
    out["quantityList"] = [
        {"epcClass": lot_uri(batch["gtin"], batch["lot"]), "quantity": batch["quantity"]}
    ]
    out["disposition"] = BATCH_DISPOSITIONS.get(batch["status"], "non_sellable_other")
    _where(out, ctx.gln_of.get(event["actor"]))
    if batch.get("status_reason"):
        out["pt:reason"] = batch["status_reason"]
    return out


CONVERTERS: dict[str, Callable[[dict[str, Any], _Context], dict[str, Any] | None]] = {
    "BatchRegistered": _commissioning,
    "ShipmentShipped": _shipment,
    "ShipmentReceived": _shipment,
    "PackDecommissioned": _pack,
    "PackReactivated": _pack,
    "BatchStatusChanged": _batch_status,
}


def _ledger_event(event: dict[str, Any], ctx: _Context) -> dict[str, Any] | None:
    """One ledger event as an EPCIS event, with its ledger reference; None if not exported."""
    converter = CONVERTERS.get(event["name"])
    out = converter(event, ctx) if converter else None
    if out is not None:
        out.update(_ledger_ref(event))
    return out


def _scan_event(scan: dict[str, Any], gtin: str) -> dict[str, Any] | None:
    if not scan.get("serial"):
        return None
    out = _base(scan["at"])
    out["epcList"] = [pack_uri(gtin, scan["serial"])]
    out["bizStep"] = "inspecting"
    _where(out, scan.get("location"))
    out["pt:scan"] = {
        "pt:result": scan["result"],
        "pt:light": scan["light"],
        "pt:by": scan["msp_id"],
    }
    return out


def glns(rt: Runtime) -> dict[str, str]:
    """MSP id → GLN of every organization."""
    with rt.session() as session:
        return {o.msp_id: o.gln for o in session.exec(select(Organization)).all()}


def epcis_document(
    provenance: dict[str, Any],
    *,
    gln_of: dict[str, str],
    gtin: str,
    lot: str | None,
    now: datetime,
    serial: str | None = None,
) -> dict[str, Any]:
    """The EPCIS document of a batch's provenance (services.domain.provenance), or of one
    pack's (`serial`: shipments that list other packs only are left out)."""
    ctx = _Context(gln_of, (gtin, lot) if lot else None, serial)
    events: list[dict[str, Any]] = []
    for event in provenance["events"]:
        converted = _ledger_event(event, ctx)
        if converted is not None:
            events.append(converted)
    for scan in provenance["scans"]:
        scan_event = _scan_event(scan, gtin)
        if scan_event is not None:
            events.append(scan_event)
    events.sort(key=lambda e: e["eventTime"])
    for event in events:
        event["eventID"] = event_hash(event, NAMESPACES)
    return {
        "@context": [EPCIS_CONTEXT, dict(NAMESPACES)],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": canonical_time(now.astimezone(UTC).isoformat()),
        "epcisBody": {"eventList": [{"eventID": e.pop("eventID"), **e} for e in events]},
    }
