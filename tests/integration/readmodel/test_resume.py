"""An indexer crashing half-way through a block leaves none of it; a fresh one resumes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from services.ledger import ChaincodeEvent, SubmitResult
from services.ledger.embedded import EmbeddedLedger
from services.readmodel import projections
from services.readmodel.indexer import Indexer
from services.readmodel.tables import LedgerEvent, Shipment
from tests.integration.ledger.helpers import commit_in_one_block, ship_body, submit
from tests.integration.readmodel.support import dump, fresh_engine
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


class SimulatedCrashError(Exception):
    """Stands for the process dying in the middle of applying a block."""


def _embedded(net: SmallNetwork) -> EmbeddedLedger:
    assert isinstance(net.rt.ledger, EmbeddedLedger)
    return net.rt.ledger


def _three_ship_block(net: SmallNetwork) -> list[SubmitResult]:
    ledger, signer = _embedded(net), net.rt.identity
    results = commit_in_one_block(
        ledger,
        signer("RegulatorMSP"),
        [
            lambda msp=msp: submit(
                ledger,
                signer(msp),
                "Ship",
                ship_body(f"SHP-RESUME-{msp}", "PharmacyBMSP", net.gtin, net.lot, 1),
            )
            for msp in ("MakerMSP", "WholesaleMSP", "PharmacyAMSP")
        ],
        ordered=True,
    )
    assert all(isinstance(r, SubmitResult) for r in results), results
    return results


@pytest.mark.parametrize("failing_index", [0, 1, 2])
def test_given_a_crash_while_applying_a_block_when_a_fresh_indexer_resumes_then_tables_equal_a_clean_run(  # noqa: E501
    sqlite_scenario: SmallNetwork,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failing_index: int,
) -> None:
    net = sqlite_scenario
    shipped = _three_ship_block(net)
    block = shipped[0].block
    submit(
        _embedded(net),
        net.rt.identity("MakerMSP"),
        "Ship",
        ship_body("SHP-RESUME-AFTER", "WholesaleMSP", net.gtin, net.lot, 1),
    )
    events = net.rt.ledger.read_events(None, 100_000)
    crash_at = next(e for e in events if e.tx_id == shipped[failing_index].tx_id)
    previous = [e for e in events if e.block < block][-1].checkpoint
    engine = fresh_engine(f"sqlite:///{tmp_path / 'crashing.sqlite'}")
    original = projections.apply

    def crash_on_target(session: Session, event: ChaincodeEvent) -> None:
        if event.tx_id == crash_at.tx_id:
            raise SimulatedCrashError(event.checkpoint)
        original(session, event)

    monkeypatch.setattr(projections, "apply", crash_on_target)

    with pytest.raises(SimulatedCrashError):
        Indexer(net.rt.ledger, engine).catch_up()

    crashed = Indexer(net.rt.ledger, engine)
    assert crashed.checkpoint() == previous
    with Session(engine) as session:
        indexed_blocks = {row.block for row in session.exec(select(LedgerEvent))}
        half_shipments = session.exec(
            select(Shipment).where(col(Shipment.shipment_id).startswith("SHP-RESUME"))
        ).all()
    assert max(indexed_blocks) == previous.block
    assert half_shipments == []  # the events of the block before the crash were rolled back

    monkeypatch.setattr(projections, "apply", original)
    resumed = Indexer(net.rt.ledger, engine).catch_up()

    assert resumed == len([e for e in events if e.checkpoint > previous])
    clean = fresh_engine(f"sqlite:///{tmp_path / 'clean.sqlite'}")
    Indexer(net.rt.ledger, clean).catch_up()
    assert dump(engine) == dump(clean)
    assert crashed.checkpoint() == events[-1].checkpoint


def test_given_a_crash_mid_catch_up_when_the_same_indexer_retries_then_it_completes(
    sqlite_scenario: SmallNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transient failure (say the database was briefly locked) costs a retry, nothing more."""
    net = sqlite_scenario
    events = net.rt.ledger.read_events(None, 100_000)
    engine = fresh_engine(f"sqlite:///{tmp_path / 'retry.sqlite'}")
    indexer = Indexer(net.rt.ledger, engine)
    original = projections.apply
    calls = {"n": 0}

    def fail_once_at_tenth(session: Session, event: ChaincodeEvent) -> None:
        calls["n"] += 1
        if calls["n"] == 10:
            raise SimulatedCrashError(event.checkpoint)
        original(session, event)

    monkeypatch.setattr(projections, "apply", fail_once_at_tenth)

    with pytest.raises(SimulatedCrashError):
        indexer.catch_up()
    assert indexer.checkpoint() == events[8].checkpoint  # one event per block here
    applied_after_retry = indexer.catch_up()

    assert applied_after_retry == len(events) - 9
    assert dump(engine) == dump(net.rt.engine)
