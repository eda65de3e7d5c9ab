"""Dependencies of the routes: the runtime, the authenticated actor, and role guards.

    RuntimeDep        the `Runtime` the application was created with
    ActorDep          the bearer token's actor, or 401 UNAUTHENTICATED (WWW-Authenticate: Bearer)
    require_roles()   a guard answering 403 FORBIDDEN_ROLE to other roles

The guards mirror the contract's role rules so a refused request never reaches the ledger; the
contract still checks everything itself (ownership, custody, licences).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.auth.tokens import AuthError, authenticate
from services.errors import forbidden
from services.runtime import Actor, Runtime

MANUFACTURER = "manufacturer"
DISTRIBUTOR = "distributor"
PHARMACY = "pharmacy"
REGULATOR = "regulator"
CUSTODIANS = (MANUFACTURER, DISTRIBUTOR, PHARMACY)
ALL_ROLES = (*CUSTODIANS, REGULATOR)


def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="A PharmaTrace API token: `Authorization: Bearer pt_…`.",
)


def get_actor(
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None:
        raise AuthError("An API token is required: send the header Authorization: Bearer <token>.")
    return authenticate(rt, credentials.credentials)


ActorDep = Annotated[Actor, Depends(get_actor)]


def require_roles(*roles: str) -> Callable[[Actor], Actor]:
    """A dependency giving the actor if its organization has one of `roles`, else 403."""
    allowed = ", ".join(sorted(roles))

    def guard(actor: ActorDep) -> Actor:
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
