"""Per-user API tokens: `pt_` + 32 random bytes (URL-safe), shown once, stored as SHA-256.

A token belongs to one user of one registered organization, whose role it carries; it expires
(`expires_at`, by default `Settings.token_lifetime_days` after creation) and can be revoked
(services.auth.admin). Tokens never appear in logs: only their hash is stored or compared, and
a token is named by its *id*, the first 12 hex digits of that hash.

In a one-organization service (`Settings.org`), tokens exist only for that organization's users,
and a token of another organization found in the table is refused all the same.

Authenticating a token also attributes the current context's writes to its user (services.audit).

Authenticated tokens are cached per process (services.auth.cache): a revocation is seen at once
in the revoking process and within `cache.POLL_SECONDS` everywhere else.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import weakref
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, select, update
from sqlmodel import Session

from services.audit.context import Attribution, set_attribution
from services.auth.cache import ENTRY_SECONDS, TOKENS, ActorCache, Entry, wall_now
from services.errors import PharmaTraceError, forbidden, invalid
from services.readmodel.db import writer
from services.readmodel.tables import ApiToken, Organization
from services.runtime import Actor, Runtime

PREFIX = "pt_"
TOKEN_ID_LENGTH = 12

_BY_HASH = select(
    TOKENS.c.msp_id,
    TOKENS.c.role,
    TOKENS.c.user,
    TOKENS.c.location,
    TOKENS.c.revoked,
    TOKENS.c.revoked_at,
    TOKENS.c.expires_at,
).where(TOKENS.c.token_hash == bindparam("token_hash"))


class AuthError(PharmaTraceError):
    """Missing, unknown, expired or revoked credentials (401 UNAUTHENTICATED)."""

    def __init__(self, message: str) -> None:
        super().__init__("UNAUTHENTICATED", message, status=401)


# One cache per Runtime (each has its own read model); gone with its Runtime.
_caches: weakref.WeakKeyDictionary[Runtime, ActorCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_of(rt: Runtime) -> ActorCache:
    cache = _caches.get(rt)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(rt, ActorCache())
    return cache


def invalidate_everywhere_here(token_hashes: list[str]) -> None:
    """Drop `token_hashes` from every cache of this process, whatever its database."""
    with _caches_lock:
        caches = list(_caches.values())
    for cache in caches:
        for token_hash in token_hashes:
            cache.invalidate(token_hash)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id(token: str) -> str:
    """The name of a token in listings, logs and revocations: it reveals nothing usable."""
    return token_hash(token)[:TOKEN_ID_LENGTH]


def create_token(
    rt: Runtime,
    *,
    user: str,
    msp_id: str,
    location: str = "",
    expires_in: timedelta | None = None,
) -> str:
    """A new token for `user` of the registered organization `msp_id`; returned once."""
    if rt.settings.org and msp_id != rt.settings.org:
        raise forbidden(
            "FOREIGN_ORGANIZATION",
            f"This service is {rt.settings.org}'s: it cannot hold users of {msp_id}.",
        )
    if not user.strip():
        raise invalid("INVALID_USER", "A user name is required.")
    lifetime = expires_in or timedelta(days=rt.settings.token_lifetime_days)
    if lifetime <= timedelta(0):
        raise invalid("INVALID_LIFETIME", "A token's lifetime must be positive.")
    with rt.session() as session:
        org = session.get(Organization, msp_id)
    if org is None:
        raise PharmaTraceError("UNKNOWN_ORGANIZATION", f"{msp_id} is not registered.", status=404)
    token = PREFIX + secrets.token_urlsafe(32)
    now = wall_now()
    with Session(writer(rt.engine)) as session:
        session.add(
            ApiToken(
                token_hash=token_hash(token),
                user=user,
                msp_id=msp_id,
                role=org.role,
                location=location or org.gln,
                created_at=now.isoformat(),
                expires_at=(now + lifetime).isoformat(),
            )
        )
        session.commit()
    return token


def cached_actor(rt: Runtime, token: str) -> Actor | None:
    """The actor of `token` if this process authenticated it lately; no SQL, no I/O.

    None also when the cache is due to poll for revocations: the caller then authenticates in a
    worker thread, which polls."""
    if not token.startswith(PREFIX):
        return None
    cache = cache_of(rt)
    if cache.poll_due():
        return None
    hashed = token_hash(token)
    actor = cache.get(hashed, wall_now())
    if actor is not None:
        _attribute(actor, hashed)
    return actor


def authenticate(rt: Runtime, token: str) -> Actor:
    """The actor a bearer token stands for, or `AuthError` saying why not."""
    if not token.startswith(PREFIX):
        raise AuthError("The API token is missing or malformed.")
    hashed = token_hash(token)
    cache = cache_of(rt)
    if cache.poll_due():
        cache.poll(rt)
    now = wall_now()
    actor = cache.get(hashed, now)
    if actor is not None:
        _attribute(actor, hashed)
        return actor
    revocations = cache.revocations
    with rt.engine.connect() as conn:
        row = conn.execute(_BY_HASH, {"token_hash": hashed}).first()
    if row is None:
        raise AuthError("The API token is unknown.")
    if row.revoked:
        raise AuthError(f"The API token was revoked ({row.revoked_at or 'date not recorded'}).")
    expires_at = datetime.fromisoformat(row.expires_at) if row.expires_at else None
    if expires_at is not None and expires_at <= now:
        raise AuthError(f"The API token expired at {row.expires_at}; ask for a new one.")
    if rt.settings.org and row.msp_id != rt.settings.org:
        raise AuthError(
            f"The API token belongs to a user of {row.msp_id}; this service acts only for "
            f"{rt.settings.org}."
        )
    actor = Actor(msp_id=row.msp_id, role=row.role, user=row.user, location=row.location)
    cache.put(hashed, Entry(time.monotonic() + ENTRY_SECONDS, actor, expires_at), revocations)
    _attribute(actor, hashed)
    return actor


def _attribute(actor: Actor, hashed: str) -> None:
    """Writes made in this context from now on are the token's user's (services.audit): a page
    that authenticates inline and then writes is audited without further ceremony. The API's
    dependency adds the client address on top."""
    set_attribution(
        Attribution(
            msp_id=actor.msp_id,
            user=actor.user,
            role=actor.role,
            location=actor.location,
            origin=f"token {hashed[:TOKEN_ID_LENGTH]}",
        )
    )


def revoke_where(rt: Runtime, condition: ColumnElement[bool]) -> list[str]:
    """Revoke every not yet revoked token matching `condition`; their hashes."""
    with writer(rt.engine).begin() as conn:
        hashes = [
            row.token_hash
            for row in conn.execute(
                select(TOKENS.c.token_hash).where(and_(condition, TOKENS.c.revoked.is_(False)))
            )
        ]
        if hashes:
            conn.execute(
                update(TOKENS)
                .where(TOKENS.c.token_hash.in_(hashes))
                .values(revoked=True, revoked_at=wall_now().isoformat())
            )
    invalidate_everywhere_here(hashes)
    return hashes


def revoke_token(rt: Runtime, token: str) -> bool:
    """Revoke `token` itself; False if it is unknown or was revoked already."""
    return bool(revoke_where(rt, TOKENS.c.token_hash == token_hash(token)))
