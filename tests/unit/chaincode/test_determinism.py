"""Endorsing peers must agree byte for byte: same transactions, same timestamps, same ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from chaincode import canonical
from chaincode.errors import ContractError
from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
    GTIN,
    MANUFACTURER,
    OTHER_GTIN,
    PHARMACY_A,
    PHARMACY_B,
    REGULATOR,
    T1,
    build_registered_world,
    build_stocked_world,
    product_body,
    ship_body,
    status_body,
)
from tests.unit.chaincode.fake_stub import FakeWorld

pytestmark = pytest.mark.unit

S0, S1, S2 = BATCH.serials[:3]


def journey(start: datetime) -> list[tuple[str, str, dict[str, Any], datetime]]:
    """Every kind of write after the stocked set-up, one refusal included."""
    hour = timedelta(hours=1)
    return [
        (PHARMACY_A, "Decommission", BATCH.pack(S0), start),
        (PHARMACY_B, "Decommission", BATCH.pack(S0), start + hour),  # refused: already dispensed
        (PHARMACY_A, "UndoDecommission", {"gtin": GTIN, "serial": S0}, start + 2 * hour),
        (REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), start + 3 * hour),
        # a regulator's quarantine is lifted by a regulator
        (REGULATOR, "ChangeBatchStatus", status_body(BATCH, "active"), start + 4 * hour),
        (DISTRIBUTOR, "Ship", ship_body("SHP-9", PHARMACY_B, BATCH.line(2)), start + 5 * hour),
        (
            PHARMACY_B,
            "Receive",
            {"shipment_id": "SHP-9", "lines": [BATCH.line(1)]},
            start + 6 * hour,
        ),
        (
            REGULATOR,
            "SetLicenceStatus",
            {"msp_id": PHARMACY_A, "licence_status": "suspended"},
            start + 7 * hour,
        ),
        (MANUFACTURER, "RegisterProduct", product_body(OTHER_GTIN), start + 8 * hour),
        (REGULATOR, "ChangeBatchStatus", status_body(BATCH, "recalled"), start + 9 * hour),
        (PHARMACY_B, "Decommission", BATCH.pack(S1, status="destroyed"), start + 10 * hour),
        # the recalled remainder goes back to the manufacturer for destruction
        (PHARMACY_B, "Ship", ship_body("RET-1", MANUFACTURER, BATCH.line(2)), start + 11 * hour),
        (MANUFACTURER, "Receive", {"shipment_id": "RET-1"}, start + 12 * hour),
        (MANUFACTURER, "Decommission", BATCH.pack(S2, status="destroyed"), start + 13 * hour),
    ]


def run_journey(world: FakeWorld, start: datetime = T1) -> list[Any]:
    outcomes: list[Any] = []
    for msp_id, function, body, at in journey(start):
        try:
            outcomes.append(world.submit(msp_id, function, body, at))
        except ContractError as error:
            outcomes.append(str(error.code))
    return outcomes


def test_same_transactions_give_byte_identical_ledgers_in_two_fresh_worlds() -> None:
    first, second = build_stocked_world(), build_stocked_world()

    outcomes = run_journey(first)

    assert outcomes == run_journey(second)
    assert outcomes[1] == "ALREADY_DISPENSED"
    assert [o for o in outcomes if isinstance(o, str)] == ["ALREADY_DISPENSED"], (
        "every other step of the journey is accepted"
    )
    assert first.state == second.state
    assert first.history == second.history
    assert first.events == second.events


def test_the_contract_does_not_depend_on_reading_its_own_writes() -> None:
    fabric_like, read_your_writes = build_stocked_world(), build_stocked_world(read_own_writes=True)

    assert run_journey(fabric_like) == run_journey(read_your_writes)
    assert fabric_like.state == read_your_writes.state
    assert fabric_like.events == read_your_writes.events


def test_naive_timestamps_are_read_as_utc() -> None:
    aware, naive = build_stocked_world(), build_stocked_world()

    run_journey(aware)
    run_journey(naive, T1.replace(tzinfo=None))

    assert aware.state == naive.state
    assert aware.events == naive.events


def test_every_event_is_canonical_json_carrying_tx_id_time_and_actor() -> None:
    world = build_stocked_world()
    run_journey(world)
    committed = {entry.tx_id: entry for entry in world.log}

    assert len(world.events) == len(world.log), "every committed write emits exactly one event"
    for event in world.events:
        assert canonical.dumps(canonical.loads(event.payload)) == event.payload
        body = event.body
        entry = committed[event.tx_id]
        assert body["tx_id"] == event.tx_id
        assert body["actor"] == entry.msp_id
        assert body["at"] == entry.at.astimezone(UTC).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        )


def test_every_state_value_is_canonical_json() -> None:
    world = build_stocked_world()
    run_journey(world)

    for raw in world.state.values():
        assert canonical.dumps(canonical.loads(raw)) == raw


def test_event_names_follow_the_journey() -> None:
    world = build_stocked_world()
    already = len(world.events)

    run_journey(world)

    assert [event.name for event in world.events[already:]] == [
        "PackDecommissioned",
        "PackReactivated",
        "BatchStatusChanged",
        "BatchStatusChanged",
        "ShipmentShipped",
        "ShipmentReceived",
        "LicenceStatusChanged",
        "ProductRegistered",
        "BatchStatusChanged",
        "PackDecommissioned",
        "ShipmentShipped",
        "ShipmentReceived",
        "PackDecommissioned",
    ]


def test_timestamps_keep_millisecond_precision_only() -> None:
    world = build_registered_world()
    at = T1 + timedelta(microseconds=123_999)

    world.submit(MANUFACTURER, "RegisterProduct", product_body(OTHER_GTIN), at)

    assert world.last_event.body["at"] == "2025-03-04T09:00:00.123Z"


def test_given_timestamp_with_an_offset_then_expiry_is_judged_on_the_utc_date() -> None:
    world = build_registered_world()
    new_york = timezone(timedelta(hours=-5))
    at = datetime(2027, 12, 31, 23, 30, tzinfo=new_york)  # 2028-01-01T04:30Z; expiry 2027-12-31

    batch = world.evaluate(PHARMACY_A, "GetBatch", BATCH.key, at)

    assert batch["expired"] is True
