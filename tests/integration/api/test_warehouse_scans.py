"""Warehouse scans: resolve every code form, flag packs not in custody, ship and receive by scan."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.domain import batches
from services.gs1 import PackIdentifier, to_digital_link, to_human_readable
from tests.integration.api.support import API, Auth, TestClient, assert_error, holding, recorded
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

GS = "\x1d"


def resolve(client: TestClient, auth: Auth, actor: str, code: str) -> Any:
    return client.post(f"{API}/warehouse/resolve", json={"code": code}, headers=auth(actor))


def pack_of(network: SmallNetwork, serial: str) -> PackIdentifier:
    return PackIdentifier(gtin=network.gtin, lot=network.lot, serial=serial, expiry=network.expiry)


@pytest.mark.parametrize("form", ["element", "prefixed", "human", "link"])
def test_every_pack_code_form_resolves_to_the_same_pack_in_custody(
    client: TestClient, auth: Auth, network: SmallNetwork, form: str
) -> None:
    pack = pack_of(network, "SN0025X")
    code = {
        "element": network.code("SN0025X"),
        "prefixed": "]d2" + network.code("SN0025X"),
        "human": to_human_readable(pack),
        "link": to_digital_link(pack),
    }[form]
    response = resolve(client, auth, "wholesaler", code)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "pack"
    resolved = body["pack"]
    assert (resolved["gtin"], resolved["lot"], resolved["serial"]) == (
        network.gtin,
        network.lot,
        "SN0025X",
    )
    assert resolved["expiry"] == network.expiry.isoformat()
    assert (resolved["light"], resolved["in_custody"], resolved["held"]) == ("green", True, 10)


def test_another_pharmacys_pack_is_flagged_red_as_not_in_custody(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    before = recorded(network.rt)
    response = resolve(client, auth, "pharmacy_b", network.code("SN0001X"))
    assert response.status_code == 200, response.text
    pack = response.json()["pack"]
    assert (pack["light"], pack["in_custody"], pack["held"]) == ("red", False, 0)
    assert "Not in your custody" in pack["reasons"][0]
    assert recorded(network.rt) == before, "a warehouse look-up records nothing"


def test_a_pack_in_transit_to_the_caller_is_amber_with_its_shipment(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    line = {"gtin": network.gtin, "lot": network.lot, "quantity": 2}
    shipped = client.post(
        f"{API}/shipments",
        json={"receiver": "PharmacyBMSP", "lines": [line]},
        headers=auth("wholesaler"),
    ).json()["shipment"]
    pack = resolve(client, auth, "pharmacy_b", network.code("SN0030X")).json()["pack"]
    assert pack["light"] == "amber"
    assert pack["incoming_shipments"] == [shipped["shipment_id"]]


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("hello world", 422, "UNRECOGNISED_FORMAT"),
        ("0034012345000000000", 422, "TRUNCATED"),
        ("00340123450000000001", 422, "INVALID_CHECK_DIGIT"),
        ("(01)09506000134350(10)LOT001", 422, "INVALID_CHECK_DIGIT"),
        ("]d2", 422, "EMPTY"),
        ("00340123450000000000", 404, "UNKNOWN_SSCC"),
    ],
)
def test_bad_scans_are_clear_errors(
    client: TestClient, auth: Auth, network: SmallNetwork, code: str, status: int, error: str
) -> None:
    body = assert_error(resolve(client, auth, "wholesaler", code), status, error)
    assert len(body["message"]) > 20


def test_a_bare_gtin_names_no_batch(client: TestClient, auth: Auth, network: SmallNetwork) -> None:
    assert_error(resolve(client, auth, "wholesaler", network.gtin), 422, "MISSING_LOT")


def test_a_dispensed_pack_and_an_unknown_product_are_red(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    dispensed = client.post(
        f"{API}/packs/decommission",
        json={"code": network.code("SN0002X"), "status": "supplied"},
        headers=auth("pharmacy_a"),
    )
    assert dispensed.status_code == 200, dispensed.text
    pack = resolve(client, auth, "pharmacy_a", network.code("SN0002X")).json()["pack"]
    assert pack["light"] == "red"
    assert "no longer active" in " ".join(pack["reasons"])
    unknown = resolve(client, auth, "pharmacy_a", "(01)04012345000009(10)X1(21)S1").json()
    assert unknown["pack"]["light"] == "red"
    assert "Unknown product" in unknown["pack"]["reasons"][0]


def test_a_regulator_has_no_warehouse(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    assert_error(resolve(client, auth, "regulator", network.code("SN0001X")), 403, "FORBIDDEN_ROLE")


def test_given_a_shipment_built_from_scans_when_received_short_and_with_an_unexpected_batch_then_both_are_recorded(  # noqa: E501 (a journey's name)
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    network.clock.advance(minutes=1)
    batches.register_batch(
        network.rt,
        actor=network.maker,
        gtin=network.gtin,
        lot="LOT002",
        expiry=network.expiry + timedelta(days=30),
        serials=["SNB0001X"],
    )
    # Ship: a case of 3 and two loose packs, all resolved from scans.
    case = client.post(
        f"{API}/logistic-units",
        json={"contents": [{"gtin": network.gtin, "lot": network.lot, "quantity": 3}]},
        headers=auth("wholesaler"),
    ).json()
    scans = [f"(00){case['sscc']}", network.code("SN0026X"), network.code("SN0027X")]
    resolved = [resolve(client, auth, "wholesaler", code).json() for code in scans]
    assert [r["kind"] for r in resolved] == ["sscc", "pack", "pack"]
    serials = [r["pack"]["serial"] for r in resolved[1:]]
    line = {
        "gtin": network.gtin,
        "lot": network.lot,
        "quantity": 5,
        "serials": serials,
        "ssccs": [case["sscc"]],
    }
    shipped = client.post(
        f"{API}/shipments",
        json={"receiver": "PharmacyBMSP", "lines": [line]},
        headers=auth("wholesaler", **{"Idempotency-Key": "ship-by-scan"}),
    )
    assert shipped.status_code == 201, shipped.text
    shipment_id = shipped.json()["shipment"]["shipment_id"]
    assert holding(network.rt, network.gtin, network.lot, "WholesaleMSP") == 5

    # Receive: the case and one loose pack arrived, plus a pack of a batch never shipped.
    on_arrival = [
        f"00{case['sscc']}",
        network.code("SN0026X"),
        network.code("SNB0001X", lot="LOT002"),
    ]
    seen = [resolve(client, auth, "pharmacy_b", code).json() for code in on_arrival]
    assert seen[0]["unit"]["shipment_id"] == shipment_id
    assert seen[2]["pack"]["light"] == "red", "the unexpected pack is flagged"
    counted = [
        {"gtin": network.gtin, "lot": network.lot, "quantity": 4},
        {"gtin": network.gtin, "lot": "LOT002", "quantity": 1},
    ]
    received = client.post(
        f"{API}/shipments/{shipment_id}/receive",
        json={"lines": counted},
        headers=auth("pharmacy_b", **{"Idempotency-Key": "receive-by-scan"}),
    )
    assert received.status_code == 200, received.text
    shipment = received.json()["shipment"]
    assert shipment["status"] == "received_with_discrepancy"
    assert shipment["discrepancies"] == [
        {"gtin": network.gtin, "lot": network.lot, "shipped": 5, "received": 4, "kind": "short"},
        {"gtin": network.gtin, "lot": "LOT002", "shipped": 0, "received": 1, "kind": "unexpected"},
    ]
    assert holding(network.rt, network.gtin, network.lot, "PharmacyBMSP") == 4
    assert holding(network.rt, network.gtin, "LOT002", "PharmacyBMSP") == 0
