"""Every error is JSON {code, message}: routing, schema, JSON, size, credentials, server faults."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from services.api import create_app
from services.auth.tokens import create_token, revoke_token
from services.domain import products
from tests.integration.api.support import API, Auth, TestClient, assert_error, recorded
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


def test_unknown_route_is_not_found(client: TestClient, auth: Auth) -> None:
    assert_error(client.get(f"{API}/nothing-here", headers=auth("maker")), 404, "NOT_FOUND")
    assert_error(client.get("/nothing-here"), 404, "NOT_FOUND")


def test_wrong_method_is_not_allowed_and_names_the_allowed_ones(
    client: TestClient, auth: Auth
) -> None:
    response = client.delete(f"{API}/me", headers=auth("maker"))
    body = assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET"
    assert "GET" in body["message"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-token", "Bearer pt_unknown"],
)
def test_missing_or_malformed_credentials_are_401_with_challenge(
    client: TestClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(f"{API}/me", headers=headers)
    assert_error(response, 401, "UNAUTHENTICATED")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_revoked_token_is_401(client: TestClient, network: SmallNetwork) -> None:
    token = create_token(network.rt, user="temp", msp_id=network.maker.msp_id)
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    revoke_token(network.rt, token)
    response = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "UNAUTHENTICATED")


def test_malformed_json_is_422_and_records_nothing(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    before = recorded(network.rt)
    response = client.post(
        f"{API}/shipments",
        content=b'{"receiver": "PharmacyBMSP", "lines": [',
        headers=auth("wholesaler", **{"Content-Type": "application/json"}),
    )
    body = assert_error(response, 422, "INVALID_REQUEST")
    assert "not valid JSON" in body["message"]
    assert recorded(network.rt) == before


def test_schema_errors_name_every_field_in_a_sentence_and_in_details(
    client: TestClient, auth: Auth
) -> None:
    response = client.post(
        f"{API}/shipments",
        json={"lines": [{"gtin": "09506000134350", "lot": "L1", "quantity": 0}], "extra": 1},
        headers=auth("wholesaler"),
    )
    body = assert_error(response, 422, "INVALID_REQUEST")
    fields = {problem["field"] for problem in body["details"]}
    assert fields == {"receiver", "lines[0].gtin", "lines[0].quantity", "extra"}
    for field in fields:
        assert f"'{field}'" in body["message"]
    assert "check digit" in body["message"]
    for problem in body["details"]:
        assert set(problem) == {"location", "field", "message", "type"}
        assert problem["location"] == "body"


def test_a_body_without_json_content_type_is_422(client: TestClient, auth: Auth) -> None:
    response = client.post(f"{API}/verify", content=b'{"code": "x"}', headers=auth("pharmacy_a"))
    assert_error(response, 422, "INVALID_REQUEST")


def test_bad_query_parameter_is_422(client: TestClient, auth: Auth) -> None:
    response = client.get(f"{API}/shipments?direction=sideways", headers=auth("maker"))
    body = assert_error(response, 422, "INVALID_REQUEST")
    assert body["details"][0]["location"] == "query"
    assert "'direction'" in body["message"]


def test_oversized_body_by_content_length_is_413_and_records_nothing(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    limit = network.rt.settings.max_body_bytes
    before = recorded(network.rt)
    response = client.post(
        f"{API}/verify",
        content=b'{"code": "' + b"A" * limit + b'"}',
        headers=auth("pharmacy_a", **{"Content-Type": "application/json"}),
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert recorded(network.rt) == before


def test_oversized_streamed_body_without_length_is_413(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    limit = network.rt.settings.max_body_bytes
    chunk = b"A" * 65_536

    def body() -> Iterator[bytes]:
        yield b'{"code": "'
        for _ in range(limit // len(chunk) + 1):
            yield chunk
        yield b'"}'

    before = recorded(network.rt)
    response = client.post(
        f"{API}/verify",
        content=body(),
        headers=auth("pharmacy_a", **{"Content-Type": "application/json"}),
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert recorded(network.rt) == before


def test_a_body_at_the_limit_is_accepted(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    # A verify code is at most 2048 characters, so a body of exactly the limit reaches the schema.
    limit = network.rt.settings.max_body_bytes
    padding = b" " * (limit - len(b'{"code": "x"}'))
    response = client.post(
        f"{API}/verify",
        content=b'{"code": "x"}' + padding,
        headers=auth("pharmacy_a", **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 200
    assert response.json()["result"] == "INVALID_CODE"


@pytest.mark.parametrize("key", [b"", b"k" * 201, b"tab\tkey", "ключ".encode()])
def test_malformed_idempotency_key_is_422(
    client: TestClient, tokens: dict[str, str], key: bytes
) -> None:
    response = client.post(
        f"{API}/products",
        json={"gtin": "09506000134369", "name": "X"},
        headers={"Authorization": f"Bearer {tokens['maker']}", "Idempotency-Key": key},
    )
    body = assert_error(response, 422, "INVALID_REQUEST")
    assert body["details"][0]["location"] == "header"


def test_unexpected_exception_is_500_internal_and_logged_without_the_token(
    network: SmallNetwork,
    tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(products, "list_products", explode)
    token = tokens["maker"]
    with (
        caplog.at_level(logging.ERROR, logger="pharmatrace.api"),
        TestClient(create_app(network.rt), raise_server_exceptions=False) as client,
    ):
        response = client.get(f"{API}/products", headers={"Authorization": f"Bearer {token}"})
    body = assert_error(response, 500, "INTERNAL")
    assert "fire" not in body["message"]
    assert "RuntimeError" in caplog.text
    assert token not in caplog.text


def test_contract_refusals_keep_their_code_and_status(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    response = client.post(
        f"{API}/shipments",
        json={
            "receiver": "PharmacyBMSP",
            "lines": [{"gtin": network.gtin, "lot": network.lot, "quantity": 999}],
        },
        headers=auth("wholesaler"),
    )
    body = assert_error(response, 409, "INSUFFICIENT_QUANTITY")
    assert "WholesaleMSP holds 10 units" in body["message"]
