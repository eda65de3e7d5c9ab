"""Helpers shared by the benchmarks: machine facts, percentiles, scratch folders, profiling."""

from __future__ import annotations

import contextlib
import cProfile
import inspect
import os
import platform
import pstats
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def machine() -> dict[str, str]:
    """The facts every recorded result carries."""
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
                break
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": model,
        "ram": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": f"{platform.system()} {platform.release()}",
        "commit": git_commit(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews every result."""
    try:
        with open("/proc/loadavg") as loadavg:
            return " / ".join(loadavg.read().split()[:3])
    except OSError:
        return "unknown"


def git_commit() -> str:
    """The checked-out commit (read-only `git rev-parse`; the work tree may differ from it)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100); 0.0 when empty."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return float(sorted_values[rank - 1])


@contextlib.contextmanager
def scratch_dir(name: str) -> Iterator[Path]:
    """A fresh folder under the system temp dir, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=f"pharmatrace-bench-{name}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def log(message: str) -> None:
    """Progress to stderr, so stdout stays the result."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class ThreadProfiler:
    """cProfile for every thread: the current one and each thread started while it is active.

    cProfile only sees the thread that enabled it, so a hook set with `threading.setprofile`
    starts one profiler per new thread on that thread's first event; `stats()` merges them.
    Threads started before `start()` (other than the caller) are not profiled.

    With `cpu=True` (the default) the timer is the thread's CPU clock, so time spent waiting (on a
    lock, a future, the GIL, an fsync) counts for nothing and shares are shares of CPU work; with
    `cpu=False` it is wall time, waits included.
    """

    def __init__(self, *, cpu: bool = True) -> None:
        self._profilers: list[cProfile.Profile] = []
        self._lock = threading.Lock()
        self._timer = time.thread_time if cpu else time.perf_counter

    def _new(self) -> cProfile.Profile:
        return cProfile.Profile(self._timer)

    def _hook(self, _frame: object, _event: str, _arg: object) -> None:
        profiler = self._new()
        with self._lock:
            self._profilers.append(profiler)
        profiler.enable()  # replaces this hook for the thread

    def start(self) -> None:
        threading.setprofile(self._hook)
        main = self._new()
        self._profilers.append(main)
        main.enable()

    def stop(self) -> pstats.Stats:
        threading.setprofile(None)  # type: ignore[arg-type]
        for profiler in self._profilers:
            profiler.disable()
        stats = pstats.Stats(self._profilers[0])
        for profiler in self._profilers[1:]:
            with contextlib.suppress(TypeError):  # a profiler that saw nothing
                stats.add(profiler)
        return stats


# Built-ins where a thread only waits (GIL released, no CPU): left out of the cost shares.
WAITS = (
    "of '_thread.lock' objects",
    "of '_thread.RLock' objects",
    "time.sleep",
    "'poll' of 'select.",
    "'select' of 'select.",
    "'control' of 'select.kqueue",
    "select.select",
    "'get' of '_queue.SimpleQueue'",
)


def is_wait(filename: str, name: str) -> bool:
    return filename == "~" and any(w in name for w in WAITS)


def top_costs(stats: pstats.Stats, limit: int = 15) -> list[dict[str, object]]:
    """The functions with the most own time (tottime), waits excluded, as shares of the rest."""
    rows = []
    raw = stats.stats  # type: ignore[attr-defined]
    total = 0.0
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
        if is_wait(filename, name):
            continue
        total += tottime
        rows.append((tottime, cumtime, ncalls, _where(filename, line, name)))
    rows.sort(reverse=True)
    return [
        {
            "function": where,
            "own_s": round(tottime, 3),
            "share_%": round(100 * tottime / total, 1) if total else 0.0,
            "cum_s": round(cumtime, 3),
            "calls": ncalls,
        }
        for tottime, cumtime, ncalls, where in rows[:limit]
    ]


def _where(filename: str, line: int, name: str) -> str:
    if filename == "~":
        return name
    path = filename
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{line}({name})"


class PhaseTimer:
    """Wall and CPU time of a few named methods, patched in for one profiling run.

    Cheap (two clock reads per call), so unlike cProfile it hardly slows what it measures. CPU time
    is the calling thread's (`time.thread_time`): a phase whose wall time far exceeds its CPU time
    is waiting (a lock, the GIL, an fsync, a future).
    """

    def __init__(self, targets: dict[str, tuple[object, str]]) -> None:
        self._targets = targets
        self._originals: list[tuple[object, str, object]] = []
        self.calls: dict[str, int] = dict.fromkeys(targets, 0)
        self.wall: dict[str, float] = dict.fromkeys(targets, 0.0)
        self.cpu: dict[str, float] = dict.fromkeys(targets, 0.0)
        self._lock = threading.Lock()

    def __enter__(self) -> PhaseTimer:
        for label, (owner, attr) in self._targets.items():
            if not hasattr(owner, attr):
                log(f"phase {label!r}: {owner!r} has no {attr!r} any more; not timed")
                continue
            raw = inspect.getattr_static(owner, attr)
            timed = self._wrap(label, getattr(owner, attr))
            self._originals.append((owner, attr, raw))
            setattr(owner, attr, staticmethod(timed) if isinstance(raw, staticmethod) else timed)
        return self

    def __exit__(self, *_exc: object) -> None:
        for owner, attr, original in reversed(self._originals):
            setattr(owner, attr, original)
        self._originals.clear()

    def _wrap(self, label: str, original: object) -> object:
        def timed(*args: object, **kwargs: object) -> object:
            wall0, cpu0 = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)  # type: ignore[operator]
            finally:
                wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
                with self._lock:
                    self.calls[label] += 1
                    self.wall[label] += wall
                    self.cpu[label] += cpu

        return timed

    def report(self, process_cpu: float, per: int, unit: str) -> list[str]:
        """One line per phase: calls, wall and CPU per `unit`, share of the process's CPU time."""
        return phase_report(
            {"calls": self.calls, "wall": self.wall, "cpu": self.cpu}, process_cpu, per, unit
        )


def phase_report(
    timings: dict[str, dict[str, Any]], process_cpu: float, per: int, unit: str
) -> list[str]:
    """Lines of a phase table from `PhaseTimer` counters (calls, wall, cpu per label)."""
    wall, cpu = f"wall ms/{unit}", f"CPU ms/{unit}"
    lines = [f"{'phase':<40}{'calls':>8}{wall:>16}{cpu:>15}{'% of CPU':>10}"]
    for label, calls in timings["calls"].items():
        lines.append(
            f"{label:<40}{calls:>8}"
            f"{1000 * timings['wall'][label] / max(per, 1):>16.3f}"
            f"{1000 * timings['cpu'][label] / max(per, 1):>15.3f}"
            f"{100 * timings['cpu'][label] / process_cpu if process_cpu else 0:>10.1f}"
        )
    return lines


def format_costs(rows: list[dict[str, object]]) -> list[str]:
    return [
        f"{row['share_%']:>5}%  {row['own_s']:>7}s own  {row['cum_s']:>7}s cum  "
        f"{row['calls']:>8} calls  {row['function']}"
        for row in rows
    ]


def _package(filename: str, name: str) -> str:
    if filename == "~":
        for needle, label in (
            ("sqlite3", "sqlite3 (C, SQL execution)"),
            ("cryptography", "cryptography (C, ECDSA)"),
            ("_hashlib", "hashlib"),
            ("posix.urandom", "os.urandom"),
            ("_json", "json"),
        ):
            if needle in name:
                return label
        return "builtins"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    root = str(ROOT) + "/"
    if filename.startswith(root):
        parts = filename[len(root) :].split("/")
        return "/".join(parts[:2]) if len(parts) > 2 else parts[0]
    if "/lib/python3" in filename:
        return "stdlib " + filename.rsplit("/lib/python3", 1)[1].split("/", 2)[1].removesuffix(
            ".py"
        )
    return filename


def by_package(stats: pstats.Stats, limit: int = 12) -> list[str]:
    """Own time summed per package or project folder, as shares (waits left out)."""
    totals: dict[str, float] = {}
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _n, tottime, _cum, _callers) in raw.items():
        if is_wait(filename, name):
            continue
        key = _package(filename, name)
        totals[key] = totals.get(key, 0.0) + tottime
    grand = sum(totals.values()) or 1.0
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:limit]
    return [f"{100 * t / grand:>5.1f}%  {t:>7.3f}s  {pkg}" for pkg, t in ranked]
