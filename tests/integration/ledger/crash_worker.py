"""Crash-test worker: ship and receive from several threads until the test SIGKILLs the process.

Usage: python -m tests.integration.ledger.crash_worker DATA_DIR RUN_ID THREADS GTIN

Opens the embedded ledger under DATA_DIR (ledger.sqlite, msp/), prints ``READY`` and then, from
THREADS threads, ships units of batch CRASH<i> from MakerMSP to WholesaleMSP and has WholesaleMSP
receive every other shipment. Each committed transaction is reported as one flushed line
``COMMITTED <tx_id> <function> <shipment_id>`` after `submit` returned, so every line printed is a
transaction the ledger promised to keep. A killed process may have committed more than it printed,
never less.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import threading
import time
from pathlib import Path

from services.identity import MspDirectory
from services.ledger import CommitStatusError
from services.ledger.embedded import EmbeddedLedger

SAFETY_LIMIT_S = 60  # the test kills long before; exit on our own if it never does


def main(argv: list[str]) -> int:
    data_dir, run_id, threads, gtin = Path(argv[1]), argv[2], int(argv[3]), argv[4]
    msp = MspDirectory(data_dir / "msp")
    ledger = EmbeddedLedger(data_dir / "ledger.sqlite", msp)
    maker = ledger.contract(msp.identity("MakerMSP"))
    wholesaler = ledger.contract(msp.identity("WholesaleMSP"))
    output = threading.Lock()

    def report(line: str) -> None:
        with output:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def work(index: int) -> None:
        lot = f"CRASH{index}"
        try:
            for number in itertools.count():
                shipment_id = f"SHP-{run_id}-{index}-{number}"
                body = {
                    "shipment_id": shipment_id,
                    "receiver": "WholesaleMSP",
                    "lines": [{"gtin": gtin, "lot": lot, "quantity": 1 + number % 3}],
                }
                shipped = maker.submit("Ship", json.dumps(body))
                report(f"COMMITTED {shipped.tx_id} Ship {shipment_id}")
                if number % 2 == 0:
                    received = wholesaler.submit(
                        "Receive", json.dumps({"shipment_id": shipment_id})
                    )
                    report(f"COMMITTED {received.tx_id} Receive {shipment_id}")
        except CommitStatusError as exc:  # not expected: threads touch distinct keys
            report(f"CONFLICT {exc.tx_id} {exc.code}")
        except Exception as exc:
            report(f"ERROR {type(exc).__name__}: {exc}")
            os._exit(2)

    for index in range(threads):
        threading.Thread(target=work, args=(index,), daemon=True).start()
    report("READY")
    time.sleep(SAFETY_LIMIT_S)
    report("NOT KILLED")
    os._exit(3)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
