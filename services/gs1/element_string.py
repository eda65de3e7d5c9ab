"""GS1 element strings (the data in a GS1 DataMatrix) and their human-readable form.

Reading is done here rather than with biip's `GS1Message.parse` / `parse_hri`, because biip
  * stops at the first error with a free-text message, where a pharmacist needs every problem
    tied to its field;
  * splits a separator-less string greedily: "...10ABC21XYZ" becomes lot "ABC21XYZ", although
    a keyboard-wedge scanner that dropped the group separator (GS) meant lot "ABC", serial
    "XYZ" - a wrong guess and a false alert;
  * in `parse_hri` silently drops data: "(01)(10)ABC" loses the empty (01), "(10)A(B)C" reads
    lot "A" and loses "(B)C", and "(10)AB C" becomes lot "ABC" because all whitespace is
    removed first (a space is not a valid lot character; "fixing" it hides a misread).
biip still supplies the AI table (lengths, value patterns), the expiry-date rules and the
building of element strings and HRI text (`GS1Message.from_element_strings`).

Separator policy. A variable-length field (lot, serial, NHRN, ...) ends at a GS or at the end of
the data. If the data contains at least one GS, the scanner transmits separators and we trust
them. If it contains none, the separators may have been dropped, so every way of cutting the
text into valid GS1 fields is considered: when exactly one reading passes every rule (check
digits, dates, lengths, character set, a GTIN or SSCC present, no conflicting repeats) it is
the answer; when several do, nothing is guessed and MISSING_SEPARATOR is reported for the
fields the readings disagree on (the fields they agree on, e.g. the GTIN, are kept). The search
is bounded (text length, number of readings, steps); past a bound a valid reading is also
reported as ambiguous rather than trusted. Consequence: without a GS, a last variable field
whose value itself reads as further fields (lot "AB21C" could be lot "AB" + serial "C") is
ambiguous.

Human-readable text: "(AI)value" groups, optionally with spaces between groups. A value
that itself contains "(" + 2-4 digits + ")" cannot be told apart from the next group.
"""

import re

from biip import ParseError
from biip.gs1_element_strings import GS1ElementString, GS1ElementStrings
from biip.gs1_messages import GS1Message

from services.gs1.ai import ai_at, exact_ai, looks_like_truncated_ai
from services.gs1.errors import GS1Error
from services.gs1.fields import (
    Outcome,
    Token,
    assemble,
    common_identifier,
    field_for_ai,
    identifier_pairs,
    token_issue,
)
from services.gs1.model import PackIdentifier, Problem
from services.gs1.validate import FIELD_LABELS, describe_characters

__all__ = [
    "GS",
    "biip_element_strings",
    "read_element_string",
    "read_human_readable",
    "to_element_string",
    "to_human_readable",
]

GS = "\x1d"
"""ASCII 29, group separator: what scanners send for a FNC1 that ends a variable field."""

_MAX_READINGS = 32
"""Beyond this many ways to split a separator-less string we stop counting: it is ambiguous."""

_MAX_STEPS = 20_000
"""Work limit for the search of those ways; reaching it also means "ambiguous"."""

_MAX_SPLIT_LENGTH = 512
"""Separator-less text longer than this (pack codes are under ~150 characters) is not searched
for other readings; a valid greedy reading of it is then reported as ambiguous."""

_Path = tuple[Token, "_Path"] | None
"""A reading under construction: the last token and the path before it."""

_HRI_GROUP = re.compile(r"\s*\((\d{2,4})\)\s*", re.ASCII)


# --------------------------------------------------------------------------- reading


def _label(ai: str) -> str:
    field = field_for_ai(ai)
    return FIELD_LABELS[field] if field else f"field ({ai})"


def _unreadable(text: str, pos: int) -> Problem:
    rest = text[pos:]
    if looks_like_truncated_ai(rest):
        return Problem(
            field="code",
            code="TRUNCATED",
            message="The scan ends in the middle of a field identifier: it looks incomplete.",
        )
    if rest[:2].isascii() and rest[:2].isdigit():
        message = f"The code contains an unknown GS1 field identifier at '{rest[:4]}'."
    else:
        message = (
            f"The code contains unexpected text {describe_characters(rest[:1])} "
            f"('{rest[:12]}') where a GS1 field identifier was expected."
        )
    return Problem(field="code", code="UNKNOWN_AI", message=message)


def _truncated(ai: str) -> Problem:
    return Problem(
        field=field_for_ai(ai) or "code",
        code="TRUNCATED",
        message=f"The scan ends in the middle of the {_label(ai)}: it looks incomplete.",
    )


def _tokenize(text: str) -> tuple[list[Token], list[Problem]]:
    """Cut an element string into fields, trusting GS (or the end) to close variable fields."""
    tokens: list[Token] = []
    problems: list[Problem] = []
    pos, end_of_text = 0, len(text)
    while pos < end_of_text:
        if text[pos] == GS:
            pos += 1
            continue
        spec = ai_at(text, pos)
        if spec is None:
            problems.append(_unreadable(text, pos))
            break
        start = pos + len(spec.ai)
        if spec.fixed_length is not None:
            end = start + spec.fixed_length
            cut = text.find(GS, start, end)
            if cut >= 0:  # cut short by a separator: keep it so the length is reported
                end = cut
            elif end > end_of_text:
                problems.append(_truncated(spec.ai))
                break
        else:
            end = text.find(GS, start)
            end = end_of_text if end < 0 else end
            if end == start == end_of_text:
                problems.append(_truncated(spec.ai))
                break
        tokens.append((spec.ai, text[start:end]))
        pos = end
    return tokens, problems


def _steps(text: str) -> list[list[tuple[str, int, int]]]:
    """For each position, the fields that can start there and still let the text end well.

    Dynamic programming from the end, so that only steps leading to a complete cutting are
    kept. A step is a field that is well-formed and valid on its own (check digit, date,
    character set, length).
    """
    size = len(text)
    completes = [False] * (size + 1)
    completes[size] = True
    steps: list[list[tuple[str, int, int]]] = [[] for _ in range(size + 1)]
    for pos in range(size - 1, -1, -1):
        spec = ai_at(text, pos)
        if spec is None:
            continue
        start = pos + len(spec.ai)
        if spec.fixed_length is not None:
            ends = range(start + spec.fixed_length, start + spec.fixed_length + 1)
        else:
            ends = range(start + 1, min(size, start + spec.max_length) + 1)
        for end in ends:
            if (
                end <= size
                and completes[end]
                and spec.pattern.fullmatch(text, pos, end)
                and (field_for_ai(spec.ai) is None or token_issue(spec.ai, text[start:end]) is None)
            ):
                steps[pos].append((spec.ai, start, end))
                completes[pos] = True
    return steps


def _readings(text: str) -> tuple[list[list[Token]], bool]:
    """Ways to cut separator-less `text` into valid fields without conflicting repeats.

    A depth-first walk over `_steps`, without recursion (long input cannot overflow the stack)
    and with paths kept as linked lists (a step costs O(1), not a copy). It stops after more
    than `_MAX_READINGS` readings or `_MAX_STEPS` steps. Returns the readings and whether the
    walk was complete.
    """
    size = len(text)
    if size > _MAX_SPLIT_LENGTH:
        return [], False
    steps = _steps(text)
    readings: list[list[Token]] = []
    # (position, path so far, modelled fields so far as (field, (ai, value)))
    stack: list[tuple[int, _Path, tuple[tuple[str, Token], ...]]] = [(0, None, ())]
    walked = 0
    while stack:
        if len(readings) > _MAX_READINGS or walked > _MAX_STEPS:
            return readings, False
        pos, path, seen = stack.pop()
        walked += 1
        if pos == size:
            reading: list[Token] = []
            while path is not None:
                token, path = path
                reading.append(token)
            readings.append(reading[::-1])
            continue
        for ai, start, end in reversed(steps[pos]):
            token = (ai, text[start:end])
            field = field_for_ai(ai)
            now = seen
            if field is not None:
                earlier = next((t for f, t in seen if f == field), None)
                if earlier is None:
                    now = (*seen, (field, token))
                elif earlier != token:
                    continue  # the same field twice with different values: not a reading
            stack.append((end, (token, path), now))
    return readings, True


def _ambiguous(candidates: list[PackIdentifier]) -> Outcome:
    identifier, disagree = common_identifier(candidates)
    fields = disagree or ["code"]
    problems = tuple(
        Problem(
            field=field,
            code="MISSING_SEPARATOR",
            message=(
                f"The {FIELD_LABELS[field]} cannot be read safely: the code has no group "
                "separators (GS), so its fields can be split in more than one valid way. The "
                "scanner probably drops the separator; check its configuration and scan again."
            ),
        )
        for field in fields
    )
    return identifier, problems


def read_element_string(text: str) -> Outcome:
    """Read a GS1 element string (symbology prefix already removed)."""
    tokens, structural = _tokenize(text)
    greedy = assemble(tokens, structural)
    has_variable = any(spec.variable for ai, _ in tokens if (spec := exact_ai(ai)) is not None)
    if GS in text or not has_variable:
        return greedy
    readings, complete = _readings(text)
    valid: dict[PackIdentifier, None] = {}
    for reading in readings:
        identifier, problems = assemble(reading)
        if identifier is not None and not problems:
            valid.setdefault(identifier, None)
    if not complete and greedy[0] is not None and not greedy[1]:
        valid.setdefault(greedy[0], None)  # not all readings seen: the greedy one competes too
    if not valid:
        return greedy
    if len(valid) == 1 and complete:
        return next(iter(valid)), ()
    return _ambiguous(list(valid))


def read_human_readable(text: str) -> Outcome:
    """Read "(01)09506000134352(17)261231(10)ABC(21)XYZ", spaces between groups allowed."""
    groups = list(_HRI_GROUP.finditer(text))
    if not groups or groups[0].start() != 0:
        return None, (
            Problem(
                field="code",
                code="UNRECOGNISED_FORMAT",
                message=(
                    "The text starts with '(' but is not in the (AI)value form printed under "
                    "GS1 barcodes, such as (01)09506000134352(10)ABC."
                ),
            ),
        )
    tokens: list[Token] = []
    problems: list[Problem] = []
    for index, group in enumerate(groups):
        end = groups[index + 1].start() if index + 1 < len(groups) else len(text)
        ai = group.group(1)
        if exact_ai(ai) is None:
            problems.append(
                Problem(
                    field="code",
                    code="UNKNOWN_AI",
                    message=f"({ai}) is not a GS1 field identifier.",
                )
            )
            continue
        tokens.append((ai, text[group.end() : end]))
    return assemble(tokens, problems)


# --------------------------------------------------------------------------- building


def biip_element_strings(identifier: PackIdentifier) -> GS1ElementStrings:
    """The identifier as biip element strings, in canonical order (for biip's builders)."""
    strings = GS1ElementStrings()
    for ai, value in identifier_pairs(identifier):
        try:
            strings.append(GS1ElementString.parse(f"{ai}{value}"))
        except ParseError as exc:  # PackIdentifier validates itself, so this means a bug
            msg = f"biip rejected ({ai}){value}: {exc}"
            raise GS1Error(msg) from exc
    return strings


def to_element_string(identifier: PackIdentifier, *, separator: str = GS) -> str:
    """The GS1 element string to encode in a GS1 DataMatrix after FNC1.

    Canonical order 01, 17, 10, 21, then the national number (an SSCC, if any, first);
    fixed-length fields first, variable-length ones separated by `separator`, none at the end.

    Raises:
        GS1Error: if the identifier has neither a GTIN nor an SSCC.
    """
    message = GS1Message.from_element_strings(biip_element_strings(identifier))
    return message.value.replace(GS, separator)


def to_human_readable(identifier: PackIdentifier) -> str:
    """The text printed under the barcode, e.g. "(01)09506000134352(17)261231(10)ABC(21)XYZ".

    Raises:
        GS1Error: if the identifier has neither a GTIN nor an SSCC.
    """
    return GS1Message.from_element_strings(biip_element_strings(identifier)).as_hri()
