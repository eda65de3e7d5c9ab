"""Background processes we start, and only those: pid files that know which binary they ran.

A pid alone is not an identity: after a reboot or a long time the number may belong to an
unrelated process. Each pid file therefore also records the resolved executable and the
process start time from ``/proc/<pid>/stat``; ``stop`` signals a pid only while both still
match, so ``down`` can never kill something it did not start. Linux only (``/proc``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from network.errors import FabricError

# Popen objects of the processes this Python process started. Kept so they are not garbage
# collected while the child runs (Popen.__del__ warns "still running") and so that stopping
# reaps through them. A CLI process exits while its nodes go on; that is what we want.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ProcessRecord:
    name: str
    pid: int
    exe: str  # /proc/<pid>/exe right after exec: what the kernel says we started
    start_ticks: int  # field 22 of /proc/<pid>/stat: differs for a reused pid
    argv: list[str]
    log: str


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None  # field 22 overall, 20th after comm/state


def is_zombie(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] in ("Z", "X")


def process_exe(pid: int) -> str | None:
    try:
        return os.path.realpath(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return None


def read_record(pid_file: Path) -> ProcessRecord | None:
    try:
        data = json.loads(pid_file.read_text())
        return ProcessRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def is_ours(record: ProcessRecord) -> bool:
    """True while the recorded pid is still the very process we started, and alive."""
    _reap(record.pid)
    if is_zombie(record.pid):
        return False
    return start_ticks(record.pid) == record.start_ticks and process_exe(record.pid) == record.exe


def running(pid_file: Path) -> ProcessRecord | None:
    """The live process behind ``pid_file``; a stale pid file is removed."""
    record = read_record(pid_file)
    if record is None:
        return None
    if is_ours(record):
        return record
    pid_file.unlink(missing_ok=True)
    return None


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    pid_file: Path,
) -> ProcessRecord:
    """Start ``argv`` detached (own session: a Ctrl-C in the CLI does not reach it)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} start {name}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # Popen returns once exec has succeeded, so /proc shows the program itself now (for a
    # script: its interpreter), and start time and exe stay fixed for the process's life.
    _CHILDREN[proc.pid] = proc
    ticks, exe = start_ticks(proc.pid), process_exe(proc.pid)
    if ticks is None or exe is None:  # died before we could look at it
        proc.wait()
        _CHILDREN.pop(proc.pid, None)
        raise FabricError(f"{name} exited at once (code {proc.returncode}); see {log}")
    record = ProcessRecord(name, proc.pid, exe, ticks, list(argv), str(log))
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2) + "\n")
    tmp.replace(pid_file)
    return record


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our own child (else it would linger as zombie)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _CHILDREN[pid]
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _signal(record: ProcessRecord, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        # Our processes lead their own session and process group: signal the group, so a
        # chaincode server's helpers go too. Fall back to the pid if it is not a leader.
        if os.getpgid(record.pid) == record.pid:
            os.killpg(record.pid, sig)
        else:
            os.kill(record.pid, sig)


def _wait_gone(record: ProcessRecord, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_ours(record):
            return True
        time.sleep(0.05)
    return not is_ours(record)


def stop(pid_file: Path, *, timeout_s: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after ``timeout_s``. True if a process of ours was stopped."""
    record = read_record(pid_file)
    if record is None or not is_ours(record):
        pid_file.unlink(missing_ok=True)
        return False
    _signal(record, signal.SIGTERM)
    if not _wait_gone(record, timeout_s):
        _signal(record, signal.SIGKILL)
        if not _wait_gone(record, 5.0):
            raise FabricError(f"{record.name} (pid {record.pid}) survived SIGKILL")
    pid_file.unlink(missing_ok=True)
    return True


def tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a log file, reading only its end."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 256 * max(lines, 1) - 4096))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:]) if lines > 0 else ""


def stop_many(pid_files: Sequence[Path], *, timeout_s: float = 10.0) -> list[str]:
    """Stop several processes at once: SIGTERM to all, then wait, then SIGKILL stragglers.

    Signalling together bounds ``down`` by one timeout instead of one per node.
    """
    live: list[tuple[Path, ProcessRecord]] = []
    for pid_file in pid_files:
        record = read_record(pid_file)
        if record is not None and is_ours(record):
            live.append((pid_file, record))
            _signal(record, signal.SIGTERM)
        else:
            pid_file.unlink(missing_ok=True)
    deadline = time.monotonic() + timeout_s
    for _, record in live:
        _wait_gone(record, max(0.0, deadline - time.monotonic()))
    for _, record in live:
        if is_ours(record):
            _signal(record, signal.SIGKILL)
    for pid_file, record in live:
        if not _wait_gone(record, 5.0):
            raise FabricError(f"{record.name} (pid {record.pid}) survived SIGKILL")
        pid_file.unlink(missing_ok=True)
    return [record.name for _, record in live]
