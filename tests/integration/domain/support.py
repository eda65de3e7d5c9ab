"""Helpers of the domain integration tests: scanning and checking the recorded scan."""

from __future__ import annotations

import json
from datetime import datetime

from services.domain import verification
from services.readmodel.tables import Scan
from services.runtime import Actor
from tests.support.network import SmallNetwork


def scan_stamp(moment: datetime) -> str:
    """How a scan's time is stored: ISO 8601 UTC, milliseconds, Z."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def scan(net: SmallNetwork, actor: Actor, code: str) -> verification.Verdict:
    """Verify `code` as `actor` and check the scan row says who, where, when, what and why."""
    verdict = verification.verify(net.rt, actor=actor, code=code)
    scanned_at = scan_stamp(net.clock.now)  # the clock moved once, for this scan
    assert verdict.scan_id is not None
    with net.rt.session() as session:
        row = session.get(Scan, verdict.scan_id)
    assert row is not None
    assert (row.msp_id, row.user, row.location) == (actor.msp_id, actor.user, actor.location)
    assert row.at == verdict.scanned_at == scanned_at
    assert (row.result, row.light) == (verdict.result, verdict.light)
    assert row.raw_code == code
    assert json.loads(row.reasons) == verdict.reasons
    assert (row.gtin, row.lot, row.serial, row.expiry) == (
        verdict.identifier["gtin"],
        verdict.identifier["lot"],
        verdict.identifier["serial"],
        verdict.identifier["expiry"],
    )
    return verdict
