"""Provenance report of a batch with 10,000 events: the web page and the PDF, on this machine.

The batch is the located chain of tests.support.provenance_chain (real cities): registered,
shipped over two distributors to three pharmacies, dispensed at each, one pack destroyed, a clone
scan and an unknown serial, recalled; those are ledger transactions (the embedded ledger and the
indexer, as in production). The rest of the 10,000 timeline entries are verification records
written straight into the scan log (off-chain rows, as the verification service writes them),
which keeps the set-up to a minute instead of an hour of verifications.

Measured in-process through the real app (FastAPI, the regulator's cookie session, the read
model on SQLite): GET of the report page (`page`, timeline paginated at 250 entries, counts and
graph and map of the whole report) repeated, p50/p95, and the first request alone (cold: the map
outlines are decoded then); the report model alone; GET of the PDF download (every entry printed),
with its page count and CPU seconds (the machine may be shared: CPU time does not depend on it).

Run alone: `python -m bench.provenance_report [--quick] [--profile]`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import by_package, format_costs, log, percentile, scratch_dir, top_costs

TITLE = "Provenance report: page and PDF of a 10,000-event batch"
TARGETS = {
    "page p95 ms": "<= 300",
    "PDF s (max)": "<= 5",
    "timeline entries": ">= 10000",
}
PAGE_REPEATS_FULL, PAGE_REPEATS_QUICK = 30, 10
PDF_REPEATS_FULL, PDF_REPEATS_QUICK = 3, 2


@dataclass(frozen=True)
class Workload:
    entries: int  # timeline entries wanted (ledger events + scans)
    quantity: int  # packs in the batch
    dispenses: int  # per pharmacy (3 pharmacies): ledger events
    page_repeats: int
    pdf_repeats: int

    @classmethod
    def of(cls, quick: bool) -> Workload:
        if quick:
            return cls(2_000, 2_000, 50, PAGE_REPEATS_QUICK, PDF_REPEATS_QUICK)
        return cls(10_000, 10_000, 300, PAGE_REPEATS_FULL, PDF_REPEATS_FULL)


@dataclass
class Prepared:
    chain: Any  # tests.support.provenance_chain.LocatedChain
    client: Any  # fastapi.testclient.TestClient, signed in as the regulator
    page: str
    pdf: str
    entries: int
    setup_s: float


def prepare(data_dir: Path, work: Workload) -> Prepared:
    """The chain (ledger writes, then scan rows) and a signed-in client over the app."""
    from fastapi.testclient import TestClient

    from services.api import create_app
    from services.auth.tokens import create_token
    from services.reports.provenance_report import batch_report
    from tests.support.provenance_chain import build_located_chain

    started = time.perf_counter()
    # ledger events: register 1, five shipments shipped and received 10, dispensings, one
    # destruction, the recall; scans: the clone and the unknown serial
    ledger = 1 + 10 + 3 * work.dispenses + 1 + 1
    extra = max(0, work.entries - ledger - 2)
    log(f"building the chain: {ledger:,} ledger events + {extra + 2:,} scans")
    chain = build_located_chain(
        data_dir, quantity=work.quantity, dispenses=work.dispenses, extra_scans=extra
    )
    setup = time.perf_counter() - started
    log(f"chain built in {setup:.1f} s")
    regulator = chain.actors["agency"]
    token = create_token(
        chain.rt, user=regulator.user, msp_id=regulator.msp_id, location=regulator.location
    )
    client = TestClient(create_app(chain.rt))
    client.__enter__()
    signed_in = client.post("/regulator/sign-in", data={"token": token}, follow_redirects=False)
    if signed_in.status_code != 303:
        raise RuntimeError(f"regulator sign-in failed: {signed_in.status_code} {signed_in.text}")
    page = f"/regulator/reports/batches/{chain.gtin}/{chain.lot}"
    entries = batch_report(chain.rt, chain.gtin, chain.lot).counts["entries"]
    return Prepared(chain, client, page, f"{page}/provenance.pdf", entries, setup)


def _timed_get(prepared: Prepared, path: str) -> tuple[float, float, bytes]:
    """(wall s, CPU s of this process, body) of one GET, which must answer 200."""
    started, cpu = time.perf_counter(), time.process_time()
    response = prepared.client.get(path)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")
    return wall, cpu, response.content


def measure(prepared: Prepared, work: Workload) -> dict[str, Any]:
    from pypdf import PdfReader

    from services.reports.provenance_report import batch_report

    chain = prepared.chain
    cold, _, body = _timed_get(prepared, prepared.page)
    if f"of {prepared.entries:,}" not in body.decode():
        raise RuntimeError("the page does not state the whole report's entry count")
    walls, cpus = [], []
    for _ in range(work.page_repeats):
        wall, cpu, _ = _timed_get(prepared, prepared.page)
        walls.append(wall)
        cpus.append(cpu)
    builds = []
    for _ in range(max(5, work.page_repeats // 3)):
        started = time.perf_counter()
        batch_report(chain.rt, chain.gtin, chain.lot)
        builds.append(time.perf_counter() - started)
    pdf_walls, pdf_cpus, pdf = [], [], b""
    for _ in range(work.pdf_repeats):
        wall, cpu, pdf = _timed_get(prepared, prepared.pdf)
        pdf_walls.append(wall)
        pdf_cpus.append(cpu)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    walls.sort()
    cpus.sort()
    builds.sort()
    return {
        "timeline entries": prepared.entries,
        "page p50 ms": round(percentile(walls, 50) * 1000, 1),
        "page p95 ms": round(percentile(walls, 95) * 1000, 1),
        "page CPU p50 ms": round(percentile(cpus, 50) * 1000, 1),
        "page first (cold) ms": round(cold * 1000, 1),
        "page KiB": round(len(body) / 1024, 1),
        "report model p50 ms": round(percentile(builds, 50) * 1000, 1),
        "PDF s (p50)": round(sorted(pdf_walls)[len(pdf_walls) // 2], 2),
        "PDF s (max)": round(max(pdf_walls), 2),
        "PDF CPU s (max)": round(max(pdf_cpus), 2),
        "PDF pages": pages,
        "PDF MiB": round(len(pdf) / 1024 / 1024, 2),
        "set-up s": round(prepared.setup_s, 1),
    }


def run(quick: bool = False) -> dict[str, Any]:
    work = Workload.of(quick)
    with scratch_dir("provenance-report") as data_dir:
        prepared = prepare(data_dir, work)
        try:
            return measure(prepared, work)
        finally:
            prepared.client.__exit__(None, None, None)
            prepared.chain.rt.close()


def profile(quick: bool = False) -> str:
    """Where the time goes: the report model, the page's template, the PDF (cProfile, in this
    thread: the functions the routes call, without the test client's thread hop)."""
    from dashboards.render import Renderer
    from dashboards.report_page import ALERTS_SHOWN, timeline_page
    from services.reports.pdf import render_report_pdf
    from services.reports.provenance_report import batch_report

    work = Workload.of(quick)
    lines: list[str] = []
    with scratch_dir("provenance-report-profile") as data_dir:
        prepared = prepare(data_dir, work)
        chain = prepared.chain
        try:
            _timed_get(prepared, prepared.page)  # warm: map outlines, templates
            report = batch_report(chain.rt, chain.gtin, chain.lot)
            renderer = Renderer()

            def page() -> None:
                from dashboards.report_map import build_map

                renderer.html(
                    "report.html",
                    actor=None,
                    csrf="",
                    report=report,
                    timeline=timeline_page(report, 1),
                    graph=report.graph,
                    map=build_map(report.places, report.graph.edges),
                    base="",
                    downloads={"pdf": "", "csv": "", "epcis": ""},
                    alerts_shown=ALERTS_SHOWN,
                    generated_at="",
                    ledger_height=0,
                )

            steps = (
                ("report model", lambda: batch_report(chain.rt, chain.gtin, chain.lot)),
                ("page template", page),
                (
                    "PDF",
                    lambda: render_report_pdf(
                        report, generated_at=chain.rt.now(), generated_for="", ledger_height=0
                    ),
                ),
            )
            for name, step in steps:
                profiler = cProfile.Profile()
                profiler.enable()
                step()
                profiler.disable()
                stats = pstats.Stats(profiler)
                lines += [f"== {name}: by package", *by_package(stats)]
                lines += [f"== {name}: top functions", *format_costs(top_costs(stats))]
        finally:
            prepared.client.__exit__(None, None, None)
            chain.rt.close()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.provenance_report")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    if args.profile:
        print(profile(args.quick))
        return
    for name, value in run(args.quick).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
