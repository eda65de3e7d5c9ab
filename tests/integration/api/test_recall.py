"""After a recall the contract refuses to move the batch on; a scan shows red with the reason;
a shipment already in transit may still be received (the stock must land somewhere to be
returned), and a return to the manufacturer is allowed."""

from __future__ import annotations

import pytest

from tests.integration.api.support import API, Auth, TestClient, assert_error, recorded
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

REASON = "Sterility failure in batch release testing"


def line(network: SmallNetwork, quantity: int) -> dict[str, object]:
    return {"gtin": network.gtin, "lot": network.lot, "quantity": quantity}


def recall(client: TestClient, auth: Auth, network: SmallNetwork) -> None:
    response = client.post(
        f"{API}/batches/{network.gtin}/{network.lot}/status",
        json={"action": "recall", "reason": REASON},
        headers=auth("regulator"),
    )
    assert response.status_code == 200, response.text


def test_given_a_recalled_batch_when_a_custodian_ships_it_on_then_the_contract_refuses(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    recall(client, auth, network)
    before = recorded(network.rt)
    refused = client.post(
        f"{API}/shipments",
        json={"receiver": "PharmacyBMSP", "lines": [line(network, 2)]},
        headers=auth("wholesaler"),
    )
    assert_error(refused, 409, "BATCH_RECALLED")
    assert REASON.rstrip(".") in refused.json()["message"]
    assert recorded(network.rt) == before
    verdict = client.post(
        f"{API}/verify", json={"code": network.code(network.serials[3])}, headers=auth("pharmacy_a")
    ).json()
    assert (verdict["result"], verdict["light"]) == ("BATCH_RECALLED", "red")
    assert any(REASON.rstrip(".") in reason for reason in verdict["reasons"])


def test_given_a_recalled_batch_then_it_may_go_back_to_its_manufacturer_and_in_transit_stock_lands(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    in_transit = client.post(
        f"{API}/shipments",
        json={"receiver": "PharmacyBMSP", "lines": [line(network, 2)]},
        headers=auth("wholesaler"),
    )
    assert in_transit.status_code == 201, in_transit.text
    recall(client, auth, network)
    shipment_id = in_transit.json()["shipment"]["shipment_id"]
    received = client.post(
        f"{API}/shipments/{shipment_id}/receive", json={}, headers=auth("pharmacy_b")
    )
    assert received.status_code == 200, received.text
    returned = client.post(
        f"{API}/shipments",
        json={"receiver": "MakerMSP", "lines": [line(network, 2)]},
        headers=auth("pharmacy_b"),
    )
    assert returned.status_code == 201, returned.text
