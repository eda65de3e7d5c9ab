"""The /regulator cookie session: its own cookie path, the regulator role only, CSRF, next=."""

from __future__ import annotations

import pytest

from dashboards.session import SESSION_COOKIE, csrf_token
from tests.integration.api.support import TestClient

pytestmark = pytest.mark.integration


def _cookie_header(response_headers: list[str]) -> str:
    return next(h for h in response_headers if h.startswith(f"{SESSION_COOKIE}="))


def test_given_a_regulator_token_when_signing_in_then_the_cookie_is_scoped_to_regulator(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = client.post(
        "/regulator/sign-in", data={"token": tokens["regulator"]}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/regulator"
    cookie = _cookie_header(response.headers.get_list("set-cookie"))
    assert "Path=/regulator" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    page = client.get("/regulator")
    assert page.status_code == 200
    assert "RegulatorMSP" in page.text
    assert client.get("/manufacturer").text.count('action="/manufacturer/sign-in"') == 1


def test_given_a_manufacturer_token_when_signing_in_as_regulator_then_403_and_no_cookie(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = client.post("/regulator/sign-in", data={"token": tokens["maker"]})
    assert response.status_code == 403
    assert "FORBIDDEN_ROLE" in response.text
    assert "This page is for regulators" in response.text
    assert SESSION_COOKIE not in client.cookies


def test_given_a_regulator_token_when_signing_in_as_manufacturer_then_403(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = client.post("/manufacturer/sign-in", data={"token": tokens["regulator"]})
    assert response.status_code == 403
    assert "This page is for manufacturers" in response.text


def test_given_a_next_page_when_signing_in_then_it_returns_there_only_if_it_is_ours(
    client: TestClient, tokens: dict[str, str]
) -> None:
    form = client.get("/regulator", params={"next": "/regulator/reports/batches/1/L1"})
    assert 'value="/regulator/reports/batches/1/L1"' in form.text
    for target, expected in [
        ("/regulator/reports/batches/1/L1", "/regulator/reports/batches/1/L1"),
        ("https://evil.example/regulator", "/regulator"),
        ("//evil.example/regulator/x", "/regulator"),
        ("/manufacturer", "/regulator"),
        ("/regulatorx", "/regulator"),
    ]:
        response = client.post(
            "/regulator/sign-in",
            data={"token": tokens["regulator"], "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == expected, target


def test_given_a_session_when_signing_out_without_csrf_then_403_and_still_signed_in(
    client: TestClient, tokens: dict[str, str]
) -> None:
    client.post("/regulator/sign-in", data={"token": tokens["regulator"]})
    refused = client.post("/regulator/sign-out", data={"csrf": "nope"}, follow_redirects=False)
    assert refused.status_code == 403
    assert "CSRF_TOKEN_INVALID" in refused.text
    assert "RegulatorMSP" in client.get("/regulator").text

    signed_out = client.post(
        "/regulator/sign-out",
        data={"csrf": csrf_token(tokens["regulator"])},
        follow_redirects=False,
    )
    assert signed_out.status_code == 303
    assert 'action="/regulator/sign-in"' in client.get("/regulator").text
