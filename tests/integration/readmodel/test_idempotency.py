"""The indexer is idempotent: the same events twice change nothing, two indexers never overlap."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import delete
from sqlmodel import Session

from services.ledger import ChaincodeEvent, Checkpoint
from services.readmodel import projections
from services.readmodel.db import writer
from services.readmodel.indexer import Indexer
from services.readmodel.tables import IndexCheckpoint
from tests.integration.readmodel.support import dump, fresh_engine
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

FOLLOWED_SHIPS = 15


def test_given_an_indexed_read_model_when_its_checkpoint_is_lost_and_it_catches_up_again_then_tables_are_identical(  # noqa: E501
    scenario: SmallNetwork,
) -> None:
    rt = scenario.rt
    before = dump(rt.engine)
    with Session(writer(rt.engine)) as session:
        session.execute(delete(IndexCheckpoint))
        session.commit()

    applied = rt.indexer.catch_up()

    assert applied == len(rt.ledger.read_events(None, 100_000))
    assert dump(rt.engine) == before


def test_given_events_applied_when_every_event_is_applied_a_second_time_then_tables_are_identical(
    sqlite_scenario: SmallNetwork,
) -> None:
    rt = sqlite_scenario.rt
    before = dump(rt.engine)

    with Session(writer(rt.engine)) as session:
        for event in rt.ledger.read_events(None, 100_000):
            projections.apply(session, event)
        session.commit()

    assert dump(rt.engine) == before


def test_given_a_caught_up_indexer_when_it_catches_up_again_then_nothing_is_applied(
    sqlite_scenario: SmallNetwork,
) -> None:
    rt = sqlite_scenario.rt
    before = dump(rt.engine)
    last = rt.ledger.read_events(None, 100_000)[-1].checkpoint

    assert rt.indexer.catch_up() == 0
    assert rt.indexer.checkpoint() == last
    assert dump(rt.engine) == before


@pytest.fixture
def slow_counted_apply(monkeypatch: pytest.MonkeyPatch) -> Counter[Checkpoint]:
    """projections.apply counts every application; each thread's first one is slow, to keep
    the two indexers inside the same block for a while."""
    applications: Counter[Checkpoint] = Counter()
    lock = threading.Lock()
    slowed: set[int] = set()
    original = projections.apply

    def counted(session: Session, event: ChaincodeEvent) -> None:
        with lock:
            applications[event.checkpoint] += 1
            first = threading.get_ident() not in slowed
            slowed.add(threading.get_ident())
        if first:
            time.sleep(0.3)
        original(session, event)

    monkeypatch.setattr(projections, "apply", counted)
    return applications


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgres",
            id="postgres",
            marks=[pytest.mark.postgres],
        ),
    ],
    indirect=True,
)
def test_given_two_indexers_on_one_empty_read_model_when_they_catch_up_concurrently_then_no_event_is_applied_twice(  # noqa: E501
    sqlite_scenario: SmallNetwork,
    database_url: str,
    slow_counted_apply: Counter[Checkpoint],
) -> None:
    ledger = sqlite_scenario.rt.ledger
    events = ledger.read_events(None, 100_000)
    indexers = [Indexer(ledger, fresh_engine(database_url)) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def catch_up(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = indexers[index].catch_up()
        except Exception as exc:  # the outcome under test
            outcomes[index] = exc

    threads = [threading.Thread(target=catch_up, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    try:
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert sum(o for o in outcomes if isinstance(o, int)) == len(events)
        assert max(slow_counted_apply.values()) == 1, "an event was applied twice"
        assert set(slow_counted_apply) == {e.checkpoint for e in events}
        assert indexers[0].checkpoint() == events[-1].checkpoint
        if database_url.startswith("sqlite"):  # and the tables equal a single indexer's
            clean = fresh_engine(database_url.replace("readmodel.sqlite", "clean.sqlite"))
            Indexer(ledger, clean).catch_up()
            assert dump(indexers[0].engine) == dump(clean)
    finally:
        for indexer in indexers:
            indexer.engine.dispose()


def test_given_two_indexers_on_one_read_model_when_both_follow_new_blocks_then_each_event_is_applied_once(  # noqa: E501
    sqlite_scenario: SmallNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steady state: both indexers (say the server and a CLI) catch up repeatedly while blocks
    keep coming; the checkpoint re-read under SQLite's write lock keeps them from overlapping."""
    rt = sqlite_scenario.rt
    applications: Counter[Checkpoint] = Counter()
    lock = threading.Lock()
    original = projections.apply

    def counted(session: Session, event: ChaincodeEvent) -> None:
        with lock:
            applications[event.checkpoint] += 1
        original(session, event)

    monkeypatch.setattr(projections, "apply", counted)
    url = str(rt.engine.url)
    other = Indexer(rt.ledger, fresh_engine(url))
    stop = threading.Event()
    followers = [
        threading.Thread(target=indexer.follow, args=(stop, 0.001))
        for indexer in (rt.indexer, other)
    ]
    for follower in followers:
        follower.start()
    contract = rt.ledger.contract(rt.identity("MakerMSP"))
    for number in range(FOLLOWED_SHIPS):  # the maker holds 20 units of LOT001
        body = {
            "shipment_id": f"SHP-FOLLOW-{number}",
            "receiver": "WholesaleMSP",
            "lines": [{"gtin": sqlite_scenario.gtin, "lot": "LOT001", "quantity": 1}],
        }
        contract.submit("Ship", json.dumps(body))
    last = rt.ledger.read_events(None, 100_000)[-1].checkpoint
    deadline = time.monotonic() + 10
    while rt.indexer.checkpoint() != last and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    for follower in followers:
        follower.join(10)

    assert rt.indexer.checkpoint() == last
    assert len(applications) == FOLLOWED_SHIPS
    assert max(applications.values()) == 1
    other.engine.dispose()
