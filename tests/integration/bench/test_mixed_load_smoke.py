"""Smoke test of bench/mixed_load.py: a few seconds of the mixed load against a real server.

Checks that the benchmark runs end to end and that what it reports adds up; speed is not tested
here (bench/ measures it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import mixed_load
from tests.support.aio import in_fresh_thread

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_given_a_short_run_when_the_mixed_load_runs_then_every_operation_is_measured(
    tmp_path: Path,
) -> None:
    png = tmp_path / "mixed.png"
    result = in_fresh_thread(lambda: mixed_load.measure(quick=True, seconds=6, clients=3, png=png))
    assert result["requests"] > 0
    assert result["verify requests"] > result["dispense requests"] > 0
    per_kind = ("verify", "dispense", "dispense again", "ship", "receive")
    assert sum(result[f"{kind} requests"] for kind in per_kind) == result["requests"]
    # Refusals nobody asked for (429, 401, 4xx) would be a broken benchmark; a 409 CONFLICT
    # after every MVCC retry is a finding the full run reports, not a failure of the bench.
    assert result["errors, unexpected"] == result["errors, unexpected, retryable"]
    assert result["RSS peak MiB"] > 0
    assert png.stat().st_size > 10_000
