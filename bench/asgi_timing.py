"""Serve the real API under uvicorn with a timing wrapper: server-side latency without touching it.

    PHARMATRACE_DATA_DIR=... python -m bench.asgi_timing --port 8123 [--phases F] [--cprofile F]

The app is `services.api.main.app_from_env()` (the factory `uvicorn --factory` would call),
wrapped in `TimingMiddleware`, the outermost ASGI layer: a request's server time runs from the
moment uvicorn hands it to the app (request head parsed) to the moment the last byte of the
response body is handed back to uvicorn. It therefore includes FastAPI, every middleware,
validation, the thread-pool hop of sync endpoints and waits for the GIL; it leaves out the socket
and HTTP parsing in uvicorn itself, which the client's round-trip time includes.

`GET /__bench/timings` (answered by the wrapper, never by the app) returns the recorded
`[path, status, kind, seconds]` rows and clears them; `kind` is the request's `X-Bench-Kind`
header. Binds 127.0.0.1 only. With `--phases`, a few domain functions are timed (wall and CPU)
and written as JSON at shutdown; with `--cprofile`, every thread is profiled and the stats are
dumped at shutdown.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TIMINGS_PATH = "/__bench/timings"


class TimingMiddleware:
    """Records (path, status, kind, seconds) of every HTTP request the wrapped app serves."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.rows: list[tuple[str, int, str, float]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == TIMINGS_PATH:
            await self._answer_timings(send)
            return
        started = time.perf_counter()
        status = 0
        kind = ""
        for name, value in scope.get("headers", []):
            if name == b"x-bench-kind":
                kind = value.decode("latin-1")

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.rows.append((scope["path"], status, kind, time.perf_counter() - started))

        await self.app(scope, receive, timed_send)

    async def _answer_timings(self, send: Send) -> None:
        rows, self.rows = self.rows, []
        body = json.dumps(rows).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def phase_targets() -> dict[str, tuple[object, str]]:
    from services.api import deps
    from services.api.routes import scanning
    from services.domain import verification

    # The route function itself is held by FastAPI since import; what it calls is patchable.
    return {
        "authenticate token (SQL)": (deps, "authenticate"),
        "verification.verify": (verification, "verify"),
        "  parse_code (GS1)": (verification, "parse_code"),
        "  judge (read-model look-ups)": (verification, "_judge"),
        "  record scan (SQL write)": (verification, "_record_scan"),
        "verdict_public (response model)": (scanning, "verdict_public"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--phases", help="write per-phase wall/CPU timings (JSON) here")
    parser.add_argument("--cprofile", help="dump cProfile stats of every thread here")
    args = parser.parse_args(argv)

    import uvicorn

    from bench.common import PhaseTimer, ThreadProfiler
    from services.api.main import app_from_env

    phases = PhaseTimer(phase_targets()) if args.phases else None
    profiler = ThreadProfiler(cpu=False) if args.cprofile else None
    if phases:
        phases.__enter__()
    cpu0 = time.process_time()
    if profiler:
        profiler.start()
    app = TimingMiddleware(app_from_env())
    config = uvicorn.Config(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False
    )
    try:
        uvicorn.Server(config).run()
    finally:
        cpu = time.process_time() - cpu0
        if profiler:
            profiler.stop().dump_stats(args.cprofile)
        if phases:
            phases.__exit__(None, None, None)
            report: dict[str, Any] = {
                "process_cpu": cpu,
                "calls": phases.calls,
                "wall": phases.wall,
                "cpu": phases.cpu,
            }
            with open(args.phases, "w") as out:
                json.dump(report, out)


if __name__ == "__main__":
    main()
