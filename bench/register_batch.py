"""Register one batch of generated serials end to end through `register_batch`.

`services.domain.batches.register_batch(quantity=N)`: serial generation (and staging them in a
file, so a retry reuses them), sort + duplicate check + leaf hashes, the Merkle tree's levels, the
look-up of serials already used for the GTIN, the ledger commit (RegisterBatch, with the read
model brought up to date), then the tree file and the serial rows. Each phase is timed by
wrapping the function that does it; the whole call is timed too. It runs in a fresh subprocess so
that `ru_maxrss` (peak resident set size) is this registration's peak plus the interpreter and
app baseline, which is reported separately.

Run alone: `python -m bench.register_batch [--quick] [--profile | --alternatives]`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

from bench.common import (
    ROOT,
    PhaseTimer,
    by_package,
    format_costs,
    log,
    scratch_dir,
    top_costs,
)

TITLE = "Register a batch of generated serials (end to end)"
FULL, QUICK = 1_000_000, 100_000
TARGETS = {
    "total s (1,000,000 serials)": "<= 10",
    "peak RSS MiB (1,000,000 serials)": "<= 1024",
}
CHILD_TIMEOUT = 300


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _phase_targets() -> dict[str, tuple[object, str]]:
    from services.domain import batches
    from services.runtime import Runtime
    from services.serials import store

    return {
        "generate serials": (batches, "generate_serials"),
        "stage generated serials (file, fsync)": (store.SerialStore, "stage"),
        "prepare (sort, dup check, leaves, tree)": (store.SerialStore, "prepare"),
        "  tree levels": (store, "_levels"),
        "serials already used? (SQL IN)": (store.SerialStore, "already_used"),
        "ledger commit + read model": (Runtime, "submit"),
        "write tree file (fsync)": (store.SerialStore, "_write_tree"),
        "write serial rows (SQL)": (store.SerialStore, "_write_rows"),
        "has_batch checks": (store.SerialStore, "has_batch"),
        "clear staged serials": (store.SerialStore, "clear_staged"),
    }


def child(count: int, profile: bool) -> dict[str, Any]:
    """In the fresh process: set up a small network, register one batch of `count` serials."""
    from services.domain.batches import register_batch
    from tests.support.network import build_small_network

    rss_imports = _maxrss_mib()
    with scratch_dir("register") as data_dir:
        net = build_small_network(data_dir)
        rss_setup = _maxrss_mib()
        profiler = cProfile.Profile() if profile else None
        with PhaseTimer(_phase_targets()) as phases:
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            registered = register_batch(
                net.rt, actor=net.maker, gtin=net.gtin, lot="BENCH1", expiry=net.expiry,
                quantity=count,
            )  # fmt: skip
            total = time.perf_counter() - started
            if profiler:
                profiler.disable()
        peak = _maxrss_mib()
        tree_bytes = net.rt.serials.tree_path(net.gtin, "BENCH1").stat().st_size
        db_bytes = sum(p.stat().st_size for p in data_dir.glob("readmodel.sqlite*") if p.is_file())
        net.rt.close()
    assert registered.quantity == count
    result: dict[str, Any] = {
        "count": count,
        "total": total,
        "phases": {label: phases.wall[label] for label in phases.wall},
        "calls": phases.calls,
        "rss_imports": rss_imports,
        "rss_setup": rss_setup,
        "peak": peak,
        "tree_mib": tree_bytes / 2**20,
        "readmodel_mib": db_bytes / 2**20,
    }
    if profiler:
        import pstats

        stats = pstats.Stats(profiler)
        result["profile"] = [
            "own time by package:",
            *by_package(stats),
            "",
            "top functions by own time:",
            *format_costs(top_costs(stats, 20)),
        ]
    return result


def _spawn(count: int, profile: bool = False) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.register_batch", "--child", "--count", str(count)]
    if profile:
        command.append("--profile")
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"register_batch child failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool = False) -> dict[str, Any]:
    count = QUICK if quick else FULL
    log(f"register_batch: {count:,} serials in a fresh subprocess")
    r = _spawn(count)
    label = f"({count:,} serials)"
    metrics: dict[str, Any] = {
        f"total s {label}": round(r["total"], 2),
        "serials per second": round(count / r["total"]),
    }
    for phase, seconds in r["phases"].items():
        metrics[f"phase: {phase} s"] = round(seconds, 3)
    metrics |= {
        f"peak RSS MiB {label}": round(r["peak"], 1),
        "RSS after imports MiB": round(r["rss_imports"], 1),
        "RSS after set-up MiB": round(r["rss_setup"], 1),
        "tree file MiB": round(r["tree_mib"], 1),
        "read model on disk MiB": round(r["readmodel_mib"], 1),
    }
    return metrics


def profile(quick: bool = False) -> str:
    count = QUICK if quick else FULL
    r = _spawn(count, profile=True)
    lines = [
        f"register_batch of {count:,} serials under cProfile: {r['total']:.2f} s "
        f"(cProfile slows Python-heavy phases)",
        "phases (wall s): " + ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items()),
        "",
        *r["profile"],
    ]
    return "\n".join(lines)


def alternatives(count: int = FULL) -> str:
    """Evidence for the suggested fixes: the two slow SQL phases done with plain sqlite3.

    Same read-model schema and data shape as `register_batch`, in a scratch database: the serial
    rows inserted with one DB-API `executemany` of tuples (instead of SQLAlchemy Core `insert()`
    with a million dicts), and the already-used look-up as 500-parameter `IN` queries through the
    DB-API (instead of 5,000-parameter expanding `IN` compiled by SQLAlchemy each time).
    """
    from services.readmodel.db import create_schema, make_engine, writer
    from services.serials.generate import generate_serials

    gtin, lot = "09506000134352", "ALT1"
    lines = []
    with scratch_dir("register-alt") as data_dir:
        engine = make_engine(f"sqlite:///{data_dir / 'readmodel.sqlite'}")
        create_schema(engine)
        serials = generate_serials(count)
        with writer(engine).begin() as conn:
            raw = conn.connection.driver_connection
            started = time.perf_counter()
            raw.executemany(
                "INSERT INTO serialnumber (gtin, serial, lot, leaf_index) VALUES (?, ?, ?, ?)",
                ((gtin, serial, lot, i) for i, serial in enumerate(serials)),
            )
            lines.append(
                f"serial rows via DB-API executemany: {time.perf_counter() - started:.2f} s"
            )
        fresh = generate_serials(count)
        chunk = 500
        query = (
            "SELECT serial FROM serialnumber WHERE gtin = ? AND serial IN "
            f"({','.join('?' * chunk)})"
        )
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            started = time.perf_counter()
            found = 0
            for start in range(0, len(fresh) - chunk + 1, chunk):
                found += len(raw.execute(query, (gtin, *fresh[start : start + chunk])).fetchall())
            lines.append(
                f"already-used look-up via DB-API, IN of {chunk}: "
                f"{time.perf_counter() - started:.2f} s ({found} found)"
            )
        engine.dispose()
    return "\n".join([f"{count:,} serials, plain sqlite3 through the same engine:", *lines])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--alternatives", action="store_true", help="time plain-sqlite3 versions of the SQL phases"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=FULL, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.count, args.profile)))
    elif args.alternatives:
        print(alternatives(QUICK if args.quick else FULL))
    elif args.profile:
        print(profile(args.quick))
    else:
        print(json.dumps(run(args.quick), indent=2))


if __name__ == "__main__":
    main()
