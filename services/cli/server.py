"""`pharmatrace serve`: the HTTP API (uvicorn) over the configured data, indexer following.

With `--workers N` (N > 1), uvicorn runs N worker processes, each importing the app through the
factory `services.api.main:app_from_env` with the settings passed as PHARMATRACE_* environment
variables. Each worker owns a Runtime: its own connections to the ledger and read model, its own
indexer following the ledger. That is the multi-process use the embedded ledger and the read
model are built for: SQLite in WAL mode lets every process read while one writes, ledger blocks
and read-model writes take SQLite's write lock (BEGIN IMMEDIATE), and the indexers re-read the
checkpoint under that lock, so two of them never apply a block twice. Python runs one core per
process, so N workers let the API use N cores.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path
from typing import Annotated, TextIO, cast

import typer
from rich.console import Console

from services.cli.context import cli_state
from services.config import ConfigError, Settings
from services.runtime import Runtime
from services.tls import ServerCertificate, given, lan_addresses, self_signed

HostOption = Annotated[str, typer.Option("--host", help="Interface to listen on.")]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")]
WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        max=64,
        help="Worker processes (uvicorn workers); about one per CPU core.",
    ),
]

HttpsOption = Annotated[
    bool,
    typer.Option(
        "--https",
        help="Serve HTTPS with a self-signed certificate (made on first use, kept in the data "
        "directory): a phone's browser gives the scanner app its camera only over HTTPS.",
    ),
]
CertOption = Annotated[
    Path | None,
    typer.Option("--cert", dir_okay=False, help="Your own certificate (PEM) for HTTPS."),
]
KeyOption = Annotated[
    Path | None,
    typer.Option("--key", dir_okay=False, help="The private key (PEM) of --cert."),
]

APP_FACTORY = "services.api.main:app_from_env"
TLS_DIR = "tls"


def https_certificate(
    settings: Settings, *, https: bool, cert: Path | None, key: Path | None
) -> ServerCertificate | None:
    """The certificate to serve with: the operator's (--cert/--key), a self-signed one kept in
    the data directory (--https), or none (plain HTTP)."""
    if (cert is None) != (key is None):
        raise ConfigError("Give both --cert and --key, or neither.")
    if cert is not None and key is not None:
        return given(cert, key)
    if https:
        return self_signed(settings.data_dir / TLS_DIR)
    return None


def _print_https(console: Console, tls: ServerCertificate, port: int, host: str) -> None:
    """Where a phone opens the scanner, the fingerprint to compare, and a QR code of the URL."""
    made = "made" if tls.created else "reused"
    console.print(f"HTTPS certificate {made}: {tls.cert_path}", soft_wrap=True)
    console.print(f"SHA-256 fingerprint: [bold]{tls.fingerprint}[/]", soft_wrap=True)
    lan = [name for name in lan_addresses() if name in tls.names]
    if host in ("127.0.0.1", "localhost", "::1"):
        console.print(
            "Listening on this machine only: add [bold]--host 0.0.0.0[/] to reach it from a phone.",
            soft_wrap=True,
        )
        return
    for address in lan:
        console.print(f"On a phone on this network: [bold]https://{address}:{port}/scanner/[/]")
    if lan:
        import segno

        segno.make(f"https://{lan[0]}:{port}/scanner/", error="m").terminal(
            out=cast(TextIO, console.file), compact=True
        )


def settings_env(settings: Settings) -> dict[str, str]:
    """The PHARMATRACE_* variables from which `Settings.from_env` rebuilds `settings`."""
    return {
        "PHARMATRACE_DATA_DIR": str(settings.data_dir.resolve()),
        "PHARMATRACE_DATABASE_URL": settings.database_url,
        "PHARMATRACE_LEDGER": settings.ledger,
        "PHARMATRACE_LEDGER_SYNC": settings.ledger_sync,
        "PHARMATRACE_MAX_BODY_BYTES": str(settings.max_body_bytes),
    }


def run_workers(
    app_factory: str,
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
    access_log: bool = True,
    tls: ServerCertificate | None = None,
) -> None:
    """`uvicorn.run(app_factory, factory=True, workers=N)`, with TCP_NODELAY on every connection.

    uvicorn binds the shared listening socket as `socket.socket(AF_INET)` (proto 0), and asyncio
    sets TCP_NODELAY only on accepted sockets whose proto is IPPROTO_TCP: without it every answer
    (headers, then body: two writes) waits for the client's delayed ACK, about 40 ms on Linux.
    The same descriptor, re-wrapped with proto IPPROTO_TCP, is handed to the workers instead.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        app_factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
        ssl_certfile=str(tls.cert_path) if tls else None,
        ssl_keyfile=str(tls.key_path) if tls else None,
    )
    listener = config.bind_socket()
    if listener.family in (socket.AF_INET, socket.AF_INET6):
        listener = socket.socket(
            listener.family, listener.type, socket.IPPROTO_TCP, fileno=listener.detach()
        )
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[listener]).run()


def serve_api(
    settings: Settings,
    *,
    host: str,
    port: int,
    console: Console,
    workers: int = 1,
    tls: ServerCertificate | None = None,
) -> None:
    """Run the API until interrupted, on a Runtime with the real clock.

    The app owns the runtime: its lifespan starts the indexer (following blocks other processes
    write) and closes the runtime on shutdown, before uvicorn re-raises a SIGTERM it caught."""
    import uvicorn  # imported here: only serving needs the server and the API

    from services.api.main import create_app

    scheme = "https" if tls else "http"
    if tls is not None:
        _print_https(console, tls, port, host)
    banner = (
        f"Serving the API on [bold]{scheme}://{host}:{port}[/] "
        f"(docs: {scheme}://{host}:{port}/docs)"
        f"{f' with {workers} worker processes' if workers > 1 else ''}; Ctrl+C stops it."
    )
    if workers > 1:
        # Opened once here first: the ledger's genesis block, the read-model schema and the
        # indexer's checkpoint row are created before workers race to create them, and the read
        # model is brought up to the ledger so that no worker starts with a long catch-up.
        rt = Runtime(settings)
        try:
            rt.indexer.catch_up()
        finally:
            rt.close()
        os.environ.update(settings_env(settings))  # inherited by the worker processes
        console.print(banner, soft_wrap=True)
        run_workers(APP_FACTORY, host=host, port=port, workers=workers, log_level="info", tls=tls)
        return
    rt = Runtime(settings)
    try:
        app = create_app(rt, owns_runtime=True)
        console.print(banner, soft_wrap=True)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            ssl_certfile=str(tls.cert_path) if tls else None,
            ssl_keyfile=str(tls.key_path) if tls else None,
        )
    finally:
        rt.close()  # already closed by the lifespan after a clean shutdown; closing is idempotent


def serve(
    ctx: typer.Context,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: WorkersOption = 1,
    https: HttpsOption = False,
    cert: CertOption = None,
    key: KeyOption = None,
) -> None:
    """Serve the HTTP API over the configured data directory (--https for phones on the LAN)."""
    state = cli_state(ctx)
    settings = state.settings()
    tls = https_certificate(settings, https=https, cert=cert, key=key)
    serve_api(settings, host=host, port=port, console=state.err, workers=workers, tls=tls)
