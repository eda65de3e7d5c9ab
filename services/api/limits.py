"""Request body limits: 413 PAYLOAD_TOO_LARGE and 422 JSON_TOO_DEEP before anything parses.

A declared Content-Length over the limit is refused without reading a byte; otherwise the body is
read here, counting the bytes actually streamed (chunked uploads declare no length, and a client
may lie), and handed on to the application only once it is known to fit. Memory is bounded by the
limit. Starlette 1.x has a body limit of its own, but it answers in its own error format.

A buffered JSON body (or one without a content type, which FastAPI parses as JSON) is then
checked for nesting depth: Python's json parser recurses once per level, so a body of 100,000
`[` would end in a RecursionError deep inside the parser (FastAPI's bare 400) after burning CPU,
and pydantic would recurse again. No PharmaTrace document nests more than a few levels, so past
`max_json_depth` the answer is 422 JSON_TOO_DEEP, found by a scan that runs at C speed (see
`json_depth`): microseconds for an ordinary body, milliseconds for a 1 MB one.
"""

from __future__ import annotations

from itertools import accumulate

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
        max_json_depth: int = 0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
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
        body = b"".join(chunks)
        if (
            self.max_json_depth
            and _parsed_as_json(scope)
            and deeper_than(body, self.max_json_depth)
        ):
            await _refuse_depth(scope, receive, send, self.max_json_depth)
            return
        await self.app(scope, _replay(body, receive), send)

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


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_CHUNK = 8192  # brackets summed between two looks at the running depth


def _brackets(body: bytes) -> bytes:
    """The brackets of `body` outside strings, in order, by C-speed bytes operations only.

    Escapes go first: pairs of backslashes (left to right, as a parser pairs them), then escaped
    quotes. What remains between quotes is string content: every other piece of a split on `"`.
    An unterminated string hides everything after its quote, as it would from a JSON parser.
    """
    bare = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(bare.split(b'"')[::2])
    return outside.translate(None, _NOT_BRACKETS)


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in `body`, brackets inside strings excepted.
    Malformed JSON gets a number too; the parser refuses it afterwards."""
    return max(accumulate(map(_STEP.__getitem__, _brackets(body))), default=0)


def deeper_than(body: bytes, limit: int) -> bool:
    """`json_depth(body) > limit`, stopping at the first chunk that goes deeper (a bracket bomb
    is answered in microseconds, not after summing a megabyte of brackets)."""
    if body.count(b"[") + body.count(b"{") <= limit:  # the common case: nothing to scan
        return False
    brackets = _brackets(body)
    depth = 0
    for start in range(0, len(brackets), _CHUNK):
        steps = map(_STEP.__getitem__, brackets[start : start + _CHUNK])
        running = list(accumulate(steps, initial=depth))
        if max(running) > limit:
            return True
        depth = running[-1]
    return False


def _parsed_as_json(scope: Scope) -> bool:
    """FastAPI parses a body as JSON when its type is JSON (`…/json`, `…+json`) or missing."""
    content_type = Headers(scope=scope).get("content-type", "")
    media = content_type.partition(";")[0].strip().lower()
    return not media or media.endswith(("/json", "+json"))


async def _refuse_depth(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = JSONResponse(
        {
            "code": "JSON_TOO_DEEP",
            "message": (
                f"The JSON body nests arrays and objects more than {limit} levels deep; "
                "no PharmaTrace request needs that many."
            ),
        },
        status_code=422,
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
