"""`Indexer.rebuild()` replays the ledger into identical tables and leaves off-chain rows alone."""

from __future__ import annotations

import json

import pytest

from services.readmodel.tables import DERIVED_TABLES
from tests.integration.readmodel.support import LOT2, OFF_CHAIN_TABLES, dump
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


def test_given_the_scenario_when_the_read_model_is_rebuilt_then_every_derived_table_is_identical(
    scenario: SmallNetwork,
) -> None:
    rt = scenario.rt
    before = dump(rt.engine)
    events = rt.ledger.read_events(None, 100_000)

    applied = rt.indexer.rebuild()

    assert applied == len(events)
    after = dump(rt.engine)
    assert after == before
    assert set(after) == {model.__name__ for model in DERIVED_TABLES}


def test_given_scans_and_serials_when_the_read_model_is_rebuilt_then_they_are_untouched(
    scenario: SmallNetwork,
) -> None:
    rt = scenario.rt
    before = dump(rt.engine, OFF_CHAIN_TABLES)

    rt.indexer.rebuild()

    assert dump(rt.engine, OFF_CHAIN_TABLES) == before
    assert len(before["Scan"]) == 2
    assert len(before["SerialNumber"]) == len(scenario.serials) + 12


def test_given_the_scenario_when_indexed_then_the_tables_show_what_happened(
    scenario: SmallNetwork,
) -> None:
    """The rebuild comparisons are only as good as the scenario: check it reaches every table."""
    contents = {
        table: [dict(row) for row in rows] for table, rows in dump(scenario.rt.engine).items()
    }

    assert all(contents[model.__name__] for model in DERIVED_TABLES)
    packs = {p["serial"]: (p["status"], p["undone_status"]) for p in contents["Pack"]}
    assert packs == {
        "SN0000X": ("supplied", None),
        "SN0001X": ("active", "supplied"),
        "SN0002X": ("supplied", None),
        "SN0030X": ("destroyed", None),
    }
    holdings = {(h["lot"], h["msp_id"]): h["quantity"] for h in contents["Holding"]}
    assert holdings == {
        ("LOT001", "MakerMSP"): 20,
        ("LOT001", "WholesaleMSP"): 10 - 1 - 2,
        ("LOT001", "PharmacyAMSP"): 10 - 2,
        (LOT2, "WholesaleMSP"): 11,  # the maker's LOT002 holding dropped to zero: no row
    }
    short = next(s for s in contents["Shipment"] if s["shipment_id"] == "SHP-LOT2")
    assert short["status"] == "received_with_discrepancy"
    assert json.loads(short["discrepancies"])[0]["kind"] == "short"
    line = next(x for x in contents["ShipmentLine"] if x["shipment_id"] == "SHP-LOT2")
    assert (line["quantity"], line["received"]) == (12, 11)
    lot2 = next(b for b in contents["Batch"] if b["lot"] == LOT2)
    assert (lot2["status"], lot2["status_reason"]) == ("recalled", "Label misprint")
    maker2 = next(o for o in contents["Organization"] if o["msp_id"] == "Maker2MSP")
    assert maker2["licence_status"] == "suspended"
    in_transit = next(s for s in contents["Shipment"] if s["shipment_id"] == "SHP-TO-B")
    assert in_transit["status"] == "in_transit"
