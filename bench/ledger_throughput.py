"""Embedded ledger: committed custody transactions per second (ship + receive pairs).

Each client thread loops: the manufacturer ships one unit of a batch to the wholesaler, then the
wholesaler receives that shipment; both are custody transactions and each waits for its commit.

- `direct`: the ledger port (`EmbeddedLedger.contract(identity).submit`), nothing else.
- `runtime`: `Runtime.submit`, which also brings the SQL read model up to the committed block
  before returning (the path every API write takes).

Uncontended runs give every thread its own batch, so no two transactions touch the same key
(holding keys are per batch and holder; shipment keys are unique). Contended runs make every
thread ship the same batch from the same holder to the same receiver, so transactions cut into
one block conflict (MVCC_READ_CONFLICT) and are retried with a fresh endorsement, at most
`services.runtime.MVCC_RETRIES` times, on both paths.

Run alone: `python -m bench.ledger_throughput [--quick] [--profile --path runtime --threads 16]`.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    PhaseTimer,
    ThreadProfiler,
    by_package,
    format_costs,
    log,
    percentile,
    scratch_dir,
    top_costs,
)

TITLE = "Embedded ledger: committed custody transactions per second"
TARGETS = {
    "direct *t tx/s": ">= 2000",
    "runtime *t tx/s": ">= 2000",
}  # not on contended runs: their keys cannot be committed more than once per block
THREADS = (1, 4, 16, 32)
CONTENDED_THREADS = (4, 16, 32)
MAKER, WHOLESALER = "MakerMSP", "WholesaleMSP"
BATCH_UNITS = 1_000_000  # far more than any run ships, one unit per pair


@dataclass
class Network:
    """A small network plus one batch per client thread and one shared (contended) batch."""

    data_dir: Path
    rt: Any  # services.runtime.Runtime (imported lazily: importing the app takes ~0.5 s)
    clock: Any
    gtin: str
    lots: list[str]
    contended_lot: str

    def close(self) -> None:
        self.rt.close()


def build(data_dir: Path, batches: int) -> Network:
    from tests.support.network import build_small_network

    net = build_small_network(data_dir)
    expiry = (net.clock.now + timedelta(days=700)).date().isoformat()
    lots = [f"BENCH{i:03d}" for i in range(batches + 1)]
    for lot in lots:
        net.rt.submit(
            MAKER,
            "RegisterBatch",
            {
                "gtin": net.gtin,
                "lot": lot,
                "expiry": expiry,
                "quantity": BATCH_UNITS,
                "merkle_root": hashlib.sha256(lot.encode()).hexdigest(),
            },
        )
    return Network(data_dir, net.rt, net.clock, net.gtin, lots[:-1], lots[-1])


def reopen(network: Network, sync: str = "full") -> Network:
    """The same data under a fresh Runtime (new ledger, committer thread and connections)."""
    from services.config import Settings
    from services.runtime import Runtime

    network.rt.close()
    settings = Settings(data_dir=network.data_dir, ledger_sync=sync)
    network.rt = Runtime(settings, clock=network.clock)
    return network


class Submitter:
    """Submits one transaction through the chosen path; returns the number of MVCC retries."""

    def __init__(self, network: Network, path: str) -> None:
        from services.errors import PharmaTraceError
        from services.ledger import CommitStatusError
        from services.runtime import MVCC_RETRIES

        self.path = path
        self.rt = network.rt
        self._retries = MVCC_RETRIES
        self._commit_error = CommitStatusError
        self._domain_error = PharmaTraceError
        self._contracts = {
            msp: network.rt.ledger.contract(network.rt.identity(msp)) for msp in (MAKER, WHOLESALER)
        }

    def submit(self, msp_id: str, function: str, body: dict[str, Any]) -> int:
        """Raises on a transaction that still fails after the retries."""
        if self.path == "runtime":
            self.rt.submit(msp_id, function, body)
            return 0
        contract = self._contracts[msp_id]
        argument = json.dumps(body, sort_keys=True)
        for attempt in range(self._retries + 1):
            try:
                contract.submit(function, argument)
                return attempt
            except self._commit_error:
                if attempt == self._retries:
                    raise
        raise AssertionError("unreachable")

    @property
    def errors(self) -> tuple[type[Exception], ...]:
        return (self._commit_error, self._domain_error)


@dataclass
class ThreadResult:
    latencies: list[float] = field(default_factory=list)
    retries: int = 0
    failed: int = 0
    last_end: float = 0.0


_run_ids = itertools.count()


def _client(
    submitter: Submitter,
    gtin: str,
    lot: str,
    tag: str,
    start: threading.Barrier,
    deadline: list[float],
) -> ThreadResult:
    result = ThreadResult()
    start.wait()
    for n in itertools.count():
        if time.perf_counter() >= deadline[0]:
            break
        shipment_id = f"SHP-{tag}-{n}"
        ship = {
            "shipment_id": shipment_id,
            "receiver": WHOLESALER,
            "lines": [{"gtin": gtin, "lot": lot, "quantity": 1, "serials": [], "ssccs": []}],
        }
        for msp_id, function, body in (
            (MAKER, "Ship", ship),
            (WHOLESALER, "Receive", {"shipment_id": shipment_id}),
        ):
            t0 = time.perf_counter()
            try:
                result.retries += submitter.submit(msp_id, function, body)
            except submitter.errors:
                result.failed += 1
                break  # a ship that never committed has nothing to receive
            end = time.perf_counter()
            result.latencies.append(end - t0)
            result.last_end = end
    return result


def _block_stats(ledger_path: Path, after_block: int) -> tuple[int, int, int, int]:
    """(blocks, transactions, valid transactions, largest block) committed after `after_block`."""
    conn = sqlite3.connect(f"file:{ledger_path}?mode=ro", uri=True)
    try:
        blocks, txs, largest = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(tx_count), 0), COALESCE(MAX(tx_count), 0) "
            "FROM blocks WHERE number > ?",
            (after_block,),
        ).fetchone()
        valid = conn.execute(
            "SELECT COUNT(*) FROM transactions WHERE block > ? AND validation = 'VALID'",
            (after_block,),
        ).fetchone()[0]
    finally:
        conn.close()
    return blocks, txs, valid, largest


def measure(
    network: Network,
    pool: ThreadPoolExecutor,
    path: str,
    threads: int,
    *,
    contended: bool,
    duration: float,
) -> dict[str, float]:
    """One configuration: `threads` clients for `duration` seconds; its metrics."""
    submitter = Submitter(network, path)
    height_before = network.rt.ledger.height() - 1
    barrier = threading.Barrier(threads + 1)
    deadline = [float("inf")]
    run_id = next(_run_ids)
    futures = [
        pool.submit(
            _client,
            submitter,
            network.gtin,
            network.contended_lot if contended else network.lots[i],
            f"{path[0]}{run_id}-{i}",
            barrier,
            deadline,
        )
        for i in range(threads)
    ]
    barrier.wait()
    started = time.perf_counter()
    deadline[0] = started + duration
    results = [f.result() for f in futures]
    elapsed = max((r.last_end for r in results), default=started) - started
    latencies = sorted(lat for r in results for lat in r.latencies)
    blocks, txs, valid, largest = _block_stats(network.rt.settings.ledger_path, height_before)
    committed = len(latencies)
    return {
        "tx/s": round(committed / elapsed, 1) if elapsed > 0 else 0.0,
        "committed": committed,
        "p50 ms": round(percentile(latencies, 50) * 1000, 2),
        "p95 ms": round(percentile(latencies, 95) * 1000, 2),
        "tx/block": round(txs / blocks, 2) if blocks else 0.0,
        "max tx/block": largest,
        "retries": sum(r.retries for r in results),
        "failed": sum(r.failed for r in results),
        "invalid tx": txs - valid,
    }


PROCESSES = 2


class _WorkerSubmitter:
    """What a worker process submits through: its own EmbeddedLedger on the shared file."""

    def __init__(self, data_dir: Path) -> None:
        from services.config import Settings
        from services.identity import MspDirectory
        from services.ledger import CommitStatusError, LedgerError
        from services.ledger.embedded import EmbeddedLedger
        from services.runtime import MVCC_RETRIES

        settings = Settings(data_dir=data_dir)
        msp = MspDirectory(settings.msp_dir)
        self.ledger = EmbeddedLedger(settings.ledger_path, msp)
        self._contracts = {m: self.ledger.contract(msp.identity(m)) for m in (MAKER, WHOLESALER)}
        self._retries = MVCC_RETRIES
        self._commit_error = CommitStatusError
        self.errors: tuple[type[Exception], ...] = (LedgerError,)

    def submit(self, msp_id: str, function: str, body: dict[str, Any]) -> int:
        argument = json.dumps(body, sort_keys=True)
        for attempt in range(self._retries + 1):
            try:
                self._contracts[msp_id].submit(function, argument)
                return attempt
            except self._commit_error:
                if attempt == self._retries:
                    raise
        raise AssertionError("unreachable")


def worker(data_dir: Path, gtin: str, lots: list[str], run_tag: str, duration: float) -> None:
    """One process of the multi-process variant: says "ready", waits for "go" on stdin, then its
    threads ship/receive for `duration` seconds; prints its committed count and latencies."""
    import sys

    submitter = _WorkerSubmitter(data_dir)
    barrier = threading.Barrier(len(lots) + 1)
    deadline = [float("inf")]
    tag = f"{run_tag}-{threading.get_native_id()}"
    with ThreadPoolExecutor(max_workers=len(lots)) as pool:
        futures = [
            pool.submit(_client, submitter, gtin, lot, f"{tag}-{i}", barrier, deadline)
            for i, lot in enumerate(lots)
        ]
        print("ready", flush=True)
        sys.stdin.readline()  # "go": every process is set up
        deadline[0] = time.perf_counter() + duration
        barrier.wait()
        results = [f.result() for f in futures]
    submitter.ledger.close()
    latencies = sorted(lat for r in results for lat in r.latencies)
    print(
        json.dumps(
            {
                "committed": len(latencies),
                "latencies": latencies,
                "failed": sum(r.failed for r in results),
            }
        )
    )


def measure_processes(
    network: Network, processes: int, threads: int, duration: float
) -> dict[str, float]:
    """`processes` processes × `threads` clients on one ledger file (as with 2 server workers):
    each process has its own interpreter (GIL), committer and SQLite connections."""
    import subprocess
    import sys

    height_before = network.rt.ledger.height() - 1
    run_tag = f"P{next(_run_ids)}"
    procs = []
    for p in range(processes):
        lots = network.lots[p * threads : (p + 1) * threads]
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.ledger_throughput",
                    "--worker",
                    str(network.data_dir),
                    network.gtin,
                    ",".join(lots),
                    run_tag,
                    repr(duration),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=Path(__file__).resolve().parents[1],
            )
        )
    for proc in procs:  # wait until every worker is set up, then start them together
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("a benchmark worker failed to start")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [json.loads(proc.communicate(timeout=duration + 60)[0]) for proc in procs]
    latencies = sorted(lat for out in outputs for lat in out["latencies"])
    blocks, txs, _valid, _largest = _block_stats(network.rt.settings.ledger_path, height_before)
    committed = len(latencies)
    return {
        "tx/s": round(committed / duration, 1),
        "p50 ms": round(percentile(latencies, 50) * 1000, 2),
        "p95 ms": round(percentile(latencies, 95) * 1000, 2),
        "tx/block": round(txs / blocks, 2) if blocks else 0.0,
        "failed": sum(out["failed"] for out in outputs),
    }


def _record(
    metrics: dict[str, Any], prefix: str, values: dict[str, float], keys: tuple[str, ...]
) -> None:
    for key in keys:
        metrics[f"{prefix} {key}"] = values[key]


VARIANTS = (
    # (label, path, ledger sync, thread counts, contended thread counts)
    ("direct", "direct", "full", THREADS, CONTENDED_THREADS),
    ("runtime", "runtime", "full", THREADS, CONTENDED_THREADS),
    ("direct (sync=normal)", "direct", "normal", THREADS, ()),
    ("runtime (sync=normal)", "runtime", "normal", THREADS, ()),
)


def run(quick: bool = False) -> dict[str, Any]:
    duration = 1.5 if quick else 4.0
    metrics: dict[str, Any] = {"seconds per configuration": duration}
    for label, path, sync, threads_list, contended_list in VARIANTS:
        with scratch_dir(f"ledger-{path}-{sync}") as data_dir:
            log(f"ledger_throughput: set-up for {label}")
            network = build(data_dir, max(THREADS))
            if sync != "full":
                reopen(network, sync=sync)
            with ThreadPoolExecutor(max_workers=max(THREADS), thread_name_prefix="client") as pool:
                for threads in threads_list:
                    values = measure(
                        network, pool, path, threads, contended=False, duration=duration
                    )
                    log(f"  {label} {threads:>2} threads: {values}")
                    _record(
                        metrics,
                        f"{label} {threads}t",
                        values,
                        ("tx/s", "p50 ms", "p95 ms", "tx/block", "failed"),
                    )
                for threads in contended_list:
                    values = measure(
                        network, pool, path, threads, contended=True, duration=duration
                    )
                    log(f"  {label} contended {threads:>2} threads: {values}")
                    _record(
                        metrics,
                        f"{label}, contended {threads}t",
                        values,
                        # Runtime.submit retries inside; only the ledger's invalid count shows it.
                        ("tx/s", "p95 ms", "tx/block", "invalid tx", "failed")
                        + (("retries",) if path == "direct" else ()),
                    )
            network.close()
    with scratch_dir("ledger-processes") as data_dir:
        log(f"ledger_throughput: set-up for direct, {PROCESSES} processes")
        network = build(data_dir, max(THREADS))
        for threads in (8, 16):
            values = measure_processes(network, PROCESSES, threads, duration)
            log(f"  direct, {PROCESSES} processes × {threads} threads: {values}")
            _record(
                metrics,
                f"direct, {PROCESSES} processes × {threads}t",
                values,
                ("tx/s", "p50 ms", "p95 ms", "tx/block", "failed"),
            )
        network.close()
    return metrics


def _phase_targets(path: str) -> dict[str, tuple[object, str]]:
    from chaincode import PharmaTraceContract
    from services.identity import MspDirectory
    from services.ledger.embedded import ledger as embedded_ledger
    from services.ledger.embedded.committer import Committer
    from services.readmodel.indexer import Indexer
    from services.runtime import Runtime

    ledger_cls = embedded_ledger.EmbeddedLedger
    targets: dict[str, tuple[object, str]] = {}
    if path == "runtime":
        targets["Runtime.submit (all)"] = (Runtime, "submit")
    targets |= {
        "ledger submit (endorse+wait)": (ledger_cls, "submit"),
        "  endorse": (ledger_cls, "_endorse"),
        "    new proposal + ECDSA sign": (embedded_ledger, "new_proposal"),
        "    MSP check + ECDSA verify": (MspDirectory, "verify"),
        "    contract simulation": (PharmaTraceContract, "invoke"),
        "committer: validate+write block": (Committer, "_write_block"),
    }
    if path == "runtime":
        targets |= {
            "indexer.catch_up (incl. lock wait)": (Indexer, "catch_up"),
            "  read events from ledger": (ledger_cls, "read_events"),
            "  apply block to read model": (Indexer, "_apply_block"),
        }
    return targets


class _TimedConnection:
    """The committer's SQLite connection with wall time per statement kind (profiling only)."""

    def __init__(self, conn: sqlite3.Connection, totals: dict[str, list[float]]) -> None:
        self._conn = conn
        self._totals = totals

    def _timed(self, method: str, sql: str, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return getattr(self._conn, method)(sql, *args)
        finally:
            kind = " ".join(sql.split()[:2]).split("(")[0]
            entry = self._totals.setdefault(kind, [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    def execute(self, sql: str, *args: Any) -> Any:
        return self._timed("execute", sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        return self._timed("executemany", sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _CommitterSql:
    """Patches the committer's `schema.connect` so its connection is a `_TimedConnection`."""

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = {}

    def __enter__(self) -> _CommitterSql:
        from services.ledger.embedded import committer, schema

        def connect(*args: Any, **kwargs: Any) -> Any:
            return _TimedConnection(schema.connect(*args, **kwargs), self.totals)

        self._module = committer
        self._original = committer.schema
        committer.schema = type("TimedSchema", (), {"connect": staticmethod(connect)})  # type: ignore[assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        self._module.schema = self._original

    def report(self, blocks: int) -> list[str]:
        lines = [f"{'committer SQL (wall)':<34}{'calls':>8}{'ms/block':>12}{'ms/call':>10}"]
        for kind, (calls, seconds) in sorted(self.totals.items(), key=lambda kv: -kv[1][1]):
            lines.append(
                f"{kind[:34]:<34}{int(calls):>8}{1000 * seconds / max(blocks, 1):>12.3f}"
                f"{1000 * seconds / max(calls, 1):>10.3f}"
            )
        return lines


def profile(quick: bool = False, path: str = "runtime", threads: int = 16) -> str:
    """Where the time of one uncontended configuration goes, every thread included.

    First a run with cheap per-phase timers (wall and CPU per committed transaction) at `threads`
    clients; then one client thread under cProfile (wall clock, every thread, waits on locks,
    futures and queues left out of the shares). One client keeps GIL waits out of the functions'
    own times; a thread CPU clock as cProfile timer would avoid them too, but on this VM that
    clock is a system call and inflates every short call several times over.
    """
    duration = 3.0 if quick else 6.0
    lines = []
    with scratch_dir("ledger-profile") as data_dir:
        network = build(data_dir, threads)
        with _CommitterSql() as committer_sql:
            reopen(network)  # its committer writes through the timed connection
            with (
                ThreadPoolExecutor(max_workers=threads) as pool,
                PhaseTimer(_phase_targets(path)) as phases,
            ):
                cpu0 = time.process_time()
                values = measure(network, pool, path, threads, contended=False, duration=duration)
                cpu = time.process_time() - cpu0
            blocks = phases.calls.get("committer: validate+write block", 0)
            lines += [
                f"{path}, {threads} threads, {duration:.0f} s with phase timers: {values}",
                f"process CPU {cpu:.2f} s over {duration:.0f} s wall"
                f" = {1000 * cpu / max(values['committed'], 1):.3f} ms CPU per committed tx",
                "",
                *phases.report(cpu, int(values["committed"]), "tx"),
                "",
                *committer_sql.report(blocks),
                "",
            ]
        profiler = ThreadProfiler(cpu=False)
        profiler.start()
        try:
            reopen(network)  # the committer thread starts under the profiler
            with ThreadPoolExecutor(max_workers=1) as pool:
                values = measure(network, pool, path, 1, contended=False, duration=duration)
        finally:
            stats = profiler.stop()
            network.close()
    lines += [
        f"cProfile (wall clock), {path}, 1 client thread: {values}",
        "own time by package (waits left out):",
        *by_package(stats),
        "",
        "top functions by own time:",
        *format_costs(top_costs(stats, 25)),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile one configuration")
    parser.add_argument("--path", choices=("direct", "runtime"), default="runtime")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument(
        "--worker",
        nargs=5,
        metavar=("DIR", "GTIN", "LOTS", "TAG", "SECONDS"),
        help="internal: one process of the multi-process variant",
    )
    args = parser.parse_args(argv)
    if args.worker:
        folder, gtin, lots, run_tag, seconds = args.worker
        worker(Path(folder), gtin, lots.split(","), run_tag, float(seconds))
    elif args.profile:
        print(profile(args.quick, args.path, args.threads))
    else:
        print(json.dumps(run(args.quick), indent=2))


if __name__ == "__main__":
    main()
