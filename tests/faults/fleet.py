"""The processes a fault trial runs and kills: the API service, the indexer and a ledger writer.

Each is a real OS process on one data directory, started as an operator would start it
(`pharmatrace serve`, `pharmatrace index follow`, the custody-loop writer) and killed with
SIGKILL, which no process can catch: no handler, no `finally`, no flush runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
SERVICE, INDEXER, WRITER = "service", "indexer", "ledger writer"
TARGETS = (SERVICE, INDEXER, WRITER)
STARTUP_SECONDS = 90
# The clients are a few threads on one address: the rate limiter must not answer them 429.
RATE_LIMITS_HIGH = {
    "PHARMATRACE_RATE_LIMIT": "100000",
    "PHARMATRACE_RATE_LIMIT_ANONYMOUS": "100000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pharmatrace() -> list[str]:
    script = Path(sys.executable).with_name("pharmatrace")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from services.cli.main import main; main()"]


@dataclass
class Fleet:
    """The trial's processes by name; `kill` and `start` them, `stop` them gracefully."""

    data_dir: Path
    writer_args: list[str]
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    starts: dict[str, int] = field(default_factory=dict)
    unexpected_exits: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, name: str) -> list[str]:
        if name == SERVICE:
            return [*pharmatrace(), "serve", "--port", str(self.port)]
        if name == INDEXER:
            return [*pharmatrace(), "index", "follow", "--interval", "0.1"]
        return [sys.executable, "-m", "tests.faults.ledger_writer", *self.writer_args]

    def start(self, name: str) -> None:
        count = self.starts.get(name, 0) + 1
        self.starts[name] = count
        log = self.data_dir / f"{name.replace(' ', '-')}-{count}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHARMATRACE_")}
        env |= {"PHARMATRACE_DATA_DIR": str(self.data_dir), "PYTHONPATH": str(REPO)}
        env |= RATE_LIMITS_HIGH
        with log.open("wb") as out:
            self.processes[name] = subprocess.Popen(
                self.command(name), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        if name == SERVICE:
            self.wait_healthy()

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            self.check_alive(SERVICE)
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the service was not healthy after {STARTUP_SECONDS} s")

    def wait_ready(self, name: str, banner: str, timeout: float = STARTUP_SECONDS) -> None:
        """Until the process's current log shows `banner`: a process stopped while still
        starting (before its signal handlers exist) would die without finishing its work."""
        log = self.data_dir / f"{name.replace(' ', '-')}-{self.starts[name]}.log"
        deadline = time.monotonic() + timeout
        while banner not in log.read_text(errors="replace"):
            self.check_alive(name)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not print {banner!r}")
            time.sleep(0.05)

    def check_alive(self, name: str) -> None:
        """Record a process that died on its own (not by our kill): that is a finding."""
        process = self.processes[name]
        if process.poll() is not None:
            self.unexpected_exits.append(f"{name} exited with {process.returncode}")
            raise RuntimeError(f"{name} exited on its own with {process.returncode}")

    def kill(self, name: str) -> None:
        process = self.processes[name]
        self.check_alive(name)
        process.send_signal(signal.SIGKILL)
        process.wait(30)

    def stop(self, name: str, timeout: float = 60) -> int:
        """SIGTERM and wait; a process that does not stop in time is killed (and reported)."""
        process = self.processes[name]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.unexpected_exits.append(f"{name} did not stop on SIGTERM")
                process.kill()
                process.wait(30)
        if process.returncode not in (0, -signal.SIGTERM):
            self.unexpected_exits.append(f"{name} stopped with {process.returncode}")
        return process.returncode

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            if self.processes[name].poll() is None:
                self.processes[name].kill()
                self.processes[name].wait(30)
