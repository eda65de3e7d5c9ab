"""Logistic units (SSCC cases): pack, read, label, ship with contents, resolve on arrival."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from services.gs1 import is_valid_sscc
from services.readmodel.tables import LogisticUnit, ShipmentLogisticUnit
from tests.integration.api.support import API, Auth, TestClient, assert_error, holding, recorded
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def pack(
    client: TestClient,
    auth: Auth,
    network: SmallNetwork,
    quantity: int,
    serials: list[str] | None = None,
    actor: str = "wholesaler",
    **headers: str,
) -> dict[str, Any]:
    content = {"gtin": network.gtin, "lot": network.lot, "quantity": quantity}
    if serials:
        content["serials"] = serials
    response = client.post(
        f"{API}/logistic-units", json={"contents": [content]}, headers=auth(actor, **headers)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def ship_case(
    client: TestClient, auth: Auth, network: SmallNetwork, sscc: str, quantity: int, **line: Any
) -> dict[str, Any]:
    body = {
        "receiver": "PharmacyBMSP",
        "lines": [
            {"gtin": network.gtin, "lot": network.lot, "quantity": quantity, "ssccs": [sscc]} | line
        ],
    }
    response = client.post(f"{API}/shipments", json=body, headers=auth("wholesaler"))
    assert response.status_code == 201, response.text
    shipped: dict[str, Any] = response.json()["shipment"]
    return shipped


def test_packing_allocates_a_valid_sscc_from_the_organization_gln(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    first = pack(client, auth, network, 4, ["SN0021X", "SN0020X"])
    second = pack(client, auth, network, 2)

    assert is_valid_sscc(first["sscc"])
    assert is_valid_sscc(second["sscc"])
    assert first["sscc"].startswith("0" + network.wholesaler.location[:12])
    assert first["sscc"] != second["sscc"]
    assert first["owner"] == "WholesaleMSP"
    assert first["contents"] == [
        {"gtin": network.gtin, "lot": network.lot, "quantity": 4, "serials": ["SN0020X", "SN0021X"]}
    ]
    assert holding(network.rt, network.gtin, network.lot, "WholesaleMSP") == 10, "not a move"
    read = client.get(f"{API}/logistic-units/{first['sscc']}", headers=auth("wholesaler"))
    assert read.status_code == 200, read.text
    assert read.json() == first


def test_a_retried_pack_request_answers_the_same_sscc(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    first = pack(client, auth, network, 1, **{"Idempotency-Key": "case-1"})
    again = client.post(
        f"{API}/logistic-units",
        json={"contents": [{"gtin": network.gtin, "lot": network.lot, "quantity": 1}]},
        headers=auth("wholesaler", **{"Idempotency-Key": "case-1"}),
    )
    assert again.json()["sscc"] == first["sscc"]
    with network.rt.session() as session:
        assert len(list(session.exec(select(LogisticUnit)))) == 1


def test_the_label_is_a_png_that_only_parties_can_download(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    sscc = pack(client, auth, network, 3)["sscc"]
    label = client.get(f"{API}/logistic-units/{sscc}/label.png", headers=auth("wholesaler"))
    assert label.status_code == 200
    assert label.headers["content-type"] == "image/png"
    assert label.content.startswith(PNG_SIGNATURE)
    assert len(label.content) > 2000
    other = client.get(f"{API}/logistic-units/{sscc}/label.png", headers=auth("pharmacy_a"))
    assert_error(other, 404, "UNKNOWN_SSCC")


@pytest.mark.parametrize(
    ("actor", "content", "status", "code"),
    [
        ("pharmacy_b", {"quantity": 1}, 403, "NOT_CUSTODIAN"),
        ("wholesaler", {"quantity": 11}, 403, "NOT_CUSTODIAN"),
        ("wholesaler", {"lot": "NOPE"}, 404, "UNKNOWN_BATCH"),
        ("wholesaler", {"quantity": 1, "serials": ["A", "B"]}, 422, "INVALID_CONTENTS"),
        ("wholesaler", {"quantity": 0}, 422, "INVALID_REQUEST"),
        ("regulator", {"quantity": 1}, 403, "FORBIDDEN_ROLE"),
    ],
)
def test_packing_refusals_record_nothing(
    client: TestClient,
    auth: Auth,
    network: SmallNetwork,
    actor: str,
    content: dict[str, Any],
    status: int,
    code: str,
) -> None:
    body = {"contents": [{"gtin": network.gtin, "lot": network.lot, "quantity": 1} | content]}
    response = client.post(f"{API}/logistic-units", json=body, headers=auth(actor))
    assert_error(response, status, code)
    with network.rt.session() as session:
        assert list(session.exec(select(LogisticUnit))) == []


def test_shipping_a_case_puts_its_contents_on_the_ledger_for_the_receiver(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    case = pack(client, auth, network, 3, ["SN0022X"])
    shipped = ship_case(client, auth, network, case["sscc"], 4, serials=["SN0022X", "SN0023X"])

    record = network.rt.evaluate(
        "RegulatorMSP", "GetShipment", {"shipment_id": shipped["shipment_id"]}
    )
    assert record["logistic_units"] == [{"sscc": case["sscc"], "contents": case["contents"]}]
    # The receiver resolves the case from the shipment, not from the sender's packing record.
    with network.rt.session() as session:
        for row in session.exec(select(LogisticUnit)):
            session.delete(row)
        session.commit()
    scanned = client.post(
        f"{API}/warehouse/resolve", json={"code": f"(00){case['sscc']}"}, headers=auth("pharmacy_b")
    )
    assert scanned.status_code == 200, scanned.text
    unit = scanned.json()["unit"]
    assert scanned.json()["kind"] == "sscc"
    assert (unit["owner"], unit["shipment_id"]) == ("WholesaleMSP", shipped["shipment_id"])
    assert unit["contents"] == case["contents"]
    assert_error(
        client.post(
            f"{API}/warehouse/resolve",
            json={"code": f"00{case['sscc']}"},
            headers=auth("pharmacy_a"),
        ),
        404,
        "UNKNOWN_SSCC",
    )
    # Ledger-derived: a rebuild of the read model brings the case back.
    network.rt.indexer.rebuild()
    with network.rt.session() as session:
        rows = list(session.exec(select(ShipmentLogisticUnit)))
    assert [(row.sscc, json.loads(row.contents)) for row in rows] == [
        (case["sscc"], case["contents"])
    ]


def test_a_case_larger_than_its_line_is_refused_by_the_contract(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    case = pack(client, auth, network, 5)
    before = recorded(network.rt)
    body = {
        "receiver": "PharmacyBMSP",
        "lines": [
            {"gtin": network.gtin, "lot": network.lot, "quantity": 2, "ssccs": [case["sscc"]]}
        ],
    }
    response = client.post(f"{API}/shipments", json=body, headers=auth("wholesaler"))
    assert_error(response, 422, "LOGISTIC_UNIT_MISMATCH")
    assert recorded(network.rt) == before


def test_a_mix_of_packed_and_unknown_ssccs_is_refused(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    case = pack(client, auth, network, 1)
    before = recorded(network.rt)
    body = {
        "receiver": "PharmacyBMSP",
        "lines": [
            {
                "gtin": network.gtin,
                "lot": network.lot,
                "quantity": 2,
                "ssccs": [case["sscc"], "340123450000000000"],
            }
        ],
    }
    response = client.post(f"{API}/shipments", json=body, headers=auth("wholesaler"))
    assert_error(response, 422, "UNKNOWN_SSCC")
    assert recorded(network.rt) == before


def test_a_case_ships_once_but_a_retry_of_its_shipment_is_answered(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    case = pack(client, auth, network, 2)
    line = {"gtin": network.gtin, "lot": network.lot, "quantity": 2, "ssccs": [case["sscc"]]}
    body = {"receiver": "PharmacyBMSP", "lines": [line]}
    first = client.post(
        f"{API}/shipments", json=body, headers=auth("wholesaler", **{"Idempotency-Key": "c1"})
    )
    assert first.status_code == 201, first.text
    retry = client.post(
        f"{API}/shipments", json=body, headers=auth("wholesaler", **{"Idempotency-Key": "c1"})
    )
    assert retry.json() == first.json()
    height = network.rt.ledger.height()
    again = client.post(
        f"{API}/shipments", json=body, headers=auth("wholesaler", **{"Idempotency-Key": "c2"})
    )
    assert_error(again, 409, "SSCC_ALREADY_SHIPPED")
    assert network.rt.ledger.height() == height
    assert holding(network.rt, network.gtin, network.lot, "WholesaleMSP") == 8
