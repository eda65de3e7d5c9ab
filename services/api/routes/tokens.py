"""Signing out: a user revokes the API token it is using. (Other tokens are revoked by the
organization's operator with `pharmatrace users revoke`.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from services.api.deps import ActorDep, RuntimeDep, bearer
from services.auth.tokens import revoke_token, token_id

router = APIRouter(tags=["account"])


class TokenRevoked(BaseModel):
    """The token just revoked, by its id (the first 12 hex digits of its SHA-256)."""

    token_id: str
    revoked: bool


@router.delete("/me/token", operation_id="revoke_my_token")
async def revoke_my_token(
    rt: RuntimeDep,
    _actor: ActorDep,
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
) -> TokenRevoked:
    """Revoke the token of this request (sign out): this process refuses it at once, the
    service's other processes within two seconds."""
    token = credentials.credentials
    revoked = await run_in_threadpool(revoke_token, rt, token)
    return TokenRevoked(token_id=token_id(token), revoked=revoked)
