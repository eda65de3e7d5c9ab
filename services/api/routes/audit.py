"""The audit trail for regulators: every ledger write (attempted or committed) and verification,
with who, which organization, where and when."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from services.api.deps import RegulatorDep, RuntimeDep
from services.api.routes import errors
from services.audit import AuditQuery, audit_trail

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditItemPublic(BaseModel):
    """One write or verification. `outcome`: `committed`, or the refusal's code, for writes; the
    verification result for scans. `tx_id`: the ledger transaction, whose signing organization the
    ledger itself records."""

    model_config = ConfigDict(from_attributes=True)

    kind: Literal["write", "verification"]
    at: str
    msp_id: str
    user: str
    role: str
    location: str
    origin: str
    action: str
    outcome: str
    tx_id: str | None
    block: int | None
    detail: str


@router.get("", operation_id="list_audit_entries", responses=errors(403))
def list_audit_entries(
    rt: RuntimeDep,
    _actor: RegulatorDep,
    msp_id: Annotated[str, Query(max_length=64, description="Only this organization.")] = "",
    user: Annotated[str, Query(max_length=200, description="Only this user.")] = "",
    action: Annotated[
        str, Query(max_length=64, description="A contract function (Ship, …) or Verify.")
    ] = "",
    kind: Annotated[Literal["write", "verification"] | None, Query()] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditItemPublic]:
    """Writes and verifications, newest first."""
    query = AuditQuery(msp_id, user, action, kind, since, until, limit)
    return [AuditItemPublic.model_validate(item) for item in audit_trail(rt, query)]
