"""Provenance for regulators: a batch's and a pack's history with the ledger's evidence."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.integration.api.support import API, Auth, TestClient, assert_error
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


def test_batch_provenance_tells_holders_shipments_events_and_scans(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    client.post(
        f"{API}/verify", json={"code": network.code(network.serials[0])}, headers=auth("pharmacy_b")
    )
    response = client.get(
        f"{API}/provenance/batches/{network.gtin}/{network.lot}", headers=auth("regulator")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["batch"]["lot"] == network.lot
    assert body["product"]["gtin"] == network.gtin
    assert {h["msp_id"]: h["quantity"] for h in body["holdings"]} == {
        "MakerMSP": 20,
        "WholesaleMSP": 10,
        "PharmacyAMSP": 10,
    }
    assert [(s["sender"], s["receiver"]) for s in body["shipments"]] == [
        ("MakerMSP", "WholesaleMSP"),
        ("WholesaleMSP", "PharmacyAMSP"),
    ]
    names = [event["name"] for event in body["events"]]
    assert names[0] == "BatchRegistered"
    assert names.count("ShipmentShipped") == names.count("ShipmentReceived") == 2
    assert [(s["msp_id"], s["result"]) for s in body["scans"]] == [
        ("PharmacyBMSP", "NOT_IN_CUSTODY")
    ]


def test_pack_provenance_after_dispensing(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    serial = network.serials[0]
    client.post(
        f"{API}/packs/decommission", json={"code": network.code(serial)}, headers=auth("pharmacy_a")
    )
    response = client.get(
        f"{API}/provenance/packs/{network.gtin}/{serial}", headers=auth("regulator")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["registered"] is True
    assert body["status"] == "supplied"
    assert body["pack"]["msp_id"] == "PharmacyAMSP"
    assert [event["name"] for event in body["events"]] == ["PackDecommissioned"]
    assert len(body["batch_shipments"]) == 2


def test_never_registered_serial_seen_by_a_scanner_has_provenance(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    client.post(f"{API}/verify", json={"code": network.code("FAKE/01")}, headers=auth("pharmacy_a"))
    response = client.get(
        f"{API}/provenance/packs/{network.gtin}/{quote('FAKE/01', safe='')}",
        headers=auth("regulator"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["registered"], body["status"]) == (False, "unknown")
    assert [scan["result"] for scan in body["scans"]] == ["UNKNOWN_SERIAL"]


def test_unknown_batch_and_serial_are_404(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    batch = client.get(
        f"{API}/provenance/batches/{network.gtin}/NOSUCHLOT", headers=auth("regulator")
    )
    assert_error(batch, 404, "UNKNOWN_BATCH")
    pack = client.get(f"{API}/provenance/packs/{network.gtin}/NOSUCH", headers=auth("regulator"))
    assert_error(pack, 404, "UNKNOWN_SERIAL")


def test_provenance_is_for_regulators(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    response = client.get(
        f"{API}/provenance/batches/{network.gtin}/{network.lot}", headers=auth("maker")
    )
    assert_error(response, 403, "FORBIDDEN_ROLE")
