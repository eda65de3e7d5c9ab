"""Per-token rate limits: 429 RATE_LIMITED with Retry-After, before the request is read.

A token bucket per API token (keyed by a hash of the token, never the token itself) and one per
client address for requests that are not (yet) known to be authenticated. Each bucket holds up
to `burst` requests and refills at `rate` per second. In memory, per process: with N workers a
token gets N times the rate at most, which is the point of a guard against runaway clients, not
a quota.

Which bucket pays:
  - a request without a bearer token pays its client address's bucket;
  - a request with a token pays that token's bucket, once the token has been answered with
    something other than 401; until then (its first request, and after a 401) it pays the
    address's bucket too. So a client inventing tokens cannot get a fresh bucket per guess,
    and a valid token behind a shared address (a pharmacy chain's NAT) keeps its own bucket.

Only the API (`/api/…`) is limited: pages, the scanner app's files, /health and the OpenAPI
description are not. Buckets refilled to the brim are forgotten, so memory stays bounded by the
clients active in the last few seconds. Everything runs on the event loop: no locks.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LIMITED_PREFIX = "/api/"
PRUNE_EVERY = 4096  # buckets checked between two sweeps of full buckets


# The time source of the buckets an app makes; tests of the whole app swap it for a settable one.
monotonic_clock: Callable[[], float] = time.monotonic


@dataclass
class Bucket:
    tokens: float
    stamp: float


@dataclass(frozen=True)
class Limit:
    """`rate` requests per second sustained, `burst` at once; a rate of 0 turns the limit off."""

    rate: float
    burst: int

    @property
    def enabled(self) -> bool:
        return self.rate > 0


UNLIMITED = Limit(rate=1e9, burst=10**9)


class TokenBuckets:
    """Named token buckets of one limit. `take(key)` → 0.0 when allowed, else seconds to wait."""

    def __init__(self, limit: Limit, clock: Callable[[], float] | None = None) -> None:
        self.limit = limit
        self.clock = clock or monotonic_clock
        self.buckets: dict[str, Bucket] = {}
        self._since_prune = 0

    def take(self, key: str) -> float:
        now = self.clock()
        rate, burst = self.limit.rate, self.limit.burst
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(float(burst), now)
            self._maybe_prune(now)
        else:
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate

    def forget(self, key: str) -> None:
        self.buckets.pop(key, None)

    def __contains__(self, key: str) -> bool:
        return key in self.buckets

    def _maybe_prune(self, now: float) -> None:
        """Drop the buckets that have refilled completely: they are as good as new ones."""
        self._since_prune += 1
        if self._since_prune < PRUNE_EVERY:
            return
        self._since_prune = 0
        full_after = self.limit.burst / self.limit.rate
        stale = [key for key, b in self.buckets.items() if now - b.stamp >= full_after]
        for key in stale:
            del self.buckets[key]


def _bearer_key(headers: Headers) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return hashlib.sha256(token.strip().encode()).hexdigest()[:32]


class RateLimitMiddleware:
    """Answer 429 RATE_LIMITED (with Retry-After) to API requests over their bucket's limit."""

    def __init__(self, app: ASGIApp, per_token: Limit, per_address: Limit) -> None:
        self.app = app
        # With the per-token limit off, tokens are still tracked (never limited): a token the
        # service has accepted must not fall back to its client address's bucket.
        self.tokens = TokenBuckets(per_token if per_token.enabled else UNLIMITED)
        self.addresses = TokenBuckets(per_address) if per_address.enabled else None
        self._limits_on = per_token.enabled or per_address.enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self._limits_on
            or not scope.get("path", "").startswith(LIMITED_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        token_key = _bearer_key(Headers(scope=scope))
        proven = token_key is not None and token_key in self.tokens
        wait = 0.0
        if not proven and self.addresses is not None:
            client = scope.get("client")
            wait = self.addresses.take(client[0] if client else "-")
        if not wait and token_key is not None:
            wait = self.tokens.take(token_key)
        if wait:
            await _refuse(scope, receive, send, wait)
            return
        if token_key is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._forgetting_on_401(send, token_key))

    def _forgetting_on_401(self, send: Send, token_key: str) -> Send:
        """A `send` that drops the token's bucket when the token is refused: it proved nothing."""
        tokens = self.tokens

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                tokens.forget(token_key)
            await send(message)

        return watched


def document_rate_limits(app: FastAPI) -> None:
    """Add 429 (with Retry-After) to every operation the middleware limits, all of /api/,
    whichever router declared it: the description is post-processed once, when first built."""
    from services.api.routes import errors

    description = str(errors(429)[429]["description"])

    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            for path, operations in spec.get("paths", {}).items():
                if not path.startswith(LIMITED_PREFIX):
                    continue
                for operation in operations.values():
                    operation.setdefault("responses", {}).setdefault("429", _documented_429())
        return app.openapi_schema or {}

    def _documented_429() -> dict[str, Any]:
        return {
            "description": description,
            "headers": {
                "Retry-After": {
                    "description": "Seconds to wait before the next request.",
                    "schema": {"type": "integer", "minimum": 1},
                }
            },
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}
            },
        }

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


async def _refuse(scope: Scope, receive: Receive, send: Send, wait: float) -> None:
    seconds = max(1, math.ceil(wait))
    response = JSONResponse(
        {
            "code": "RATE_LIMITED",
            "message": f"Too many requests in a short time; retry in {seconds} s.",
        },
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )
    await response(scope, receive, send)
