"""The GS1 rules the contract enforces itself, and Fabric's composite-key layout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from chaincode import identifiers
from chaincode.stub import create_composite_key, split_composite_key
from tests.unit.chaincode.builders import make_gln, make_gtin, make_sscc, wrong_check_digit

pytestmark = pytest.mark.unit


def test_check_digit_of_the_gs1_example() -> None:
    assert identifiers.check_digit("629104150021") == 3


@pytest.mark.parametrize(
    ("data", "digit"), [("0000000000000", 0), ("0950110153000", 3), ("1234567", 0)]
)
def test_check_digit(data: str, digit: int) -> None:
    assert identifiers.check_digit(data) == digit


@pytest.mark.parametrize(
    ("check", "make", "length"),
    [
        (identifiers.is_gtin14, make_gtin, 14),
        (identifiers.is_gln, make_gln, 13),
        (identifiers.is_sscc, make_sscc, 18),
    ],
)
def test_numeric_keys_need_length_digits_and_check_digit(
    check: Callable[[str], bool], make: Callable[[int], str], length: int
) -> None:
    valid = make(42)

    assert len(valid) == length
    assert check(valid)
    assert not check(wrong_check_digit(valid))
    assert not check(valid[1:])
    assert not check("0" + valid)
    assert not check(valid[:-2] + "A" + valid[-1])
    assert not check("")
    assert not check(valid[:-1] + "\n"), "a trailing newline is no digit"
    assert not check(valid + "\n")
    assert not check(" " + valid[1:])


@pytest.mark.parametrize("value", ["A", "LOT-2025/01", "x" * 20, "!\"%&'()*+,-./:;<=>?_"])
def test_lot_and_serial_accept_gs1_character_set_82(value: str) -> None:
    assert identifiers.is_lot(value)
    assert identifiers.is_serial(value)


@pytest.mark.parametrize(
    "value", ["", "x" * 21, "LOT 1", "LÖT", "L#1", "L@1", "L\t1", "LOT1\n", "\nLOT1", "LOT\x00"]
)
def test_lot_and_serial_refuse_other_characters_and_lengths(value: str) -> None:
    assert not identifiers.is_lot(value)
    assert not identifiers.is_serial(value)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2027-12-31", date(2027, 12, 31)),
        ("2028-02-29", date(2028, 2, 29)),
        ("2027-02-29", None),
        ("20271231", None),
        ("2027-12-31T00:00", None),
        ("", None),
    ],
)
def test_parse_iso_date(value: str, parsed: date | None) -> None:
    assert identifiers.parse_iso_date(value) == parsed


@pytest.mark.parametrize("attributes", [[], ["a"], ["04012340000011", "LOT-A1", "PharmaCoMSP"]])
def test_composite_keys_round_trip(attributes: list[str]) -> None:
    key = create_composite_key("holding", attributes)

    assert key.startswith("\x00holding\x00")
    assert split_composite_key(key) == ("holding", attributes)


def test_composite_key_parts_must_not_contain_nul() -> None:
    with pytest.raises(ValueError, match="U\\+0000"):
        create_composite_key("pack", ["a\x00b"])


def test_a_simple_key_is_not_a_composite_key() -> None:
    with pytest.raises(ValueError, match="not a composite key"):
        split_composite_key("plain")
