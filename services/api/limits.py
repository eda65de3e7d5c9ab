"""Request body size limit: 413 PAYLOAD_TOO_LARGE before anything parses the body.

A declared Content-Length over the limit is refused without reading a byte; otherwise the body is
read here, counting the bytes actually streamed (chunked uploads declare no length, and a client
may lie), and handed on to the application only once it is known to fit. Memory is bounded by the
limit. Starlette 1.x has a body limit of its own, but it answers in its own error format.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    """Refuse request bodies larger than `max_body_bytes`.

    File uploads (`upload_paths`) get `upload_max_bytes` instead and are not buffered here: their
    bytes are counted as they stream to the route, which spools them to disk.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        upload_paths: tuple[str, ...] = (),
        upload_max_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.upload_paths = upload_paths
        self.upload_max_bytes = max(upload_max_bytes, max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope.get("path", "") in self.upload_paths
        limit = self.upload_max_bytes if upload else self.max_body_bytes
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        if upload:
            await self._stream_upload(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        more_body = True
        while more_body:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its whole body
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._refuse(scope, receive, send, self.max_body_bytes)
                return
            chunks.append(chunk)
            more_body = bool(message.get("more_body", False))
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _stream_upload(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Pass an upload through, counting its bytes; past the limit the answer is our 413.

        The form parser may turn the read failure into its own 400, so once the limit is passed
        whatever the application answers is replaced by the 413 (nothing was sent before: the
        body is read before any answer starts).
        """
        state = {"exceeded": False, "answered": False}

        async def counted_send(message: Message) -> None:
            if not state["exceeded"]:
                await send(message)
            elif not state["answered"]:
                state["answered"] = True
                await self._refuse(scope, receive, send, limit)

        try:
            await self.app(scope, _counting(receive, limit, state), counted_send)
        except UploadTooLargeError:
            if not state["answered"]:
                state["answered"] = True
                await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = JSONResponse(
            {
                "code": "PAYLOAD_TOO_LARGE",
                "message": f"The request body is larger than {limit} bytes.",
            },
            status_code=413,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


class UploadTooLargeError(Exception):
    """A streamed upload passed its limit; the client lied about (or omitted) its length."""


def _counting(receive: Receive, limit: int, state: dict[str, bool]) -> Receive:
    """A `receive` that fails the request once more than `limit` body bytes have streamed."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                state["exceeded"] = True
                raise UploadTooLargeError(f"upload over {limit} bytes")
        return message

    return counted


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that yields the buffered body once, then defers to the client's."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
