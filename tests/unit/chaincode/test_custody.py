"""Custody moves only by shipment: the sender ships, the receiver receives what arrived."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode.context import SHIPMENT
from chaincode.errors import ErrorCode
from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
    GLNS,
    GTIN,
    MANUFACTURER,
    OTHER_GLN,
    OTHER_MANUFACTURER,
    PHARMACY_A,
    PHARMACY_B,
    REGULATOR,
    STRANGER,
    T0,
    T1,
    BatchSpec,
    build_registered_world,
    holdings,
    make_sscc,
    refused,
    ship_and_receive,
    ship_body,
    status_body,
    wrong_check_digit,
)
from tests.unit.chaincode.fake_stub import FakeWorld

pytestmark = pytest.mark.unit

SECOND_BATCH = BatchSpec.of(GTIN, "LOT-B2", 5)


@pytest.fixture
def two_batch_world(world: FakeWorld) -> FakeWorld:
    """The manufacturer holds BATCH (10) and SECOND_BATCH (5)."""
    world.submit(
        MANUFACTURER, "RegisterBatch", SECOND_BATCH.register_body(), T0 + timedelta(hours=1)
    )
    return world


def receive(
    world: FakeWorld, receiver: str, shipment_id: str, *lines: dict, **fields: object
) -> dict:
    body = {"shipment_id": shipment_id, **fields}
    if lines:
        body["lines"] = list(lines)
    return world.submit(receiver, "Receive", body, T1 + timedelta(hours=1))


# -- ship ----------------------------------------------------------------------------------------
def test_given_custodian_when_shipping_then_units_leave_its_holding_and_are_in_transit(
    world: FakeWorld,
) -> None:
    body = ship_body(
        "SHP-9",
        DISTRIBUTOR,
        BATCH.line(
            4, serials=[BATCH.serials[3], BATCH.serials[1]], ssccs=[make_sscc(2), make_sscc(1)]
        ),
        from_location=GLNS[MANUFACTURER],
        to_location=GLNS[DISTRIBUTOR],
    )

    shipment = world.submit(MANUFACTURER, "Ship", body, T1)

    assert shipment == {
        "shipment_id": "SHP-9",
        "sender": MANUFACTURER,
        "receiver": DISTRIBUTOR,
        "from_location": GLNS[MANUFACTURER],
        "to_location": GLNS[DISTRIBUTOR],
        "lines": [
            {
                "gtin": GTIN,
                "lot": BATCH.lot,
                "quantity": 4,
                "serials": [BATCH.serials[1], BATCH.serials[3]],
                "ssccs": [make_sscc(1), make_sscc(2)],
            }
        ],
        "status": "in_transit",
        "shipped_at": "2025-03-04T09:00:00.000Z",
        "ship_tx_id": world.log[-1].tx_id,
    }
    assert world.record(SHIPMENT, "SHP-9") == shipment
    assert holdings(world) == {MANUFACTURER: 6}, "units in transit are held by nobody"
    assert world.last_event.name == "ShipmentShipped"
    assert world.last_event.body["holdings"] == [
        {"gtin": GTIN, "lot": BATCH.lot, "msp_id": MANUFACTURER, "quantity": 6}
    ]


def test_given_no_locations_then_both_parties_main_premises_are_recorded(world: FakeWorld) -> None:
    shipment = world.submit(
        MANUFACTURER, "Ship", ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1)), T1
    )

    assert (shipment["from_location"], shipment["to_location"]) == (
        GLNS[MANUFACTURER],
        GLNS[DISTRIBUTOR],
    )


@pytest.mark.parametrize("field", ["from_location", "to_location"])
def test_given_location_of_nobody_when_shipping_then_not_own_premises(
    world: FakeWorld, field: str
) -> None:
    body = ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1), **{field: OTHER_GLN})
    refused(world, ErrorCode.NOT_OWN_PREMISES, MANUFACTURER, "Ship", body)


def test_given_whole_holding_shipped_then_the_sender_holds_nothing(world: FakeWorld) -> None:
    world.submit(MANUFACTURER, "Ship", ship_body("SHP-9", DISTRIBUTOR, BATCH.line(10)), T1)

    assert holdings(world) == {}
    assert world.last_event.body["holdings"][0]["quantity"] == 0


def test_given_two_batches_when_shipped_together_then_both_holdings_drop(
    two_batch_world: FakeWorld,
) -> None:
    body = ship_body("SHP-9", DISTRIBUTOR, BATCH.line(2), SECOND_BATCH.line(5))

    two_batch_world.submit(MANUFACTURER, "Ship", body, T1)

    assert holdings(two_batch_world) == {MANUFACTURER: 8}
    assert holdings(two_batch_world, SECOND_BATCH) == {}
    assert [h["quantity"] for h in two_batch_world.last_event.body["holdings"]] == [8, 0]


@pytest.mark.parametrize("receiver", [PHARMACY_A, OTHER_MANUFACTURER], ids=["pharmacy", "return"])
def test_any_licensed_custodian_may_receive(world: FakeWorld, receiver: str) -> None:
    shipment = world.submit(MANUFACTURER, "Ship", ship_body("SHP-9", receiver, BATCH.line(1)), T1)

    assert shipment["receiver"] == receiver


def test_given_pharmacy_holding_nothing_when_shipping_then_not_custodian(world: FakeWorld) -> None:
    body = ship_body("SHP-9", PHARMACY_B, BATCH.line(1))
    refused(world, ErrorCode.NOT_CUSTODIAN, PHARMACY_A, "Ship", body)


def test_given_fewer_units_than_shipped_then_insufficient_quantity(world: FakeWorld) -> None:
    error = refused(
        world,
        ErrorCode.INSUFFICIENT_QUANTITY,
        MANUFACTURER,
        "Ship",
        ship_body("SHP-9", DISTRIBUTOR, BATCH.line(11)),
    )

    assert "10" in error.message


def test_given_second_line_short_when_shipping_then_the_first_line_is_not_taken_either(
    two_batch_world: FakeWorld,
) -> None:
    body = ship_body("SHP-9", DISTRIBUTOR, BATCH.line(2), SECOND_BATCH.line(6))

    refused(two_batch_world, ErrorCode.INSUFFICIENT_QUANTITY, MANUFACTURER, "Ship", body)

    assert holdings(two_batch_world) == {MANUFACTURER: 10}


def test_given_invalid_location_after_the_lines_when_shipping_then_nothing_is_taken(
    world: FakeWorld,
) -> None:
    body = ship_body(
        "SHP-9", DISTRIBUTOR, BATCH.line(2), to_location=wrong_check_digit(GLNS[DISTRIBUTOR])
    )

    refused(world, ErrorCode.INVALID_ARGUMENT, MANUFACTURER, "Ship", body)

    assert holdings(world) == {MANUFACTURER: 10}


def test_given_caller_as_receiver_then_self_shipment(world: FakeWorld) -> None:
    refused(
        world,
        ErrorCode.SELF_SHIPMENT,
        MANUFACTURER,
        "Ship",
        ship_body("SHP-9", MANUFACTURER, BATCH.line(1)),
    )


def test_given_unregistered_receiver_then_unknown_organization(world: FakeWorld) -> None:
    refused(
        world,
        ErrorCode.UNKNOWN_ORGANIZATION,
        MANUFACTURER,
        "Ship",
        ship_body("SHP-9", STRANGER, BATCH.line(1)),
    )


@pytest.mark.parametrize("status", ["suspended", "revoked"])
def test_given_unlicensed_receiver_then_partner_not_authorised(
    world: FakeWorld, status: str
) -> None:
    world.submit(
        REGULATOR, "SetLicenceStatus", {"msp_id": DISTRIBUTOR, "licence_status": status}, T1
    )

    error = refused(
        world,
        ErrorCode.PARTNER_NOT_AUTHORISED,
        MANUFACTURER,
        "Ship",
        ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1)),
    )

    assert status in error.message


def test_given_regulator_as_receiver_then_partner_not_authorised(world: FakeWorld) -> None:
    refused(
        world,
        ErrorCode.PARTNER_NOT_AUTHORISED,
        MANUFACTURER,
        "Ship",
        ship_body("SHP-9", REGULATOR, BATCH.line(1)),
    )


def test_given_regulator_as_sender_then_forbidden_role(world: FakeWorld) -> None:
    refused(
        world,
        ErrorCode.FORBIDDEN_ROLE,
        REGULATOR,
        "Ship",
        ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1)),
    )


def test_given_unregistered_sender_then_unknown_organization(world: FakeWorld) -> None:
    refused(
        world,
        ErrorCode.UNKNOWN_ORGANIZATION,
        STRANGER,
        "Ship",
        ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1)),
    )


@pytest.mark.parametrize("sender", [MANUFACTURER, DISTRIBUTOR])
def test_given_used_shipment_id_then_shipment_exists_whoever_ships(
    stocked_world: FakeWorld, sender: str
) -> None:
    body = ship_body("SHP-1", PHARMACY_A, BATCH.line(1))
    refused(stocked_world, ErrorCode.SHIPMENT_EXISTS, sender, "Ship", body)


def test_given_unknown_lot_then_unknown_batch(world: FakeWorld) -> None:
    refused(
        world,
        ErrorCode.UNKNOWN_BATCH,
        MANUFACTURER,
        "Ship",
        ship_body("SHP-9", DISTRIBUTOR, SECOND_BATCH.line(1)),
    )


def test_given_same_batch_on_two_lines_then_invalid_argument(world: FakeWorld) -> None:
    body = ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1), BATCH.line(2))

    error = refused(world, ErrorCode.INVALID_ARGUMENT, MANUFACTURER, "Ship", body)

    assert "one line" in error.message


def test_given_serials_listed_then_quantity_may_exceed_them(world: FakeWorld) -> None:
    shipment = world.submit(
        MANUFACTURER,
        "Ship",
        ship_body("SHP-9", DISTRIBUTOR, BATCH.line(3, serials=[BATCH.serials[0]])),
        T1,
    )

    assert shipment["lines"][0]["serials"] == [BATCH.serials[0]]


# -- receive ---------------------------------------------------------------------------------------
def test_given_shipment_in_transit_when_received_as_shipped_then_receiver_credited(
    in_transit_world: FakeWorld,
) -> None:
    shipment = receive(in_transit_world, DISTRIBUTOR, "SHP-1", location=GLNS[DISTRIBUTOR])

    assert shipment["status"] == "received"
    assert shipment["discrepancies"] == []
    assert shipment["received_at"] == "2025-03-04T10:00:00.000Z"
    assert shipment["receive_tx_id"] == in_transit_world.log[-1].tx_id
    assert shipment["to_location"] == GLNS[DISTRIBUTOR]
    assert in_transit_world.record(SHIPMENT, "SHP-1") == shipment
    assert holdings(in_transit_world) == {MANUFACTURER: 2, DISTRIBUTOR: 8}
    event = in_transit_world.last_event
    assert event.name == "ShipmentReceived"
    assert event.body["shipment"] == shipment
    assert event.body["discrepancies"] == []
    assert event.body["holdings"] == [
        {"gtin": GTIN, "lot": BATCH.lot, "msp_id": DISTRIBUTOR, "quantity": 8}
    ]


def test_given_counted_lines_equal_to_shipped_then_no_discrepancy(
    in_transit_world: FakeWorld,
) -> None:
    shipment = receive(in_transit_world, DISTRIBUTOR, "SHP-1", BATCH.line(8))

    assert shipment["status"] == "received"


def test_given_no_location_then_the_shipped_destination_is_kept(world: FakeWorld) -> None:
    world.submit(MANUFACTURER, "Ship", ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1)), T1)

    assert receive(world, DISTRIBUTOR, "SHP-9")["to_location"] == GLNS[DISTRIBUTOR]


def test_given_receipt_at_premises_of_nobody_then_not_own_premises(world: FakeWorld) -> None:
    world.submit(MANUFACTURER, "Ship", ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1)), T1)
    body = {"shipment_id": "SHP-9", "location": OTHER_GLN}
    refused(world, ErrorCode.NOT_OWN_PREMISES, DISTRIBUTOR, "Receive", body)


def test_given_receiver_already_holding_then_the_receipt_adds_up(stocked_world: FakeWorld) -> None:
    stocked_world.submit(MANUFACTURER, "Ship", ship_body("SHP-9", DISTRIBUTOR, BATCH.line(2)), T1)

    receive(stocked_world, DISTRIBUTOR, "SHP-9")

    assert holdings(stocked_world)[DISTRIBUTOR] == 5
    assert stocked_world.last_event.body["holdings"][0]["quantity"] == 5


def test_given_short_receipt_then_only_what_arrived_is_credited_and_the_gap_recorded(
    in_transit_world: FakeWorld,
) -> None:
    shipment = receive(in_transit_world, DISTRIBUTOR, "SHP-1", BATCH.line(5))

    assert shipment["status"] == "received_with_discrepancy"
    assert shipment["discrepancies"] == [
        {"gtin": GTIN, "lot": BATCH.lot, "shipped": 8, "received": 5, "kind": "short"}
    ]
    assert holdings(in_transit_world) == {MANUFACTURER: 2, DISTRIBUTOR: 5}
    assert in_transit_world.last_event.body["discrepancies"] == shipment["discrepancies"]


def test_given_nothing_arrived_then_nothing_is_credited(in_transit_world: FakeWorld) -> None:
    shipment = receive(in_transit_world, DISTRIBUTOR, "SHP-1", BATCH.line(0))

    assert shipment["discrepancies"][0]["kind"] == "short"
    assert holdings(in_transit_world) == {MANUFACTURER: 2}
    assert in_transit_world.last_event.body["holdings"][0]["quantity"] == 0


def test_given_extra_units_counted_then_never_more_than_shipped_is_credited(
    in_transit_world: FakeWorld,
) -> None:
    shipment = receive(in_transit_world, DISTRIBUTOR, "SHP-1", BATCH.line(1000))

    assert shipment["discrepancies"] == [
        {"gtin": GTIN, "lot": BATCH.lot, "shipped": 8, "received": 1000, "kind": "extra"}
    ]
    assert holdings(in_transit_world) == {MANUFACTURER: 2, DISTRIBUTOR: 8}


def test_given_unshipped_batch_counted_then_unexpected_and_never_credited(
    in_transit_world: FakeWorld,
) -> None:
    stranger_batch = BatchSpec.of(GTIN, "LOT-ZZ", 3)
    other = BatchSpec.of(GTIN, "LOT-AA", 3)

    shipment = receive(
        in_transit_world, DISTRIBUTOR, "SHP-1", stranger_batch.line(3), other.line(2)
    )

    assert shipment["discrepancies"] == [
        {"gtin": GTIN, "lot": "LOT-AA", "shipped": 0, "received": 2, "kind": "unexpected"},
        {"gtin": GTIN, "lot": "LOT-ZZ", "shipped": 0, "received": 3, "kind": "unexpected"},
    ]
    assert holdings(in_transit_world) == {MANUFACTURER: 2, DISTRIBUTOR: 8}, (
        "uncounted lines default to shipped"
    )


def test_given_unshipped_batch_counted_as_zero_then_no_discrepancy(
    in_transit_world: FakeWorld,
) -> None:
    never_shipped = BatchSpec.of(GTIN, "LOT-ZZ", 3)

    shipment = receive(in_transit_world, DISTRIBUTOR, "SHP-1", never_shipped.line(0))

    assert shipment["status"] == "received"
    assert shipment["discrepancies"] == []
    assert in_transit_world.last_event.body["discrepancies"] == []
    assert holdings(in_transit_world) == {MANUFACTURER: 2, DISTRIBUTOR: 8}


def test_given_unshipped_batches_counted_as_zero_and_more_then_only_the_nonzero_is_unexpected(
    in_transit_world: FakeWorld,
) -> None:
    shipment = receive(
        in_transit_world,
        DISTRIBUTOR,
        "SHP-1",
        BATCH.line(8),
        BatchSpec.of(GTIN, "LOT-AA", 3).line(0),
        BatchSpec.of(GTIN, "LOT-ZZ", 3).line(1),
    )

    assert shipment["status"] == "received_with_discrepancy"
    assert shipment["discrepancies"] == [
        {"gtin": GTIN, "lot": "LOT-ZZ", "shipped": 0, "received": 1, "kind": "unexpected"}
    ]


def test_given_shipped_batch_counted_as_zero_then_still_short(
    in_transit_world: FakeWorld,
) -> None:
    shipment = receive(
        in_transit_world,
        DISTRIBUTOR,
        "SHP-1",
        BATCH.line(0),
        BatchSpec.of(GTIN, "LOT-ZZ", 3).line(0),
    )

    assert shipment["discrepancies"] == [
        {"gtin": GTIN, "lot": BATCH.lot, "shipped": 8, "received": 0, "kind": "short"}
    ]


def test_given_two_line_shipment_when_one_line_is_short_then_the_other_defaults_to_shipped(
    two_batch_world: FakeWorld,
) -> None:
    two_batch_world.submit(
        MANUFACTURER,
        "Ship",
        ship_body("SHP-9", DISTRIBUTOR, BATCH.line(4), SECOND_BATCH.line(5)),
        T1,
    )

    shipment = receive(two_batch_world, DISTRIBUTOR, "SHP-9", SECOND_BATCH.line(3))

    assert [d["lot"] for d in shipment["discrepancies"]] == [SECOND_BATCH.lot]
    assert holdings(two_batch_world) == {MANUFACTURER: 6, DISTRIBUTOR: 4}
    assert holdings(two_batch_world, SECOND_BATCH) == {DISTRIBUTOR: 3}


def test_given_unknown_shipment_then_unknown_shipment(world: FakeWorld) -> None:
    refused(world, ErrorCode.UNKNOWN_SHIPMENT, DISTRIBUTOR, "Receive", {"shipment_id": "SHP-404"})


@pytest.mark.parametrize("caller", [PHARMACY_A, MANUFACTURER], ids=["other-custodian", "sender"])
def test_given_shipment_for_someone_else_then_not_receiver(
    in_transit_world: FakeWorld, caller: str
) -> None:
    error = refused(
        in_transit_world, ErrorCode.NOT_RECEIVER, caller, "Receive", {"shipment_id": "SHP-1"}
    )

    assert DISTRIBUTOR in error.message


def test_given_received_shipment_when_received_again_then_not_in_transit(
    in_transit_world: FakeWorld,
) -> None:
    receive(in_transit_world, DISTRIBUTOR, "SHP-1")

    refused(
        in_transit_world,
        ErrorCode.SHIPMENT_NOT_IN_TRANSIT,
        DISTRIBUTOR,
        "Receive",
        {"shipment_id": "SHP-1"},
    )
    assert holdings(in_transit_world) == {MANUFACTURER: 2, DISTRIBUTOR: 8}


def test_given_shipment_received_with_discrepancy_when_received_again_then_not_in_transit(
    in_transit_world: FakeWorld,
) -> None:
    receive(in_transit_world, DISTRIBUTOR, "SHP-1", BATCH.line(7))

    refused(
        in_transit_world,
        ErrorCode.SHIPMENT_NOT_IN_TRANSIT,
        DISTRIBUTOR,
        "Receive",
        {"shipment_id": "SHP-1", "lines": [BATCH.line(1)]},
    )


def test_given_regulator_when_receiving_then_forbidden_role(in_transit_world: FakeWorld) -> None:
    refused(
        in_transit_world, ErrorCode.FORBIDDEN_ROLE, REGULATOR, "Receive", {"shipment_id": "SHP-1"}
    )


def test_given_same_batch_counted_twice_then_invalid_argument(in_transit_world: FakeWorld) -> None:
    body = {"shipment_id": "SHP-1", "lines": [BATCH.line(4), BATCH.line(4)]}
    refused(in_transit_world, ErrorCode.INVALID_ARGUMENT, DISTRIBUTOR, "Receive", body)


def test_given_batch_recalled_in_transit_then_it_can_still_be_received(
    in_transit_world: FakeWorld,
) -> None:
    in_transit_world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "recalled"), T1)

    assert receive(in_transit_world, DISTRIBUTOR, "SHP-1")["status"] == "received"
    assert holdings(in_transit_world)[DISTRIBUTOR] == 8


# -- returns for destruction -----------------------------------------------------------------------
FINAL = [("recalled", ErrorCode.BATCH_RECALLED), ("withdrawn", ErrorCode.BATCH_WITHDRAWN)]


@pytest.mark.parametrize("status", ["recalled", "withdrawn"])
@pytest.mark.parametrize("sender", [DISTRIBUTOR, PHARMACY_A])
def test_given_recalled_or_withdrawn_stock_when_returned_to_its_manufacturer_then_it_moves(
    stocked_world: FakeWorld, status: str, sender: str
) -> None:
    stocked_world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, status), T1)

    shipment = stocked_world.submit(
        sender, "Ship", ship_body("RET-1", MANUFACTURER, BATCH.line(3)), T1
    )
    receive(stocked_world, MANUFACTURER, "RET-1")

    assert (shipment["sender"], shipment["receiver"]) == (sender, MANUFACTURER)
    assert holdings(stocked_world)[MANUFACTURER] == 5
    assert sender not in holdings(stocked_world)


@pytest.mark.parametrize(("status", "code"), FINAL)
@pytest.mark.parametrize(
    ("sender", "receiver"),
    [
        (DISTRIBUTOR, PHARMACY_A),
        (PHARMACY_A, DISTRIBUTOR),
        (PHARMACY_A, PHARMACY_B),
        (DISTRIBUTOR, OTHER_MANUFACTURER),
        (MANUFACTURER, DISTRIBUTOR),
    ],
    ids=["onward", "back-to-supplier", "sideways", "other-manufacturer", "from-manufacturer"],
)
def test_given_recalled_or_withdrawn_stock_when_shipped_anywhere_else_then_refused(
    stocked_world: FakeWorld, status: str, code: ErrorCode, sender: str, receiver: str
) -> None:
    stocked_world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, status), T1)

    refused(stocked_world, code, sender, "Ship", ship_body("RET-1", receiver, BATCH.line(1)))


@pytest.mark.parametrize("imposer", [MANUFACTURER, REGULATOR])
@pytest.mark.parametrize("receiver", [MANUFACTURER, PHARMACY_B])
def test_given_quarantined_stock_then_it_moves_nowhere_not_even_back_to_its_manufacturer(
    stocked_world: FakeWorld, imposer: str, receiver: str
) -> None:
    stocked_world.submit(imposer, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)

    refused(
        stocked_world,
        ErrorCode.BATCH_QUARANTINED,
        DISTRIBUTOR,
        "Ship",
        ship_body("RET-1", receiver, BATCH.line(1)),
    )


EXPIRING = BatchSpec.of(GTIN, "LOT-SD", 4, expiry="2025-03-10")
AFTER_EXPIRY = T1 + timedelta(days=7)  # 2025-03-11


@pytest.fixture
def expired_world(world: FakeWorld) -> FakeWorld:
    """The distributor holds 4 units of a batch that expired on 2025-03-10."""
    world.submit(MANUFACTURER, "RegisterBatch", EXPIRING.register_body(), T1)
    world.submit(MANUFACTURER, "Ship", ship_body("SHP-SD", DISTRIBUTOR, EXPIRING.line(4)), T1)
    world.submit(DISTRIBUTOR, "Receive", {"shipment_id": "SHP-SD"}, T1)
    return world


def test_given_expired_stock_when_returned_to_its_manufacturer_then_it_moves(
    expired_world: FakeWorld,
) -> None:
    body = ship_body("RET-1", MANUFACTURER, EXPIRING.line(4))

    expired_world.submit(DISTRIBUTOR, "Ship", body, AFTER_EXPIRY)
    expired_world.submit(MANUFACTURER, "Receive", {"shipment_id": "RET-1"}, AFTER_EXPIRY)

    assert holdings(expired_world, EXPIRING) == {MANUFACTURER: 4}


@pytest.mark.parametrize("receiver", [PHARMACY_A, OTHER_MANUFACTURER])
def test_given_expired_stock_when_shipped_anywhere_else_then_batch_expired(
    expired_world: FakeWorld, receiver: str
) -> None:
    body = ship_body("RET-1", receiver, EXPIRING.line(1))
    refused(expired_world, ErrorCode.BATCH_EXPIRED, DISTRIBUTOR, "Ship", body, AFTER_EXPIRY)


def test_given_quarantined_expired_stock_when_returned_to_its_manufacturer_then_quarantined(
    expired_world: FakeWorld,
) -> None:
    expired_world.submit(REGULATOR, "ChangeBatchStatus", status_body(EXPIRING, "quarantined"), T1)

    body = ship_body("RET-1", MANUFACTURER, EXPIRING.line(1))
    refused(expired_world, ErrorCode.BATCH_QUARANTINED, DISTRIBUTOR, "Ship", body, AFTER_EXPIRY)


def test_given_a_return_with_an_active_and_a_recalled_batch_then_both_go_back(
    stocked_world: FakeWorld,
) -> None:
    second = BatchSpec.of(GTIN, "LOT-B2", 5)
    stocked_world.submit(MANUFACTURER, "RegisterBatch", second.register_body(), T1)
    ship_and_receive(stocked_world, MANUFACTURER, DISTRIBUTOR, 5, "SHP-B2", T1, second)
    stocked_world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "recalled"), T1)

    body = ship_body("RET-1", MANUFACTURER, BATCH.line(3), second.line(2))
    stocked_world.submit(DISTRIBUTOR, "Ship", body, T1)

    assert DISTRIBUTOR not in holdings(stocked_world)
    assert holdings(stocked_world, second) == {DISTRIBUTOR: 3}


def test_given_a_return_mixing_recalled_with_quarantined_stock_then_nothing_moves(
    stocked_world: FakeWorld,
) -> None:
    second = BatchSpec.of(GTIN, "LOT-B2", 5)
    stocked_world.submit(MANUFACTURER, "RegisterBatch", second.register_body(), T1)
    ship_and_receive(stocked_world, MANUFACTURER, DISTRIBUTOR, 5, "SHP-B2", T1, second)
    stocked_world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "recalled"), T1)
    stocked_world.submit(REGULATOR, "ChangeBatchStatus", status_body(second, "quarantined"), T1)

    body = ship_body("RET-1", MANUFACTURER, BATCH.line(3), second.line(2))
    refused(stocked_world, ErrorCode.BATCH_QUARANTINED, DISTRIBUTOR, "Ship", body)


def test_given_recalled_stock_returned_then_the_manufacturer_may_destroy_it(
    stocked_world: FakeWorld,
) -> None:
    stocked_world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "recalled"), T1)
    stocked_world.submit(PHARMACY_A, "Ship", ship_body("RET-1", MANUFACTURER, BATCH.line(3)), T1)
    receive(stocked_world, MANUFACTURER, "RET-1")

    pack = stocked_world.submit(
        MANUFACTURER, "Decommission", BATCH.pack(BATCH.serials[0], status="destroyed"), T1
    )

    assert pack["status"] == "destroyed"
    assert holdings(stocked_world)[MANUFACTURER] == 4


# -- conservation ----------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(shipped=st.integers(1, 10), counted=st.integers(0, 10_000_000))
def test_receipts_never_credit_more_than_shipped(shipped: int, counted: int) -> None:
    world = build_registered_world()
    world.submit(MANUFACTURER, "Ship", ship_body("SHP-9", DISTRIBUTOR, BATCH.line(shipped)), T1)

    shipment = receive(world, DISTRIBUTOR, "SHP-9", BATCH.line(counted))

    held = holdings(world)
    assert held.get(DISTRIBUTOR, 0) == min(shipped, counted)
    assert sum(held.values()) <= BATCH.quantity
    assert (shipment["status"] == "received") is (shipped == counted)
