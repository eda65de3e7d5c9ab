"""Helpers to drive the embedded ledger deterministically from integration tests.

They reach into the ledger's internals on purpose (the committer's queue, the endorsement step)
to create situations a busy production system reaches by chance: several transactions in one
block, two endorsements against the same snapshot, an endorsed transaction enqueued twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from services.identity import OrgIdentity
from services.ledger import SubmitResult
from services.ledger.embedded import EmbeddedLedger
from services.ledger.embedded.committer import EndorsedTransaction


def submit(ledger: EmbeddedLedger, signer: OrgIdentity, function: str, body: Any) -> SubmitResult:
    """Submit one transaction with its JSON body through the port, as the runtime does."""
    return ledger.contract(signer).submit(function, json.dumps(body, sort_keys=True))


def evaluate(ledger: EmbeddedLedger, signer: OrgIdentity, function: str, body: Any) -> Any:
    return json.loads(ledger.contract(signer).evaluate(function, json.dumps(body, sort_keys=True)))


def ship_body(shipment_id: str, receiver: str, gtin: str, lot: str, quantity: int) -> Any:
    return {
        "shipment_id": shipment_id,
        "receiver": receiver,
        "lines": [{"gtin": gtin, "lot": lot, "quantity": quantity}],
    }


def run_concurrently(calls: list[Callable[[], Any]], timeout: float = 60) -> list[Any]:
    """Run each call in its own thread; results (or the exception raised) in call order."""
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as exc:  # the outcome under test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a submitting thread hung"
    return results


def wait_until(condition: Callable[[], bool], timeout: float = 10, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.005)


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold SQLite's write lock on the ledger file, so the committer waits at BEGIN IMMEDIATE."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def commit_in_one_block(
    ledger: EmbeddedLedger,
    blocker: OrgIdentity,
    calls: list[Callable[[], Any]],
    *,
    ordered: bool = False,
) -> list[Any]:
    """Run `calls` (each one submit) so that the committer cuts them all into a single block.

    Every call is endorsed against the same committed state. With `ordered`, each call is
    queued before the next starts, so the block holds them in the order given.

    The write lock is held while a read-only "blocker" transaction (no event) is taken by the
    committer, which then waits for the lock; meanwhile every call is endorsed and queued. When
    the lock is released the blocker commits alone and the queued calls form the next block.
    """
    committer = ledger._ensure_committer()
    enqueued: list[str] = []
    original = committer.enqueue

    def counting(tx: EndorsedTransaction) -> None:
        original(tx)
        enqueued.append(tx.tx_id)

    committer.enqueue = counting  # type: ignore[method-assign]
    results: list[Any] = [None] * len(calls)
    finished: list[int] = []

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finished.append(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    try:
        with write_lock(ledger.path):
            blocking = threading.Thread(
                target=submit, args=(ledger, blocker, "ListOrganizations", {})
            )
            blocking.start()
            wait_until(
                lambda: len(enqueued) == 1 and committer._queue.qsize() == 0,
                what="the committer to take the blocker",
            )
            time.sleep(0.05)  # let the committer reach BEGIN IMMEDIATE with the blocker alone
            for started, thread in enumerate(threads, start=1):
                thread.start()
                if ordered:
                    wait_until(
                        lambda n=started: len(enqueued) - 1 + len(finished) == n,
                        what=f"call {started} to be queued",
                    )
            # While the lock is held nothing commits, so a call that finished failed before
            # it was queued (endorsement refused); every other call must be in the queue.
            wait_until(
                lambda: len(enqueued) - 1 + len(finished) == len(calls),
                what="every call to be endorsed and queued",
            )
        for thread in [blocking, *threads]:
            thread.join(60)
            assert not thread.is_alive(), "a submitting thread hung"
    finally:
        committer.enqueue = original  # type: ignore[method-assign]
    return results


def ledger_rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of a query on the ledger file through a separate, read-only connection."""
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("PRAGMA query_only=ON")
    try:
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def block_sizes(path: Path) -> dict[int, int]:
    """Number of transaction rows per block (genesis excluded)."""
    return dict(
        ledger_rows(path, "SELECT block, COUNT(*) FROM transactions GROUP BY block ORDER BY block")
    )
