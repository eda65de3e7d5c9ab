"""Fault injection: kill -9 the service, the indexer and a ledger writer during sustained load.

    python -m tests.faults.harness [--trials N] [--seconds S] [--seed SEED] [--clients C]

One trial: a fresh data directory with a small supply chain and one batch of `SERIALS` packs
(3,000 in pharmacy A's custody, 1,000 at the wholesaler); then, as separate OS processes,
`pharmatrace serve`, `pharmatrace index follow` and the custody-loop ledger writer
(tests/faults/ledger_writer.py). Client threads load the service (80% verify, 15% dispense, 5%
ship + receive, `tests.faults.load`) while a killer, seeded, SIGKILLs one of the three at random
moments and starts it again at once. When the time is up, the clients finish their retries, the
writer and then the indexer are stopped once the read model has caught up, and the audit
(`tests.faults.audit`) checks: every acknowledged write on the ledger (losses), nothing written
twice (doubles, holdings arithmetic), `pharmatrace ledger verify`, and the read model equal to a
rebuild from the ledger, table by table, row by row.

The seed fixes the kill schedule and each client's sequence of operations; the interleaving of
threads and processes is the machine's, so two runs with one seed are alike, not identical.
Peers, the orderer and the chaincode service of a Fabric network are not targets: Fabric cannot
run on this machine (docs/DECISIONS.md D17).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.faults import audit
from tests.faults.fleet import INDEXER, SERVICE, TARGETS, WRITER, Fleet
from tests.faults.ledger_writer import read_journal
from tests.faults.load import Client, Tally, Workload

SEED = 20261124
SERIALS = 4_000
AT_PHARMACY = 3_000
WRITER_SERIALS = 2_000
LOT, WRITER_LOT = "FAULTS", "WRITER"
KILL_GAP = (1.0, 4.0)  # seconds between kills (uniform)
DOWN_TIME = (0.0, 0.5)  # seconds a killed process stays down


@dataclass
class Prepared:
    workload: Workload
    gtin: str
    set_up_block: int  # the last block of the set-up: the trial's transactions come after it


@dataclass
class TrialReport:
    trial: int
    seconds: float
    faults: Counter[str] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)  # by kind
    verifies: int = 0
    unavailable: int = 0
    replayed: int = 0
    findings: audit.Findings = field(default_factory=audit.Findings)
    unexpected_exits: list[str] = field(default_factory=list)
    writer_acks: int = 0


def prepare(data_dir: Path, trial: int, seed: int) -> Prepared:
    """The supply chain the trial starts from (built in this process, then closed)."""
    from services.auth import create_token
    from services.domain import batches, shipments
    from services.serials.generate import generate_serials
    from tests.support.network import build_small_network

    net = build_small_network(data_dir)
    rt = net.rt
    # The network is built on a test clock in early 2026; the served processes use the real
    # clock, so the rest (and the API tokens' expiry) follows the real one.
    net.clock.now = max(net.clock.now, datetime.now(UTC))
    try:
        serials = generate_serials(SERIALS)
        for lot, lot_serials in ((LOT, serials), (WRITER_LOT, generate_serials(WRITER_SERIALS))):
            batches.register_batch(
                rt, actor=net.maker, gtin=net.gtin, lot=lot, expiry=net.expiry, serials=lot_serials
            )
        for sender, receiver, quantity in (
            (net.maker, net.wholesaler, SERIALS),
            (net.wholesaler, net.pharmacy_a, AT_PHARMACY),
        ):
            line = shipments.ShipmentLineRequest(gtin=net.gtin, lot=LOT, quantity=quantity)
            shipped = shipments.ship(rt, actor=sender, receiver=receiver.msp_id, lines=[line])
            shipments.receive(rt, actor=receiver, shipment_id=shipped.record["shipment_id"])
        rng = random.Random(f"{seed}/{trial}/serials")
        to_dispense = rng.sample(serials, AT_PHARMACY)
        workload = Workload(
            base="",
            pharmacy_token=create_token(rt, user="faults", msp_id=net.pharmacy_a.msp_id),
            wholesaler_token=create_token(rt, user="faults", msp_id=net.wholesaler.msp_id),
            gtin=net.gtin,
            lot=LOT,
            verify_codes=[net.code(s, lot=LOT) for s in rng.sample(serials, 500)],
            dispense_pool=[(s, net.code(s, lot=LOT)) for s in to_dispense],
            trial=trial,
        )
        return Prepared(workload, net.gtin, rt.ledger.height() - 1)
    finally:
        rt.close()


def kill_loop(fleet: Fleet, rng: random.Random, stop: threading.Event, report: TrialReport) -> None:
    """SIGKILL a random target at random moments; start it again after a short down time."""
    while not stop.wait(rng.uniform(*KILL_GAP)):
        target = rng.choice(TARGETS)
        fleet.kill(target)
        report.faults[target] += 1
        time.sleep(rng.uniform(*DOWN_TIME))
        fleet.start(target)


def wait_indexed(fleet: Fleet, data_dir: Path, timeout: float = 120) -> None:
    """Until the read model's checkpoint has reached the ledger's last transaction."""
    ledger = data_dir / "ledger.sqlite"
    read_model = data_dir / "readmodel.sqlite"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fleet.check_alive(INDEXER)
        last = audit._rows(
            ledger, "SELECT MAX(block) FROM transactions WHERE event_name IS NOT NULL"
        )[0][0]
        done = audit._rows(read_model, "SELECT block FROM indexcheckpoint WHERE id = 1")
        if done and done[0][0] == last:
            return
        time.sleep(0.2)
    raise RuntimeError("the indexer did not catch up with the ledger")


def run_trial(trial: int, seconds: float, seed: int, clients: int, root: Path) -> TrialReport:
    data_dir = root / f"trial-{trial}"
    data_dir.mkdir()
    started = time.monotonic()
    prepared = prepare(data_dir, trial, seed)
    _log(f"trial {trial}: set-up {time.monotonic() - started:.1f} s; load for {seconds:.0f} s")
    writer_args = [str(data_dir), str(data_dir / "writer.journal"), prepared.gtin, WRITER_LOT]
    fleet = Fleet(data_dir, writer_args)
    report = TrialReport(trial, seconds)
    tally = Tally()
    try:
        for name in (SERVICE, INDEXER, WRITER):
            fleet.start(name)
        work = prepared.workload
        work.base = fleet.base
        stop_clients, stop_kills = threading.Event(), threading.Event()
        threads = [Client(i, seed, work, tally, stop_clients) for i in range(clients)]
        for thread in threads:
            thread.start()
        killer_rng = random.Random(f"{seed}/{trial}/kills")
        killer = threading.Thread(
            target=kill_loop, args=(fleet, killer_rng, stop_kills, report), daemon=True
        )
        killer.start()
        time.sleep(seconds)
        stop_kills.set()
        killer.join()
        stop_clients.set()
        for thread in threads:
            thread.join()
        fleet.wait_ready(WRITER, "READY")  # then a pending write is finished before it stops
        fleet.stop(WRITER)
        wait_indexed(fleet, data_dir)
        fleet.stop(INDEXER)
        fleet.stop(SERVICE)
    finally:
        fleet.stop_all()
        report.unexpected_exits = fleet.unexpected_exits
    started = time.monotonic()
    _audit(report, tally, prepared, data_dir)
    _log(f"trial {trial}: audit {time.monotonic() - started:.1f} s")
    return report


def _log(message: str) -> None:
    print(f"[faults] {message}", file=sys.stderr, flush=True)


def _audit(report: TrialReport, tally: Tally, prepared: Prepared, data_dir: Path) -> None:
    findings = report.findings
    ledger = audit.Ledger(data_dir / "ledger.sqlite", prepared.set_up_block)
    journal = read_journal(data_dir / "writer.journal")
    writer_writes = audit.journal_writes(journal)
    report.writer_acks = len(writer_writes)
    audit.check_acknowledged(ledger, [*tally.writes, *writer_writes], findings)
    gtin = prepared.gtin
    dispensed = audit.check_packs(ledger, gtin, tally.writes, findings)
    ship_keys = {w.key for w in tally.writes if w.kind == "ship"}
    shipped, received = audit.check_shipments(
        ledger, "WholesaleMSP", ship_keys, gtin, LOT, findings
    )
    audit.check_holdings(
        ledger,
        findings,
        {
            (LOT, "WholesaleMSP"): SERIALS - AT_PHARMACY - shipped,
            (LOT, "PharmacyAMSP"): AT_PHARMACY + received - dispensed,
        },
        gtin,
    )
    writer_keys = {str(e["key"]) for e in journal if e["op"] == "ship"}
    w_shipped, w_received = audit.check_shipments(
        ledger, "MakerMSP", writer_keys, gtin, WRITER_LOT, findings
    )
    audit.check_holdings(
        ledger,
        findings,
        {
            (WRITER_LOT, "MakerMSP"): WRITER_SERIALS - w_shipped,
            (WRITER_LOT, "PharmacyBMSP"): w_received,
        },
        gtin,
    )
    audit.check_verify_and_rebuild(data_dir, findings)
    findings.transactions = ledger.valid_count()
    report.writes = Counter(w.kind for w in tally.writes)
    report.writes["writer"] = len(writer_writes)
    report.verifies = sum(tally.verifies.values())
    report.unavailable = tally.unavailable + tally.verifies["unavailable"]
    report.replayed = sum(w.replayed for w in tally.writes)


def run(
    trials: int, seconds: float, seed: int = SEED, clients: int = 4, keep: Path | None = None
) -> list[TrialReport]:
    root = keep or Path(tempfile.mkdtemp(prefix="pharmatrace-faults-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        return [run_trial(t, seconds, seed, clients, root) for t in range(trials)]
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def table(reports: list[TrialReport]) -> str:
    """The per-trial table and the totals, as text (printed by the test and the CLI)."""
    head = (
        f"{'trial':>5} {'s':>4} {'kills svc/idx/wrt':>17} {'writes d/s/r/wrt':>16} "
        f"{'ledger tx':>9} {'acked':>6} {'by state':>8} {'unacked':>7} "
        f"{'replayed':>8} {'verifies':>8} {'unavail':>7} {'losses':>6} "
        f"{'doubles':>7} {'other':>5} {'verify':>6} {'rm=rebuild':>10}"
    )
    lines = [head]
    for r in reports:
        f = r.findings
        kills = "/".join(str(r.faults[t]) for t in TARGETS)
        writes = "/".join(str(r.writes[k]) for k in ("dispense", "ship", "receive", "writer"))
        lines.append(
            f"{r.trial:>5} {r.seconds:>4.0f} {kills:>17} {writes:>16} "
            f"{f.transactions:>9} {f.acked:>6} {f.resolved:>8} {f.unacked:>7} "
            f"{r.replayed:>8} {r.verifies:>8} {r.unavailable:>7} "
            f"{len(f.losses):>6} {len(f.doubles):>7} {len(f.wrong) + len(r.unexpected_exits):>5} "
            f"{f.ledger_verify == 'ok'!s:>6} {not f.read_model_diff!s:>10}"
        )
    total = Counter[str]()
    for r in reports:
        total.update(r.faults)
    lines.append(
        f"total: {len(reports)} trials, {sum(total.values())} faults "
        f"({', '.join(f'{t} {total[t]}' for t in TARGETS)}), "
        f"{sum(r.findings.transactions for r in reports)} ledger transactions, "
        f"{sum(r.findings.acked for r in reports)} acknowledged writes, "
        f"{sum(len(r.findings.losses) for r in reports)} losses, "
        f"{sum(len(r.findings.doubles) for r in reports)} doubles"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="keep the trials' data and logs here")
    args = parser.parse_args(argv)
    reports = run(args.trials, args.seconds, args.seed, args.clients, args.keep)
    print(table(reports))
    for report in reports:
        for problem in problems(report):
            print(f"trial {report.trial}: {problem}")
    return 0 if all(not problems(r) for r in reports) else 1


def problems(report: TrialReport) -> list[str]:
    f = report.findings
    return [
        *f.losses,
        *f.doubles,
        *f.wrong,
        *report.unexpected_exits,
        *([] if f.ledger_verify == "ok" else [f"ledger verify: {f.ledger_verify}"]),
        *f.read_model_diff,
    ]


if __name__ == "__main__":
    raise SystemExit(main())
