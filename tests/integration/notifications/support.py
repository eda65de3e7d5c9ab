"""An SSE client for the notification tests: reads one stream in a thread, events in a queue."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SseEvent:
    event: str  # "comment" for a comment line
    data: dict[str, Any]
    id: str | None
    received: float  # time.perf_counter() when its last line was read


class SseListener:
    """`GET /api/v1/notifications` as a client keeps it open; `next("batch-status")`."""

    def __init__(self, base: str, token: str | None, last_event_id: str | None = None) -> None:
        self.headers = {"Accept": "text/event-stream"}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        if last_event_id is not None:
            self.headers["Last-Event-ID"] = last_event_id
        self.url = f"{base}/api/v1/notifications"
        self.events: queue.Queue[SseEvent] = queue.Queue()
        self.seen: list[SseEvent] = []
        self.status: int | None = None
        self.content_type = ""
        self.body = b""
        self._opened = threading.Event()
        self._response: httpx.Response | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> SseListener:
        self._thread.start()
        if not self._opened.wait(10):
            raise TimeoutError("the stream did not open")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._response is not None:
            self._response.close()
        self._thread.join(timeout=5)

    def _read(self) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(10, read=None)) as client,
                client.stream("GET", self.url, headers=self.headers) as response,
            ):
                self._response = response
                self.status = response.status_code
                self.content_type = response.headers.get("content-type", "")
                if response.status_code != 200:
                    self.body = response.read()
                    self._opened.set()
                    return
                self._opened.set()
                self._parse(response)
        except (httpx.HTTPError, RuntimeError, ValueError):
            pass  # closed by the test
        finally:
            self._opened.set()

    def _parse(self, response: httpx.Response) -> None:
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if line.startswith(":"):
                self.events.put(SseEvent("comment", {"text": line[1:].strip()}, None, _now()))
            elif line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            elif "event" in fields or "data" in fields:
                data = json.loads(fields["data"]) if "data" in fields else {}
                self.events.put(
                    SseEvent(fields.get("event", "message"), data, fields.get("id"), _now())
                )
                fields = {}
            else:
                fields = {}

    def next(self, event: str, timeout: float = 10.0) -> SseEvent:
        """The next event named `event` (others are kept in `seen`), or TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {event!r} event within {timeout} s; saw {self.seen}")
            try:
                item = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(item)
            if item.event == event:
                return item

    def drain(self) -> list[SseEvent]:
        while True:
            try:
                self.seen.append(self.events.get_nowait())
            except queue.Empty:
                return list(self.seen)


def _now() -> float:
    return time.perf_counter()
