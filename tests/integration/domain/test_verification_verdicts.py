"""Every verdict services/domain/verification.py can reach, with its light and the scan recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from services.domain import batches, packs, shipments
from services.gs1 import PackIdentifier, to_element_string
from services.runtime import Actor
from tests.integration.domain.support import scan
from tests.support.network import SmallNetwork, with_check_digit

pytestmark = pytest.mark.integration

GREEN, AMBER, RED = "green", "amber", "red"
UNREGISTERED_GTIN = with_check_digit("0950600099999")


def _code(net: SmallNetwork, **fields: object) -> str:
    values: dict[str, object] = {
        "gtin": net.gtin,
        "lot": net.lot,
        "serial": net.serials[5],
        "expiry": net.expiry,
    }
    values.update(fields)
    return to_element_string(PackIdentifier(**values))  # type: ignore[arg-type]


def test_given_an_authentic_pack_in_custody_when_the_pharmacy_scans_it_then_ok_green(
    network: SmallNetwork,
) -> None:
    verdict = scan(network, network.pharmacy_a, network.code(network.serials[5]))

    assert (verdict.result, verdict.light) == ("OK", GREEN)
    assert verdict.product is not None
    assert verdict.product["gtin"] == network.gtin
    assert verdict.batch is not None
    assert verdict.batch["status"] == "active"
    assert verdict.custody["yours"] == 10
    assert verdict.pack is None


def test_given_any_pack_when_the_regulator_scans_it_then_ok_without_custody_checks(
    network: SmallNetwork,
) -> None:
    verdict = scan(network, network.regulator, network.code(network.serials[5]))

    assert (verdict.result, verdict.light) == ("OK", GREEN)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("hello world", id="not-a-gs1-code"),
        pytest.param("01095060001343531728010510LOT001\x1d21SN0005X", id="bad-gtin-check-digit"),
        pytest.param("0109506000134352172801", id="truncated"),
    ],
)
def test_given_an_unreadable_code_when_scanned_then_invalid_code_amber(
    network: SmallNetwork, code: str
) -> None:
    verdict = scan(network, network.pharmacy_a, code)

    assert (verdict.result, verdict.light) == ("INVALID_CODE", AMBER)
    assert verdict.reasons


def test_given_a_linear_barcode_with_only_the_gtin_when_scanned_then_incomplete_code_amber(
    network: SmallNetwork,
) -> None:
    verdict = scan(network, network.pharmacy_a, network.gtin)

    assert (verdict.result, verdict.light) == ("INCOMPLETE_CODE", AMBER)
    assert verdict.identifier["gtin"] == network.gtin


Fields = Callable[[SmallNetwork], dict[str, object]]


@pytest.mark.parametrize(
    ("fields", "result", "also"),
    [
        pytest.param(
            lambda net: {"gtin": UNREGISTERED_GTIN}, "UNKNOWN_PRODUCT", [], id="unknown-product"
        ),
        pytest.param(
            lambda net: {"lot": "NOLOT9", "serial": "FAKE0001"},
            "UNKNOWN_BATCH",
            ["UNKNOWN_SERIAL"],
            id="unknown-batch",
        ),
        pytest.param(lambda net: {"serial": "FAKE0001"}, "UNKNOWN_SERIAL", [], id="unknown-serial"),
        pytest.param(lambda net: {"lot": "LOT999"}, "BATCH_MISMATCH", [], id="another-batch"),
        pytest.param(
            lambda net: {"expiry": net.expiry + timedelta(days=31)},
            "EXPIRY_MISMATCH",
            [],
            id="expiry-differs-from-registration",
        ),
    ],
)
def test_given_a_code_that_does_not_match_the_registration_when_scanned_then_red(
    network: SmallNetwork, fields: Fields, result: str, also: list[str]
) -> None:
    verdict = scan(network, network.pharmacy_a, _code(network, **fields(network)))

    assert (verdict.result, verdict.light) == (result, RED)
    assert len(verdict.reasons) == 1 + len(also)


@pytest.mark.parametrize(
    ("status", "result"),
    [
        ("recalled", "BATCH_RECALLED"),
        ("withdrawn", "BATCH_WITHDRAWN"),
        ("quarantined", "BATCH_QUARANTINED"),
    ],
)
def test_given_a_batch_taken_off_the_market_when_a_pack_is_scanned_then_red_with_the_reason(
    network: SmallNetwork, status: str, result: str
) -> None:
    batches.change_batch_status(
        network.rt,
        actor=network.maker,
        gtin=network.gtin,
        lot=network.lot,
        status=status,
        reason="Sterility concern",
    )

    verdict = scan(network, network.pharmacy_a, network.code(network.serials[5]))

    assert (verdict.result, verdict.light) == (result, RED)
    assert "Sterility concern" in verdict.reasons[0]


def test_given_the_expiry_date_passed_when_a_pack_is_scanned_then_pack_expired_red(
    network: SmallNetwork,
) -> None:
    network.clock.advance(days=(network.expiry - network.clock.now.date()).days + 1)

    verdict = scan(network, network.pharmacy_a, network.code(network.serials[5]))

    assert (verdict.result, verdict.light) == ("PACK_EXPIRED", RED)


def test_given_a_pack_dispensed_here_when_rescanned_then_amber_until_the_tolerance_then_red(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[5])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=code)

    verdicts = [scan(network, network.pharmacy_a, code) for _ in range(3)]

    assert [(v.result, v.light) for v in verdicts] == [
        ("ALREADY_DISPENSED_HERE", AMBER),
        ("ALREADY_DISPENSED_HERE", AMBER),
        ("ALREADY_DISPENSED", RED),
    ]
    assert verdicts[0].pack is not None
    assert verdicts[0].pack["status"] == "supplied"
    assert "scanned 2 times" in verdicts[2].reasons[0]


def test_given_a_pack_dispensed_here_when_rescanned_after_the_undo_window_then_already_dispensed(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[5])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=code)
    network.clock.advance(days=10, hours=1)

    verdict = scan(network, network.pharmacy_a, code)

    assert (verdict.result, verdict.light) == ("ALREADY_DISPENSED", RED)


@pytest.mark.parametrize("scanner", ["pharmacy_b", "wholesaler"])
def test_given_a_pack_dispensed_elsewhere_when_scanned_then_already_dispensed_red(
    network: SmallNetwork, scanner: str
) -> None:
    code = network.code(network.serials[5])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=code)
    actor: Actor = getattr(network, scanner)

    verdict = scan(network, actor, code)

    assert (verdict.result, verdict.light) == ("ALREADY_DISPENSED", RED)
    assert "PharmacyAMSP" in verdict.reasons[0]


def test_given_a_pack_decommissioned_as_destroyed_when_scanned_then_pack_inactive_red(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[5])
    packs.decommission(network.rt, actor=network.wholesaler, code=code, status="destroyed")

    verdict = scan(network, network.pharmacy_a, code)

    assert (verdict.result, verdict.light) == ("PACK_INACTIVE", RED)
    assert "destroyed" in verdict.reasons[0]


def test_given_a_shipment_in_transit_to_the_pharmacy_when_it_scans_a_pack_then_not_received_amber(
    network: SmallNetwork,
) -> None:
    line = shipments.ShipmentLineRequest(gtin=network.gtin, lot=network.lot, quantity=2)
    shipped = shipments.ship(
        network.rt, actor=network.wholesaler, receiver="PharmacyBMSP", lines=[line]
    )

    verdict = scan(network, network.pharmacy_b, network.code(network.serials[5]))

    assert (verdict.result, verdict.light) == ("NOT_RECEIVED", AMBER)
    assert shipped.record["shipment_id"] in verdict.reasons[0]


def test_given_no_shipment_to_the_pharmacy_when_it_scans_a_pack_then_not_in_custody_red(
    network: SmallNetwork,
) -> None:
    verdict = scan(network, network.pharmacy_b, network.code(network.serials[5]))

    assert (verdict.result, verdict.light) == ("NOT_IN_CUSTODY", RED)
    assert verdict.custody["yours"] == 0


def test_given_several_findings_when_scanned_then_the_worst_light_wins_and_all_reasons_are_kept(
    network: SmallNetwork,
) -> None:
    batches.change_batch_status(
        network.rt,
        actor=network.maker,
        gtin=network.gtin,
        lot=network.lot,
        status="recalled",
        reason="Contamination",
    )
    network.clock.advance(days=(network.expiry - network.clock.now.date()).days + 1)

    verdict = scan(network, network.pharmacy_b, network.code(network.serials[5]))

    assert (verdict.result, verdict.light) == ("BATCH_RECALLED", RED)
    assert len(verdict.reasons) == 3  # recalled, expired, not in custody


def test_given_a_pharmacy_that_dispensed_all_it_received_when_it_scans_one_more_then_quantity_exceeded(  # noqa: E501
    network: SmallNetwork,
) -> None:
    for serial in network.serials[:10]:  # pharmacy A received 10 packs of the batch
        packs.decommission(network.rt, actor=network.pharmacy_a, code=network.code(serial))

    verdict = scan(network, network.pharmacy_a, network.code(network.serials[10]))

    assert (verdict.result, verdict.light) == ("QUANTITY_EXCEEDED", RED)
    assert "received 10 packs" in verdict.reasons[0]
    assert verdict.custody["yours"] == 0
