"""The notification hub: in-process fan-out from indexing and detection threads to open streams.

Publishers (the indexer's observer, the detection worker) run in ordinary threads; subscribers
(one per open `GET /api/v1/notifications`) live on an asyncio event loop. `publish` never blocks:
it hands the notice to each subscribed loop with one `call_soon_threadsafe` per loop, and on the
loop every subscriber gets it in its own bounded queue. A subscriber whose queue is full (a
client that does not read) is dropped: its queue is replaced by one `RESYNC` marker, which its
stream turns into a `resync` event before closing, so the client reconnects and catches up
(Last-Event-ID) instead of silently missing notices. Indexing and other clients never wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Final

log = logging.getLogger("pharmatrace.notifications")

DEFAULT_QUEUE_SIZE = 256


@dataclass(frozen=True)
class Notice:
    """One thing to tell subscribers.

    `kind` is the SSE event name (`batch-status`, `alert`); `position` orders notices of one kind
    (a ledger (block, tx index) or an alert notice's sequence number) for resuming; `roles`
    limits who hears it (empty: every signed-in organization)."""

    kind: str
    position: tuple[int, ...]
    data: dict[str, Any]
    roles: frozenset[str] = frozenset()

    def for_role(self, role: str) -> bool:
        return not self.roles or role in self.roles


class _Resync:
    """Queue marker: notices were dropped; the stream must tell its client to resync."""

    def __repr__(self) -> str:
        return "RESYNC"


RESYNC: Final = _Resync()


class _Closed:
    """Queue marker: the server is shutting down; the stream ends (its client reconnects)."""

    def __repr__(self) -> str:
        return "CLOSED"


CLOSED: Final = _Closed()
Marker = _Resync | _Closed


@dataclass(eq=False)
class Subscription:
    """One open stream's inbox, owned by the event loop it was created on."""

    role: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Notice | Marker]
    dropped: bool = False

    def offer(self, notice: Notice) -> None:
        """On the subscriber's loop: enqueue, or drop the subscriber if it is not keeping up."""
        if self.dropped or not notice.for_role(self.role):
            return
        try:
            self.queue.put_nowait(notice)
        except asyncio.QueueFull:
            self.dropped = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)

    def end(self) -> None:
        """On the subscriber's loop: nothing more will come; CLOSED goes ahead of the rest."""
        self.dropped = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(CLOSED)

    async def next(self, timeout: float) -> Notice | Marker | None:
        """The next notice, RESYNC or CLOSED, or None if nothing came within `timeout` s."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None


@dataclass
class NotificationHub:
    """Thread-safe publish, loop-bound subscriptions. One per Runtime (process)."""

    queue_size: int = DEFAULT_QUEUE_SIZE
    _subscriptions: set[Subscription] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    published: int = 0  # notices published so far (for tests and health)
    closed: bool = False

    def subscribe(self, role: str) -> Subscription:
        """Call on the event loop that will read the subscription."""
        subscription = Subscription(
            role, asyncio.get_running_loop(), asyncio.Queue(maxsize=self.queue_size)
        )
        with self._lock:
            self._subscriptions.add(subscription)
            closed = self.closed
        if closed:
            subscription.end()
        return subscription

    def close(self) -> None:
        """End every stream (the server is stopping): from any thread, or a signal handler.

        Uvicorn waits for open responses before it shuts down; endless streams would hold it."""
        with self._lock:
            self.closed = True
            by_loop = self._by_loop()
        for loop, subscriptions in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: its streams are gone
                loop.call_soon_threadsafe(_end, subscriptions)

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def publish(self, notices: list[Notice]) -> None:
        """From any thread, without blocking: deliver `notices` to every matching subscriber."""
        if not notices:
            return
        with self._lock:
            self.published += len(notices)
            by_loop = self._by_loop()
        for loop, subscriptions in by_loop.items():
            try:
                loop.call_soon_threadsafe(_deliver, subscriptions, notices)
            except RuntimeError:  # the loop is closed: its streams are gone
                with self._lock:
                    self._subscriptions.difference_update(subscriptions)

    def _by_loop(self) -> dict[asyncio.AbstractEventLoop, list[Subscription]]:
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        for subscription in self._subscriptions:
            by_loop.setdefault(subscription.loop, []).append(subscription)
        return by_loop


def _end(subscriptions: list[Subscription]) -> None:
    for subscription in subscriptions:
        subscription.end()


def _deliver(subscriptions: list[Subscription], notices: list[Notice]) -> None:
    for subscription in subscriptions:
        for notice in notices:
            subscription.offer(notice)
