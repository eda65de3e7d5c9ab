"""GS1 Application Identifier (AI) facts, looked up in biip's bundled AI table.

biip knows every AI (code, fixed or variable length, value pattern); we reuse that instead of
keeping our own table. Two adjustments, both for safety: patterns are compiled with `re.ASCII`
(biip's `\\d` also matches Arabic-Indic and other Unicode digits, which no barcode carries), and
lookups are cached by the four-character prefix because biip's `extract` scans its whole table
on every call and the no-separator splitter in `element_string` asks at every position.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier

__all__ = ["AiSpec", "ai_at", "exact_ai", "looks_like_truncated_ai"]

_MAX_AI_LENGTH = 4


@dataclass(frozen=True, slots=True)
class AiSpec:
    """What the parsers need to know about one AI."""

    ai: str
    description: str
    fixed_length: int | None
    """Length of the data after the AI when it is predefined (no separator needed), else None."""
    max_length: int
    """Upper bound for the data length (exact for fixed-length AIs)."""
    pattern: re.Pattern[str]
    """Matches AI + data exactly (use `fullmatch`); ASCII digits only."""

    @property
    def variable(self) -> bool:
        """True if the field ends at a group separator (or the end of the data)."""
        return self.fixed_length is None

    def matches(self, value: str) -> bool:
        """True if `value` is a well-formed data field for this AI."""
        return self.pattern.fullmatch(self.ai + value) is not None


def _from_biip(ai: GS1ApplicationIdentifier) -> AiSpec:
    data_parts = ai.format.split("+")[1:]
    fixed = re.fullmatch(r"N(\d+)", data_parts[0]) if len(data_parts) == 1 else None
    fixed_length = int(fixed.group(1)) if fixed and not ai.separator_required else None
    # e.g. "N3+N13[+X..17]" -> 13 + 17; the slack covers optional punctuation such as "[-]".
    max_length = sum(int(n) for n in re.findall(r"\d+", "+".join(data_parts))) + 2
    pattern = ai.pattern.removeprefix("^").removesuffix("$")
    return AiSpec(
        ai=ai.ai,
        description=ai.description,
        fixed_length=fixed_length,
        max_length=fixed_length if fixed_length is not None else max_length,
        pattern=re.compile(pattern, re.ASCII),
    )


@lru_cache(maxsize=4096)
def _spec_for_prefix(prefix: str) -> AiSpec | None:
    if not prefix[:2].isascii() or not prefix[:2].isdigit():
        return None
    try:
        return _from_biip(GS1ApplicationIdentifier.extract(prefix))
    except ParseError:
        return None


def ai_at(text: str, pos: int) -> AiSpec | None:
    """The AI that starts at `text[pos]`, or None if none does (AIs are prefix-free)."""
    return _spec_for_prefix(text[pos : pos + _MAX_AI_LENGTH])


def exact_ai(code: str) -> AiSpec | None:
    """The AI whose code is exactly `code` (e.g. "01", "710"), or None."""
    if len(code) > _MAX_AI_LENGTH:
        return None
    spec = _spec_for_prefix(code)
    return spec if spec is not None and spec.ai == code else None


def looks_like_truncated_ai(rest: str) -> bool:
    """True if `rest` is the first one to three digits of some AI (the scan was cut short)."""
    if not rest or len(rest) >= _MAX_AI_LENGTH or not (rest.isascii() and rest.isdigit()):
        return False
    spec = _spec_for_prefix(rest.ljust(_MAX_AI_LENGTH, "0"))
    return spec is not None and len(spec.ai) > len(rest)
