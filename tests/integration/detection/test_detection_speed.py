"""Full detection over a million scans (plus 100,000 decommissionings and 50,000 shipment lines)
within 30 seconds. The data is adversarial: random decommissionings and random scans at 200
organizations make tens of thousands of alerts, far more than a real history would."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from services.detection.data import Frames
from services.detection.engine import run_rules

pytestmark = [pytest.mark.integration, pytest.mark.slow]

N_SCANS = 1_000_000
N_EVENTS = 100_000
N_LINES = 50_000
GTIN = "09506000134352"


def synthetic(seed: int = 1) -> Frames:
    rng = np.random.default_rng(seed)
    orgs = np.array([f"Org{i}MSP" for i in range(200)])
    start = pd.Timestamp("2026-01-01", tz="UTC")

    def times(n: int) -> pd.DatetimeIndex:
        return start + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s")

    serials = rng.integers(0, 500_000, N_SCANS)
    results = np.where(
        rng.random(N_SCANS) < 0.99,
        "OK",
        np.where(rng.random(N_SCANS) < 0.5, "UNKNOWN_SERIAL", "NOT_IN_CUSTODY"),
    )
    scans = pd.DataFrame(
        {
            "id": np.arange(N_SCANS),
            "at": times(N_SCANS),
            "msp_id": orgs[rng.integers(0, 200, N_SCANS)],
            "gtin": GTIN,
            "lot": np.array([f"L{i}" for i in range(100)])[serials % 100],
            "serial": np.char.add("S", serials.astype(str)),
            "result": results,
        }
    )
    scans["location"] = scans["msp_id"]
    events = pd.DataFrame(
        {
            "block": np.arange(N_EVENTS),
            "tx_index": 0,
            "name": np.where(rng.random(N_EVENTS) < 0.9, "PackDecommissioned", "PackReactivated"),
            "at": times(N_EVENTS),
            "actor": orgs[rng.integers(0, 200, N_EVENTS)],
            "gtin": GTIN,
            "lot": "L1",
            "serial": np.char.add("S", rng.integers(0, 500_000, N_EVENTS).astype(str)),
            "status": "supplied",
        }
    )
    shipped = times(N_LINES)
    lines = pd.DataFrame(
        {
            "shipment_id": [f"SHP{i}" for i in range(N_LINES)],
            "sender": orgs[rng.integers(0, 200, N_LINES)],
            "receiver": orgs[rng.integers(0, 200, N_LINES)],
            "status": "received",
            "shipped_at": shipped,
            "received_at": shipped + pd.to_timedelta(rng.integers(3600, 9 * 86400, N_LINES), "s"),
            "gtin": GTIN,
            "lot": "L1",
            "quantity": 10,
            "received": np.where(rng.random(N_LINES) < 0.01, 9.0, 10.0),
        }
    )
    batches = pd.DataFrame(
        {
            "gtin": GTIN,
            "lot": [f"L{i}" for i in range(100)],
            "status": ["recalled"] + ["active"] * 99,
            "status_changed_at": start + pd.Timedelta(days=300),
            "quantity": 10_000,
            "manufacturer": orgs[0],
        }
    )
    places = pd.DataFrame(
        {
            "msp_id": orgs,
            "name": orgs,
            "latitude": rng.uniform(36, 60, 200),
            "longitude": rng.uniform(-9, 25, 200),
        }
    )
    return Frames(scans, events, lines, batches, places)


def test_a_million_scans_within_thirty_seconds() -> None:
    frames = synthetic()
    started = time.perf_counter()
    report = run_rules(frames, datetime(2027, 1, 1, tzinfo=UTC))
    elapsed = time.perf_counter() - started
    per_rule = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    print(f"\n{N_SCANS:,} scans: {elapsed:.1f} s ({per_rule})")
    print(dict(Counter(f.rule for f in report.findings)))
    assert {f.rule for f in report.findings} >= {"clone", "unknown_serial", "impossible_travel"}
    assert elapsed < 30
