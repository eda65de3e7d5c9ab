"""Authorization over own versus other organizations' data: every operation × role × scope.

test_authorization.py checks who may call an operation at all (role, token). This module checks
what each role may do to an object of its OWN organization versus ANOTHER's: a manufacturer may
not see or recall another's batch, only the custodian may ship or dispense stock, only the
receiver may receive, a pharmacy sees only its own stock, the regulator oversees everyone.

Every operation of the OpenAPI description must have an entry in OWNERSHIP (the test that says so
prints the line to add). An `Owned` entry builds a request on an object owned by a given actor;
each role allowed by test_authorization.POLICY is then sent its own object (expect 2xx, writes
commit) and another organization's (expect the declared refusal, or 2xx for overseers). Writes
refused by the service are then submitted straight to the contract through the ledger port, as
the refused organization, and must be refused there too with the declared contract code.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from sqlmodel import select

from services.api import create_app
from services.domain import batches, packs, products, shipments
from services.ledger import EndorseError
from services.readmodel.tables import AuditEntry, Batch, Holding, SerialNumber, Shipment
from services.runtime import Actor
from tests.integration.api.support import ACTORS, TestClient, assert_error, tokens_for
from tests.integration.api.test_authorization import POLICY, REGULATOR
from tests.support.network import SmallNetwork, build_small_network, with_check_digit

pytestmark = pytest.mark.integration

# The caller standing for each role, and whose objects count as "another organization's".
CALLERS = {"manufacturer": "maker", "distributor": "wholesaler", "pharmacy": "pharmacy_a"}
OTHER_OWNER = {"maker": "maker2", "wholesaler": "pharmacy_b", "pharmacy_a": "pharmacy_b"}
ROLE_CALLERS = {**CALLERS, "regulator": "regulator"}
MAKER2_GTIN = with_check_digit("0950600099990")


@dataclass
class World:
    """The small network plus objects made on demand, each used by one case only."""

    net: SmallNetwork
    lots: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    caller: str = ""  # the case's caller: "another organization's" objects never involve it

    def actor(self, name: str) -> Actor:
        actor: Actor = getattr(self.net, name)
        return actor

    def product_of(self, owner: str) -> str:
        return self.net.gtin if owner == "maker" else MAKER2_GTIN

    def batch_of(self, owner: str, serials: int = 4) -> tuple[str, str]:
        """A fresh batch made by manufacturer `owner`: (gtin, lot)."""
        gtin, lot = self.product_of(owner), f"OWN{next(self.lots):04d}"
        batches.register_batch(
            self.net.rt,
            actor=self.actor(owner),
            gtin=gtin,
            lot=lot,
            expiry=date(2030, 1, 31),
            serials=[f"{lot}S{i}" for i in range(serials)],
        )
        return gtin, lot

    def ship(self, sender: str, receiver: str, gtin: str, lot: str, quantity: int) -> str:
        line = shipments.ShipmentLineRequest(gtin=gtin, lot=lot, quantity=quantity)
        committed = shipments.ship(
            self.net.rt, actor=self.actor(sender), receiver=self.actor(receiver).msp_id,
            lines=[line],
        )  # fmt: skip
        return str(committed.record["shipment_id"])

    def stock_of(self, holder: str) -> tuple[str, str]:
        """A fresh batch of which `holder` holds stock (custody moved down the chain)."""
        maker = holder if holder in ("maker", "maker2") else "maker"
        gtin, lot = self.batch_of(maker)
        if holder != maker:
            path = ["maker", "wholesaler"] + ([holder] if holder != "wholesaler" else [])
            for sender, receiver in itertools.pairwise(path):
                shipment = self.ship(sender, receiver, gtin, lot, 4)
                shipments.receive(self.net.rt, actor=self.actor(receiver), shipment_id=shipment)
        return gtin, lot

    def partner(self, *besides: str) -> str:
        """A custodian that is neither the case's caller nor any of `besides`."""
        return next(
            name
            for name in ("wholesaler", "pharmacy_b", "pharmacy_a", "maker", "maker2")
            if name not in (self.caller, *besides)
        )

    def in_transit_to(self, receiver: str) -> str:
        sender = self.partner(receiver)
        gtin, lot = self.stock_of(sender)
        return self.ship(sender, receiver, gtin, lot, 1)

    def shipment_between(self, party: str) -> str:
        """A shipment `party` sends to an organization other than the caller."""
        gtin, lot = self.stock_of(party)
        return self.ship(party, self.partner(party), gtin, lot, 1)

    def code(self, gtin: str, lot: str, serial: str) -> str:
        return self.net.code(serial, lot=lot, expiry=date(2030, 1, 31)).replace(
            self.net.gtin, gtin, 1
        )

    def dispensed_by(self, holder: str) -> tuple[str, str, str]:
        gtin, lot = self.stock_of(holder)
        serial = f"{lot}S0"
        packs.decommission(
            self.net.rt, actor=self.actor(holder), code=self.code(gtin, lot, serial),
            status="locked",
        )  # fmt: skip
        return gtin, lot, serial


@dataclass(frozen=True)
class Request:
    path: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    # The same write, straight to the contract: (function, body).
    direct: tuple[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class Owned:
    """The operation acts on one organization's object; `request(world, owner)` builds a request
    on a fresh object of `owner`. Another organization's object answers `other` (status, code);
    `overseers` (role names) may act on anyone's; `contract` is the contract's own refusal code."""

    request: Callable[[World, str], Request]
    other: tuple[int, str]
    overseers: frozenset[str] = frozenset()
    contract: str | None = None
    owners: frozenset[str] = frozenset({"manufacturer", "distributor", "pharmacy"})
    # Roles that may call it; empty: those whose representative POLICY allows on its sample.
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Listed:
    """A listing that shows each organization only its own rows; overseers see everyone's."""

    owner_of_row: Callable[[dict[str, Any]], set[str]]
    overseers: frozenset[str] = frozenset({"regulator"})


@dataclass(frozen=True)
class NotOwned:
    """No object of one organization is involved; `why` says so (or where it is tested)."""

    why: str


def _batch_path(world: World, owner: str) -> Request:
    gtin, lot = world.batch_of(owner)
    return Request({"gtin": gtin, "lot": lot})


def _status_change(world: World, owner: str) -> Request:
    gtin, lot = world.batch_of(owner)
    direct = {"gtin": gtin, "lot": lot, "status": "quarantined", "reason": "direct"}
    return Request(
        {"gtin": gtin, "lot": lot},
        {"action": "quarantine", "reason": "check"},
        ("ChangeBatchStatus", direct),
    )


def _new_batch(world: World, owner: str) -> Request:
    gtin, lot = world.product_of(owner), f"NEW{next(world.lots):04d}"
    body = {"gtin": gtin, "lot": lot, "expiry": "2030-01-31", "quantity": 1}
    direct = {**body, "merkle_root": "00" * 32}
    return Request(body=body, direct=("RegisterBatch", direct))


def _pack_label(world: World, owner: str) -> Request:
    gtin, lot = world.batch_of(owner)
    return Request({"gtin": gtin, "lot": lot, "serial": f"{lot}S1"})


def _ship(world: World, owner: str) -> Request:
    gtin, lot = world.stock_of(owner)
    receiver = world.actor(world.partner(owner)).msp_id
    line = {"gtin": gtin, "lot": lot, "quantity": 1}
    direct = {
        "shipment_id": "SHP-" + secrets.token_hex(12).upper(),
        "receiver": receiver,
        "lines": [{**line, "serials": [], "ssccs": []}],
    }
    return Request(body={"receiver": receiver, "lines": [line]}, direct=("Ship", direct))


def _receive(world: World, owner: str) -> Request:
    shipment_id = world.in_transit_to(owner)
    return Request({"shipment_id": shipment_id}, None, ("Receive", {"shipment_id": shipment_id}))


def _shipment(world: World, owner: str) -> Request:
    return Request({"shipment_id": world.shipment_between(owner)})


def _decommission(world: World, owner: str) -> Request:
    gtin, lot = world.stock_of(owner)
    serial = f"{lot}S1"
    with world.net.rt.session() as session:
        leaf = session.get(SerialNumber, (gtin, serial))
    assert leaf is not None
    siblings = world.net.rt.serials.proof(gtin, lot, leaf.leaf_index)  # as the service proves it
    direct = {
        "gtin": gtin, "lot": lot, "serial": serial, "status": "destroyed",
        "proof": {"index": leaf.leaf_index, "siblings": [s.hex() for s in siblings]},
    }  # fmt: skip
    code = world.code(gtin, lot, serial)
    return Request(body={"code": code, "status": "destroyed"}, direct=("Decommission", direct))


def _undo(world: World, owner: str) -> Request:
    gtin, lot, serial = world.dispensed_by(owner)
    return Request(
        body={"code": world.code(gtin, lot, serial)},
        direct=("UndoDecommission", {"gtin": gtin, "serial": serial}),
    )


MANUFACTURERS_ONLY = frozenset({"manufacturer"})
CUSTODIANS = frozenset({"manufacturer", "distributor", "pharmacy"})
REGULATOR_ONLY = NotOwned("regulator only: oversight of every organization's data")

OWNERSHIP: dict[str, Owned | Listed | NotOwned] = {
    "get_health": NotOwned("public health check"),
    "get_me": NotOwned("the caller's own identity, by construction"),
    "revoke_my_token": NotOwned("revokes the token of the request itself"),
    "list_organizations": NotOwned("the channel's member list is public to members"),
    "register_organization": NotOwned("the regulator's act; creates a new organization"),
    "set_licence_status": NotOwned("the regulator's act on any organization (oversight)"),
    "list_products": NotOwned("the product catalogue is shared by the channel"),
    "register_product": NotOwned("creates the caller's own product; GTIN taken → 409"),
    "import_batches": NotOwned("rows go through register_batch (NOT_PRODUCT_OWNER below)"),
    "verify_pack": NotOwned("anyone verifies any pack: that is the point of verification"),
    "get_batch": Owned(_batch_path, (403, "NOT_BATCH_OWNER"), REGULATOR, owners=MANUFACTURERS_ONLY),
    "get_batch_label_sheet": Owned(
        _batch_path, (403, "NOT_BATCH_OWNER"), REGULATOR, owners=MANUFACTURERS_ONLY
    ),
    "get_pack_label": Owned(
        _pack_label, (403, "NOT_BATCH_OWNER"), REGULATOR, owners=MANUFACTURERS_ONLY
    ),
    "change_batch_status": Owned(
        _status_change,
        (403, "NOT_BATCH_OWNER"),
        REGULATOR,
        "NOT_BATCH_OWNER",
        owners=MANUFACTURERS_ONLY,
    ),
    "register_batch": Owned(
        _new_batch,
        (403, "NOT_PRODUCT_OWNER"),
        contract="NOT_PRODUCT_OWNER",
        owners=MANUFACTURERS_ONLY,
    ),
    "ship_batch": Owned(_ship, (403, "NOT_CUSTODIAN"), contract="NOT_CUSTODIAN"),
    # Hidden: a shipment addressed to others is not shown to exist; the contract says why.
    "receive_shipment": Owned(_receive, (404, "UNKNOWN_SHIPMENT"), contract="NOT_RECEIVER"),
    "get_shipment": Owned(
        _shipment, (404, "UNKNOWN_SHIPMENT"), REGULATOR, roles=frozenset(ROLE_CALLERS)
    ),
    "decommission_pack": Owned(_decommission, (403, "NOT_CUSTODIAN"), contract="NOT_CUSTODIAN"),
    "undo_decommission": Owned(
        _undo, (403, "UNDO_BY_OTHER_ORGANIZATION"), contract="UNDO_BY_OTHER_ORGANIZATION"
    ),
    "list_batches": Listed(lambda row: {row["manufacturer"]}),
    "list_holdings": Listed(lambda row: {row["msp_id"]}, overseers=frozenset()),
    "list_shipments": Listed(lambda row: {row["sender"], row["receiver"]}),
    "get_batch_provenance": REGULATOR_ONLY,
    "get_pack_provenance": REGULATOR_ONLY,
    "get_batch_provenance_epcis": REGULATOR_ONLY,
    "get_batch_provenance_csv": REGULATOR_ONLY,
    "get_pack_provenance_epcis": REGULATOR_ONLY,
    "get_pack_provenance_csv": REGULATOR_ONLY,
    "get_batch_provenance_pdf": REGULATOR_ONLY,
    "get_pack_provenance_pdf": REGULATOR_ONLY,
    "list_alerts": REGULATOR_ONLY,
    "get_alert_stats": REGULATOR_ONLY,
    "export_alerts_csv": REGULATOR_ONLY,
    "transition_alert": REGULATOR_ONLY,
    "add_alert_note": REGULATOR_ONLY,
    "get_alert": REGULATOR_ONLY,
    "list_audit_entries": REGULATOR_ONLY,
    "pack_logistic_unit": NotOwned("packs the caller's own stock into a new SSCC"),
    "get_logistic_unit": NotOwned(
        "another organization's SSCC answers 404: tests/integration/api/test_logistic_units.py"
    ),
    "get_logistic_unit_label": NotOwned(
        "another organization's SSCC answers 404: tests/integration/api/test_logistic_units.py"
    ),
    "resolve_warehouse_scan": NotOwned("resolves a scanned code for the caller's own custody"),
    "stream_notifications": NotOwned("each organization's own stream; no object addressed"),
}


def operations() -> dict[str, tuple[str, str]]:
    from unittest.mock import MagicMock

    rt = MagicMock()
    rt.settings.max_body_bytes = 1_000_000
    return {
        op["operationId"]: (method.upper(), path)
        for path, methods in create_app(rt).openapi()["paths"].items()
        for method, op in methods.items()
    }


OPERATIONS = operations()


def cases() -> list[tuple[str, str, str]]:
    """(operation, role, scope) for every owned operation and every role allowed to call it."""
    generated = []
    for operation_id, entry in sorted(OWNERSHIP.items()):
        if not isinstance(entry, Owned) or operation_id not in POLICY:
            continue
        for role, caller in ROLE_CALLERS.items():
            allowed = role in entry.roles or caller in POLICY[operation_id].allowed
            if not allowed and role not in entry.overseers:
                continue
            if role in entry.owners and caller in CALLERS.values():
                generated.append((operation_id, role, "own"))
            generated.append((operation_id, role, "other"))
    return generated


def test_ownership_covers_exactly_the_operations_in_openapi() -> None:
    missing = sorted(set(OPERATIONS) - set(OWNERSHIP))
    stale = sorted(set(OWNERSHIP) - set(OPERATIONS))
    assert not missing, (
        "Declare how each new operation treats other organizations' data in OWNERSHIP of "
        f"{__file__}, e.g.\n"
        + "\n".join(
            f'    "{op}": NotOwned("<why no organization owns its object>"),' for op in missing
        )
        + "\nor Owned(<request on an object of a given owner>, (<status>, <code>), …)."
    )
    assert not stale, f"OWNERSHIP names operations the API no longer has: {stale}"


@dataclass
class Setup:
    world: World
    client: TestClient
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    net = build_small_network(tmp_path_factory.mktemp("ownership") / "data")
    products.register_product(net.rt, actor=net.maker2, gtin=MAKER2_GTIN, name="Beta Generic")
    tokens = tokens_for(net)
    headers = {name: {"Authorization": f"Bearer {tokens[name]}"} for name in ACTORS}
    with TestClient(create_app(net.rt)) as client:
        yield Setup(World(net), client, headers)
    net.rt.close()


def ledger_attempts(setup: Setup) -> int:
    """Writes the service signed and sent to the ledger, committed or refused (the audit log)."""
    with setup.world.net.rt.session() as session:
        return len(session.exec(select(AuditEntry.id)).all())


def send(setup: Setup, operation_id: str, caller: str, request: Request) -> Any:
    method, template = OPERATIONS[operation_id]
    path = template.format(**{k: quote(v, safe="") for k, v in request.path.items()})
    return setup.client.request(method, path, json=request.body, headers=setup.headers[caller])


@pytest.mark.parametrize(("operation_id", "role", "scope"), cases())
def test_own_versus_other_organizations_object(
    setup: Setup, operation_id: str, role: str, scope: str
) -> None:
    entry = OWNERSHIP[operation_id]
    assert isinstance(entry, Owned)
    caller = ROLE_CALLERS[role]
    owner = caller if scope == "own" else OTHER_OWNER.get(caller, "maker")
    if operation_id == "register_batch" and scope == "other":
        owner = "maker2" if caller == "maker" else "maker"
    setup.world.caller = caller
    request = entry.request(setup.world, owner)
    height = setup.world.net.rt.ledger.height()
    attempts = ledger_attempts(setup)

    response = send(setup, operation_id, caller, request)

    if scope == "own" or role in entry.overseers:
        assert response.is_success, (caller, owner, response.text)
        return
    status, code = entry.other
    assert_error(response, status, code)
    assert setup.world.net.rt.ledger.height() == height, "a refused request wrote"
    # Refused by the service itself: nothing was even signed and sent to the ledger.
    assert ledger_attempts(setup) == attempts, "the service left the refusal to the contract"
    if entry.contract is not None:
        assert request.direct is not None
        function, body = request.direct
        msp_id = setup.world.actor(caller).msp_id
        with pytest.raises(EndorseError) as refused:
            setup.world.net.rt.contract(msp_id).submit(function, json.dumps(body, sort_keys=True))
        assert refused.value.error.code == entry.contract, refused.value


def listing_cases() -> list[tuple[str, str]]:
    return [
        (operation_id, role)
        for operation_id, entry in sorted(OWNERSHIP.items())
        if isinstance(entry, Listed) and operation_id in POLICY
        for role, caller in ROLE_CALLERS.items()
        if caller in POLICY[operation_id].allowed
    ]


@pytest.mark.parametrize(("operation_id", "role"), listing_cases())
def test_listings_show_only_the_callers_rows_unless_it_oversees(
    setup: Setup, operation_id: str, role: str
) -> None:
    entry = OWNERSHIP[operation_id]
    assert isinstance(entry, Listed)
    net = setup.world.net
    with net.rt.session() as session:  # rows of several organizations exist to be hidden
        owners = {b.manufacturer for b in session.exec(select(Batch))}
        owners |= {h.msp_id for h in session.exec(select(Holding))}
        owners |= {s.sender for s in session.exec(select(Shipment))}
    assert len(owners) >= 3
    caller = ROLE_CALLERS[role]
    msp_id = setup.world.actor(caller).msp_id

    response = send(setup, operation_id, caller, Request())

    assert response.status_code == 200, response.text
    rows = response.json()
    seen = set().union(*(entry.owner_of_row(row) for row in rows)) if rows else set()
    if role in entry.overseers:
        assert len(seen) >= 2, seen
    else:
        assert rows or role == "regulator", "the caller's own rows are listed"
        assert all(msp_id in entry.owner_of_row(row) for row in rows), (msp_id, seen)
