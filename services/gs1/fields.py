"""(AI, value) pairs <-> PackIdentifier: the one place where field rules become Problems.

All three encodings (element string, human-readable, Digital Link) are first cut into
(AI, value) pairs by their own reader; this module then judges the pairs the same way for all
of them, so a bad check digit or an impossible date reads identically whatever was scanned.
It also lists an identifier's pairs in the canonical order the builders use.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from services.gs1.ai import exact_ai
from services.gs1.errors import GS1Error
from services.gs1.model import PackIdentifier, Problem
from services.gs1.validate import (
    FIELD_LABELS,
    NATIONAL_NUMBER_AIS,
    Issue,
    expiry_issue_or_date,
    gtin_issue,
    sscc_issue,
    text_issue,
)

__all__ = [
    "Outcome",
    "Token",
    "assemble",
    "common_identifier",
    "field_for_ai",
    "identifier_pairs",
    "problem",
    "token_issue",
]

Token = tuple[str, str]
"""An (AI, value) pair, e.g. ("10", "ABC")."""

Outcome = tuple[PackIdentifier | None, tuple[Problem, ...]]
"""What a reader returns: the valid fields and the problems."""

_FIELD_BY_AI: dict[str, str] = {
    "00": "sscc",
    "01": "gtin",
    "10": "lot",
    "17": "expiry",
    "21": "serial",
    **dict.fromkeys(NATIONAL_NUMBER_AIS, "national_number"),
}

_PRIMARY_FIELDS = ("gtin", "sscc")

_T = TypeVar("_T")


def field_for_ai(ai: str) -> str | None:
    """The PackIdentifier field an AI fills, or None for AIs this domain does not keep."""
    return _FIELD_BY_AI.get(ai)


def problem(field: str, issue: Issue) -> Problem:
    """A Problem for `field` from a (code, message) finding."""
    return Problem(field=field, code=issue[0], message=issue[1])


@dataclass(slots=True)
class _Draft:
    gtin: str | None = None
    sscc: str | None = None
    lot: str | None = None
    serial: str | None = None
    expiry_raw: str | None = None
    national_number: tuple[str, str] | None = None

    def is_empty(self) -> bool:
        return not any(
            (self.gtin, self.sscc, self.lot, self.serial, self.expiry_raw, self.national_number)
        )

    def build(self) -> PackIdentifier | None:
        if self.is_empty():
            return None
        return PackIdentifier(
            gtin=self.gtin,
            lot=self.lot,
            serial=self.serial,
            sscc=self.sscc,
            national_number=self.national_number,
            expiry_raw=self.expiry_raw,
        )


def token_issue(ai: str, value: str) -> Issue | None:
    """What is wrong with one (AI, value) pair on its own, or None if it is valid."""
    match field_for_ai(ai):
        case None:
            return _other_ai_issue(ai, value)
        case "gtin":
            return gtin_issue(value)
        case "sscc":
            return sscc_issue(value)
        case "expiry":
            parsed = expiry_issue_or_date(value)
            return None if isinstance(parsed, dt.date) else parsed
        case field:
            return text_issue(field, value)


def _store(draft: _Draft, field: str, ai: str, value: str) -> None:
    match field:
        case "gtin":
            draft.gtin = value
        case "sscc":
            draft.sscc = value
        case "expiry":
            draft.expiry_raw = value
        case "lot":
            draft.lot = value
        case "serial":
            draft.serial = value
        case _:
            draft.national_number = (ai, value)


def _other_ai_issue(ai: str, value: str) -> Issue | None:
    """Check a well-known AI we do not keep (e.g. (11) production date) against its format."""
    spec = exact_ai(ai)
    if spec is None or spec.matches(value):
        return None
    return (
        "INVALID_VALUE",
        f"The field ({ai}) {spec.description} has an invalid value '{value}'.",
    )


def assemble(tokens: Iterable[Token], prior: Sequence[Problem] = ()) -> Outcome:
    """Judge (AI, value) pairs: keep the valid fields, report every broken one.

    `prior` are problems a reader already found (e.g. TRUNCATED); they come first, and a
    missing GTIN is not reported again if one of them already concerns the GTIN or SSCC.
    Repeating an AI with the same value is tolerated (GS1 allows it); with a different value
    it is a DUPLICATE_AI problem and the first value is kept.
    """
    draft = _Draft()
    problems: list[Problem] = list(prior)
    seen: dict[str, Token] = {}
    for ai, value in tokens:
        field = field_for_ai(ai)
        if field is None:
            other = token_issue(ai, value)
            if other is not None:
                problems.append(problem("code", other))
            continue
        if field in seen:
            if seen[field] != (ai, value):
                first = seen[field][1]
                problems.append(
                    Problem(
                        field=field,
                        code="DUPLICATE_AI",
                        message=(
                            f"The {FIELD_LABELS[field]} appears twice with different values "
                            f"('{first}' and '{value}'); the code cannot be trusted."
                        ),
                    )
                )
            continue
        seen[field] = (ai, value)
        issue = token_issue(ai, value)
        if issue is None:
            _store(draft, field, ai, value)
        else:
            problems.append(problem(field, issue))
    if (
        draft.gtin is None
        and draft.sscc is None
        and not any(p.field in _PRIMARY_FIELDS for p in problems)
    ):
        problems.append(
            Problem(
                field="gtin",
                code="MISSING_GTIN",
                message=(
                    "The code has no product code (GTIN) or shipping container code (SSCC), "
                    "so the pack cannot be identified."
                ),
            )
        )
    return draft.build(), tuple(problems)


def _agreed(values: Sequence[_T]) -> _T | None:
    first = values[0]
    return first if all(v == first for v in values[1:]) else None


def common_identifier(
    candidates: Sequence[PackIdentifier],
) -> tuple[PackIdentifier | None, list[str]]:
    """The fields all candidates agree on, and the names of the fields they disagree on."""
    if not candidates:
        return None, []
    draft = _Draft(
        gtin=_agreed([c.gtin for c in candidates]),
        sscc=_agreed([c.sscc for c in candidates]),
        lot=_agreed([c.lot for c in candidates]),
        serial=_agreed([c.serial for c in candidates]),
        expiry_raw=_agreed([c.expiry_raw for c in candidates]),
        national_number=_agreed([c.national_number for c in candidates]),
    )
    disagree = [
        name
        for name, values in (
            ("gtin", {c.gtin for c in candidates}),
            ("sscc", {c.sscc for c in candidates}),
            ("expiry", {c.expiry_raw for c in candidates}),
            ("lot", {c.lot for c in candidates}),
            ("serial", {c.serial for c in candidates}),
            ("national_number", {c.national_number for c in candidates}),
        )
        if len(values) > 1
    ]
    return draft.build(), disagree


def identifier_pairs(identifier: PackIdentifier) -> list[Token]:
    """The identifier's (AI, value) pairs in canonical order: 00, 01, 17, 10, 21, 71x.

    Fixed-length fields come first so that group separators are only needed between the
    variable-length ones.

    Raises:
        GS1Error: if the identifier has neither a GTIN nor an SSCC.
    """
    if identifier.gtin is None and identifier.sscc is None:
        msg = "Cannot build a GS1 code without a GTIN (or an SSCC)."
        raise GS1Error(msg)
    pairs: list[Token] = []
    if identifier.sscc is not None:
        pairs.append(("00", identifier.sscc))
    if identifier.gtin is not None:
        pairs.append(("01", identifier.gtin))
    if identifier.expiry_raw is not None:
        pairs.append(("17", identifier.expiry_raw))
    if identifier.lot is not None:
        pairs.append(("10", identifier.lot))
    if identifier.serial is not None:
        pairs.append(("21", identifier.serial))
    if identifier.national_number is not None:
        pairs.append(identifier.national_number)
    return pairs
