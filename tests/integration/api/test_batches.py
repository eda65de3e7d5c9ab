"""Batches: minting tokens, reading them with custody, status changes, holdings."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest

from services.api import create_app
from tests.integration.api.support import API, Auth, TestClient, assert_error, holding, recorded
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


def batch_body(network: SmallNetwork, lot: str, **fields: Any) -> dict[str, Any]:
    expiry = (network.clock.now + timedelta(days=365)).date().isoformat()
    return {"gtin": network.gtin, "lot": lot, "expiry": expiry, **fields}


def batch_url(gtin: str, lot: str) -> str:
    return f"{API}/batches/{gtin}/{quote(lot, safe='')}"


def test_manufacturer_mints_a_batch_from_serials(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    height = network.rt.ledger.height()
    response = client.post(
        f"{API}/batches",
        json=batch_body(network, "LOT002", serials=["B2", "B1", "B3"]),
        headers=auth("maker"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["block"] == height
    assert body["tx_id"] == body["batch"]["registration_tx_id"]
    assert body["batch"]["quantity"] == 3
    assert body["batch"]["status"] == "active"
    assert len(body["batch"]["merkle_root"]) == 64
    assert network.rt.ledger.height() == height + 1
    assert holding(network.rt, network.gtin, "LOT002", network.maker.msp_id) == 3


def test_manufacturer_mints_a_batch_of_generated_serials(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    response = client.post(
        f"{API}/batches", json=batch_body(network, "LOT003", quantity=250), headers=auth("maker")
    )
    assert response.status_code == 201, response.text
    assert response.json()["batch"]["quantity"] == 250


def test_minting_the_same_batch_again_answers_the_first_registration(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    body = batch_body(network, "LOT004", serials=["C1", "C2"])
    first = client.post(f"{API}/batches", json=body, headers=auth("maker"))
    height = network.rt.ledger.height()
    again = client.post(f"{API}/batches", json=body, headers=auth("maker"))
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert network.rt.ledger.height() == height
    other_serials = client.post(
        f"{API}/batches", json={**body, "serials": ["D1"]}, headers=auth("maker")
    )
    assert_error(other_serials, 409, "BATCH_EXISTS")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gtin": "09506000134350"}, "gtin"),
        ({"lot": "LOT#1"}, "lot"),
        ({"lot": "L" * 21}, "lot"),
        ({"expiry": "31/12/2030"}, "expiry"),
        ({"serials": ["OK1", "bad serial"]}, "serials[1]"),
        ({"quantity": 0}, "quantity"),
    ],
)
def test_invalid_batch_is_422_naming_the_field_and_records_nothing(
    client: TestClient, auth: Auth, network: SmallNetwork, change: dict[str, Any], field: str
) -> None:
    before = recorded(network.rt)
    body = {**batch_body(network, "LOT005", quantity=5), **change}
    if "serials" in change:
        del body["quantity"]
    response = client.post(f"{API}/batches", json=body, headers=auth("maker"))
    problems = assert_error(response, 422, "INVALID_REQUEST")["details"]
    assert [problem["field"] for problem in problems] == [field]
    assert recorded(network.rt) == before


@pytest.mark.parametrize("extra", [{}, {"quantity": 2, "serials": ["E1", "E2"]}])
def test_batch_needs_serials_or_quantity_not_both(
    client: TestClient, auth: Auth, network: SmallNetwork, extra: dict[str, Any]
) -> None:
    response = client.post(
        f"{API}/batches", json=batch_body(network, "LOT006", **extra), headers=auth("maker")
    )
    body = assert_error(response, 422, "INVALID_REQUEST")
    assert "either 'serials' or 'quantity'" in body["message"]


def test_expiry_in_the_past_is_refused_by_the_contract(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    before = recorded(network.rt)
    body = {**batch_body(network, "LOT007", quantity=1), "expiry": "2020-01-01"}
    response = client.post(f"{API}/batches", json=body, headers=auth("maker"))
    assert_error(response, 422, "INVALID_ARGUMENT")
    assert recorded(network.rt) == before


def test_batch_of_another_manufacturers_product_is_403(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    before = recorded(network.rt)
    response = client.post(
        f"{API}/batches", json=batch_body(network, "LOT008", quantity=1), headers=auth("maker2")
    )
    assert_error(response, 403, "NOT_PRODUCT_OWNER")
    assert recorded(network.rt) == before


def test_batch_of_unregistered_product_is_404(client: TestClient, auth: Auth) -> None:
    body = {"gtin": "09506000134369", "lot": "L1", "expiry": "2030-01-01", "quantity": 1}
    response = client.post(f"{API}/batches", json=body, headers=auth("maker"))
    assert_error(response, 404, "UNKNOWN_PRODUCT")


def test_lists_own_batches_or_all_for_the_regulator(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    client.post(
        f"{API}/batches", json=batch_body(network, "LOT009", quantity=1), headers=auth("maker")
    )
    own = client.get(f"{API}/batches", headers=auth("maker")).json()
    assert [batch["lot"] for batch in own] == ["LOT001", "LOT009"]
    assert client.get(f"{API}/batches", headers=auth("maker2")).json() == []
    assert len(client.get(f"{API}/batches", headers=auth("regulator")).json()) == 2
    assert_error(client.get(f"{API}/batches", headers=auth("pharmacy_a")), 403, "FORBIDDEN_ROLE")


def test_batch_detail_includes_holdings(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    response = client.get(batch_url(network.gtin, network.lot), headers=auth("regulator"))
    assert response.status_code == 200, response.text
    holdings = {h["msp_id"]: h["quantity"] for h in response.json()["holdings"]}
    assert holdings == {"MakerMSP": 20, "WholesaleMSP": 10, "PharmacyAMSP": 10}


def test_batch_detail_is_for_its_manufacturer_not_another(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    assert (
        client.get(batch_url(network.gtin, network.lot), headers=auth("maker")).status_code == 200
    )
    other = client.get(batch_url(network.gtin, network.lot), headers=auth("maker2"))
    assert_error(other, 403, "NOT_BATCH_OWNER")


def test_unknown_batch_is_404_and_wrong_gtin_422(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    unknown = client.get(batch_url(network.gtin, "NOSUCHLOT"), headers=auth("maker"))
    assert_error(unknown, 404, "UNKNOWN_BATCH")
    wrong = client.get(batch_url("09506000134350", network.lot), headers=auth("maker"))
    assert assert_error(wrong, 422, "INVALID_REQUEST")["details"][0]["location"] == "path"


def test_lots_with_slash_and_percent_work_in_paths(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    lot = "A/B%1?"
    created = client.post(
        f"{API}/batches", json=batch_body(network, lot, quantity=2), headers=auth("maker")
    )
    assert created.status_code == 201, created.text
    detail = client.get(batch_url(network.gtin, lot), headers=auth("maker"))
    assert detail.status_code == 200, detail.text
    assert detail.json()["lot"] == lot
    changed = client.post(
        batch_url(network.gtin, lot) + "/status",
        json={"action": "quarantine", "reason": "Label check."},
        headers=auth("maker"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["batch"]["lot"] == lot
    assert changed.json()["batch"]["status"] == "quarantined"


def test_manufacturer_recalls_its_batch_with_a_reason(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    height = network.rt.ledger.height()
    response = client.post(
        batch_url(network.gtin, network.lot) + "/status",
        json={"action": "recall", "reason": "Out-of-spec dissolution."},
        headers=auth("maker"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["block"] == height
    assert body["batch"]["status"] == "recalled"
    assert body["batch"]["status_reason"] == "Out-of-spec dissolution."
    assert body["tx_id"] != body["batch"]["registration_tx_id"]
    again = client.post(
        batch_url(network.gtin, network.lot) + "/status",
        json={"action": "withdraw", "reason": "Second thoughts."},
        headers=auth("regulator"),
    )
    assert_error(again, 409, "BATCH_RECALLED")


def test_regulator_quarantines_and_releases_any_batch(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    url = batch_url(network.gtin, network.lot) + "/status"
    quarantined = client.post(
        url, json={"action": "quarantine", "reason": "Suspect."}, headers=auth("regulator")
    )
    assert quarantined.json()["batch"]["status"] == "quarantined"
    released = client.post(
        url, json={"action": "release", "reason": "Cleared."}, headers=auth("regulator")
    )
    assert released.json()["batch"]["status"] == "active"
    not_quarantined = client.post(
        url, json={"action": "release", "reason": "Twice."}, headers=auth("regulator")
    )
    assert_error(not_quarantined, 409, "BATCH_NOT_QUARANTINED")


def test_another_manufacturer_cannot_change_the_status(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    before = recorded(network.rt)
    response = client.post(
        batch_url(network.gtin, network.lot) + "/status",
        json={"action": "recall", "reason": "Sabotage."},
        headers=auth("maker2"),
    )
    assert_error(response, 403, "NOT_BATCH_OWNER")
    assert recorded(network.rt) == before


def test_status_change_needs_a_known_action_and_a_reason(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    response = client.post(
        batch_url(network.gtin, network.lot) + "/status",
        json={"action": "destroy", "reason": ""},
        headers=auth("maker"),
    )
    problems = assert_error(response, 422, "INVALID_REQUEST")["details"]
    assert {problem["field"] for problem in problems} == {"action", "reason"}


def test_holdings_are_the_callers_own(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    wholesaler = client.get(f"{API}/holdings", headers=auth("wholesaler")).json()
    assert wholesaler == [
        {"gtin": network.gtin, "lot": network.lot, "msp_id": "WholesaleMSP", "quantity": 10}
    ]
    assert client.get(f"{API}/holdings", headers=auth("pharmacy_b")).json() == []
    assert client.get(f"{API}/holdings", headers=auth("regulator")).json() == []


def test_more_than_100000_serials_in_json_is_422(
    network: SmallNetwork, tokens: dict[str, str]
) -> None:
    # 100,001 serials need a few MB of JSON: raise the body limit for this app only.
    network.rt.settings = replace(network.rt.settings, max_body_bytes=4_000_000)
    serials = [f"S{i:07d}" for i in range(100_001)]
    with TestClient(create_app(network.rt)) as client:
        response = client.post(
            f"{API}/batches",
            json=batch_body(network, "HUGE", serials=serials),
            headers={"Authorization": f"Bearer {tokens['maker']}"},
        )
    problems = assert_error(response, 422, "INVALID_REQUEST")["details"]
    assert [problem["field"] for problem in problems] == ["serials"]
