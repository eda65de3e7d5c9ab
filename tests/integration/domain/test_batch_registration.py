"""Batch registration (services/domain/batches.py): retry-safe, serials unique per product.

The module documents: "A crash in between leaves a token without its list; the retried
registration sees BATCH_EXISTS with the same root and completes the store, so retries are safe
and a failed registration never leaves serials behind." So a second call with the same serials
succeeds idempotently; with different serials it is BATCH_EXISTS.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from services.domain import batches, products
from services.errors import PharmaTraceError
from services.readmodel.tables import Batch, SerialNumber
from services.serials import SerialStore
from tests.integration.domain.support import scan
from tests.support.network import SmallNetwork, with_check_digit

pytestmark = pytest.mark.integration

LOT2 = "LOT002"
LOT2_SERIALS = [f"NEW{i:04d}Q" for i in range(8)]


def _serial_rows(net: SmallNetwork, gtin: str | None = None) -> list[tuple[str, str, str, int]]:
    with net.rt.session() as session:
        rows = session.exec(select(SerialNumber).where(SerialNumber.gtin == (gtin or net.gtin)))
        return sorted((r.gtin, r.lot, r.serial, r.leaf_index) for r in rows)


def _register(net: SmallNetwork, serials: list[str], lot: str = LOT2) -> batches.RegisteredBatch:
    return batches.register_batch(
        net.rt, actor=net.maker, gtin=net.gtin, lot=lot, expiry=net.expiry, serials=serials
    )


def _ledger_batch(net: SmallNetwork, lot: str) -> dict[str, object] | None:
    try:
        result: dict[str, object] = net.rt.evaluate(
            "MakerMSP", "GetBatch", {"gtin": net.gtin, "lot": lot}
        )
    except PharmaTraceError as exc:
        if exc.code != "UNKNOWN_BATCH":
            raise
        return None
    return result


def test_given_a_registered_batch_when_registered_again_with_the_same_serials_then_it_succeeds_idempotently(  # noqa: E501
    network: SmallNetwork,
) -> None:
    first = _register(network, LOT2_SERIALS)
    rows = _serial_rows(network)
    height = network.rt.ledger.height()

    again = _register(network, list(reversed(LOT2_SERIALS)))  # order does not matter

    assert (again.gtin, again.lot, again.quantity, again.merkle_root) == (
        first.gtin,
        first.lot,
        first.quantity,
        first.merkle_root,
    )
    assert again.tx_id == first.tx_id  # the original registration, not a new one
    assert network.rt.ledger.height() == height  # nothing new on the ledger
    assert _serial_rows(network) == rows  # no serial row duplicated
    assert len([r for r in rows if r[1] == LOT2]) == len(LOT2_SERIALS)


def test_given_a_crash_after_the_token_committed_when_the_registration_is_retried_then_the_serials_are_stored(  # noqa: E501
    network: SmallNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: SerialStore, gtin: str, lot: str, prepared: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(SerialStore, "save", crash)
        with pytest.raises(OSError, match="disk full"):
            _register(network, LOT2_SERIALS)
    assert _ledger_batch(network, LOT2) is not None  # the token is on the ledger...
    assert [r for r in _serial_rows(network) if r[1] == LOT2] == []  # ...its serials are not
    with network.rt.session() as session:
        token_tx = session.get(Batch, (network.gtin, LOT2))
    assert token_tx is not None

    retried = _register(network, LOT2_SERIALS)

    assert retried.tx_id == token_tx.tx_id
    stored = [r for r in _serial_rows(network) if r[1] == LOT2]
    assert [r[2] for r in stored] == sorted(LOT2_SERIALS)
    assert [r[3] for r in stored] == list(range(len(LOT2_SERIALS)))
    verdict = scan(network, network.maker, network.code(LOT2_SERIALS[0], lot=LOT2))
    assert verdict.result == "OK"  # the serial is known and provable again


def test_given_a_registered_batch_when_registered_again_with_other_serials_then_batch_exists_and_serials_stay(  # noqa: E501
    network: SmallNetwork,
) -> None:
    _register(network, LOT2_SERIALS)
    rows = _serial_rows(network)
    root = _ledger_batch(network, LOT2)

    with pytest.raises(PharmaTraceError) as refused:
        _register(network, [f"OTHER{i:03d}" for i in range(8)])

    assert refused.value.code == "BATCH_EXISTS"
    assert refused.value.status == 409
    assert _serial_rows(network) == rows
    assert _ledger_batch(network, LOT2) == root


def test_given_serials_of_an_existing_lot_when_a_new_lot_of_the_same_gtin_reuses_one_then_serial_reused(  # noqa: E501
    network: SmallNetwork,
) -> None:
    rows = _serial_rows(network)
    height = network.rt.ledger.height()
    reusing = [*LOT2_SERIALS, network.serials[3]]

    with pytest.raises(PharmaTraceError) as refused:
        _register(network, reusing)

    assert refused.value.code == "SERIAL_REUSED"
    assert network.serials[3] in refused.value.message
    assert network.rt.ledger.height() == height  # refused before the ledger
    assert _ledger_batch(network, LOT2) is None
    assert _serial_rows(network) == rows


def test_given_serials_of_one_product_when_another_product_uses_the_same_serials_then_it_is_allowed(
    network: SmallNetwork,
) -> None:
    """EU FMD: serials are unique per product code, not across products."""
    other_gtin = with_check_digit("0950600013436")
    products.register_product(network.rt, actor=network.maker, gtin=other_gtin, name="Ibuprofen")

    registered = batches.register_batch(
        network.rt,
        actor=network.maker,
        gtin=other_gtin,
        lot=network.lot,
        expiry=network.expiry,
        serials=network.serials[:5],
    )

    assert registered.quantity == 5
    assert [r[2] for r in _serial_rows(network, other_gtin)] == sorted(network.serials[:5])
    assert len(_serial_rows(network)) == len(network.serials)


@pytest.mark.parametrize(
    ("serials", "code"),
    [
        pytest.param([], "INVALID_SERIALS", id="empty"),
        pytest.param(["DUP1", "DUP1"], "INVALID_SERIALS", id="duplicate-serials"),
    ],
)
def test_given_an_invalid_serial_list_when_registered_then_refused_and_nothing_stored(
    network: SmallNetwork, serials: list[str], code: str
) -> None:
    height = network.rt.ledger.height()
    rows = _serial_rows(network)

    with pytest.raises(PharmaTraceError) as refused:
        _register(network, serials)

    assert refused.value.code == code
    assert network.rt.ledger.height() == height
    assert _serial_rows(network) == rows


def test_given_generated_serials_and_a_crash_after_the_token_committed_when_retried_then_the_registration_completes(  # noqa: E501
    network: SmallNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: SerialStore, gtin: str, lot: str, prepared: object) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(SerialStore, "save", crash)
        with pytest.raises(OSError, match="disk full"):
            batches.register_batch(
                network.rt,
                actor=network.maker,
                gtin=network.gtin,
                lot="GEN1",
                expiry=network.expiry,
                quantity=5,
            )

    retried = batches.register_batch(
        network.rt,
        actor=network.maker,
        gtin=network.gtin,
        lot="GEN1",
        expiry=network.expiry,
        quantity=5,
    )

    assert retried.quantity == 5
    assert len([r for r in _serial_rows(network) if r[1] == "GEN1"]) == 5


def test_given_a_completed_generated_batch_when_registered_again_then_same_answer_and_nothing_left_staged(  # noqa: E501
    network: SmallNetwork,
) -> None:
    first = batches.register_batch(
        network.rt,
        actor=network.maker,
        gtin=network.gtin,
        lot="GEN-1",
        expiry=network.expiry,
        quantity=5,
    )
    height = network.rt.ledger.height()

    again = batches.register_batch(
        network.rt,
        actor=network.maker,
        gtin=network.gtin,
        lot="GEN-1",
        expiry=network.expiry,
        quantity=5,
    )

    assert (again.tx_id, again.merkle_root, again.block) == (
        first.tx_id,
        first.merkle_root,
        first.block,
    )
    assert network.rt.ledger.height() == height
    assert network.rt.serials.staged(network.gtin, "GEN-1") is None


def test_given_a_completed_generated_batch_when_registered_with_another_quantity_then_batch_exists(
    network: SmallNetwork,
) -> None:
    batches.register_batch(
        network.rt,
        actor=network.maker,
        gtin=network.gtin,
        lot="GEN-2",
        expiry=network.expiry,
        quantity=5,
    )

    with pytest.raises(PharmaTraceError) as caught:
        batches.register_batch(
            network.rt,
            actor=network.maker,
            gtin=network.gtin,
            lot="GEN-2",
            expiry=network.expiry,
            quantity=6,
        )

    assert caught.value.code == "BATCH_EXISTS"
    assert network.rt.serials.staged(network.gtin, "GEN-2") is None
