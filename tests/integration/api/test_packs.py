"""Decommissioning packs and undoing it, under the EU FMD rules the contract enforces."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.api.support import API, Auth, TestClient, assert_error, holding, recorded
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


def test_pharmacy_dispenses_a_pack_and_undoes_it(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    code = network.code(network.serials[0])
    height = network.rt.ledger.height()
    dispensed = client.post(
        f"{API}/packs/decommission", json={"code": code}, headers=auth("pharmacy_a")
    )
    assert dispensed.status_code == 200, dispensed.text
    body = dispensed.json()
    assert body["block"] == height
    assert body["pack"]["status"] == "supplied"
    assert body["pack"]["msp_id"] == "PharmacyAMSP"
    assert body["pack"]["location"] == network.pharmacy_a.location
    assert body["pack"]["tx_id"] == body["tx_id"]
    assert holding(network.rt, network.gtin, network.lot, "PharmacyAMSP") == 9
    undone = client.post(f"{API}/packs/undo", json={"code": code}, headers=auth("pharmacy_a"))
    assert undone.status_code == 200, undone.text
    assert undone.json()["pack"]["status"] == "active"
    assert undone.json()["pack"]["undone_status"] == "supplied"
    assert holding(network.rt, network.gtin, network.lot, "PharmacyAMSP") == 10


def test_dispensing_twice_is_409_already_dispensed(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    code = network.code(network.serials[0])
    client.post(f"{API}/packs/decommission", json={"code": code}, headers=auth("pharmacy_a"))
    before = recorded(network.rt)
    again = client.post(
        f"{API}/packs/decommission", json={"code": code}, headers=auth("pharmacy_a")
    )
    assert_error(again, 409, "ALREADY_DISPENSED")
    assert recorded(network.rt) == before


@pytest.mark.parametrize(
    ("name", "status", "http_status", "code"),
    [
        ("pharmacy_b", "supplied", 403, "NOT_CUSTODIAN"),
        ("wholesaler", "supplied", 403, "FORBIDDEN_ROLE"),
        ("regulator", "destroyed", 403, "FORBIDDEN_ROLE"),
    ],
)
def test_refused_decommissioning_records_nothing(
    client: TestClient,
    auth: Auth,
    network: SmallNetwork,
    name: str,
    status: str,
    http_status: int,
    code: str,
) -> None:
    before = recorded(network.rt)
    response = client.post(
        f"{API}/packs/decommission",
        json={"code": network.code(network.serials[0]), "status": status},
        headers=auth(name),
    )
    assert_error(response, http_status, code)
    assert recorded(network.rt) == before


def test_wholesaler_may_destroy_a_pack_it_holds(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    response = client.post(
        f"{API}/packs/decommission",
        json={"code": network.code(network.serials[0]), "status": "destroyed"},
        headers=auth("wholesaler"),
    )
    assert response.status_code == 200, response.text
    undo = client.post(
        f"{API}/packs/undo",
        json={"code": network.code(network.serials[0])},
        headers=auth("wholesaler"),
    )
    assert_error(undo, 409, "UNDO_NOT_ALLOWED")


@pytest.mark.parametrize(
    ("code_of", "http_status", "code"),
    [
        (lambda net: "not a code", 422, "INVALID_CODE"),
        (lambda net: net.gtin, 422, "INCOMPLETE_CODE"),
        (lambda net: net.code("FAKE0001"), 404, "UNKNOWN_SERIAL"),
        (lambda net: net.code(net.serials[0], lot="LOT999"), 422, "BATCH_MISMATCH"),
    ],
)
def test_bad_codes_cannot_be_decommissioned(
    client: TestClient,
    auth: Auth,
    network: SmallNetwork,
    code_of: Callable[[SmallNetwork], str],
    http_status: int,
    code: str,
) -> None:
    before = recorded(network.rt)
    response = client.post(
        f"{API}/packs/decommission", json={"code": code_of(network)}, headers=auth("pharmacy_a")
    )
    assert_error(response, http_status, code)
    assert recorded(network.rt) == before


def test_undo_rules(client: TestClient, auth: Auth, network: SmallNetwork) -> None:
    code = {"code": network.code(network.serials[0])}
    active = client.post(f"{API}/packs/undo", json=code, headers=auth("pharmacy_a"))
    assert_error(active, 409, "PACK_ACTIVE")
    client.post(f"{API}/packs/decommission", json=code, headers=auth("pharmacy_a"))
    by_other = client.post(f"{API}/packs/undo", json=code, headers=auth("wholesaler"))
    assert_error(by_other, 403, "UNDO_BY_OTHER_ORGANIZATION")
    network.clock.advance(days=11)
    too_late = client.post(f"{API}/packs/undo", json=code, headers=auth("pharmacy_a"))
    assert_error(too_late, 409, "UNDO_TOO_LATE")


def test_decommission_status_must_be_known(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    response = client.post(
        f"{API}/packs/decommission",
        json={"code": network.code(network.serials[0]), "status": "active"},
        headers=auth("pharmacy_a"),
    )
    assert assert_error(response, 422, "INVALID_REQUEST")["details"][0]["field"] == "status"
