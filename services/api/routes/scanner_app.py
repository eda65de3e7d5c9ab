"""The scanner web app at /scanner/: the page, its app shell and the vendored camera decoder.

The app is static (scanner_app/static): it calls the JSON API (`/api/v1/me`, `/verify`,
`/packs/decommission`, `/packs/undo`) with the API token as a Bearer header, so no page route
here reads or writes anything. Files are allow-listed, as in dashboards/assets.py: only those
named in `OWN_FILES` and `VENDOR_FILES` are served, so neither scanner_app/ nor node_modules is
browsable. zxing-wasm (the reader build: DataMatrix and QR) is served from node_modules (npm ci,
scripts/e2e-setup.sh), its .wasm too: the page loads nothing from another origin.

Every answer carries the Content-Security-Policy of the pages plus `'wasm-unsafe-eval'` (needed
to compile the decoder's WebAssembly; it does not allow `eval` of JavaScript) and
`worker-src 'self'` (the service worker).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from dashboards.assets import node_modules_dir
from scanner_app import STATIC_DIR

PREFIX = "/scanner"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",  # revalidate (ETag); the service worker keeps the offline copy
}
# URL name under /scanner/ → media type (files of scanner_app/static).
OWN_FILES = {
    "app.js": "text/javascript",
    "warehouse.js": "text/javascript",
    "notifications.js": "text/javascript",
    "app.css": "text/css",
    "sw.js": "text/javascript",
    "manifest.webmanifest": "application/manifest+json",
    "icon.svg": "image/svg+xml",
}
# URL name under /scanner/vendor/ → (file inside node_modules, media type).
VENDOR_FILES = {
    "zxing-reader.js": ("zxing-wasm/dist/iife/reader/index.js", "text/javascript"),
    "zxing_reader.wasm": ("zxing-wasm/dist/reader/zxing_reader.wasm", "application/wasm"),
}


def _not_found(name: str) -> Response:
    return JSONResponse(
        {"code": "NOT_FOUND", "message": f"There is no scanner file {name}."},
        status_code=404,
        headers=HEADERS,
    )


def build_router(node_modules: Path | None = None) -> APIRouter:
    """GET /scanner/ (the page), its allow-listed files and vendor files."""
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    @router.get("")
    def scanner_root() -> Response:
        # The service worker's scope is /scanner/: the page must live inside it.
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    @router.get("/")
    def scanner_page() -> Response:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=HEADERS)

    @router.get("/vendor/{name}")
    def vendor_file(name: str) -> Response:
        entry = VENDOR_FILES.get(name)
        if entry is None:
            return _not_found(f"vendor/{name}")
        path = (node_modules or node_modules_dir()) / entry[0]
        if not path.is_file():
            return JSONResponse(
                {
                    "code": "ASSET_MISSING",
                    "message": f"vendor/{name} is not installed: run scripts/e2e-setup.sh "
                    "(npm ci) first",
                },
                status_code=404,
                headers=HEADERS,
            )
        return FileResponse(path, media_type=entry[1], headers=HEADERS)

    @router.get("/{name}")
    def own_file(name: str) -> Response:
        media_type = OWN_FILES.get(name)
        if media_type is None:
            return _not_found(name)
        headers = dict(HEADERS)
        if name == "sw.js":
            headers["Service-Worker-Allowed"] = f"{PREFIX}/"
        return FileResponse(STATIC_DIR / name, media_type=media_type, headers=headers)

    return router


router = build_router()
