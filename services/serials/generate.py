"""Randomised serial numbers following the EU FMD guidance.

Uppercase letters and digits without I, O, Y and Z (confused by scanners and keyboard layouts),
from the operating system's CSPRNG. 32 symbols divide 256 exactly, so mapping each random byte
to `byte % 32` is unbiased and a million serials take a fraction of a second. With 12 characters a
guess hits one of a million serials with probability 1e6 / 32^12 ≈ 1e-12, far below the 1 in
10,000 the regulation asks.
"""

from __future__ import annotations

import os

EU_SAFE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWX"  # 32 symbols: no I, O, Y, Z
_TO_SYMBOL = bytes.maketrans(
    bytes(range(256)), bytes(ord(EU_SAFE_ALPHABET[b % 32]) for b in range(256))
)


def generate_serials(
    count: int, *, length: int = 12, avoid: frozenset[str] = frozenset()
) -> list[str]:
    """`count` distinct random serials of `length` characters, none of them in `avoid`."""
    if not 1 <= length <= 20:
        raise ValueError("GS1 serials are 1 to 20 characters long")
    if count > 32**length // 10_000:
        raise ValueError("too many serials for this length: guessing would become too easy")
    chosen: set[str] = set()
    while len(chosen) < count:
        missing = count - len(chosen)
        symbols = os.urandom(missing * length).translate(_TO_SYMBOL).decode("ascii")
        chosen.update(symbols[i : i + length] for i in range(0, missing * length, length))
        chosen -= avoid
    return sorted(chosen)
