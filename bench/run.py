"""Run benchmarks, print their results, and record them in docs/BENCHMARKS.md.

    python -m bench.run [NAME ...] [--quick] [--write] [--profile]

NAME is a module of this package (default: all of `BENCHMARKS`). `--quick` runs smaller
workloads (the smoke run; all three finish in well under 3 minutes). `--write` replaces each
benchmark's section of docs/BENCHMARKS.md (between its `<!-- bench:NAME:begin/end -->` markers,
added before `<!-- bench:results:end -->` when missing) with a table of the metrics, their
targets, the exact command, the machine and the date. `--profile` runs each module's
`profile(quick)` instead and prints where the time goes; nothing is written.

Exit status: 1 when a benchmark failed to run, 0 otherwise (a missed target is a result).
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
import re
import shlex
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.common import ROOT, load_average, log, machine

BENCHMARKS = (
    "ledger_throughput",
    "register_batch",
    "verify_latency",
    "labels",
    "scan_to_verdict",
    "recall_notice",
    "alert_latency",
    "mixed_load",
    "detection_quality",
    "provenance_report",
)
DOC = ROOT / "docs" / "BENCHMARKS.md"
RESULTS_END = "<!-- bench:results:end -->"
_TARGET = re.compile(r"^\s*(<=|>=|<|>|==)\s*([-+]?[0-9_.]+)\s*$")


def target_for(module: ModuleType, metric: str) -> str:
    for pattern, target in getattr(module, "TARGETS", {}).items():
        if fnmatch.fnmatchcase(metric, pattern):
            return str(target)
    return ""


def met(value: Any, target: str) -> str:
    """'yes' / 'no' for a numeric value against a target like '>= 2000'; '' without target."""
    match = _TARGET.match(target)
    if not match or not isinstance(value, int | float):
        return ""
    op, bound = match.group(1), float(match.group(2).replace("_", ""))
    ok = {
        "<=": value <= bound,
        ">=": value >= bound,
        "<": value < bound,
        ">": value > bound,
        "==": value == bound,
    }[op]
    return "yes" if ok else "NO"


def fmt(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}"


def command_line(argv: list[str]) -> str:
    executable = Path(sys.executable)
    try:
        shown = str(executable.relative_to(ROOT))
    except ValueError:
        shown = "python"
    return " ".join([shown, "-m", "bench.run", *(shlex.quote(a) for a in argv)])


def machine_line(facts: dict[str, str]) -> str:
    return (
        f"nproc {facts['nproc']}, {facts['cpu']}, {facts['ram']} RAM, "
        f"Python {facts['python']}, SQLite {facts['sqlite']}, {facts['os']}, "
        f"commit {facts['commit']} (+ work tree)"
    )


def rows(module: ModuleType, metrics: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    out = []
    for name, value in metrics.items():
        target = target_for(module, name)
        out.append((name, fmt(value), target, met(value, target)))
    return out


def print_table(console: Console, name: str, module: ModuleType, result: dict[str, Any]) -> None:
    table = Table(title=f"{name}: {getattr(module, 'TITLE', '')} ({result['seconds']:.0f} s)")
    for column in ("metric", "value", "target", "met"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for metric, value, target, ok in rows(module, result["metrics"]):
        style = "red" if ok == "NO" else ("green" if ok == "yes" else None)
        table.add_row(metric, value, target, ok, style=style)
    console.print(table)


def section(name: str, module: ModuleType, result: dict[str, Any], facts: dict[str, str]) -> str:
    lines = [
        f"<!-- bench:{name}:begin -->",
        f"### {name}: {getattr(module, 'TITLE', '')}",
        "",
        "| | |",
        "|---|---|",
        f"| command | `{result['command']}` |",
        f"| machine | {machine_line(facts)} |",
        f"| date | {facts['date']} |",
        f"| load average (1/5/15 min) | {result['load']} (nproc {facts['nproc']}) |",
        f"| run time | {result['seconds']:.0f} s{' (--quick)' if result['quick'] else ''} |",
        "",
        "| metric | value | target | met |",
        "|---|--:|---|---|",
    ]
    lines += [f"| {m} | {v} | {t} | {ok} |" for m, v, t, ok in rows(module, result["metrics"])]
    lines.append(f"<!-- bench:{name}:end -->")
    return "\n".join(lines)


def write_doc(doc: Path, sections: dict[str, str]) -> None:
    text = doc.read_text() if doc.exists() else f"# Benchmarks\n\n## Results\n\n{RESULTS_END}\n"
    for name, body in sections.items():
        pattern = re.compile(
            rf"<!-- bench:{re.escape(name)}:begin -->.*?<!-- bench:{re.escape(name)}:end -->",
            re.DOTALL,
        )
        if pattern.search(text):
            text = pattern.sub(lambda _m, body=body: body, text, count=1)
        elif RESULTS_END in text:
            text = text.replace(RESULTS_END, f"{body}\n\n{RESULTS_END}", 1)
        else:
            text = text.rstrip("\n") + f"\n\n{body}\n"
    doc.write_text(text)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"of {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="smaller workloads (smoke run)")
    parser.add_argument("--write", action="store_true", help="record results in the doc")
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    parser.add_argument("--doc", type=Path, default=DOC, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {BENCHMARKS}")
    names = args.names or list(BENCHMARKS)
    console = Console()
    facts = machine()
    results: dict[str, dict[str, Any]] = {}
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        load_before = load_average()
        log(f"{name}: start{' (quick)' if args.quick else ''}; load average {load_before}")
        started = time.perf_counter()
        try:
            if args.profile:
                print(module.profile(args.quick))
                continue
            metrics = module.run(args.quick)
        except Exception:
            failed.append(name)
            console.print(f"[red]{name} failed:[/red]\n{traceback.format_exc()}")
            continue
        finally:
            log(f"{name}: {time.perf_counter() - started:.1f} s")
        results[name] = {
            "metrics": metrics,
            "seconds": time.perf_counter() - started,
            "quick": args.quick,
            "command": command_line(argv),
            "load": f"{load_before} before, {load_average()} after",
        }
        print_table(console, name, module, results[name])
    if args.write and results:
        write_doc(
            args.doc,
            {
                name: section(name, importlib.import_module(f"bench.{name}"), result, facts)
                for name, result in results.items()
            },
        )
        log(f"wrote {', '.join(results)} to {args.doc}")
    console.print(f"machine: {machine_line(facts)}; {facts['date']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
