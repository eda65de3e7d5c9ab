"""The pure parts of the limits: the JSON depth scan and the token buckets (a settable clock)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.api.limits import deeper_than, json_depth
from services.api.ratelimit import Limit, TokenBuckets

pytestmark = pytest.mark.unit

# Strings full of the characters the scan must see through.
TRICKY_TEXT = st.text(alphabet='[]{}"\\ \n/é\x00', max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
    max_leaves=30,
)


def true_depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((true_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((true_depth(item) for item in value.values()), default=0)
    return 0


@given(JSON_VALUES, st.booleans())
def test_the_scan_agrees_with_the_parsed_depth(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=None if ascii_only else 1)
    depth = true_depth(value)
    assert json_depth(text.encode()) == depth
    assert deeper_than(text.encode(), depth - 1) or depth == 0
    assert not deeper_than(text.encode(), depth)


def test_a_bracket_bomb_is_found_in_its_first_chunk() -> None:
    bomb = b"[" * 1_000_000
    assert deeper_than(bomb, 32)
    assert not deeper_than(b"[]" * 500_000, 32)
    assert deeper_than(b"[]" * 500_000 + b"[" * 33, 32)  # deep only at the very end


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"", 0),
        (b"[[[", 3),  # malformed: counted anyway, the parser refuses it next
        (b'[["unterminated [[[[', 2),  # the rest is inside a string, as the parser sees it
        (b'["\\\\", [[]]]', 3),  # an escaped backslash does not escape the closing quote
        (b'["\\\\\\"]]]", []]', 2),  # \\ then \": the string ends at the third quote
    ],
)
def test_the_scan_on_malformed_and_edge_bodies(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    clock = Clock()
    buckets = TokenBuckets(Limit(rate=2, burst=3), clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") == 0.0
    assert buckets.take("b") == 0.0  # another key, another bucket


def test_a_bucket_refills_no_higher_than_its_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(Limit(rate=10, burst=2), clock)
    buckets.take("a")
    clock.now += 3600
    assert [buckets.take("a") for _ in range(3)][:2] == [0.0, 0.0]
    assert buckets.take("a") > 0


def test_full_buckets_are_forgotten_so_memory_stays_bounded() -> None:
    clock = Clock()
    buckets = TokenBuckets(Limit(rate=100, burst=10), clock)
    for i in range(5000):
        buckets.take(f"k{i}")
        clock.now += 0.001
    assert len(buckets.buckets) < 5000  # the ones refilled by the last sweep went
    assert "k4999" in buckets
