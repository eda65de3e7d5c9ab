"""Every field of every transaction: malformed values are refused as INVALID_ARGUMENT, changing
nothing. Each case starts from a request the contract accepts and breaks exactly one thing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from chaincode import canonical
from chaincode.contract import EVALUATE
from chaincode.errors import ErrorCode
from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
    GLNS,
    GTIN,
    MANUFACTURER,
    OTHER_GTIN,
    PHARMACY_A,
    PHARMACY_B,
    REGULATOR,
    SERIAL,
    T1,
    BatchSpec,
    Body,
    make_gln,
    make_sscc,
    organization_body,
    product_body,
    refused,
    refused_query,
    ship_body,
    status_body,
    wrong_check_digit,
)
from tests.unit.chaincode.fake_stub import FakeWorld

pytestmark = pytest.mark.unit

DROP = object()  # the field is left out


@dataclass(frozen=True)
class Valid:
    """A request the contract accepts in the named world fixture."""

    caller: str
    world: str
    body: Callable[[], Body]


VALID: dict[str, Valid] = {
    "RegisterOrganization": Valid(
        REGULATOR, "world", lambda: organization_body("ClinicMSP", "pharmacy", gln=make_gln(70))
    ),
    "SetLicenceStatus": Valid(
        REGULATOR,
        "world",
        lambda: {"msp_id": PHARMACY_B, "licence_status": "suspended", "reason": "Audit"},
    ),
    "RegisterProduct": Valid(MANUFACTURER, "world", lambda: product_body(OTHER_GTIN)),
    "RegisterBatch": Valid(
        MANUFACTURER, "world", lambda: BatchSpec.of(GTIN, "LOT-B2", 4).register_body()
    ),
    "ChangeBatchStatus": Valid(MANUFACTURER, "world", lambda: status_body(BATCH, "quarantined")),
    "Ship": Valid(MANUFACTURER, "world", lambda: ship_body("SHP-9", DISTRIBUTOR, BATCH.line(2))),
    "Receive": Valid(DISTRIBUTOR, "in_transit_world", lambda: {"shipment_id": "SHP-1"}),
    "Decommission": Valid(PHARMACY_A, "stocked_world", lambda: BATCH.pack(SERIAL)),
    "UndoDecommission": Valid(
        PHARMACY_A, "dispensed_world", lambda: {"gtin": GTIN, "serial": SERIAL}
    ),
    "GetOrganization": Valid(PHARMACY_A, "stocked_world", lambda: {"msp_id": MANUFACTURER}),
    "GetProduct": Valid(PHARMACY_A, "stocked_world", lambda: {"gtin": GTIN}),
    "GetBatch": Valid(PHARMACY_A, "stocked_world", lambda: dict(BATCH.key)),
    "GetShipment": Valid(PHARMACY_A, "stocked_world", lambda: {"shipment_id": "SHP-1"}),
    "GetPack": Valid(PHARMACY_A, "stocked_world", lambda: {"gtin": GTIN, "serial": SERIAL}),
}

Path = tuple[str | int, ...]


def cases(function: str, path: str | Path, *values: Any) -> list[Any]:
    path = (path,) if isinstance(path, str) else path
    dotted = ".".join(str(part) for part in path)
    return [
        pytest.param(
            function,
            path,
            value,
            id=f"{function}-{dotted}-{'missing' if value is DROP else repr(value)[:24]}",
        )
        for value in values
    ]


LINE = ("lines", 0)
S0, S1, S2 = BATCH.serials[:3]

CASES = [
    # RegisterOrganization
    *cases("RegisterOrganization", "msp_id", DROP, None, 42, "", "   ", "M" * 65),
    *cases("RegisterOrganization", "role", DROP, "wholesaler", "Pharmacy", 1),
    *cases("RegisterOrganization", "name", DROP, "", ["Clinic"], "n" * 201),
    *cases(
        "RegisterOrganization",
        "gln",
        DROP,
        wrong_check_digit(make_gln(70)),
        int(make_gln(70)),
        make_gln(70)[1:],
        make_gln(70)[:-1] + "X",
    ),
    *cases(
        "RegisterOrganization",
        "locations",
        None,
        make_gln(71),
        [int(make_gln(71))],
        [wrong_check_digit(make_gln(71))],
        [""],
        [make_gln(71), None],
        [make_gln(71)[:-1] + "\n"],
        [make_gln(200 + n) for n in range(51)],
    ),
    *cases("RegisterOrganization", "licence_status", "pending", None, 1),
    *cases("RegisterOrganization", "licence_number", 12, "x" * 65),
    *cases("RegisterOrganization", "address", "a" * 201, {"street": "x"}),
    *cases("RegisterOrganization", "country", "DEU", 49),
    *cases("RegisterOrganization", "latitude", True, "52.5", 90.5, -90.01, [1]),
    *cases("RegisterOrganization", "longitude", False, 180.5, -181),
    # SetLicenceStatus
    *cases("SetLicenceStatus", "msp_id", DROP, 7, ""),
    *cases("SetLicenceStatus", "licence_status", DROP, "Suspended", "expired", None),
    *cases("SetLicenceStatus", "reason", 5, "r" * 201),
    # RegisterProduct
    *cases(
        "RegisterProduct",
        "gtin",
        DROP,
        int(OTHER_GTIN),
        wrong_check_digit(OTHER_GTIN),
        OTHER_GTIN[1:],
        "0" + OTHER_GTIN,
        OTHER_GTIN[:-1] + "X",
        " " + OTHER_GTIN[1:],
    ),
    *cases("RegisterProduct", "name", DROP, "", 3),
    *cases("RegisterProduct", "form", "f" * 65),
    *cases("RegisterProduct", "strength", 500),
    *cases("RegisterProduct", "pack_size", ["20"]),
    *cases("RegisterProduct", "national_code", "1" * 21),
    # RegisterBatch
    *cases("RegisterBatch", "gtin", DROP, wrong_check_digit(GTIN)),
    *cases("RegisterBatch", "lot", DROP, "", "L" * 21, "LOT B2", "LÖT", "LOT#2", 12),
    *cases(
        "RegisterBatch",
        "expiry",
        DROP,
        "2027/12/31",
        "31-12-2027",
        "2027-02-30",
        "271231",
        "2027-12-31T00:00:00",
        20271231,
    ),
    *cases("RegisterBatch", "quantity", DROP, "4", 4.0, True, 0, -1, 50_000_001),
    *cases("RegisterBatch", "manufactured", "2025-13-01", 5),
    *cases("RegisterBatch", "merkle_root", DROP),
    # ChangeBatchStatus
    *cases("ChangeBatchStatus", "gtin", DROP),
    *cases("ChangeBatchStatus", "lot", DROP),
    *cases("ChangeBatchStatus", "status", DROP, None, "Quarantined"),
    *cases("ChangeBatchStatus", "reason", DROP, "", "r" * 501),
    # Ship
    *cases("Ship", "shipment_id", DROP, 3, "", "s" * 65),
    *cases("Ship", "receiver", DROP, 5, ""),
    *cases(
        "Ship",
        "lines",
        DROP,
        [],
        "lines",
        {"gtin": GTIN},
        [1],
        [[]],
        [BATCH.line(1)] * 201,
        [BATCH.line(1), BATCH.line(1)],
    ),
    *cases("Ship", (*LINE, "quantity"), DROP, True, 0, -2, "2", 2.5, 10_000_001),
    *cases(
        "Ship",
        (*LINE, "serials"),
        S0,
        [1],
        [S0, S0],
        [S0, S1, S2],
        ["bad serial"],
        ["X" * 21],
        [""],
        None,
    ),
    *cases("Ship", (*LINE, "ssccs"), "x", ["123"], [wrong_check_digit(make_sscc(1))], [1]),
    *cases("Ship", (*LINE, "gtin"), DROP, wrong_check_digit(GTIN)),
    *cases("Ship", (*LINE, "lot"), DROP, "L" * 21),
    *cases("Ship", "from_location", "123", 4012340000012),
    *cases("Ship", "to_location", wrong_check_digit(make_gln(2))),
    # Receive
    *cases("Receive", "shipment_id", DROP, 1),
    *cases(
        "Receive",
        "lines",
        [],
        "x",
        [1],
        [BATCH.line(1), BATCH.line(2)],
        [BATCH.line(-1)],
        [BATCH.line(True)],
        [{**BATCH.key, "quantity": 1.0}],
        [BATCH.key],
        [BATCH.line(10_000_001)],
        [{"gtin": wrong_check_digit(GTIN), "lot": BATCH.lot, "quantity": 1}],
        [{"gtin": GTIN, "lot": "L" * 21, "quantity": 1}],
    ),
    *cases("Receive", "location", "123", 5),
    # Decommission
    *cases("Decommission", "gtin", DROP, wrong_check_digit(GTIN)),
    *cases("Decommission", "lot", DROP, ""),
    *cases("Decommission", "serial", DROP, "", "S" * 21, "SN 1", 5),
    *cases("Decommission", "status", "sold", "SUPPLIED", None, 1, "active"),
    *cases("Decommission", "location", "123", int(make_gln(4))),
    *cases("Decommission", "proof", DROP, None, [], "proof", [0, []]),
    *cases("Decommission", ("proof", "index"), DROP, True, False, -1, 10, "0", 0.0, None),
    *cases(
        "Decommission",
        ("proof", "siblings"),
        "ab" * 32,
        [1],
        ["zz" * 32],
        ["abc"],
        ["ab" * 32] * 65,
        None,
    ),
    # UndoDecommission
    *cases("UndoDecommission", "gtin", DROP, int(GTIN)),
    *cases("UndoDecommission", "serial", DROP, "", "S" * 21),
    *cases("UndoDecommission", "location", "123", 5),
    # queries
    *cases("GetOrganization", "msp_id", DROP, "", 1, "m" * 65),
    *cases("GetProduct", "gtin", DROP, int(GTIN), wrong_check_digit(GTIN)),
    *cases("GetBatch", "gtin", wrong_check_digit(GTIN)),
    *cases("GetBatch", "lot", DROP, "L" * 21),
    *cases("GetShipment", "shipment_id", DROP, 5, "s" * 65),
    *cases("GetPack", "gtin", DROP),
    *cases("GetPack", "serial", DROP, "S" * 21),
]


def broken(body: Body, path: Path, value: Any) -> Body:
    body = copy.deepcopy(body)
    parent: Any = body
    for part in path[:-1]:
        parent = parent[part]
    if value is DROP:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(value)
    return body


@pytest.mark.parametrize("function", sorted(VALID))
def test_the_unbroken_request_is_accepted(request: pytest.FixtureRequest, function: str) -> None:
    valid = VALID[function]
    world = request.getfixturevalue(valid.world)

    if function in EVALUATE:
        world.evaluate(valid.caller, function, valid.body(), T1)
    else:
        world.submit(valid.caller, function, valid.body(), T1)


def test_every_transaction_with_fields_is_covered() -> None:
    assert {case.values[0] for case in CASES} == set(VALID)


def assert_invalid_argument(
    request: pytest.FixtureRequest, function: str, path: Path, value: Any
) -> None:
    valid = VALID[function]
    world = request.getfixturevalue(valid.world)
    body = broken(valid.body(), path, value)

    if function in EVALUATE:
        refused_query(world, ErrorCode.INVALID_ARGUMENT, function, body)
    else:
        refused(world, ErrorCode.INVALID_ARGUMENT, valid.caller, function, body)


@pytest.mark.parametrize(("function", "path", "value"), CASES)
def test_given_malformed_field_when_invoked_then_invalid_argument(
    request: pytest.FixtureRequest, function: str, path: Path, value: Any
) -> None:
    assert_invalid_argument(request, function, path, value)


# -- identifiers and text that once slipped through -------------------------------------------
@pytest.mark.parametrize(
    ("function", "path", "value"),
    [
        *cases("RegisterBatch", "lot", "LOT-B2\n"),
        *cases("Ship", (*LINE, "serials"), [S0 + "\n"]),
        *cases("RegisterProduct", "gtin", OTHER_GTIN[:-1] + "\n"),
        *cases("RegisterOrganization", "gln", make_gln(70)[:-1] + "\n"),
        *cases("GetProduct", "gtin", GTIN[:-1] + "\n"),
        *cases("RegisterBatch", "lot", "LOT-B2\r\n"),
        *cases("Decommission", "serial", SERIAL + "\n"),
        *cases("Ship", "to_location", make_gln(2) + "\n"),
    ],
)
def test_given_identifier_with_trailing_newline_then_invalid_argument(
    request: pytest.FixtureRequest, function: str, path: Path, value: Any
) -> None:
    assert_invalid_argument(request, function, path, value)


@pytest.mark.parametrize(
    ("function", "path", "value"),
    [
        *cases("Ship", "shipment_id", "SHP\x009"),
        *cases("Receive", "shipment_id", "SHP\x001"),
        *cases("RegisterOrganization", "msp_id", "Clinic\x00MSP"),
        *cases("GetShipment", "shipment_id", "SHP\x001"),
    ],
)
def test_given_nul_character_in_a_key_field_then_invalid_argument(
    request: pytest.FixtureRequest, function: str, path: Path, value: Any
) -> None:
    assert_invalid_argument(request, function, path, value)


@pytest.mark.parametrize(
    ("function", "path", "value"),
    [
        *cases("RegisterProduct", "name", "Amoxicillin \ud800"),
        *cases("ChangeBatchStatus", "reason", "\udfff"),
    ],
)
def test_given_lone_surrogate_in_a_text_field_then_invalid_argument(
    request: pytest.FixtureRequest, function: str, path: Path, value: Any
) -> None:
    assert_invalid_argument(request, function, path, value)


@pytest.mark.parametrize(
    ("function", "path", "value"),
    [
        *cases("RegisterOrganization", "name", "Clinic\nLtd", "Clinic Ltd\n", "\tClinic"),
        *cases("RegisterOrganization", "address", "Hauptstraße 1\r\nBerlin", "Escape \x1b[0m"),
        *cases("RegisterOrganization", "licence_number", "APO\x7f17"),
        *cases("RegisterProduct", "name", "Amoxicillin\u2028500 mg", "Amoxicillin \x85"),
        *cases("RegisterProduct", "form", "capsule\x00"),
        *cases("SetLicenceStatus", "reason", "Audit\x08"),
        *cases("ChangeBatchStatus", "reason", "Sterility\n"),
        *cases("Ship", "receiver", DISTRIBUTOR + "\n"),
        *cases("GetOrganization", "msp_id", MANUFACTURER + "\t"),
    ],
)
def test_given_control_character_in_a_text_field_then_invalid_argument(
    request: pytest.FixtureRequest, function: str, path: Path, value: Any
) -> None:
    assert_invalid_argument(request, function, path, value)


@pytest.mark.parametrize(
    ("function", "path", "value"),
    [
        *cases("RegisterOrganization", "licence_number", "   "),
        *cases("RegisterOrganization", "address", "\t"),
        *cases("RegisterProduct", "form", " "),
        *cases("SetLicenceStatus", "reason", "  "),
    ],
)
def test_given_blank_optional_text_then_invalid_argument(
    request: pytest.FixtureRequest, function: str, path: Path, value: Any
) -> None:
    """Only the empty string counts as absent; white space alone is still no text."""
    assert_invalid_argument(request, function, path, value)


# -- optional fields given as "" count as absent -------------------------------------------------
def test_given_empty_optional_organization_fields_then_they_are_absent(
    world: FakeWorld,
) -> None:
    body = organization_body(
        "ClinicMSP", "pharmacy", gln=make_gln(70), licence_number="", address="", country=""
    )

    org = world.submit(REGULATOR, "RegisterOrganization", body, T1)

    assert (org["licence_number"], org["address"], org["country"]) == ("", "", "")


def test_given_empty_optional_product_fields_then_they_are_absent(world: FakeWorld) -> None:
    body = product_body(OTHER_GTIN, form="", strength="", pack_size="", national_code="")

    product = world.submit(MANUFACTURER, "RegisterProduct", body, T1)

    assert [product[f] for f in ("form", "strength", "pack_size", "national_code")] == [""] * 4


def test_given_empty_licence_change_reason_then_it_is_absent(world: FakeWorld) -> None:
    body = {"msp_id": PHARMACY_B, "licence_status": "suspended", "reason": ""}

    world.submit(REGULATOR, "SetLicenceStatus", body, T1)

    assert world.last_event.body["reason"] == ""


def test_given_empty_optional_locations_when_shipping_and_receiving_then_main_premises(
    world: FakeWorld,
) -> None:
    body = ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1), from_location="", to_location="")

    shipment = world.submit(MANUFACTURER, "Ship", body, T1)
    received = world.submit(DISTRIBUTOR, "Receive", {"shipment_id": "SHP-9", "location": ""}, T1)

    assert (shipment["from_location"], shipment["to_location"]) == (
        GLNS[MANUFACTURER],
        GLNS[DISTRIBUTOR],
    )
    assert received["to_location"] == GLNS[DISTRIBUTOR]


def test_given_empty_location_when_dispensing_and_undoing_then_the_main_premises_are_used(
    stocked_world: FakeWorld,
) -> None:
    pack = stocked_world.submit(PHARMACY_A, "Decommission", BATCH.pack(SERIAL, location=""), T1)
    undone = stocked_world.submit(
        PHARMACY_A, "UndoDecommission", {"gtin": GTIN, "serial": SERIAL, "location": ""}, T1
    )

    assert pack["location"] == GLNS[PHARMACY_A]
    assert undone["status"] == "active"


@pytest.mark.parametrize(
    ("function", "path"),
    [
        ("RegisterOrganization", "msp_id"),
        ("RegisterOrganization", "name"),
        ("RegisterProduct", "name"),
        ("ChangeBatchStatus", "reason"),
        ("Ship", "shipment_id"),
        ("GetOrganization", "msp_id"),
    ],
)
def test_given_empty_required_text_then_still_invalid_argument(
    request: pytest.FixtureRequest, function: str, path: str
) -> None:
    assert_invalid_argument(request, function, (path,), "")


# -- printable Unicode is text ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["Ибупрофен 200 мг", "布洛芬片", "Paracétamol 1 g – 8 Stück", "Pflaster 🩹", "x" * 200],
    ids=["cyrillic", "chinese", "accents-and-dash", "emoji", "longest"],
)
def test_given_printable_unicode_text_then_accepted_unchanged(world: FakeWorld, name: str) -> None:
    product = world.submit(MANUFACTURER, "RegisterProduct", product_body(OTHER_GTIN, name=name), T1)

    assert product["name"] == name


def test_given_a_valid_surrogate_pair_escape_then_it_is_one_character(world: FakeWorld) -> None:
    raw = json.dumps(product_body(OTHER_GTIN, name="Pflaster \U0001fa79"))
    assert "\\ud83e\\ude79" in raw

    product = canonical.loads(world.invoke(MANUFACTURER, "RegisterProduct", [raw], T1))

    assert product["name"] == "Pflaster \U0001fa79"


# -- known defects in input validation -----------------------------------------------------------
@pytest.mark.parametrize(
    ("function", "path", "value"),
    [
        *cases("RegisterBatch", "expiry", "2027-W52-5"),
        *cases("RegisterBatch", "manufactured", "2025-W05-1"),
    ],
)
def test_given_iso_week_date_then_invalid_argument(
    request: pytest.FixtureRequest, function: str, path: Path, value: Any
) -> None:
    assert_invalid_argument(request, function, path, value)
