"""Read-only transactions: open to every organization, and never a write."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chaincode.context import PACK
from chaincode.errors import ErrorCode
from chaincode.stub import create_composite_key
from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
    GTIN,
    MANUFACTURER,
    OTHER_GTIN,
    PHARMACY_A,
    PHARMACY_B,
    REGULATOR,
    ROLES,
    SERIAL,
    STRANGER,
    T0,
    T1,
    BatchSpec,
    refused_query,
    status_body,
)
from tests.unit.chaincode.fake_stub import FakeWorld

pytestmark = pytest.mark.unit


def test_get_organization(world: FakeWorld) -> None:
    org = world.evaluate(PHARMACY_A, "GetOrganization", {"msp_id": DISTRIBUTOR})

    assert (org["msp_id"], org["role"], org["licence_status"]) == (
        DISTRIBUTOR,
        "distributor",
        "active",
    )


def test_given_unregistered_msp_when_getting_organization_then_unknown_organization(
    world: FakeWorld,
) -> None:
    refused_query(world, ErrorCode.UNKNOWN_ORGANIZATION, "GetOrganization", {"msp_id": STRANGER})


def test_list_organizations_in_msp_id_order(world: FakeWorld) -> None:
    organizations = world.evaluate(PHARMACY_A, "ListOrganizations")

    assert [org["msp_id"] for org in organizations] == sorted(ROLES)


def test_list_organizations_of_a_bare_channel_is_empty(bare_world: FakeWorld) -> None:
    assert bare_world.evaluate(STRANGER, "ListOrganizations", {}, T0) == []


def test_get_product(world: FakeWorld) -> None:
    assert world.evaluate(PHARMACY_A, "GetProduct", {"gtin": GTIN})["manufacturer"] == MANUFACTURER


def test_given_unregistered_gtin_when_getting_product_then_unknown_product(
    world: FakeWorld,
) -> None:
    refused_query(world, ErrorCode.UNKNOWN_PRODUCT, "GetProduct", {"gtin": OTHER_GTIN})


def test_get_batch_lists_nonzero_holdings_in_msp_id_order(stocked_world: FakeWorld) -> None:
    for serial in BATCH.serials[:2]:  # pharmacy B sells out
        stocked_world.submit(PHARMACY_B, "Decommission", BATCH.pack(serial), T1)

    batch = stocked_world.evaluate(REGULATOR, "GetBatch", BATCH.key)

    assert batch["holdings"] == [
        {"msp_id": MANUFACTURER, "quantity": 2},
        {"msp_id": PHARMACY_A, "quantity": 3},
        {"msp_id": DISTRIBUTOR, "quantity": 3},
    ]
    assert batch["expired"] is False
    assert batch["lot"] == BATCH.lot


def test_get_batch_does_not_mix_lots_sharing_a_prefix(world: FakeWorld) -> None:
    longer = BatchSpec.of(GTIN, BATCH.lot + "0", 2)
    world.submit(MANUFACTURER, "RegisterBatch", longer.register_body(), T1)

    assert world.evaluate(REGULATOR, "GetBatch", BATCH.key)["holdings"] == [
        {"msp_id": MANUFACTURER, "quantity": 10}
    ]


def test_given_unknown_lot_when_getting_batch_then_unknown_batch(world: FakeWorld) -> None:
    refused_query(world, ErrorCode.UNKNOWN_BATCH, "GetBatch", {"gtin": GTIN, "lot": "NOPE"})


def test_get_shipment(stocked_world: FakeWorld) -> None:
    shipment = stocked_world.evaluate(PHARMACY_A, "GetShipment", {"shipment_id": "SHP-2"})

    assert (shipment["sender"], shipment["receiver"], shipment["status"]) == (
        DISTRIBUTOR,
        PHARMACY_A,
        "received",
    )


def test_given_unknown_shipment_id_when_getting_shipment_then_unknown_shipment(
    world: FakeWorld,
) -> None:
    refused_query(world, ErrorCode.UNKNOWN_SHIPMENT, "GetShipment", {"shipment_id": "SHP-404"})


def test_given_pack_never_changed_then_get_pack_is_null(stocked_world: FakeWorld) -> None:
    assert stocked_world.evaluate(PHARMACY_A, "GetPack", {"gtin": GTIN, "serial": SERIAL}) is None


def test_given_pack_not_in_any_batch_then_get_pack_is_null_too(stocked_world: FakeWorld) -> None:
    assert (
        stocked_world.evaluate(PHARMACY_A, "GetPack", {"gtin": OTHER_GTIN, "serial": "NOPE"})
        is None
    )


def test_queries_are_open_to_unregistered_callers(stocked_world: FakeWorld) -> None:
    assert stocked_world.evaluate(STRANGER, "GetBatch", BATCH.key)["quantity"] == 10


# -- history -------------------------------------------------------------------------------------
def _recall_story(world: FakeWorld) -> list[str]:
    """Quarantine, release, recall the batch; the tx ids of its four versions, oldest first."""
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)
    world.submit(
        REGULATOR, "ChangeBatchStatus", status_body(BATCH, "active"), T1 + timedelta(hours=1)
    )
    world.submit(
        REGULATOR, "ChangeBatchStatus", status_body(BATCH, "recalled"), T1 + timedelta(hours=2)
    )
    minted = world.log[-4].tx_id
    assert world.log[-4].function == "RegisterBatch"
    return [minted, *(entry.tx_id for entry in world.log[-3:])]


def test_given_fabric_history_order_when_getting_history_then_oldest_first(
    world: FakeWorld,
) -> None:
    tx_ids = _recall_story(world)

    history = world.evaluate(PHARMACY_A, "GetHistory", {"kind": "batch", **BATCH.key})

    assert [entry["tx_id"] for entry in history] == tx_ids
    assert [entry["at"] for entry in history] == [
        "2025-03-03T09:11:00.000Z",
        "2025-03-04T09:00:00.000Z",
        "2025-03-04T10:00:00.000Z",
        "2025-03-04T11:00:00.000Z",
    ]


def test_history_times_end_in_z_like_every_other_timestamp(world: FakeWorld) -> None:
    new_york = timezone(timedelta(hours=-5))
    world.submit(
        REGULATOR,
        "ChangeBatchStatus",
        status_body(BATCH, "quarantined"),
        datetime(2025, 3, 4, 23, 30, 0, 250_000, tzinfo=new_york),
    )

    history = world.evaluate(PHARMACY_A, "GetHistory", {"kind": "batch", **BATCH.key})

    assert history[-1]["at"] == "2025-03-05T04:30:00.250Z"
    assert history[-1]["at"] == history[-1]["value"]["status_changed_at"]
    assert all(entry["at"].endswith("Z") for entry in history)


# -- known defects in GetHistory ----------------------------------------------------------------
def test_given_two_versions_at_the_same_time_in_fabric_order_then_still_oldest_first(
    world: FakeWorld,
) -> None:
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "recalled"), T1)

    history = world.evaluate(PHARMACY_A, "GetHistory", {"kind": "batch", **BATCH.key})

    assert [entry["value"]["status"] for entry in history] == ["active", "quarantined", "recalled"]


def test_given_a_version_with_a_naive_timestamp_then_history_reads_it_as_utc(
    world: FakeWorld,
) -> None:
    naive = T1.replace(tzinfo=None)
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), naive)

    history = world.evaluate(PHARMACY_A, "GetHistory", {"kind": "batch", **BATCH.key})

    assert history[-1]["at"] == "2025-03-04T09:00:00.000Z"


@pytest.mark.parametrize(
    ("body", "versions"),
    [
        ({"kind": "org", "msp_id": PHARMACY_A}, 1),
        ({"kind": "product", "gtin": GTIN}, 1),
        ({"kind": "batch", **BATCH.key}, 1),
        ({"kind": "shipment", "shipment_id": "SHP-2"}, 2),
        ({"kind": "pack", "gtin": GTIN, "serial": SERIAL}, 0),
        ({"kind": "org", "msp_id": STRANGER}, 0),
    ],
    ids=lambda value: value["kind"] if isinstance(value, dict) else str(value),
)
def test_history_of_each_kind(stocked_world: FakeWorld, body: dict, versions: int) -> None:
    assert len(stocked_world.evaluate(REGULATOR, "GetHistory", body)) == versions


def test_history_of_a_deleted_key_reports_the_delete(stocked_world: FakeWorld) -> None:
    stub = stocked_world.stub(PHARMACY_A, T1)
    stub.delete_state(create_composite_key(PACK, [GTIN, SERIAL]))
    stocked_world.commit(stub)

    history = stocked_world.evaluate(
        REGULATOR, "GetHistory", {"kind": "pack", "gtin": GTIN, "serial": SERIAL}
    )

    assert history == [
        {
            "tx_id": stub.get_txid(),
            "at": "2025-03-04T09:00:00.000Z",
            "is_delete": True,
            "value": None,
        }
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "holding", "gtin": GTIN},
        {"kind": "meta"},
        {"kind": "Batch", **BATCH.key},
        {"kind": "batch", "gtin": GTIN},
        {"kind": "org"},
        {"kind": "pack", "gtin": GTIN, "serial": ""},
        {"kind": "product", "gtin": 4012340000011},
    ],
)
def test_given_bad_history_request_then_invalid_argument(world: FakeWorld, body: dict) -> None:
    refused_query(world, ErrorCode.INVALID_ARGUMENT, "GetHistory", body)


def test_evaluate_never_commits_even_a_submit_transaction(world: FakeWorld) -> None:
    before = world.snapshot()

    world.evaluate(
        MANUFACTURER, "RegisterBatch", BatchSpec.of(GTIN, "LOT-B2", 2).register_body(), T1
    )

    assert world.snapshot() == before
