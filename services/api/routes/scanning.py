"""Scanning: verify a pack's code and get a verdict; every scan is recorded."""

from __future__ import annotations

from fastapi import APIRouter

from services.api.deps import AnyRoleDep, RuntimeDep
from services.api.models import VerdictPublic, VerifyRequest
from services.api.routes import errors
from services.api.views import verdict_public
from services.domain import verification

router = APIRouter(tags=["scanning"])


@router.post("/verify", operation_id="verify_pack", responses=errors(403))
def verify_pack(body: VerifyRequest, rt: RuntimeDep, actor: AnyRoleDep) -> VerdictPublic:
    """Judge a scanned code for the caller: green (dispense), amber (check), red (do not).

    An unreadable code is not an HTTP error: it is a 200 amber verdict INVALID_CODE, recorded
    like any scan. Not idempotent by key: every scan is a new observation.
    """
    return verdict_public(verification.verify(rt, actor=actor, code=body.code))
