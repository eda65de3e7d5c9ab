"""Canonical JSON: the one byte form of every value the contract writes or emits.

Endorsing peers must produce identical write sets, so key order, separators and number forms are
fixed here and nowhere else.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> bytes:
    """Sorted keys, no insignificant white space, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def loads(raw: bytes | str) -> Any:
    """Parse JSON produced by `dumps` (or any JSON)."""
    return json.loads(raw)
