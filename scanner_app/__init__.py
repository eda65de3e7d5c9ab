"""The scanner web app (PWA): its static files, served by `services.api.routes.scanner_app`.

    scanner_app/static/   index.html, app.js (scan, verdict, dispense), app.css, sw.js (app-shell
                          cache), manifest.webmanifest, icon.svg

The page is plain JavaScript calling the JSON API with `Authorization: Bearer` (the API token is
kept in sessionStorage); the camera decoder (zxing-wasm) is vendored from npm, see README.md.
"""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
