"""Scanning: verify a pack's code and get a verdict; every scan is recorded.

`POST /verify` is the API's hot path (every pharmacy scan), so it is served differently from the
other routes, measured in docs/BENCHMARKS.md (verify_latency):

- `async def`, doing its ~1 ms of blocking SQLite/PostgreSQL work inline on the event loop: no
  hop to the thread pool, and no dozens of pool threads queueing for the GIL under load. The
  dependencies it uses (services.api.deps) are async too and do no I/O for a cached token.
  Reads never wait (SQLite WAL); the scan's INSERT needs SQLite's write lock, which another
  process may hold for long (a million-serial batch registration holds it for seconds). Inline,
  it waits at most `INLINE_LOCK_WAIT_MS`; after that the scan is recorded in the thread pool,
  so the event loop, and every other request of this worker, never waits on that lock.
- The answer is serialised straight from the domain `Verdict` (`verdict_json`), not validated
  again through the `VerdictPublic` model: the verdict is built by typed domain code from the
  read model. `VerdictPublic` stays the documented response model (OpenAPI), and the API tests
  check every verdict they get against it.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from services.api.deps import AnyRoleDep, RuntimeDep
from services.api.models import VerdictPublic, VerifyRequest
from services.api.routes import errors
from services.domain import verification
from services.domain.verification import Verdict

router = APIRouter(tags=["scanning"])

# Longer than a scan INSERT of another worker holds SQLite's write lock (~0.1 ms), far shorter
# than a batch registration or a large indexed block holds it.
INLINE_LOCK_WAIT_MS = 2


@router.post(
    "/verify", operation_id="verify_pack", response_model=VerdictPublic, responses=errors(403)
)
async def verify_pack(body: VerifyRequest, rt: RuntimeDep, actor: AnyRoleDep) -> Response:
    """Judge a scanned code for the caller: green (dispense), amber (check), red (do not).

    An unreadable code is not an HTTP error: it is a 200 amber verdict INVALID_CODE, recorded
    like any scan. Not idempotent by key: every scan is a new observation.
    """
    try:
        verdict = verification.verify(
            rt, actor=actor, code=body.code, lock_wait_ms=INLINE_LOCK_WAIT_MS
        )
    except verification.WriteLockBusy as busy:
        verdict = await run_in_threadpool(busy.record_scan)
    return Response(verdict_json(verdict), media_type="application/json")


def verdict_json(verdict: Verdict) -> bytes:
    """The `VerdictPublic` JSON of a verdict, encoded as FastAPI's JSONResponse would."""
    return json.dumps(
        {
            "result": verdict.result,
            "light": verdict.light,
            "reasons": verdict.reasons,
            "identifier": verdict.identifier,
            "product": verdict.product,
            "batch": verdict.batch,
            "pack": verdict.pack,
            "custody": verdict.custody or None,  # an unreadable code has no custody to tell
            "scan_id": verdict.scan_id,
            "scanned_at": verdict.scanned_at,
        },
        ensure_ascii=False,
        allow_nan=False,
        separators=(",", ":"),
    ).encode("utf-8")
