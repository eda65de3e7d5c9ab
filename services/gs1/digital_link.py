"""GS1 Digital Link URIs: what a GS1 QR code on a pack (or a verification request) carries.

Building uses biip (`GS1DigitalLinkURI.from_element_strings(...).as_uri`): it orders the path
(primary key, then key qualifiers 22, 10, 21), percent-encodes path values with no character
left "safe" and puts data attributes such as (17) in the query, sorted by AI.

Reading is done here, not with biip's `GS1DigitalLinkURI.parse`, because biip
  * raises on the first problem with a free-text message instead of reporting per field;
  * decodes the query with `parse_qs`, turning a literal "+" into a space ("?10=A+B" fails),
    although "+" is a valid lot/serial character and a space never is;
  * silently lets a repeated query AI overwrite the first value ("?10=A&10=B" gives lot "B");
  * takes the first path segment equal to a primary key, so a path prefix such as
    "/01/x/01/09506000134352" fails, and refuses qualifiers out of order (/21/ before /10/),
    which is harmless to accept.
Rules applied: any domain and any path prefix; the primary key is /01/ (GTIN-8/12/13 are
left-padded to 14 digits) or /00/ (SSCC), followed by key/value pairs whose keys are GS1 AIs;
values are percent-decoded after splitting on "/" (so %2F stays inside a value); query
parameters whose names are AIs (e.g. 17=261231) are data, other parameters (utm_..., linkType,
and the non-standard "exp") are ignored as the standard requires.
"""

import re
from urllib.parse import unquote, urlsplit

from biip import EncodeError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI

from services.gs1.ai import exact_ai
from services.gs1.checkdigit import GTIN_LENGTHS, is_ascii_digits
from services.gs1.element_string import biip_element_strings
from services.gs1.errors import GS1Error
from services.gs1.fields import Outcome, Token, assemble, field_for_ai
from services.gs1.model import PackIdentifier, Problem
from services.gs1.validate import FIELD_LABELS

__all__ = ["looks_like_digital_link", "read_digital_link", "to_digital_link"]

_PRIMARY_KEYS = ("01", "00")
_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_DOMAIN = re.compile(r"[^\s/?#@\\]+")


def looks_like_digital_link(text: str) -> bool:
    """True if `text` is an http(s) URI, i.e. should be read as a Digital Link."""
    return _SCHEME.match(text) is not None


def _is_attribute_key(key: str) -> bool:
    """A path key after the primary one: any GS1 AI except a second primary key."""
    return key not in _PRIMARY_KEYS and exact_ai(key) is not None


def _find_primary(segments: list[str]) -> int | None:
    """Index of the primary key: /01/ or /00/ followed only by (AI, value) pairs."""
    for index, segment in enumerate(segments):
        if (
            segment in _PRIMARY_KEYS
            and (len(segments) - index) % 2 == 0
            and all(_is_attribute_key(key) for key in segments[index + 2 :: 2])
        ):
            return index
    return None


def _no_primary(segments: list[str], query_keys: list[str]) -> Problem:
    """Explain why no /01/ (or /00/) key with well-formed pairs was found."""
    first = next((i for i, s in enumerate(segments) if s in _PRIMARY_KEYS), None)
    if first is not None:
        rest = segments[first:]
        if len(rest) % 2 == 1:
            key = rest[-1]
            return Problem(
                field=field_for_ai(key) or "code",
                code="TRUNCATED",
                message=(
                    f"The link ends with /{key}/ but no value for the "
                    f"{FIELD_LABELS.get(field_for_ai(key) or 'code', 'code')}: it looks "
                    "incomplete."
                ),
            )
        bad = next((key for key in rest[2::2] if not _is_attribute_key(key)), rest[-2])
        return Problem(
            field="code",
            code="UNKNOWN_AI",
            message=(
                f"The link contains '{bad}' where a GS1 field identifier such as 10 (batch) "
                "or 21 (serial) was expected."
            ),
        )
    if any(field_for_ai(key) is not None for key in [*segments, *query_keys]):
        return Problem(
            field="gtin",
            code="MISSING_GTIN",
            message=(
                "The link has no product code (GTIN) after /01/, so the pack cannot be identified."
            ),
        )
    return Problem(
        field="code",
        code="UNRECOGNISED_FORMAT",
        message="This web link is not a GS1 Digital Link for a pack (it has no /01/ product code).",
    )


def _decode(ai: str, raw: str) -> Token | Problem:
    broken = _BROKEN_ESCAPE.search(raw)
    if broken is not None:
        field = field_for_ai(ai) or "code"
        return Problem(
            field=field,
            code="INVALID_CHARACTERS",
            message=(
                f"The {FIELD_LABELS[field]} in the link has a broken percent-encoding "
                f"('{raw[broken.start() : broken.start() + 3]}')."
            ),
        )
    value = unquote(raw)  # invalid UTF-8 becomes U+FFFD and fails the character-set check
    if ai == "01" and is_ascii_digits(value) and len(value) in GTIN_LENGTHS:
        value = value.zfill(14)
    return ai, value


def read_digital_link(text: str) -> Outcome:
    """Read a GS1 Digital Link URI on any domain into an identifier and per-field problems."""
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced "[" in the host part
        return None, (
            Problem(
                field="code",
                code="UNRECOGNISED_FORMAT",
                message="The web link is malformed and cannot be read.",
            ),
        )
    segments = parts.path.split("/")
    while segments and not segments[-1]:
        segments.pop()
    query = [item.partition("=") for item in parts.query.split("&") if item]
    primary = _find_primary(segments)
    if primary is None:
        return None, (_no_primary(segments, [unquote(key) for key, _, _ in query]),)

    tokens: list[Token] = []
    problems: list[Problem] = []
    path = segments[primary:]
    pairs = [(path[i], path[i + 1]) for i in range(0, len(path), 2)]
    for raw_key, _, raw_value in query:
        key = unquote(raw_key)
        if not is_ascii_digits(key):
            continue  # not a GS1 AI: ignored, as GS1 Digital Link requires
        if exact_ai(key) is None:
            problems.append(
                Problem(
                    field="code",
                    code="UNKNOWN_AI",
                    message=f"The link's query has '{key}', which is not a GS1 field identifier.",
                )
            )
            continue
        pairs.append((key, raw_value))
    for key, raw_value in pairs:
        decoded = _decode(key, raw_value)
        if isinstance(decoded, Problem):
            problems.append(decoded)
        else:
            tokens.append(decoded)
    return assemble(tokens, problems)


def to_digital_link(identifier: PackIdentifier, *, domain: str = "id.gs1.org") -> str:
    """The GS1 Digital Link URI for a pack, e.g.
    ``https://id.gs1.org/01/09506000134352/10/ABC/21/XYZ?17=261231``.

    Path keys in the fixed order 01, 10, 21; expiry and national number in the query;
    reserved characters percent-encoded.

    Raises:
        GS1Error: without a GTIN/SSCC, with both (a link has one primary key), or with a
            `domain` that is not a host name.
    """
    if not _DOMAIN.fullmatch(domain):
        msg = f"{domain!r} is not a host name for a Digital Link (e.g. 'id.gs1.org')."
        raise GS1Error(msg)
    if identifier.gtin is not None and identifier.sscc is not None:
        msg = "A Digital Link has one primary key; this identifier has both a GTIN and an SSCC."
        raise GS1Error(msg)
    link = GS1DigitalLinkURI.from_element_strings(biip_element_strings(identifier))
    try:
        return link.as_uri(domain=domain)
    except EncodeError as exc:  # biip refuses identifiers without a primary key
        raise GS1Error(str(exc)) from exc
