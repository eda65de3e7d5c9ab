"""Organizations and products: listing, registration by the right role, licences."""

from __future__ import annotations

import pytest

from services.auth.tokens import create_token
from tests.integration.api.support import API, Auth, TestClient, assert_error, recorded
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

NEW_PHARMACY = {
    "msp_id": "PharmacyCMSP",
    "name": "Farmacia Centrale",
    "role": "pharmacy",
    "gln": "4001234000008",
    "country": "IT",
    "latitude": 45.46,
    "longitude": 9.19,
}


def test_anyone_lists_organizations_optionally_by_role(client: TestClient, auth: Auth) -> None:
    everyone = client.get(f"{API}/organizations", headers=auth("pharmacy_a")).json()
    assert [org["msp_id"] for org in everyone] == sorted(org["msp_id"] for org in everyone)
    assert len(everyone) == 6
    pharmacies = client.get(f"{API}/organizations?role=pharmacy", headers=auth("maker")).json()
    assert {org["msp_id"] for org in pharmacies} == {"PharmacyAMSP", "PharmacyBMSP"}


def test_regulator_registers_an_organization_that_can_then_act(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    height = network.rt.ledger.height()
    response = client.post(f"{API}/organizations", json=NEW_PHARMACY, headers=auth("regulator"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["block"] == height
    assert body["organization"]["msp_id"] == "PharmacyCMSP"
    assert body["organization"]["licence_status"] == "active"
    assert body["organization"]["latitude"] == 45.46
    assert (network.rt.settings.msp_dir / "PharmacyCMSP").is_dir()
    token = create_token(network.rt, user="clerk", msp_id="PharmacyCMSP")
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "pharmacy"
    assert me["organization"]["name"] == "Farmacia Centrale"


def test_registering_an_existing_organization_is_409(client: TestClient, auth: Auth) -> None:
    body = {**NEW_PHARMACY, "msp_id": "PharmacyAMSP"}
    response = client.post(f"{API}/organizations", json=body, headers=auth("regulator"))
    assert_error(response, 409, "ORGANIZATION_EXISTS")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("msp_id", "../../escape"),
        ("msp_id", ""),
        ("gln", "4001234000009"),
        ("role", "wizard"),
        ("country", "Italy"),
        ("latitude", 91),
    ],
)
def test_invalid_organization_is_422_and_creates_nothing(
    client: TestClient, auth: Auth, network: SmallNetwork, field: str, value: object
) -> None:
    before = recorded(network.rt)
    msp_entries = sorted(p.name for p in network.rt.settings.msp_dir.iterdir())
    response = client.post(
        f"{API}/organizations", json={**NEW_PHARMACY, field: value}, headers=auth("regulator")
    )
    body = assert_error(response, 422, "INVALID_REQUEST")
    assert body["details"][0]["field"] == field
    assert recorded(network.rt) == before
    assert sorted(p.name for p in network.rt.settings.msp_dir.iterdir()) == msp_entries


def test_only_the_regulator_registers_organizations(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    before = recorded(network.rt)
    response = client.post(f"{API}/organizations", json=NEW_PHARMACY, headers=auth("maker"))
    assert_error(response, 403, "FORBIDDEN_ROLE")
    assert recorded(network.rt) == before
    assert not (network.rt.settings.msp_dir / "PharmacyCMSP").exists()


def test_suspended_licence_stops_trading_with_and_by_the_organization(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    response = client.post(
        f"{API}/organizations/PharmacyBMSP/licence",
        json={"licence_status": "suspended", "reason": "Inspection pending."},
        headers=auth("regulator"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["organization"]["licence_status"] == "suspended"
    line = {"gtin": network.gtin, "lot": network.lot, "quantity": 1}
    to_suspended = client.post(
        f"{API}/shipments",
        json={"receiver": "PharmacyBMSP", "lines": [line]},
        headers=auth("wholesaler"),
    )
    assert_error(to_suspended, 422, "PARTNER_NOT_AUTHORISED")
    by_suspended = client.post(
        f"{API}/shipments",
        json={"receiver": "WholesaleMSP", "lines": [line]},
        headers=auth("pharmacy_b"),
    )
    assert_error(by_suspended, 403, "ORGANIZATION_NOT_LICENSED")


def test_licence_of_unknown_organization_is_404(client: TestClient, auth: Auth) -> None:
    response = client.post(
        f"{API}/organizations/NoSuchMSP/licence",
        json={"licence_status": "revoked"},
        headers=auth("regulator"),
    )
    assert_error(response, 404, "UNKNOWN_ORGANIZATION")


# -- products --------------------------------------------------------------------------------


def test_manufacturer_registers_a_product_and_anyone_lists_it(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    response = client.post(
        f"{API}/products",
        json={"gtin": "9506000134369", "name": "Ibuprofen 400 mg", "strength": "400 mg"},
        headers=auth("maker2"),
    )
    assert response.status_code == 201, response.text
    product = response.json()["product"]
    assert product["gtin"] == "09506000134369"  # GTIN-13 answered as the 14 digits of AI 01
    assert product["manufacturer"] == network.maker2.msp_id
    listed = client.get(f"{API}/products", headers=auth("pharmacy_a")).json()
    assert {p["gtin"] for p in listed} == {network.gtin, "09506000134369"}
    own = client.get(f"{API}/products?manufacturer=Maker2MSP", headers=auth("pharmacy_a")).json()
    assert [p["gtin"] for p in own] == ["09506000134369"]


def test_product_with_wrong_check_digit_is_422_and_records_nothing(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    before = recorded(network.rt)
    response = client.post(
        f"{API}/products", json={"gtin": "09506000134360", "name": "X"}, headers=auth("maker")
    )
    body = assert_error(response, 422, "INVALID_REQUEST")
    assert "'gtin'" in body["message"]
    assert "check digit" in body["message"]
    assert recorded(network.rt) == before


def test_existing_product_is_409(client: TestClient, auth: Auth, network: SmallNetwork) -> None:
    response = client.post(
        f"{API}/products", json={"gtin": network.gtin, "name": "Copy"}, headers=auth("maker2")
    )
    assert_error(response, 409, "PRODUCT_EXISTS")


def test_pharmacy_cannot_register_products(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    before = recorded(network.rt)
    response = client.post(
        f"{API}/products", json={"gtin": "09506000134369", "name": "X"}, headers=auth("pharmacy_a")
    )
    assert_error(response, 403, "FORBIDDEN_ROLE")
    assert recorded(network.rt) == before
