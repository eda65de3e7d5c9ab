"""`EmbeddedLedger`: the ledger port implemented in process on SQLite.

Endorsement (signature and MSP checks, then simulation) runs in the caller's thread on a
thread-local read connection; ordering and commit run in the `Committer` thread. `submit` returns
only after the block holding the transaction is durable, like a Gateway submit that waits for the
commit status. Several processes may open the same file: SQLite's write lock serialises their
blocks and MVCC validation keeps them correct.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

from chaincode import PharmaTraceContract, canonical
from chaincode.errors import ContractError, ErrorCode
from chaincode.stub import Creator
from services.identity import IdentityError, MspDirectory, OrgIdentity
from services.ledger.embedded import blocks, schema
from services.ledger.embedded.committer import VALID, Committer, EndorsedTransaction
from services.ledger.embedded.proposal import Proposal, new_proposal, tx_id_matches
from services.ledger.embedded.simulation import SimulationStub
from services.ledger.errors import CommitStatusError, EndorseError, SubmitError
from services.ledger.port import ChaincodeEvent, Checkpoint, SubmitResult

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class EmbeddedLedger:
    """One channel with the PharmaTrace contract, stored in a SQLite file."""

    def __init__(
        self,
        path: Path,
        msp: MspDirectory,
        *,
        channel: str = "pharmatrace",
        clock: Clock = utc_now,
        max_block_txs: int = 1000,
        synchronous: str = "FULL",
    ) -> None:
        self.path = path
        self.msp = msp
        self.channel = channel
        self.clock = clock
        self._contract = PharmaTraceContract()
        self._max_block_txs = max_block_txs
        self._synchronous = synchronous
        self._local = threading.local()
        self._committer: Committer | None = None
        self._committer_lock = threading.Lock()
        self._new_block = threading.Condition()
        self._closed = False
        self._ensure_genesis()

    # -- port ----------------------------------------------------------------------------------
    def contract(self, signer: OrgIdentity) -> EmbeddedContract:
        return EmbeddedContract(self, signer)

    def height(self) -> int:
        row = self._read_conn().execute("SELECT MAX(number) FROM blocks").fetchone()
        return int(row[0]) + 1

    def read_events(self, after: Checkpoint | None, limit: int = 1000) -> list[ChaincodeEvent]:
        block, index = (after.block, after.tx_index) if after else (-1, -1)
        rows = (
            self._read_conn()
            .execute(
                "SELECT block, tx_index, tx_id, event_name, event_payload, timestamp "
                "FROM transactions WHERE (block > ? OR (block = ? AND tx_index > ?)) "
                "AND validation = 'VALID' AND event_name IS NOT NULL "
                "ORDER BY block, tx_index LIMIT ?",
                (block, block, index, limit),
            )
            .fetchall()
        )
        return [
            ChaincodeEvent(r[0], r[1], r[2], r[3], bytes(r[4]), datetime.fromisoformat(r[5]))
            for r in rows
        ]

    def events(
        self, after: Checkpoint | None, stop: threading.Event | None = None
    ) -> Iterator[ChaincodeEvent]:
        stop = stop or threading.Event()
        while not stop.is_set() and not self._closed:
            page = self.read_events(after, 500)
            for event in page:
                yield event
                after = event.checkpoint
            if not page:
                with self._new_block:
                    # Blocks committed by another process are seen by polling.
                    self._new_block.wait(timeout=0.2)

    def close(self) -> None:
        self._closed = True
        with self._committer_lock:
            if self._committer is not None:
                self._committer.close()
                self._committer = None
        with self._new_block:
            self._new_block.notify_all()

    # -- lookups used by audit and provenance -------------------------------------------------
    def transaction_status(self, tx_id: str) -> tuple[int, int, str] | None:
        """(block, index, validation) of a transaction, or None if never committed."""
        row = (
            self._read_conn()
            .execute(
                "SELECT block, tx_index, validation FROM transactions WHERE tx_id = ? "
                "ORDER BY block LIMIT 1",
                (tx_id,),
            )
            .fetchone()
        )
        return (row[0], row[1], row[2]) if row else None

    # -- endorsement and submission -------------------------------------------------------------
    def _endorse(
        self, signer: OrgIdentity, function: str, args: tuple[str, ...]
    ) -> tuple[Proposal, bytes, SimulationStub, bytes]:
        proposal, signature = new_proposal(signer, function, args, self.clock())
        self._check_proposal(proposal, signature)
        conn = self._read_conn()
        stub = SimulationStub(
            conn,
            proposal.tx_id,
            proposal.datetime,
            Creator(proposal.msp_id, proposal.certificate_pem.encode()),
        )
        conn.execute("BEGIN")  # one snapshot for every read of the simulation
        try:
            result = self._contract.invoke(stub, function, list(args))
        except ContractError as exc:
            raise EndorseError(exc, tx_id=proposal.tx_id) from exc
        finally:
            conn.execute("COMMIT")
        return proposal, signature, stub, result

    def _check_proposal(self, proposal: Proposal, signature: bytes) -> None:
        try:
            if not tx_id_matches(proposal):
                raise IdentityError("The transaction id does not match nonce and creator.")
            self.msp.verify(
                proposal.msp_id,
                proposal.certificate_pem.encode(),
                proposal.signed_bytes,
                signature,
            )
        except IdentityError as exc:
            error = ContractError(ErrorCode.ACCESS_DENIED, str(exc))
            raise EndorseError(error, tx_id=proposal.tx_id) from exc

    def evaluate(self, signer: OrgIdentity, function: str, args: tuple[str, ...]) -> bytes:
        return self._endorse(signer, function, args)[3]

    def submit(self, signer: OrgIdentity, function: str, args: tuple[str, ...]) -> SubmitResult:
        if self._closed:
            raise SubmitError("The ledger is closed.")
        proposal, signature, stub, result = self._endorse(signer, function, args)
        envelope = canonical.dumps(
            {
                "proposal": proposal.to_json(),
                "signature": signature.hex(),
                "rwset": stub.rwset.to_json(),
                "result": result.hex(),
                "event": [stub.event[0], stub.event[1].hex()] if stub.event else None,
            }
        )
        done: Future[tuple[int, int, str]] = Future()
        self._ensure_committer().enqueue(
            EndorsedTransaction(
                proposal.tx_id, proposal.timestamp, envelope, stub.rwset, stub.event, done
            )
        )
        try:
            block, _index, validation = done.result(timeout=60)
        except (sqlite3.Error, TimeoutError) as exc:
            raise SubmitError(f"Commit failed: {exc}", tx_id=proposal.tx_id) from exc
        if validation != VALID:
            raise CommitStatusError(validation, tx_id=proposal.tx_id)
        return SubmitResult(result=result, tx_id=proposal.tx_id, block=block)

    # -- plumbing -------------------------------------------------------------------------------
    def _read_conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = schema.connect(self.path)
            self._local.conn = conn
        return conn

    def _ensure_committer(self) -> Committer:
        with self._committer_lock:
            if self._committer is None:
                self._committer = Committer(
                    self.path, self._notify, self._max_block_txs, self._synchronous
                )
            return self._committer

    def _notify(self, _block: int) -> None:
        with self._new_block:
            self._new_block.notify_all()

    def _ensure_genesis(self) -> None:
        conn = self._read_conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM blocks WHERE number = 0").fetchone() is None:
                data = blocks.genesis_data_hash(self.channel)
                conn.execute(
                    "INSERT INTO blocks VALUES (0, ?, ?, ?, ?, 0)",
                    (
                        blocks.GENESIS_PREVIOUS_HASH,
                        data,
                        blocks.block_hash(0, blocks.GENESIS_PREVIOUS_HASH, data),
                        utc_now().isoformat(),
                    ),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


class EmbeddedContract:
    """The contract through one signer, with the Gateway's evaluate/submit vocabulary."""

    def __init__(self, ledger: EmbeddedLedger, signer: OrgIdentity) -> None:
        self._ledger = ledger
        self.signer = signer

    def evaluate(self, name: str, *args: str) -> bytes:
        return self._ledger.evaluate(self.signer, name, args)

    def submit(self, name: str, *args: str) -> SubmitResult:
        return self._ledger.submit(self.signer, name, args)
