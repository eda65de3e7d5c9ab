"""Who may trade: bootstrap, organizations, licences (authorised trading partners), products."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chaincode.context import META, ORG, PRODUCT
from chaincode.errors import ContractError, ErrorCode
from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
    GLNS,
    GTIN,
    MANUFACTURER,
    OTHER_GTIN,
    OTHER_MANUFACTURER,
    PHARMACY_A,
    PHARMACY_A_BRANCH,
    PHARMACY_B,
    REGULATOR,
    SERIAL,
    STRANGER,
    T0,
    T1,
    BatchSpec,
    bootstrap,
    make_gln,
    organization_body,
    product_body,
    refused,
    ship_body,
    wrong_check_digit,
)
from tests.unit.chaincode.fake_stub import FakeWorld

pytestmark = pytest.mark.unit


def suspend(world: FakeWorld, msp_id: str, status: str = "suspended") -> None:
    body = {"msp_id": msp_id, "licence_status": status, "reason": "Inspection pending"}
    world.submit(REGULATOR, "SetLicenceStatus", body, T1)


# -- bootstrap ---------------------------------------------------------------------------------
def test_given_bare_channel_when_caller_registers_itself_as_regulator_then_bootstrapped(
    bare_world: FakeWorld,
) -> None:
    org = bare_world.submit(REGULATOR, "RegisterOrganization", organization_body(REGULATOR), T0)

    assert org["role"] == "regulator"
    assert org["licence_status"] == "active"
    assert bare_world.record(ORG, REGULATOR) == org
    assert bare_world.record(META, "bootstrap") == {
        "regulator": REGULATOR,
        "at": "2025-03-03T09:00:00.000Z",
    }
    assert bare_world.last_event.name == "OrganizationRegistered"
    assert bare_world.last_event.body["organization"] == org


def test_given_bare_channel_when_caller_registers_another_organization_then_forbidden_role(
    bare_world: FakeWorld,
) -> None:
    body = organization_body(MANUFACTURER)
    refused(bare_world, ErrorCode.FORBIDDEN_ROLE, REGULATOR, "RegisterOrganization", body)


def test_given_bare_channel_when_caller_registers_someone_else_as_regulator_then_forbidden_role(
    bare_world: FakeWorld,
) -> None:
    body = organization_body(STRANGER, "regulator")
    refused(bare_world, ErrorCode.FORBIDDEN_ROLE, REGULATOR, "RegisterOrganization", body)


@pytest.mark.parametrize("role", ["manufacturer", "distributor", "pharmacy"])
def test_given_bare_channel_when_caller_registers_itself_with_a_trading_role_then_forbidden_role(
    bare_world: FakeWorld, role: str
) -> None:
    body = organization_body(MANUFACTURER, role)
    refused(bare_world, ErrorCode.FORBIDDEN_ROLE, MANUFACTURER, "RegisterOrganization", body)


@pytest.mark.parametrize("status", ["suspended", "revoked"])
def test_given_bare_channel_when_caller_bootstraps_itself_unlicensed_then_forbidden_role(
    bare_world: FakeWorld, status: str
) -> None:
    body = organization_body(REGULATOR, licence_status=status)

    error = refused(bare_world, ErrorCode.FORBIDDEN_ROLE, REGULATOR, "RegisterOrganization", body)

    assert "active regulator" in error.message
    bootstrap(bare_world)
    assert bare_world.record(ORG, REGULATOR)["licence_status"] == "active"


def test_given_bare_channel_when_bootstrapping_explicitly_active_then_bootstrapped(
    bare_world: FakeWorld,
) -> None:
    body = organization_body(REGULATOR, licence_status="active")

    org = bare_world.submit(REGULATOR, "RegisterOrganization", body, T0)

    assert org["licence_status"] == "active"
    assert bare_world.record(META, "bootstrap")["regulator"] == REGULATOR


def test_given_refused_bootstrap_then_the_channel_can_still_be_bootstrapped(
    bare_world: FakeWorld,
) -> None:
    bad = organization_body(REGULATOR, gln="123")
    refused(bare_world, ErrorCode.INVALID_ARGUMENT, REGULATOR, "RegisterOrganization", bad)

    bootstrap(bare_world)

    assert bare_world.record(META, "bootstrap")["regulator"] == REGULATOR


@pytest.mark.parametrize("function", ["RegisterProduct", "SetLicenceStatus"])
def test_given_bare_channel_when_anything_else_is_submitted_then_unknown_organization(
    bare_world: FakeWorld, function: str
) -> None:
    body = {"msp_id": REGULATOR, "licence_status": "active", **product_body()}
    refused(bare_world, ErrorCode.UNKNOWN_ORGANIZATION, REGULATOR, function, body)


def test_given_bootstrapped_channel_when_a_stranger_claims_regulator_then_unknown_organization(
    world: FakeWorld,
) -> None:
    body = organization_body(STRANGER, "regulator")
    refused(world, ErrorCode.UNKNOWN_ORGANIZATION, STRANGER, "RegisterOrganization", body)


def test_given_bootstrapped_channel_when_the_regulator_bootstraps_again_then_exists(
    world: FakeWorld,
) -> None:
    body = organization_body(REGULATOR)
    refused(world, ErrorCode.ORGANIZATION_EXISTS, REGULATOR, "RegisterOrganization", body)


# -- organizations ---------------------------------------------------------------------------
def test_given_regulator_when_registering_an_organization_then_defaults_fill_the_record(
    world: FakeWorld,
) -> None:
    body = organization_body("ClinicMSP", "pharmacy", gln=make_gln(70))

    org = world.submit(REGULATOR, "RegisterOrganization", body, T1)

    assert org == {
        "msp_id": "ClinicMSP",
        "name": "Clinic Ltd",
        "role": "pharmacy",
        "gln": make_gln(70),
        "locations": [],
        "licence_status": "active",
        "licence_number": "",
        "address": "",
        "country": "",
        "latitude": None,
        "longitude": None,
        "registered_at": "2025-03-04T09:00:00.000Z",
    }


def test_given_all_optional_fields_when_registering_then_they_are_kept(world: FakeWorld) -> None:
    body = organization_body(
        "ClinicMSP",
        "pharmacy",
        gln=make_gln(70),
        licence_status="suspended",
        licence_number="APO-2025-17",
        address="Hauptstraße 1, Berlin",
        country="DE",
        latitude=52,
        longitude=-13.4,
    )

    org = world.submit(REGULATOR, "RegisterOrganization", body, T1)

    assert org["licence_status"] == "suspended"
    assert org["licence_number"] == "APO-2025-17"
    assert org["address"] == "Hauptstraße 1, Berlin"
    assert (org["latitude"], org["longitude"]) == (52.0, -13.4)
    assert isinstance(org["latitude"], float)


@pytest.mark.parametrize(("latitude", "longitude"), [(90, 180), (-90, -180), (0.0, 0)])
def test_coordinates_on_the_bounds_are_accepted(
    world: FakeWorld, latitude: float, longitude: float
) -> None:
    body = organization_body("ClinicMSP", "pharmacy", latitude=latitude, longitude=longitude)

    org = world.submit(REGULATOR, "RegisterOrganization", body, T1)

    assert (org["latitude"], org["longitude"]) == (latitude, longitude)


def test_given_second_regulator_then_it_may_register_organizations(world: FakeWorld) -> None:
    world.submit(REGULATOR, "RegisterOrganization", organization_body("EmaMSP", "regulator"), T1)

    org = world.submit(
        "EmaMSP", "RegisterOrganization", organization_body("ClinicMSP", "pharmacy"), T1
    )

    assert org["msp_id"] == "ClinicMSP"


@pytest.mark.parametrize("caller", [MANUFACTURER, DISTRIBUTOR, PHARMACY_A])
def test_given_non_regulator_when_registering_an_organization_then_forbidden_role(
    world: FakeWorld, caller: str
) -> None:
    body = organization_body("ClinicMSP", "pharmacy")
    refused(world, ErrorCode.FORBIDDEN_ROLE, caller, "RegisterOrganization", body)


def test_given_unregistered_caller_when_registering_then_unknown_organization(
    world: FakeWorld,
) -> None:
    body = organization_body("ClinicMSP", "pharmacy")
    refused(world, ErrorCode.UNKNOWN_ORGANIZATION, STRANGER, "RegisterOrganization", body)


@pytest.mark.parametrize("msp_id", [MANUFACTURER, PHARMACY_B])
def test_given_registered_msp_when_registering_again_then_organization_exists(
    world: FakeWorld, msp_id: str
) -> None:
    body = organization_body(msp_id, "distributor", gln=make_gln(80))
    refused(world, ErrorCode.ORGANIZATION_EXISTS, REGULATOR, "RegisterOrganization", body)


def test_given_nan_latitude_when_registering_then_invalid_argument(world: FakeWorld) -> None:
    raw = json.dumps(organization_body("ClinicMSP", "pharmacy", latitude=float("nan")))
    assert "NaN" in raw
    before = world.snapshot()

    with pytest.raises(ContractError) as caught:
        world.invoke(REGULATOR, "RegisterOrganization", [raw], T1)

    assert caught.value.code == ErrorCode.INVALID_ARGUMENT
    assert world.snapshot() == before


@pytest.mark.parametrize("field", ["latitude", "longitude"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_given_non_finite_coordinate_when_registering_then_invalid_argument(
    world: FakeWorld, field: str, value: float
) -> None:
    raw = json.dumps(organization_body("ClinicMSP", "pharmacy", **{field: value}))
    before = world.snapshot()

    with pytest.raises(ContractError) as caught:
        world.invoke(REGULATOR, "RegisterOrganization", [raw], T1)

    assert caught.value.code == ErrorCode.INVALID_ARGUMENT
    assert world.snapshot() == before


# -- further premises --------------------------------------------------------------------------
def test_given_further_premises_when_registering_then_stored_sorted_and_deduplicated(
    world: FakeWorld,
) -> None:
    locations = [make_gln(73), make_gln(71), make_gln(73), make_gln(72)]
    body = organization_body("ClinicMSP", "pharmacy", gln=make_gln(70), locations=locations)

    org = world.submit(REGULATOR, "RegisterOrganization", body, T1)

    assert org["locations"] == [make_gln(71), make_gln(72), make_gln(73)]
    assert world.record(ORG, "ClinicMSP") == org
    assert world.last_event.body["organization"]["locations"] == org["locations"]


def test_given_no_further_premises_then_locations_is_an_empty_list(world: FakeWorld) -> None:
    body = organization_body("ClinicMSP", "pharmacy", locations=[])

    assert world.submit(REGULATOR, "RegisterOrganization", body, T1)["locations"] == []


def test_fifty_further_premises_are_accepted(world: FakeWorld) -> None:
    locations = [make_gln(200 + n) for n in range(50)]
    body = organization_body("ClinicMSP", "pharmacy", locations=locations)

    assert world.submit(REGULATOR, "RegisterOrganization", body, T1)["locations"] == locations


def test_the_cast_pharmacy_has_its_branch_registered(world: FakeWorld) -> None:
    org = world.evaluate(PHARMACY_B, "GetOrganization", {"msp_id": PHARMACY_A})

    assert org["locations"] == [PHARMACY_A_BRANCH]
    assert world.evaluate(PHARMACY_A, "GetOrganization", {"msp_id": PHARMACY_B})["locations"] == []


# -- licences ----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["suspended", "revoked", "active"])
def test_given_regulator_when_setting_a_licence_status_then_recorded_and_announced(
    world: FakeWorld, status: str
) -> None:
    body = {"msp_id": PHARMACY_B, "licence_status": status, "reason": "Inspection"}

    org = world.submit(REGULATOR, "SetLicenceStatus", body, T1)

    assert org["licence_status"] == status
    assert world.record(ORG, PHARMACY_B)["licence_status"] == status
    assert world.last_event.name == "LicenceStatusChanged"
    assert world.last_event.body["reason"] == "Inspection"
    assert world.last_event.body["organization"] == org


def test_licence_change_reason_is_optional(world: FakeWorld) -> None:
    world.submit(
        REGULATOR, "SetLicenceStatus", {"msp_id": DISTRIBUTOR, "licence_status": "revoked"}, T1
    )

    assert world.last_event.body["reason"] == ""


def test_given_unknown_organization_when_setting_licence_then_unknown_organization(
    world: FakeWorld,
) -> None:
    body = {"msp_id": STRANGER, "licence_status": "suspended"}
    refused(world, ErrorCode.UNKNOWN_ORGANIZATION, REGULATOR, "SetLicenceStatus", body)


@pytest.mark.parametrize("caller", [MANUFACTURER, DISTRIBUTOR, PHARMACY_A])
def test_given_non_regulator_when_setting_licence_then_forbidden_role(
    world: FakeWorld, caller: str
) -> None:
    body = {"msp_id": PHARMACY_B, "licence_status": "suspended"}
    refused(world, ErrorCode.FORBIDDEN_ROLE, caller, "SetLicenceStatus", body)


@pytest.mark.parametrize("status", ["suspended", "revoked", "active"])
def test_given_regulator_when_changing_its_own_licence_then_forbidden_role(
    world: FakeWorld, status: str
) -> None:
    body = {"msp_id": REGULATOR, "licence_status": status, "reason": "Self-assessment"}

    error = refused(world, ErrorCode.FORBIDDEN_ROLE, REGULATOR, "SetLicenceStatus", body)

    assert "own licence" in error.message


def test_given_two_regulators_then_neither_can_lock_the_channel(world: FakeWorld) -> None:
    world.submit(REGULATOR, "RegisterOrganization", organization_body("EmaMSP", "regulator"), T1)
    world.submit(
        "EmaMSP", "SetLicenceStatus", {"msp_id": REGULATOR, "licence_status": "suspended"}, T1
    )

    refused(
        world,
        ErrorCode.FORBIDDEN_ROLE,
        "EmaMSP",
        "SetLicenceStatus",
        {"msp_id": "EmaMSP", "licence_status": "suspended"},
    )
    refused(
        world,
        ErrorCode.ORGANIZATION_NOT_LICENSED,
        REGULATOR,
        "SetLicenceStatus",
        {"msp_id": "EmaMSP", "licence_status": "suspended"},
    )
    reinstated = world.submit(
        "EmaMSP", "SetLicenceStatus", {"msp_id": REGULATOR, "licence_status": "active"}, T1
    )
    assert reinstated["licence_status"] == "active"
    assert world.record(ORG, "EmaMSP")["licence_status"] == "active"


def test_given_suspended_regulator_then_every_write_is_refused_as_not_licensed(
    world: FakeWorld,
) -> None:
    world.submit(REGULATOR, "RegisterOrganization", organization_body("EmaMSP", "regulator"), T1)
    world.submit(
        "EmaMSP", "SetLicenceStatus", {"msp_id": REGULATOR, "licence_status": "suspended"}, T1
    )

    code = ErrorCode.ORGANIZATION_NOT_LICENSED
    refused(
        world, code, REGULATOR, "RegisterOrganization", organization_body("ClinicMSP", "pharmacy")
    )
    refused(
        world,
        code,
        REGULATOR,
        "SetLicenceStatus",
        {"msp_id": REGULATOR, "licence_status": "active"},
    )
    refused(
        world,
        code,
        REGULATOR,
        "ChangeBatchStatus",
        {**BATCH.key, "status": "recalled", "reason": "x"},
    )


@pytest.mark.parametrize("status", ["suspended", "revoked"])
def test_given_unlicensed_manufacturer_then_its_writes_are_refused(
    world: FakeWorld, status: str
) -> None:
    suspend(world, MANUFACTURER, status)
    code = ErrorCode.ORGANIZATION_NOT_LICENSED

    refused(world, code, MANUFACTURER, "RegisterProduct", product_body(OTHER_GTIN))
    refused(
        world, code, MANUFACTURER, "RegisterBatch", BatchSpec.of(GTIN, "LOT-B2", 2).register_body()
    )
    refused(
        world,
        code,
        MANUFACTURER,
        "ChangeBatchStatus",
        {**BATCH.key, "status": "recalled", "reason": "x"},
    )
    refused(world, code, MANUFACTURER, "Ship", ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1)))
    refused(world, code, MANUFACTURER, "Decommission", BATCH.pack(SERIAL, status="destroyed"))


def test_given_suspended_receiver_then_it_cannot_receive_and_nobody_may_ship_to_it(
    in_transit_world: FakeWorld,
) -> None:
    suspend(in_transit_world, DISTRIBUTOR)

    refused(
        in_transit_world,
        ErrorCode.ORGANIZATION_NOT_LICENSED,
        DISTRIBUTOR,
        "Receive",
        {"shipment_id": "SHP-1"},
    )
    refused(
        in_transit_world,
        ErrorCode.PARTNER_NOT_AUTHORISED,
        MANUFACTURER,
        "Ship",
        ship_body("SHP-9", DISTRIBUTOR, BATCH.line(1)),
    )


def test_given_suspended_pharmacy_then_it_cannot_dispense_or_undo(
    dispensed_world: FakeWorld,
) -> None:
    suspend(dispensed_world, PHARMACY_A)
    code = ErrorCode.ORGANIZATION_NOT_LICENSED

    refused(dispensed_world, code, PHARMACY_A, "Decommission", BATCH.pack(BATCH.serials[1]))
    refused(dispensed_world, code, PHARMACY_A, "UndoDecommission", {"gtin": GTIN, "serial": SERIAL})
    refused(
        dispensed_world, code, PHARMACY_A, "Ship", ship_body("SHP-9", PHARMACY_B, BATCH.line(1))
    )


def test_given_licence_reinstated_then_trading_resumes(in_transit_world: FakeWorld) -> None:
    suspend(in_transit_world, DISTRIBUTOR)
    suspend(in_transit_world, DISTRIBUTOR, "active")

    shipment = in_transit_world.submit(DISTRIBUTOR, "Receive", {"shipment_id": "SHP-1"}, T1)

    assert shipment["status"] == "received"


def test_given_suspended_organization_then_queries_still_answer(world: FakeWorld) -> None:
    suspend(world, PHARMACY_A)

    assert world.evaluate(PHARMACY_A, "GetProduct", {"gtin": GTIN})["gtin"] == GTIN


# -- products ----------------------------------------------------------------------------------
def test_given_licensed_manufacturer_when_registering_a_product_then_it_owns_the_gtin(
    world: FakeWorld,
) -> None:
    product = world.submit(OTHER_MANUFACTURER, "RegisterProduct", product_body(OTHER_GTIN), T1)

    assert product == {
        "gtin": OTHER_GTIN,
        "name": "Amoxicillin 500 mg capsules",
        "form": "capsule",
        "strength": "500 mg",
        "pack_size": "20",
        "national_code": "01234567",
        "manufacturer": OTHER_MANUFACTURER,
        "registered_at": "2025-03-04T09:00:00.000Z",
    }
    assert world.record(PRODUCT, OTHER_GTIN) == product
    assert world.last_event.name == "ProductRegistered"
    assert world.last_event.body["product"] == product


def test_given_only_required_product_fields_then_optional_ones_are_empty(world: FakeWorld) -> None:
    product = world.submit(
        MANUFACTURER, "RegisterProduct", {"gtin": OTHER_GTIN, "name": "Ibuprofen"}, T1
    )

    assert [product[f] for f in ("form", "strength", "pack_size", "national_code")] == [""] * 4


@pytest.mark.parametrize("caller", [MANUFACTURER, OTHER_MANUFACTURER])
def test_given_registered_gtin_when_any_manufacturer_registers_it_then_product_exists(
    world: FakeWorld, caller: str
) -> None:
    error = refused(world, ErrorCode.PRODUCT_EXISTS, caller, "RegisterProduct", product_body(GTIN))

    assert MANUFACTURER in error.message


@pytest.mark.parametrize("caller", [REGULATOR, DISTRIBUTOR, PHARMACY_A])
def test_given_non_manufacturer_when_registering_a_product_then_forbidden_role(
    world: FakeWorld, caller: str
) -> None:
    refused(world, ErrorCode.FORBIDDEN_ROLE, caller, "RegisterProduct", product_body(OTHER_GTIN))


def test_given_unregistered_caller_when_registering_a_product_then_unknown_organization(
    world: FakeWorld,
) -> None:
    refused(
        world, ErrorCode.UNKNOWN_ORGANIZATION, STRANGER, "RegisterProduct", product_body(OTHER_GTIN)
    )


def test_given_gtin_with_wrong_check_digit_then_invalid_argument(world: FakeWorld) -> None:
    body = product_body(wrong_check_digit(OTHER_GTIN))
    refused(world, ErrorCode.INVALID_ARGUMENT, MANUFACTURER, "RegisterProduct", body)


def test_registration_times_are_the_transaction_times_in_utc(bare_world: FakeWorld) -> None:
    bootstrap(bare_world, T0 + timedelta(milliseconds=1234, microseconds=999))

    assert bare_world.record(ORG, REGULATOR)["registered_at"] == "2025-03-03T09:00:01.234Z"
    assert bare_world.record(ORG, REGULATOR)["gln"] == GLNS[REGULATOR]
