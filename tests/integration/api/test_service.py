"""The application itself: health, identity, OpenAPI description, docs, the uvicorn factory."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from chaincode.model import BatchStatus, LicenceStatus, PackStatus, Role, ShipmentStatus
from services.api import app_from_env, create_app, models
from services.domain import products
from tests.integration.api.support import ACTORS, API, Auth, TestClient
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


def test_health_needs_no_token_and_reports_ledger_and_indexer(
    client: TestClient, network: SmallNetwork
) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == "0.1.0"
    assert body["ledger_height"] == network.rt.ledger.height()
    checkpoint = network.rt.indexer.checkpoint()
    assert checkpoint is not None
    assert body["indexer_checkpoint"] == {
        "block": checkpoint.block,
        "tx_index": checkpoint.tx_index,
    }


@pytest.mark.parametrize("name", ACTORS)
def test_me_tells_user_organization_and_role(
    client: TestClient, auth: Auth, network: SmallNetwork, name: str
) -> None:
    actor = getattr(network, name)
    body = client.get(f"{API}/me", headers=auth(name)).json()
    assert (body["user"], body["msp_id"], body["role"]) == (actor.user, actor.msp_id, actor.role)
    assert body["location"] == actor.location
    assert body["organization"]["msp_id"] == actor.msp_id


def test_openapi_describes_every_operation_completely(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "PharmaTrace"
    assert spec["info"]["version"] == "0.1.0"
    assert "ApiToken" in spec["components"]["securitySchemes"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    operation_ids = []
    for path, methods in spec["paths"].items():
        assert path == "/health" or path.startswith(API), path
        for method, operation in methods.items():
            operation_ids.append(operation["operationId"])
            assert re.fullmatch(r"[a-z]+(_[a-z]+)+", operation["operationId"])
            success = [code for code in operation["responses"] if code.startswith("2")]
            assert success, (method, path)
            for code in success:
                # JSON for data; downloads (label PDF/PNG) declare their own media type.
                content = operation["responses"][code]["content"]
                assert content, path
                assert all(media["schema"] for media in content.values()), path
            if path != "/health":
                assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorPublic"
                }
    assert len(operation_ids) == len(set(operation_ids))


def test_request_schemas_carry_examples(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in (
        "OrganizationCreate",
        "ProductCreate",
        "BatchCreate",
        "ShipmentCreate",
        "VerifyRequest",
    ):
        assert schemas[name]["examples"], name


def test_docs_are_served(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


@pytest.mark.parametrize(
    ("literal", "enum"),
    [
        (models.Role, Role),
        (models.LicenceStatus, LicenceStatus),
        (models.BatchStatus, BatchStatus),
        (models.ShipmentStatus, ShipmentStatus),
        (models.PackStatus, PackStatus),
    ],
)
def test_schema_vocabularies_match_the_contract(literal: object, enum: type) -> None:
    assert set(typing.get_args(literal)) == {str(member) for member in enum}


def test_decommission_statuses_are_the_pack_statuses_but_active() -> None:
    assert set(typing.get_args(models.DecommissionStatus)) == {str(s) for s in PackStatus} - {
        "active"
    }


def test_create_app_leaves_the_runtime_open(network: SmallNetwork) -> None:
    with TestClient(create_app(network.rt)) as client:
        assert client.get("/health").status_code == 200
    # The app has shut down; the runtime it was given still writes.
    committed = products.register_product(
        network.rt, actor=network.maker, gtin="09506000134369", name="After shutdown"
    )
    assert committed.block > 0


def test_app_from_env_serves_a_fresh_runtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHARMATRACE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PHARMATRACE_MAX_BODY_BYTES", "2048")
    app = app_from_env()
    with TestClient(app) as client:
        health = client.get("/health").json()
        too_large = client.post(f"{API}/verify", content=b"x" * 4096)
    assert health["indexer_checkpoint"] is None
    assert too_large.status_code == 413
    assert (tmp_path / "data" / "ledger.sqlite").exists()
