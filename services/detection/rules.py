"""Detection rules: each a small class with a name, its thresholds and a bulk `run` over the read
model's DataFrames. Hard rules are certain (score 1.0); soft rules carry a score in (0, 1].

Favour precision (ARCHITECTURE.md): every threshold errs on the side of silence, and the noise
of a working supply chain (a pharmacist re-scanning a pack, partial shipments, slow but normal
deliveries, plausible journeys) must not raise an alert.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from services.detection.data import Frames

UNKNOWN_RESULTS = ("UNKNOWN_SERIAL", "UNKNOWN_BATCH", "UNKNOWN_PRODUCT")
RECALLED_STATUSES = ("recalled", "withdrawn")


def iso(moment: Any) -> str:
    """A pandas/datetime UTC timestamp as ISO 8601 with milliseconds and Z."""
    text: str = pd.Timestamp(moment).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _opt(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


@dataclass
class Finding:
    rule: str
    severity: str
    score: float
    certain: bool
    sentence: str
    evidence: list[str]
    first_seen: str
    last_seen: str
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    msp_id: str | None = None
    subject: str = ""  # what makes the alert unique within its rule

    @property
    def key(self) -> str:
        return f"{self.rule}|{self.subject}"


class Group:
    """One group of rows as plain Python lists (cheap to build for many groups)."""

    def __init__(self, columns: dict[str, list[Any]], start: int, end: int) -> None:
        self._columns, self._start, self._end = columns, start, end

    def __len__(self) -> int:
        return self._end - self._start

    def __getitem__(self, name: str) -> list[Any]:
        return self._columns[name][self._start : self._end]

    def first(self) -> dict[str, Any]:
        return {name: values[self._start] for name, values in self._columns.items()}


def _groups(
    frame: pd.DataFrame, keys: list[str], dropna: bool = True
) -> list[tuple[tuple[Any, ...], Group]]:
    """Rows grouped by `keys`, each group in time order; vectorised boundaries, no per-group
    DataFrames (a million rows with tens of thousands of groups stay fast)."""
    if dropna:
        frame = frame.dropna(subset=keys)
    if frame.empty:
        return []
    order = [*keys, "at"] if "at" in frame.columns and "at" not in keys else keys
    frame = frame.sort_values(order, kind="stable", na_position="last")
    key_frame = frame[keys].astype(object).fillna("\x00")
    changed = (key_frame != key_frame.shift()).any(axis=1).to_numpy()
    starts = np.flatnonzero(changed)
    ends = [*starts[1:].tolist(), len(frame)]
    columns = {str(name): frame[name].tolist() for name in frame.columns}
    key_lists = [columns[k] for k in keys]
    return [
        (tuple(values[start] for values in key_lists), Group(columns, start, end))
        for start, end in zip(starts.tolist(), ends, strict=True)
    ]


def _rows(frame: pd.DataFrame) -> list[Any]:
    return list(frame.itertuples(index=False))


def _scan_ids(rows: Group | pd.DataFrame) -> list[str]:
    return [f"scan:{int(i)}" for i in rows["id"]]


def _names(frames: Frames) -> dict[str, str]:
    return dict(zip(frames.orgs["msp_id"], frames.orgs["name"], strict=True))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass
class Rule(ABC):
    """A named indicator with its thresholds; `run` returns what it finds in the frames."""

    name: ClassVar[str] = ""
    certain: ClassVar[bool] = True
    description: ClassVar[str] = ""

    @abstractmethod
    def run(self, frames: Frames, now: datetime) -> list[Finding]: ...


# -- hard rules -----------------------------------------------------------------------------


@dataclass
class CloneRule(Rule):
    """A serial decommissioned (dispensed, destroyed…) by one organization, then scanned by
    another while still decommissioned: a copy of its code is in circulation."""

    name: ClassVar[str] = "clone"
    description: ClassVar[str] = "serial scanned elsewhere after it was decommissioned"

    def run(self, frames: Frames, now: datetime) -> list[Finding]:
        events, scans = frames.events, frames.scans
        decommissions = events[events["name"] == "PackDecommissioned"].reset_index(drop=True)
        if decommissions.empty or scans.empty:
            return []
        decommissions["d"] = decommissions.index
        reactivations = events[events["name"] == "PackReactivated"][["gtin", "serial", "at"]]
        pairs = decommissions.merge(reactivations, on=["gtin", "serial"], suffixes=("", "_r"))
        pairs = pairs[pairs["at_r"] > pairs["at"]]
        until = pairs.groupby("d")["at_r"].min().rename("until").reset_index()
        decommissions = decommissions.merge(until, on="d", how="left")
        joined = scans.merge(decommissions, on=["gtin", "serial"], suffixes=("", "_d"))
        still_decommissioned = joined["until"].isna() | (joined["at"] < joined["until"])
        hits = joined[
            (joined["at"] > joined["at_d"])
            & still_decommissioned
            & (joined["msp_id"] != joined["actor"])
        ]
        names = _names(frames)
        findings = []
        for (gtin, serial, block, tx_index), rows in _groups(
            hits, ["gtin", "serial", "block", "tx_index"]
        ):
            first = rows.first()
            places = sorted({names.get(m, m) for m in rows["msp_id"]})
            findings.append(
                Finding(
                    rule=self.name,
                    severity="critical",
                    score=1.0,
                    certain=True,
                    sentence=(
                        f"Pack {serial} (GTIN {gtin}, lot {first['lot_d']}) was "
                        f"{first['status']} by {names.get(first['actor'], first['actor'])} on "
                        f"{iso(first['at_d'])}, then scanned {_plural(len(rows), 'time')} by "
                        f"{', '.join(places)}: a copy of its code is in circulation."
                    ),
                    evidence=[f"event:{block}/{tx_index}", *_scan_ids(rows)],
                    first_seen=iso(first["at_d"]),
                    last_seen=iso(max(rows["at"])),
                    gtin=gtin,
                    lot=_opt(first["lot_d"]),
                    serial=serial,
                    subject=f"{gtin}|{serial}|{block}/{tx_index}",
                )
            )
        return findings


@dataclass
class UnknownCodeRule(Rule):
    """Scans of a serial, batch or product that was never registered."""

    name: ClassVar[str] = "unknown_serial"
    description: ClassVar[str] = "scan of a serial, batch or product never registered"

    def run(self, frames: Frames, now: datetime) -> list[Finding]:
        scans = frames.scans
        hits = scans[scans["result"].isin(UNKNOWN_RESULTS)]
        names = _names(frames)
        findings = []
        for (gtin, serial), rows in _groups(hits, ["gtin", "serial"], dropna=False):
            places = sorted({names.get(m, m) for m in rows["msp_id"]})
            what = {
                "UNKNOWN_SERIAL": f"serial {serial}",
                "UNKNOWN_BATCH": f"batch {rows.first()['lot']}",
                "UNKNOWN_PRODUCT": f"GTIN {gtin}",
            }[rows.first()["result"]]
            findings.append(
                Finding(
                    rule=self.name,
                    severity="critical",
                    score=1.0,
                    certain=True,
                    sentence=(
                        f"A pack with {what} (GTIN {gtin}), which its manufacturer never "
                        f"registered, was scanned {_plural(len(rows), 'time')} by "
                        f"{', '.join(places)}: probable counterfeit."
                    ),
                    evidence=_scan_ids(rows),
                    first_seen=iso(min(rows["at"])),
                    last_seen=iso(max(rows["at"])),
                    gtin=_opt(gtin),
                    lot=_opt(rows.first()["lot"]),
                    serial=_opt(serial),
                    subject=f"{gtin}|{serial}",
                )
            )
        return findings


@dataclass
class CustodyWithoutShipmentRule(Rule):
    """An organization holding packs of a batch that nobody shipped to it, or more packs than
    were shipped to it (verification said QUANTITY_EXCEEDED: all it received is gone, yet it
    scans another pack of the batch: quantity inflation)."""

    name: ClassVar[str] = "custody_without_shipment"
    description: ClassVar[str] = "packs found at an organization no shipment reached"
    results: tuple[str, ...] = ("NOT_IN_CUSTODY", "QUANTITY_EXCEEDED")

    def run(self, frames: Frames, now: datetime) -> list[Finding]:
        scans = frames.scans
        hits = scans[scans["result"].isin(self.results)]
        names = _names(frames)
        findings = []
        for (msp_id, gtin, lot), rows in _groups(hits, ["msp_id", "gtin", "lot"]):
            serials = sorted({x for x in rows["serial"] if isinstance(x, str)})
            why = (
                "although no shipment of that batch to it is recorded"
                if "NOT_IN_CUSTODY" in rows["result"]
                else "although every pack of that batch shipped to it is already accounted for"
            )
            findings.append(
                Finding(
                    rule=self.name,
                    severity="high",
                    score=1.0,
                    certain=True,
                    sentence=(
                        f"{names.get(msp_id, msp_id)} scanned {_plural(len(serials), 'pack')} of "
                        f"batch {lot} (GTIN {gtin}) {why}: the packs entered the supply chain "
                        "outside the ledger."
                    ),
                    evidence=_scan_ids(rows),
                    first_seen=iso(min(rows["at"])),
                    last_seen=iso(max(rows["at"])),
                    gtin=gtin,
                    lot=lot,
                    msp_id=msp_id,
                    subject=f"{msp_id}|{gtin}|{lot}",
                )
            )
        return findings


@dataclass
class RecalledInUseRule(Rule):
    """A recalled or withdrawn batch still scanned or shipped after its recall.

    Recall handling is not use: the manufacturer's own scans (returned packs arriving), shipments
    back to the manufacturer (the only movement the contract allows), and a holder's scans in
    the `return_window` before it ships the batch back to the manufacturer (it checks what it
    sends) raise nothing. So a scan is judged only once its `return_window` has passed: an
    incremental run an hour after the scan cannot know that the return is on its way, and an
    alert once stored stays. Recall alerts come that much later; the scanner's own verdict
    (BATCH_RECALLED, red) is immediate. Scans of codes the batch does not contain (unknown
    serials) are the unknown-code rule's."""

    name: ClassVar[str] = "recalled_in_use"
    description: ClassVar[str] = "recalled or withdrawn batch still scanned or moving"
    return_window: timedelta = timedelta(hours=12)

    def run(self, frames: Frames, now: datetime) -> list[Finding]:
        recalled = frames.batches[frames.batches["status"].isin(RECALLED_STATUSES)]
        if recalled.empty:
            return []
        keys = recalled[["gtin", "lot", "status", "status_changed_at", "manufacturer"]]
        ships = frames.shipments.merge(keys, on=["gtin", "lot"], suffixes=("", "_batch"))
        ships = ships[ships["shipped_at"] > ships["status_changed_at"]]
        returned = ships["receiver"] == ships["manufacturer"]
        returns = ships[returned][["gtin", "lot", "sender", "shipped_at"]]
        ships = ships[~returned]
        scans = frames.scans[~frames.scans["result"].isin(UNKNOWN_RESULTS)]
        scans = scans.merge(keys, on=["gtin", "lot"])
        scans = scans[
            (scans["at"] > scans["status_changed_at"])
            & (scans["msp_id"] != scans["manufacturer"])
            & (scans["at"] <= pd.Timestamp(now) - self.return_window)
        ]
        scans = scans[~self._before_return(scans, returns)]
        names = _names(frames)
        findings = []
        for (gtin, lot, msp_id), rows in _groups(scans, ["gtin", "lot", "msp_id"]):
            first = rows.first()
            findings.append(
                Finding(
                    rule=self.name,
                    severity="high",
                    score=1.0,
                    certain=True,
                    sentence=(
                        f"Batch {lot} (GTIN {gtin}) was {first['status']} on "
                        f"{iso(first['status_changed_at'])}, yet {names.get(msp_id, msp_id)} "
                        f"scanned {_plural(len(rows), 'pack')} of it afterwards: recalled stock "
                        "is still in use."
                    ),
                    evidence=_scan_ids(rows),
                    first_seen=iso(min(rows["at"])),
                    last_seen=iso(max(rows["at"])),
                    gtin=gtin,
                    lot=lot,
                    msp_id=msp_id,
                    subject=f"scan|{gtin}|{lot}|{msp_id}",
                )
            )
        for (gtin, lot, sender), rows in _groups(ships, ["gtin", "lot", "sender"]):
            first = rows.first()
            findings.append(
                Finding(
                    rule=self.name,
                    severity="high",
                    score=1.0,
                    certain=True,
                    sentence=(
                        f"Batch {lot} (GTIN {gtin}) was {first['status_batch']} on "
                        f"{iso(first['status_changed_at'])}, yet {names.get(sender, sender)} "
                        f"shipped it afterwards ({_plural(len(rows), 'shipment')})."
                    ),
                    evidence=[f"shipment:{s}" for s in rows["shipment_id"]],
                    first_seen=iso(min(rows["shipped_at"])),
                    last_seen=iso(max(rows["shipped_at"])),
                    gtin=gtin,
                    lot=lot,
                    msp_id=sender,
                    subject=f"ship|{gtin}|{lot}|{sender}",
                )
            )
        return findings

    def _before_return(self, scans: pd.DataFrame, returns: pd.DataFrame) -> pd.Series:
        """Per scan: did its organization ship the batch back within `return_window` after?"""
        if returns.empty or scans.empty:
            return pd.Series(False, index=scans.index)
        pairs = scans.reset_index().merge(
            returns,
            left_on=["gtin", "lot", "msp_id"],
            right_on=["gtin", "lot", "sender"],
        )
        lead = pairs["shipped_at"] - pairs["at"]
        handled = pairs[(lead >= pd.Timedelta(0)) & (lead <= self.return_window)]["index"]
        return pd.Series(scans.index.isin(handled), index=scans.index)


@dataclass
class QuantityDriftRule(Rule):
    """A receipt that differs from its shipment. More units received than shipped is certain
    (inflation); a short receipt is scored by the share missing, above a small tolerance."""

    name: ClassVar[str] = "quantity_drift"
    description: ClassVar[str] = "units received differ from units shipped"
    short_tolerance: float = 0.0  # share of a line that may go missing without an alert

    def run(self, frames: Frames, now: datetime) -> list[Finding]:
        lines = frames.shipments.dropna(subset=["received"])
        lines = lines[lines["received"] != lines["quantity"]]
        names = _names(frames)
        findings = []
        for row in _rows(lines):
            received, shipped = int(row.received), int(row.quantity)
            over = received > shipped
            share = abs(shipped - received) / max(shipped, 1)
            if not over and share <= self.short_tolerance:
                continue
            receiver = names.get(str(row.receiver), str(row.receiver))
            sender = names.get(str(row.sender), str(row.sender))
            sentence = (
                f"{receiver} recorded {received} packs of batch {row.lot} (GTIN {row.gtin}) from "
                f"shipment {row.shipment_id} by {sender}, which carried {shipped}: "
                + (
                    "more units than were shipped appeared in the chain."
                    if over
                    else f"{shipped - received} packs went missing in transit."
                )
            )
            findings.append(
                Finding(
                    rule=self.name,
                    severity="high" if over else ("medium" if share < 0.5 else "high"),
                    score=1.0 if over else round(min(1.0, 0.5 + share), 3),
                    certain=over,
                    sentence=sentence,
                    evidence=[f"shipment:{row.shipment_id}"],
                    first_seen=iso(row.shipped_at),
                    last_seen=iso(row.received_at),
                    gtin=str(row.gtin),
                    lot=str(row.lot),
                    msp_id=str(row.receiver),
                    subject=f"{row.shipment_id}|{row.gtin}|{row.lot}",
                )
            )
        return findings


# -- soft rules -----------------------------------------------------------------------------


@dataclass
class ScanVelocityRule(Rule):
    """The same code scanned too often: `burst` times within `burst_window` at two or more
    places, or `weekly` times within `weekly_window` anywhere.

    A genuine pack moving fast is scanned that often too: goods-out at the wholesaler, goods-in
    and at the counter at the pharmacy, all within a day. So a burst counts only when the code
    goes from one organization to another with no shipment of its batch between them recorded
    before the later scan (at least `unexplained_moves` times): a pack that goes back, or
    sideways to a pharmacy its holder never supplied, is two packs. A place is an organization
    and its premises."""

    name: ClassVar[str] = "scan_velocity"
    certain: ClassVar[bool] = False
    description: ClassVar[str] = "same code scanned too often across places"
    burst: int = 3
    burst_window: timedelta = timedelta(hours=24)
    burst_places: int = 2
    unexplained_moves: int = 1
    weekly: int = 10
    weekly_window: timedelta = timedelta(days=7)

    def run(self, frames: Frames, now: datetime) -> list[Finding]:
        scans = frames.scans.dropna(subset=["serial"])
        if scans.empty:
            return []
        # Integer codes for (GTIN, serial): counting, sorting and windowing on them instead of
        # the strings keeps a million scans at a few seconds.
        code = scans.groupby(["gtin", "serial"], sort=False).ngroup().to_numpy(dtype=np.int64)
        keep = np.bincount(code)[code] >= min(self.burst, self.weekly)
        scans, code = scans[keep], code[keep]
        if scans.empty:
            return []
        # Whole seconds whatever the frame's time unit (the read model's is µs).
        seconds = (scans["at"] - scans["at"].min()).dt.total_seconds().to_numpy(dtype=np.int64)
        order = np.lexsort((seconds, code))  # stable: by code, then time
        scans = scans.iloc[order].reset_index(drop=True)
        code, seconds = code[order], seconds[order]
        # One sortable int64 key per scan: code number, then seconds; a window never crosses
        # into the next code because codes are 10^10 s apart.
        key = code * 10**10 + seconds
        starts: set[int] = set()
        for window, minimum in ((self.burst_window, self.burst), (self.weekly_window, self.weekly)):
            ends = np.searchsorted(key, key + int(window.total_seconds()), side="left")
            starts.update(np.flatnonzero(ends - np.arange(len(key)) >= minimum).tolist())
        names = _names(frames)
        handoffs = _handoffs(frames.shipments)
        findings = []
        for codes_rows in _groups(scans[np.isin(code, code[sorted(starts)])], ["gtin", "serial"]):
            (gtin, serial), rows = codes_rows
            found = self._peak(rows, handoffs)
            if found is None:
                continue
            window_rows, score = found
            places = sorted({names.get(m, m) for m in window_rows["msp_id"]})
            moments = window_rows["at"]
            hours = (max(moments) - min(moments)).total_seconds() / 3600
            findings.append(
                Finding(
                    rule=self.name,
                    severity="high" if score >= 0.8 else "medium",
                    score=score,
                    certain=False,
                    sentence=(
                        f"Pack {serial} (GTIN {gtin}) was scanned {len(moments)} times in "
                        f"{hours:.1f} hours at {_plural(len(places), 'place')} "
                        f"({', '.join(places)}): one genuine pack is not scanned that often; "
                        "its code may have been copied."
                    ),
                    evidence=[f"scan:{int(i)}" for i in window_rows["id"]],
                    first_seen=iso(min(moments)),
                    last_seen=iso(max(moments)),
                    gtin=gtin,
                    lot=_opt(window_rows["lot"][0]),
                    serial=serial,
                    subject=f"{gtin}|{serial}",
                )
            )
        return findings

    def _peak(
        self, rows: Group, handoffs: dict[tuple[str, str, str, str], Any]
    ) -> tuple[dict[str, list[Any]], float] | None:
        """The busiest qualifying window of one code's scans (in time order), and its score."""
        times, places = rows["at"], list(zip(rows["msp_id"], rows["location"], strict=True))
        unexplained = self._unexplained(rows, handoffs)
        best: tuple[dict[str, list[Any]], float] | None = None
        for window_length, minimum, places_needed, moves_needed in (
            (self.burst_window, self.burst, self.burst_places, self.unexplained_moves),
            (self.weekly_window, self.weekly, 1, 0),
        ):
            end = 0
            for start in range(len(times)):
                end = max(end, start)
                while end < len(times) and times[end] - times[start] < window_length:
                    end += 1
                count = end - start
                n_places = len(set(places[start:end]))
                moves = sum(unexplained[start + 1 : end])
                if count < minimum or n_places < places_needed or moves < moves_needed:
                    continue
                score = round(min(1.0, 0.5 + 0.1 * (count - minimum) + 0.15 * (n_places - 1)), 3)
                if best is None or score > best[1]:
                    columns = ("id", "at", "msp_id", "lot")
                    best = ({c: rows[c][start:end] for c in columns}, score)
        return best

    @staticmethod
    def _unexplained(rows: Group, handoffs: dict[tuple[str, str, str, str], Any]) -> list[bool]:
        """Per scan: the code came from another organization with no shipment of its batch from
        there to here recorded before this scan."""
        msp, lots, times = rows["msp_id"], rows["lot"], rows["at"]
        gtin = rows.first()["gtin"]
        out = [False]
        for i in range(1, len(msp)):
            if msp[i] == msp[i - 1]:
                out.append(False)
                continue
            shipped = handoffs.get((gtin, lots[i], msp[i - 1], msp[i]))
            out.append(shipped is None or shipped > times[i])
        return out


def _handoffs(shipments: pd.DataFrame) -> dict[tuple[str, str, str, str], Any]:
    """(gtin, lot, sender, receiver) → when that batch was first shipped along that leg."""
    if shipments.empty:
        return {}
    first: dict[Any, Any] = (
        shipments.groupby(["gtin", "lot", "sender", "receiver"])["shipped_at"].min().to_dict()
    )
    return first


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    lat1, lon1, lat2, lon2 = (np.radians(v) for v in (lat1, lon1, lat2, lon2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


@dataclass
class ImpossibleTravelRule(Rule):
    """The same pack scanned at two organizations farther apart than it could have travelled in
    the time between the scans.

    Unless a shipment of its batch went from the first to the second between the two scans
    (`shipment_slack` before the first allowed: the goods-out scan comes just before the
    shipment is recorded): then it did travel that fast, by air freight."""

    name: ClassVar[str] = "impossible_travel"
    certain: ClassVar[bool] = False
    description: ClassVar[str] = "same pack at two places faster than it could move"
    max_speed_kmh: float = 300.0
    min_distance_km: float = 50.0
    explained_by_shipment: bool = True
    shipment_slack: timedelta = timedelta(hours=1)

    def run(self, frames: Frames, now: datetime) -> list[Finding]:
        coords = frames.orgs.dropna(subset=["latitude", "longitude"])
        scans = frames.scans.dropna(subset=["serial"]).merge(
            coords[["msp_id", "latitude", "longitude"]], on="msp_id"
        )
        if scans.empty:
            return []
        # Consecutive scans of one code at two organizations. Sorting and comparing integer
        # codes instead of the GTIN and serial strings keeps a million scans at a few seconds.
        code = scans.groupby(["gtin", "serial"], sort=False).ngroup().to_numpy()
        place = pd.factorize(scans["msp_id"])[0]
        order = np.lexsort((scans["at"].astype("int64").to_numpy(), code))  # stable
        scans, code, place = scans.iloc[order], code[order], place[order]
        moved = np.flatnonzero((code[1:] == code[:-1]) & (place[1:] != place[:-1])) + 1
        if len(moved) == 0:
            return []
        current, previous = scans.iloc[moved], scans.iloc[moved - 1]
        pairs = current.assign(
            prev_id=previous["id"].to_numpy(),
            prev_msp=previous["msp_id"].to_numpy(),
            prev_at=previous["at"].array,
            km=haversine_km(
                previous["latitude"].to_numpy(),
                previous["longitude"].to_numpy(),
                current["latitude"].to_numpy(),
                current["longitude"].to_numpy(),
            ),
        )
        hours = (pairs["at"] - pairs["prev_at"]).dt.total_seconds() / 3600
        pairs = pairs.assign(kmh=pairs["km"] / hours.clip(lower=1 / 60))
        pairs = pairs[(pairs["km"] >= self.min_distance_km) & (pairs["kmh"] > self.max_speed_kmh)]
        if self.explained_by_shipment:
            pairs = pairs[~self._shipped_between(pairs, frames.shipments)]
        names = _names(frames)
        findings = []
        for row in _rows(pairs):
            ratio = float(row.kmh) / self.max_speed_kmh
            score = round(min(1.0, 0.5 + 0.5 * math.log10(ratio)), 3)
            elapsed = (row.at - row.prev_at).total_seconds() / 3600
            findings.append(
                Finding(
                    rule=self.name,
                    severity="high" if score >= 0.8 else "medium",
                    score=score,
                    certain=False,
                    sentence=(
                        f"Pack {row.serial} (GTIN {row.gtin}) was scanned by "
                        f"{names.get(str(row.prev_msp), row.prev_msp)} and then by "
                        f"{names.get(str(row.msp_id), row.msp_id)}, {float(row.km):.0f} km away, "
                        f"{elapsed:.1f} hours later: no delivery moves that fast "
                        f"({float(row.kmh):.0f} km/h); two packs carry the same code."
                    ),
                    evidence=[f"scan:{int(row.prev_id)}", f"scan:{int(row.id)}"],
                    first_seen=iso(row.prev_at),
                    last_seen=iso(row.at),
                    gtin=str(row.gtin),
                    lot=_opt(row.lot),
                    serial=str(row.serial),
                    msp_id=str(row.msp_id),
                    subject=f"{row.gtin}|{row.serial}|{int(row.prev_id)}|{int(row.id)}",
                )
            )
        return findings

    def _shipped_between(self, pairs: pd.DataFrame, shipments: pd.DataFrame) -> pd.Series:
        """Per pair of scans: a shipment of the batch went from the first place to the second
        between them."""
        if pairs.empty or shipments.empty:
            return pd.Series(False, index=pairs.index)
        legs = shipments[["gtin", "lot", "sender", "receiver", "shipped_at"]]
        joined = pairs[["gtin", "lot", "prev_msp", "msp_id", "prev_at", "at"]].reset_index()
        joined = joined.merge(
            legs,
            left_on=["gtin", "lot", "prev_msp", "msp_id"],
            right_on=["gtin", "lot", "sender", "receiver"],
        )
        inside = (joined["shipped_at"] >= joined["prev_at"] - self.shipment_slack) & (
            joined["shipped_at"] <= joined["at"]
        )
        return pd.Series(pairs.index.isin(joined[inside]["index"]), index=pairs.index)


@dataclass
class InTransitTooLongRule(Rule):
    """A shipment not received `max_days` after it left, or received only after that."""

    name: ClassVar[str] = "in_transit_too_long"
    certain: ClassVar[bool] = False
    description: ClassVar[str] = "shipment in transit far longer than usual or never received"
    max_days: float = 7.0

    def run(self, frames: Frames, now: datetime) -> list[Finding]:
        shipments = frames.shipments.drop_duplicates("shipment_id")
        taken = shipments["received_at"] - shipments["shipped_at"]
        open_for = pd.Timestamp(now) - shipments["shipped_at"]
        days = taken.where(shipments["received_at"].notna(), open_for).dt.total_seconds() / 86400
        late = shipments.assign(days=days)[days > self.max_days]
        names = _names(frames)
        findings = []
        for row in _rows(late):
            days_taken = float(row.days)
            score = round(min(1.0, 0.5 + 0.5 * (days_taken - self.max_days) / self.max_days), 3)
            received = not pd.isna(row.received_at)
            route = (
                f"from {names.get(str(row.sender), row.sender)} "
                f"to {names.get(str(row.receiver), row.receiver)}"
            )
            sentence = (
                f"Shipment {row.shipment_id} {route} took {days_taken:.1f} days to arrive "
                f"(usual: at most {self.max_days:g})."
                if received
                else f"Shipment {row.shipment_id} {route} left {days_taken:.1f} days ago and has "
                f"not been received (usual: at most {self.max_days:g} days): the goods may "
                "have been diverted."
            )
            findings.append(
                Finding(
                    rule=self.name,
                    severity="high" if score >= 0.8 else "medium",
                    score=score,
                    certain=False,
                    sentence=sentence,
                    evidence=[f"shipment:{row.shipment_id}"],
                    first_seen=iso(row.shipped_at),
                    last_seen=iso(row.received_at if received else now),
                    msp_id=str(row.receiver),
                    subject=str(row.shipment_id),
                )
            )
        return findings


@dataclass
class RuleSet:
    rules: list[Rule] = field(
        default_factory=lambda: [
            CloneRule(),
            UnknownCodeRule(),
            CustodyWithoutShipmentRule(),
            RecalledInUseRule(),
            QuantityDriftRule(),
            ScanVelocityRule(),
            ImpossibleTravelRule(),
            InTransitTooLongRule(),
        ]
    )

    def names(self) -> list[str]:
        return [r.name for r in self.rules]

    def only(self, names: Iterable[str]) -> RuleSet:
        wanted = set(names)
        unknown = wanted - set(self.names())
        if unknown:
            raise ValueError(f"unknown rules: {sorted(unknown)}; known: {self.names()}")
        return RuleSet([r for r in self.rules if r.name in wanted])
