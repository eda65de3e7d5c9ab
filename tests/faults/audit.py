"""After a fault trial: is every acknowledged write on the ledger, once; is the read model right?

Read straight from the files (every process of the trial is stopped by then): the ledger's
transactions, world state and key history, and the read model's ledger-derived tables, compared
row by row with a read model rebuilt from the ledger by `pharmatrace index rebuild`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaincode.stub import create_composite_key, split_composite_key
from services.domain.shipments import shipment_id_for
from services.readmodel.tables import DERIVED_TABLES
from tests.faults.fleet import REPO, pharmatrace
from tests.faults.load import Write


@dataclass
class Findings:
    acked: int = 0
    resolved: int = 0
    losses: list[str] = field(default_factory=list)
    doubles: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # anything else that does not add up
    ledger_verify: str = ""
    read_model_diff: list[str] = field(default_factory=list)
    transactions: int = 0  # VALID transactions committed during the trial

    @property
    def unacked(self) -> int:
        """Committed writes whose client never had an answer (0 unless a kill lands between a
        commit and the answer and nobody retried: not a loss, nothing was promised)."""
        return self.transactions - self.acked - self.resolved

    @property
    def ok(self) -> bool:
        return not (self.losses or self.doubles or self.wrong or self.read_model_diff) and (
            self.ledger_verify == "ok"
        )


def _rows(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return list(db.execute(sql, params))


class Ledger:
    """Facts of the ledger file: transactions by id, state, writes per key."""

    def __init__(self, path: Path, set_up_block: int) -> None:
        self.path = path
        self.set_up_block = set_up_block  # the last block written before the trial's load
        rows = _rows(path, "SELECT tx_id, validation, block FROM transactions")
        self.validation = {str(tx_id): str(v) for tx_id, v, _b in rows}
        self._blocks = {str(tx_id): int(str(b)) for tx_id, _v, b in rows}

    def block_of(self, tx_id: str) -> int:
        return self._blocks.get(tx_id, -1)

    def state(self, key: str) -> dict[str, Any] | None:
        rows = _rows(self.path, "SELECT value FROM state WHERE key = ?", key)
        return json.loads(rows[0][0]) if rows else None

    def quantity(self, gtin: str, lot: str, msp_id: str) -> int:
        record = self.state(create_composite_key("holding", [gtin, lot, msp_id]))
        return int(str(record["quantity"])) if record else 0

    def writes_per_key(self, object_type: str) -> Counter[tuple[str, ...]]:
        prefix = create_composite_key(object_type, [])
        rows = _rows(
            self.path,
            "SELECT key, COUNT(*) FROM history WHERE key >= ? AND key < ? GROUP BY key",
            prefix,
            prefix + "\U0010ffff",
        )
        return Counter({tuple(split_composite_key(str(k))[1]): int(str(n)) for k, n in rows})

    def valid_count(self) -> int:
        """VALID transactions committed during the trial."""
        rows = _rows(
            self.path,
            "SELECT COUNT(*) FROM transactions WHERE validation = 'VALID' AND block > ?",
            self.set_up_block,
        )
        return int(str(rows[0][0]))


def check_acknowledged(ledger: Ledger, writes: list[Write], findings: Findings) -> None:
    """Every 2xx answer's transaction is VALID on the ledger; every write reached an end."""
    for write in writes:
        if write.outcome == "acked":
            findings.acked += 1
            if ledger.validation.get(write.tx_id) != "VALID":
                findings.losses.append(f"{write.kind} {write.key}: tx {write.tx_id} not on ledger")
        elif write.outcome == "resolved by state":
            findings.resolved += 1
        else:
            findings.wrong.append(f"{write.kind} {write.key}: {write.outcome} {write.detail}")


def journal_writes(journal: list[dict[str, object]]) -> list[Write]:
    """The ledger writer's acknowledged writes, from its journal."""
    return [
        Write(f"writer {e['op']}", str(e.get("key") or e["shipment_id"]), "acked", str(e["tx_id"]))
        for e in journal
        if e["state"] == "ack"
    ]


def check_holdings(
    ledger: Ledger, findings: Findings, expected: dict[tuple[str, str], int], gtin: str
) -> None:
    """Custody arithmetic: each (lot, holder) balance is what the shipments and packs add to."""
    for (lot, msp_id), quantity in expected.items():
        actual = ledger.quantity(gtin, lot, msp_id)
        if actual != quantity:
            findings.doubles.append(f"holding {lot} at {msp_id}: {actual}, expected {quantity}")


def check_packs(ledger: Ledger, gtin: str, writes: list[Write], findings: Findings) -> int:
    """Each dispensed pack was written once, by its dispense; returns the packs dispensed."""
    per_pack = ledger.writes_per_key("pack")
    attempted = {w.serial for w in writes if w.kind == "dispense"}
    for (pack_gtin, serial), count in per_pack.items():
        if pack_gtin != gtin:
            continue
        if count > 1:
            findings.doubles.append(f"pack {serial} written {count} times")
        if serial not in attempted:
            findings.wrong.append(f"pack {serial} changed without a dispense")
    done = {serial for (pack_gtin, serial) in per_pack if pack_gtin == gtin}
    for write in writes:
        if write.kind == "dispense" and write.outcome != "refused" and write.serial not in done:
            findings.losses.append(f"dispense {write.key}: pack {write.serial} still active")
        record = ledger.state(create_composite_key("pack", [gtin, write.serial]))
        if write.kind == "dispense" and record and record.get("status") != "supplied":
            findings.wrong.append(f"pack {write.serial} is {record.get('status')}")
    return len(done)


def check_shipments(
    ledger: Ledger, sender: str, keys: set[str], gtin: str, lot: str, findings: Findings
) -> tuple[int, int]:
    """Shipments of `sender`'s lot made in the trial (after the set-up): only ids derived from
    the keys used, each written as shipped (+ received); returns (shipped, received)."""
    expected_ids = {shipment_id_for(sender, key) for key in keys}
    shipped = received = 0
    for (shipment_id,), count in ledger.writes_per_key("shipment").items():
        record = ledger.state(create_composite_key("shipment", [shipment_id])) or {}
        if ledger.block_of(str(record.get("ship_tx_id"))) <= ledger.set_up_block:
            continue
        lines = record.get("lines") or []
        if record.get("sender") != sender or not any(
            isinstance(line, dict) and line.get("lot") == lot and line.get("gtin") == gtin
            for line in lines
        ):
            continue
        if shipment_id not in expected_ids:
            findings.doubles.append(f"shipment {shipment_id} from no key the clients used")
        shipped += 1
        if record.get("status") == "received":
            received += 1
        if count > 2:
            findings.doubles.append(f"shipment {shipment_id} written {count} times")
    return shipped, received


def check_verify_and_rebuild(data_dir: Path, findings: Findings) -> None:
    """`pharmatrace ledger verify`, then a fresh rebuild compared row by row."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHARMATRACE_")}
    env |= {"PHARMATRACE_DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO)}
    verify = subprocess.run(
        [*pharmatrace(), "ledger", "verify"], env=env, capture_output=True, text=True, timeout=300
    )
    findings.ledger_verify = "ok" if verify.returncode == 0 else verify.stdout + verify.stderr
    fresh = data_dir / "rebuilt.sqlite"
    rebuild = subprocess.run(
        [*pharmatrace(), "--database-url", f"sqlite:///{fresh}", "index", "rebuild"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if rebuild.returncode != 0:
        findings.read_model_diff.append(f"rebuild failed: {rebuild.stdout}{rebuild.stderr}")
        return
    findings.read_model_diff += compare_derived(data_dir / "readmodel.sqlite", fresh)


def compare_derived(served: Path, rebuilt: Path) -> list[str]:
    """Row-by-row differences of every ledger-derived table (empty when identical)."""
    differences = []
    for model in DERIVED_TABLES:
        table = str(model.__tablename__)
        columns = [str(r[1]) for r in _rows(rebuilt, f"PRAGMA table_info({table})")]
        order = ", ".join(f'"{c}"' for c in columns)
        query = f'SELECT {order} FROM "{table}" ORDER BY {order}'
        mine, theirs = _rows(served, query), _rows(rebuilt, query)
        if mine != theirs:
            only_mine = set(mine) - set(theirs)
            only_theirs = set(theirs) - set(mine)
            differences.append(
                f"{table}: {len(mine)} rows served vs {len(theirs)} rebuilt; "
                f"{len(only_mine)} only served (e.g. {sorted(only_mine, key=str)[:1]}), "
                f"{len(only_theirs)} only rebuilt (e.g. {sorted(only_theirs, key=str)[:1]})"
            )
    return differences
