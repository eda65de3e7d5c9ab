"""The entry point: dispatch, the one-JSON-object argument, coded errors, one event per write."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from chaincode import PharmaTraceContract, canonical
from chaincode.context import PRODUCT, TxContext
from chaincode.contract import EVALUATE, SUBMIT
from chaincode.errors import ContractError, ErrorCode
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
    organization_body,
    product_body,
    ship_body,
    status_body,
)
from tests.unit.chaincode.fake_stub import FakeWorld

pytestmark = pytest.mark.unit


# -- every transaction's happy path ------------------------------------------------------------
def _no_setup(world: FakeWorld) -> None:
    return None


def _ship_to_pharmacy_b(world: FakeWorld) -> None:
    world.submit(DISTRIBUTOR, "Ship", ship_body("SHP-9", PHARMACY_B, BATCH.line(1)), T1)


def _dispense(world: FakeWorld) -> None:
    world.submit(PHARMACY_A, "Decommission", BATCH.pack(SERIAL), T1)


@dataclass(frozen=True)
class HappyPath:
    caller: str
    body: Body
    event: str | None = None  # the event a submitted transaction emits
    setup: Callable[[FakeWorld], None] = field(default=_no_setup)


HAPPY_PATHS: dict[str, HappyPath] = {
    "RegisterOrganization": HappyPath(
        REGULATOR,
        organization_body("ClinicMSP", "pharmacy", gln=make_gln(77)),
        "OrganizationRegistered",
    ),
    "SetLicenceStatus": HappyPath(
        REGULATOR, {"msp_id": PHARMACY_B, "licence_status": "suspended"}, "LicenceStatusChanged"
    ),
    "RegisterProduct": HappyPath(MANUFACTURER, product_body(OTHER_GTIN), "ProductRegistered"),
    "RegisterBatch": HappyPath(
        MANUFACTURER, BatchSpec.of(GTIN, "LOT-B2", 3).register_body(), "BatchRegistered"
    ),
    "ChangeBatchStatus": HappyPath(
        REGULATOR, status_body(BATCH, "quarantined"), "BatchStatusChanged"
    ),
    "Ship": HappyPath(
        DISTRIBUTOR, ship_body("SHP-9", PHARMACY_A, BATCH.line(1)), "ShipmentShipped"
    ),
    "Receive": HappyPath(
        PHARMACY_B, {"shipment_id": "SHP-9"}, "ShipmentReceived", _ship_to_pharmacy_b
    ),
    "Decommission": HappyPath(PHARMACY_A, BATCH.pack(SERIAL), "PackDecommissioned"),
    "UndoDecommission": HappyPath(
        PHARMACY_A, {"gtin": GTIN, "serial": SERIAL}, "PackReactivated", _dispense
    ),
    "GetOrganization": HappyPath(PHARMACY_A, {"msp_id": MANUFACTURER}),
    "ListOrganizations": HappyPath(PHARMACY_A, {}),
    "GetProduct": HappyPath(PHARMACY_A, {"gtin": GTIN}),
    "GetBatch": HappyPath(PHARMACY_A, BATCH.key),
    "GetShipment": HappyPath(PHARMACY_A, {"shipment_id": "SHP-1"}),
    "GetPack": HappyPath(PHARMACY_A, {"gtin": GTIN, "serial": SERIAL}),
    "GetHistory": HappyPath(PHARMACY_A, {"kind": "batch", **BATCH.key}),
}


def test_every_transaction_has_a_happy_path_here() -> None:
    assert set(HAPPY_PATHS) == set(SUBMIT) | set(EVALUATE)
    assert not set(SUBMIT) & set(EVALUATE)


@pytest.mark.parametrize("function", sorted(SUBMIT))
def test_given_valid_request_when_submitted_then_one_event_and_a_committed_change(
    stocked_world: FakeWorld, function: str
) -> None:
    case = HAPPY_PATHS[function]
    case.setup(stocked_world)
    before = stocked_world.snapshot()

    result = stocked_world.submit(case.caller, function, case.body, T1 + timedelta(hours=1))

    assert isinstance(result, dict)
    assert stocked_world.state != before.state
    assert len(stocked_world.events) == len(before.events) + 1
    assert stocked_world.last_event.name == case.event
    assert stocked_world.last_event.tx_id == stocked_world.log[-1].tx_id


@pytest.mark.parametrize("function", sorted(EVALUATE))
def test_given_valid_query_when_evaluated_then_it_writes_and_emits_nothing(
    stocked_world: FakeWorld, function: str
) -> None:
    case = HAPPY_PATHS[function]
    case.setup(stocked_world)
    stub = stocked_world.stub(case.caller, T1)

    raw = PharmaTraceContract().invoke(stub, function, [json.dumps(case.body)])

    assert canonical.dumps(canonical.loads(raw)) == raw
    assert stub.writes == {}
    assert stub.event is None


@pytest.mark.parametrize(
    ("function", "read_only"),
    [*((name, False) for name in sorted(SUBMIT)), *((name, True) for name in sorted(EVALUATE))],
)
def test_is_read_only_only_for_queries(function: str, read_only: bool) -> None:
    assert PharmaTraceContract.is_read_only(function) is read_only


def test_unknown_function_is_not_read_only() -> None:
    assert PharmaTraceContract.is_read_only("Nope") is False


# -- dispatch and the argument -----------------------------------------------------------------
@pytest.mark.parametrize("function", ["Nope", "", "getbatch", "invoke", "register_product"])
def test_given_unknown_name_when_invoked_then_unknown_function(
    world: FakeWorld, function: str
) -> None:
    before = world.snapshot()

    with pytest.raises(ContractError) as caught:
        world.invoke(MANUFACTURER, function, ["{}"], T1)

    assert caught.value.code == ErrorCode.UNKNOWN_FUNCTION
    assert world.snapshot() == before


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "{",
        "not json",
        "{'gtin': 'single quotes'}",
        "[]",
        "[{}]",
        "42",
        "null",
        "true",
        '"a string"',
        "1" * 5000,  # beyond Python's integer-string limit: a ValueError, not a crash
    ],
    ids=lambda raw: raw[:20] or "empty",
)
def test_given_argument_not_a_json_object_when_submitted_then_invalid_argument(
    world: FakeWorld, raw: str
) -> None:
    before = world.snapshot()

    with pytest.raises(ContractError) as caught:
        world.invoke(MANUFACTURER, "RegisterProduct", [raw], T1)

    assert caught.value.code == ErrorCode.INVALID_ARGUMENT
    assert world.snapshot() == before


def test_given_two_arguments_when_submitted_then_invalid_argument(world: FakeWorld) -> None:
    body = json.dumps(product_body(OTHER_GTIN))

    with pytest.raises(ContractError) as caught:
        world.invoke(MANUFACTURER, "RegisterProduct", [body, body], T1)

    assert caught.value.code == ErrorCode.INVALID_ARGUMENT
    assert world.record(PRODUCT, OTHER_GTIN) is None


def test_given_no_argument_then_the_empty_object_is_used(world: FakeWorld) -> None:
    organizations = canonical.loads(world.invoke(PHARMACY_A, "ListOrganizations", [], T1))
    assert len(organizations) == 6

    with pytest.raises(ContractError) as caught:
        world.invoke(MANUFACTURER, "RegisterProduct", [], T1)
    assert caught.value.code == ErrorCode.INVALID_ARGUMENT
    assert "gtin" in caught.value.message


def test_result_is_canonical_json(world: FakeWorld) -> None:
    raw = world.invoke(MANUFACTURER, "RegisterProduct", [json.dumps(product_body(OTHER_GTIN))], T1)

    assert raw == canonical.dumps(canonical.loads(raw))
    assert canonical.loads(raw)["gtin"] == OTHER_GTIN


# -- a bug becomes INTERNAL, and changes nothing ---------------------------------------------
def _half_written_then_broken(ctx: TxContext, body: dict[str, Any]) -> None:
    ctx.put(PRODUCT, (OTHER_GTIN,), {"gtin": OTHER_GTIN})
    ctx.emit("ProductRegistered", {"product": {"gtin": OTHER_GTIN}})
    raise KeyError("boom")


@pytest.mark.parametrize("table", [SUBMIT, EVALUATE], ids=["submit", "evaluate"])
def test_given_unexpected_exception_when_invoked_then_internal_and_nothing_changes(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch, table: dict[str, Any]
) -> None:
    function = "RegisterProduct" if table is SUBMIT else "GetProduct"
    monkeypatch.setitem(table, function, _half_written_then_broken)
    before = world.snapshot()

    with pytest.raises(ContractError) as caught:
        world.submit(MANUFACTURER, function, product_body(OTHER_GTIN), T1)

    assert caught.value.code == ErrorCode.INTERNAL
    assert caught.value.message == f"{function} failed: KeyError"
    assert isinstance(caught.value.__cause__, KeyError)
    assert world.snapshot() == before


def test_contract_errors_are_not_wrapped_as_internal(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(ctx: TxContext, body: dict[str, Any]) -> None:
        raise ContractError(ErrorCode.NOT_CUSTODIAN, "no")

    monkeypatch.setitem(SUBMIT, "Ship", refuse)

    with pytest.raises(ContractError) as caught:
        world.submit(DISTRIBUTOR, "Ship", {}, T1)

    assert caught.value.code == ErrorCode.NOT_CUSTODIAN


# -- deep nesting is refused, never a crash -----------------------------------------------------
DEPTH = 100_000


@pytest.mark.parametrize(
    "raw",
    [
        '{"a":' + "[" * DEPTH,
        '{"a":' + "[" * DEPTH + "]" * DEPTH + "}",
        '{"a":' * DEPTH + "1" + "}" * DEPTH,
        "[" * DEPTH + "]" * DEPTH,
    ],
    ids=["unclosed-arrays", "closed-arrays", "objects", "top-level-array"],
)
@pytest.mark.parametrize("function", ["RegisterProduct", "GetProduct"])
def test_given_deeply_nested_json_when_invoked_then_invalid_argument(
    world: FakeWorld, raw: str, function: str
) -> None:
    before = world.snapshot()

    with pytest.raises(ContractError) as caught:
        world.invoke(MANUFACTURER, function, [raw], T1)

    assert caught.value.code == ErrorCode.INVALID_ARGUMENT
    assert world.snapshot() == before


def test_given_moderately_nested_json_then_it_is_parsed(world: FakeWorld) -> None:
    body = {**product_body(OTHER_GTIN), "extra": [[[[{"deep": [1]}]]]]}

    assert world.submit(MANUFACTURER, "RegisterProduct", body, T1)["gtin"] == OTHER_GTIN


# -- the wire form of an error ---------------------------------------------------------------
@pytest.mark.parametrize("code", list(ErrorCode))
def test_error_wire_round_trip(code: ErrorCode) -> None:
    error = ContractError(code, 'Ünïcode message with "quotes".')

    decoded = ContractError.from_wire(error.to_wire())

    assert (decoded.code, decoded.message) == (code, error.message)
    assert str(error) == f"{code}: {error.message}"


@pytest.mark.parametrize(
    "text", ["", "plain text", "[]", '{"code": "NO_SUCH_CODE", "message": "x"}', '{"code": "X"}']
)
def test_error_from_foreign_wire_text_is_internal(text: str) -> None:
    decoded = ContractError.from_wire(text)

    assert decoded.code == ErrorCode.INTERNAL
    assert decoded.message == text


def test_error_codes_are_their_own_names() -> None:
    assert all(code.value == code.name for code in ErrorCode)
