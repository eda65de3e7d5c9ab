"""A `pharmatrace` command that serves HTTP, run as a real process on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pharmatrace_command() -> list[str]:
    """The installed console script, or the same entry point through this interpreter."""
    script = Path(sys.executable).with_name("pharmatrace")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from services.cli.main import main; main()"]


class ServedProcess:
    """`pharmatrace ARGS… --port <free port>`, with stdout and stderr kept in files."""

    def __init__(self, tmp_path: Path, *args: str, scheme: str = "http") -> None:
        self.port = free_port()
        self.base = f"{scheme}://127.0.0.1:{self.port}"
        self.stdout = tmp_path / "served.out"
        self.stderr = tmp_path / "served.err"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHARMATRACE_")}
        command = [*pharmatrace_command(), *args, "--port", str(self.port)]
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err, cwd=tmp_path, env=env)

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"exited with {self.process.returncode}:\n{self.logs()}")
            try:
                # Readiness only: the HTTPS tests check the certificate themselves.
                health = httpx.get(f"{self.base}/health", timeout=2, verify=False)
                if health.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        pytest.fail(f"not healthy after {STARTUP_SECONDS} s:\n{self.logs()}")

    def logs(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; uvicorn re-raises it after a clean shutdown."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def stopped_cleanly(self) -> bool:
        return self.stop() in (0, -signal.SIGTERM) and "Application shutdown complete" in (
            self.stderr.read_text(errors="replace")
        )
