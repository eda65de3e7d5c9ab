"""GET /api/v1/notifications: live notices as server-sent events (text/event-stream).

Thin: authenticate (Bearer, like every route: the token never goes in a URL, so browsers read the
stream with fetch() and a ReadableStream, not EventSource), then hand the stream to
services.notifications.stream. The token is checked again at every keep-alive, so a revoked
token's stream ends within `KEEPALIVE_SECONDS`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from services.api.deps import AnyRoleDep, RuntimeDep
from services.auth.tokens import AuthError, authenticate, cached_actor
from services.notifications.stream import StreamRequest, notification_stream

router = APIRouter(tags=["notifications"])

STREAM_DESCRIPTION = """\
A server-sent event stream (`text/event-stream`) that stays open. Events:

- `ready`: the stream is live (`{"resumed": bool, "role": ...}`); sent once, after any missed
  events.
- `batch-status`: a batch was recalled, withdrawn, quarantined or released — to every
  organization. Data: `gtin`, `lot`, `product` (name), `status`, `reason`, `by` (MSP ID),
  `by_name`, `at`, `block`, `tx_index`, `tx_id`.
- `alert`: detection raised a new alert — to regulators only. Data: `key`, `rule`, `severity`,
  `sentence`, `gtin`, `lot`, `serial`, `detected_at`, `seq`.
- `resync`: the client fell behind (or missed more than can be replayed); the server closes the
  stream. Reload what is on screen, then reconnect.
- `signed-out`: the token was revoked or expired; the stream closes.

Comment lines (`: keep-alive`) come every 15 s while nothing happens. Every event carries an `id`
(`BLOCK.TX.SEQ`); reconnect with the header `Last-Event-ID: <id>` to receive what was missed
(the read model keeps it) before the live events. A `retry:` field suggests the reconnect delay.
"""


@router.get(
    "/notifications",
    operation_id="stream_notifications",
    summary="Live notifications (server-sent events)",
    description=STREAM_DESCRIPTION,
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An open text/event-stream.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def stream_notifications(
    request: Request,
    rt: RuntimeDep,
    actor: AnyRoleDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()

    async def still_signed_in() -> bool:
        if cached_actor(rt, token) is not None:
            return True
        try:
            await run_in_threadpool(authenticate, rt, token)
        except AuthError:
            return False
        return True

    stream = notification_stream(
        StreamRequest(rt.notifications, rt.engine, actor.role, last_event_id, still_signed_in)
    )
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
