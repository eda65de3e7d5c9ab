"""Shipments: ship, receive (with discrepancies), list and read, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api.support import API, Auth, TestClient, assert_error, holding, recorded
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


def shipment(network: SmallNetwork, receiver: str, quantity: int, **extra: Any) -> dict[str, Any]:
    line = {"gtin": network.gtin, "lot": network.lot, "quantity": quantity}
    return {"receiver": receiver, "lines": [line], **extra}


def ship(client: TestClient, auth: Auth, network: SmallNetwork, quantity: int = 2) -> str:
    response = client.post(
        f"{API}/shipments",
        json=shipment(network, "PharmacyBMSP", quantity),
        headers=auth("wholesaler"),
    )
    assert response.status_code == 201, response.text
    shipment_id: str = response.json()["shipment"]["shipment_id"]
    return shipment_id


def test_ship_moves_stock_into_transit(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    height = network.rt.ledger.height()
    response = client.post(
        f"{API}/shipments",
        json=shipment(network, "PharmacyBMSP", 3, to_location=network.pharmacy_b.location),
        headers=auth("wholesaler"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["block"] == height
    sent = body["shipment"]
    assert sent["status"] == "in_transit"
    assert sent["sender"] == "WholesaleMSP"
    assert sent["from_location"] == network.wholesaler.location
    assert sent["to_location"] == network.pharmacy_b.location
    assert sent["ship_tx_id"] == body["tx_id"]
    assert sent["lines"] == [
        {
            "gtin": network.gtin,
            "lot": network.lot,
            "quantity": 3,
            "received": None,
            "serials": [],
            "ssccs": [],
        }
    ]
    assert holding(network.rt, network.gtin, network.lot, "WholesaleMSP") == 7
    assert holding(network.rt, network.gtin, network.lot, "PharmacyBMSP") == 0


def test_receive_credits_the_receiver(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    shipment_id = ship(client, auth, network)
    response = client.post(f"{API}/shipments/{shipment_id}/receive", headers=auth("pharmacy_b"))
    assert response.status_code == 200, response.text
    received = response.json()["shipment"]
    assert received["status"] == "received"
    assert received["receive_tx_id"] == response.json()["tx_id"]
    assert received["lines"][0]["received"] == 2
    assert holding(network.rt, network.gtin, network.lot, "PharmacyBMSP") == 2
    again = client.post(f"{API}/shipments/{shipment_id}/receive", headers=auth("pharmacy_b"))
    assert_error(again, 409, "SHIPMENT_NOT_IN_TRANSIT")


def test_receive_with_a_short_count_records_the_discrepancy(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    shipment_id = ship(client, auth, network, quantity=4)
    response = client.post(
        f"{API}/shipments/{shipment_id}/receive",
        json={"lines": [{"gtin": network.gtin, "lot": network.lot, "quantity": 3}]},
        headers=auth("pharmacy_b"),
    )
    assert response.status_code == 200, response.text
    received = response.json()["shipment"]
    assert received["status"] == "received_with_discrepancy"
    assert received["discrepancies"] == [
        {"gtin": network.gtin, "lot": network.lot, "shipped": 4, "received": 3, "kind": "short"}
    ]
    assert holding(network.rt, network.gtin, network.lot, "PharmacyBMSP") == 3


def test_only_the_receiver_receives_and_others_do_not_learn_it_exists(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    shipment_id = ship(client, auth, network)
    before = recorded(network.rt)
    by_sender = client.post(f"{API}/shipments/{shipment_id}/receive", headers=auth("wholesaler"))
    assert_error(by_sender, 403, "NOT_RECEIVER")
    by_stranger = client.post(f"{API}/shipments/{shipment_id}/receive", headers=auth("pharmacy_a"))
    unknown = client.post(f"{API}/shipments/SHP-NOSUCH/receive", headers=auth("pharmacy_a"))
    assert_error(by_stranger, 404, "UNKNOWN_SHIPMENT")
    assert_error(unknown, 404, "UNKNOWN_SHIPMENT")
    assert by_stranger.json()["message"] == f"No shipment {shipment_id}."
    assert recorded(network.rt) == before


def test_shipment_is_visible_to_its_parties_and_the_regulator_only(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    shipment_id = ship(client, auth, network)
    for name in ("wholesaler", "pharmacy_b", "regulator"):
        response = client.get(f"{API}/shipments/{shipment_id}", headers=auth(name))
        assert response.status_code == 200, (name, response.text)
        assert response.json()["shipment_id"] == shipment_id
    hidden = client.get(f"{API}/shipments/{shipment_id}", headers=auth("pharmacy_a"))
    unknown = client.get(f"{API}/shipments/SHP-NOSUCH", headers=auth("pharmacy_a"))
    assert_error(hidden, 404, "UNKNOWN_SHIPMENT")
    assert_error(unknown, 404, "UNKNOWN_SHIPMENT")


def test_list_shipments_by_direction_and_status(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    shipment_id = ship(client, auth, network)

    def ids(name: str, query: str = "") -> list[str]:
        response = client.get(f"{API}/shipments{query}", headers=auth(name))
        assert response.status_code == 200, response.text
        return [s["shipment_id"] for s in response.json()]

    assert len(ids("wholesaler")) == 3
    assert ids("wholesaler", "?direction=outgoing")[0] == shipment_id
    assert len(ids("wholesaler", "?direction=outgoing")) == 2
    assert len(ids("wholesaler", "?direction=incoming")) == 1
    assert ids("wholesaler", "?status=in_transit") == [shipment_id]
    assert ids("pharmacy_b", "?direction=incoming") == [shipment_id]
    assert ids("pharmacy_a", "?direction=outgoing") == []
    assert len(ids("regulator")) == 3
    assert len(ids("regulator", "?status=received")) == 2
    assert len(ids("regulator", "?limit=1")) == 1


@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [
        ("wholesaler", {"receiver": "PharmacyBMSP", "quantity": 11}, 409, "INSUFFICIENT_QUANTITY"),
        ("pharmacy_b", {"receiver": "PharmacyAMSP", "quantity": 1}, 403, "NOT_CUSTODIAN"),
        ("wholesaler", {"receiver": "WholesaleMSP", "quantity": 1}, 422, "SELF_SHIPMENT"),
        ("wholesaler", {"receiver": "NoSuchMSP", "quantity": 1}, 404, "UNKNOWN_ORGANIZATION"),
        ("wholesaler", {"receiver": "RegulatorMSP", "quantity": 1}, 422, "PARTNER_NOT_AUTHORISED"),
        ("wholesaler", {"receiver": "PharmacyBMSP", "lot": "NOSUCHLOT"}, 404, "UNKNOWN_BATCH"),
        ("regulator", {"receiver": "PharmacyBMSP", "quantity": 1}, 403, "FORBIDDEN_ROLE"),
    ],
)
def test_refused_shipments_record_nothing(
    client: TestClient,
    auth: Auth,
    network: SmallNetwork,
    name: str,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    line = {
        "gtin": network.gtin,
        "lot": body.get("lot", network.lot),
        "quantity": body.get("quantity", 1),
    }
    before = recorded(network.rt)
    response = client.post(
        f"{API}/shipments", json={"receiver": body["receiver"], "lines": [line]}, headers=auth(name)
    )
    assert_error(response, status, code)
    assert recorded(network.rt) == before


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": 0}, "lines[0].quantity"),
        ({"gtin": "09506000134350"}, "lines[0].gtin"),
        ({"ssccs": ["340123450000000001"]}, "lines[0].ssccs[0]"),
        ({"serials": ["has space"]}, "lines[0].serials[0]"),
    ],
)
def test_malformed_shipment_lines_are_422(
    client: TestClient, auth: Auth, network: SmallNetwork, line: dict[str, Any], field: str
) -> None:
    base = {"gtin": network.gtin, "lot": network.lot, "quantity": 1}
    response = client.post(
        f"{API}/shipments",
        json={"receiver": "PharmacyBMSP", "lines": [{**base, **line}]},
        headers=auth("wholesaler"),
    )
    problems = assert_error(response, 422, "INVALID_REQUEST")["details"]
    assert [problem["field"] for problem in problems] == [field]


def test_shipment_with_serials_and_ssccs_keeps_them(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    body = shipment(network, "PharmacyBMSP", 2)
    body["lines"][0] |= {"serials": ["SN0011X", "SN0010X"], "ssccs": ["340123450000000000"]}
    response = client.post(f"{API}/shipments", json=body, headers=auth("wholesaler"))
    assert response.status_code == 201, response.text
    line = response.json()["shipment"]["lines"][0]
    assert line["serials"] == ["SN0010X", "SN0011X"]
    assert line["ssccs"] == ["340123450000000000"]
