"""`parse_code`: one entry point for whatever a scanner, a keyboard or a QR reader delivers.

It cleans the scan (surrounding whitespace, the CR/LF a scanner appends, a symbology
identifier such as ]d2, ]Q3, ]C1 or ]e0), decides which encoding it is and hands it to that
reader. Symbology identifiers are recognised with biip's `SymbologyIdentifier`, but guarded:
biip raises IndexError on a lone "]" (and `biip.parse` with it).

The promise is that it never raises for any string: every reader reports problems instead of
raising, and a last-resort guard turns an unexpected exception (a bug) into an INTERNAL_ERROR
problem so that a scan at the pharmacy counter never crashes the caller.
"""

import logging

from biip import ParseError
from biip.symbology import GS1Symbology, SymbologyIdentifier

from services.gs1.checkdigit import GTIN_LENGTHS, is_ascii_digits
from services.gs1.digital_link import looks_like_digital_link, read_digital_link
from services.gs1.element_string import GS, read_element_string, read_human_readable
from services.gs1.fields import Outcome, assemble
from services.gs1.model import ParseResult, Problem, Source

__all__ = ["MAX_CODE_LENGTH", "parse_code"]

MAX_CODE_LENGTH = 4096
"""Longer than any GS1 DataMatrix or QR code a pack can carry; longer input is refused."""

_GS1_MESSAGE_SYMBOLOGIES = GS1Symbology.with_gs1_messages()

_log = logging.getLogger(__name__)


def _only(field: str, code: str, message: str) -> Outcome:
    return None, (Problem(field=field, code=code, message=message),)


def _strip_symbology(text: str) -> tuple[str, SymbologyIdentifier | None, Problem | None]:
    if not text.startswith("]"):
        return text, None, None
    try:
        symbology = SymbologyIdentifier.extract(text)
    except (ParseError, ValueError, IndexError):
        return (
            text,
            None,
            Problem(
                field="code",
                code="UNRECOGNISED_FORMAT",
                message=(
                    "The scan starts with ']' but not with a valid scanner prefix such as ]d2; "
                    "check the scanner configuration."
                ),
            ),
        )
    # Some scanners also send the leading FNC1 as GS; it carries no data.
    return text[len(symbology) :].strip().lstrip(GS), symbology, None


def _read(text: str) -> tuple[Source, Outcome]:
    content = text.strip()
    if not content:
        return "unknown", _only("code", "EMPTY", "The scan is empty: no barcode data arrived.")
    if len(content) > MAX_CODE_LENGTH:
        return "unknown", _only(
            "code",
            "INVALID_LENGTH",
            f"The scan has {len(content)} characters, far more than any pack code can hold.",
        )
    content, symbology, prefix_problem = _strip_symbology(content)
    if prefix_problem is not None:
        return "unknown", (None, (prefix_problem,))
    if not content:
        return "unknown", _only(
            "code", "EMPTY", "The scanner sent only its prefix (such as ]d2) and no data."
        )
    if looks_like_digital_link(content):
        return "digital_link", read_digital_link(content)
    if content.startswith("("):
        return "human_readable", read_human_readable(content)
    gs1_message = symbology is not None and symbology.gs1_symbology in _GS1_MESSAGE_SYMBOLOGIES
    if is_ascii_digits(content) and len(content) in GTIN_LENGTHS and not gs1_message:
        # A bare GTIN (EAN/UPC barcode or typed number): the element string (01) minus its AI.
        # Not after ]d2, ]Q3, ]C1, ]e0...: those symbols carry AIs, so digits are AI + data.
        return "element_string", assemble([("01", content.zfill(14))])
    if content[0].isascii() and content[0].isdigit():
        return "element_string", read_element_string(content)
    return "unknown", _only(
        "code",
        "UNRECOGNISED_FORMAT",
        "The scan is not a GS1 pack code (GS1 DataMatrix, GS1 QR code, Digital Link or the "
        "(01)...(10)... text printed under the barcode).",
    )


def parse_code(text: str) -> ParseResult:
    """Read any pack code into a `ParseResult`; never raises for a `str`.

    Accepted: GS1 element strings (with or without a symbology prefix and with GS separators,
    or without them where the split is unambiguous), the human-readable "(01)...(17)..." form,
    GS1 Digital Link URIs on any domain, a bare GTIN-8/12/13/14, and "(00)..." / "00..." SSCCs.
    """
    try:
        source, (identifier, problems) = _read(text)
    except Exception:  # the never-raise promise; tests assert this path is never taken
        _log.exception("parse_code failed on %r", text)
        return ParseResult(
            identifier=None,
            problems=(
                Problem(
                    field="code",
                    code="INTERNAL_ERROR",
                    message=(
                        "The code could not be read because of an error in the software; "
                        "please scan again and report it if it persists."
                    ),
                ),
            ),
            source="unknown",
            raw=text,
        )
    return ParseResult(identifier=identifier, problems=problems, source=source, raw=text)
