"""Managing tokens: list them, revoke one (by the token itself or by its id), or a user's all.

Used by `pharmatrace users list|revoke`; `tokens.revoke_token` (the token itself) serves
`DELETE /api/v1/me/token`, a user signing out.
A revocation sets `revoked` and `revoked_at` in one write; this process forgets the token at
once, the others within `services.auth.cache.POLL_SECONDS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select

from services.auth.cache import TOKENS, wall_now
from services.auth.tokens import TOKEN_ID_LENGTH, revoke_where
from services.errors import invalid, not_found
from services.runtime import Runtime


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never the token, only its id."""

    token_id: str
    user: str
    msp_id: str
    role: str
    location: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    status: str  # active, expired, revoked


def _status(revoked: bool, expires_at: str | None, now: datetime) -> str:
    if revoked:
        return "revoked"
    if expires_at and datetime.fromisoformat(expires_at) <= now:
        return "expired"
    return "active"


def list_tokens(
    rt: Runtime, *, msp_id: str = "", user: str = "", include_inactive: bool = False
) -> list[TokenInfo]:
    """Tokens, newest first, optionally of one organization or user; active ones by default."""
    query = select(TOKENS).order_by(TOKENS.c.created_at.desc())
    if msp_id:
        query = query.where(TOKENS.c.msp_id == msp_id)
    if user:
        query = query.where(TOKENS.c.user == user)
    now = wall_now()
    with rt.engine.connect() as conn:
        rows = conn.execute(query).all()
    listed = [
        TokenInfo(
            token_id=row.token_hash[:TOKEN_ID_LENGTH],
            user=row.user,
            msp_id=row.msp_id,
            role=row.role,
            location=row.location,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            status=_status(row.revoked, row.expires_at, now),
        )
        for row in rows
    ]
    return [t for t in listed if include_inactive or t.status == "active"]


def revoke_token_id(rt: Runtime, token_id: str, *, msp_id: str = "") -> TokenInfo:
    """Revoke the one token whose id is `token_id` (of `msp_id`, if given)."""
    token_id = token_id.strip().lower()
    if len(token_id) != TOKEN_ID_LENGTH or any(c not in "0123456789abcdef" for c in token_id):
        raise invalid(
            "INVALID_TOKEN_ID",
            f"A token id is {TOKEN_ID_LENGTH} hex digits, as `pharmatrace users list` shows.",
        )
    condition = TOKENS.c.token_hash.startswith(token_id)
    if msp_id:
        condition = and_(condition, TOKENS.c.msp_id == msp_id)
    matches = [
        t for t in list_tokens(rt, msp_id=msp_id, include_inactive=True) if t.token_id == token_id
    ]
    if not matches:
        raise not_found("UNKNOWN_TOKEN", f"No token has the id {token_id}.")
    if matches[0].status == "revoked":
        raise invalid("TOKEN_REVOKED", f"The token {token_id} was revoked already.")
    revoke_where(rt, condition)
    return matches[0]


def revoke_user(rt: Runtime, *, msp_id: str, user: str) -> int:
    """Revoke every token of `user` of `msp_id`; how many were revoked."""
    return len(revoke_where(rt, and_(TOKENS.c.msp_id == msp_id, TOKENS.c.user == user)))
