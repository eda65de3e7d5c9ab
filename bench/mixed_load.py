"""Sustained mixed load on `pharmatrace serve`: throughput, latency per operation, errors, memory.

Set-up (in this process, then closed): the small test network plus one batch of generated
serials (40,000; quick: 8,000) shipped manufacturer → wholesaler → pharmacy A (three quarters of
it) and received, and API tokens of pharmacy A and of the wholesaler. Then `pharmatrace serve`
runs as a real process on the embedded ledger (127.0.0.1; `--workers` as given, default 1), with
the per-token rate limit set off, and `CLIENTS` clients in closed loop (each sends its next
request when it has an answer) run for `seconds` (default 600; quick: 30):

- 80% verify (pharmacy A scans a pack in its custody; every verify also records a scan),
- 15% dispense (pharmacy A decommissions a pack, with an Idempotency-Key); one in fifteen of
  these re-dispenses an already dispensed pack with a new key: the load *asks* for that 409
  ALREADY_DISPENSED, and it is counted apart from unexpected errors,
- 5% shipment: the wholesaler ships one unit to pharmacy A (Idempotency-Key), pharmacy A
  receives it (two requests, timed apart as `ship` and `receive`).

Reported: requests per second, p50/p95/p99 round-trip latency per operation, errors by
operation and status/code (expected apart from unexpected), the server's resident memory
(sampled every `RSS_EVERY` s from /proc, the server and its worker processes) at the start, at
the end, its peak, and its growth over the run's second half; and a PNG of latency and memory
over time (bench/results/mixed_load.png). "On each ledger": only the embedded ledger here;
Fabric cannot run on this machine (docs/DECISIONS.md D17).

The full 10 minutes: `.venv/bin/python -m bench.run mixed_load --write` (about 11 min).
Any length: `.venv/bin/python -m bench.mixed_load --seconds 120 [--clients 8] [--workers 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import ROOT, log, percentile, scratch_dir

TITLE = "Sustained mixed load (80% verify, 15% dispense, 5% ship+receive) on the embedded ledger"
TARGETS = {
    "errors, unexpected": "== 0",
    "RSS growth over the second half %": "<= 10",
    "verify p95 ms": "<= 300",
}
MIX = (("verify", 80), ("dispense", 14), ("dispense again", 1), ("shipment", 5))
EXPECTED_ERRORS = {("dispense again", 409, "ALREADY_DISPENSED")}
CLIENTS = 8
WINDOW = 5.0  # seconds per point of the latency-over-time chart (at least; 60 points at most)
RSS_EVERY = 2.0  # seconds between memory samples
LOT = "MIXED"
RESULTS = ROOT / "bench" / "results"
# The rate limiter would turn a benchmark's load into 429s: both limits set off explicitly
# (with only the per-token one off, every request would pay the per-address bucket).
RATE_LIMIT_OFF = {"PHARMATRACE_RATE_LIMIT": "0", "PHARMATRACE_RATE_LIMIT_ANONYMOUS": "0"}


@dataclass
class Workload:
    serials: int
    seconds: float

    @classmethod
    def of(cls, quick: bool, seconds: float | None = None) -> Workload:
        return cls(8_000 if quick else 40_000, seconds or (30.0 if quick else 600.0))


@dataclass
class Prepared:
    pharmacy_token: str
    wholesaler_token: str
    gtin: str
    verify_codes: list[str]
    dispense_codes: list[str]


@dataclass
class Sample:
    at: float  # seconds since the load started
    kind: str
    seconds: float
    status: int  # 0: transport error
    code: str = ""


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)  # (at, MiB)
    seconds: float = 0.0
    client_cpu: float = 0.0


def prepare(data_dir: Path, work: Workload) -> Prepared:
    """The data the server opens: a supply chain with a large batch at pharmacy A."""
    from services.auth import create_token
    from services.domain import batches, shipments
    from services.serials.generate import generate_serials
    from tests.support.network import build_small_network

    net = build_small_network(data_dir)
    rt = net.rt
    net.clock.now = max(net.clock.now, datetime.now(UTC))  # tokens expire by the real clock
    try:
        serials = generate_serials(work.serials)
        batches.register_batch(
            rt, actor=net.maker, gtin=net.gtin, lot=LOT, expiry=net.expiry, serials=serials
        )
        at_pharmacy = work.serials * 3 // 4
        for sender, receiver, quantity in (
            (net.maker, net.wholesaler, work.serials),
            (net.wholesaler, net.pharmacy_a, at_pharmacy),
        ):
            line = shipments.ShipmentLineRequest(gtin=net.gtin, lot=LOT, quantity=quantity)
            shipped = shipments.ship(rt, actor=sender, receiver=receiver.msp_id, lines=[line])
            shipments.receive(rt, actor=receiver, shipment_id=shipped.record["shipment_id"])
        shuffled = random.Random(11).sample(serials, len(serials))
        return Prepared(
            pharmacy_token=create_token(rt, user="bench", msp_id=net.pharmacy_a.msp_id),
            wholesaler_token=create_token(rt, user="bench", msp_id=net.wholesaler.msp_id),
            gtin=net.gtin,
            verify_codes=[net.code(s, lot=LOT) for s in shuffled[:2_000]],
            dispense_codes=[net.code(s, lot=LOT) for s in shuffled[2_000:at_pharmacy]],
        )
    finally:
        rt.close()


# -- the server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def served(data_dir: Path, workers: int) -> Iterator[tuple[str, int]]:
    """`pharmatrace serve` on a free port; yields (base URL, pid); stops it with SIGTERM."""
    port = _free_port()
    script = Path(sys.executable).with_name("pharmatrace")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from services.cli.main import main; main()"]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHARMATRACE_")}
    env |= {"PHARMATRACE_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), **RATE_LIMIT_OFF}
    log_path = data_dir / "server.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "serve", "--port", str(port), "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mib(pid: int) -> float:
    """Resident memory of `pid` and its child processes (uvicorn workers), from /proc."""
    total_kib = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for one in pids:
        with contextlib.suppress(OSError), open(f"/proc/{one}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


def sample_rss(
    pid: int, started: float, out: list[tuple[float, float]], stop: threading.Event
) -> None:
    while not stop.is_set():
        out.append((time.perf_counter() - started, rss_mib(pid)))
        stop.wait(RSS_EVERY)


# -- the clients -----------------------------------------------------------------------------


class Clients:
    """`CLIENTS` closed-loop clients on one asyncio loop, sharing the packs left to dispense."""

    def __init__(self, base: str, prepared: Prepared, seed: int) -> None:
        self.base, self.prepared = base, prepared
        self.rng = random.Random(seed)
        self.to_dispense = list(prepared.dispense_codes)
        self.dispensed: list[str] = []
        self.serial = 0
        self.samples: list[Sample] = []
        self.started = 0.0

    def _key(self, kind: str) -> str:
        self.serial += 1
        return f"bench-{kind}-{self.serial}"

    async def _post(
        self, http: httpx.AsyncClient, kind: str, path: str, body: Any, token: str, key: str = ""
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        sent = time.perf_counter()
        try:
            response = await http.post(path, json=body, headers=headers)
        except httpx.TransportError as error:
            self.samples.append(
                Sample(
                    sent - self.started, kind, time.perf_counter() - sent, 0, type(error).__name__
                )
            )
            return {}
        seconds = time.perf_counter() - sent
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        code = str(answer.get("code", "")) if response.status_code >= 400 else ""
        self.samples.append(Sample(sent - self.started, kind, seconds, response.status_code, code))
        return answer if isinstance(answer, dict) else {}

    async def one(self, http: httpx.AsyncClient, kind: str) -> None:
        p = self.prepared
        body: dict[str, Any]
        if kind == "verify":
            code = self.rng.choice(p.verify_codes)
            await self._post(http, kind, "/api/v1/verify", {"code": code}, p.pharmacy_token)
        elif kind == "dispense" and self.to_dispense:
            code = self.to_dispense.pop()
            body = {"code": code, "status": "supplied"}
            key = self._key("dispense")
            answer = await self._post(
                http, kind, "/api/v1/packs/decommission", body, p.pharmacy_token, key
            )
            if answer.get("tx_id"):
                self.dispensed.append(code)
        elif kind == "dispense again" and self.dispensed:
            body = {"code": self.rng.choice(self.dispensed), "status": "supplied"}
            key = self._key("again")
            await self._post(http, kind, "/api/v1/packs/decommission", body, p.pharmacy_token, key)
        elif kind == "shipment":
            line = {"gtin": p.gtin, "lot": LOT, "quantity": 1}
            body = {"receiver": "PharmacyAMSP", "lines": [line]}
            key = self._key("ship")
            answer = await self._post(
                http, "ship", "/api/v1/shipments", body, p.wholesaler_token, key
            )
            shipment = answer.get("shipment") or {}
            if shipment.get("shipment_id"):
                path = f"/api/v1/shipments/{shipment['shipment_id']}/receive"
                await self._post(http, "receive", path, {}, p.pharmacy_token, self._key("receive"))

    async def run(self, seconds: float, clients: int) -> float:
        kinds = [k for k, _ in MIX]
        weights = [w for _, w in MIX]
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=self.base, timeout=60, limits=limits) as http:
            self.started = time.perf_counter()
            end = self.started + seconds

            async def client() -> None:
                while time.perf_counter() < end:
                    await self.one(http, self.rng.choices(kinds, weights)[0])

            await asyncio.gather(*(client() for _ in range(clients)))
        return time.perf_counter() - self.started


def load(base: str, pid: int, prepared: Prepared, seconds: float, clients: int) -> Run:
    run = Run()
    stop = threading.Event()
    started = time.perf_counter()
    sampler = threading.Thread(target=sample_rss, args=(pid, started, run.rss, stop), daemon=True)
    sampler.start()
    cpu0 = time.process_time()
    driver = Clients(base, prepared, seed=3)
    try:
        run.seconds = asyncio.run(driver.run(seconds, clients))
    finally:
        stop.set()
        sampler.join()
    run.client_cpu = time.process_time() - cpu0
    offset = driver.started - started  # the samples count from the clients' start
    run.rss = [(at - offset, mib) for at, mib in run.rss]
    run.samples = driver.samples
    return run


# -- results ---------------------------------------------------------------------------------


def _ms(values: list[float], q: float) -> float:
    return round(percentile(sorted(values), q) * 1000, 1)


def error_counts(samples: list[Sample]) -> tuple[Counter[str], Counter[str]]:
    """(expected, unexpected) errors by 'operation status code'."""
    expected: Counter[str] = Counter()
    unexpected: Counter[str] = Counter()
    for s in samples:
        if 200 <= s.status < 300:
            continue
        label = f"{s.kind} {s.status or 'transport'} {s.code}".strip()
        (expected if (s.kind, s.status, s.code) in EXPECTED_ERRORS else unexpected)[label] += 1
    return expected, unexpected


def rss_growth(rss: list[tuple[float, float]], seconds: float) -> tuple[float, float]:
    """(MiB at the middle, growth % from the middle to the end), each side averaged over a
    tenth of the run, so a warm-up's allocations do not count as growth."""
    tenth = seconds / 10
    middle = [m for at, m in rss if seconds / 2 - tenth / 2 <= at <= seconds / 2 + tenth / 2]
    end = [m for at, m in rss if at >= seconds - tenth]
    if not middle or not end:
        return 0.0, 0.0
    mid_mib, end_mib = sum(middle) / len(middle), sum(end) / len(end)
    return round(mid_mib, 1), round(100 * (end_mib - mid_mib) / mid_mib, 1)


def metrics(run: Run, clients: int, workers: int) -> dict[str, Any]:
    samples = run.samples
    expected, unexpected = error_counts(samples)
    out: dict[str, Any] = {
        "duration s": round(run.seconds),
        "clients (closed loop)": clients,
        "server workers": workers,
        "requests": len(samples),
        "requests/s": round(len(samples) / run.seconds, 1),
    }
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    for kind in ("verify", "dispense", "dispense again", "ship", "receive"):
        of_kind = [s.seconds for s in by_kind[kind]]
        out[f"{kind} requests"] = len(of_kind)
        for q in (50, 95, 99):
            out[f"{kind} p{q} ms"] = _ms(of_kind, q)
    out["errors, expected"] = sum(expected.values())
    out["errors, unexpected"] = sum(unexpected.values())
    # Of those, answers a client may retry with the same key (409 CONFLICT: the transaction
    # lost MVCC races on every attempt; 503): errors all the same, but not refusals.
    out["errors, unexpected, retryable"] = sum(
        n for label, n in unexpected.items() if label.endswith((" CONFLICT", " 503"))
    )
    for label, count in sorted((expected + unexpected).items()):
        out[f"errors: {label}"] = count
    mibs = [m for _at, m in run.rss]
    mid_mib, growth = rss_growth(run.rss, run.seconds)
    out |= {
        "RSS at start MiB": round(mibs[0], 1) if mibs else 0,
        "RSS at middle MiB": mid_mib,
        "RSS at end MiB": round(mibs[-1], 1) if mibs else 0,
        "RSS peak MiB": round(max(mibs), 1) if mibs else 0,
        "RSS growth over the second half %": growth,
        "client CPU ms/request": round(1000 * run.client_cpu / max(len(samples), 1), 2),
    }
    return out


def chart(run: Run, path: Path, title: str) -> None:
    """Latency (p50/p95 per window of `WINDOW` s or more, per operation), throughput and server
    RSS over time, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write files only
    import matplotlib.pyplot as plt

    width = max(WINDOW, run.seconds / 60)
    windows: dict[tuple[str, int], list[float]] = defaultdict(list)
    throughput: Counter[int] = Counter()
    for s in run.samples:
        windows[(s.kind, int(s.at // width))].append(s.seconds)
        throughput[int(s.at // width)] += 1
    fig, (lat, req, mem) = plt.subplots(3, 1, figsize=(10, 9), sharex=True)
    for kind in ("verify", "dispense", "ship", "receive"):
        points = sorted((w, v) for (k, w), v in windows.items() if k == kind)
        if not points:
            continue
        xs = [(w + 0.5) * width for w, _ in points]
        lat.plot(xs, [_ms(v, 50) for _, v in points], label=f"{kind} p50")
        lat.plot(xs, [_ms(v, 95) for _, v in points], linestyle="--", label=f"{kind} p95")
    lat.set_ylabel("round trip, ms")
    lat.set_yscale("log")
    lat.legend(fontsize="x-small", ncol=4, loc="upper left")
    windows_sorted = sorted(throughput)
    req.plot(
        [(w + 0.5) * width for w in windows_sorted],
        [throughput[w] / width for w in windows_sorted],
    )
    req.set_ylabel("requests/s")
    mem.plot([at for at, _ in run.rss], [m for _, m in run.rss])
    mem.set_ylabel("server RSS, MiB")
    mem.set_xlabel("seconds since the load started")
    mem.set_ylim(bottom=0)
    fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def measure(
    quick: bool = False,
    seconds: float | None = None,
    clients: int = CLIENTS,
    workers: int = 1,
    png: Path | None = None,
) -> dict[str, Any]:
    work = Workload.of(quick, seconds)
    with scratch_dir("mixed") as data_dir:
        log(f"mixed_load: set-up with {work.serials:,} serials")
        started = time.perf_counter()
        prepared = prepare(data_dir, work)
        log(f"mixed_load: set-up took {time.perf_counter() - started:.1f} s")
        with served(data_dir, workers) as (base, pid):
            log(f"mixed_load: {clients} clients for {work.seconds:.0f} s against {base}")
            run = load(base, pid, prepared, work.seconds, clients)
    result = metrics(run, clients, workers)
    png = png or RESULTS / "mixed_load.png"
    chart(
        run,
        png,
        f"pharmatrace serve, embedded ledger: {clients} clients, {workers} worker(s), "
        f"{result['requests/s']} req/s ({datetime.now(UTC):%Y-%m-%d})",
    )
    result["chart"] = str(png.relative_to(ROOT)) if png.is_relative_to(ROOT) else str(png)
    return result


def run(quick: bool = False) -> dict[str, Any]:
    """For bench/run.py: 600 s (quick: 30 s), 8 clients, 1 worker."""
    return measure(quick)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8,000 serials, 30 s")
    parser.add_argument("--seconds", type=float, help="load duration (default 600; quick 30)")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--png", type=Path, help="where to write the chart")
    args = parser.parse_args(argv)
    result = measure(args.quick, args.seconds, args.clients, args.workers, args.png)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
