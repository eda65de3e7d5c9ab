"""POST /api/v1/batches/import: a multipart upload answered with the import report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.api import create_app
from tests.integration.api.support import API, assert_error, recorded, tokens_for
from tests.integration.batch_import.conftest import (
    EXPIRY,
    PACK_HEADER,
    csv_bytes,
    serials_of,
    xlsx_bytes,
)
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

URL = f"{API}/batches/import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def client(network: SmallNetwork) -> Iterator[TestClient]:
    with TestClient(create_app(network.rt)) as test_client:
        yield test_client


@pytest.fixture
def headers(network: SmallNetwork) -> dict[str, dict[str, str]]:
    return {name: {"Authorization": f"Bearer {t}"} for name, t in tokens_for(network).items()}


def test_upload_a_csv(
    client: TestClient, headers: dict[str, dict[str, str]], network: SmallNetwork
) -> None:
    data = csv_bytes([PACK_HEADER, [network.gtin, "API1", EXPIRY, "00007"]])

    response = client.post(
        URL, files={"file": ("erp.csv", data, "text/csv")}, headers=headers["maker"]
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("filename", "file_type", "layout", "rows_read")} == {
        "filename": "erp.csv",
        "file_type": "csv",
        "layout": "packs",
        "rows_read": 1,
    }
    assert (body["committed"], body["error_count"], body["errors"]) == (1, 0, [])
    (batch,) = body["batches"]
    assert batch["lot"] == "API1"
    assert batch["status"] == "committed"
    assert batch["tx_id"]
    assert serials_of(network, network.gtin, "API1") == ["00007"]

    height = network.rt.ledger.height()
    again = client.post(
        URL, files={"file": ("erp.csv", data, "text/csv")}, headers=headers["maker"]
    )
    assert again.json()["batches"][0]["status"] == "already_registered"
    assert network.rt.ledger.height() == height


def test_upload_an_xlsx_with_a_bad_row(
    client: TestClient, headers: dict[str, dict[str, str]], network: SmallNetwork
) -> None:
    g = network.gtin
    data = xlsx_bytes([PACK_HEADER, [g, "API2", EXPIRY, "S1"], [g, "API3", EXPIRY, "S 2"]])

    response = client.post(URL, files={"file": ("erp.xlsx", data, XLSX)}, headers=headers["maker"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["file_type"], body["committed"], body["skipped_invalid"]) == ("xlsx", 1, 1)
    assert body["error_count"] == 1
    error = body["errors"][0]
    assert (error["row"], error["column"], error["code"]) == (3, "serial", "INVALID_SERIAL")


def test_over_the_import_limit_is_413(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    network: SmallNetwork,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PHARMATRACE_IMPORT_MAX_BYTES", "2048")
    rows = [PACK_HEADER, *([network.gtin, "BIG", EXPIRY, f"S{i:05d}"] for i in range(200))]
    before = recorded(network.rt)

    response = client.post(
        URL, files={"file": ("erp.csv", csv_bytes(rows), "text/csv")}, headers=headers["maker"]
    )

    body = assert_error(response, 413, "FILE_TOO_LARGE")
    assert "2,048" in body["message"]
    assert recorded(network.rt) == before


def test_an_upload_over_the_json_body_limit_reaches_the_import(
    client: TestClient, headers: dict[str, dict[str, str]], network: SmallNetwork
) -> None:
    """Uploads have their own, larger limit: PHARMATRACE_MAX_BODY_BYTES is for JSON bodies."""
    data = b"gtin,lot,expiry,quantity\n" + b"x" * (network.rt.settings.max_body_bytes + 1)

    response = client.post(
        URL, files={"file": ("erp.csv", data, "text/csv")}, headers=headers["maker"]
    )

    assert response.status_code == 200  # read and judged row by row by the import
    report = response.json()
    assert (report["rows_read"], report["committed"]) == (1, 0)
    assert report["error_count"] > 0


def test_an_upload_declaring_more_than_the_upload_limit_is_413_before_reading(
    client: TestClient, headers: dict[str, dict[str, str]], network: SmallNetwork
) -> None:
    before = recorded(network.rt)
    response = client.post(
        URL,
        content=b"x",
        headers={**headers["maker"], "Content-Length": str(1 << 40), "Content-Type": "text/csv"},
    )

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert recorded(network.rt) == before


def test_an_unreadable_file_is_422_invalid_file(
    client: TestClient, headers: dict[str, dict[str, str]], network: SmallNetwork
) -> None:
    data = csv_bytes([[*PACK_HEADER, "colour"], [network.gtin, "L", EXPIRY, "S", "red"]])

    response = client.post(
        URL, files={"file": ("erp.csv", data, "text/csv")}, headers=headers["maker"]
    )

    body = assert_error(response, 422, "INVALID_FILE")
    assert body["details"] == [
        {
            "location": "file",
            "field": "colour",
            "type": "UNKNOWN_COLUMN",
            "row": 1,
            "message": body["details"][0]["message"],
        }
    ]
    wrong = client.post(
        URL, files={"file": ("erp.pdf", b"%PDF", "application/pdf")}, headers=headers["maker"]
    )
    assert assert_error(wrong, 422, "INVALID_FILE")["details"][0]["type"] == "WRONG_FILE_TYPE"


def test_no_file_is_422(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    response = client.post(URL, data={"other": "x"}, headers=headers["maker"])

    assert_error(response, 422, "INVALID_REQUEST")


@pytest.mark.parametrize("who", ["wholesaler", "pharmacy_a", "regulator"])
def test_only_manufacturers_may_import(
    client: TestClient, headers: dict[str, dict[str, str]], network: SmallNetwork, who: str
) -> None:
    data = csv_bytes([PACK_HEADER, [network.gtin, "NOPE", EXPIRY, "S1"]])
    before = recorded(network.rt)

    response = client.post(URL, files={"file": ("erp.csv", data, "text/csv")}, headers=headers[who])

    assert_error(response, 403, "FORBIDDEN_ROLE")
    assert recorded(network.rt) == before


def test_without_a_token_is_401(client: TestClient) -> None:
    response = client.post(URL, files={"file": ("erp.csv", b"gtin", "text/csv")})

    assert_error(response, 401, "UNAUTHENTICATED")


def test_openapi_describes_the_upload(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/batches/import"]["post"]

    assert operation["operationId"] == "import_batches"
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"200", "403", "413", "422"} <= set(operation["responses"])


def test_a_chunked_upload_past_the_limit_is_413_and_records_nothing(
    client: TestClient, headers: dict[str, dict[str, str]], network: SmallNetwork
) -> None:
    """No Content-Length (chunked): the bytes are counted as they stream, and refused past it."""
    before = recorded(network.rt)

    boundary = "pharmatrace-test-boundary"

    def body() -> Iterator[bytes]:  # a multipart form, streamed without a length
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="erp.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        yield b"gtin,lot,expiry,quantity\n"
        for _ in range(60):  # 60 MB, past the 50 MiB upload limit
            yield b"x" * 1_000_000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        URL,
        content=body(),
        headers={
            **headers["maker"],
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert recorded(network.rt) == before
