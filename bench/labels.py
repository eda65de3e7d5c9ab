"""Pack labels: PNG labels per second, and a PDF sheet run of 10,000 labels, on this machine.

PNG: `services.labels.render_pack_label` (GS1 DataMatrix by Zint, Digital Link QR by segno,
text, bilevel PNG) for packs with random 12-character EU-safe serials, in this process and then
in two spawned worker processes (the machine has 2 cores). Per-phase costs come from one
process with `PhaseTimer`. PDF: `render_sheet_pdf` with 2 workers writing A4 sheets to a file,
in a fresh subprocess so its peak RSS is its own; it runs at a tenth of the count too, to show
that memory does not grow with the number of labels.

Run alone: `python -m bench.labels [--quick] [--profile | --alternatives]`.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import multiprocessing
import os
import pstats
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench.common import ROOT, PhaseTimer, by_package, format_costs, log, scratch_dir, top_costs

TITLE = "Pack labels: PNG per second, PDF sheets"
PNG_FULL, PNG_QUICK = 2_000, 300
PDF_FULL, PDF_QUICK = 10_000, 1_000
WORKERS = 2
TARGETS = {
    "PNG labels/s (2 processes)": ">= 500",
    "PDF s (10,000 labels, 2 workers)": "<= 60",
}
CHILD_TIMEOUT = 600
_CHUNK = 100

GTIN, LOT, PRODUCT = "09506000134352", "BENCH01", "Paracetamol 500 mg tablets"


def packs(count: int) -> list[Any]:
    """`count` packs of one batch with fresh random serials (as `register_batch` makes them)."""
    from services.gs1 import PackIdentifier
    from services.serials.generate import generate_serials

    expiry = dt.date.today() + dt.timedelta(days=730)
    return [
        PackIdentifier(gtin=GTIN, lot=LOT, serial=serial, expiry=expiry)
        for serial in generate_serials(count)
    ]


def render_chunk(chunk: list[Any]) -> int:
    """In a worker: render PNG labels, return the bytes made (so nothing is optimised away)."""
    from services.labels import render_pack_label

    return sum(len(render_pack_label(pack, product_name=PRODUCT)) for pack in chunk)


def png_rate_here(count: int) -> tuple[float, float, float]:
    """(labels per wall second, per CPU second, mean PNG KiB) for `count` labels here.

    Labels per CPU second do not depend on what else the machine runs; twice that is what two
    idle cores can reach.
    """
    batch = packs(count)
    render_chunk(batch[:5])  # fonts and caches warm
    started, cpu = time.perf_counter(), time.process_time()
    made = render_chunk(batch)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return count / wall, count / cpu, made / count / 1024


def png_rate_pool(count: int, workers: int = WORKERS) -> float:
    """Labels per second over `workers` spawned processes, started and warmed before timing."""
    batch = packs(count)
    chunks = [batch[i : i + _CHUNK] for i in range(0, count, _CHUNK)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        list(pool.map(render_chunk, [batch[:5]] * workers))  # import and warm every worker
        started = time.perf_counter()
        list(pool.map(render_chunk, chunks))
        return count / (time.perf_counter() - started)


def png_phases(count: int) -> dict[str, float]:
    """Wall ms per label of each phase of `render_pack_label`, in this process."""
    from services.labels import datamatrix, pack_label, pack_layout, qr

    targets: dict[str, tuple[object, str]] = {
        "GS1 DataMatrix (Zint)": (pack_layout, "gs1_datamatrix"),
        "QR code (segno)": (pack_layout, "digital_link_qr"),
        "  of which segno mask selection": (_segno_encoder(), "find_and_apply_best_mask"),
        "element string -> Zint input (biip)": (datamatrix, "bracketed_element_string"),
        "layout": (pack_layout, "arrange_pack_label"),
        "draw (Pillow)": (pack_label, "draw_label"),
        "PNG encode": (pack_label, "png_bytes"),
    }
    batch = packs(count)
    render_chunk(batch[:5])
    with PhaseTimer(targets) as phases:
        render_chunk(batch)
    del qr  # imported so the QR module is loaded before its encoder is patched
    return {label: 1000 * seconds / count for label, seconds in phases.wall.items()}


def _segno_encoder() -> object:
    from segno import encoder

    return encoder


def pdf_child(count: int, workers: int) -> dict[str, Any]:
    """In a fresh process: write `count` labels to an A4 PDF file; time, size and peak RSS."""
    from services.labels import render_sheet_pdf

    batch = [(pack, PRODUCT) for pack in packs(count)]
    rss_before = _maxrss_mib()
    with scratch_dir("labels") as folder:
        path = folder / "sheet.pdf"
        started = time.perf_counter()
        with path.open("wb") as out:
            pages = render_sheet_pdf(iter(batch), out, paper="A4", workers=workers)
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    return {
        "seconds": seconds,
        "pages": pages,
        "mib": size / 2**20,
        "rss_before": rss_before,
        "peak": _maxrss_mib(),
        "cpu": _cpu_seconds(),
    }


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the PDF workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _spawn_pdf(count: int, workers: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.labels", "--child", "--count", str(count)]
    command += ["--workers", str(workers)]
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
        raise RuntimeError(f"labels PDF child failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool = False) -> dict[str, Any]:
    png_count = PNG_QUICK if quick else PNG_FULL
    pdf_count = PDF_QUICK if quick else PDF_FULL
    log(f"labels: {png_count:,} PNG labels in 1 process, then in {WORKERS}")
    here, per_cpu, kib = png_rate_here(png_count)
    pooled = png_rate_pool(png_count)
    metrics: dict[str, Any] = {
        "PNG labels/s (1 process)": round(here),
        "PNG labels per CPU second (1 process)": round(per_cpu),
        f"PNG labels/s ({WORKERS} processes)": round(pooled),
        "PNG KiB per label (50 x 25 mm, 300 dpi)": round(kib, 1),
    }
    for phase, ms in png_phases(min(png_count, 300)).items():
        metrics[f"phase: {phase} ms/label"] = round(ms, 3)
    small = pdf_count // 10
    log(f"labels: PDF of {small:,} then {pdf_count:,} labels, {WORKERS} workers, fresh processes")
    few = _spawn_pdf(small, WORKERS)
    many = _spawn_pdf(pdf_count, WORKERS)
    label = f"({pdf_count:,} labels, {WORKERS} workers)"
    metrics |= {
        f"PDF s {label}": round(many["seconds"], 1),
        f"PDF labels/s {label}": round(pdf_count / many["seconds"]),
        f"PDF CPU s, parent + workers {label}": round(many["cpu"], 1),
        f"PDF pages {label}": many["pages"],
        f"PDF MiB {label}": round(many["mib"], 1),
        f"PDF peak RSS MiB {label}": round(many["peak"], 1),
        f"PDF peak RSS MiB ({small:,} labels)": round(few["peak"], 1),
        "RSS before the PDF (batch in memory) MiB": round(many["rss_before"], 1),
    }
    return metrics


def profile(quick: bool = False) -> str:
    count = 100 if quick else 500
    batch = packs(count)
    render_chunk(batch[:5])
    profiler = cProfile.Profile()
    profiler.enable()
    render_chunk(batch)
    profiler.disable()
    stats = pstats.Stats(profiler)
    return "\n".join(
        [
            f"render_pack_label x {count:,} under cProfile",
            "own time by package:",
            *by_package(stats),
            "",
            "top functions by own time:",
            *format_costs(top_costs(stats, 20)),
        ]
    )


def alternatives(quick: bool = False) -> str:
    """Evidence for the QR-encoder decision: PNG labels/s in one process per QR encoder.

    segno as shipped (ISO mask selection), segno with one fixed mask (skips the selection, not
    what ISO/IEC 18004 asks of an encoder), and Zint's QR (C, ISO mask selection), each put in
    place of `services.labels.qr.qr_matrix` for the run.
    """
    import segno
    import zint
    from PIL import Image

    from services.labels import qr
    from services.labels.modules import ModuleMatrix

    def segno_fixed_mask(text: str) -> ModuleMatrix:
        code = segno.make_qr(text, error="m", mask=0)
        size = len(code.matrix)
        gray = b"".join(bytes(row) for row in code.matrix).translate(qr._DARK_TO_PIXEL)
        image = Image.frombytes("L", (size, size), gray).convert("1", dither=Image.Dither.NONE)
        return ModuleMatrix.from_image(image, qr.QR_QUIET_ZONE)

    def zint_qr(text: str) -> ModuleMatrix:
        symbol = zint.Symbol()
        symbol.symbology = zint.Symbology.QRCODE
        symbol.option_1 = 2  # error correction level M
        symbol.encode(text)
        raw = bytes(symbol.encoded_data[: symbol.rows])
        image = Image.frombytes("1", (symbol.width, symbol.rows), raw, "raw", "1;IR", 144)
        return ModuleMatrix.from_image(image, qr.QR_QUIET_ZONE)

    count = 200 if quick else 1_000
    original = qr.qr_matrix
    lines = [f"PNG labels in one process, {count:,} labels, by QR encoder (wall, per CPU s):"]
    try:
        for name, encoder in (
            ("segno, ISO mask selection (shipped)", original),
            ("segno, fixed mask 0", segno_fixed_mask),
            ("Zint QR, ISO mask selection", zint_qr),
        ):
            qr.qr_matrix = encoder  # type: ignore[assignment]
            rate, per_cpu, _ = png_rate_here(count)
            lines.append(f"  {name:<40} {rate:6.0f} /s {per_cpu:6.0f} /CPU s")
    finally:
        qr.qr_matrix = original  # type: ignore[assignment]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--alternatives", action="store_true", help="compare QR encoders")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=PDF_FULL, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=WORKERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(pdf_child(args.count, args.workers)))
    elif args.alternatives:
        print(alternatives(args.quick))
    elif args.profile:
        print(profile(args.quick))
    else:
        print(json.dumps(run(args.quick), indent=2))


if __name__ == "__main__":
    main()
