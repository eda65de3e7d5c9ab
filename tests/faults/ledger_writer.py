"""A ledger-writing process of its own, for the fault harness: a custody loop with a journal.

    python -m tests.faults.ledger_writer DATA_DIR JOURNAL GTIN LOT

Like a CLI next to a running server, it opens the same data directory and commits blocks into
the same ledger file: step n ships one unit of GTIN/LOT from the manufacturer (MakerMSP) to
pharmacy B with the key `writer-n` (so the shipment id is derived from the key, as the API's
and the CLI's keyed ships are), then pharmacy B receives it.

Before each write it appends an `intent` line to JOURNAL and after the commit an `ack` line
with the transaction id: the ack is what "acknowledged" means for this client. When killed and
started again it reads the journal and first retries the write it had not acknowledged, with the
same key, as a client retrying with its Idempotency-Key would. SIGTERM stops it between writes.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from services.cli.context import acting
from services.config import Settings
from services.domain import shipments
from services.errors import PharmaTraceError
from services.readmodel.tables import Shipment
from services.runtime import Runtime

SENDER = "MakerMSP"
RECEIVER = "PharmacyBMSP"


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Every complete line of the journal (a line cut short by a kill is ignored)."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def next_write(entries: list[dict[str, Any]]) -> tuple[str, int]:
    """The operation to do next: ('ship', n) or ('receive', n)."""
    acked = [e for e in entries if e["state"] == "ack"]
    if not acked:
        return "ship", 0
    last = acked[-1]
    if last["op"] == "ship":
        return "receive", last["step"]
    return "ship", last["step"] + 1


class Writer:
    def __init__(self, rt: Runtime, journal: TextIO, gtin: str, lot: str) -> None:
        self.rt, self.journal, self.gtin, self.lot = rt, journal, gtin, lot
        self.sender = acting(rt, SENDER, user="writer")
        self.receiver = acting(rt, RECEIVER, user="writer")

    def note(self, **entry: Any) -> None:
        self.journal.write(json.dumps(entry) + "\n")
        self.journal.flush()  # in the kernel's page cache: survives the kill of this process

    def ship(self, step: int) -> None:
        key = f"writer-{step}"
        shipment_id = shipments.shipment_id_for(SENDER, key)
        self.note(op="ship", step=step, key=key, shipment_id=shipment_id, state="intent")
        line = shipments.ShipmentLineRequest(gtin=self.gtin, lot=self.lot, quantity=1)
        try:
            committed = shipments.ship(
                self.rt, actor=self.sender, receiver=RECEIVER, lines=[line], shipment_id=shipment_id
            )
            tx_id, how = committed.tx_id, "committed"
        except PharmaTraceError as error:
            if error.code != "SHIPMENT_EXISTS":
                raise
            tx_id, how = self._recorded(shipment_id).ship_tx_id, "found on retry"
        self.note(
            op="ship",
            step=step,
            key=key,
            shipment_id=shipment_id,
            state="ack",
            tx_id=tx_id,
            how=how,
        )

    def receive(self, step: int) -> None:
        shipment_id = shipments.shipment_id_for(SENDER, f"writer-{step}")
        self.note(op="receive", step=step, shipment_id=shipment_id, state="intent")
        try:
            committed = shipments.receive(self.rt, actor=self.receiver, shipment_id=shipment_id)
            tx_id, how = committed.tx_id, "committed"
        except PharmaTraceError as error:
            if error.code != "SHIPMENT_NOT_IN_TRANSIT":
                raise
            tx_id, how = str(self._recorded(shipment_id).receive_tx_id), "found on retry"
        self.note(
            op="receive", step=step, shipment_id=shipment_id, state="ack", tx_id=tx_id, how=how
        )

    def _recorded(self, shipment_id: str) -> Shipment:
        """The shipment as committed by an attempt whose answer was lost (killed after commit)."""
        self.rt.indexer.catch_up()
        shipment, _lines = shipments.get_shipment(self.rt, shipment_id)
        return shipment


def run(data_dir: Path, journal_path: Path, gtin: str, lot: str) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _s, _f: stop.set())
    entries = read_journal(journal_path)
    op, step = next_write(entries)
    pending = bool(entries) and entries[-1]["state"] == "intent"  # retried even when stopping
    rt = Runtime(Settings.from_env(data_dir=data_dir))
    try:
        with journal_path.open("a", buffering=1) as journal:
            writer = Writer(rt, journal, gtin, lot)
            print("READY", flush=True)
            while pending or not stop.is_set():
                try:
                    getattr(writer, op)(step)
                except PharmaTraceError as error:
                    if not error.retryable:
                        raise
                    print(f"retrying after {error.code}", flush=True)
                    stop.wait(0.1)
                    continue
                pending = False
                op, step = ("receive", step) if op == "ship" else ("ship", step + 1)
    finally:
        rt.close()


if __name__ == "__main__":
    run(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4])
