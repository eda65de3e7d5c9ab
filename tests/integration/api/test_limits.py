"""Bodies refused before parsing (too deep, not UTF-8) and per-token rate limits (429)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from services.api import create_app, ratelimit
from services.auth.tokens import create_token
from tests.integration.api.support import API, Auth, TestClient, assert_error, recorded
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

JSON = {"Content-Type": "application/json"}


def nested(depth: int) -> bytes:
    """A shipment request whose `lines` nest `depth` levels in all (the object counts as one)."""
    return (
        b'{"receiver": "PharmacyBMSP", "lines": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    )


# -- nesting depth ---------------------------------------------------------------------------------


def test_json_nested_past_the_limit_is_422_json_too_deep_and_records_nothing(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    limit = network.rt.settings.max_json_depth
    before = recorded(network.rt)
    response = client.post(
        f"{API}/shipments", content=nested(limit + 1), headers=auth("maker", **JSON)
    )
    body = assert_error(response, 422, "JSON_TOO_DEEP")
    assert str(limit) in body["message"]
    assert recorded(network.rt) == before


def test_json_at_the_limit_reaches_validation(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    limit = network.rt.settings.max_json_depth
    response = client.post(f"{API}/shipments", content=nested(limit), headers=auth("maker", **JSON))
    assert_error(response, 422, "INVALID_REQUEST")  # lines of lists: the schema refuses it


def test_a_huge_bracket_bomb_is_refused_by_depth_not_by_the_parser(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    bomb = b"[" * (network.rt.settings.max_body_bytes - 1)  # fits the size limit
    response = client.post(f"{API}/verify", content=bomb, headers=auth("pharmacy_a", **JSON))
    assert_error(response, 422, "JSON_TOO_DEEP")


def test_a_body_without_content_type_is_checked_too(client: TestClient, auth: Auth) -> None:
    response = client.post(f"{API}/shipments", content=nested(200), headers=auth("maker"))
    assert_error(response, 422, "JSON_TOO_DEEP")


def test_brackets_inside_strings_do_not_count(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    code = '[{"\\"' * 100  # 200 brackets and escaped quotes, all inside one string
    response = client.post(
        f"{API}/verify", content=json.dumps({"code": code}), headers=auth("pharmacy_a", **JSON)
    )
    assert response.status_code == 200, response.text  # a verdict (unreadable code), not a 422


def test_a_body_that_is_not_utf8_is_422_invalid_request_and_records_nothing(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    before = recorded(network.rt)
    response = client.post(
        f"{API}/shipments", content=b'{"receiver": "\xff\xfe"}', headers=auth("maker", **JSON)
    )
    body = assert_error(response, 422, "INVALID_REQUEST")
    assert "UTF-8" in body["message"]
    assert body["details"][0]["type"] == "body_unreadable"
    assert recorded(network.rt) == before


# -- rate limits -----------------------------------------------------------------------------------


class Clock:
    """The limiter's time, moved by the test only: exact sequences on a loaded machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(ratelimit, "monotonic_clock", frozen)
    return frozen


def _limited_app(network: SmallNetwork) -> TestClient:
    """The API with a per-token limit of 1/s and a burst of 3; addresses 1/s, burst 5."""
    network.rt.settings = replace(
        network.rt.settings, rate_limit=1, rate_burst=3, rate_limit_anonymous=1
    )
    return TestClient(create_app(network.rt))


@pytest.fixture
def limited(network: SmallNetwork, clock: Clock) -> Iterator[TestClient]:
    with _limited_app(network) as test_client:
        yield test_client


def _me(client: TestClient, headers: dict[str, str]) -> int:
    return client.get(f"{API}/me", headers=headers).status_code


def test_a_burst_then_429_with_retry_after_and_nothing_recorded(
    limited: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    assert [_me(limited, auth("pharmacy_a")) for _ in range(3)] == [200, 200, 200]
    before = recorded(network.rt)
    response = limited.post(
        f"{API}/packs/decommission",
        json={"code": network.code(network.serials[25]), "reason": "dispensed"},
        headers=auth("pharmacy_a"),
    )
    body = assert_error(response, 429, "RATE_LIMITED")
    assert response.headers["Retry-After"] == "1"
    assert "retry in 1 s" in body["message"]
    assert recorded(network.rt) == before


def test_the_bucket_refills_at_the_rate(limited: TestClient, auth: Auth, clock: Clock) -> None:
    assert [_me(limited, auth("maker")) for _ in range(4)] == [200, 200, 200, 429]
    clock.now += 0.9
    assert _me(limited, auth("maker")) == 429
    clock.now += 0.1  # one request's worth at 1/s
    assert _me(limited, auth("maker")) == 200
    clock.now += 3600  # never more than the burst
    assert [_me(limited, auth("maker")) for _ in range(4)] == [200, 200, 200, 429]


def test_the_real_clock_refills_too(network: SmallNetwork, auth: Auth) -> None:
    with _limited_app(network) as client:
        while _me(client, auth("maker")) != 429:
            pass
        time.sleep(1.1)  # one request's worth at 1/s
        assert _me(client, auth("maker")) == 200


def test_each_token_has_its_own_bucket(limited: TestClient, auth: Auth) -> None:
    assert [_me(limited, auth("maker")) for _ in range(4)] == [200, 200, 200, 429]
    assert _me(limited, auth("wholesaler")) == 200


def test_invented_tokens_share_the_address_bucket_a_proven_token_keeps_its_own(
    limited: TestClient, auth: Auth
) -> None:
    assert _me(limited, auth("maker")) == 200  # proven before the flood
    guesses = [_me(limited, {"Authorization": f"Bearer pt_guess{i}"}) for i in range(6)]
    assert guesses == [401] * 4 + [429] * 2  # the address's burst of 5, the maker's took one
    assert _me(limited, auth("maker")) == 200
    assert _me(limited, {}) == 429  # anonymous pays the address bucket too


def test_addresses_are_separate(limited: TestClient) -> None:
    assert [_me(limited, {}) for _ in range(6)] == [401] * 5 + [429]
    elsewhere = TestClient(limited.app, client=("192.0.2.7", 50000))  # the same app and buckets
    assert _me(elsewhere, {}) == 401
    assert _me(limited, {}) == 429


def test_pages_health_and_the_description_are_not_limited(limited: TestClient) -> None:
    for _ in range(10):
        assert limited.get("/health").status_code == 200
        assert limited.get("/openapi.json").status_code == 200


def test_zero_turns_the_limit_off(network: SmallNetwork, auth: Auth) -> None:
    network.rt.settings = replace(network.rt.settings, rate_limit=0, rate_limit_anonymous=0)
    token = create_token(network.rt, user="bulk", msp_id=network.pharmacy_a.msp_id)
    with TestClient(create_app(network.rt)) as client:
        statuses = {_me(client, {"Authorization": f"Bearer {token}"}) for _ in range(50)}
        anonymous = {_me(client, {}) for _ in range(50)}
    assert statuses == {200}
    assert anonymous == {401}


def test_with_the_token_limit_off_an_accepted_token_is_not_held_to_its_address_limit(
    network: SmallNetwork, clock: Clock
) -> None:
    """Only the per-token limit off (a benchmark, a trusted batch client): the anonymous limit
    still guards the address, but a token the service accepted is not counted against it."""
    network.rt.settings = replace(network.rt.settings, rate_limit=0, rate_limit_anonymous=1)
    token = create_token(network.rt, user="bulk", msp_id=network.pharmacy_a.msp_id)
    with TestClient(create_app(network.rt)) as client:
        statuses = [_me(client, {"Authorization": f"Bearer {token}"}) for _ in range(40)]
        invented = [_me(client, {"Authorization": "Bearer pt_invented"}) for _ in range(10)]
    assert set(statuses) == {200}
    assert 429 in invented  # guesses still pay the address's bucket


def test_429_is_documented_on_every_api_operation_only(limited: TestClient) -> None:
    paths = limited.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            documented = "429" in operation["responses"]
            assert documented == path.startswith(API), (method, path)
