"""A 200,000-row pack file is read in chunks: peak memory stays far from the file's size in
Python objects, and progress is reported while reading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.domain.batch_import import import_batches
from tests.integration.batch_import.conftest import serial_count
from tests.support.network import SmallNetwork

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = 200_000
PER_BATCH = 10_000
PEAK_GROWTH_LIMIT_MIB = 128
STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.MULTILINE)
    assert match, field
    return int(match.group(1))


def _reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process's RSS (Linux 4.0+)."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def test_a_large_pack_file_streams(network: SmallNetwork, tmp_path: Path) -> None:
    if not STATUS.exists() or not _reset_peak_rss():
        pytest.skip("needs Linux /proc to measure peak RSS")
    path = tmp_path / "packs.csv"
    with path.open("w") as out:
        out.write("gtin,lot,expiry,serial\n")
        out.writelines(
            f"{network.gtin},S{i // PER_BATCH:03d},2028-06-30,{i:012d}\n" for i in range(ROWS)
        )
    serials_before = serial_count(network)
    calls: list[tuple[int, int]] = []

    assert _reset_peak_rss()
    before = _kib("VmRSS")
    with path.open("rb") as source:
        report = import_batches(
            network.rt,
            actor=network.maker,
            source=source,
            filename=path.name,
            progress=lambda rows, batches: calls.append((rows, batches)),
        )
    growth_mib = (_kib("VmHWM") - before) / 1024

    assert report.error_count == 0, report.errors[:5]
    assert (report.rows_read, report.committed) == (ROWS, ROWS // PER_BATCH)
    assert serial_count(network) == serials_before + ROWS
    reading = [rows for rows, batches in calls if batches == 0]
    assert len(reading) >= 5, "rows are read in chunks"
    assert reading == sorted(reading)
    assert reading[-1] == ROWS
    assert calls[-1] == (ROWS, ROWS // PER_BATCH)
    assert growth_mib < PEAK_GROWTH_LIMIT_MIB, f"peak RSS grew by {growth_mib:.0f} MiB"
