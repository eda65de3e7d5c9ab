"""Static files of the pages: our own (dashboards/static) and the vendored browser libraries.

The libraries come from the npm registry at the exact versions of the repository's package.json
and package-lock.json (`npm ci`, run by scripts/e2e-setup.sh), and are served from node_modules
under /static/vendor/. Only the files named in `VENDOR_FILES` are served, so node_modules is never
browsable. Nothing is ever loaded from a CDN: the pages' Content-Security-Policy allows this
origin only.

PHARMATRACE_NODE_MODULES points at another node_modules folder (an installed package has none
next to it).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, Response

log = logging.getLogger("pharmatrace.dashboards")

STATIC_DIR = Path(__file__).parent / "static"
REPO_NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"

# URL name under /static/vendor/ → file inside node_modules.
VENDOR_FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
}
OWN_FILES = {
    "pharmatrace.css": "text/css",
    "manufacturer.js": "text/javascript",
    "regulator.js": "text/javascript",
    "regulator.css": "text/css",
    "report.css": "text/css",
}
CACHE_CONTROL = "no-cache"  # revalidate (ETag): a new npm ci or deploy shows up at once


def node_modules_dir() -> Path:
    configured = os.environ.get("PHARMATRACE_NODE_MODULES", "")
    return Path(configured) if configured else REPO_NODE_MODULES


def _missing(what: str, hint: str) -> Response:
    log.warning("static file missing: %s (%s)", what, hint)
    return JSONResponse(
        {"code": "ASSET_MISSING", "message": f"{what} is not installed: {hint}"}, status_code=404
    )


def _not_found(name: str) -> Response:
    return JSONResponse(
        {"code": "NOT_FOUND", "message": f"There is no static file {name}."}, status_code=404
    )


def build_assets_router(node_modules: Path | None = None) -> APIRouter:
    """GET /static/{name} and /static/vendor/{name}, allow-listed."""
    modules = node_modules or node_modules_dir()
    router = APIRouter(include_in_schema=False)

    @router.get("/static/vendor/{name}")
    def vendor_file(name: str) -> Response:
        relative = VENDOR_FILES.get(name)
        if relative is None:
            return _not_found(f"vendor/{name}")
        path = modules / relative
        if not path.is_file():
            return _missing(f"vendor/{name}", "run scripts/e2e-setup.sh (npm ci) first")
        return FileResponse(
            path, media_type="text/javascript", headers={"Cache-Control": CACHE_CONTROL}
        )

    @router.get("/static/{name}")
    def own_file(name: str) -> Response:
        media_type = OWN_FILES.get(name)
        if media_type is None:
            return _not_found(name)
        return FileResponse(
            STATIC_DIR / name, media_type=media_type, headers={"Cache-Control": CACHE_CONTROL}
        )

    return router
