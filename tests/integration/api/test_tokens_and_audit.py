"""Tokens expire and are revoked with distinct answers; one-organization services act only for
their organization; every write and verification is in the regulator's audit trail."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from services.audit import AuditQuery, audit_trail
from services.auth import cache
from services.auth.admin import list_tokens
from services.auth.tokens import (
    AuthError,
    authenticate,
    create_token,
    revoke_token,
    token_hash,
    token_id,
)
from services.config import Settings
from services.errors import PharmaTraceError
from services.runtime import Runtime
from tests.integration.api.support import API, Auth, TestClient, assert_error
from tests.support.network import SmallNetwork, build_small_network

pytestmark = pytest.mark.integration

NEW_GTIN = "09506000134369"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def message_of(client: TestClient, token: str) -> str:
    body = assert_error(client.get(f"{API}/me", headers=bearer(token)), 401, "UNAUTHENTICATED")
    return str(body["message"])


# -- tokens -----------------------------------------------------------------------------------


def test_given_unknown_revoked_and_expired_tokens_then_401_says_which(
    client: TestClient, network: SmallNetwork
) -> None:
    revoked = create_token(network.rt, user="r", msp_id="PharmacyAMSP")
    revoke_token(network.rt, revoked)
    short = create_token(
        network.rt, user="s", msp_id="PharmacyAMSP", expires_in=timedelta(seconds=1)
    )
    assert client.get(f"{API}/me", headers=bearer(short)).status_code == 200  # now cached

    time.sleep(1.1)  # past its expiry: the cached entry must not outlive the token

    messages = {
        "unknown": message_of(client, "pt_" + "x" * 43),
        "revoked": message_of(client, revoked),
        "expired": message_of(client, short),
    }
    for word, message in messages.items():
        assert word in message, messages
    assert len(set(messages.values())) == 3


def test_given_a_user_when_signing_out_then_its_token_is_refused_and_others_still_work(
    client: TestClient, network: SmallNetwork, auth: Auth
) -> None:
    token = create_token(network.rt, user="leaving", msp_id="PharmacyAMSP")
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200

    answer = client.delete(f"{API}/me/token", headers=bearer(token))

    assert answer.status_code == 200, answer.text
    assert answer.json()["revoked"] is True
    assert "revoked" in message_of(client, token)
    assert client.get(f"{API}/me", headers=auth("pharmacy_a")).status_code == 200


def test_given_requests_then_last_use_is_recorded_without_a_write_per_request(
    client: TestClient, network: SmallNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = create_token(network.rt, user="busy", msp_id="PharmacyAMSP")
    [before] = list_tokens(network.rt, user="busy")
    assert before.last_used_at is None
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
    monkeypatch.setattr(cache, "POLL_SECONDS", 0.0)
    monkeypatch.setattr(cache, "LAST_USED_SECONDS", 0.0)
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
    [after] = list_tokens(network.rt, user="busy")
    assert after.last_used_at is not None


# -- one organization per service --------------------------------------------------------------


@pytest.fixture
def pharmacy_service(network: SmallNetwork) -> Iterator[Runtime]:
    """Pharmacy A's own service over the same data (as a second process would open it)."""
    rt = Runtime(Settings(data_dir=network.rt.settings.data_dir, org="PharmacyAMSP"))
    yield rt
    rt.close()


def test_given_a_one_organization_service_then_it_holds_tokens_only_of_its_users(
    network: SmallNetwork, pharmacy_service: Runtime
) -> None:
    with pytest.raises(PharmaTraceError) as refused:
        create_token(pharmacy_service, user="intruder", msp_id="PharmacyBMSP")
    assert refused.value.code == "FOREIGN_ORGANIZATION"
    other = create_token(network.rt, user="b", msp_id="PharmacyBMSP")  # the shared demo table
    with pytest.raises(AuthError, match="acts only for PharmacyAMSP"):
        authenticate(pharmacy_service, other)
    own = create_token(pharmacy_service, user="a", msp_id="PharmacyAMSP")
    assert authenticate(pharmacy_service, own).msp_id == "PharmacyAMSP"


def test_given_a_one_organization_service_then_it_cannot_sign_for_another_and_says_so(
    network: SmallNetwork, pharmacy_service: Runtime
) -> None:
    height = network.rt.ledger.height()
    body = {"shipment_id": "SHP-NOSUCHSHIPMENT"}
    with pytest.raises(PharmaTraceError) as refused:
        pharmacy_service.submit("PharmacyBMSP", "Receive", body)
    assert refused.value.code == "FOREIGN_ORGANIZATION"
    assert "signs only as PharmacyAMSP" in refused.value.message
    assert network.rt.ledger.height() == height
    [attempt] = audit_trail(pharmacy_service, AuditQuery(msp_id="PharmacyBMSP", action="Receive"))
    assert attempt.outcome == "FOREIGN_ORGANIZATION"


# -- audit --------------------------------------------------------------------------------------


def creator_on_ledger(network: SmallNetwork, tx_id: str) -> str:
    with sqlite3.connect(network.rt.settings.ledger_path) as conn:
        (envelope,) = conn.execute(
            "SELECT envelope FROM transactions WHERE tx_id = ?", (tx_id,)
        ).fetchone()
    return str(json.loads(envelope)["proposal"]["msp_id"])


def audit(client: TestClient, auth: Auth, **filters: str) -> list[dict[str, object]]:
    answer = client.get(f"{API}/audit", params=filters, headers=auth("regulator"))
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()
    return items


def test_given_api_writes_then_the_audit_names_user_organization_premises_and_time(
    client: TestClient, network: SmallNetwork, auth: Auth, tokens: dict[str, str]
) -> None:
    created = client.post(
        f"{API}/products", json={"gtin": NEW_GTIN, "name": "Ibuprofen"}, headers=auth("maker")
    )
    assert created.status_code == 201, created.text
    overdrawn = client.post(
        f"{API}/shipments",
        json={
            "receiver": "PharmacyBMSP",
            "lines": [{"gtin": network.gtin, "lot": network.lot, "quantity": 999}],
        },
        headers=auth("pharmacy_a"),
    )
    assert overdrawn.status_code >= 400
    code = overdrawn.json()["code"]

    [registered] = audit(
        client, auth, action="RegisterProduct", msp_id="MakerMSP", user=network.maker.user
    )
    assert registered["location"] == network.maker.location
    assert registered["role"] == "manufacturer"
    assert registered["origin"] == f"api testclient token {token_id(tokens['maker'])}"
    assert registered["outcome"] == "committed"
    assert creator_on_ledger(network, str(registered["tx_id"])) == "MakerMSP"  # signed, on chain
    [refused] = audit(client, auth, action="Ship", user=network.pharmacy_a.user)
    assert refused["outcome"] == code
    assert refused["msp_id"] == "PharmacyAMSP"


def test_given_verifications_then_the_audit_lists_them_with_who_and_where(
    client: TestClient, network: SmallNetwork, auth: Auth
) -> None:
    code = network.code(network.serials[0])
    assert client.post(f"{API}/verify", json={"code": code}, headers=auth("pharmacy_a")).is_success

    [scan] = audit(client, auth, kind="verification", msp_id="PharmacyAMSP")

    assert scan["user"] == network.pharmacy_a.user
    assert scan["location"] == network.pharmacy_a.location
    assert scan["action"] == "Verify"
    assert network.serials[0] in str(scan["detail"])
    assert audit(client, auth, kind="verification", msp_id="PharmacyBMSP") == []
    assert audit(client, auth, kind="verification", until="2000-01-01") == []
    everything = audit(client, auth, limit="500")
    assert [i["at"] for i in everything] == sorted((i["at"] for i in everything), reverse=True)
    assert {i["kind"] for i in everything} == {"write", "verification"}
    assert len(audit(client, auth, limit="3")) == 3


def test_given_a_bad_audit_filter_then_422(client: TestClient, auth: Auth) -> None:
    for params in ({"limit": "0"}, {"since": "yesterday"}, {"kind": "everything"}):
        answer = client.get(f"{API}/audit", params=params, headers=auth("regulator"))
        assert_error(answer, 422)


@pytest.mark.postgres
def test_given_postgres_then_tokens_revocation_polling_and_audit_work(
    tmp_path: Path, pg_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = build_small_network(tmp_path / "data", pg_database_url)
    other = Runtime(Settings(data_dir=tmp_path / "data", database_url=pg_database_url))
    try:
        token = create_token(net.rt, user="pg", msp_id="PharmacyAMSP")
        assert authenticate(net.rt, token).user == "pg"
        with other.engine.begin() as conn:  # as another process revokes: no local invalidation
            conn.execute(
                update(cache.TOKENS)
                .where(cache.TOKENS.c.token_hash == token_hash(token))
                .values(revoked=True)
            )
        assert authenticate(net.rt, token).user == "pg"  # cached; the poll is not due
        monkeypatch.setattr(cache, "POLL_SECONDS", 0.0)
        with pytest.raises(AuthError, match="revoked"):
            authenticate(net.rt, token)
        assert [t.status for t in list_tokens(net.rt, user="pg", include_inactive=True)] == [
            "revoked"
        ]
        ships = audit_trail(net.rt, AuditQuery(action="Ship"))
        assert {s.msp_id for s in ships} == {"MakerMSP", "WholesaleMSP"}
    finally:
        other.close()
        net.rt.close()
