"""Incremental detection gives the bulk result, then only re-examines what new scans touch."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.detection.engine import detect, list_alerts
from services.detection.incremental import detect_new
from services.domain import packs, verification
from tests.integration.detection.chain import build_detection_chain

pytestmark = pytest.mark.integration


def test_incremental_equals_bulk_then_follows_new_scans(tmp_path: Path) -> None:
    planted = build_detection_chain(tmp_path / "data")
    net = planted.net
    try:
        bulk = {f.key for f in detect(net.rt).findings}
        first = detect_new(net.rt)
        assert {f.key for f in first.findings} == bulk
        # Nothing new: only the clock-driven shipment rule has anything to say.
        quiet = detect_new(net.rt)
        assert {f.rule for f in quiet.findings} <= {"in_transit_too_long", "quantity_drift"}
        # A new clone: pharmacy A dispenses a pack, Madrid scans it.
        packs.decommission(net.rt, actor=net.pharmacy_a, code=net.code("SN0020X"))
        net.clock.advance(hours=2)
        verification.verify(net.rt, actor=planted.city["MadridPharmMSP"], code=net.code("SN0020X"))
        fresh = detect_new(net.rt)
        assert "SN0020X" in {f.serial for f in fresh.findings if f.rule == "clone"}
        stored = [a for a in list_alerts(net.rt) if a.rule == "clone"]
        assert {a.serial for a in stored} == {"SN0000X", "SN0020X"}
    finally:
        net.rt.close()
