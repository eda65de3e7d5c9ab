"""Every GS1 DataMatrix, Digital Link QR and GS1-128 we encode decodes, with zxing-cpp, to the same
identifiers: the DataMatrix as GS1 (symbology identifier ]d2), byte for byte the element string."""

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from services.gs1 import (
    PackIdentifier,
    is_valid_sscc,
    parse_code,
    to_digital_link,
    to_element_string,
)
from services.labels import (
    LabelDataError,
    digital_link_qr,
    gs1_128_sscc,
    gs1_datamatrix,
    next_sscc,
)
from services.labels.datamatrix import bracketed_element_string
from tests.unit.labels.support import decode, only, packs, symbol_image

pytestmark = pytest.mark.unit

ROUND_TRIPS = settings(max_examples=150, deadline=None)
DOMAINS = st.sampled_from(["id.gs1.org", "resolver.example.com", "qr.pharmatrace.example"])


@ROUND_TRIPS
@given(packs())
def test_datamatrix_is_gs1_and_carries_the_element_string(pack: PackIdentifier) -> None:
    barcode = only(decode(symbol_image(gs1_datamatrix(pack))), zxingcpp.BarcodeFormat.DataMatrix)

    assert barcode.symbology_identifier == "]d2"  # DataMatrix with FNC1 first: GS1
    assert barcode.content_type == zxingcpp.ContentType.GS1
    assert barcode.bytes == to_element_string(pack).encode("ascii")
    scanned = parse_code(barcode.symbology_identifier + barcode.text)
    assert scanned.ok, scanned.problems
    assert scanned.identifier == pack


@ROUND_TRIPS
@given(packs(), DOMAINS)
def test_qr_carries_the_digital_link_on_the_chosen_domain(
    pack: PackIdentifier, domain: str
) -> None:
    barcode = only(
        decode(symbol_image(digital_link_qr(pack, domain=domain))), zxingcpp.BarcodeFormat.QRCode
    )

    assert barcode.text == to_digital_link(pack, domain=domain)
    assert barcode.text.startswith(f"https://{domain}/01/{pack.gtin}/10/")
    scanned = parse_code(barcode.text)
    assert scanned.ok, scanned.problems
    assert scanned.identifier == pack


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 9),
    st.text(alphabet="0123456789", min_size=4, max_size=12),
    st.data(),
)
def test_sscc_barcode_is_gs1_128_of_ai_00_with_a_valid_check_digit(
    extension: int, prefix: str, data: st.DataObject
) -> None:
    reference = data.draw(st.integers(0, 10 ** (16 - len(prefix)) - 1))
    sscc = next_sscc(extension, prefix, reference)

    image = symbol_image(gs1_128_sscc(sscc), module=3, bar_height=120)
    barcode = only(decode(image), zxingcpp.BarcodeFormat.Code128)

    assert barcode.symbology_identifier == "]C1"
    assert barcode.content_type == zxingcpp.ContentType.GS1
    assert barcode.text == f"00{sscc}"
    scanned = parse_code(barcode.symbology_identifier + barcode.text)
    assert scanned.ok, scanned.problems
    assert scanned.identifier is not None
    assert scanned.identifier.sscc == sscc
    assert is_valid_sscc(scanned.identifier.sscc)


def test_bracketed_form_splits_at_the_group_separator() -> None:
    element_string = "01095060001343521726123110A(B)C\x1d21X%Y"

    assert bracketed_element_string(element_string) == (
        "[01]09506000134352[17]261231[10]A(B)C[21]X%Y"
    )


def test_datamatrix_needs_a_gtin() -> None:
    with pytest.raises(LabelDataError, match="GTIN"):
        gs1_datamatrix(PackIdentifier(sscc="395060000123456783"))


def test_qr_refuses_a_domain_that_is_not_a_host_name() -> None:
    pack = PackIdentifier(gtin="09506000134352", lot="A", serial="B")

    with pytest.raises(LabelDataError, match="host name"):
        digital_link_qr(pack, domain="bad domain/")


def test_gs1_128_refuses_a_wrong_check_digit() -> None:
    with pytest.raises(LabelDataError, match="SSCC"):
        gs1_128_sscc("395060000123456784")


def test_datamatrix_is_square_ecc200() -> None:
    matrix = gs1_datamatrix(
        PackIdentifier(gtin="09506000134352", lot="LOT001", serial="SN0001X", expiry_raw="270105")
    )

    assert matrix.width == matrix.height
    assert matrix.width in (10, 12, 14, 16, 18, 20, 22, 24, 26, 32, 36, 40, 44)
    assert matrix.quiet_zone == 1
    # ECC 200 finder: solid "L" on the left and bottom edges.
    assert all(matrix.is_dark(0, y) for y in range(matrix.height))
    assert all(matrix.is_dark(x, matrix.height - 1) for x in range(matrix.width))
