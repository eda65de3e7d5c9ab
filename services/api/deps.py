"""Dependencies of the routes: the runtime, the authenticated actor, and role guards.

    RuntimeDep        the `Runtime` the application was created with
    ActorDep          the bearer token's actor, or 401 UNAUTHENTICATED (WWW-Authenticate: Bearer);
                      also the attribution of the request's writes in the audit trail
    require_roles()   a guard answering 403 FORBIDDEN_ROLE to other roles

The guards mirror the contract's role rules so a refused request never reaches the ledger; the
contract still checks everything itself (ownership, custody, licences).

Every dependency here is `async def` and does no blocking work on the event loop: FastAPI runs
each sync dependency in the thread pool (a thread hop per dependency per request), and these are
on the path of every request. A token in the in-process cache (services.auth.tokens) is answered
without I/O; only a cache miss looks the token up, in the thread pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from services.audit.context import Attribution, set_attribution
from services.auth.tokens import AuthError, authenticate, cached_actor, token_id
from services.errors import forbidden
from services.runtime import Actor, Runtime

MANUFACTURER = "manufacturer"
DISTRIBUTOR = "distributor"
PHARMACY = "pharmacy"
REGULATOR = "regulator"
CUSTODIANS = (MANUFACTURER, DISTRIBUTOR, PHARMACY)
ALL_ROLES = (*CUSTODIANS, REGULATOR)


async def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="A PharmaTrace API token: `Authorization: Bearer pt_…`.",
)


async def get_actor(
    request: Request,
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None:
        raise AuthError("An API token is required: send the header Authorization: Bearer <token>.")
    actor = cached_actor(rt, credentials.credentials)
    if actor is None:
        actor = await run_in_threadpool(authenticate, rt, credentials.credentials)
    attribute_request(request, actor, token_id(credentials.credentials))
    return actor


def attribute_request(request: Request, actor: Actor, token: str) -> None:
    """Writes made while answering this request are audited as `actor`'s, from its client, with
    the id (never the value) of the token used."""
    client = request.client.host if request.client else "unknown client"
    set_attribution(
        Attribution(
            msp_id=actor.msp_id,
            user=actor.user,
            role=actor.role,
            location=actor.location,
            origin=f"api {client} token {token}",
        )
    )


ActorDep = Annotated[Actor, Depends(get_actor)]


def require_roles(*roles: str) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency giving the actor if its organization has one of `roles`, else 403."""
    allowed = ", ".join(sorted(roles))

    async def guard(actor: ActorDep) -> Actor:
        if actor.role not in roles:
            raise forbidden(
                "FORBIDDEN_ROLE", f"A {actor.role} may not do this; it needs one of: {allowed}."
            )
        return actor

    return guard


AnyRoleDep = Annotated[Actor, Depends(require_roles(*ALL_ROLES))]
CustodianDep = Annotated[Actor, Depends(require_roles(*CUSTODIANS))]
ManufacturerDep = Annotated[Actor, Depends(require_roles(MANUFACTURER))]
RegulatorDep = Annotated[Actor, Depends(require_roles(REGULATOR))]
BatchOverseerDep = Annotated[Actor, Depends(require_roles(MANUFACTURER, REGULATOR))]
