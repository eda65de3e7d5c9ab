"""`pharmatrace batch import FILE --as MSP [--report-csv OUT]`: summary, error table, exit status.

The command runs in-process on the small network's data directory, with the real clock (so the
expiries here are counted from today).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from services.cli.main import app
from tests.integration.batch_import.conftest import (
    BATCH_HEADER,
    PACK_HEADER,
    csv_bytes,
    lots,
    serials_of,
    xlsx_bytes,
)
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

EXPIRY = (date.today() + timedelta(days=730)).isoformat()


@pytest.fixture
def cli(network: SmallNetwork, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("PHARMATRACE_DATA_DIR", "PHARMATRACE_DATABASE_URL", "PHARMATRACE_AS"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def run(cli: CliRunner, network: SmallNetwork, *args: str) -> Result:
    data_dir = network.rt.settings.data_dir
    result = cli.invoke(app, ["--data-dir", str(data_dir), "batch", "import", *args])
    network.rt.indexer.catch_up()  # the command wrote through its own runtime
    return result


def test_a_clean_file_exits_0(cli: CliRunner, network: SmallNetwork, tmp_path: Path) -> None:
    file = tmp_path / "erp.xlsx"
    file.write_bytes(xlsx_bytes([BATCH_HEADER, [network.gtin, "CLI1", EXPIRY, "3"]]))
    report = tmp_path / "report.csv"

    result = run(cli, network, str(file), "--as", "MakerMSP", "--report-csv", str(report))

    assert result.exit_code == 0, result.output
    assert "erp.xlsx (Excel, one row per batch): 1 rows, 1 batches" in result.stdout
    assert "1 committed" in result.stdout
    assert "CLI1" in result.stdout
    assert result.stderr == ""
    assert report.read_text().splitlines() == ["row,column,code,message"]
    assert len(serials_of(network, network.gtin, "CLI1")) == 3


def test_rows_with_errors_exit_2_after_committing_the_valid_batches(
    cli: CliRunner, network: SmallNetwork, tmp_path: Path
) -> None:
    g = network.gtin
    rows = [
        PACK_HEADER,
        [g, "GOOD", EXPIRY, "G1"],
        [g, "BAD", EXPIRY, "B1"],
        [g, "BAD", EXPIRY, "B 2"],
        [g, "BAD", "2020-01-01", "B3"],
    ]
    file = tmp_path / "erp.csv"
    file.write_bytes(csv_bytes(rows))
    report = tmp_path / "errors.csv"

    result = run(cli, network, str(file), "--as", "MakerMSP", "--report-csv", str(report))

    assert result.exit_code == 2, result.output
    assert "1 committed" in result.stdout
    assert "1 skipped (invalid)" in result.stdout
    for text in ("INVALID_SERIAL", "EXPIRY_NOT_IN_FUTURE", "Errors"):
        assert text in result.stdout
    assert "IMPORT_INCOMPLETE" in result.stderr
    assert "the 1 valid one is on the ledger" in " ".join(result.stderr.split())
    with report.open(newline="") as lines:
        listed = list(csv.reader(lines))
    assert listed[0] == ["row", "column", "code", "message"]
    assert [row[:3] for row in listed[1:]] == [
        ["4", "serial", "INVALID_SERIAL"],
        ["5", "expiry", "EXPIRY_NOT_IN_FUTURE"],
    ]
    assert "GOOD" in lots(network)
    assert "BAD" not in lots(network)

    again = run(cli, network, str(file), "--as", "MakerMSP")
    assert again.exit_code == 2
    assert "1 already registered" in again.stdout


def test_an_unreadable_file_exits_2(cli: CliRunner, network: SmallNetwork, tmp_path: Path) -> None:
    file = tmp_path / "erp.csv"
    file.write_bytes(csv_bytes([["gtin", "lot", "colour"], ["1", "2", "3"]]))
    report = tmp_path / "errors.csv"

    result = run(cli, network, str(file), "--as", "MakerMSP", "--report-csv", str(report))

    assert result.exit_code == 2
    assert "error INVALID_FILE:" in result.stderr
    assert "unknown column 'colour'" in result.stderr
    with report.open(newline="") as lines:
        listed = list(csv.reader(lines))
    assert [row[:3] for row in listed[1:]] == [
        ["1", "colour", "UNKNOWN_COLUMN"],
        ["1", "expiry", "MISSING_COLUMN"],
        ["1", "quantity/serial", "MISSING_COLUMN"],
    ]


def test_a_non_manufacturer_exits_2(cli: CliRunner, network: SmallNetwork, tmp_path: Path) -> None:
    file = tmp_path / "erp.csv"
    file.write_bytes(csv_bytes([BATCH_HEADER, [network.gtin, "NO", EXPIRY, "1"]]))

    result = run(cli, network, str(file), "--as", "WholesaleMSP")

    assert result.exit_code == 2
    assert "error FORBIDDEN_ROLE:" in result.stderr


def test_a_missing_file_is_a_usage_error(cli: CliRunner, network: SmallNetwork) -> None:
    result = run(cli, network, "/no/such/file.csv", "--as", "MakerMSP")

    assert result.exit_code == 2
