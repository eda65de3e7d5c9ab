"""Organizations: anyone authenticated lists them; the regulator registers and licenses them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from services.api.deps import ActorDep, RegulatorDep, RuntimeDep
from services.api.fields import MSP_ID_PATTERN
from services.api.idempotency import IdempotencyDep, Outcome
from services.api.models import (
    LicenceUpdate,
    OrganizationCommitted,
    OrganizationCreate,
    OrganizationPublic,
    Role,
)
from services.api.routes import errors
from services.domain import organizations
from services.errors import not_found
from services.runtime import Runtime

router = APIRouter(prefix="/organizations", tags=["organizations"])


def _committed(rt: Runtime, msp_id: str, tx_id: str, block: int) -> OrganizationCommitted:
    org = organizations.get_organization(rt, msp_id)
    if org is None:
        raise not_found("UNKNOWN_ORGANIZATION", f"{msp_id} is not registered.")
    return OrganizationCommitted(
        tx_id=tx_id, block=block, organization=OrganizationPublic.model_validate(org)
    )


@router.get("", operation_id="list_organizations")
def list_organizations(
    rt: RuntimeDep, _actor: ActorDep, role: Annotated[Role | None, Query()] = None
) -> list[OrganizationPublic]:
    """Registered trading partners and regulators, optionally of one role."""
    return [
        OrganizationPublic.model_validate(org)
        for org in organizations.list_organizations(rt, role=role)
    ]


@router.post(
    "",
    operation_id="register_organization",
    status_code=201,
    response_model=OrganizationCommitted,
    responses=errors(403, 409),
)
def register_organization(
    body: OrganizationCreate, rt: RuntimeDep, actor: RegulatorDep, idem: IdempotencyDep
) -> Response:
    """Register a trading partner and create its MSP identity (regulator only)."""

    def operation() -> Outcome:
        committed = organizations.register_organization(
            rt, actor=actor, **body.model_dump(exclude_none=True)
        )
        return Outcome(_committed(rt, body.msp_id, committed.tx_id, committed.block), 201)

    return idem.run(operation)


@router.post(
    "/{msp_id}/licence",
    operation_id="set_licence_status",
    response_model=OrganizationCommitted,
    responses=errors(403, 404, 409),  # 409: a reused Idempotency-Key
)
def set_licence_status(
    msp_id: Annotated[str, Path(pattern=MSP_ID_PATTERN)],
    body: LicenceUpdate,
    rt: RuntimeDep,
    actor: RegulatorDep,
    idem: IdempotencyDep,
) -> Response:
    """Suspend, revoke or restore an organization's licence (regulator only)."""

    def operation() -> Outcome:
        committed = organizations.set_licence_status(
            rt,
            actor=actor,
            msp_id=msp_id,
            licence_status=body.licence_status,
            reason=body.reason,
        )
        return Outcome(_committed(rt, msp_id, committed.tx_id, committed.block))

    return idem.run(operation)
