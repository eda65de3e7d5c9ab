"""The FastAPI application: `create_app(runtime)`, and `app_from_env` for uvicorn.

    uvicorn --factory services.api.main:app_from_env

Nothing is opened at import time. An application made by `app_from_env` owns its runtime: it
follows the ledger in the background while serving (blocks written by other processes, such as
the CLI) and closes the runtime on shutdown. One made by `create_app` leaves its runtime to the
caller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from dashboards import build_pages_router
from services.api.errors import install_error_handlers
from services.api.limits import BodyLimitMiddleware
from services.api.ratelimit import Limit, RateLimitMiddleware, document_rate_limits
from services.api.routes import (
    batch_import,
    build_api_router,
    health,
    labels,
    reports,
    scanner_app,
)
from services.batch_import.reader import max_import_bytes
from services.config import Settings
from services.notifications.shutdown import close_streams_on_stop_signal
from services.runtime import Runtime

API_PREFIX = "/api/v1"
# Routes that take whole files (CSV/Excel imports): their own, larger, streamed limit.
UPLOAD_PATHS = ("/api/v1/batches/import", "/manufacturer/imports")

DESCRIPTION = """\
Pharmaceutical supply-chain traceability: batch tokens on a Hyperledger-Fabric-style ledger,
custody by shipment, pack verification and decommissioning (EU FMD), provenance for regulators.

Authenticate with `Authorization: Bearer <API token>`. Every error is JSON
`{"code": "...", "message": "..."}`. Writes accept an `Idempotency-Key` header.
Live notices (recalls to everyone, new alerts to regulators) stream from
`GET /api/v1/notifications` as server-sent events.
"""


@asynccontextmanager
async def _owned_runtime(app: FastAPI) -> AsyncIterator[None]:
    runtime: Runtime = app.state.runtime
    runtime.start_indexer()
    # Open notification streams would keep uvicorn from stopping: end them on its stop signal.
    restore_signals = close_streams_on_stop_signal(runtime.notifications)
    try:
        yield
    finally:
        restore_signals()
        runtime.close()


def create_app(runtime: Runtime, *, owns_runtime: bool = False) -> FastAPI:
    """The HTTP API over `runtime`; with `owns_runtime`, serving also starts and closes it."""
    app = FastAPI(
        title="PharmaTrace",
        version=health.package_version(),
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=_owned_runtime if owns_runtime else None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=runtime.settings.max_body_bytes,
        upload_paths=UPLOAD_PATHS,
        # multipart framing around the file: allow a little more than the file limit
        upload_max_bytes=max_import_bytes() + 64 * 1024,
        max_json_depth=runtime.settings.max_json_depth,
    )
    settings = runtime.settings
    app.add_middleware(  # outermost: refuses before the body is read
        RateLimitMiddleware,
        per_token=Limit(settings.rate_limit, settings.rate_burst),
        per_address=Limit(settings.rate_limit_anonymous, 5 * settings.rate_limit_anonymous),
    )
    app.include_router(health.router)
    # Before the batches' routes: their /batches/{gtin}/{lot:path} would take "LOT/labels.pdf".
    app.include_router(labels.router, prefix=API_PREFIX)
    app.include_router(batch_import.router, prefix=API_PREFIX)
    app.include_router(reports.router, prefix=API_PREFIX)  # before provenance's {lot:path}
    app.include_router(build_api_router(), prefix=API_PREFIX)
    app.include_router(build_pages_router())
    app.include_router(scanner_app.router)
    document_rate_limits(app)  # after every router: 429 on each /api/ route
    return app


def app_from_env() -> FastAPI:
    """uvicorn factory: a runtime from PHARMATRACE_* environment variables, and its API."""
    return create_app(Runtime(Settings.from_env()), owns_runtime=True)
