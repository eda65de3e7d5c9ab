"""parse_code accepts every form a pack code arrives in."""

import datetime as dt

import pytest

from services.gs1 import PackIdentifier, parse_code

pytestmark = pytest.mark.unit

GS = "\x1d"
GTIN = "09506000134352"
FULL = PackIdentifier(gtin=GTIN, lot="ABC", serial="XYZ", expiry_raw="261231")


def assert_reads(text: str, expected: PackIdentifier, source: str) -> None:
    result = parse_code(text)
    assert result.problems == ()
    assert result.ok
    assert result.identifier == expected
    assert result.source == source
    assert result.raw == text


# ------------------------------------------------------------------ element strings


@pytest.mark.parametrize(
    "text",
    [
        f"01{GTIN}1726123110ABC{GS}21XYZ",
        f"01{GTIN}1726123110ABC{GS}21XYZ{GS}",  # trailing GS tolerated
        f"]d201{GTIN}1726123110ABC{GS}21XYZ",  # GS1 DataMatrix prefix
        f"]Q301{GTIN}1726123110ABC{GS}21XYZ",  # GS1 QR prefix
        f"]C101{GTIN}1726123110ABC{GS}21XYZ",  # GS1-128 prefix
        f"]e001{GTIN}1726123110ABC{GS}21XYZ",  # GS1 DataBar prefix
        f"]d2{GS}01{GTIN}1726123110ABC{GS}21XYZ",  # FNC1 sent as a leading GS
        f"  01{GTIN}1726123110ABC{GS}21XYZ\r\n",  # whitespace and scanner CR/LF
        f"01{GTIN}21XYZ{GS}10ABC{GS}17261231",  # any order, GS after variable fields
        f"1726123101{GTIN}10ABC{GS}21XYZ",
    ],
)
def test_element_string(text: str) -> None:
    assert_reads(text, FULL, "element_string")


def test_element_string_last_variable_field_needs_no_gs() -> None:
    assert_reads(
        f"01{GTIN}1726123110ABC",
        PackIdentifier(gtin=GTIN, lot="ABC", expiry_raw="261231"),
        "element_string",
    )
    assert_reads(f"01{GTIN}21XYZ", PackIdentifier(gtin=GTIN, serial="XYZ"), "element_string")


def test_element_string_lot_that_is_only_digits() -> None:
    assert_reads(f"01{GTIN}10123456", PackIdentifier(gtin=GTIN, lot="123456"), "element_string")


def test_element_string_with_national_number() -> None:
    expected = PackIdentifier(
        gtin=GTIN, lot="ABC", serial="XYZ", national_number=("710", "1234567")
    )
    assert_reads(f"01{GTIN}10ABC{GS}21XYZ{GS}7101234567", expected, "element_string")


def test_element_string_ignores_other_valid_ais() -> None:
    # (11) production date and (30) count are valid GS1 but not part of a pack identifier.
    assert_reads(
        f"01{GTIN}112501013012{GS}21XYZ", PackIdentifier(gtin=GTIN, serial="XYZ"), "element_string"
    )


def test_dropped_gs_recovered_when_only_one_reading_is_valid() -> None:
    # Lot first, GTIN after it, separator dropped: "ABC0109506000134352" as a 19-character lot
    # would leave the pack without a GTIN, so the only valid reading is lot "ABC" + GTIN.
    assert_reads(f"10ABC01{GTIN}", PackIdentifier(gtin=GTIN, lot="ABC"), "element_string")


def test_dropped_gs_recovered_when_the_long_reading_is_too_long() -> None:
    lot, serial = "LOTABCDEFGHIJKLM", "SERABCDEFGHIJKLM"
    # lot+"21"+serial is 34 characters, over the 20 allowed, so there is only one valid split.
    assert_reads(
        f"01{GTIN}10{lot}21{serial}",
        PackIdentifier(gtin=GTIN, lot=lot, serial=serial),
        "element_string",
    )


def test_bare_sscc_element_string() -> None:
    assert_reads(
        "00106141412345678908", PackIdentifier(sscc="106141412345678908"), "element_string"
    )


@pytest.mark.parametrize(
    ("text", "gtin"),
    [
        ("96385074", "00000096385074"),
        ("614141123452", "00614141123452"),
        ("9506000134352", GTIN),
        (GTIN, GTIN),
        ("]E09506000134352", GTIN),
    ],
)
def test_bare_gtin(text: str, gtin: str) -> None:
    assert_reads(text, PackIdentifier(gtin=gtin), "element_string")


# ------------------------------------------------------------------ human-readable


@pytest.mark.parametrize(
    "text",
    [
        f"(01){GTIN}(17)261231(10)ABC(21)XYZ",
        f"(01) {GTIN} (17) 261231 (10) ABC (21) XYZ",
        f"(01){GTIN} (17)261231 (10)ABC (21)XYZ",
        f"(01){GTIN}\t(17)261231\n(10)ABC (21)XYZ\n",
    ],
)
def test_human_readable(text: str) -> None:
    assert_reads(text, FULL, "human_readable")


def test_human_readable_sscc() -> None:
    assert_reads(
        "(00)106141412345678908", PackIdentifier(sscc="106141412345678908"), "human_readable"
    )
    assert_reads(
        "(00) 106141412345678908", PackIdentifier(sscc="106141412345678908"), "human_readable"
    )


def test_human_readable_value_with_parentheses() -> None:
    assert_reads(f"(01){GTIN}(10)A(B)C", PackIdentifier(gtin=GTIN, lot="A(B)C"), "human_readable")


# ------------------------------------------------------------------ Digital Link


@pytest.mark.parametrize(
    "text",
    [
        f"https://id.gs1.org/01/{GTIN}/10/ABC/21/XYZ?17=261231",
        f"https://example.com/foo/01/{GTIN}/10/ABC/21/XYZ?17=261231",
        f"https://example.com/a/b/c/01/{GTIN}/10/ABC/21/XYZ?17=261231",
        f"http://example.com/01/{GTIN}/10/ABC/21/XYZ?17=261231",
        f"HTTPS://Example.COM/01/{GTIN}/10/ABC/21/XYZ?17=261231",
        f"https://example.com/01/{GTIN}/10/ABC/21/XYZ/?17=261231",  # trailing slash
        f"https://example.com/01/{GTIN}/10/ABC/21/XYZ?linkType=all&17=261231&exp=991231",
        f"https://example.com/01/{GTIN}/10/ABC/21/XYZ?17=261231#fragment",
        f"https://example.com/01/{GTIN}?17=261231&10=ABC&21=XYZ",  # lenient: keys in query
        f"https://example.com:8443/01/{GTIN}/10/ABC/21/XYZ?17=261231",
        f"]Q3https://example.com/01/{GTIN}/10/ABC/21/XYZ?17=261231",
        f"]Q1https://example.com/01/{GTIN}/10/ABC/21/XYZ?17=261231\r\n",
    ],
)
def test_digital_link(text: str) -> None:
    assert_reads(text, FULL, "digital_link")


def test_digital_link_path_prefix_may_contain_01() -> None:
    # Only a /01/ followed by well-formed key/value pairs is the primary key.
    assert_reads(
        f"https://example.com/01/x/01/{GTIN}/21/XYZ",
        PackIdentifier(gtin=GTIN, serial="XYZ"),
        "digital_link",
    )


def test_digital_link_qualifiers_out_of_order_are_still_read() -> None:
    assert_reads(f"https://example.com/01/{GTIN}/21/XYZ/10/ABC?17=261231", FULL, "digital_link")


@pytest.mark.parametrize(
    ("short", "gtin"),
    [
        ("9506000134352", GTIN),  # GTIN-13
        ("614141123452", "00614141123452"),  # GTIN-12
        ("96385074", "00000096385074"),  # GTIN-8
    ],
)
def test_digital_link_pads_short_gtins(short: str, gtin: str) -> None:
    assert_reads(
        f"https://brand.example/01/{short}/21/S1",
        PackIdentifier(gtin=gtin, serial="S1"),
        "digital_link",
    )


@pytest.mark.parametrize(
    ("segment", "serial"),
    [
        ("A%2FB", "A/B"),
        ("A%2fB", "A/B"),
        ("100%25", "100%"),
        ("A%2BB", "A+B"),
        ("A+B", "A+B"),  # a literal "+" is a "+", never a space
        ("%22Q%22", '"Q"'),
        ("A%3FB%26C%3DD", "A?B&C=D"),
        ("x%28y%29", "x(y)"),
    ],
)
def test_digital_link_percent_decoding(segment: str, serial: str) -> None:
    assert_reads(
        f"https://example.com/01/{GTIN}/21/{segment}",
        PackIdentifier(gtin=GTIN, serial=serial),
        "digital_link",
    )


def test_digital_link_query_values_are_percent_decoded_too() -> None:
    assert_reads(
        f"https://example.com/01/{GTIN}?10=A%2FB",
        PackIdentifier(gtin=GTIN, lot="A/B"),
        "digital_link",
    )


def test_digital_link_sscc() -> None:
    assert_reads(
        "https://example.com/00/106141412345678908",
        PackIdentifier(sscc="106141412345678908"),
        "digital_link",
    )


def test_digital_link_national_number_in_query() -> None:
    assert_reads(
        f"https://example.com/01/{GTIN}/21/XYZ?710=PZN12345",
        PackIdentifier(gtin=GTIN, serial="XYZ", national_number=("710", "PZN12345")),
        "digital_link",
    )


def test_digital_link_exp_is_not_an_expiry() -> None:
    result = parse_code(f"https://example.com/01/{GTIN}?exp=261231")
    assert result.ok
    assert result.identifier == PackIdentifier(gtin=GTIN)


# ------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("261100", dt.date(2026, 11, 30)),
        ("260200", dt.date(2026, 2, 28)),
        ("280200", dt.date(2028, 2, 29)),  # leap year
        ("261200", dt.date(2026, 12, 31)),
        ("280229", dt.date(2028, 2, 29)),
        ("260131", dt.date(2026, 1, 31)),
    ],
)
def test_expiry_day_00_is_last_day_of_month(raw: str, expected: dt.date) -> None:
    for text in (
        f"01{GTIN}17{raw}",
        f"(01){GTIN}(17){raw}",
        f"https://id.gs1.org/01/{GTIN}?17={raw}",
    ):
        result = parse_code(text)
        assert result.ok, result.problems
        assert result.identifier is not None
        assert result.identifier.expiry == expected
        assert result.identifier.expiry_yymmdd == raw
