"""Per-user API tokens: `pt_` + 32 random bytes (URL-safe), shown once, stored as SHA-256.

The token's organization and role come from the registered organization at creation time; a token
can be revoked. Tokens never appear in logs: only their hash is ever compared or stored.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session

from services.errors import PharmaTraceError
from services.readmodel.db import writer
from services.readmodel.tables import ApiToken, Organization
from services.runtime import Actor, Runtime

PREFIX = "pt_"


class AuthError(PharmaTraceError):
    """Missing, unknown or revoked credentials."""

    def __init__(self, message: str) -> None:
        super().__init__("UNAUTHENTICATED", message, status=401)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(rt: Runtime, *, user: str, msp_id: str, location: str = "") -> str:
    """A new token for `user` of the registered organization `msp_id`; returned once."""
    with rt.session() as session:
        org = session.get(Organization, msp_id)
    if org is None:
        raise PharmaTraceError("UNKNOWN_ORGANIZATION", f"{msp_id} is not registered.", status=404)
    token = PREFIX + secrets.token_urlsafe(32)
    with Session(writer(rt.engine)) as session:
        session.add(
            ApiToken(
                token_hash=_hash(token),
                user=user,
                msp_id=msp_id,
                role=org.role,
                location=location or org.gln,
                created_at=rt.now().isoformat(),
            )
        )
        session.commit()
    return token


def revoke_token(rt: Runtime, token: str) -> bool:
    with Session(writer(rt.engine)) as session:
        row = session.get(ApiToken, _hash(token))
        if row is None:
            return False
        row.revoked = True
        session.add(row)
        session.commit()
        return True


def authenticate(rt: Runtime, token: str) -> Actor:
    """The actor a bearer token stands for, or `AuthError`."""
    if not token.startswith(PREFIX):
        raise AuthError("The API token is missing or malformed.")
    with rt.session() as session:
        row = session.get(ApiToken, _hash(token))
    if row is None or row.revoked:
        raise AuthError("The API token is unknown or revoked.")
    return Actor(msp_id=row.msp_id, role=row.role, user=row.user, location=row.location)
