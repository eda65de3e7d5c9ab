"""Dispensing (decommissioning) a pack and undoing it, through services/domain/packs.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.domain import batches, packs
from services.errors import PharmaTraceError
from services.readmodel.tables import Holding
from services.runtime import Actor
from tests.support.network import SmallNetwork, with_check_digit

pytestmark = pytest.mark.integration


def _held(net: SmallNetwork, msp_id: str) -> int:
    with net.rt.session() as session:
        row = session.get(Holding, (net.gtin, net.lot, msp_id))
    return row.quantity if row else 0


def _status(net: SmallNetwork, serial: str) -> str:
    pack = packs.get_pack(net.rt, net.gtin, serial)
    return pack.status if pack else "active (never changed)"


def _refused(expected: str, call: Callable[[], object]) -> PharmaTraceError:
    with pytest.raises(PharmaTraceError) as refused:
        call()
    assert refused.value.code == expected, refused.value
    return refused.value


def test_given_a_pack_in_stock_when_dispensed_then_it_is_supplied_here_and_stock_drops(
    network: SmallNetwork,
) -> None:
    serial = network.serials[3]

    committed = packs.decommission(network.rt, actor=network.pharmacy_a, code=network.code(serial))

    pack = packs.get_pack(network.rt, network.gtin, serial)
    assert pack is not None
    assert (pack.status, pack.msp_id, pack.location) == (
        "supplied",
        "PharmacyAMSP",
        network.pharmacy_a.location,
    )
    assert pack.tx_id == committed.tx_id
    assert _held(network, "PharmacyAMSP") == 9
    assert [p.serial for p in packs.list_packs(network.rt, msp_id="PharmacyAMSP")] == [serial]


def test_given_a_dispensed_pack_when_undone_within_the_window_then_it_is_active_and_back_in_stock(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[3])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=code)
    network.clock.advance(days=9, hours=23)

    packs.undo(network.rt, actor=network.pharmacy_a, code=code)

    pack = packs.get_pack(network.rt, network.gtin, network.serials[3])
    assert pack is not None
    assert (pack.status, pack.undone_status) == ("active", "supplied")
    assert _held(network, "PharmacyAMSP") == 10
    again = packs.decommission(network.rt, actor=network.pharmacy_a, code=code)
    assert again.record["status"] == "supplied"


def test_given_a_dispensed_pack_when_undone_after_10_days_then_refused_and_nothing_changes(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[3])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=code)
    network.clock.advance(days=10, seconds=1)

    error = _refused(
        "UNDO_TOO_LATE", lambda: packs.undo(network.rt, actor=network.pharmacy_a, code=code)
    )

    assert error.status == 409
    assert error.tx_id
    assert _status(network, network.serials[3]) == "supplied"
    assert _held(network, "PharmacyAMSP") == 9


def test_given_a_pack_dispensed_by_one_pharmacy_when_another_undoes_it_then_refused(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[3])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=code)

    _refused(
        "UNDO_BY_OTHER_ORGANIZATION",
        lambda: packs.undo(network.rt, actor=network.pharmacy_b, code=code),
    )
    assert _status(network, network.serials[3]) == "supplied"


def test_given_a_dispensed_pack_when_undone_from_premises_not_registered_then_refused(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[3])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=code)
    elsewhere = Actor(
        "PharmacyAMSP", "pharmacy", "user@PharmacyAMSP", with_check_digit("400123499999")
    )

    _refused("NOT_OWN_PREMISES", lambda: packs.undo(network.rt, actor=elsewhere, code=code))
    assert _status(network, network.serials[3]) == "supplied"


def test_given_an_active_pack_when_undone_then_refused_as_pack_active(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[3])

    _refused("PACK_ACTIVE", lambda: packs.undo(network.rt, actor=network.pharmacy_a, code=code))


def test_given_a_dispensed_pack_when_dispensed_again_then_already_dispensed(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[3])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=code)

    _refused(
        "ALREADY_DISPENSED",
        lambda: packs.decommission(network.rt, actor=network.pharmacy_a, code=code),
    )
    assert _held(network, "PharmacyAMSP") == 9


def test_given_a_destroyed_pack_when_undone_then_refused_as_irreversible(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[3])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=code, status="destroyed")

    _refused(
        "UNDO_NOT_ALLOWED", lambda: packs.undo(network.rt, actor=network.pharmacy_a, code=code)
    )
    assert _status(network, network.serials[3]) == "destroyed"


def test_given_a_pharmacy_without_stock_when_it_dispenses_then_not_custodian(
    network: SmallNetwork,
) -> None:
    code = network.code(network.serials[3])

    _refused(
        "NOT_CUSTODIAN", lambda: packs.decommission(network.rt, actor=network.pharmacy_b, code=code)
    )
    assert _status(network, network.serials[3]) == "active (never changed)"


def test_given_a_recalled_batch_when_a_pack_is_dispensed_or_a_dispense_undone_then_refused(
    network: SmallNetwork,
) -> None:
    dispensed = network.code(network.serials[3])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=dispensed)
    batches.change_batch_status(
        network.rt,
        actor=network.maker,
        gtin=network.gtin,
        lot=network.lot,
        status="recalled",
        reason="Contamination",
    )

    _refused(
        "BATCH_RECALLED",
        lambda: packs.decommission(
            network.rt, actor=network.pharmacy_a, code=network.code(network.serials[4])
        ),
    )
    _refused(
        "BATCH_RECALLED", lambda: packs.undo(network.rt, actor=network.pharmacy_a, code=dispensed)
    )
    assert _status(network, network.serials[3]) == "supplied"


def test_given_a_quarantined_batch_when_a_dispense_is_undone_then_it_is_allowed(
    network: SmallNetwork,
) -> None:
    """EU FMD: no undo from recalled, withdrawn or expired; a quarantine may still be lifted."""
    code = network.code(network.serials[3])
    packs.decommission(network.rt, actor=network.pharmacy_a, code=code)
    batches.change_batch_status(
        network.rt,
        actor=network.maker,
        gtin=network.gtin,
        lot=network.lot,
        status="quarantined",
        reason="Temperature excursion",
    )

    packs.undo(network.rt, actor=network.pharmacy_a, code=code)

    assert _status(network, network.serials[3]) == "active"


@pytest.mark.parametrize(
    ("code", "error", "status"),
    [
        pytest.param("not a code", "INVALID_CODE", 422, id="unreadable"),
        pytest.param("09506000134352", "INCOMPLETE_CODE", 422, id="gtin-only"),
        pytest.param("unknown-serial", "UNKNOWN_SERIAL", 404, id="unknown-serial"),
        pytest.param("other-lot", "BATCH_MISMATCH", 422, id="serial-of-another-lot"),
    ],
)
def test_given_a_code_that_names_no_registered_pack_when_dispensed_then_refused_before_the_ledger(
    network: SmallNetwork, code: str, error: str, status: int
) -> None:
    if code == "unknown-serial":
        code = network.code("NOSUCH01")
    elif code == "other-lot":
        code = network.code(network.serials[3], lot="LOT999")
    height = network.rt.ledger.height()

    refused = _refused(
        error, lambda: packs.decommission(network.rt, actor=network.pharmacy_a, code=code)
    )

    assert refused.status == status
    assert network.rt.ledger.height() == height
