"""Verification verdicts over HTTP, for every problem the small network can plant."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlmodel import Session

from services.api.models import VerdictPublic
from services.auth import cache
from services.auth.tokens import create_token, revoke_token
from services.readmodel.db import writer
from services.readmodel.tables import ApiToken
from tests.integration.api.support import API, Auth, TestClient, assert_error, recorded
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

VERDICT_KEYS = {
    "result",
    "light",
    "reasons",
    "identifier",
    "product",
    "batch",
    "pack",
    "custody",
    "scan_id",
    "scanned_at",
}


def verify(client: TestClient, auth: Auth, name: str, code: str) -> dict[str, Any]:
    response = client.post(f"{API}/verify", json={"code": code}, headers=auth(name))
    assert response.status_code == 200, response.text
    verdict: dict[str, Any] = response.json()
    assert set(verdict) == VERDICT_KEYS
    # The route serialises the verdict itself: it must be exactly what the documented model says.
    assert VerdictPublic.model_validate(verdict).model_dump(mode="json") == verdict
    return verdict


def test_genuine_pack_at_pharmacy_a_is_green(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    verdict = verify(client, auth, "pharmacy_a", network.code(network.serials[0]))
    assert (verdict["result"], verdict["light"]) == ("OK", "green")
    assert verdict["identifier"] == {
        "gtin": network.gtin,
        "lot": network.lot,
        "serial": network.serials[0],
        "expiry": network.expiry.isoformat(),
    }
    assert verdict["product"]["name"] == "Paracetamol 500 mg tablets"
    assert verdict["batch"]["status"] == "active"
    assert verdict["custody"]["yours"] == 10
    assert verdict["pack"] is None
    assert isinstance(verdict["scan_id"], int)
    assert verdict["scanned_at"]


def test_pack_at_pharmacy_b_is_red_not_in_custody(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    verdict = verify(client, auth, "pharmacy_b", network.code(network.serials[0]))
    assert (verdict["result"], verdict["light"]) == ("NOT_IN_CUSTODY", "red")
    assert verdict["custody"]["yours"] == 0


def test_pack_dispensed_at_a_then_scanned_at_b_is_red_already_dispensed(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    code = network.code(network.serials[1])
    dispensed = client.post(
        f"{API}/packs/decommission", json={"code": code}, headers=auth("pharmacy_a")
    )
    assert dispensed.status_code == 200, dispensed.text
    verdict = verify(client, auth, "pharmacy_b", code)
    assert (verdict["result"], verdict["light"]) == ("ALREADY_DISPENSED", "red")
    assert "PharmacyAMSP" in verdict["reasons"][0]
    assert verdict["pack"]["status"] == "supplied"
    assert verdict["pack"]["by"] == "PharmacyAMSP"


def test_unknown_serial_is_red(client: TestClient, auth: Auth, network: SmallNetwork) -> None:
    verdict = verify(client, auth, "pharmacy_a", network.code("FAKE0001"))
    assert (verdict["result"], verdict["light"]) == ("UNKNOWN_SERIAL", "red")


def test_recalled_batch_is_red_with_the_reason(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    recall = client.post(
        f"{API}/batches/{network.gtin}/{network.lot}/status",
        json={"action": "recall", "reason": "Glass particles found"},
        headers=auth("maker"),
    )
    assert recall.status_code == 200, recall.text
    verdict = verify(client, auth, "pharmacy_a", network.code(network.serials[0]))
    assert (verdict["result"], verdict["light"]) == ("BATCH_RECALLED", "red")
    assert any("Glass particles found" in reason for reason in verdict["reasons"])
    assert verdict["batch"]["status_reason"] == "Glass particles found"


def test_expired_pack_is_red(client: TestClient, auth: Auth, network: SmallNetwork) -> None:
    network.clock.advance(days=800)
    verdict = verify(client, auth, "pharmacy_a", network.code(network.serials[0]))
    assert (verdict["result"], verdict["light"]) == ("PACK_EXPIRED", "red")


@pytest.mark.parametrize(
    "code",
    [
        "hello world",
        "0109506000134350",  # wrong GTIN check digit
        "010950600013435217991399",  # impossible expiry date
        "]d2" + "01" + "9" * 5,
    ],
)
def test_malformed_code_is_an_amber_verdict_recorded_as_a_scan(
    client: TestClient, auth: Auth, network: SmallNetwork, code: str
) -> None:
    before = recorded(network.rt)
    verdict = verify(client, auth, "pharmacy_a", code)
    assert (verdict["result"], verdict["light"]) == ("INVALID_CODE", "amber")
    assert verdict["reasons"]
    assert verdict["product"] is None
    assert verdict["custody"] is None
    after = recorded(network.rt)
    assert after.scans == before.scans + 1
    assert (after.height, after.rows) == (before.height, before.rows)


def test_linear_barcode_without_serial_is_amber_incomplete(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    verdict = verify(client, auth, "pharmacy_a", network.gtin)
    assert (verdict["result"], verdict["light"]) == ("INCOMPLETE_CODE", "amber")


@pytest.mark.parametrize("body", [{"code": ""}, {}, {"code": None}, {"code": "x" * 2049}])
def test_empty_or_missing_code_is_422_and_records_no_scan(
    client: TestClient, auth: Auth, network: SmallNetwork, body: dict[str, Any]
) -> None:
    before = recorded(network.rt)
    response = client.post(f"{API}/verify", json=body, headers=auth("pharmacy_a"))
    assert assert_error(response, 422, "INVALID_REQUEST")["details"][0]["field"] == "code"
    assert recorded(network.rt) == before


@pytest.mark.parametrize("name", ["regulator", "maker", "wholesaler"])
def test_every_role_may_verify(
    client: TestClient, auth: Auth, network: SmallNetwork, name: str
) -> None:
    verdict = verify(client, auth, name, network.code(network.serials[0]))
    assert verdict["light"] == "green"


# -- the hot path's shortcuts keep their promises ---------------------------------------------


def test_a_token_revoked_in_this_process_is_refused_at_once_even_once_cached(
    client: TestClient, network: SmallNetwork
) -> None:
    token = create_token(network.rt, user="carol", msp_id="PharmacyAMSP")
    headers = {"Authorization": f"Bearer {token}"}
    code = network.code(network.serials[0])
    assert client.post(f"{API}/verify", json={"code": code}, headers=headers).status_code == 200

    assert revoke_token(network.rt, token)

    refused = client.post(f"{API}/verify", json={"code": code}, headers=headers)
    assert_error(refused, 401, "UNAUTHENTICATED")


def test_a_token_revoked_by_another_process_is_refused_once_the_cache_polls(
    client: TestClient, network: SmallNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "POLL_SECONDS", 0.2)
    token = create_token(network.rt, user="dave", msp_id="PharmacyAMSP")
    headers = {"Authorization": f"Bearer {token}"}
    code = network.code(network.serials[0])
    assert client.post(f"{API}/verify", json={"code": code}, headers=headers).status_code == 200

    with Session(writer(network.rt.engine)) as session:  # as another process would revoke it
        row = session.get(ApiToken, hashlib.sha256(token.encode()).hexdigest())
        assert row is not None
        row.revoked = True
        session.add(row)
        session.commit()

    still = client.post(f"{API}/verify", json={"code": code}, headers=headers)
    assert still.status_code == 200  # the documented delay: up to POLL_SECONDS
    time.sleep(0.3)
    refused = client.post(f"{API}/verify", json={"code": code}, headers=headers)
    assert_error(refused, 401, "UNAUTHENTICATED")


def test_while_another_process_holds_the_write_lock_the_scan_waits_off_the_event_loop(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    if network.rt.engine.dialect.name != "sqlite":
        pytest.skip("about SQLite's database-wide write lock")
    database = network.rt.engine.url.database
    assert database is not None
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing (a batch registration, say)
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(
                verify, client, auth, "pharmacy_a", network.code(network.serials[0])
            )
            time.sleep(0.3)
            assert not pending.done()  # the scan waits for the lock...
            assert client.get("/health").status_code == 200  # ...but not the event loop
            other.execute("COMMIT")
            verdict = pending.result(timeout=30)
    finally:
        other.close()
    assert (verdict["result"], verdict["light"]) == ("OK", "green")
    assert isinstance(verdict["scan_id"], int)
