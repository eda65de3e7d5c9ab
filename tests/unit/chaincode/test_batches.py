"""Batch tokens: minting once per (GTIN, lot) and the batch-level statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chaincode.context import BATCH as BATCH_KIND
from chaincode.errors import ErrorCode
from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
    GTIN,
    MANUFACTURER,
    OTHER_GTIN,
    OTHER_MANUFACTURER,
    PHARMACY_A,
    REGULATOR,
    SERIAL,
    T1,
    BatchSpec,
    holdings,
    organization_body,
    product_body,
    refused,
    ship_body,
    status_body,
)
from tests.unit.chaincode.fake_stub import FakeWorld

pytestmark = pytest.mark.unit

NEW_BATCH = BatchSpec.of(GTIN, "LOT-B2", 4)


# -- minting -----------------------------------------------------------------------------------
def test_given_owner_when_minting_then_the_whole_quantity_is_in_its_holding(
    world: FakeWorld,
) -> None:
    batch = world.submit(
        MANUFACTURER, "RegisterBatch", NEW_BATCH.register_body(manufactured="2025-02-01"), T1
    )

    assert batch == {
        "gtin": GTIN,
        "lot": "LOT-B2",
        "expiry": "2027-12-31",
        "manufactured": "2025-02-01",
        "quantity": 4,
        "serial_count": 4,
        "merkle_root": NEW_BATCH.root_hex,
        "manufacturer": MANUFACTURER,
        "product_name": "Amoxicillin 500 mg capsules",
        "status": "active",
        "status_reason": "",
        "registered_at": "2025-03-04T09:00:00.000Z",
    }
    assert world.record(BATCH_KIND, GTIN, "LOT-B2") == batch
    assert holdings(world, NEW_BATCH) == {MANUFACTURER: 4}
    assert world.last_event.name == "BatchRegistered"
    assert world.last_event.body["batch"] == batch
    assert world.last_event.body["holdings"] == [
        {"gtin": GTIN, "lot": "LOT-B2", "msp_id": MANUFACTURER, "quantity": 4}
    ]


def test_manufactured_date_is_optional(world: FakeWorld) -> None:
    batch = world.submit(MANUFACTURER, "RegisterBatch", NEW_BATCH.register_body(), T1)

    assert batch["manufactured"] is None


@pytest.mark.parametrize(
    "root",
    [NEW_BATCH.root_hex.upper(), NEW_BATCH.root_hex[:32].upper() + NEW_BATCH.root_hex[32:]],
    ids=["upper", "mixed"],
)
def test_merkle_root_in_upper_case_hex_is_stored_in_lower_case(world: FakeWorld, root: str) -> None:
    body = NEW_BATCH.register_body(merkle_root=root)

    assert (
        world.submit(MANUFACTURER, "RegisterBatch", body, T1)["merkle_root"] == NEW_BATCH.root_hex
    )
    assert world.record(BATCH_KIND, GTIN, "LOT-B2")["merkle_root"] == NEW_BATCH.root_hex


def test_same_lot_under_another_gtin_is_another_batch(world: FakeWorld) -> None:
    world.submit(MANUFACTURER, "RegisterProduct", product_body(OTHER_GTIN), T1)
    twin = BatchSpec.of(OTHER_GTIN, BATCH.lot, 3)

    world.submit(MANUFACTURER, "RegisterBatch", twin.register_body(), T1)

    assert holdings(world, twin) == {MANUFACTURER: 3}
    assert holdings(world, BATCH) == {MANUFACTURER: 10}


def test_given_minted_batch_when_minting_the_same_lot_again_then_batch_exists(
    world: FakeWorld,
) -> None:
    refused(
        world,
        ErrorCode.BATCH_EXISTS,
        MANUFACTURER,
        "RegisterBatch",
        BATCH.register_body(quantity=3),
    )


def test_given_unregistered_gtin_when_minting_then_unknown_product(world: FakeWorld) -> None:
    body = BatchSpec.of(OTHER_GTIN, "LOT-B2", 2).register_body()
    refused(world, ErrorCode.UNKNOWN_PRODUCT, MANUFACTURER, "RegisterBatch", body)


def test_given_another_manufacturers_gtin_when_minting_then_not_product_owner(
    world: FakeWorld,
) -> None:
    error = refused(
        world,
        ErrorCode.NOT_PRODUCT_OWNER,
        OTHER_MANUFACTURER,
        "RegisterBatch",
        NEW_BATCH.register_body(),
    )

    assert MANUFACTURER in error.message


@pytest.mark.parametrize("caller", [REGULATOR, DISTRIBUTOR, PHARMACY_A])
def test_given_non_manufacturer_when_minting_then_forbidden_role(
    world: FakeWorld, caller: str
) -> None:
    refused(world, ErrorCode.FORBIDDEN_ROLE, caller, "RegisterBatch", NEW_BATCH.register_body())


@pytest.mark.parametrize(
    "expiry", ["2025-03-04", "2025-03-03", "2024-12-31"], ids=["today", "yesterday", "last-year"]
)
def test_given_expiry_not_in_the_future_when_minting_then_invalid_argument(
    world: FakeWorld, expiry: str
) -> None:
    body = NEW_BATCH.register_body(expiry=expiry)

    error = refused(world, ErrorCode.INVALID_ARGUMENT, MANUFACTURER, "RegisterBatch", body)

    assert "future" in error.message


def test_given_expiry_tomorrow_when_minting_then_accepted(world: FakeWorld) -> None:
    batch = world.submit(
        MANUFACTURER, "RegisterBatch", NEW_BATCH.register_body(expiry="2025-03-05"), T1
    )

    assert batch["expiry"] == "2025-03-05"


NEW_YORK = timezone(timedelta(hours=-5))
LATE_IN_NEW_YORK = datetime(2025, 3, 4, 23, 30, tzinfo=NEW_YORK)  # 2025-03-05T04:30Z


def test_given_offset_timestamp_when_minting_then_expiry_is_judged_on_the_utc_date(
    world: FakeWorld,
) -> None:
    body = NEW_BATCH.register_body(expiry="2025-03-05")  # the New York date is still 03-04

    error = refused(
        world, ErrorCode.INVALID_ARGUMENT, MANUFACTURER, "RegisterBatch", body, LATE_IN_NEW_YORK
    )

    assert "future" in error.message


def test_given_offset_timestamp_when_minting_then_times_are_recorded_in_utc(
    world: FakeWorld,
) -> None:
    body = NEW_BATCH.register_body(expiry="2025-03-06")

    batch = world.submit(MANUFACTURER, "RegisterBatch", body, LATE_IN_NEW_YORK)

    assert batch["registered_at"] == "2025-03-05T04:30:00.000Z"
    assert world.last_event.body["at"] == "2025-03-05T04:30:00.000Z"


@pytest.mark.parametrize(
    "root",
    ["", "ab" * 31, "ab" * 33, "zz" * 32, "0x" + "ab" * 31, 42, None],
    ids=["empty", "short", "long", "not-hex", "0x-prefix", "number", "null"],
)
def test_given_malformed_merkle_root_when_minting_then_invalid_argument(
    world: FakeWorld, root: object
) -> None:
    body = NEW_BATCH.register_body(merkle_root=root)
    refused(world, ErrorCode.INVALID_ARGUMENT, MANUFACTURER, "RegisterBatch", body)


ROOT = NEW_BATCH.root_hex


@pytest.mark.parametrize(
    "root",
    [
        ROOT[:60] + "    ",
        "    " + ROOT[4:],
        ROOT[:30] + "  " + ROOT[32:],
        ROOT[:63] + "\n",
        "\t" + ROOT[1:],
        ROOT + "\n",
        " " + ROOT,
        ROOT[:62] + "\u0660\u0661",  # Arabic-Indic digits are not hex
    ],
    ids=[
        "trailing",
        "leading",
        "inner",
        "newline",
        "tab",
        "extra-newline",
        "extra-space",
        "arabic",
    ],
)
def test_given_merkle_root_padded_with_white_space_when_minting_then_invalid_argument(
    world: FakeWorld, root: str
) -> None:
    body = NEW_BATCH.register_body(merkle_root=root)
    refused(world, ErrorCode.INVALID_ARGUMENT, MANUFACTURER, "RegisterBatch", body)


# -- batch status ------------------------------------------------------------------------------
@pytest.mark.parametrize("caller", [MANUFACTURER, REGULATOR])
@pytest.mark.parametrize("status", ["recalled", "withdrawn", "quarantined"])
def test_given_owner_or_regulator_when_changing_status_then_recorded_with_reason(
    world: FakeWorld, caller: str, status: str
) -> None:
    batch = world.submit(
        caller, "ChangeBatchStatus", status_body(BATCH, status, "Label misprint"), T1
    )

    assert batch["status"] == status
    assert batch["status_reason"] == "Label misprint"
    assert batch["status_changed_by"] == caller
    assert batch["status_changed_at"] == "2025-03-04T09:00:00.000Z"
    assert world.record(BATCH_KIND, GTIN, BATCH.lot) == batch
    assert world.last_event.name == "BatchStatusChanged"
    assert world.last_event.body["batch"] == batch


def test_given_another_manufacturer_when_recalling_then_not_batch_owner(world: FakeWorld) -> None:
    body = status_body(BATCH, "recalled")
    refused(world, ErrorCode.NOT_BATCH_OWNER, OTHER_MANUFACTURER, "ChangeBatchStatus", body)


@pytest.mark.parametrize("caller", [DISTRIBUTOR, PHARMACY_A])
def test_given_custodian_when_recalling_then_forbidden_role(world: FakeWorld, caller: str) -> None:
    refused(
        world, ErrorCode.FORBIDDEN_ROLE, caller, "ChangeBatchStatus", status_body(BATCH, "recalled")
    )


def test_given_unknown_lot_when_recalling_then_unknown_batch(world: FakeWorld) -> None:
    refused(
        world,
        ErrorCode.UNKNOWN_BATCH,
        REGULATOR,
        "ChangeBatchStatus",
        status_body(NEW_BATCH, "recalled"),
    )


@pytest.mark.parametrize(
    ("final", "code"),
    [("recalled", ErrorCode.BATCH_RECALLED), ("withdrawn", ErrorCode.BATCH_WITHDRAWN)],
)
@pytest.mark.parametrize("then", ["active", "quarantined", "recalled", "withdrawn"])
def test_given_recalled_or_withdrawn_batch_when_changing_status_again_then_refused_as_final(
    world: FakeWorld, final: str, code: ErrorCode, then: str
) -> None:
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, final), T1)

    for caller in (MANUFACTURER, REGULATOR):
        refused(world, code, caller, "ChangeBatchStatus", status_body(BATCH, then))


def test_given_quarantined_batch_when_released_then_active_and_movable_again(
    world: FakeWorld,
) -> None:
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)
    refused(
        world,
        ErrorCode.BATCH_QUARANTINED,
        MANUFACTURER,
        "Ship",
        ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1)),
    )

    batch = world.submit(
        REGULATOR, "ChangeBatchStatus", status_body(BATCH, "active", "Cleared"), T1
    )

    assert batch["status"] == "active"
    assert batch["status_changed_by"] == REGULATOR
    assert world.submit(MANUFACTURER, "Ship", ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1)), T1)


def test_given_regulator_quarantine_when_the_manufacturer_releases_it_then_forbidden_role(
    world: FakeWorld,
) -> None:
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)

    error = refused(
        world,
        ErrorCode.FORBIDDEN_ROLE,
        MANUFACTURER,
        "ChangeBatchStatus",
        status_body(BATCH, "active", "Cleared"),
    )

    assert REGULATOR in error.message
    assert world.record(BATCH_KIND, GTIN, BATCH.lot)["status"] == "quarantined"


def test_given_regulator_quarantine_then_another_regulator_may_release_it(
    world: FakeWorld,
) -> None:
    world.submit(REGULATOR, "RegisterOrganization", organization_body("EmaMSP", "regulator"), T1)
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)

    batch = world.submit("EmaMSP", "ChangeBatchStatus", status_body(BATCH, "active", "Cleared"), T1)

    assert (batch["status"], batch["status_changed_by"]) == ("active", "EmaMSP")


@pytest.mark.parametrize("releaser", [MANUFACTURER, REGULATOR])
def test_given_manufacturer_quarantine_then_it_or_a_regulator_may_release_it(
    world: FakeWorld, releaser: str
) -> None:
    world.submit(MANUFACTURER, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)

    batch = world.submit(releaser, "ChangeBatchStatus", status_body(BATCH, "active", "Cleared"), T1)

    assert (batch["status"], batch["status_changed_by"]) == ("active", releaser)


def test_given_manufacturer_quarantine_then_another_manufacturer_may_not_release_it(
    world: FakeWorld,
) -> None:
    world.submit(MANUFACTURER, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)

    refused(
        world,
        ErrorCode.NOT_BATCH_OWNER,
        OTHER_MANUFACTURER,
        "ChangeBatchStatus",
        status_body(BATCH, "active"),
    )


def test_given_manufacturer_quarantine_after_a_regulator_release_then_it_may_release(
    world: FakeWorld,
) -> None:
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "active"), T1)
    world.submit(MANUFACTURER, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)

    batch = world.submit(MANUFACTURER, "ChangeBatchStatus", status_body(BATCH, "active"), T1)

    assert batch["status"] == "active"


def test_given_quarantined_batch_when_recalled_then_recalled(world: FakeWorld) -> None:
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)

    assert (
        world.submit(MANUFACTURER, "ChangeBatchStatus", status_body(BATCH, "recalled"), T1)[
            "status"
        ]
        == "recalled"
    )


def test_given_active_batch_when_released_then_batch_not_quarantined(world: FakeWorld) -> None:
    refused(
        world,
        ErrorCode.BATCH_NOT_QUARANTINED,
        REGULATOR,
        "ChangeBatchStatus",
        status_body(BATCH, "active"),
    )


def test_given_quarantined_batch_when_quarantined_again_then_batch_quarantined(
    world: FakeWorld,
) -> None:
    world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)

    refused(
        world,
        ErrorCode.BATCH_QUARANTINED,
        REGULATOR,
        "ChangeBatchStatus",
        status_body(BATCH, "quarantined"),
    )


@pytest.mark.parametrize("status", ["expired", "destroyed", "RECALLED", ""])
def test_given_status_outside_batch_statuses_then_invalid_argument(
    world: FakeWorld, status: str
) -> None:
    refused(
        world,
        ErrorCode.INVALID_ARGUMENT,
        REGULATOR,
        "ChangeBatchStatus",
        status_body(BATCH, status),
    )


# -- what a status does to the stock -------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("recalled", ErrorCode.BATCH_RECALLED),
        ("withdrawn", ErrorCode.BATCH_WITHDRAWN),
        ("quarantined", ErrorCode.BATCH_QUARANTINED),
    ],
)
def test_given_blocked_batch_when_shipping_or_dispensing_then_refused_with_its_status(
    stocked_world: FakeWorld, status: str, code: ErrorCode
) -> None:
    stocked_world.submit(
        REGULATOR, "ChangeBatchStatus", status_body(BATCH, status, "Sterility"), T1
    )

    error = refused(
        stocked_world, code, DISTRIBUTOR, "Ship", ship_body("SHP-9", PHARMACY_A, BATCH.line(1))
    )
    refused(stocked_world, code, PHARMACY_A, "Decommission", BATCH.pack(SERIAL))

    assert "Sterility" in error.message


EXPIRY = "2025-03-10"
SHORT_DATED = BatchSpec.of(GTIN, "LOT-SD", 3, expiry=EXPIRY)


def test_given_expiry_day_then_stock_still_moves_and_the_next_day_it_is_expired(
    world: FakeWorld,
) -> None:
    world.submit(MANUFACTURER, "RegisterBatch", SHORT_DATED.register_body(), T1)
    last_minute = datetime(2025, 3, 10, 23, 59, 59, tzinfo=UTC)

    world.submit(
        MANUFACTURER, "Ship", ship_body("SHP-9", DISTRIBUTOR, SHORT_DATED.line(1)), last_minute
    )
    refused(
        world,
        ErrorCode.BATCH_EXPIRED,
        MANUFACTURER,
        "Ship",
        ship_body("SHP-10", DISTRIBUTOR, SHORT_DATED.line(1)),
        last_minute + timedelta(seconds=1),
    )


def test_given_expired_batch_then_get_batch_flags_it(world: FakeWorld) -> None:
    world.submit(MANUFACTURER, "RegisterBatch", SHORT_DATED.register_body(), T1)

    on_expiry_day = world.evaluate(
        PHARMACY_A, "GetBatch", SHORT_DATED.key, datetime(2025, 3, 10, 23, tzinfo=UTC)
    )
    next_day = world.evaluate(
        PHARMACY_A, "GetBatch", SHORT_DATED.key, datetime(2025, 3, 11, tzinfo=UTC)
    )

    assert on_expiry_day["expired"] is False
    assert next_day["expired"] is True
    assert next_day["status"] == "active", "expiry is derived from the date, never stored"


def test_given_expired_batch_then_it_can_still_be_recalled(world: FakeWorld) -> None:
    world.submit(MANUFACTURER, "RegisterBatch", SHORT_DATED.register_body(), T1)

    batch = world.submit(
        REGULATOR,
        "ChangeBatchStatus",
        status_body(SHORT_DATED, "recalled"),
        datetime(2025, 4, 1, tzinfo=UTC),
    )

    assert batch["status"] == "recalled"
