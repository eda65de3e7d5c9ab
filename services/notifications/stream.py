"""One client's server-sent event stream: resume, live notices, keep-alives, resync.

The wire format is `text/event-stream`. Every notice is sent with an `id` naming the stream's
position: `BLOCK.TX.SEQ`, the last ledger position (of batch status changes) and the last alert
notice number it covers. A client that reconnects sends it back as `Last-Event-ID` and gets what
it missed from the read model, then the live notices; duplicates are dropped by position.

No notice is lost between the read model and the hub: the stream subscribes first, then reads
the read model from its position (a fresh stream: from the newest position, read before it
subscribed), and the hub only ever publishes what the read model already holds.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from services.notifications import alerts, batch_status
from services.notifications.hub import CLOSED, RESYNC, Notice, NotificationHub
from services.readmodel.tables import LedgerEvent

KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000  # the reconnect delay EventSource-style clients are told to use


@dataclass
class Position:
    """How far a stream has got: ledger (block, tx index) and alert notice sequence."""

    block: int = -1
    tx_index: int = -1
    alert_seq: int = 0

    @property
    def token(self) -> str:
        return f"{self.block}.{self.tx_index}.{self.alert_seq}"

    @classmethod
    def parse(cls, text: str | None) -> Position | None:
        """A `Last-Event-ID` as sent back by a client, or None if absent or not ours."""
        if not text:
            return None
        parts = text.strip().split(".")
        if len(parts) != 3:
            return None
        try:
            block, tx_index, seq = (int(p) for p in parts)
        except ValueError:
            return None
        if block < -1 or tx_index < -1 or seq < 0:
            return None
        return cls(block, tx_index, seq)

    def admits(self, notice: Notice) -> bool:
        """Is `notice` past this position (not yet sent)? Moves the position if so."""
        if notice.kind == alerts.KIND:
            if notice.position[0] <= self.alert_seq:
                return False
            self.alert_seq = notice.position[0]
            return True
        if notice.position <= (self.block, self.tx_index):
            return False
        self.block, self.tx_index = notice.position
        return True


def newest(engine: Engine, with_alerts: bool) -> Position:
    """The read model's newest position: where a fresh stream starts."""
    with Session(engine) as session:
        last = session.exec(
            select(LedgerEvent.block, LedgerEvent.tx_index)
            .order_by(col(LedgerEvent.block).desc(), col(LedgerEvent.tx_index).desc())
            .limit(1)
        ).first()
    position = Position(*last) if last else Position()
    if with_alerts:
        position.alert_seq = alerts.newest(engine)
    return position


def missed(engine: Engine, position: Position, with_alerts: bool) -> tuple[list[Notice], bool]:
    """What happened after `position`, oldest first; and whether too much did (resync)."""
    notices, truncated = batch_status.since(engine, position.block, position.tx_index)
    if with_alerts:
        more, alerts_truncated = alerts.since(engine, position.alert_seq)
        notices += more
        truncated = truncated or alerts_truncated
    return notices, truncated


def frame(event: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {json.dumps(data, separators=(',', ':'))}")
    return ("\n".join(lines) + "\n\n").encode()


KEEPALIVE = b": keep-alive\n\n"


@dataclass
class StreamRequest:
    """Who is listening, from where, and how to check they still may."""

    hub: NotificationHub
    engine: Engine
    role: str
    last_event_id: str | None
    still_signed_in: Callable[[], Awaitable[bool]]


async def notification_stream(request: StreamRequest) -> AsyncIterator[bytes]:
    """The bytes of one client's stream, until it disconnects (the server then cancels this)."""
    with_alerts = request.role in alerts.AUDIENCE
    resumed = Position.parse(request.last_event_id)
    start: Position = (
        resumed
        if resumed is not None
        else await run_in_threadpool(newest, request.engine, with_alerts)
    )
    subscription = request.hub.subscribe(request.role)
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        position = Position(start.block, start.tx_index, start.alert_seq)
        backlog, truncated = await run_in_threadpool(missed, request.engine, position, with_alerts)
        for notice in backlog:
            if position.admits(notice):
                yield frame(notice.kind, notice.data, position.token)
        if truncated:
            yield frame("resync", {"reason": "too many missed notices"}, position.token)
            return
        yield frame("ready", {"resumed": resumed is not None, "role": request.role}, position.token)
        while True:
            item = await subscription.next(KEEPALIVE_SECONDS)
            if item is None:
                if not await request.still_signed_in():
                    yield frame("signed-out", {"reason": "the API token is no longer valid"})
                    return
                yield KEEPALIVE
            elif item is CLOSED:
                yield b": the server is restarting; reconnect with Last-Event-ID\n\n"
                return
            elif item is RESYNC:
                yield frame("resync", {"reason": "the client did not keep up"}, position.token)
                return
            elif isinstance(item, Notice) and position.admits(item):
                yield frame(item.kind, item.data, position.token)
    finally:
        request.hub.unsubscribe(subscription)
