"""Every field of every transaction: malformed values are refused as INVALID_ARGUMENT, changing
nothing. Each case starts from a request the contract accepts and breaks exactly one thing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from chaincode.contract import EVALUATE
from chaincode.errors import ErrorCode
from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
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
    *cases("Decommission", "status", "sold", "SUPPLIED", None, 1),
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


# -- known defects in input validation -----------------------------------------------------------
NEWLINE_REASON = (
    "contract bug: identifiers.py:13-14 anchor with '$', which also matches before a trailing "
    "newline, so a lot/serial ending in '\\n' passes as GS1 CSET 82 and a 13-digit GTIN/GLN "
    "plus '\\n' reaches int('\\n') in the check-digit test and fails as INTERNAL"
)


@pytest.mark.parametrize(
    ("function", "path", "value"),
    [
        *cases("RegisterBatch", "lot", "LOT-B2\n"),
        *cases("Ship", (*LINE, "serials"), [S0 + "\n"]),
        *cases("RegisterProduct", "gtin", OTHER_GTIN[:-1] + "\n"),
        *cases("RegisterOrganization", "gln", make_gln(70)[:-1] + "\n"),
        *cases("GetProduct", "gtin", GTIN[:-1] + "\n"),
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
