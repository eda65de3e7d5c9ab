"""GS1 AI encodable character set 82 (CSET 82), the alphabet of lot, serial and NHRN values.

biip encodes the same set inside each AI's regular expression, but a regex only says "no match";
to tell a pharmacist *which* character is wrong (a space, a lower-case umlaut from a keyboard
layout mix-up, a stray control character) we need the set itself.
"""

import string

__all__ = ["CSET82", "invalid_characters"]

CSET82: frozenset[str] = frozenset(
    string.ascii_uppercase + string.ascii_lowercase + string.digits + "!\"%&'()*+,-./:;<=>?_"
)
"""The 82 characters GS1 allows in alphanumeric fields (GS1 General Specifications 7.11)."""


def invalid_characters(value: str) -> str:
    """Return the distinct characters of `value` outside CSET 82, in order of first appearance."""
    seen: dict[str, None] = {}
    for char in value:
        if char not in CSET82:
            seen.setdefault(char, None)
    return "".join(seen)
