"""Scan or block → alert: how long live detection takes to tell a regulator (target: 1 s).

    python -m bench.alert_latency [--quick] [--trials N]

The served app (uvicorn, SQLite, the small network of tests.support.network) with its live
detection worker running (as `pharmatrace serve` starts it). A regulator holds
`GET /api/v1/notifications` open (httpx in another thread). Two kinds of trial:

- scan → alert: pharmacy B scans a serial that was never registered (`POST /verify`); time from
  sending the scan to the `alert` event (rule unknown_serial) read from the regulator's stream.
- block + scan → clone alert: pharmacy A dispenses a pack (a block), then pharmacy B scans the
  same code; time from sending B's scan to the `alert` event (rule clone). As many trials as
  pharmacy A holds packs (10).

Each scan wakes the worker (a flag); it runs incremental detection over the touched batch, stores
the alert, writes its notice, and the process's hub publishes it.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import httpx

from bench.common import log, percentile, scratch_dir

TITLE = "Scan to alert event (live incremental detection, SSE to a regulator)"
TARGETS = {
    "scan to alert p95 ms": "<= 1000",
    "clone p95 ms": "<= 1000",
    "scan to alert trials": ">= 20",
}


def stats(prefix: str, values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        f"{prefix} trials": len(ordered),
        f"{prefix} p50 ms": round(percentile(ordered, 50), 1),
        f"{prefix} p95 ms": round(percentile(ordered, 95), 1),
        f"{prefix} max ms": round(ordered[-1], 1) if ordered else 0.0,
    }


def scan_until_alert(
    client: httpx.Client, listener: Any, base: str, token: str, code: str, rule: str, serial: str
) -> float:
    started = time.perf_counter()
    response = client.post(
        f"{base}/api/v1/verify", json={"code": code}, headers={"Authorization": f"Bearer {token}"}
    )
    response.raise_for_status()
    while True:
        event = listener.next("alert", timeout=30)
        if event.data["rule"] == rule and event.data["serial"] == serial:
            return float(event.received - started) * 1000


def run(quick: bool = False, trials: int | None = None) -> dict[str, Any]:
    from services.api import create_app
    from tests.e2e.served import ServedApp
    from tests.integration.api.support import tokens_for
    from tests.integration.notifications.support import SseListener
    from tests.support.network import build_small_network

    count = trials or (20 if quick else 40)
    unknown: list[float] = []
    clones: list[float] = []
    with scratch_dir("alert-latency") as data_dir:
        net = build_small_network(data_dir / "data")
        try:
            tokens = tokens_for(net)
            net.rt.start_detection()
            with (
                ServedApp(create_app(net.rt)) as served,
                SseListener(served.base, tokens["regulator"]) as listener,
                httpx.Client(timeout=30) as client,
            ):
                listener.next("ready")
                log(f"alert_latency: {count} unknown-serial scans, {len(net.serials[:10])} clones")
                for i in range(count):
                    serial = f"FAKE{i:05d}"
                    unknown.append(
                        scan_until_alert(
                            client,
                            listener,
                            served.base,
                            tokens["pharmacy_b"],
                            net.code(serial),
                            "unknown_serial",
                            serial,
                        )
                    )
                for serial in held_by_pharmacy_a(net):
                    code = net.code(serial)
                    dispensed = client.post(
                        f"{served.base}/api/v1/packs/decommission",
                        json={"code": code},
                        headers={"Authorization": f"Bearer {tokens['pharmacy_a']}"},
                    )
                    dispensed.raise_for_status()
                    clones.append(
                        scan_until_alert(
                            client,
                            listener,
                            served.base,
                            tokens["pharmacy_b"],
                            code,
                            "clone",
                            serial,
                        )
                    )
        finally:
            net.rt.close()
    return stats("scan to alert", unknown) | stats("clone", clones)


def held_by_pharmacy_a(net: Any) -> list[str]:
    """The serials pharmacy A can dispense: the small network ships it 10 packs of the batch."""
    from sqlmodel import Session, select

    from services.readmodel.tables import Pack

    with Session(net.rt.engine) as session:
        touched = set(session.exec(select(Pack.serial)).all())
    return [s for s in net.serials if s not in touched][:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--trials", type=int, default=None)
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.trials), indent=2))


if __name__ == "__main__":
    main()
