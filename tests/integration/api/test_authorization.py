"""Authorization matrix: every operation of the OpenAPI description × every kind of caller.

The table below is the API's access policy, written once. For each operation the test sends a
request built from the OpenAPI path and a minimal valid body, as each actor of the small network,
without a token, with an unknown token and with a revoked one. Denied callers get 401 or 403 (or
404 where a denial must not reveal that the object exists); allowed callers get anything else.

The sample requests point at objects that do not exist or already exist (unknown batch, existing
product…), so an allowed request passes every guard and is then refused by the domain or the
contract: the whole matrix writes nothing to the ledger, which the test checks too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from sqlmodel import select

from services.api import create_app
from services.auth.tokens import create_token, revoke_token
from services.notifications import stream as notification_stream
from services.readmodel.tables import Shipment
from tests.integration.api.support import ACTORS, TestClient, assert_error, tokens_for
from tests.support.network import SmallNetwork, build_small_network

pytestmark = pytest.mark.integration

EVERYONE = frozenset(ACTORS)
CUSTODIANS = EVERYONE - {"regulator"}
MANUFACTURERS = frozenset({"maker", "maker2"})
REGULATOR = frozenset({"regulator"})


@dataclass(frozen=True)
class Rule:
    """Who may call an operation. `public`: no token needed. `hidden`: denial answers 404."""

    allowed: frozenset[str]
    public: bool = False
    hidden: bool = False


POLICY: dict[str, Rule] = {
    "get_health": Rule(EVERYONE, public=True),
    "get_me": Rule(EVERYONE),
    "list_organizations": Rule(EVERYONE),
    "register_organization": Rule(REGULATOR),
    "set_licence_status": Rule(REGULATOR),
    "list_products": Rule(EVERYONE),
    "register_product": Rule(MANUFACTURERS),
    "register_batch": Rule(MANUFACTURERS),
    "import_batches": Rule(MANUFACTURERS),
    "list_batches": Rule(MANUFACTURERS | REGULATOR),
    # The sample is the network's batch: its manufacturer may read it, another may not.
    "get_batch": Rule(frozenset({"maker"}) | REGULATOR),
    "change_batch_status": Rule(MANUFACTURERS | REGULATOR),
    "list_holdings": Rule(EVERYONE),
    "ship_batch": Rule(CUSTODIANS),
    "receive_shipment": Rule(CUSTODIANS),
    "list_shipments": Rule(EVERYONE),
    # The sample is the maker → wholesaler shipment: its parties and the regulator see it.
    "get_shipment": Rule(frozenset({"maker", "wholesaler"}) | REGULATOR, hidden=True),
    "verify_pack": Rule(EVERYONE),
    "decommission_pack": Rule(CUSTODIANS),
    "undo_decommission": Rule(CUSTODIANS),
    "get_batch_provenance": Rule(REGULATOR),
    "get_pack_provenance": Rule(REGULATOR),
    "get_batch_provenance_epcis": Rule(REGULATOR),
    "get_batch_provenance_csv": Rule(REGULATOR),
    "get_pack_provenance_epcis": Rule(REGULATOR),
    "get_pack_provenance_csv": Rule(REGULATOR),
    # Labels of the network's batch: its manufacturer and the regulator, as for get_batch.
    "get_batch_label_sheet": Rule(frozenset({"maker"}) | REGULATOR),
    "get_pack_label": Rule(frozenset({"maker"}) | REGULATOR),
    # Warehouse: custodians only; SSCCs they did not pack or ship answer 404 to them as well.
    "pack_logistic_unit": Rule(CUSTODIANS),
    "get_logistic_unit": Rule(CUSTODIANS),
    "get_logistic_unit_label": Rule(CUSTODIANS),
    "resolve_warehouse_scan": Rule(CUSTODIANS),
    # Signing out spends the caller's token: the sample sends a fresh one of the same actor.
    "revoke_my_token": Rule(EVERYONE),
    "list_audit_entries": Rule(REGULATOR),
    "get_batch_provenance_pdf": Rule(REGULATOR),
    "get_pack_provenance_pdf": Rule(REGULATOR),
    "list_alerts": Rule(REGULATOR),
    "get_alert_stats": Rule(REGULATOR),
    "export_alerts_csv": Rule(REGULATOR),
    "get_alert": Rule(REGULATOR),
    "transition_alert": Rule(REGULATOR),
    "add_alert_note": Rule(REGULATOR),
    # An endless stream: the sample's fresh token is revoked meanwhile, which ends it.
    "stream_notifications": Rule(EVERYONE),
}

PRINCIPALS = (*ACTORS, "no_token", "unknown_token", "revoked_token")
UNREGISTERED_GTIN = "09506000134369"  # valid check digit, no product


@dataclass(frozen=True)
class Sample:
    path: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    # Send a fresh token of the calling actor (the request spends or holds on to it) …
    fresh_token: bool = False
    # … and revoke it this many seconds into the request (it ends an endless stream).
    revoke_after: float | None = None


def samples(net: SmallNetwork, shipment_id: str) -> dict[str, Sample]:
    unknown_pack = net.code("NOSUCHSERIAL")
    unknown_lot_line = {"gtin": net.gtin, "lot": "NOSUCHLOT", "quantity": 1}
    return {
        "register_organization": Sample(
            body={
                "msp_id": "PharmacyBMSP",
                "name": "Pharmacie du Centre",
                "role": "pharmacy",
                "gln": net.pharmacy_b.location,
            }
        ),
        "set_licence_status": Sample({"msp_id": "NoSuchMSP"}, {"licence_status": "suspended"}),
        "register_product": Sample(body={"gtin": net.gtin, "name": "Paracetamol"}),
        "register_batch": Sample(
            body={"gtin": UNREGISTERED_GTIN, "lot": "L1", "expiry": "2030-01-01", "quantity": 1}
        ),
        "get_batch": Sample({"gtin": net.gtin, "lot": net.lot}),
        "change_batch_status": Sample(
            {"gtin": net.gtin, "lot": "NOSUCHLOT"}, {"action": "quarantine", "reason": "check"}
        ),
        "ship_batch": Sample(body={"receiver": "PharmacyBMSP", "lines": [unknown_lot_line]}),
        "receive_shipment": Sample({"shipment_id": "SHP-NOSUCHSHIPMENT"}),
        "get_shipment": Sample({"shipment_id": shipment_id}),
        "verify_pack": Sample(body={"code": net.code(net.serials[0])}),
        "decommission_pack": Sample(body={"code": unknown_pack, "status": "destroyed"}),
        "undo_decommission": Sample(body={"code": unknown_pack}),
        "get_batch_provenance": Sample({"gtin": net.gtin, "lot": net.lot}),
        "get_pack_provenance": Sample({"gtin": net.gtin, "serial": net.serials[0]}),
        "get_batch_provenance_epcis": Sample({"gtin": net.gtin, "lot": net.lot}),
        "get_batch_provenance_csv": Sample({"gtin": net.gtin, "lot": net.lot}),
        "get_pack_provenance_epcis": Sample({"gtin": net.gtin, "serial": net.serials[0]}),
        "get_pack_provenance_csv": Sample({"gtin": net.gtin, "serial": net.serials[0]}),
        "get_batch_label_sheet": Sample({"gtin": net.gtin, "lot": net.lot}),
        "get_pack_label": Sample({"gtin": net.gtin, "lot": net.lot, "serial": net.serials[0]}),
        "pack_logistic_unit": Sample(body={"contents": [unknown_lot_line]}),
        "get_logistic_unit": Sample({"sscc": "340123450000000000"}),
        "get_logistic_unit_label": Sample({"sscc": "340123450000000000"}),
        "resolve_warehouse_scan": Sample(body={"code": net.code(net.serials[0])}),
        "revoke_my_token": Sample(fresh_token=True),
        "get_batch_provenance_pdf": Sample({"gtin": net.gtin, "lot": net.lot}),
        "get_pack_provenance_pdf": Sample({"gtin": net.gtin, "serial": net.serials[0]}),
        "get_alert": Sample({"key": "no-such-alert"}),
        "transition_alert": Sample({"key": "no-such-alert"}, {"status": "investigating"}),
        "add_alert_note": Sample({"key": "no-such-alert"}, {"note": "checked"}),
        "stream_notifications": Sample(fresh_token=True, revoke_after=0.3),
    }


@dataclass
class Matrix:
    network: SmallNetwork
    client: TestClient
    headers: dict[str, dict[str, str]]
    operations: dict[str, tuple[str, str]]
    samples: dict[str, Sample]
    height: int


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    net = build_small_network(tmp_path_factory.mktemp("matrix") / "data")
    app = create_app(net.rt)
    tokens = tokens_for(net)
    revoked = create_token(
        net.rt, user="gone", msp_id=net.pharmacy_a.msp_id, location=net.pharmacy_a.location
    )
    revoke_token(net.rt, revoked)
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    headers["no_token"] = {}
    headers["unknown_token"] = {"Authorization": "Bearer pt_" + "x" * 43}
    headers["revoked_token"] = {"Authorization": f"Bearer {revoked}"}
    operations = {
        op["operationId"]: (method.upper(), path)
        for path, methods in app.openapi()["paths"].items()
        for method, op in methods.items()
    }
    with net.rt.session() as session:
        # The maker → wholesaler shipment of the small network.
        first = session.exec(select(Shipment).where(Shipment.sender == net.maker.msp_id)).one()
    with TestClient(app) as client:
        yield Matrix(
            net,
            client,
            headers,
            operations,
            samples(net, first.shipment_id),
            net.rt.ledger.height(),
        )
    net.rt.close()


def test_policy_covers_exactly_the_operations_in_openapi(matrix: Matrix) -> None:
    missing = sorted(set(matrix.operations) - set(POLICY))
    stale = sorted(set(POLICY) - set(matrix.operations))
    assert not missing, (
        f"Add to POLICY in {__file__} who may call each new operation, e.g.\n"
        + "\n".join(f'    "{op}": Rule(EVERYONE | CUSTODIANS | REGULATOR | …),' for op in missing)
        + "\nand, if it needs path parameters or a body, a Sample in samples(); then declare its"
        " own-versus-other rule in test_authorization_ownership.OWNERSHIP."
    )
    assert not stale, f"POLICY names operations the API no longer has: {stale}"


def headers_for(matrix: Matrix, sample: Sample, principal: str) -> dict[str, str]:
    if not (sample.fresh_token and principal in ACTORS):
        return matrix.headers[principal]
    actor = getattr(matrix.network, principal)
    token = create_token(matrix.network.rt, user=actor.user, msp_id=actor.msp_id)
    if sample.revoke_after is not None:
        revoking = threading.Timer(sample.revoke_after, revoke_token, (matrix.network.rt, token))
        revoking.daemon = True
        revoking.start()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("operation_id", sorted(POLICY))
def test_authorization_matrix(
    matrix: Matrix, operation_id: str, principal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    method, template = matrix.operations[operation_id]
    sample = matrix.samples.get(operation_id, Sample())
    if sample.revoke_after is not None:  # a stream re-checks its token at every keep-alive
        monkeypatch.setattr(notification_stream, "KEEPALIVE_SECONDS", 0.05)
    path = template.format(**{name: quote(value, safe="") for name, value in sample.path.items()})
    headers = headers_for(matrix, sample, principal)
    response = matrix.client.request(method, path, json=sample.body, headers=headers)
    rule = POLICY[operation_id]
    if rule.public or principal in rule.allowed:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
    elif principal not in ACTORS:
        assert_error(response, 401, "UNAUTHENTICATED")
        assert response.headers["WWW-Authenticate"] == "Bearer"
    elif rule.hidden:
        assert_error(response, 404, "UNKNOWN_SHIPMENT")
    else:
        assert_error(response, 403)
    assert matrix.network.rt.ledger.height() == matrix.height, "an authorization check wrote"
