"""Every error the API answers is JSON `{"code": ..., "message": ...}`, whatever raised it.

    PharmaTraceError (domain, contract, auth)  → its own status, code, message (+ retryable, tx_id)
    RequestValidationError (schema, bad JSON)  → 422 INVALID_REQUEST, a sentence + `details`
    an undecodable body (not UTF-8)            → 422 INVALID_REQUEST too (FastAPI says 400)
    Starlette HTTPException (routing)          → 404 NOT_FOUND, 405 METHOD_NOT_ALLOWED, …
    anything else                              → 500 INTERNAL, logged here without request headers

Ledger errors are mapped to PharmaTraceError in one place only (`services.errors.from_ledger`);
this module only renders. 413 PAYLOAD_TOO_LARGE and 422 JSON_TOO_DEEP are answered by
`services.api.limits` before the application sees the body, and 429 RATE_LIMITED (with
Retry-After) by `services.api.ratelimit` before the body is read, in the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.errors import PharmaTraceError

logger = logging.getLogger("pharmatrace.api")
# What FastAPI says when reading the body fails for a reason other than bad JSON syntax.
UNREADABLE_BODY_DETAIL = "There was an error parsing the body"

INTERNAL_MESSAGE = (
    "Something went wrong on our side. The error has been logged; if it persists, tell the "
    "service operator the time of the request."
)


def error_body(code: str, message: str, **optional: object) -> dict[str, object]:
    body: dict[str, object] = {"code": code, "message": message}
    body.update({name: value for name, value in optional.items() if value is not None})
    return body


def _pharmatrace_error(_request: Request, exc: Exception) -> Response:
    if not isinstance(exc, PharmaTraceError):  # registered for this class only
        raise exc
    headers: dict[str, str] = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.status == 503:
        headers["Retry-After"] = "1"
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)


def field_path(parts: Sequence[int | str]) -> str:
    """`("lines", 0, "gtin")` → `lines[0].gtin`."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _problem(error: dict[str, Any]) -> dict[str, str]:
    location, *rest = error["loc"] or ("body",)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "is required"
    if error["type"] == "json_invalid":  # its location ends in a character offset, not a field
        rest = []
        message = f"not valid JSON: {error.get('ctx', {}).get('error', 'malformed')}"
    return {
        "location": str(location),
        "field": field_path(rest),
        "message": message,
        "type": str(error["type"]),
    }


def _validation_sentence(errors: Sequence[dict[str, Any]], problems: list[dict[str, str]]) -> str:
    for error in errors:
        if error["type"] == "json_invalid":
            reason = error.get("ctx", {}).get("error", "malformed")
            position = error["loc"][-1]
            return f"The request body is not valid JSON ({reason} at character {position})."
    named = [
        f"'{p['field']}' {p['message']}"
        if p["message"] == "is required"
        else f"'{p['field']}': {p['message']}"
        for p in problems
        if p["field"]
    ]
    unnamed = [f"the {p['location']}: {p['message']}" for p in problems if not p["field"]]
    return "Invalid request — " + "; ".join(named + unnamed) + "."


def _validation_error(_request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        raise exc
    errors = list(exc.errors())
    problems = [_problem(error) for error in errors]
    body = error_body("INVALID_REQUEST", _validation_sentence(errors, problems), details=problems)
    return JSONResponse(body, status_code=422)


def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        body = error_body("NOT_FOUND", f"There is no resource at {request.url.path}.")
    elif exc.status_code == 405:
        allowed = headers.get("Allow", headers.get("allow", ""))
        body = error_body(
            "METHOD_NOT_ALLOWED",
            f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}.",
        )
    elif exc.status_code == 400 and exc.detail == UNREADABLE_BODY_DETAIL:
        return _unreadable_body(exc)
    else:
        phrase = HTTPStatus(exc.status_code).phrase
        code = phrase.upper().replace(" ", "_").replace("-", "_")
        body = error_body(code, str(exc.detail) if exc.detail else phrase)
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _unreadable_body(exc: StarletteHTTPException) -> Response:
    """FastAPI's bare 400 for a body it could not decode (not UTF-8): a malformed request like
    any other, so the same 422 INVALID_REQUEST as malformed JSON, with a sentence that says why."""
    if isinstance(exc.__cause__, UnicodeDecodeError):
        message = "The request body is not valid JSON (it is not UTF-8 text)."
    else:
        message = "The request body could not be read as the declared content type."
    problem = {"location": "body", "field": "", "message": message, "type": "body_unreadable"}
    return JSONResponse(error_body("INVALID_REQUEST", message, details=[problem]), 422)


def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Method and path only: headers (tokens) and bodies never reach the log.
    logger.error(
        "Unhandled %s while serving %s %s",
        type(exc).__name__,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return JSONResponse(error_body("INTERNAL", INTERNAL_MESSAGE), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PharmaTraceError, _pharmatrace_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
