"""Idempotency-Key: a retried write gets the first answer instead of acting twice.

A POST may carry `Idempotency-Key` (1–200 printable characters), scoped to the caller's
organization. The first request with a key runs and its answer is stored; the same key with the
same request (method, path and canonical JSON body) replays the stored status and body with
`Idempotent-Replayed: true`; the same key with another request is 409 IDEMPOTENCY_KEY_REUSED.

Stored are successes and final refusals (4xx that are not retryable). Not stored: 5xx, retryable
errors (503 LEDGER_UNAVAILABLE, 409 CONFLICT) and anything refused before the route ran
(authentication, role, schema), so those can be retried with the same key.

A crash between the ledger commit and storing the answer loses the record, not the write; the
routes make such a retry safe on their own (the ship route derives the shipment id from the key,
so the contract refuses a second transfer; see `services.api.shipping`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.api.deps import ActorDep, RuntimeDep
from services.errors import PharmaTraceError
from services.readmodel.db import writer
from services.readmodel.tables import IdempotencyRecord
from services.runtime import Runtime

REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x20-\x7E]{1,200}$"


@dataclass(frozen=True)
class Outcome:
    """A route's successful answer: the response model and its status code."""

    body: BaseModel
    status_code: int = 200


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of the request; JSON bodies canonicalised so spacing and key order don't count."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(
        method.encode() + b"\x00" + path.encode() + b"\x00" + canonical
    ).hexdigest()


def _is_final(error: PharmaTraceError) -> bool:
    return 400 <= error.status < 500 and not error.retryable


@dataclass(frozen=True)
class Idempotency:
    """The Idempotency-Key of one request, if any, and how to honour it."""

    rt: Runtime
    msp_id: str
    key: str | None
    fingerprint: str

    def run(self, operation: Callable[[], Outcome]) -> Response:
        """Replay the stored answer for this key, or run `operation` and store its answer."""
        if self.key is None:
            outcome = operation()
            return JSONResponse(outcome.body.model_dump(mode="json"), outcome.status_code)
        replay = self._replay(self.key)
        if replay is not None:
            return replay
        try:
            outcome = operation()
        except PharmaTraceError as error:
            if _is_final(error):
                self._store(self.key, error.status, error.to_json())
            raise
        body = outcome.body.model_dump(mode="json")
        self._store(self.key, outcome.status_code, body)
        return JSONResponse(body, outcome.status_code)

    def _replay(self, key: str) -> Response | None:
        with self.rt.session() as session:
            record = session.get(IdempotencyRecord, (key, self.msp_id))
        if record is None:
            return None
        if record.request_hash != self.fingerprint:
            raise PharmaTraceError(
                "IDEMPOTENCY_KEY_REUSED",
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new request.",
                status=409,
            )
        return JSONResponse(
            json.loads(record.response),
            record.status_code,
            headers={REPLAYED_HEADER: "true"},
        )

    def _store(self, key: str, status_code: int, body: object) -> None:
        record = IdempotencyRecord(
            key=key,
            msp_id=self.msp_id,
            request_hash=self.fingerprint,
            status_code=status_code,
            response=json.dumps(body),
            created_at=self.rt.now().isoformat(),
        )
        try:
            with Session(writer(self.rt.engine)) as session:
                if session.get(IdempotencyRecord, (key, self.msp_id)) is None:
                    session.add(record)
                    session.commit()
        except IntegrityError:
            pass  # a concurrent request with the same key stored its answer first


async def get_idempotency(
    request: Request,
    rt: RuntimeDep,
    actor: ActorDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=KEY_PATTERN,
            description="Makes a retried write safe: the same key and request replay the "
            "first answer. 1–200 printable characters, unique per organization.",
            examples=["ship-2026-01-05-0001"],
        ),
    ] = None,
) -> Idempotency:
    body = await request.body()
    fingerprint = request_fingerprint(request.method, request.url.path, body)
    return Idempotency(rt, actor.msp_id, idempotency_key, fingerprint)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
