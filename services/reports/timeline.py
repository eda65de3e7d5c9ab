"""Ledger events and scans as one time-ordered list of sentences, each with its evidence.

The provenance report (page and PDF) shows every entry: what happened, who did it, where, the
scan's verdict, and for ledger entries the block and transaction that prove it. The sentences are
built from the events' payloads exactly as the contract emitted them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from services.domain.provenance import event_record, scan_record
from services.reports.parties import Parties

PACK_STATUS_WORDS = {
    "supplied": "dispensed",
    "destroyed": "destroyed",
    "stolen": "reported stolen",
    "sample": "taken as a sample",
    "free_sample": "given as a free sample",
    "locked": "locked",
    "exported": "exported",
    "checked_out": "checked out",
}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event of a report: a ledger transaction's event, or a scan (off-chain)."""

    at: str  # ISO 8601 UTC, as recorded
    kind: str  # "ledger" or "scan"
    step: str  # short name: commissioned, shipped, received, dispensed, recalled, scanned, …
    sentence: str
    actor: str  # organization name
    place: str  # premises: organization name and GLN
    result: str = ""  # a scan's result code
    light: str = ""  # a scan's light (green / amber / red)
    block: int | None = None
    tx_index: int | None = None
    tx_id: str = ""
    shipment_id: str = ""


def _lines_of(shipment: dict[str, Any], gtin: str, lot: str | None) -> list[dict[str, Any]]:
    return [
        line
        for line in shipment.get("lines", [])
        if line.get("gtin") == gtin and (lot is None or line.get("lot") == lot)
    ]


def _quantity(lines: list[dict[str, Any]]) -> int:
    return sum(int(line.get("quantity", 0)) for line in lines)


def _received(shipment: dict[str, Any], lines: list[dict[str, Any]]) -> int:
    short = {(d["gtin"], d["lot"]): d["received"] for d in shipment.get("discrepancies", [])}
    return sum(
        int(short.get((line["gtin"], line["lot"]), line.get("quantity", 0))) for line in lines
    )


def packs(count: int) -> str:
    """ "1 pack", "1,200 packs"."""
    return f"{count:,} pack" + ("" if count == 1 else "s")


Record = dict[str, Any] | Sequence[Any]
"""A ledger event or a scan: its provenance dict, or its unparsed row (EVENT_COLUMNS,
SCAN_COLUMNS of services.domain.provenance), parsed only when its entry is built."""


def as_event(record: Record) -> dict[str, Any]:
    return record if isinstance(record, dict) else event_record(record)


def as_scan(record: Record) -> dict[str, Any]:
    return record if isinstance(record, dict) else scan_record(record)


def _event_key(record: Record) -> tuple[str, int, int, int]:
    if isinstance(record, dict):
        return record["at"], 0, record["block"], record["tx_index"]
    return record[4], 0, record[0], record[1]


def _scan_at(record: Record) -> str:
    return str(record["at"] if isinstance(record, dict) else record[0])


def _scan_light(record: Record) -> str:
    return str(record["light"] if isinstance(record, dict) else record[6])


def event_actor(record: Record) -> str:
    return str(record["actor"] if isinstance(record, dict) else record[5])


def event_name(record: Record) -> str:
    return str(record["name"] if isinstance(record, dict) else record[3])


def event_position(record: Record) -> tuple[int, int]:
    if isinstance(record, dict):
        return record["block"], record["tx_index"]
    return record[0], record[1]


def scanner(record: Record) -> str:
    return str(record["msp_id"] if isinstance(record, dict) else record[1])


class Timeline(Sequence[TimelineEntry]):
    """Every entry of a report in time order, each sentence built only when it is read.

    A page shows 250 of maybe 10,000 entries: ordering needs only the times, so the ordering is
    computed at once and the entries (sentences, names, places) on demand, then kept.
    """

    def __init__(
        self, builder: TimelineBuilder, events: Sequence[Record], scans: Sequence[Record]
    ) -> None:
        self._builder = builder
        keyed: list[tuple[str, int, int, int, int]] = [
            (*_event_key(e), n) for n, e in enumerate(events)
        ]
        keyed += [(_scan_at(s), 1, 0, 0, n) for n, s in enumerate(scans)]
        keyed.sort()
        self._order = [(kind, n) for _, kind, _, _, n in keyed]
        self._events, self._scans = events, scans
        self._built: dict[int, TimelineEntry] = {}
        self.ledger_events = len(events)
        self.scans = len(scans)
        self.lights = Counter(_scan_light(s) for s in scans)

    def __len__(self) -> int:
        return len(self._order)

    def _entry(self, index: int) -> TimelineEntry:
        entry = self._built.get(index)
        if entry is None:
            kind, n = self._order[index]
            builder = self._builder
            if kind == 0:
                entry = builder.ledger(as_event(self._events[n]))
            else:
                entry = builder.scan(as_scan(self._scans[n]))
            self._built[index] = entry
        return entry

    @overload
    def __getitem__(self, index: int) -> TimelineEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[TimelineEntry]: ...

    def __getitem__(self, index: int | slice) -> TimelineEntry | list[TimelineEntry]:
        if isinstance(index, slice):
            return [self._entry(i) for i in range(*index.indices(len(self._order)))]
        if index < 0:
            index += len(self._order)
        if not 0 <= index < len(self._order):
            raise IndexError(index)
        return self._entry(index)


class TimelineBuilder:
    """Turns provenance dicts (services.domain.provenance) into entries, in time order."""

    def __init__(self, parties: Parties, gtin: str, lot: str | None) -> None:
        self.parties = parties
        self.gtin = gtin
        self.lot = lot
        self._describe: dict[str, Callable[[dict[str, Any]], tuple[str, str, str]]] = {
            "BatchRegistered": self._registered,
            "BatchStatusChanged": self._status,
            "ShipmentShipped": self._shipped,
            "ShipmentReceived": self._receipt,
            "PackDecommissioned": self._decommissioned,
            "PackReactivated": self._reactivated,
        }

    def ledger(self, event: dict[str, Any]) -> TimelineEntry:
        describe = self._describe.get(event["name"])
        if describe is None:
            step, sentence, place = event["name"], f"Ledger event {event['name']}.", ""
        else:
            step, sentence, place = describe(event)
        return TimelineEntry(
            at=event["at"],
            kind="ledger",
            step=step,
            sentence=sentence,
            actor=self.parties.name(event["actor"]),
            place=place or self.parties.place_of(event["actor"]),
            block=event["block"],
            tx_index=event["tx_index"],
            tx_id=event["tx_id"],
            shipment_id=event["payload"].get("shipment", {}).get("shipment_id", ""),
        )

    def scan(self, scan: dict[str, Any]) -> TimelineEntry:
        serial = scan.get("serial") or "?"
        reasons = " ".join(scan.get("reasons", []))
        sentence = f"Pack {serial} verified: {scan['result']} ({scan['light']})."
        return TimelineEntry(
            at=scan["at"],
            kind="scan",
            step="scanned",
            sentence=f"{sentence} {reasons}".strip(),
            actor=self.parties.name(scan["msp_id"]),
            place=self.parties.place(scan.get("location") or "", scan["msp_id"]),
            result=scan["result"],
            light=scan["light"],
        )

    def build(self, events: Sequence[Record], scans: Sequence[Record]) -> Timeline:
        return Timeline(self, events, scans)

    # -- one sentence per kind of ledger event -------------------------------------------------
    def _registered(self, event: dict[str, Any]) -> tuple[str, str, str]:
        batch = event["payload"]["batch"]
        sentence = (
            f"Batch {batch['lot']} commissioned: {packs(batch['quantity'])}, "
            f"expiry {batch['expiry']}, Merkle root {batch['merkle_root'][:16]}…"
        )
        return "commissioned", sentence, ""

    def _status(self, event: dict[str, Any]) -> tuple[str, str, str]:
        batch = event["payload"]["batch"]
        reason = batch.get("status_reason") or ""
        sentence = f"Batch {batch['lot']} {batch['status']}" + (f": {reason}" if reason else ".")
        return batch["status"], sentence, ""

    def _shipped(self, event: dict[str, Any]) -> tuple[str, str, str]:
        shipment = event["payload"]["shipment"]
        lines = _lines_of(shipment, self.gtin, self.lot)
        sentence = (
            f"Shipped {packs(_quantity(lines))} to {self.parties.name(shipment['receiver'])} "
            f"(shipment {shipment['shipment_id']})."
        )
        place = self.parties.place(shipment.get("from_location") or "", shipment["sender"])
        return "shipped", sentence, place

    def _receipt(self, event: dict[str, Any]) -> tuple[str, str, str]:
        shipment = event["payload"]["shipment"]
        lines = _lines_of(shipment, self.gtin, self.lot)
        shipped, received = _quantity(lines), _received(shipment, lines)
        short = "" if received == shipped else f" — {shipped - received:,} short"
        sentence = (
            f"Received {received:,} of {packs(shipped)} from "
            f"{self.parties.name(shipment['sender'])} (shipment {shipment['shipment_id']}){short}."
        )
        place = self.parties.place(shipment.get("to_location") or "", shipment["receiver"])
        return "received", sentence, place

    def _decommissioned(self, event: dict[str, Any]) -> tuple[str, str, str]:
        pack = event["payload"]["pack"]
        word = PACK_STATUS_WORDS.get(pack["status"], pack["status"])
        place = self.parties.place(pack.get("location") or "", pack.get("msp_id", ""))
        return word, f"Pack {pack['serial']} {word}.", place

    def _reactivated(self, event: dict[str, Any]) -> tuple[str, str, str]:
        pack = event["payload"]["pack"]
        undone = PACK_STATUS_WORDS.get(pack.get("undone_status") or "", "decommissioning")
        place = self.parties.place(pack.get("location") or "", pack.get("msp_id", ""))
        sentence = f"Pack {pack['serial']} reactivated (undo of '{undone}')."
        return "reactivated", sentence, place
