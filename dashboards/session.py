"""Page sessions: the API token kept in an HttpOnly cookie, and a CSRF token derived from it.

The JSON API authenticates with `Authorization: Bearer`; a browser cannot attach that header to a
link or a form, so the pages keep the same API token in a cookie instead:

- `HttpOnly` (scripts never read it), `SameSite=Strict` (no cross-site request carries it),
  `Path=<the area>` (the JSON API never sees it, so it stays Bearer-only; one area's cookie is
  never sent to another area), `Secure` over HTTPS.
- Every state-changing page request must also carry the CSRF token (`X-CSRF-Token` header, set
  by htmx from the page, or a `csrf` form field). It is a digest of the API token, so it needs no
  server-side storage, and a page of another site can neither read nor compute it.
- The token is checked on every request (`services.auth.tokens.authenticate`), so revoking it
  ends the page session too.

Each area of pages (`/manufacturer`, `/regulator`) is a `PageArea`: its path, which is also the
cookie's path, and the one role allowed in. The module-level functions are the manufacturer
area's, kept for the manufacturer page.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from services.auth.tokens import AuthError, authenticate
from services.errors import PharmaTraceError, forbidden
from services.runtime import Actor, Runtime

SESSION_COOKIE = "pt_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
NEXT_FIELD = "next"
MANUFACTURER = "manufacturer"
REGULATOR = "regulator"
SESSION_SECONDS = 8 * 3600  # a working day; the token itself does not expire


class SignedOutError(AuthError):
    """No session cookie, or its token is unknown or revoked."""


def csrf_token(api_token: str) -> str:
    return hashlib.sha256(b"pharmatrace-page-csrf\x00" + api_token.encode()).hexdigest()[:32]


def session_token(request: Request) -> str | None:
    """The token of the cookie the browser sent; only the current area's cookie reaches it."""
    return request.cookies.get(SESSION_COOKIE) or None


@dataclass(frozen=True)
class PageArea:
    """A group of pages under one path, for one role, with its own cookie session."""

    path: str  # "/regulator": the pages' prefix and the cookie's Path
    role: str  # the only organization role allowed in
    title: str  # "Regulator": shown in the top bar and in refusals

    def actor_for(self, rt: Runtime, api_token: str) -> Actor:
        """The actor of `api_token` if its organization has this area's role; AuthError or 403."""
        actor = authenticate(rt, api_token.strip())
        if actor.role != self.role:
            raise forbidden(
                "FORBIDDEN_ROLE",
                f"This page is for {self.role}s; the token is of {actor.msp_id}, a {actor.role}.",
            )
        return actor

    def page_actor(self, rt: Runtime, request: Request) -> Actor:
        """The signed-in actor of this area's session cookie, or SignedOutError."""
        token = session_token(request)
        if token is None:
            raise SignedOutError("Sign in with your organization's API token.")
        try:
            return self.actor_for(rt, token)
        except AuthError as error:
            raise SignedOutError(f"{error.message} Sign in again.") from error
        except PharmaTraceError as error:
            raise SignedOutError(f"{error.message} Sign in again.") from error

    def owns(self, target: str) -> bool:
        """`target` is a local path inside this area (a safe place to return to after sign-in)."""
        parts = urlsplit(target)
        inside = parts.path == self.path or parts.path.startswith(self.path + "/")
        return not parts.scheme and not parts.netloc and inside and not target.startswith("//")

    def sign_in_url(self, request: Request) -> str:
        """The sign-in page, asked to come back to the requested page afterwards."""
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if here == self.path:
            return self.path
        return f"{self.path}?{NEXT_FIELD}={quote(here, safe='')}"

    def signed_out(self, request: Request) -> Response:
        """Where a signed-out request goes: the sign-in page, then back to what was asked.

        A full page gets a 303 redirect; an htmx request gets 401 with `HX-Redirect`, which
        htmx follows with a full navigation instead of swapping a fragment in.
        """
        target = self.sign_in_url(request)
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    def start_session(self, response: Response, request: Request, api_token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            api_token,
            max_age=SESSION_SECONDS,
            path=self.path,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )

    def end_session(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            SESSION_COOKIE,
            path=self.path,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )


MANUFACTURER_AREA = PageArea("/manufacturer", MANUFACTURER, "Manufacturer")
REGULATOR_AREA = PageArea("/regulator", REGULATOR, "Regulator")
COOKIE_PATH = MANUFACTURER_AREA.path


def manufacturer_for(rt: Runtime, api_token: str) -> Actor:
    """The actor of `api_token` if it is a manufacturer's; AuthError or 403 otherwise."""
    return MANUFACTURER_AREA.actor_for(rt, api_token)


def page_actor(rt: Runtime, request: Request) -> Actor:
    """The manufacturer the session cookie stands for, or SignedOutError."""
    return MANUFACTURER_AREA.page_actor(rt, request)


def regulator_actor(rt: Runtime, request: Request) -> Actor:
    """The regulator the /regulator session cookie stands for, or SignedOutError."""
    return REGULATOR_AREA.page_actor(rt, request)


def check_same_origin(request: Request) -> None:
    """Refuse a state-changing request whose Origin names another site (defence in depth)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise forbidden("CROSS_SITE_REQUEST", "This request came from another site.")


def check_csrf(request: Request, submitted: str | None) -> None:
    """The request carries the CSRF token of its session (header or form field)."""
    check_same_origin(request)
    token = session_token(request) or ""
    given = request.headers.get(CSRF_HEADER) or submitted or ""
    if not token or not hmac.compare_digest(given, csrf_token(token)):
        raise forbidden(
            "CSRF_TOKEN_INVALID",
            "This form is out of date (or came from another site). Reload the page and retry.",
        )


def start_session(response: Response, request: Request, api_token: str) -> None:
    MANUFACTURER_AREA.start_session(response, request, api_token)


def end_session(response: Response, request: Request) -> None:
    MANUFACTURER_AREA.end_session(response, request)
