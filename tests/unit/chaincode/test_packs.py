"""Pack-level decommissioning and its undo, under the EU FMD rules (Reg. 2016/161)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chaincode.context import PACK
from chaincode.errors import ErrorCode
from chaincode.model import DECOMMISSION_BY_ROLE, PackStatus, Role
from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
    GLNS,
    GTIN,
    MANUFACTURER,
    OTHER_GLN,
    PHARMACY_A,
    PHARMACY_A_BRANCH,
    PHARMACY_B,
    REGULATOR,
    SERIAL,
    STRANGER,
    T1,
    BatchSpec,
    holdings,
    refused,
    ship_and_receive,
    status_body,
)
from tests.unit.chaincode.fake_stub import FakeWorld

pytestmark = pytest.mark.unit

UNDO = {"gtin": GTIN, "serial": SERIAL}
NEXT_SERIAL = BATCH.serials[1]
CUSTODIAN_OF = {"manufacturer": MANUFACTURER, "distributor": DISTRIBUTOR, "pharmacy": PHARMACY_A}
REVERSIBLE = sorted(set(PackStatus) - {PackStatus.ACTIVE, PackStatus.DESTROYED, PackStatus.STOLEN})


def allowed(role: str) -> list[str]:
    return sorted(str(s) for s in DECOMMISSION_BY_ROLE[Role(role)])


def forbidden(role: str) -> list[str]:
    """Statuses the role may not set; "active" is no decommissioning at all (INVALID_ARGUMENT)."""
    lacking = set(PackStatus) - DECOMMISSION_BY_ROLE[Role(role)] - {PackStatus.ACTIVE}
    return sorted(str(s) for s in lacking)


def by_role(statuses: Callable[[str], list[str]]) -> list[Any]:
    roles = ("manufacturer", "distributor", "pharmacy")
    return [
        pytest.param(role, status, id=f"{role}-{status}")
        for role in roles
        for status in statuses(role)
    ]


def decommission_by_pharmacy_a(
    world: FakeWorld, status: str, at: datetime = T1, **fields: object
) -> dict:
    return world.submit(PHARMACY_A, "Decommission", BATCH.pack(SERIAL, status=status, **fields), at)


# -- decommission ------------------------------------------------------------------------------
def test_given_pharmacy_with_stock_when_dispensing_then_pack_supplied_and_holding_down(
    stocked_world: FakeWorld,
) -> None:
    pack = stocked_world.submit(PHARMACY_A, "Decommission", BATCH.pack(SERIAL), T1)

    assert pack == {
        "gtin": GTIN,
        "lot": BATCH.lot,
        "serial": SERIAL,
        "status": "supplied",
        "msp_id": PHARMACY_A,
        "location": GLNS[PHARMACY_A],
        "at": "2025-03-04T09:00:00.000Z",
        "tx_id": stocked_world.log[-1].tx_id,
    }
    assert stocked_world.record(PACK, GTIN, SERIAL) == pack
    assert stocked_world.evaluate(PHARMACY_B, "GetPack", UNDO) == pack
    assert holdings(stocked_world)[PHARMACY_A] == 2
    event = stocked_world.last_event
    assert event.name == "PackDecommissioned"
    assert event.body["pack"] == pack
    assert event.body["holdings"] == [
        {"gtin": GTIN, "lot": BATCH.lot, "msp_id": PHARMACY_A, "quantity": 2}
    ]


@pytest.mark.parametrize("location", [PHARMACY_A_BRANCH, GLNS[PHARMACY_A]], ids=["branch", "main"])
def test_given_explicit_location_then_it_is_recorded(
    stocked_world: FakeWorld, location: str
) -> None:
    assert (
        decommission_by_pharmacy_a(stocked_world, "supplied", location=location)["location"]
        == location
    )


@pytest.mark.parametrize(
    "location",
    [OTHER_GLN, GLNS[PHARMACY_B], GLNS[DISTRIBUTOR]],
    ids=["nobodys", "other-pharmacy", "supplier"],
)
def test_given_location_not_among_the_callers_premises_when_decommissioning_then_not_own_premises(
    stocked_world: FakeWorld, location: str
) -> None:
    error = refused(
        stocked_world,
        ErrorCode.NOT_OWN_PREMISES,
        PHARMACY_A,
        "Decommission",
        BATCH.pack(SERIAL, location=location),
    )

    assert location in error.message
    assert holdings(stocked_world)[PHARMACY_A] == 3


def test_given_another_organizations_branch_when_decommissioning_then_not_own_premises(
    stocked_world: FakeWorld,
) -> None:
    body = BATCH.pack(SERIAL, location=PHARMACY_A_BRANCH)
    refused(stocked_world, ErrorCode.NOT_OWN_PREMISES, PHARMACY_B, "Decommission", body)


@pytest.mark.parametrize("role", ["manufacturer", "distributor", "pharmacy"])
def test_given_custodian_when_decommissioning_as_active_then_invalid_argument(
    stocked_world: FakeWorld, role: str
) -> None:
    body = BATCH.pack(SERIAL, status="active")

    error = refused(
        stocked_world, ErrorCode.INVALID_ARGUMENT, CUSTODIAN_OF[role], "Decommission", body
    )

    assert "active" in error.message


@pytest.mark.parametrize(("role", "status"), by_role(allowed))
def test_given_custodian_when_decommissioning_with_a_status_its_role_may_set_then_accepted(
    stocked_world: FakeWorld, role: str, status: str
) -> None:
    caller = CUSTODIAN_OF[role]
    before = holdings(stocked_world)[caller]

    pack = stocked_world.submit(caller, "Decommission", BATCH.pack(SERIAL, status=status), T1)

    assert (pack["status"], pack["msp_id"]) == (status, caller)
    assert holdings(stocked_world).get(caller, 0) == before - 1


@pytest.mark.parametrize(("role", "status"), by_role(forbidden))
def test_given_custodian_when_decommissioning_with_a_status_its_role_lacks_then_forbidden_role(
    stocked_world: FakeWorld, role: str, status: str
) -> None:
    body = BATCH.pack(SERIAL, status=status)
    refused(stocked_world, ErrorCode.FORBIDDEN_ROLE, CUSTODIAN_OF[role], "Decommission", body)


def test_given_distributor_when_supplying_to_the_public_then_forbidden_role(
    stocked_world: FakeWorld,
) -> None:
    error = refused(
        stocked_world, ErrorCode.FORBIDDEN_ROLE, DISTRIBUTOR, "Decommission", BATCH.pack(SERIAL)
    )

    assert "supplied" in error.message


def test_given_regulator_when_decommissioning_then_forbidden_role(stocked_world: FakeWorld) -> None:
    refused(
        stocked_world,
        ErrorCode.FORBIDDEN_ROLE,
        REGULATOR,
        "Decommission",
        BATCH.pack(SERIAL, status="destroyed"),
    )


def test_given_unregistered_caller_when_decommissioning_then_unknown_organization(
    stocked_world: FakeWorld,
) -> None:
    refused(
        stocked_world, ErrorCode.UNKNOWN_ORGANIZATION, STRANGER, "Decommission", BATCH.pack(SERIAL)
    )


def test_given_pharmacy_nobody_shipped_to_when_dispensing_then_not_custodian(
    world: FakeWorld,
) -> None:
    error = refused(world, ErrorCode.NOT_CUSTODIAN, PHARMACY_A, "Decommission", BATCH.pack(SERIAL))

    assert "no shipment" in error.message


def test_given_pharmacy_whose_stock_ran_out_when_dispensing_then_not_custodian(
    stocked_world: FakeWorld,
) -> None:
    for serial in BATCH.serials[:2]:
        stocked_world.submit(PHARMACY_B, "Decommission", BATCH.pack(serial), T1)

    refused(
        stocked_world,
        ErrorCode.NOT_CUSTODIAN,
        PHARMACY_B,
        "Decommission",
        BATCH.pack(BATCH.serials[2]),
    )
    assert PHARMACY_B not in holdings(stocked_world)


def test_given_shipment_not_yet_received_when_dispensing_then_not_custodian(
    world: FakeWorld,
) -> None:
    world.submit(
        MANUFACTURER,
        "Ship",
        {"shipment_id": "SHP-9", "receiver": PHARMACY_A, "lines": [BATCH.line(2)]},
        T1,
    )

    refused(world, ErrorCode.NOT_CUSTODIAN, PHARMACY_A, "Decommission", BATCH.pack(SERIAL))


def test_given_unknown_lot_when_dispensing_then_unknown_batch(stocked_world: FakeWorld) -> None:
    ghost = BatchSpec.of(GTIN, "LOT-GHOST", 4)
    refused(
        stocked_world,
        ErrorCode.UNKNOWN_BATCH,
        PHARMACY_A,
        "Decommission",
        ghost.pack(ghost.serials[0]),
    )


# -- membership proofs -------------------------------------------------------------------------
def _proof_of_another_serial(body: dict) -> None:
    body["proof"] = BATCH.proof(NEXT_SERIAL)


def _serial_not_in_batch(body: dict) -> None:
    body["serial"] = "FAKE0001"


def _tampered_sibling(body: dict) -> None:
    first = body["proof"]["siblings"][0]
    body["proof"]["siblings"][0] = f"{int(first[0], 16) ^ 1:x}{first[1:]}"


def _wrong_index(body: dict) -> None:
    body["proof"]["index"] = 1


def _sibling_dropped(body: dict) -> None:
    body["proof"]["siblings"].pop()


def _sibling_added(body: dict) -> None:
    body["proof"]["siblings"].append("00" * 32)


def _siblings_reversed(body: dict) -> None:
    body["proof"]["siblings"].reverse()


def _proof_from_another_batch(body: dict) -> None:
    twin = BatchSpec.of(GTIN, "LOT-TWIN", 10)
    body["serial"], body["proof"] = twin.serials[0], twin.proof(twin.serials[0])


@pytest.mark.parametrize(
    "forge",
    [
        _proof_of_another_serial,
        _serial_not_in_batch,
        _tampered_sibling,
        _wrong_index,
        _sibling_dropped,
        _sibling_added,
        _siblings_reversed,
        _proof_from_another_batch,
    ],
)
def test_given_proof_that_does_not_verify_when_dispensing_then_unknown_serial(
    stocked_world: FakeWorld, forge: Callable[[dict[str, Any]], None]
) -> None:
    body = BATCH.pack(SERIAL)
    forge(body)

    refused(stocked_world, ErrorCode.UNKNOWN_SERIAL, PHARMACY_A, "Decommission", body)


@pytest.mark.parametrize("serial", BATCH.serials)
def test_every_committed_serial_can_be_proven(stocked_world: FakeWorld, serial: str) -> None:
    pack = stocked_world.submit(
        MANUFACTURER, "Decommission", BATCH.pack(serial, status="sample"), T1
    )

    assert pack["serial"] == serial


# -- already inactive --------------------------------------------------------------------------
def test_given_dispensed_pack_when_other_pharmacy_dispenses_then_already_dispensed(
    dispensed_world: FakeWorld,
) -> None:
    error = refused(
        dispensed_world, ErrorCode.ALREADY_DISPENSED, PHARMACY_B, "Decommission", BATCH.pack(SERIAL)
    )

    assert PHARMACY_A in error.message


def test_given_dispensed_pack_when_same_pharmacy_rescans_then_already_dispensed(
    dispensed_world: FakeWorld,
) -> None:
    refused(
        dispensed_world, ErrorCode.ALREADY_DISPENSED, PHARMACY_A, "Decommission", BATCH.pack(SERIAL)
    )


def test_given_dispensed_pack_when_manufacturer_destroys_it_then_already_dispensed(
    dispensed_world: FakeWorld,
) -> None:
    refused(
        dispensed_world,
        ErrorCode.ALREADY_DISPENSED,
        MANUFACTURER,
        "Decommission",
        BATCH.pack(SERIAL, status="destroyed"),
    )


@pytest.mark.parametrize(
    "status", sorted(set(PackStatus) - {PackStatus.ACTIVE, PackStatus.SUPPLIED})
)
def test_given_pack_decommissioned_otherwise_when_dispensed_then_pack_inactive(
    stocked_world: FakeWorld, status: str
) -> None:
    decommission_by_pharmacy_a(stocked_world, status)

    error = refused(
        stocked_world, ErrorCode.PACK_INACTIVE, PHARMACY_B, "Decommission", BATCH.pack(SERIAL)
    )

    assert status in error.message


# -- batch status ------------------------------------------------------------------------------
BLOCKING = [
    ("recalled", ErrorCode.BATCH_RECALLED),
    ("withdrawn", ErrorCode.BATCH_WITHDRAWN),
    ("quarantined", ErrorCode.BATCH_QUARANTINED),
]


@pytest.mark.parametrize(("batch_status", "code"), BLOCKING)
@pytest.mark.parametrize("status", ["supplied", "sample", "locked", "exported", "checked_out"])
def test_given_blocked_batch_when_decommissioning_reversibly_then_refused(
    stocked_world: FakeWorld, batch_status: str, code: ErrorCode, status: str
) -> None:
    stocked_world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, batch_status), T1)

    refused(stocked_world, code, PHARMACY_A, "Decommission", BATCH.pack(SERIAL, status=status))


@pytest.mark.parametrize("batch_status", ["recalled", "withdrawn", "quarantined"])
@pytest.mark.parametrize("status", ["destroyed", "stolen"])
def test_given_blocked_batch_when_destroying_or_reporting_stolen_then_allowed(
    stocked_world: FakeWorld, batch_status: str, status: str
) -> None:
    stocked_world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, batch_status), T1)

    assert decommission_by_pharmacy_a(stocked_world, status)["status"] == status
    assert holdings(stocked_world)[PHARMACY_A] == 2


SHORT_DATED = BatchSpec.of(GTIN, "LOT-SD", 4, expiry="2025-03-10")
AFTER_EXPIRY = datetime(2025, 3, 11, 8, tzinfo=UTC)


@pytest.fixture
def short_dated_world(world: FakeWorld) -> FakeWorld:
    """Pharmacy A holds 4 packs of a batch expiring on 2025-03-10."""
    world.submit(MANUFACTURER, "RegisterBatch", SHORT_DATED.register_body(), T1)
    ship_and_receive(world, MANUFACTURER, PHARMACY_A, 4, "SHP-SD", T1, SHORT_DATED)
    return world


def test_given_expired_batch_when_dispensing_then_batch_expired(
    short_dated_world: FakeWorld,
) -> None:
    body = SHORT_DATED.pack(SHORT_DATED.serials[0])
    refused(
        short_dated_world, ErrorCode.BATCH_EXPIRED, PHARMACY_A, "Decommission", body, AFTER_EXPIRY
    )


def test_given_expired_batch_when_destroying_then_allowed(short_dated_world: FakeWorld) -> None:
    body = SHORT_DATED.pack(SHORT_DATED.serials[0], status="destroyed")

    assert (
        short_dated_world.submit(PHARMACY_A, "Decommission", body, AFTER_EXPIRY)["status"]
        == "destroyed"
    )


# -- undo ------------------------------------------------------------------------------------------
def test_given_dispensed_pack_when_undone_within_ten_days_then_active_and_holding_restored(
    dispensed_world: FakeWorld,
) -> None:
    pack = dispensed_world.submit(PHARMACY_A, "UndoDecommission", UNDO, T1 + timedelta(days=3))

    assert pack["status"] == "active"
    assert pack["undone_status"] == "supplied"
    assert pack["at"] == "2025-03-07T09:00:00.000Z"
    assert pack["tx_id"] == dispensed_world.log[-1].tx_id
    assert (pack["msp_id"], pack["location"], pack["lot"]) == (
        PHARMACY_A,
        GLNS[PHARMACY_A],
        BATCH.lot,
    )
    assert dispensed_world.evaluate(PHARMACY_B, "GetPack", UNDO) == pack
    assert holdings(dispensed_world)[PHARMACY_A] == 3
    event = dispensed_world.last_event
    assert event.name == "PackReactivated"
    assert event.body["pack"] == pack
    assert event.body["holdings"] == [
        {"gtin": GTIN, "lot": BATCH.lot, "msp_id": PHARMACY_A, "quantity": 3}
    ]


def test_given_undone_pack_then_it_can_be_dispensed_again(dispensed_world: FakeWorld) -> None:
    dispensed_world.submit(PHARMACY_A, "UndoDecommission", UNDO, T1)

    pack = dispensed_world.submit(
        PHARMACY_B, "Decommission", BATCH.pack(SERIAL), T1 + timedelta(hours=1)
    )

    assert pack["msp_id"] == PHARMACY_B
    assert holdings(dispensed_world) == {
        MANUFACTURER: 2,
        DISTRIBUTOR: 3,
        PHARMACY_A: 3,
        PHARMACY_B: 1,
    }


@pytest.mark.parametrize("status", REVERSIBLE)
def test_given_reversible_status_when_undone_then_active(
    stocked_world: FakeWorld, status: str
) -> None:
    decommission_by_pharmacy_a(stocked_world, status)

    assert stocked_world.submit(PHARMACY_A, "UndoDecommission", UNDO, T1)["undone_status"] == status


def test_given_exactly_ten_days_when_undone_then_accepted(dispensed_world: FakeWorld) -> None:
    pack = dispensed_world.submit(PHARMACY_A, "UndoDecommission", UNDO, T1 + timedelta(days=10))

    assert pack["status"] == "active"


def test_given_ten_days_and_a_second_when_undone_then_undo_too_late(
    dispensed_world: FakeWorld,
) -> None:
    at = T1 + timedelta(days=10, seconds=1)
    refused(dispensed_world, ErrorCode.UNDO_TOO_LATE, PHARMACY_A, "UndoDecommission", UNDO, at)


def test_given_other_organization_when_undoing_then_undo_by_other_organization(
    dispensed_world: FakeWorld,
) -> None:
    error = refused(
        dispensed_world, ErrorCode.UNDO_BY_OTHER_ORGANIZATION, PHARMACY_B, "UndoDecommission", UNDO
    )

    assert PHARMACY_A in error.message


def test_given_other_premises_when_undoing_then_undo_other_location(
    dispensed_world: FakeWorld,
) -> None:
    body = {**UNDO, "location": PHARMACY_A_BRANCH}
    refused(dispensed_world, ErrorCode.UNDO_OTHER_LOCATION, PHARMACY_A, "UndoDecommission", body)


def test_given_explicit_premises_when_undoing_at_them_then_accepted(
    stocked_world: FakeWorld,
) -> None:
    decommission_by_pharmacy_a(stocked_world, "supplied", location=PHARMACY_A_BRANCH)

    refused(stocked_world, ErrorCode.UNDO_OTHER_LOCATION, PHARMACY_A, "UndoDecommission", UNDO)
    pack = stocked_world.submit(
        PHARMACY_A, "UndoDecommission", {**UNDO, "location": PHARMACY_A_BRANCH}, T1
    )
    assert pack["status"] == "active"
    assert pack["location"] == PHARMACY_A_BRANCH


@pytest.mark.parametrize("location", [OTHER_GLN, GLNS[PHARMACY_B]], ids=["nobodys", "other"])
def test_given_location_not_among_the_callers_premises_when_undoing_then_not_own_premises(
    dispensed_world: FakeWorld, location: str
) -> None:
    body = {**UNDO, "location": location}
    refused(dispensed_world, ErrorCode.NOT_OWN_PREMISES, PHARMACY_A, "UndoDecommission", body)


def test_given_pack_of_another_organization_when_undoing_at_foreign_premises_then_not_own_premises(
    dispensed_world: FakeWorld,
) -> None:
    """The caller's premises are checked first: PHARMACY_B cannot even claim pharmacy A's shop."""
    body = {**UNDO, "location": GLNS[PHARMACY_A]}
    refused(dispensed_world, ErrorCode.NOT_OWN_PREMISES, PHARMACY_B, "UndoDecommission", body)


@pytest.mark.parametrize("status", ["destroyed", "stolen"])
@pytest.mark.parametrize("caller", [PHARMACY_A, PHARMACY_B])
def test_given_destroyed_or_stolen_pack_when_undone_then_undo_not_allowed(
    stocked_world: FakeWorld, status: str, caller: str
) -> None:
    decommission_by_pharmacy_a(stocked_world, status)

    refused(stocked_world, ErrorCode.UNDO_NOT_ALLOWED, caller, "UndoDecommission", UNDO)


def test_given_pack_never_decommissioned_when_undone_then_pack_active(
    stocked_world: FakeWorld,
) -> None:
    refused(stocked_world, ErrorCode.PACK_ACTIVE, PHARMACY_A, "UndoDecommission", UNDO)


def test_given_pack_already_undone_when_undone_again_then_pack_active(
    dispensed_world: FakeWorld,
) -> None:
    dispensed_world.submit(PHARMACY_A, "UndoDecommission", UNDO, T1)

    refused(dispensed_world, ErrorCode.PACK_ACTIVE, PHARMACY_A, "UndoDecommission", UNDO)


FINAL = [("recalled", ErrorCode.BATCH_RECALLED), ("withdrawn", ErrorCode.BATCH_WITHDRAWN)]


@pytest.mark.parametrize("changed_by", [MANUFACTURER, REGULATOR])
@pytest.mark.parametrize(("batch_status", "code"), FINAL)
def test_given_batch_recalled_or_withdrawn_since_the_dispense_when_undone_then_refused(
    dispensed_world: FakeWorld, batch_status: str, code: ErrorCode, changed_by: str
) -> None:
    dispensed_world.submit(changed_by, "ChangeBatchStatus", status_body(BATCH, batch_status), T1)

    refused(dispensed_world, code, PHARMACY_A, "UndoDecommission", UNDO, T1 + timedelta(hours=1))


@pytest.mark.parametrize("changed_by", [MANUFACTURER, REGULATOR])
def test_given_batch_quarantined_since_the_dispense_when_undone_then_accepted(
    dispensed_world: FakeWorld, changed_by: str
) -> None:
    dispensed_world.submit(changed_by, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)

    pack = dispensed_world.submit(PHARMACY_A, "UndoDecommission", UNDO, T1 + timedelta(hours=1))

    assert (pack["status"], pack["undone_status"]) == ("active", "supplied")
    assert holdings(dispensed_world)[PHARMACY_A] == 3
    assert dispensed_world.last_event.name == "PackReactivated"


def test_given_pack_undone_in_quarantine_then_it_cannot_be_dispensed_until_released(
    dispensed_world: FakeWorld,
) -> None:
    dispensed_world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "quarantined"), T1)
    dispensed_world.submit(PHARMACY_A, "UndoDecommission", UNDO, T1)

    refused(
        dispensed_world, ErrorCode.BATCH_QUARANTINED, PHARMACY_A, "Decommission", BATCH.pack(SERIAL)
    )
    dispensed_world.submit(REGULATOR, "ChangeBatchStatus", status_body(BATCH, "active"), T1)
    assert dispensed_world.submit(PHARMACY_A, "Decommission", BATCH.pack(SERIAL), T1)["status"] == (
        "supplied"
    )


def test_given_batch_quarantined_and_expired_since_the_dispense_when_undone_then_batch_expired(
    short_dated_world: FakeWorld,
) -> None:
    serial = SHORT_DATED.serials[0]
    short_dated_world.submit(
        PHARMACY_A, "Decommission", SHORT_DATED.pack(serial), AFTER_EXPIRY - timedelta(days=2)
    )
    short_dated_world.submit(
        REGULATOR,
        "ChangeBatchStatus",
        status_body(SHORT_DATED, "quarantined"),
        AFTER_EXPIRY - timedelta(days=1),
    )

    body = {"gtin": GTIN, "serial": serial}
    refused(
        short_dated_world,
        ErrorCode.BATCH_EXPIRED,
        PHARMACY_A,
        "UndoDecommission",
        body,
        AFTER_EXPIRY,
    )


def test_given_batch_expired_since_the_dispense_when_undone_then_batch_expired(
    short_dated_world: FakeWorld,
) -> None:
    serial = SHORT_DATED.serials[0]
    short_dated_world.submit(
        PHARMACY_A, "Decommission", SHORT_DATED.pack(serial), AFTER_EXPIRY - timedelta(days=2)
    )

    body = {"gtin": GTIN, "serial": serial}
    refused(
        short_dated_world,
        ErrorCode.BATCH_EXPIRED,
        PHARMACY_A,
        "UndoDecommission",
        body,
        AFTER_EXPIRY,
    )


def test_given_regulator_when_undoing_then_forbidden_role(dispensed_world: FakeWorld) -> None:
    refused(dispensed_world, ErrorCode.FORBIDDEN_ROLE, REGULATOR, "UndoDecommission", UNDO)
