"""Running a coroutine from a test, whatever the test session did before.

Playwright's sync API (the e2e tests' session-scoped browser) keeps an event loop running in the
main thread for the rest of the session, and `asyncio.run` refuses to start inside a running
loop. A fresh thread has no loop, so the coroutine runs there, on a loop of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def in_fresh_thread(call: Callable[[], T]) -> T:
    """`call()` in a new thread (no event loop there); its result, or its exception raised here."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=target, name="test-asyncio")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def run(coroutine_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`asyncio.run(coroutine_factory())` on a loop of its own thread."""
    return in_fresh_thread(lambda: asyncio.run(coroutine_factory()))
