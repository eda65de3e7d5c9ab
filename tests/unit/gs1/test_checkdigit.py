"""Check digits and the numeric keys that carry them (GTIN, GLN, SSCC)."""

import pytest

from services.gs1 import (
    GS1Error,
    gs1_check_digit,
    is_valid_gln,
    is_valid_gtin,
    is_valid_sscc,
    normalize_gtin,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("629104150021", 3),  # the example in DOMAIN.md
        ("0950600013435", 2),  # GTIN-14 09506000134352
        ("9638507", 4),  # GTIN-8 96385074
        ("61414112345", 2),  # GTIN-12 614141123452
        ("10614141234567890", 8),  # SSCC 106141412345678908
        ("0000000000000", 0),
    ],
)
def test_check_digit(data: str, expected: int) -> None:
    assert gs1_check_digit(data) == expected


@pytest.mark.parametrize("bad", ["", "12a4", " 123", "١٢٣", "１２３"])
def test_check_digit_refuses_non_ascii_digits(bad: str) -> None:
    with pytest.raises(GS1Error):
        gs1_check_digit(bad)


@pytest.mark.parametrize(
    "gtin", ["96385074", "614141123452", "9506000134352", "09506000134352", "6291041500213"]
)
def test_valid_gtins(gtin: str) -> None:
    assert is_valid_gtin(gtin)


@pytest.mark.parametrize(
    "gtin",
    [
        "09506000134353",  # wrong check digit
        "9506000134352 ",  # trailing space
        "950600013435",  # 11 data digits + check: length 12 but wrong digit
        "1234567",  # 7 digits
        "009506000134352",  # 15 digits
        "٠٩٥٠٦٠٠٠١٣٤٣٥٢",  # Arabic-Indic digits (biip would accept them)
        "",
    ],
)
def test_invalid_gtins(gtin: str) -> None:
    assert not is_valid_gtin(gtin)


@pytest.mark.parametrize(
    ("gtin", "expected"),
    [
        ("96385074", "00000096385074"),
        ("614141123452", "00614141123452"),
        ("9506000134352", "09506000134352"),
        ("09506000134352", "09506000134352"),
    ],
)
def test_normalize_gtin_pads_to_14(gtin: str, expected: str) -> None:
    assert normalize_gtin(gtin) == expected


@pytest.mark.parametrize("bad", ["09506000134353", "123", "abc", ""])
def test_normalize_gtin_rejects_invalid(bad: str) -> None:
    with pytest.raises(GS1Error):
        normalize_gtin(bad)


def test_gs1_error_is_a_value_error() -> None:
    assert issubclass(GS1Error, ValueError)


def test_gln() -> None:
    assert is_valid_gln("5901234123457")
    assert not is_valid_gln("5901234123458")
    assert not is_valid_gln("09506000134352")  # 14 digits


def test_sscc() -> None:
    assert is_valid_sscc("106141412345678908")
    assert not is_valid_sscc("106141412345678909")
    assert not is_valid_sscc("10614141234567890")  # 17 digits
