"""Per-user API tokens: `pt_` + 32 random bytes (URL-safe), shown once, stored as SHA-256.

The token's organization and role come from the registered organization at creation time; a token
can be revoked. Tokens never appear in logs: only their hash is ever compared or stored.

Authenticated tokens are cached in memory (token hash → actor, per Runtime) for
`CACHE_TTL_SECONDS`, so most requests cost a dictionary look-up instead of a SQL query. Only
successes are cached: an unknown or revoked token is looked up every time, and a token created a
moment ago works at once.

Revocation delay: `revoke_token` drops the token from every cache of its own process at once.
Any other process (another uvicorn worker of `pharmatrace serve --workers N`, or a server while
a CLI process revokes) keeps accepting the token until its cache entry expires, that is for at
most `CACHE_TTL_SECONDS` (30 s) after the revocation.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import weakref

from sqlalchemy import Table, bindparam, select
from sqlmodel import Session

from services.errors import PharmaTraceError
from services.readmodel.db import writer
from services.readmodel.tables import ApiToken, Organization
from services.runtime import Actor, Runtime

PREFIX = "pt_"
CACHE_TTL_SECONDS = 30.0
CACHE_MAX_ENTRIES = 10_000

_TOKENS: Table = ApiToken.__table__  # type: ignore[attr-defined]
_BY_HASH = select(
    _TOKENS.c.msp_id, _TOKENS.c.role, _TOKENS.c.user, _TOKENS.c.location, _TOKENS.c.revoked
).where(_TOKENS.c.token_hash == bindparam("token_hash"))


class AuthError(PharmaTraceError):
    """Missing, unknown or revoked credentials."""

    def __init__(self, message: str) -> None:
        super().__init__("UNAUTHENTICATED", message, status=401)


class _ActorCache:
    """token hash → (expires at, actor), on the monotonic clock; thread-safe.

    `revocations` counts `invalidate` calls: a look-up that read the token before a revocation
    must not put it back afterwards, so `put` stores only if the count has not moved since the
    caller read it (before its SQL query).
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()
        self.revocations = 0

    def get(self, token_hash: str) -> Actor | None:
        entry = self._entries.get(token_hash)  # a dict read is atomic under the GIL
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            self.drop(token_hash)
            return None
        return entry[1]

    def put(self, token_hash: str, actor: Actor, revocations: int) -> None:
        now = time.monotonic()
        with self._lock:
            if revocations != self.revocations:
                return  # revoked meanwhile (maybe this very token): look it up again next time
            if len(self._entries) >= CACHE_MAX_ENTRIES:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= CACHE_MAX_ENTRIES:
                    self._entries.clear()
            self._entries[token_hash] = (now + CACHE_TTL_SECONDS, actor)

    def drop(self, token_hash: str) -> None:
        with self._lock:
            self._entries.pop(token_hash, None)

    def invalidate(self, token_hash: str) -> None:
        with self._lock:
            self.revocations += 1
            self._entries.pop(token_hash, None)


# One cache per Runtime (each has its own read model); gone with its Runtime.
_caches: weakref.WeakKeyDictionary[Runtime, _ActorCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(rt: Runtime) -> _ActorCache:
    cache = _caches.get(rt)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(rt, _ActorCache())
    return cache


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
    """Revoke `token`; this process stops accepting it at once, others within the cache TTL."""
    token_hash = _hash(token)
    try:
        with Session(writer(rt.engine)) as session:
            row = session.get(ApiToken, token_hash)
            if row is None:
                return False
            row.revoked = True
            session.add(row)
            session.commit()
            return True
    finally:
        with _caches_lock:
            caches = list(_caches.values())
        for cache in caches:  # every Runtime of this process, whatever its database
            cache.invalidate(token_hash)


def cached_actor(rt: Runtime, token: str) -> Actor | None:
    """The actor of `token` if this process authenticated it within the TTL; no SQL, no I/O."""
    if not token.startswith(PREFIX):
        return None
    return _cache(rt).get(_hash(token))


def authenticate(rt: Runtime, token: str) -> Actor:
    """The actor a bearer token stands for, or `AuthError`."""
    if not token.startswith(PREFIX):
        raise AuthError("The API token is missing or malformed.")
    token_hash = _hash(token)
    cache = _cache(rt)
    actor = cache.get(token_hash)
    if actor is not None:
        return actor
    revocations = cache.revocations
    with rt.engine.connect() as conn:
        row = conn.execute(_BY_HASH, {"token_hash": token_hash}).first()
    if row is None or row.revoked:
        raise AuthError("The API token is unknown or revoked.")
    actor = Actor(msp_id=row.msp_id, role=row.role, user=row.user, location=row.location)
    cache.put(token_hash, actor, revocations)
    return actor
