"""SSCC contents travel with the shipment: recorded when consistent with the lines, else refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chaincode.context import SHIPMENT
from chaincode.errors import ErrorCode
from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
    GTIN,
    MANUFACTURER,
    T0,
    T1,
    BatchSpec,
    build_registered_world,
    holdings,
    make_sscc,
    refused,
    ship_body,
    wrong_check_digit,
)
from tests.unit.chaincode.fake_stub import FakeWorld

pytestmark = pytest.mark.unit

SECOND_BATCH = BatchSpec.of(GTIN, "LOT-B2", 5)
CASE_1, CASE_2 = make_sscc(1), make_sscc(2)


@pytest.fixture
def two_batch_world(world: FakeWorld) -> FakeWorld:
    """The manufacturer holds BATCH (10) and SECOND_BATCH (5)."""
    world.submit(
        MANUFACTURER, "RegisterBatch", SECOND_BATCH.register_body(), T0 + timedelta(hours=1)
    )
    return world


def content(batch: BatchSpec, quantity: int, *serials: str) -> dict[str, Any]:
    return {**batch.key, "quantity": quantity, "serials": list(serials)}


def unit(sscc: str, *contents: dict[str, Any]) -> dict[str, Any]:
    return {"sscc": sscc, "contents": list(contents)}


def packed_shipment() -> dict[str, Any]:
    """6 units of BATCH: 3 (two serials named) in case 2, 2 in case 1, 1 loose."""
    serials = list(BATCH.serials[:4])
    line = BATCH.line(6, serials=serials, ssccs=[CASE_2, CASE_1])
    return ship_body(
        "SHP-9",
        DISTRIBUTOR,
        line,
        logistic_units=[
            unit(CASE_2, content(BATCH, 3, serials[1], serials[0])),
            unit(CASE_1, content(BATCH, 2, serials[2])),
        ],
    )


def test_given_consistent_units_when_shipping_then_their_contents_are_recorded_in_order(
    world: FakeWorld,
) -> None:
    shipment = world.submit(MANUFACTURER, "Ship", packed_shipment(), T1)

    assert shipment["logistic_units"] == [
        {
            "sscc": CASE_1,
            "contents": [
                {"gtin": GTIN, "lot": BATCH.lot, "quantity": 2, "serials": [BATCH.serials[2]]}
            ],
        },
        {
            "sscc": CASE_2,
            "contents": [
                {
                    "gtin": GTIN,
                    "lot": BATCH.lot,
                    "quantity": 3,
                    "serials": [BATCH.serials[0], BATCH.serials[1]],
                }
            ],
        },
    ]
    assert world.record(SHIPMENT, "SHP-9") == shipment
    assert world.last_event.body["shipment"]["logistic_units"] == shipment["logistic_units"]
    assert holdings(world) == {MANUFACTURER: 4}, "custody moves by the lines alone"


def test_given_no_units_then_the_record_has_no_logistic_units_key(world: FakeWorld) -> None:
    body = ship_body("SHP-9", DISTRIBUTOR, BATCH.line(2, ssccs=[CASE_1]))

    shipment = world.submit(MANUFACTURER, "Ship", body, T1)

    assert "logistic_units" not in shipment


def test_given_a_mixed_case_of_two_batches_then_it_is_recorded(
    two_batch_world: FakeWorld,
) -> None:
    body = ship_body(
        "SHP-9",
        DISTRIBUTOR,
        BATCH.line(2, ssccs=[CASE_1]),
        SECOND_BATCH.line(3, ssccs=[CASE_1]),
        logistic_units=[unit(CASE_1, content(SECOND_BATCH, 3), content(BATCH, 2))],
    )

    shipment = two_batch_world.submit(MANUFACTURER, "Ship", body, T1)

    lots = [c["lot"] for c in shipment["logistic_units"][0]["contents"]]
    assert lots == sorted([BATCH.lot, SECOND_BATCH.lot])


def test_same_units_in_any_order_give_the_same_record() -> None:
    body = packed_shipment()
    reordered = {**body, "logistic_units": list(reversed(body["logistic_units"]))}
    first = build_registered_world().submit(MANUFACTURER, "Ship", body, T1)
    second = build_registered_world().submit(MANUFACTURER, "Ship", reordered, T1)

    assert first == second


def _with_units(*units: dict[str, Any], line: dict[str, Any] | None = None) -> dict[str, Any]:
    body = packed_shipment()
    if line is not None:
        body["lines"] = [line]
    body["logistic_units"] = list(units)
    return body


MISMATCHES = {
    "batch not shipped": _with_units(
        unit(CASE_1, content(BatchSpec.of(GTIN, "LOT-ZZ", 1), 1)),
        line=BATCH.line(2, ssccs=[CASE_1]),
    ),
    "sscc not on the line": _with_units(
        unit(CASE_1, content(BATCH, 1)), line=BATCH.line(2, ssccs=[])
    ),
    "line names an undescribed sscc": _with_units(
        unit(CASE_1, content(BATCH, 1)), line=BATCH.line(2, ssccs=[CASE_1, CASE_2])
    ),
    "more packed than shipped": _with_units(
        unit(CASE_1, content(BATCH, 2)),
        unit(CASE_2, content(BATCH, 2)),
        line=BATCH.line(3, ssccs=[CASE_1, CASE_2]),
    ),
    "serial not on the line": _with_units(
        unit(CASE_1, content(BATCH, 1, BATCH.serials[9])),
        line=BATCH.line(2, serials=[BATCH.serials[0]], ssccs=[CASE_1]),
    ),
    "serial in two cases": _with_units(
        unit(CASE_1, content(BATCH, 1, BATCH.serials[0])),
        unit(CASE_2, content(BATCH, 1, BATCH.serials[0])),
        line=BATCH.line(2, serials=[BATCH.serials[0]], ssccs=[CASE_1, CASE_2]),
    ),
}


@pytest.mark.parametrize("body", MISMATCHES.values(), ids=MISMATCHES.keys())
def test_given_units_that_disagree_with_the_lines_then_refused(
    world: FakeWorld, body: dict[str, Any]
) -> None:
    refused(world, ErrorCode.LOGISTIC_UNIT_MISMATCH, MANUFACTURER, "Ship", body)


MALFORMED = {
    "not a list": "x",
    "empty list": [],
    "bad check digit": [unit(wrong_check_digit(CASE_1), content(BATCH, 1))],
    "sscc missing": [{"contents": [content(BATCH, 1)]}],
    "no contents": [unit(CASE_1)],
    "zero quantity": [unit(CASE_1, content(BATCH, 0))],
    "more serials than quantity": [
        unit(CASE_1, content(BATCH, 1, BATCH.serials[0], BATCH.serials[1]))
    ],
    "repeated serial": [unit(CASE_1, content(BATCH, 2, BATCH.serials[0], BATCH.serials[0]))],
    "batch twice in a unit": [unit(CASE_1, content(BATCH, 1), content(BATCH, 1))],
    "sscc described twice": [unit(CASE_1, content(BATCH, 1)), unit(CASE_1, content(BATCH, 1))],
    "bad gtin": [unit(CASE_1, {**content(BATCH, 1), "gtin": wrong_check_digit(GTIN)})],
}


@pytest.mark.parametrize("units", MALFORMED.values(), ids=MALFORMED.keys())
def test_given_malformed_units_then_invalid_argument(world: FakeWorld, units: object) -> None:
    body = ship_body(
        "SHP-9",
        DISTRIBUTOR,
        BATCH.line(4, serials=list(BATCH.serials[:2]), ssccs=[CASE_1]),
        logistic_units=units,
    )
    refused(world, ErrorCode.INVALID_ARGUMENT, MANUFACTURER, "Ship", body)
