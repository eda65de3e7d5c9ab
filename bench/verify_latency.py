"""Verify latency of the real API under 50 concurrent clients, measured inside the server.

Set-up (in this process, then closed): the small test network plus one batch of generated
serials (200,000; quick: 20,000) shipped manufacturer → wholesaler → pharmacy A and received,
some of its packs dispensed by pharmacy A, and an API token of pharmacy A. Then the API runs in a
subprocess under uvicorn (`services.api.main:app_from_env`, as `pharmatrace serve --workers N`
runs it, wrapped in the ASGI timing layer of `bench.asgi_timing`; 127.0.0.1), first with one
worker process, then with two. An asyncio client (one httpx.AsyncClient, 50 connections) posts
`/api/v1/verify` with a fixed mix: 80% genuine packs in the pharmacy's custody, 10% dispensed
packs, 10% unknown serials. Every verify also records a scan (one SQL write).

Measured for each worker count: server-side time per request (from the timing layer: from the
moment uvicorn hands the request to the app until the last byte of the answer is handed back, so
time a request waits before uvicorn's event loop gets to it is not in it) and client round-trip
(everything), for three loads:

- 1 client: service time without queueing;
- 50 clients, closed loop: each sends its next request as soon as it has an answer, so the server
  is saturated (by Little's law the mean round trip is 50 / throughput); they connect 2 ms apart,
  as independent clients would (a burst of connections would all go to one worker);
- open loop: 50 clients, each sending at random (Poisson) times at 3 per second whatever the
  answers take, 150 verifications per second together, Germany's national peak (see
  /work/shared/DOMAIN.md): the latency of a busy but not saturated server.

Plus the server's CPU time per request (every worker process, from /proc) and, with two
workers, how the requests were shared between them.

Run alone: `python -m bench.verify_latency [--quick] [--profile] [--workers N ...]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    ROOT,
    by_package,
    format_costs,
    log,
    percentile,
    phase_report,
    scratch_dir,
    top_costs,
)

TITLE = "Verify latency through the API (server-side and round-trip)"
TARGETS = {
    "*50 clients: server p95 ms": "<= 20",
    "*50 clients: round-trip p95 ms": "<= 300",
    "*open loop*: server p95 ms": "<= 20",
    "*open loop*: round-trip p95 ms": "<= 300",
}
CONCURRENCY = 50
OPEN_LOOP_CLIENTS = 50
CONNECT_SPACING = 0.002  # s between the closed-loop clients' first requests
OPEN_LOOP_RATE = 150.0  # verifications per second, all clients together (DE national peak)
WORKERS = (1, 2)
MIX = (("genuine", 0.8), ("dispensed", 0.1), ("unknown", 0.1))
EXPECTED = {
    "genuine": {"OK"},
    "dispensed": {"ALREADY_DISPENSED", "ALREADY_DISPENSED_HERE"},
    "unknown": {"UNKNOWN_SERIAL"},
}
VERIFY = "/api/v1/verify"
LOCALHOST = "127.0.0.1"
LOT = "BENCHV"
TIMINGS_DIR_ENV = "PHARMATRACE_BENCH_TIMINGS_DIR"
Row = tuple[str, int, str, float]  # path, status, kind (X-Bench-Kind), seconds
last_send_lag_p99_ms = 0.0  # of the last open-loop run


@dataclass
class Workload:
    serials: int
    dispensed: int
    warmup: int
    sequential: int
    requests: int
    open_loop: int

    @classmethod
    def of(cls, quick: bool) -> Workload:
        if quick:
            return cls(
                20_000, dispensed=40, warmup=100, sequential=200, requests=1_000, open_loop=600
            )
        return cls(
            200_000, dispensed=200, warmup=200, sequential=300, requests=5_000, open_loop=3_000
        )


@dataclass
class Prepared:
    token: str
    codes: dict[str, list[str]]


def prepare(data_dir: Path, work: Workload) -> Prepared:
    """Build the data the server will open; returns a token and codes of each kind."""
    from services.auth import create_token
    from services.domain import batches, packs, shipments
    from services.serials.generate import generate_serials
    from tests.support.network import build_small_network

    net = build_small_network(data_dir)
    rt = net.rt
    serials = generate_serials(work.serials)
    batches.register_batch(
        rt, actor=net.maker, gtin=net.gtin, lot=LOT, expiry=net.expiry, serials=serials
    )
    hops = ((net.maker, net.wholesaler), (net.wholesaler, net.pharmacy_a))
    for sender, receiver in hops:
        line = shipments.ShipmentLineRequest(gtin=net.gtin, lot=LOT, quantity=work.serials)
        shipped = shipments.ship(rt, actor=sender, receiver=receiver.msp_id, lines=[line])
        shipments.receive(rt, actor=receiver, shipment_id=shipped.record["shipment_id"])
    rng = random.Random(7)
    dispensed = rng.sample(serials, work.dispensed)
    for serial in dispensed:
        packs.decommission(rt, actor=net.pharmacy_a, code=net.code(serial, lot=LOT))
    gone = set(dispensed)
    genuine = [s for s in rng.sample(serials, min(len(serials), 20_000)) if s not in gone]
    unknown = generate_serials(2_000, avoid=frozenset(serials))
    token = create_token(rt, user="bench", msp_id=net.pharmacy_a.msp_id)
    codes = {
        "genuine": [net.code(s, lot=LOT) for s in genuine],
        "dispensed": [net.code(s, lot=LOT) for s in dispensed],
        "unknown": [net.code(s, lot=LOT) for s in unknown],
    }
    rt.close()
    return Prepared(token, codes)


def plan(codes: dict[str, list[str]], count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=count)
    return [(kind, rng.choice(codes[kind])) for kind in kinds]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- the server ------------------------------------------------------------------------------


class _FileRows(list[Row]):
    """`TimingMiddleware.rows` of one worker process: each row appended to a file at once.

    With several workers, `GET /__bench/timings` would reach only one of them; the bench reads
    every worker's file instead (`TimingFiles`)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._out = path.open("a", buffering=1)  # line-buffered: one write per request

    def append(self, row: Row) -> None:
        self._out.write(json.dumps(row) + "\n")


def timed_app() -> Any:
    """uvicorn factory of each worker: the API (`app_from_env`) inside the ASGI timing layer."""
    from bench.asgi_timing import TimingMiddleware
    from services.api.main import app_from_env

    app = TimingMiddleware(app_from_env())
    app.rows = _FileRows(Path(os.environ[TIMINGS_DIR_ENV]) / f"{os.getpid()}.jsonl")
    return app


def serve_timed(port: int, workers: int) -> None:
    """`pharmatrace serve --workers N`, except that the factory is `timed_app`."""
    import uvicorn

    from services.cli.server import run_workers

    if workers > 1:
        run_workers(
            "bench.verify_latency:timed_app",
            host=LOCALHOST,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
        )
    else:  # as `serve` without --workers: one process, no supervisor
        uvicorn.run(timed_app(), host=LOCALHOST, port=port, log_level="warning", access_log=False)


class TimingFiles:
    """The rows every worker wrote since the last `take()`, and the workers' CPU time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._offsets: dict[Path, int] = {}

    def pids(self) -> list[int]:
        return sorted(int(p.stem) for p in self.folder.glob("*.jsonl"))

    def take(self) -> tuple[list[Row], Counter[int]]:
        time.sleep(0.3)  # a row is written just after the answer's last byte left
        rows: list[Row] = []
        per_worker: Counter[int] = Counter(dict.fromkeys(self.pids(), 0))
        for path in sorted(self.folder.glob("*.jsonl")):
            with path.open() as lines:
                lines.seek(self._offsets.get(path, 0))
                for line in lines:
                    if not line.endswith("\n"):
                        break  # being written; the next take() reads it
                    path_, status, kind, seconds = json.loads(line)
                    if path_ == VERIFY:
                        rows.append((path_, status, kind, seconds))
                        per_worker[int(path.stem)] += 1
                    self._offsets[path] = self._offsets.get(path, 0) + len(line.encode())
        return rows, per_worker

    def cpu_seconds(self) -> float:
        """User + system CPU time of every worker so far (Linux /proc)."""
        ticks = 0
        for pid in self.pids():
            with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    base: str
    timings: Callable[[], tuple[list[Row], Counter[int]]]
    cpu_seconds: Callable[[], float] | None = None


@contextlib.contextmanager
def _process(data_dir: Path, command: list[str], env: dict[str, str]) -> Iterator[str]:
    """A server subprocess on a free port; yields its base URL; stops it gracefully."""
    port = _free_port()
    env = {**os.environ, "PHARMATRACE_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), **env}
    # One token at thousands of requests/s: a limit that never refuses, so the limiter's cost is
    # in the numbers and its 429s are not.
    env.setdefault("PHARMATRACE_RATE_LIMIT", "1000000")
    env.setdefault("PHARMATRACE_RATE_BURST", "1000000")
    log_path = data_dir / "server.log"
    with log_path.open("w") as server_log:
        proc = subprocess.Popen(
            [sys.executable, "-m", *command, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc, log_path)
        yield base
    except Exception:
        log(f"API server log (tail):\n{log_path.read_text()[-3000:]}")
        raise
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def server(data_dir: Path, workers: int = 1) -> Iterator[Server]:
    """The API under uvicorn with `workers` processes, each timing the requests it serves."""
    folder = data_dir / f"timings-{workers}w-{time.monotonic_ns()}"
    folder.mkdir()
    command = ["bench.verify_latency", "--serve", "--workers", str(workers)]
    with _process(data_dir, command, {TIMINGS_DIR_ENV: str(folder)}) as base:
        files = TimingFiles(folder)
        deadline = time.monotonic() + 60
        while len(files.pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.2)  # each worker creates its file when its app is made
        if len(files.pids()) < workers:
            raise RuntimeError(f"only {len(files.pids())} of {workers} workers started")
        yield Server(base, files.take, files.cpu_seconds)


@contextlib.contextmanager
def profiled_server(data_dir: Path, *extra: str) -> Iterator[Server]:
    """One worker under `bench.asgi_timing`, which can time phases and run cProfile."""
    with _process(data_dir, ["bench.asgi_timing", *extra], {}) as base:

        def timings() -> tuple[list[Row], Counter[int]]:
            rows = httpx.get(f"{base}/__bench/timings", timeout=30).json()
            verify = [(r[0], r[1], r[2], r[3]) for r in rows if r[0] == VERIFY]
            return verify, Counter({0: len(verify)})

        yield Server(base, timings)


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API server exited:\n{log_path.read_text()[-4000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the API server did not answer /health:\n{log_path.read_text()[-4000:]}")


# -- the clients ---------------------------------------------------------------------------
#
# A minimal HTTP/1.1 keep-alive client on asyncio streams. httpx costs about 6 ms of CPU per
# request with 50 connections (measured here), more than the server: on a 2-core machine the
# clients would then be the bottleneck of the closed loop. This one costs about 0.1–0.2 ms.


@dataclass
class Sample:
    kind: str
    status: int
    seconds: float
    result: str
    timing_header: bool


class Connection:
    """One keep-alive HTTP/1.1 connection to the API, posting verify requests."""

    IDLE_SECONDS = 4.0  # reconnect rather than reuse: uvicorn closes after 5 s of idleness

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = (
            f"POST {VERIFY} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0

    async def _connect(self) -> None:
        await self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def post(self, kind: str, code: str) -> Sample:
        started = time.perf_counter()
        try:
            if self.writer is None or started - self.used > self.IDLE_SECONDS:
                await self._connect()
            assert self.reader is not None
            assert self.writer is not None
            body = json.dumps({"code": code}).encode()
            self.writer.write(
                self.head
                + f"X-Bench-Kind: {kind}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            headers = dict(
                line.split(b":", 1) for line in head.lower().split(b"\r\n")[1:] if b":" in line
            )
            answer = await self.reader.readexactly(int(headers[b"content-length"]))
            if headers.get(b"connection", b"").strip() == b"close":
                await self.close()
        except (OSError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
            log(f"  transport error: {exc!r}")
            await self.close()
            return Sample(kind, 0, time.perf_counter() - started, "", False)
        seconds = time.perf_counter() - started
        self.used = time.perf_counter()
        result = str(json.loads(answer).get("result", "")) if status == 200 else ""
        timed = b"server-timing" in headers or b"x-process-time" in headers
        return Sample(kind, status, seconds, result, timed)


def _address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


async def _load(
    base: str, token: str, requests: list[tuple[str, str]], concurrency: int
) -> tuple[list[Sample], float]:
    """Closed loop: `concurrency` clients (a connection each, opened `CONNECT_SPACING` apart),
    each sending its next request as soon as it has an answer."""
    samples: list[Sample] = []
    todo = iter(requests)
    host, port = _address(base)

    async def client(index: int) -> None:
        # Independent clients do not connect at the same instant. A burst would all land on one
        # worker: asyncio accepts every pending connection at once, whichever worker wakes first.
        await asyncio.sleep(index * CONNECT_SPACING)
        connection = Connection(host, port, token)
        for kind, code in todo:  # one iterator shared by every task (one thread)
            samples.append(await connection.post(kind, code))
        await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(index) for index in range(concurrency)))
    return samples, time.perf_counter() - started


def arrivals(clients: int, rate: float, count: int, seed: int) -> list[float]:
    """The first `count` send times (s from the start) of `clients` independent Poisson clients
    sending `rate / clients` requests per second each (together: a Poisson stream of `rate`)."""
    rng = random.Random(seed)
    each = rate / clients
    upcoming = [(rng.expovariate(each), client) for client in range(clients)]
    heapq.heapify(upcoming)
    times = []
    while len(times) < count:
        at, client = heapq.heappop(upcoming)
        times.append(at)
        heapq.heappush(upcoming, (at + rng.expovariate(each), client))
    return times


async def _open_loop(
    base: str, token: str, requests: list[tuple[str, str]], seed: int
) -> tuple[list[Sample], float]:
    """Requests sent at the clients' Poisson arrival times, whatever the answers take. They share
    50 connections; a request finding all of them busy waits for one. Round trips are counted
    from the arrival time, so a late send or a wait for a connection is in them."""
    samples: list[Sample] = []
    schedule = arrivals(OPEN_LOOP_CLIENTS, OPEN_LOOP_RATE, len(requests), seed)
    host, port = _address(base)
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(CONCURRENCY):
        idle.put_nowait(Connection(host, port, token))

    async def one(due: float, kind: str, code: str) -> None:
        connection = await idle.get()
        sample = await connection.post(kind, code)
        idle.put_nowait(connection)
        sample.seconds = time.perf_counter() - due  # from the arrival, connection wait included
        samples.append(sample)

    started = time.perf_counter()
    tasks = []
    lags = []
    for at, (kind, code) in zip(schedule, requests, strict=True):
        due = started + at
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        lags.append(time.perf_counter() - due)  # how late this client sends (its own loop)
        tasks.append(asyncio.create_task(one(due, kind, code)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    while not idle.empty():
        await idle.get_nowait().close()
    global last_send_lag_p99_ms
    last_send_lag_p99_ms = _ms(lags, 99)
    return samples, elapsed


def _ms(values: list[float], q: float) -> float:
    return round(percentile(sorted(values), q) * 1000, 2)


def measure(
    srv: Server, prepared: Prepared, work: Workload, *, concurrent: bool = True, prefix: str = ""
) -> dict[str, Any]:
    """Warm up, then 1 client, then (unless `concurrent` is false) 50 clients and open loop."""
    token = prepared.token
    warmup_clients = CONCURRENCY if concurrent else 1
    asyncio.run(_load(srv.base, token, plan(prepared.codes, work.warmup, 1), warmup_clients))
    srv.timings()  # discard the warm-up's
    metrics: dict[str, Any] = {}
    runs = [("1 client", work.sequential, 1, 2)]
    if concurrent:
        runs.append((f"{CONCURRENCY} clients", work.requests, CONCURRENCY, 3))
        runs.append((f"open loop {OPEN_LOOP_RATE:.0f}/s", work.open_loop, 0, 4))
    for name, count, concurrency, seed in runs:
        label = f"{prefix}{name}"
        log(f"verify_latency: {count:,} requests, {label}")
        requests = plan(prepared.codes, count, seed)
        cpu0 = srv.cpu_seconds() if srv.cpu_seconds else 0.0
        client_cpu0 = time.process_time()
        if concurrency:
            samples, elapsed = asyncio.run(_load(srv.base, token, requests, concurrency))
        else:
            samples, elapsed = asyncio.run(_open_loop(srv.base, token, requests, seed))
        client_cpu = time.process_time() - client_cpu0
        server_rows, per_worker = srv.timings()
        cpu = (srv.cpu_seconds() - cpu0) if srv.cpu_seconds else 0.0
        server = [r[3] for r in server_rows]
        client = [s.seconds for s in samples if s.status]  # transport errors apart
        metrics |= {
            f"{label}: requests": len(samples),
            f"{label}: server p50 ms": _ms(server, 50),
            f"{label}: server p95 ms": _ms(server, 95),
            f"{label}: server p99 ms": _ms(server, 99),
            f"{label}: round-trip p50 ms": _ms(client, 50),
            f"{label}: round-trip p95 ms": _ms(client, 95),
            f"{label}: round-trip p99 ms": _ms(client, 99),
            f"{label}: requests/s": round(len(samples) / elapsed, 1),
        }
        if srv.cpu_seconds:
            metrics[f"{label}: server CPU ms/request"] = round(1000 * cpu / max(len(server), 1), 2)
        metrics[f"{label}: client CPU ms/request"] = round(1000 * client_cpu / len(samples), 2)
        if not concurrency:
            metrics[f"{label}: client send lag p99 ms"] = last_send_lag_p99_ms
        if len(per_worker) > 1:  # zeros included: a worker that served nothing is a finding
            metrics[f"{label}: requests per worker"] = " / ".join(
                f"{n:,}" for n in sorted(per_worker.values(), reverse=True)
            )
        if concurrency != 1:
            for kind, _ in MIX:
                of_kind = [r[3] for r in server_rows if r[2] == kind]
                metrics[f"{label}: server p95 ms, {kind}"] = _ms(of_kind, 95)
        statuses = Counter(s.status for s in samples)
        unexpected = [s for s in samples if s.status == 200 and s.result not in EXPECTED[s.kind]]
        metrics[f"{label}: non-200 responses"] = sum(
            n for c, n in statuses.items() if c not in (0, 200)
        )
        metrics[f"{label}: transport errors"] = statuses.get(0, 0)
        metrics[f"{label}: verdicts not as expected"] = len(unexpected)
        if unexpected:
            log(f"  unexpected verdicts, e.g. {Counter((s.kind, s.result) for s in unexpected)}")
        metrics[f"{label}: server timings recorded"] = len(server)
        header = any(s.timing_header for s in samples)
        if metrics.get("API sends Server-Timing/X-Process-Time") != "yes":
            metrics["API sends Server-Timing/X-Process-Time"] = "yes" if header else "no"
    return metrics


def run(quick: bool = False, workers: tuple[int, ...] = WORKERS) -> dict[str, Any]:
    work = Workload.of(quick)
    metrics: dict[str, Any] = {"serials registered": work.serials}
    with scratch_dir("verify") as data_dir:
        log(f"verify_latency: set-up with {work.serials:,} serials")
        started = time.perf_counter()
        prepared = prepare(data_dir, work)
        log(f"verify_latency: set-up took {time.perf_counter() - started:.1f} s")
        for count in workers:
            with server(data_dir, count) as srv:
                prefix = f"{count} worker{'s' if count > 1 else ''}, "
                metrics |= measure(srv, prepared, work, prefix=prefix)
    return metrics


def profile(quick: bool = False) -> str:
    """Per-phase wall/CPU time inside the server, then cProfile of the server (every thread)."""
    from services.api.main import __name__ as _api  # noqa: F401  (fail early without the API)

    work = Workload.of(quick)
    lines: list[str] = []
    with scratch_dir("verify-profile") as data_dir:
        prepared = prepare(data_dir, work)
        phases_file, stats_file = data_dir / "phases.json", data_dir / "server.prof"
        with profiled_server(data_dir, "--phases", str(phases_file)) as srv:
            metrics = measure(srv, prepared, work)
        timings = json.loads(phases_file.read_text())
        served = work.warmup + work.sequential + work.requests + work.open_loop
        lines += [
            f"phase timers in the server, 1 worker (all {served:,} verify requests: "
            f"{work.requests:,} from 50 clients in closed loop, {work.open_loop:,} open loop at "
            f"{OPEN_LOOP_RATE:.0f}/s; 50-client run: server p95 "
            f"{metrics['50 clients: server p95 ms']} ms)",
            f"server process CPU {timings['process_cpu']:.2f} s"
            f" = {1000 * timings['process_cpu'] / served:.2f} ms per request",
            *phase_report(timings, timings["process_cpu"], served, "req"),
            "",
        ]
        with profiled_server(data_dir, "--cprofile", str(stats_file)) as srv:
            metrics = measure(srv, prepared, work, concurrent=False)
        import pstats

        stats = pstats.Stats(str(stats_file))
    lines += [
        f"cProfile of the server (wall clock, every thread), {work.warmup} warm-up requests "
        f"and {work.sequential} more from 1 client, so no thread waits for another (server p50 "
        f"under the profiler {metrics['1 client: server p50 ms']} ms). Own time by package:",
        *by_package(stats, 15),
        "",
        "top functions by own time:",
        *format_costs(top_costs(stats, 30)),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=list(WORKERS),
        help=f"uvicorn worker counts to measure, one after the other (default {WORKERS})",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # internal
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)  # with --serve
    args = parser.parse_args(argv)
    if args.serve:
        serve_timed(args.port, args.workers[0])
    elif args.profile:
        print(profile(args.quick))
    else:
        print(json.dumps(run(args.quick, tuple(args.workers)), indent=2))


if __name__ == "__main__":
    main()
