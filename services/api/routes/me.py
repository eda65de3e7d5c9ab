"""Who am I: the token's user, organization and role."""

from __future__ import annotations

from fastapi import APIRouter

from services.api.deps import ActorDep, RuntimeDep
from services.api.models import MePublic, OrganizationPublic
from services.domain import organizations

router = APIRouter(tags=["account"])


@router.get("/me", operation_id="get_me")
def get_me(rt: RuntimeDep, actor: ActorDep) -> MePublic:
    """The authenticated user, the organization it acts for, and that organization's role."""
    org = organizations.get_organization(rt, actor.msp_id)
    return MePublic.model_validate(
        {
            "user": actor.user,
            "msp_id": actor.msp_id,
            "role": actor.role,
            "location": actor.location,
            "organization": OrganizationPublic.model_validate(org) if org else None,
        }
    )
