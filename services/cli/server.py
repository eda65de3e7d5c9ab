"""`pharmatrace serve`: the HTTP API (uvicorn) over the configured data, indexer following."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from services.cli.context import cli_state
from services.config import Settings
from services.runtime import Runtime

HostOption = Annotated[str, typer.Option("--host", help="Interface to listen on.")]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")]


def serve_api(settings: Settings, *, host: str, port: int, console: Console) -> None:
    """Run the API until interrupted, on a Runtime with the real clock.

    The app owns the runtime: its lifespan starts the indexer (following blocks other processes
    write) and closes the runtime on shutdown, before uvicorn re-raises a SIGTERM it caught."""
    import uvicorn  # imported here: only serving needs the server and the API

    from services.api.main import create_app

    rt = Runtime(settings)
    try:
        app = create_app(rt, owns_runtime=True)
        console.print(
            f"Serving the API on [bold]http://{host}:{port}[/] "
            f"(docs: http://{host}:{port}/docs); Ctrl+C stops it.",
            soft_wrap=True,
        )
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        rt.close()  # already closed by the lifespan after a clean shutdown; closing is idempotent


def serve(
    ctx: typer.Context,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
) -> None:
    """Serve the HTTP API over the configured data directory."""
    state = cli_state(ctx)
    serve_api(state.settings(), host=host, port=port, console=state.err)
