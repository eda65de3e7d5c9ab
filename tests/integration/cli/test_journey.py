"""A pack's whole journey through the `pharmatrace` command line, checked command by command."""

from __future__ import annotations

import json
import re

import pytest

from tests.integration.cli.conftest import Chain, Cli, ok

pytestmark = pytest.mark.integration


def test_given_a_supply_chain_when_a_pharmacy_works_a_pack_then_every_step_succeeds(
    cli: Cli, chain: Chain
) -> None:
    code = chain.code(chain.serials[0])

    verdict = ok(cli("verify", code, "--as", "PharmacyAMSP"))
    assert "GREEN · OK" in verdict.stdout

    dispensed = ok(cli("dispense", code, "--as", "PharmacyAMSP"))
    assert "now supplied" in dispensed.stdout

    again = json.loads(ok(cli("verify", code, "--as", "PharmacyAMSP", "--json")).stdout)
    assert (again["result"], again["light"]) == ("ALREADY_DISPENSED_HERE", "amber")

    undone = ok(cli("undo", code, "--as", "PharmacyAMSP"))
    assert "now active" in undone.stdout

    rebuilt = ok(cli("index", "rebuild"))
    assert rebuilt.stdout.startswith("ok")

    audited = ok(cli("ledger", "verify"))
    assert audited.stdout.startswith("ok")

    after_rebuild = json.loads(ok(cli("verify", code, "--as", "PharmacyAMSP", "--json")).stdout)
    assert (after_rebuild["result"], after_rebuild["custody"]["yours"]) == ("OK", 5)


def test_given_a_batch_when_shown_then_its_holders_and_quantities_are_listed(
    cli: Cli, chain: Chain
) -> None:
    shown = ok(cli("batch", "show", chain.gtin, chain.lot))

    assert re.search(r"MakerMSP\s*│\s*5\b", shown.stdout)
    assert re.search(r"WholesaleMSP\s*│\s*15\b", shown.stdout)
    assert re.search(r"PharmacyAMSP\s*│\s*5\b", shown.stdout)


def test_given_the_human_readable_form_or_a_typed_separator_when_verifying_then_both_read(
    cli: Cli, chain: Chain
) -> None:
    human = chain.code(chain.serials[1], human=True)
    typed = chain.code(chain.serials[1]).replace("\x1d", "\\x1d")

    for code in (human, typed):
        verdict = json.loads(ok(cli("verify", code, "--as", "PharmacyAMSP", "--json")).stdout)
        assert verdict["result"] == "OK"


def test_given_a_code_on_stdin_when_verifying_dash_then_it_is_read_from_the_scanner(
    cli: Cli, chain: Chain
) -> None:
    scanned = chain.code(chain.serials[2]) + "\n"

    verdict = json.loads(
        ok(cli("verify", "-", "--as", "PharmacyAMSP", "--json", stdin=scanned)).stdout
    )

    assert verdict["identifier"]["serial"] == chain.serials[2]


def test_given_a_pharmacy_without_stock_when_it_scans_then_red_and_dispensing_is_refused(
    cli: Cli, chain: Chain
) -> None:
    code = chain.code(chain.serials[3])

    verdict = json.loads(ok(cli("verify", code, "--as", "PharmacyBMSP", "--json")).stdout)
    refused = cli("dispense", code, "--as", "PharmacyBMSP")

    assert (verdict["result"], verdict["light"]) == ("NOT_IN_CUSTODY", "red")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error NOT_CUSTODIAN:")


def test_given_a_recall_when_the_pharmacy_scans_then_red_with_the_reason(
    cli: Cli, chain: Chain
) -> None:
    ok(cli("batch", "recall", chain.gtin, chain.lot, "--as", "MakerMSP",
           "--reason", "Sterility not assured"))  # fmt: skip

    verdict = json.loads(
        ok(cli("verify", chain.code(chain.serials[4]), "--as", "PharmacyAMSP", "--json")).stdout
    )

    assert (verdict["result"], verdict["light"]) == ("BATCH_RECALLED", "red")
    assert any("Sterility not assured" in reason for reason in verdict["reasons"])


def test_given_a_shipment_key_when_shipping_twice_then_only_one_shipment_is_recorded(
    cli: Cli, chain: Chain
) -> None:
    line = f"{chain.gtin}:{chain.lot}:2"
    first = ok(cli("ship", "--as", "WholesaleMSP", "--to", "PharmacyBMSP", "--line", line,
                   "--key", "order-77"))  # fmt: skip
    second = ok(cli("ship", "--as", "WholesaleMSP", "--to", "PharmacyBMSP", "--line", line,
                    "--key", "order-77"))  # fmt: skip

    assert "Already shipped" in second.stdout
    shipment_id = re.search(r"SHP-[0-9A-F]{24}", first.stdout)
    assert shipment_id
    assert shipment_id.group(0) in second.stdout
    shown = ok(cli("batch", "show", chain.gtin, chain.lot))
    assert re.search(r"WholesaleMSP\s*│\s*13\b", shown.stdout)


def test_given_a_receipt_short_of_the_shipment_when_received_then_a_discrepancy_is_recorded(
    cli: Cli, chain: Chain
) -> None:
    shipped = ok(cli("ship", "--as", "WholesaleMSP", "--to", "PharmacyBMSP",
                     "--line", f"{chain.gtin}:{chain.lot}:4"))  # fmt: skip
    shipment_id = re.search(r"SHP-[0-9A-F]{24}", shipped.stdout)
    assert shipment_id

    received = ok(cli("receive", shipment_id.group(0), "--as", "PharmacyBMSP",
                      "--counted", f"{chain.gtin}:{chain.lot}:3"))  # fmt: skip

    assert "received with discrepancy" in received.stdout


def test_given_a_registered_organization_when_creating_a_user_then_the_token_is_printed_once(
    cli: Cli, chain: Chain
) -> None:
    created = ok(cli("users", "create", "--msp", "PharmacyAMSP", "--user", "alice@apotheke"))

    assert re.fullmatch(r"pt_[A-Za-z0-9_-]{43}\n", created.stdout)
    assert "shown only this once" in created.stderr


def test_given_the_network_when_listing_then_organizations_and_products_appear(
    cli: Cli, chain: Chain
) -> None:
    organizations = ok(cli("org", "list")).stdout
    products = ok(cli("product", "list", "--manufacturer", "MakerMSP")).stdout

    for msp in ("AgencyMSP", "MakerMSP", "WholesaleMSP", "PharmacyAMSP", "PharmacyBMSP"):
        assert msp in organizations
    assert chain.gtin in products


def test_given_a_suspended_licence_when_the_pharmacy_dispenses_then_it_is_refused(
    cli: Cli, chain: Chain
) -> None:
    ok(cli("org", "licence", "PharmacyAMSP", "suspended", "--reason", "Inspection"))

    refused = cli("dispense", chain.code(chain.serials[5]), "--as", "PharmacyAMSP")

    assert refused.exit_code == 2
    assert refused.stderr.startswith("error ORGANIZATION_NOT_LICENSED:")


def test_given_an_initialised_directory_when_init_runs_again_then_nothing_changes(
    cli: Cli, chain: Chain
) -> None:
    again = ok(cli("init", "--regulator-msp", "AgencyMSP", "--name", "Medicines Agency",
                   "--gln", "8712345000011"))  # fmt: skip

    assert "Already initialised" in again.stdout


def test_given_a_quantity_when_registering_a_batch_then_serials_are_generated(
    cli: Cli, chain: Chain
) -> None:
    registered = ok(cli("batch", "register", "--as", "MakerMSP", "--gtin", chain.gtin,
                        "--lot", "GEN01", "--expiry", "2030-01-31",
                        "--quantity", "300"))  # fmt: skip

    assert "300 serials" in registered.stdout
