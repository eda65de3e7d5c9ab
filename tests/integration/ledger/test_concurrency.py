"""Many threads submitting at once: everything commits, blocks batch, balances add up."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from sqlmodel import func, select

from services.identity import OrgIdentity
from services.ledger import SubmitResult
from services.ledger.embedded import EmbeddedLedger, verify_chain
from services.readmodel.tables import Holding, Shipment
from tests.integration.ledger.helpers import evaluate, ledger_rows, ship_body, submit
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

THREADS = 8
SHIPS_PER_THREAD = 50
BATCH_QUANTITY = 1_000
RECEIVERS = ("WholesaleMSP", "PharmacyAMSP", "PharmacyBMSP")

Signer = Callable[[str], OrgIdentity]


def _quantity(ship_number: int) -> int:
    return 1 + ship_number % 4


def _register_batches(network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer) -> list[str]:
    lots = [f"LOT-T{thread}" for thread in range(THREADS)]
    for lot in lots:
        submit(
            ledger,
            signer("MakerMSP"),
            "RegisterBatch",
            {
                "gtin": network.gtin,
                "lot": lot,
                "expiry": "2028-06-30",
                "quantity": BATCH_QUANTITY,
                "merkle_root": "ab" * 32,
            },
        )
    return lots


def test_given_8_threads_shipping_distinct_batches_when_each_submits_50_then_all_commit_in_batched_blocks(  # noqa: E501
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer
) -> None:
    lots = _register_batches(network, ledger, signer)
    maker = signer("MakerMSP")
    results: dict[str, list[SubmitResult]] = {lot: [] for lot in lots}
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def ship_many(lot: str) -> None:
        start.wait()
        try:
            for number in range(SHIPS_PER_THREAD):
                body = ship_body(
                    f"SHP-{lot}-{number:03d}",
                    RECEIVERS[number % len(RECEIVERS)],
                    network.gtin,
                    lot,
                    _quantity(number),
                )
                results[lot].append(submit(ledger, maker, "Ship", body))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=ship_many, args=(lot,)) for lot in lots]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)
    elapsed = time.monotonic() - began

    assert failures == []
    committed = [r for rs in results.values() for r in rs]
    assert len(committed) == THREADS * SHIPS_PER_THREAD
    assert len({r.tx_id for r in committed}) == len(committed)
    per_block = Counter(r.block for r in committed)
    print(
        f"\n{len(committed)} ships from {THREADS} threads in {elapsed:.2f} s: "
        f"{len(per_block)} blocks, largest {max(per_block.values())} transactions"
    )
    assert len(per_block) < len(committed), "every block held one transaction: no batching"
    assert max(per_block.values()) >= 2
    for block, count in per_block.items():
        assert ledger_rows(
            ledger.path, "SELECT tx_count FROM blocks WHERE number = ?", (block,)
        ) == [(count,)]
    statuses = ledger_rows(ledger.path, "SELECT DISTINCT validation FROM transactions")
    assert statuses == [("VALID",)]
    assert verify_chain(ledger.path).ok

    shipped = sum(_quantity(n) for n in range(SHIPS_PER_THREAD))
    for lot in lots:
        batch = evaluate(ledger, maker, "GetBatch", {"gtin": network.gtin, "lot": lot})
        assert batch["holdings"] == [{"msp_id": "MakerMSP", "quantity": BATCH_QUANTITY - shipped}]

    network.rt.indexer.catch_up()
    with network.rt.session() as session:
        maker_rows = session.exec(select(Holding).where(Holding.msp_id == "MakerMSP")).all()
        in_transit = session.exec(
            select(func.count()).select_from(Shipment).where(Shipment.status == "in_transit")
        ).one()
    assert {h.lot: h.quantity for h in maker_rows if h.lot in lots} == dict.fromkeys(
        lots, BATCH_QUANTITY - shipped
    )
    assert in_transit == THREADS * SHIPS_PER_THREAD
