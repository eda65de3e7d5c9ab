"""The clients of a fault trial: sustained verify / dispense / ship+receive load over HTTP.

Every write carries an Idempotency-Key and is retried with the same key until it gets a final
answer: through a killed service (connection refused or reset), 5xx and retryable refusals
(`"retryable": true`). A write answered 2xx is *acknowledged*: the audit then requires it on the
ledger. A retried write that the contract refuses because the state already shows it done
(the pack is no longer active; the shipment is no longer in transit) was committed by an attempt
whose answer was lost in a crash: it is *resolved by state*, and the audit checks that state.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

MIX = (("verify", 80), ("dispense", 15), ("shipment", 5))
RETRY_SECONDS = 120.0
REQUEST_TIMEOUT = 30.0
RESOLVED_BY_STATE = {
    "dispense": ("ALREADY_DISPENSED", "PACK_INACTIVE"),
    "receive": ("SHIPMENT_NOT_IN_TRANSIT",),
}


@dataclass
class Write:
    """One logical write (one key) and how it ended."""

    kind: str  # dispense | ship | receive
    key: str
    outcome: str = "unresolved"  # acked | resolved by state | refused | unresolved
    tx_id: str = ""
    serial: str = ""
    shipment_id: str = ""
    attempts: int = 0
    replayed: bool = False
    detail: str = ""


@dataclass
class Workload:
    """What the clients may use: tokens, codes, and the trial's set-up facts."""

    base: str
    pharmacy_token: str
    wholesaler_token: str
    gtin: str
    lot: str
    verify_codes: list[str]
    dispense_pool: list[tuple[str, str]]  # (serial, code), each dispensed at most once
    trial: int


@dataclass
class Tally:
    writes: list[Write] = field(default_factory=list)
    verifies: Counter[str] = field(default_factory=Counter)  # by status or "unavailable"
    unavailable: int = 0  # attempts that found the service down or failing (5xx, retryable)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client(threading.Thread):
    """One client: picks its next operation from the mix (seeded) until told to stop."""

    def __init__(self, index: int, seed: int, work: Workload, tally: Tally, stop: threading.Event):
        super().__init__(name=f"client-{index}", daemon=True)
        self.index, self.work, self.tally, self.stop_event = index, work, tally, stop
        self.rng = random.Random(f"{seed}/{work.trial}/{index}")
        self.http = httpx.Client(base_url=work.base, timeout=REQUEST_TIMEOUT)
        self.shipments = 0

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                kind = self.rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
                getattr(self, kind)()
        finally:
            self.http.close()

    def _headers(self, token: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def verify(self) -> None:
        code = self.rng.choice(self.work.verify_codes)
        try:
            response = self.http.post(
                "/api/v1/verify",
                json={"code": code},
                headers=self._headers(self.work.pharmacy_token),
            )
            status = str(response.status_code)
        except httpx.TransportError:
            status = "unavailable"
        with self.tally.lock:
            self.tally.verifies[status] += 1

    def dispense(self) -> None:
        with self.tally.lock:
            if not self.work.dispense_pool:
                return
            serial, code = self.work.dispense_pool.pop()
        write = Write("dispense", f"dispense-{self.work.trial}-{serial}", serial=serial)
        self._until_final(
            write,
            "/api/v1/packs/decommission",
            {"code": code, "status": "supplied"},
            self.work.pharmacy_token,
        )

    def shipment(self) -> None:
        self.shipments += 1
        stem = f"{self.work.trial}-{self.index}-{self.shipments}"
        line = {"gtin": self.work.gtin, "lot": self.work.lot, "quantity": 1}
        ship = Write("ship", f"ship-{stem}")
        answer = self._until_final(
            ship,
            "/api/v1/shipments",
            {"receiver": "PharmacyAMSP", "lines": [line]},
            self.work.wholesaler_token,
        )
        if ship.outcome != "acked":
            return
        ship.shipment_id = answer["shipment"]["shipment_id"]
        receive = Write("receive", f"receive-{stem}", shipment_id=ship.shipment_id)
        self._until_final(
            receive,
            f"/api/v1/shipments/{ship.shipment_id}/receive",
            {},
            self.work.pharmacy_token,
        )

    def _until_final(self, write: Write, path: str, body: Any, token: str) -> dict[str, Any]:
        """Post until the answer is final; retries keep the key. Returns the 2xx body."""
        with self.tally.lock:
            self.tally.writes.append(write)
        deadline = time.monotonic() + RETRY_SECONDS
        while time.monotonic() < deadline:
            write.attempts += 1
            try:
                response = self.http.post(path, json=body, headers=self._headers(token, write.key))
            except httpx.TransportError as error:
                self._wait(f"{type(error).__name__}")
                continue
            answer = _json(response)
            if response.status_code < 300:
                write.outcome, write.tx_id = "acked", str(answer.get("tx_id", ""))
                write.replayed = response.headers.get("Idempotent-Replayed") == "true"
                return answer
            if response.status_code >= 500 or answer.get("retryable"):
                self._wait(f"{response.status_code} {answer.get('code')}")
                continue
            code = str(answer.get("code"))
            write.detail = f"{response.status_code} {code}: {answer.get('message')}"
            write.outcome = (
                "resolved by state" if code in RESOLVED_BY_STATE.get(write.kind, ()) else "refused"
            )
            return answer
        write.detail = "no final answer before the retry deadline"
        return {}

    def _wait(self, _why: str) -> None:
        with self.tally.lock:
            self.tally.unavailable += 1
        time.sleep(0.1 + self.rng.random() * 0.2)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
