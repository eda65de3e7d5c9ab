"""Jinja2 rendering of the pages, with the security headers every HTML answer carries.

Templates live in dashboards/templates: full pages extend `base.html`; fragments (file names
starting with `_`) are what htmx swaps in. Autoescaping is on for every template.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.errors import PharmaTraceError

TEMPLATE_DIR = Path(__file__).parent / "templates"

# Everything from this origin only: no CDN, no inline script; styles only from our stylesheet.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _segment(value: object) -> str:
    """A path segment: every reserved character percent-encoded (lots may hold '/')."""
    return quote(str(value), safe="")


def _thousands(value: int) -> str:
    return f"{value:,}"


def _short(tx_id: str) -> str:
    return tx_id[:12] + "…" if len(tx_id) > 12 else tx_id


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["segment"] = _segment
    env.filters["thousands"] = _thousands
    env.filters["short"] = _short
    return env


class Renderer:
    """Templates → HTMLResponse with the security headers."""

    def __init__(self) -> None:
        self.env = make_environment()

    def html(
        self,
        template: str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **context: object,
    ) -> HTMLResponse:
        body = self.env.get_template(template).render(**context)
        return HTMLResponse(
            body, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})}
        )

    def error(
        self, error: PharmaTraceError, *, problems: list[str] | None = None, status: int = 0
    ) -> HTMLResponse:
        """The `{code, message}` of an error as an alert fragment, with the error's status."""
        return self.html(
            "_error.html", status=status or error.status, error=error, problems=problems or []
        )
