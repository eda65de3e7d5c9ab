"""PackIdentifier validates itself; ParseResult.ok means a usable, clean identifier."""

import datetime as dt
from typing import Any

import pytest

from services.gs1 import GS1Error, PackIdentifier, ParseResult, Problem

pytestmark = pytest.mark.unit

GTIN = "09506000134352"


def test_expiry_raw_derives_expiry_with_day_00() -> None:
    pack = PackIdentifier(gtin=GTIN, expiry_raw="261100")
    assert pack.expiry == dt.date(2026, 11, 30)
    assert pack.expiry_yymmdd == "261100"


def test_expiry_derives_expiry_raw() -> None:
    pack = PackIdentifier(gtin=GTIN, expiry=dt.date(2026, 12, 31))
    assert pack.expiry_raw == "261231"
    assert pack == PackIdentifier(gtin=GTIN, expiry_raw="261231")


def test_expiry_and_raw_must_agree() -> None:
    PackIdentifier(gtin=GTIN, expiry=dt.date(2026, 11, 30), expiry_raw="261100")
    with pytest.raises(GS1Error):
        PackIdentifier(gtin=GTIN, expiry=dt.date(2026, 11, 29), expiry_raw="261100")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"gtin": "09506000134353"},
        {"gtin": "9506000134352"},  # must already be 14 digits
        {"sscc": "106141412345678909"},
        {"lot": ""},
        {"lot": "A" * 21},
        {"serial": "AB CD"},
        {"national_number": ("715", "123")},
        {"national_number": ("710", "")},
        {"expiry_raw": "261301"},
        {"expiry_raw": "260230"},
    ],
)
def test_invalid_fields_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(GS1Error):
        PackIdentifier(**kwargs)


def test_identifier_is_hashable_and_frozen() -> None:
    pack = PackIdentifier(gtin=GTIN, lot="ABC")
    assert {pack: 1}[PackIdentifier(gtin=GTIN, lot="ABC")] == 1
    with pytest.raises(AttributeError):
        pack.lot = "DEF"  # type: ignore[misc]  # asserting immutability


def test_ok_needs_gtin_or_sscc_and_no_problems() -> None:
    problem = Problem(field="lot", code="INVALID_LENGTH", message="x")
    assert ParseResult(PackIdentifier(gtin=GTIN), (), "element_string", "").ok
    assert ParseResult(PackIdentifier(sscc="106141412345678908"), (), "element_string", "").ok
    assert not ParseResult(PackIdentifier(lot="ABC"), (), "element_string", "").ok
    assert not ParseResult(None, (), "unknown", "").ok
    assert not ParseResult(PackIdentifier(gtin=GTIN), (problem,), "element_string", "").ok
