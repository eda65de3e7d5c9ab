"""CBV 2.0 canonical event hash: the pre-hash rules, and agreement with GS1's reference
implementation (PyPI epcis-event-hash-generator) on hand-made events with awkward values."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pytest
from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events
from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json

from services.reports.epcis import EPCIS_CONTEXT, NAMESPACES
from services.reports.event_hash import canonical_time, event_hash, prehash

pytestmark = pytest.mark.unit

GTIN = "09506000134352"
BASE: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2026-03-01T10:15:30.5+01:00",
    "eventTimeZoneOffset": "+01:00",
    "epcList": [f"https://id.gs1.org/01/{GTIN}/21/B2", f"https://id.gs1.org/01/{GTIN}/21/A1"],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "readPoint": {"id": "https://id.gs1.org/414/4001234000015"},
    "sourceList": [
        {"type": "owning_party", "source": "https://id.gs1.org/417/4001234000015"},
        {"type": "possessing_party", "source": "https://id.gs1.org/417/4001234000039"},
    ],
    "destinationList": [
        {"type": "owning_party", "destination": "https://id.gs1.org/417/4001234000046"}
    ],
    "pt:ledger": {"pt:block": 12, "pt:txIndex": 0, "pt:txId": "ab12", "pt:event": "X"},
}


def oracle(event: dict[str, Any]) -> str:
    document = {
        "@context": [EPCIS_CONTEXT, NAMESPACES],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T10:00:00.000Z",
        "epcisBody": {"eventList": [copy.deepcopy(event)]},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        events = event_list_from_epcis_document_json(document)
        (result,) = epcis_hashes_from_events(events)
    return str(result)


def test_prehash_follows_the_cbv_order() -> None:
    text = prehash(BASE, NAMESPACES)
    assert text.startswith(
        "eventType=ObjectEventeventTime=2026-03-01T09:15:30.500ZeventTimeZoneOffset=+01:00"
        f"epcListepc=https://id.gs1.org/01/{GTIN}/21/A1epc=https://id.gs1.org/01/{GTIN}/21/B2"
        "action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-shipping"
        "disposition=https://ref.gs1.org/cbv/Disp-in_transit"
        "readPointid=https://id.gs1.org/414/4001234000015"
    )
    assert text.endswith(
        "{https://pharmatrace.example/ns/epcis/}txId=ab12{https://pharmatrace.example/ns/epcis/}txIndex=0"
    )


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"eventTime": "2026-03-01T09:15:30.500Z", "eventTimeZoneOffset": "+01:00"},
        {"quantityList": [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/L1", "quantity": 20.0}]},
        {"pt:ledger": {"pt:block": 7, "pt:txId": "0099"}},
        {"bizLocation": {"id": "https://id.gs1.org/414/4001234000015"}, "action": "ADD"},
        {"pt:scan": {"pt:result": "ALREADY_DISPENSED", "pt:light": "red"}},
    ],
)
def test_hash_equals_the_reference_implementation(change: dict[str, Any]) -> None:
    event = {**BASE, **change}
    assert event_hash(event, NAMESPACES) == oracle(event)


def test_hash_ignores_order_and_event_id_but_not_content() -> None:
    shuffled = dict(reversed(list(BASE.items())))
    shuffled["epcList"] = list(reversed(BASE["epcList"]))
    shuffled["eventID"] = "ni:///sha-256;00?ver=CBV2.0"
    assert event_hash(shuffled, NAMESPACES) == event_hash(BASE, NAMESPACES)
    assert event_hash({**BASE, "disposition": "active"}, NAMESPACES) != event_hash(BASE, NAMESPACES)


def test_times_are_utc_to_the_millisecond() -> None:
    assert canonical_time("2026-03-01T10:15:30+01:00") == "2026-03-01T09:15:30.000Z"
    assert canonical_time("2026-03-01T09:15:30.123Z") == "2026-03-01T09:15:30.123Z"


def test_unsupported_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="not supported"):
        event_hash({**BASE, "ilmd": {"x": 1}})
