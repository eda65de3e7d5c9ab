"""Acceptance: a process killed with SIGKILL mid-commit loses nothing it reported and no block is
ever half written.

A real subprocess (tests/integration/ledger/crash_worker.py) submits from several threads and
prints every committed transaction id; it is killed at random moments (fixed seed). After each
kill the ledger is reopened and audited.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chaincode.stub import split_composite_key
from services.identity import MspDirectory, create_organization
from services.ledger.embedded import EmbeddedLedger, verify_chain
from tests.integration.ledger.helpers import ledger_rows, ship_body, submit
from tests.support.network import with_check_digit

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
SEED = 20261124
TRIALS = 5
WORKER_THREADS = 4
BATCH_QUANTITY = 1_000_000
GTIN = with_check_digit("0950600013435")
REPORTED = re.compile(r"COMMITTED ([0-9a-f]{64}) (?:Ship|Receive) SHP-\S+")


@dataclass
class Tally:
    kills: int = 0
    reported: int = 0
    committed_by_worker: int = 0
    unreported: int = 0
    kill_delays: list[float] = field(default_factory=list)


def _set_up_channel(data_dir: Path) -> None:
    """Regulator, maker and wholesaler; one product; one batch per worker thread."""
    msp = MspDirectory(data_dir / "msp")
    for msp_id in ("RegulatorMSP", "MakerMSP", "WholesaleMSP"):
        create_organization(data_dir / "msp", msp_id)
    ledger = EmbeddedLedger(data_dir / "ledger.sqlite", msp)
    try:
        regulator, maker = msp.identity("RegulatorMSP"), msp.identity("MakerMSP")
        for msp_id, role, gln in [
            ("RegulatorMSP", "regulator", "400123400000"),
            ("MakerMSP", "manufacturer", "400123400001"),
            ("WholesaleMSP", "distributor", "400123400003"),
        ]:
            body = {"msp_id": msp_id, "name": msp_id, "role": role, "gln": with_check_digit(gln)}
            submit(ledger, regulator, "RegisterOrganization", body)
        submit(ledger, maker, "RegisterProduct", {"gtin": GTIN, "name": "Crash-test tablets"})
        for index in range(WORKER_THREADS):
            batch = {
                "gtin": GTIN,
                "lot": f"CRASH{index}",
                "expiry": "2035-12-31",
                "quantity": BATCH_QUANTITY,
                "merkle_root": "cd" * 32,
            }
            submit(ledger, maker, "RegisterBatch", batch)
    finally:
        ledger.close()


def _run_and_kill(data_dir: Path, run_id: str, delay: float, log: Path) -> list[str]:
    """Start the worker, SIGKILL it `delay` seconds after it is ready; its output lines."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.ledger.crash_worker",
                str(data_dir),
                run_id,
                str(WORKER_THREADS),
                GTIN,
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while "READY" not in log.read_text():
                assert worker.poll() is None, f"the worker died early:\n{log.read_text()}"
                assert time.monotonic() < deadline, "the worker never became ready"
                time.sleep(0.02)
            time.sleep(delay)
            worker.send_signal(signal.SIGKILL)
        finally:
            if worker.poll() is None:
                worker.kill()
            returncode = worker.wait(30)
    lines = log.read_text().splitlines()
    assert returncode == -signal.SIGKILL, f"the worker was not killed ({returncode}): {lines[-5:]}"
    assert not [line for line in lines if line.startswith(("ERROR", "CONFLICT", "NOT KILLED"))]
    return lines


def _reported_tx_ids(lines: list[str]) -> list[str]:
    reported = [REPORTED.fullmatch(line) for line in lines]
    return [match.group(1) for match in reported if match]


def _envelopes(path: Path) -> list[tuple[int, int, str, str, dict[str, Any]]]:
    rows = ledger_rows(
        path,
        "SELECT block, tx_index, tx_id, validation, envelope FROM transactions "
        "ORDER BY block, tx_index",
    )
    return [(b, i, tx_id, v, json.loads(envelope)) for b, i, tx_id, v, envelope in rows]


def _assert_no_partial_block(path: Path) -> None:
    mismatched = ledger_rows(
        path,
        "SELECT b.number, b.tx_count, COUNT(t.tx_id) FROM blocks b "
        "LEFT JOIN transactions t ON t.block = b.number WHERE b.number > 0 "
        "GROUP BY b.number HAVING COUNT(t.tx_id) != b.tx_count",
    )
    assert mismatched == []
    orphans = ledger_rows(
        path,
        "SELECT COUNT(*) FROM transactions WHERE block NOT IN (SELECT number FROM blocks)",
    )
    assert orphans == [(0,)]
    orphan_history = ledger_rows(
        path,
        "SELECT COUNT(*) FROM history h WHERE NOT EXISTS (SELECT 1 FROM transactions t "
        "WHERE t.block = h.block AND t.tx_index = h.tx_index AND t.validation = 'VALID')",
    )
    assert orphan_history == [(0,)]


def _assert_each_transaction_all_or_nothing(path: Path) -> None:
    """A valid transaction's whole write set is in the history at its position; others none."""
    history: dict[tuple[int, int], set[tuple[str, bytes | None]]] = {}
    for key, block, index, value in ledger_rows(
        path, "SELECT key, block, tx_index, value FROM history"
    ):
        history.setdefault((block, index), set()).add((key, bytes(value) if value else None))
    for block, index, _tx_id, validation, envelope in _envelopes(path):
        writes = {
            (key, bytes.fromhex(value) if value is not None else None)
            for key, value in envelope["rwset"]["writes"]
        }
        expected = writes if validation == "VALID" else set()
        assert history.get((block, index), set()) == expected, (block, index, validation)


def _assert_holdings_add_up(path: Path) -> None:
    """Replay the committed business transactions and compare with the world state."""
    expected: Counter[tuple[str, str]] = Counter()
    in_transit: dict[str, list[dict[str, Any]]] = {}
    shipments: dict[str, str] = {}
    for _b, _i, _tx_id, validation, envelope in _envelopes(path):
        if validation != "VALID":
            continue
        proposal = envelope["proposal"]
        body = json.loads(proposal["args"][0]) if proposal["args"] else {}
        caller = proposal["msp_id"]
        if proposal["function"] == "RegisterBatch":
            expected[(body["lot"], caller)] += body["quantity"]
        elif proposal["function"] == "Ship":
            for line in body["lines"]:
                expected[(line["lot"], caller)] -= line["quantity"]
            in_transit[body["shipment_id"]] = body["lines"]
            shipments[body["shipment_id"]] = "in_transit"
        elif proposal["function"] == "Receive":
            for line in in_transit.pop(body["shipment_id"]):
                expected[(line["lot"], caller)] += line["quantity"]
            shipments[body["shipment_id"]] = "received"
    actual: dict[tuple[str, str], int] = {}
    stored_shipments: dict[str, str] = {}
    for key, value in ledger_rows(path, "SELECT key, value FROM state"):
        kind, attributes = split_composite_key(key)
        if kind == "holding":
            actual[(attributes[1], attributes[2])] = json.loads(value)["quantity"]
        elif kind == "shipment":
            stored_shipments[attributes[0]] = json.loads(value)["status"]
    assert actual == {k: v for k, v in expected.items() if v != 0}
    assert stored_shipments == shipments
    for index in range(WORKER_THREADS):  # conservation per batch: nothing created or lost
        lot = f"CRASH{index}"
        moving = sum(
            line["quantity"] for ls in in_transit.values() for line in ls if line["lot"] == lot
        )
        held = sum(q for (held_lot, _), q in actual.items() if held_lot == lot)
        assert held + moving == BATCH_QUANTITY


def _audit_after_crash(path: Path, reported: list[str], run_id: str, tally: Tally) -> None:
    msp = MspDirectory(path.parent / "msp")
    ledger = EmbeddedLedger(path, msp)  # reopening recovers the WAL
    try:
        for tx_id in reported:
            status = ledger.transaction_status(tx_id)
            assert status is not None, f"{tx_id} was reported committed but is missing"
            assert status[2] == "VALID"
    finally:
        ledger.close()
    report = verify_chain(path)
    assert report.ok, report
    _assert_no_partial_block(path)
    _assert_each_transaction_all_or_nothing(path)
    _assert_holdings_add_up(path)
    by_worker = [
        tx_id
        for _b, _i, tx_id, validation, envelope in _envelopes(path)
        if validation == "VALID" and f"SHP-{run_id}-" in "".join(envelope["proposal"]["args"])
    ]
    tally.committed_by_worker += len(by_worker)
    tally.unreported += len(set(by_worker) - set(reported))


def test_given_a_ledger_process_killed_at_random_moments_when_reopened_then_nothing_reported_is_lost_and_no_block_is_partial(  # noqa: E501
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    _set_up_channel(data_dir)
    path = data_dir / "ledger.sqlite"
    rng = random.Random(SEED)
    tally = Tally()

    for trial in range(TRIALS):
        delay = rng.uniform(0.3, 1.5)
        run_id = f"R{trial}"
        lines = _run_and_kill(data_dir, run_id, delay, tmp_path / f"worker-{trial}.log")
        tally.kills += 1
        tally.kill_delays.append(round(delay, 2))
        reported = _reported_tx_ids(lines)
        assert reported, f"trial {trial}: nothing committed before the kill"
        tally.reported += len(reported)
        _audit_after_crash(path, reported, run_id, tally)

    ledger = EmbeddedLedger(path, MspDirectory(data_dir / "msp"))
    try:
        height = ledger.height()
        after = submit(
            ledger,
            MspDirectory(data_dir / "msp").identity("MakerMSP"),
            "Ship",
            ship_body("SHP-AFTER-CRASH", "WholesaleMSP", GTIN, "CRASH0", 1),
        )
        assert after.block == height
        assert ledger.transaction_status(after.tx_id) == (height, 0, "VALID")
    finally:
        ledger.close()
    assert verify_chain(path).ok
    _assert_holdings_add_up(path)
    blocks = ledger_rows(path, "SELECT COUNT(*), SUM(tx_count) FROM blocks")[0]
    print(
        f"\ncrash safety: {TRIALS} trials, {tally.kills} SIGKILLs after {tally.kill_delays} s; "
        f"{tally.reported} transactions reported committed, {tally.committed_by_worker} found "
        f"committed ({tally.unreported} committed but killed before reporting), none lost; "
        f"ledger {blocks[0]} blocks / {blocks[1]} transactions, chain verified"
    )
