"""The in-process cache of authenticated tokens, and how revocations reach it from elsewhere.

A verification costs about 1.5 ms of CPU; a SQL look-up of the token on every request would add
a good share of that. So each process keeps token hash → actor for `ENTRY_SECONDS`, and answers
most requests with a dictionary look-up.

Revocations made by another process (another `serve --workers` worker, or `pharmatrace users
revoke` next to a running server) reach this cache by polling: at most every `POLL_SECONDS`, one
request of the process pays one SQL query that asks which of the cached tokens have been revoked
(or have expired) since, and those entries are dropped. A revoked token is therefore refused
everywhere within `POLL_SECONDS` (plus the time of one request), and in its own process at once.
The same poll writes `last_used_at` for the tokens used since the last write, at most every
`LAST_USED_SECONDS`, so audit gets a "last used" without a write per request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, bindparam, select, update

from services.readmodel.db import writer
from services.readmodel.tables import ApiToken
from services.runtime import Actor, Runtime

ENTRY_SECONDS = 30.0
POLL_SECONDS = 2.0
LAST_USED_SECONDS = 60.0
MAX_ENTRIES = 10_000
_CHUNK = 500  # hashes per IN (…) list

TOKENS: Table = ApiToken.__table__  # type: ignore[attr-defined]  # SQLModel sets it at runtime
_REVOKED_AMONG = select(TOKENS.c.token_hash).where(
    TOKENS.c.revoked, TOKENS.c.token_hash.in_(bindparam("hashes", expanding=True))
)
_TOUCH = (
    update(TOKENS)
    .where(TOKENS.c.token_hash.in_(bindparam("hashes", expanding=True)))
    .values(last_used_at=bindparam("now"))
)


def wall_now() -> datetime:
    """Token times are real times, whatever clock the runtime's ledger uses: a token's expiry is
    a security property, and tests that move the business clock by years must not age tokens."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Entry:
    until: float  # monotonic
    actor: Actor
    expires_at: datetime | None


class ActorCache:
    """token hash → entry; thread-safe. `revocations` counts local invalidations: a look-up that
    read the token before a revocation must not put it back afterwards (see `put`)."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._polled_at = float("-inf")
        self._touched_at = time.monotonic()
        self._used: set[str] = set()
        self.revocations = 0

    def poll_due(self) -> bool:
        return time.monotonic() - self._polled_at >= POLL_SECONDS

    def get(self, token_hash: str, now: datetime) -> Actor | None:
        entry = self._entries.get(token_hash)  # a dict read is atomic under the GIL
        if entry is None:
            return None
        if entry.until <= time.monotonic() or (
            entry.expires_at is not None and entry.expires_at <= now
        ):
            self.drop(token_hash)
            return None
        self._used.add(token_hash)
        return entry.actor

    def put(self, token_hash: str, entry: Entry, revocations: int) -> None:
        now = time.monotonic()
        with self._lock:
            if revocations != self.revocations:
                return  # revoked meanwhile (maybe this very token): look it up again next time
            if len(self._entries) >= MAX_ENTRIES:
                self._entries = {k: v for k, v in self._entries.items() if v.until > now}
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
            self._entries[token_hash] = entry
            self._used.add(token_hash)

    def drop(self, token_hash: str) -> None:
        with self._lock:
            self._entries.pop(token_hash, None)

    def invalidate(self, token_hash: str) -> None:
        with self._lock:
            self.revocations += 1
            self._entries.pop(token_hash, None)

    def poll(self, rt: Runtime) -> None:
        """Drop the cached tokens revoked by any process; record last use now and then.

        One thread polls; the others go on with the cache meanwhile (blocking them would put a
        SQL round trip on their path for nothing)."""
        if not self._poll_lock.acquire(blocking=False):
            return
        try:
            if not self.poll_due():
                return
            cached = list(self._entries)
            revoked: list[str] = []
            with rt.engine.connect() as conn:
                for start in range(0, len(cached), _CHUNK):
                    rows = conn.execute(_REVOKED_AMONG, {"hashes": cached[start : start + _CHUNK]})
                    revoked.extend(row.token_hash for row in rows)
            for token_hash in revoked:
                self.invalidate(token_hash)
            self._polled_at = time.monotonic()
            if self._polled_at - self._touched_at >= LAST_USED_SECONDS:
                self._touch(rt)
        finally:
            self._poll_lock.release()

    def _touch(self, rt: Runtime) -> None:
        used, self._used = list(self._used), set()
        self._touched_at = time.monotonic()
        if not used:
            return
        with writer(rt.engine).begin() as conn:
            for start in range(0, len(used), _CHUNK):
                conn.execute(
                    _TOUCH, {"hashes": used[start : start + _CHUNK], "now": wall_now().isoformat()}
                )
