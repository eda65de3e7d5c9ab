"""How the CLI fails: one red `error CODE: message` line, a meaningful exit status, no traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import Result

from services.errors import PharmaTraceError
from tests.integration.cli.conftest import Chain, Cli

pytestmark = pytest.mark.integration


def assert_one_line_error(result: Result, code: str, status: int = 2) -> None:
    assert result.exit_code == status, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error {code}:"), lines[0]
    assert "Traceback" not in result.output


def test_given_a_gtin_with_a_wrong_check_digit_when_registering_then_exit_2(
    cli: Cli, chain: Chain
) -> None:
    bad = chain.gtin[:-1] + str((int(chain.gtin[-1]) + 1) % 10)

    result = cli("product", "register", "--as", "MakerMSP", "--gtin", bad, "--name", "X")

    assert_one_line_error(result, "INVALID_GTIN")


def test_given_an_unknown_organization_when_acting_as_it_then_exit_2(
    cli: Cli, chain: Chain
) -> None:
    result = cli("product", "register", "--as", "NobodyMSP", "--gtin", chain.gtin, "--name", "X")

    assert_one_line_error(result, "UNKNOWN_ORGANIZATION")


def test_given_a_pharmacy_when_it_registers_a_product_then_its_role_is_refused(
    cli: Cli, chain: Chain
) -> None:
    result = cli(
        "product", "register", "--as", "PharmacyAMSP", "--gtin", "09506000134352", "--name", "X"
    )

    assert_one_line_error(result, "FORBIDDEN_ROLE")


def test_given_a_bad_gln_when_registering_an_organization_then_exit_2(
    cli: Cli, chain: Chain
) -> None:
    result = cli("org", "register", "--msp", "XMSP", "--name", "X", "--role", "pharmacy",
                 "--gln", "4023456000018")  # fmt: skip

    assert_one_line_error(result, "INVALID_GLN")


def test_given_both_a_serials_file_and_a_quantity_when_registering_a_batch_then_exit_2(
    cli: Cli, chain: Chain, tmp_path: Path
) -> None:
    serials = tmp_path / "more.txt"
    serials.write_text("A1\nA2\n")

    result = cli("batch", "register", "--as", "MakerMSP", "--gtin", chain.gtin, "--lot", "X1",
                 "--expiry", "2030-01-01", "--serials-file", str(serials),
                 "--quantity", "5")  # fmt: skip

    assert_one_line_error(result, "INVALID_ARGUMENT")


def test_given_an_unreadable_code_when_dispensing_then_exit_2(cli: Cli, chain: Chain) -> None:
    result = cli("dispense", "not a code", "--as", "PharmacyAMSP")

    assert_one_line_error(result, "INVALID_CODE")


def test_given_a_ledger_outage_when_a_command_runs_then_exit_3_retryable(
    cli: Cli, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*_args: object, **_kwargs: object) -> None:
        raise PharmaTraceError(
            "LEDGER_UNAVAILABLE", "The ledger cannot be reached.", retryable=True
        )

    monkeypatch.setattr("services.domain.packs.decommission", unavailable)

    result = cli("dispense", chain.code(chain.serials[0]), "--as", "PharmacyAMSP")

    assert_one_line_error(result, "LEDGER_UNAVAILABLE", status=3)


def test_given_a_bug_when_a_command_runs_then_exit_1_with_one_line(
    cli: Cli, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("services.cli.products.list_products", broken)

    result = cli("product", "list")

    assert_one_line_error(result, "UNEXPECTED", status=1)
    assert "RuntimeError: boom" in result.stderr
    assert "--debug" in result.stderr


def test_given_debug_when_a_bug_surfaces_then_the_exception_propagates(
    cli: Cli, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("services.cli.products.list_products", broken)

    result = cli("--debug", "product", "list")

    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)


def test_given_a_tampered_transaction_when_auditing_the_ledger_then_the_broken_block_is_named(
    cli: Cli, chain: Chain, data_dir: Path
) -> None:
    ledger = sqlite3.connect(data_dir / "ledger.sqlite")
    with ledger:
        block, tx_index, envelope = ledger.execute(
            "SELECT block, tx_index, envelope FROM transactions WHERE block = 4"
        ).fetchone()
        tampered = bytearray(envelope)
        tampered[len(tampered) // 2] ^= 0x01  # one bit of one byte
        ledger.execute(
            "UPDATE transactions SET envelope = ? WHERE block = ? AND tx_index = ?",
            (bytes(tampered), block, tx_index),
        )
    ledger.close()

    result = cli("ledger", "verify")

    assert_one_line_error(result, "LEDGER_BROKEN", status=4)
    assert "block 4:" in result.stderr
    assert "data hash" in result.stderr


def test_given_no_ledger_when_verifying_then_exit_2(cli: Cli) -> None:
    result = cli("ledger", "verify")

    assert_one_line_error(result, "NO_LEDGER")


def test_given_an_unknown_option_when_invoked_then_click_reports_a_usage_error(cli: Cli) -> None:
    result = cli("verify", "--bogus")

    assert result.exit_code == 2
    assert "Traceback" not in result.output
