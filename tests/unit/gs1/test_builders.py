"""Building element strings, human-readable text and Digital Link URIs."""

from collections.abc import Callable

import biip
import pytest
from biip.gs1_digital_link_uris import GS1DigitalLinkURI

from services.gs1 import (
    GS1Error,
    PackIdentifier,
    parse_code,
    to_digital_link,
    to_element_string,
    to_human_readable,
)

pytestmark = pytest.mark.unit

GS = "\x1d"
GTIN = "09506000134352"
FULL = PackIdentifier(gtin=GTIN, lot="ABC", serial="XYZ", expiry_raw="261231")


def test_element_string_canonical_order_and_separators() -> None:
    assert to_element_string(FULL) == f"01{GTIN}1726123110ABC{GS}21XYZ"


def test_element_string_no_trailing_separator_and_custom_separator() -> None:
    pack = PackIdentifier(
        gtin=GTIN, lot="ABC", serial="XYZ", expiry_raw="261231", national_number=("710", "PZN1")
    )
    assert to_element_string(pack, separator="|") == f"01{GTIN}1726123110ABC|21XYZ|710PZN1"
    assert not to_element_string(pack).endswith(GS)


def test_element_string_is_read_back_by_biip() -> None:
    result = biip.parse(to_element_string(FULL))
    assert result.gs1_message is not None
    values = {es.ai.ai: es.value for es in result.gs1_message.element_strings}
    assert values == {"01": GTIN, "17": "261231", "10": "ABC", "21": "XYZ"}


def test_human_readable() -> None:
    assert to_human_readable(FULL) == f"(01){GTIN}(17)261231(10)ABC(21)XYZ"


def test_human_readable_keeps_day_00() -> None:
    pack = PackIdentifier(gtin=GTIN, expiry_raw="261100")
    assert to_human_readable(pack) == f"(01){GTIN}(17)261100"


def test_digital_link() -> None:
    assert to_digital_link(FULL) == f"https://id.gs1.org/01/{GTIN}/10/ABC/21/XYZ?17=261231"
    assert to_digital_link(FULL, domain="example.com") == (
        f"https://example.com/01/{GTIN}/10/ABC/21/XYZ?17=261231"
    )


def test_digital_link_path_order_is_fixed_and_minimal() -> None:
    assert to_digital_link(PackIdentifier(gtin=GTIN)) == f"https://id.gs1.org/01/{GTIN}"
    assert to_digital_link(PackIdentifier(gtin=GTIN, serial="S")) == (
        f"https://id.gs1.org/01/{GTIN}/21/S"
    )


def test_digital_link_percent_encodes_reserved_characters() -> None:
    pack = PackIdentifier(gtin=GTIN, lot="A/B+C", serial="X?Y&Z%*", expiry_raw="261231")
    link = to_digital_link(pack)
    assert link == f"https://id.gs1.org/01/{GTIN}/10/A%2FB%2BC/21/X%3FY%26Z%25%2A?17=261231"
    assert parse_code(link).identifier == pack
    parsed = GS1DigitalLinkURI.parse(link)  # biip agrees
    assert {es.ai.ai: es.value for es in parsed.element_strings}["21"] == "X?Y&Z%*"


def test_sscc_builders() -> None:
    pack = PackIdentifier(sscc="106141412345678908")
    assert to_element_string(pack) == "00106141412345678908"
    assert to_human_readable(pack) == "(00)106141412345678908"
    assert to_digital_link(pack) == "https://id.gs1.org/00/106141412345678908"


@pytest.mark.parametrize("build", [to_element_string, to_human_readable, to_digital_link])
def test_building_without_gtin_is_misuse(build: Callable[[PackIdentifier], str]) -> None:
    with pytest.raises(GS1Error):
        build(PackIdentifier(lot="ABC", serial="XYZ"))


def test_digital_link_has_one_primary_key() -> None:
    with pytest.raises(GS1Error):
        to_digital_link(PackIdentifier(gtin=GTIN, sscc="106141412345678908"))


@pytest.mark.parametrize("domain", ["", "https://id.gs1.org", "id.gs1.org/x", "a b", "x?y"])
def test_digital_link_rejects_bad_domain(domain: str) -> None:
    with pytest.raises(GS1Error):
        to_digital_link(FULL, domain=domain)
