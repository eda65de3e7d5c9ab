"""Fixtures of the CLI tests: `pharmatrace` run in-process on a temporary data directory.

`cli(...)` invokes the command line with `--data-dir` set; `chain` builds a small supply chain
through the CLI itself (regulator, maker, wholesaler, two pharmacies, one product, one batch from
a serials file, stock shipped down to pharmacy A and received).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from services.cli.main import app
from services.gs1 import PackIdentifier, to_element_string, to_human_readable
from tests.support.network import with_check_digit

Cli = Callable[..., Result]

GTIN = with_check_digit("0761234510001")
LOT = "L24A01"
EXPIRY = "2031-06-30"
SERIALS = [f"SN{n:04d}K" for n in range(25)]
ORGS = [
    # msp, role, name, GLN data digits
    ("MakerMSP", "manufacturer", "Rheinhafen Pharma AG", "761234500001"),
    ("WholesaleMSP", "distributor", "Main-Pharmahandel GmbH", "401234500001"),
    ("PharmacyAMSP", "pharmacy", "Apotheke am Markt", "402345600001"),
    ("PharmacyBMSP", "pharmacy", "Pharmacie du Centre", "341234500001"),
]
SHIPMENT_ID = re.compile(r"SHP-[0-9A-F]{24}")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def cli(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run `pharmatrace --data-dir <tmp> ARGS…` in-process; the environment cannot leak in."""
    for name in ("PHARMATRACE_DATA_DIR", "PHARMATRACE_DATABASE_URL", "PHARMATRACE_AS"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(app, ["--data-dir", str(data_dir), *args], input=stdin)

    return run


def ok(result: Result) -> Result:
    """The result, after asserting the command succeeded (its output shown if not)."""
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result


@dataclass(frozen=True)
class Chain:
    gtin: str
    lot: str
    serials: list[str]

    def code(self, serial: str, *, human: bool = False) -> str:
        pack = PackIdentifier(
            gtin=self.gtin, lot=self.lot, serial=serial, expiry=date.fromisoformat(EXPIRY)
        )
        return to_human_readable(pack) if human else to_element_string(pack)


def shipment_of(result: Result) -> str:
    match = SHIPMENT_ID.search(ok(result).stdout)
    assert match, result.stdout
    return match.group(0)


@pytest.fixture
def chain(cli: Cli, tmp_path: Path) -> Chain:
    ok(cli("init", "--regulator-msp", "AgencyMSP", "--name", "Medicines Agency",
           "--gln", with_check_digit("871234500001")))  # fmt: skip
    for msp, role, name, digits in ORGS:
        ok(cli("org", "register", "--msp", msp, "--name", name, "--role", role,
               "--gln", with_check_digit(digits)))  # fmt: skip
    ok(cli("product", "register", "--as", "MakerMSP", "--gtin", GTIN,
           "--name", "Amoxicillin 500 mg capsules, 20", "--form", "capsule"))  # fmt: skip
    serials_file = tmp_path / "serials.txt"
    serials_file.write_text("\n".join(SERIALS) + "\n")
    ok(cli("batch", "register", "--as", "MakerMSP", "--gtin", GTIN, "--lot", LOT,
           "--expiry", EXPIRY, "--serials-file", str(serials_file)))  # fmt: skip
    first = shipment_of(cli("ship", "--as", "MakerMSP", "--to", "WholesaleMSP",
                            "--line", f"{GTIN}:{LOT}:20"))  # fmt: skip
    ok(cli("receive", first, "--as", "WholesaleMSP"))
    second = shipment_of(cli("ship", "--as", "WholesaleMSP", "--to", "PharmacyAMSP",
                             "--line", f"{GTIN}:{LOT}:5"))  # fmt: skip
    ok(cli("receive", second, "--as", "PharmacyAMSP"))
    return Chain(GTIN, LOT, SERIALS)
