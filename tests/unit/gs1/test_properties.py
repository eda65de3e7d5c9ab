"""Property tests: parse_code never raises, the builders round-trip, GTIN typos are caught."""

import datetime as dt
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.gs1 import (
    PackIdentifier,
    ParseResult,
    gs1_check_digit,
    is_valid_gtin,
    parse_code,
    to_digital_link,
    to_element_string,
    to_human_readable,
)
from services.gs1.charset import CSET82

pytestmark = pytest.mark.unit

GS = "\x1d"
FAST = settings(max_examples=200, deadline=None)

# ------------------------------------------------------------------ strategies


@st.composite
def gtin14(draw: st.DrawFn) -> str:
    data = draw(st.text(alphabet="0123456789", min_size=13, max_size=13))
    return data + str(gs1_check_digit(data))


cset82_text = st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)

# Dates inside GS1's two-digit-year window (49 years back, 50 ahead of today), with margin.
_THIS_YEAR = dt.date.today().year
expiry_dates = st.dates(dt.date(_THIS_YEAR - 40, 1, 1), dt.date(_THIS_YEAR + 45, 12, 31))
expiry_raws = st.one_of(
    st.none(),
    expiry_dates.map(lambda d: d.strftime("%y%m%d")),
    expiry_dates.map(lambda d: d.strftime("%y%m00")),  # day 00: last day of the month
)
national_numbers = st.one_of(
    st.none(), st.tuples(st.sampled_from(["710", "711", "712", "713", "714"]), cset82_text)
)


@st.composite
def identifiers(draw: st.DrawFn, *, lot_and_serial: bool = False) -> PackIdentifier:
    return PackIdentifier(
        gtin=draw(gtin14()),
        lot=draw(cset82_text if lot_and_serial else st.none() | cset82_text),
        serial=draw(cset82_text if lot_and_serial else st.none() | cset82_text),
        expiry_raw=draw(expiry_raws),
        national_number=draw(national_numbers),
    )


def assert_no_crash(result: ParseResult, text: str) -> None:
    assert isinstance(result, ParseResult)
    assert result.raw == text
    assert all(p.code != "INTERNAL_ERROR" for p in result.problems), result.problems
    assert result.ok == (not result.problems and result.identifier is not None)
    if result.ok:
        assert result.identifier is not None
        assert result.identifier.gtin is not None or result.identifier.sscc is not None


# ------------------------------------------------------------------ (1) never raises


@FAST
@given(st.text())
def test_parse_code_never_raises_on_any_text(text: str) -> None:
    assert_no_crash(parse_code(text), text)


scanner_alphabet = st.sampled_from(
    list("0123456789") * 4 + list("0117102100ABCxyz()%/+?&=#") + [GS, "\r", "\n", " ", "]", "٣"]
)


@FAST
@given(
    st.sampled_from(["", "]d2", "]Q3", "]C1", "(", "https://id.gs1.org/", "https://x.y/01/"]),
    st.lists(scanner_alphabet, max_size=60).map("".join),
)
def test_parse_code_never_raises_on_code_like_text(prefix: str, body: str) -> None:
    text = prefix + body
    assert_no_crash(parse_code(text), text)


mutations = st.lists(
    st.tuples(
        st.sampled_from(["delete", "insert", "replace", "drop_gs", "swap"]),
        st.integers(min_value=0, max_value=200),
        st.characters(codec="utf-8") | st.sampled_from([GS, "0", "1", "(", ")", "/", "%"]),
    ),
    min_size=1,
    max_size=4,
)


def mutate(text: str, edits: list[tuple[str, int, str]]) -> str:
    for kind, index, char in edits:
        at = index % (len(text) + 1)
        if kind == "delete":
            text = text[:at] + text[at + 1 :]
        elif kind == "insert":
            text = text[:at] + char + text[at:]
        elif kind == "replace":
            text = text[:at] + char + text[at + 1 :]
        elif kind == "drop_gs":
            text = text.replace(GS, "")
        elif len(text) > at + 1:
            text = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    return text


@FAST
@given(identifiers(), st.sampled_from(["element", "hri", "link"]), mutations)
def test_parse_code_never_raises_on_mutated_valid_codes(
    pack: PackIdentifier, form: str, edits: list[tuple[str, int, str]]
) -> None:
    built = {
        "element": lambda: "]d2" + to_element_string(pack),
        "hri": lambda: to_human_readable(pack),
        "link": lambda: to_digital_link(pack, domain="example.com"),
    }[form]()
    text = mutate(built, edits)
    assert_no_crash(parse_code(text), text)


# ------------------------------------------------------------------ (2) round trips

_HRI_GROUP_LOOKALIKE = re.compile(r"\(\d{2,4}\)")


@FAST
@given(identifiers())
def test_round_trip_digital_link(pack: PackIdentifier) -> None:
    result = parse_code(to_digital_link(pack, domain="example.com"))
    assert result.problems == ()
    assert result.identifier == pack
    assert result.source == "digital_link"


@FAST
@given(identifiers())
def test_round_trip_human_readable(pack: PackIdentifier) -> None:
    # Known limitation: a value containing "(" + 2-4 digits + ")" reads as the next group.
    values = [
        pack.lot or "",
        pack.serial or "",
        pack.national_number[1] if pack.national_number else "",
    ]
    assume(not any(_HRI_GROUP_LOOKALIKE.search(v) for v in values))
    result = parse_code(to_human_readable(pack))
    assert result.problems == ()
    assert result.identifier == pack
    assert result.source == "human_readable"


@FAST
@given(identifiers(lot_and_serial=True))
def test_round_trip_element_string_with_separators(pack: PackIdentifier) -> None:
    text = to_element_string(pack)
    assert GS in text
    for scanned in (text, f"]d2{text}\r\n"):
        result = parse_code(scanned)
        assert result.problems == ()
        assert result.identifier == pack
        assert result.source == "element_string"


@FAST
@given(identifiers())
def test_round_trip_element_string_never_wrong(pack: PackIdentifier) -> None:
    # With a single variable-length field there is no GS; if that field's value itself reads
    # as further fields, the parser must say so rather than return a different identifier.
    result = parse_code(to_element_string(pack))
    if result.identifier == pack and not result.problems:
        return
    assert GS not in to_element_string(pack)
    assert {p.code for p in result.problems} == {"MISSING_SEPARATOR"}


@FAST
@given(identifiers(lot_and_serial=True))
def test_dropped_separators_never_give_a_wrong_identifier(pack: PackIdentifier) -> None:
    result = parse_code(to_element_string(pack, separator=""))
    assert_no_crash(result, to_element_string(pack, separator=""))
    if result.ok:
        assert result.identifier == pack
    else:
        assert {p.code for p in result.problems} == {"MISSING_SEPARATOR"}


# ------------------------------------------------------------------ (3) GTIN typos


@FAST
@given(gtin14(), st.integers(min_value=0, max_value=13), st.integers(min_value=1, max_value=9))
def test_single_changed_gtin_digit_is_always_detected(gtin: str, position: int, delta: int) -> None:
    changed = str((int(gtin[position]) + delta) % 10)
    typo = gtin[:position] + changed + gtin[position + 1 :]
    assert typo != gtin
    assert not is_valid_gtin(typo)
    for text in (f"01{typo}", f"(01){typo}", f"https://id.gs1.org/01/{typo}", typo):
        result = parse_code(text)
        assert not result.ok
        assert ("gtin", "INVALID_CHECK_DIGIT") in [(p.field, p.code) for p in result.problems]
