"""`verify_chain` finds tampering with the ledger file and names the first broken block."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from chaincode.stub import create_composite_key
from services.ledger import SubmitResult
from services.ledger.embedded import EmbeddedLedger, verify_chain
from services.ledger.embedded import blocks as block_hashing
from tests.integration.ledger.helpers import commit_in_one_block, ship_body, submit
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

MAKER_HOLDING = create_composite_key("holding", ["09506000134352", "LOT001", "MakerMSP"])


@dataclass(frozen=True)
class Chain:
    path: Path
    height: int
    multi_block: int  # a block of three transactions


@pytest.fixture
def chain(network: SmallNetwork, ledger: EmbeddedLedger) -> Chain:
    """The small network plus one block of three ships; the chain verifies before tampering."""
    signer = network.rt.identity
    results = commit_in_one_block(
        ledger,
        signer("RegulatorMSP"),
        [
            lambda msp=msp: submit(
                ledger,
                signer(msp),
                "Ship",
                ship_body(f"SHP-{msp}", "PharmacyBMSP", network.gtin, "LOT001", 1),
            )
            for msp in ("MakerMSP", "WholesaleMSP", "PharmacyAMSP")
        ],
        ordered=True,
    )
    assert all(isinstance(r, SubmitResult) for r in results)
    submit(
        ledger,
        signer("MakerMSP"),
        "Ship",
        ship_body("SHP-LAST", "WholesaleMSP", network.gtin, "LOT001", 1),
    )
    network.rt.close()  # nothing writes while the file is tampered with
    report = verify_chain(ledger.path)
    assert report.ok, report
    return Chain(ledger.path, ledger.height(), results[0].block)


@contextmanager
def _tamper(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def _flip_envelope_byte(path: Path, block: int, index: int) -> None:
    with _tamper(path) as conn:
        (envelope,) = conn.execute(
            "SELECT envelope FROM transactions WHERE block = ? AND tx_index = ?", (block, index)
        ).fetchone()
        forged = bytearray(envelope)
        forged[len(forged) // 2] ^= 0x01
        conn.execute(
            "UPDATE transactions SET envelope = ? WHERE block = ? AND tx_index = ?",
            (bytes(forged), block, index),
        )


def _execute(sql: str, *params: object) -> Callable[[Path], None]:
    def tamper(path: Path) -> None:
        with _tamper(path) as conn:
            conn.execute(sql, params)

    return tamper


Tamper = Callable[[Chain], None]
Expected = Callable[[Chain], int]

DETECTED: list[object] = [
    pytest.param(
        lambda c: _flip_envelope_byte(c.path, 9, 0),
        lambda c: 9,
        "transactions do not match the block's data hash",
        id="envelope-byte-in-a-one-transaction-block",
    ),
    pytest.param(
        lambda c: _flip_envelope_byte(c.path, c.multi_block, 1),
        lambda c: c.multi_block,
        "transactions do not match the block's data hash",
        id="envelope-byte-in-the-middle-of-a-block",
    ),
    pytest.param(
        lambda c: _execute(
            "UPDATE transactions SET validation = 'MVCC_READ_CONFLICT' WHERE block = 7"
        )(c.path),
        lambda c: 7,
        "transactions do not match the block's data hash",
        id="validation-code-rewritten",
    ),
    pytest.param(
        lambda c: _execute(
            "DELETE FROM transactions WHERE block = ? AND tx_index = 2", c.multi_block
        )(c.path),
        lambda c: c.multi_block,
        "block holds 2 transactions, its header says 3",
        id="transaction-row-deleted",
    ),
    pytest.param(
        lambda c: _execute("DELETE FROM transactions WHERE block = 6")(c.path),
        lambda c: 6,
        "block holds 0 transactions, its header says 1",
        id="only-transaction-of-a-block-deleted",
    ),
    pytest.param(
        lambda c: _execute("UPDATE blocks SET hash = zeroblob(32) WHERE number = 5")(c.path),
        lambda c: 5,
        "block hash does not match its contents",
        id="block-hash-modified",
    ),
    pytest.param(
        lambda c: _execute("UPDATE blocks SET hash = zeroblob(32) WHERE number = 0")(c.path),
        lambda c: 0,
        "block hash does not match its contents",
        id="genesis-hash-modified",
    ),
    pytest.param(
        lambda c: _execute("UPDATE blocks SET previous_hash = zeroblob(32) WHERE number = 8")(
            c.path
        ),
        lambda c: 8,
        "previous-hash link broken",
        id="previous-hash-modified",
    ),
    pytest.param(
        lambda c: (_flip_envelope_byte(c.path, 10, 0), _flip_envelope_byte(c.path, 4, 0)),
        lambda c: 4,
        "transactions do not match the block's data hash",
        id="two-blocks-tampered-the-earlier-is-reported",
    ),
    pytest.param(
        lambda c: _execute(
            "UPDATE state SET value = CAST('{\"quantity\":999}' AS BLOB) WHERE key = ?",
            MAKER_HOLDING,
        )(c.path),
        lambda c: c.height - 1,  # state is checked after the chain, against the last block
        "world state",
        id="state-value-modified",
    ),
    pytest.param(
        lambda c: _execute("DELETE FROM state WHERE key = ?", MAKER_HOLDING)(c.path),
        lambda c: c.height - 1,
        "world state",
        id="state-row-deleted",
    ),
    pytest.param(
        lambda c: _execute(
            "INSERT INTO state VALUES (?, CAST('{\"quantity\":5}' AS BLOB), 3, 0)",
            create_composite_key("holding", ["09506000134352", "LOT001", "RogueMSP"]),
        )(c.path),
        lambda c: c.height - 1,
        "world state",
        id="state-row-inserted",
    ),
]


@pytest.mark.parametrize(("tamper", "first_broken", "reason"), DETECTED)
def test_given_a_tampered_ledger_when_verified_then_the_first_broken_block_is_reported(
    chain: Chain, tamper: Tamper, first_broken: Expected, reason: str
) -> None:
    tamper(chain)

    report = verify_chain(chain.path)

    assert not report.ok
    assert report.first_broken_block == first_broken(chain)
    assert reason in report.reason


def test_given_a_block_re_hashed_after_its_data_changed_when_verified_then_the_next_link_breaks(
    chain: Chain,
) -> None:
    """A forger who recomputes the data hash and block hash of block 5 is caught at block 6."""
    _flip_envelope_byte(chain.path, 5, 0)
    with _tamper(chain.path) as conn:
        (envelope, validation) = conn.execute(
            "SELECT envelope, validation FROM transactions WHERE block = 5"
        ).fetchone()
        (previous,) = conn.execute("SELECT hash FROM blocks WHERE number = 4").fetchone()
        data = block_hashing.data_hash([block_hashing.transaction_hash(envelope, validation)])
        conn.execute(
            "UPDATE blocks SET data_hash = ?, hash = ? WHERE number = 5",
            (data, block_hashing.block_hash(5, previous, data)),
        )

    report = verify_chain(chain.path)

    assert report.first_broken_block == 6
    assert report.reason == "previous-hash link broken"


def test_given_an_untampered_ledger_when_verified_then_every_block_and_transaction_is_counted(
    chain: Chain,
) -> None:
    progress: list[tuple[int, int]] = []

    report = verify_chain(chain.path, progress=lambda done, total: progress.append((done, total)))

    assert report.ok
    assert report.blocks_checked == chain.height
    with sqlite3.connect(chain.path) as conn:
        (transactions,) = conn.execute("SELECT COUNT(*) FROM transactions").fetchone()
    assert report.transactions_checked == transactions
    assert progress[-1] == (chain.height, chain.height)


def test_given_a_block_row_deleted_when_verified_then_that_block_is_reported(
    chain: Chain,
) -> None:
    _execute("DELETE FROM blocks WHERE number = 4")(chain.path)

    report = verify_chain(chain.path)

    assert report.reason == "block 4 is missing"
    assert report.first_broken_block == 4


def test_given_an_event_payload_forged_when_verified_then_its_block_is_reported(
    chain: Chain,
) -> None:
    forged = (
        b'{"actor":"MakerMSP","holdings":[{"gtin":"09506000134352","lot":"LOT001",'
        b'"msp_id":"MakerMSP","quantity":99}]}'
    )
    _execute("UPDATE transactions SET event_payload = ? WHERE block = 9", forged)(chain.path)

    report = verify_chain(chain.path)

    assert report.first_broken_block == 9


def test_given_state_and_history_rewritten_together_when_verified_then_tampering_is_found(
    chain: Chain,
) -> None:
    with _tamper(chain.path) as conn:
        block, index = conn.execute(
            "SELECT block, tx_index FROM state WHERE key = ?", (MAKER_HOLDING,)
        ).fetchone()
        forged = b'{"quantity":1000}'
        conn.execute("UPDATE state SET value = ? WHERE key = ?", (forged, MAKER_HOLDING))
        conn.execute(
            "UPDATE history SET value = ? WHERE key = ? AND block = ? AND tx_index = ?",
            (forged, MAKER_HOLDING, block, index),
        )

    report = verify_chain(chain.path)

    assert not report.ok
    assert report.first_broken_block == block


def test_given_the_last_block_removed_but_its_writes_kept_when_verified_then_tampering_is_found(
    chain: Chain,
) -> None:
    last = chain.height - 1
    _execute("DELETE FROM transactions WHERE block = ?", last)(chain.path)
    _execute("DELETE FROM blocks WHERE number = ?", last)(chain.path)

    report = verify_chain(chain.path)

    assert not report.ok
