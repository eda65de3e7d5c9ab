"""Pages served by the PharmaTrace service: today the manufacturer page at /manufacturer.

`build_pages_router()` gives the FastAPI router the application includes: the pages, their
fragments for htmx, and the static files (our CSS and script, and the browser libraries vendored
from npm under /static/vendor). The pages call the services' Python API (domain functions, the
read model); they never reach the ledger another way.

    dashboards/
      pages.py      the manufacturer page's routes          session.py  cookie session, CSRF
      overview.py   read-model view of products, batches    jobs.py     background job registry
      forms.py      register-batch form validation          imports.py  CSV/Excel import job
      render.py     Jinja2 + security headers               assets.py   static and vendor files
      templates/    full pages and htmx fragments (_*.html) static/     CSS and our JS
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

__all__ = ["build_pages_router"]


def build_pages_router(node_modules: Path | None = None) -> APIRouter:
    """The pages and their static files; `node_modules` overrides where vendor files are read."""
    from dashboards.assets import build_assets_router
    from dashboards.pages import ManufacturerPages
    from dashboards.regulator import RegulatorPages
    from dashboards.report_page import ReportPages

    router = APIRouter(include_in_schema=False)
    router.include_router(build_assets_router(node_modules))
    router.include_router(ManufacturerPages().router())
    router.include_router(RegulatorPages().router())
    router.include_router(ReportPages().router())
    return router
