"""Page sessions: the API token kept in an HttpOnly cookie, and a CSRF token derived from it.

The JSON API authenticates with `Authorization: Bearer`; a browser cannot attach that header to a
link or a form, so the pages keep the same API token in a cookie instead:

- `HttpOnly` (scripts never read it), `SameSite=Strict` (no cross-site request carries it),
  `Path=/manufacturer` (the JSON API never sees it, so it stays Bearer-only), `Secure` over HTTPS.
- Every state-changing page request must also carry the CSRF token (`X-CSRF-Token` header, set
  by htmx from the page, or a `csrf` form field). It is a digest of the API token, so it needs no
  server-side storage, and a page of another site can neither read nor compute it.
- The token is checked on every request (`services.auth.tokens.authenticate`), so revoking it
  ends the page session too.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request, Response

from services.auth.tokens import AuthError, authenticate
from services.errors import PharmaTraceError, forbidden
from services.runtime import Actor, Runtime

SESSION_COOKIE = "pt_session"
COOKIE_PATH = "/manufacturer"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
MANUFACTURER = "manufacturer"
SESSION_SECONDS = 8 * 3600  # a working day; the token itself does not expire


class SignedOutError(AuthError):
    """No session cookie, or its token is unknown or revoked."""


def csrf_token(api_token: str) -> str:
    return hashlib.sha256(b"pharmatrace-page-csrf\x00" + api_token.encode()).hexdigest()[:32]


def manufacturer_for(rt: Runtime, api_token: str) -> Actor:
    """The actor of `api_token` if it is a manufacturer's; AuthError or 403 otherwise."""
    actor = authenticate(rt, api_token.strip())
    if actor.role != MANUFACTURER:
        raise forbidden(
            "FORBIDDEN_ROLE",
            f"This page is for manufacturers; the token is of {actor.msp_id}, a {actor.role}.",
        )
    return actor


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def page_actor(rt: Runtime, request: Request) -> Actor:
    """The manufacturer the session cookie stands for, or SignedOutError."""
    token = session_token(request)
    if token is None:
        raise SignedOutError("Sign in with your organization's API token.")
    try:
        return manufacturer_for(rt, token)
    except AuthError as error:
        raise SignedOutError(f"{error.message} Sign in again.") from error
    except PharmaTraceError as error:
        raise SignedOutError(f"{error.message} Sign in again.") from error


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
    response.set_cookie(
        SESSION_COOKIE,
        api_token,
        max_age=SESSION_SECONDS,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def end_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
