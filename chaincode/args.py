"""Validation of transaction arguments: every transaction takes one JSON object.

Refuses with INVALID_ARGUMENT (or a more precise code) before anything is read or written, so a
malformed request costs nothing and changes nothing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from typing import Any

from chaincode import identifiers
from chaincode.errors import ContractError, ErrorCode
from chaincode.model import MAX_TEXT

Request = dict[str, Any]
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def invalid(message: str) -> ContractError:
    return ContractError(ErrorCode.INVALID_ARGUMENT, message)


def request(raw: str) -> Request:
    """The single JSON-object argument of a transaction."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise invalid(f"The argument is not valid JSON: {exc.args[0]}.") from None
    except RecursionError:
        raise invalid("The argument is nested too deeply.") from None
    if not isinstance(body, dict):
        raise invalid("The argument must be a JSON object.")
    return body


def text(body: Request, field: str, *, required: bool = True, max_len: int = MAX_TEXT) -> str:
    value = body.get(field)
    if (value is None or value == "") and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"Field '{field}' must be a non-empty string.")
    if len(value) > max_len:
        raise invalid(f"Field '{field}' is longer than {max_len} characters.")
    if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in value):
        raise invalid(f"Field '{field}' contains control characters or invalid Unicode.")
    return value


# Control characters (NUL, newlines, …), line and paragraph separators, and lone surrogates (from
# JSON escapes such as "\ud800", which cannot be encoded); format characters such as ZWJ and
# no-break spaces are fine.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def choice(body: Request, field: str, allowed: type[Any], *, default: str | None = None) -> Any:
    value = body.get(field, default)
    try:
        return allowed(value)
    except ValueError:
        options = ", ".join(str(v) for v in allowed)
        raise invalid(f"Field '{field}' must be one of: {options}.") from None


def integer(body: Request, field: str, *, minimum: int, maximum: int) -> int:
    value = body.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"Field '{field}' must be a whole number.")
    if not minimum <= value <= maximum:
        raise invalid(f"Field '{field}' must be between {minimum} and {maximum}.")
    return value


def gtin(body: Request, field: str = "gtin") -> str:
    value = body.get(field)
    if not isinstance(value, str) or not identifiers.is_gtin14(value):
        raise invalid(f"Field '{field}' must be a 14-digit GTIN with a valid check digit.")
    return value


def gln(body: Request, field: str, *, required: bool = True) -> str:
    value = body.get(field)
    if (value is None or value == "") and not required:
        return ""
    if not isinstance(value, str) or not identifiers.is_gln(value):
        raise invalid(f"Field '{field}' must be a 13-digit GLN with a valid check digit.")
    return value


def lot(body: Request, field: str = "lot") -> str:
    value = body.get(field)
    if not isinstance(value, str) or not identifiers.is_lot(value):
        raise invalid(f"Field '{field}' must be 1–20 characters of the GS1 character set 82.")
    return value


def serial(body: Request, field: str = "serial") -> str:
    value = body.get(field)
    if not isinstance(value, str) or not identifiers.is_serial(value):
        raise invalid(f"Field '{field}' must be 1–20 characters of the GS1 character set 82.")
    return value


def iso_date(body: Request, field: str) -> date:
    value = body.get(field)
    parsed = identifiers.parse_iso_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise invalid(f"Field '{field}' must be a date as YYYY-MM-DD.")
    return parsed


def hex_digest(body: Request, field: str) -> bytes:
    value = body.get(field)
    if not isinstance(value, str) or _HEX_DIGEST.fullmatch(value) is None:
        raise invalid(f"Field '{field}' must be a SHA-256 digest in hex (64 characters).")
    return bytes.fromhex(value)


def object_list(
    body: Request, field: str, *, max_items: int, required: bool = True
) -> list[Request]:
    value = body.get(field)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise invalid(f"Field '{field}' must be a non-empty list of objects.")
    if len(value) > max_items:
        raise invalid(f"Field '{field}' has more than {max_items} entries.")
    return value


def string_list(body: Request, field: str, *, max_items: int) -> list[str]:
    value = body.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"Field '{field}' must be a list of strings.")
    if len(value) > max_items:
        raise invalid(f"Field '{field}' has more than {max_items} entries.")
    return value
