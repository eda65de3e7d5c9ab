"""The hub: thread → event loop fan-out, audience by role, a slow subscriber dropped alone."""

from __future__ import annotations

import asyncio
import threading

import pytest

from services.notifications.hub import RESYNC, Notice, NotificationHub
from tests.support.aio import run

pytestmark = pytest.mark.integration


def notice(n: int, roles: frozenset[str] = frozenset()) -> Notice:
    return Notice("batch-status", (n, 0), {"n": n}, roles)


def publish_from_thread(hub: NotificationHub, notices: list[Notice]) -> None:
    thread = threading.Thread(target=hub.publish, args=(notices,))
    thread.start()
    thread.join()


def test_given_subscribers_when_a_thread_publishes_then_each_gets_what_its_role_may_hear() -> None:
    async def scenario() -> None:
        hub = NotificationHub()
        pharmacy = hub.subscribe("pharmacy")
        regulator = hub.subscribe("regulator")
        publish_from_thread(hub, [notice(1), notice(2, frozenset({"regulator"}))])
        assert await regulator.next(1) == notice(1)
        assert await regulator.next(1) == notice(2, frozenset({"regulator"}))
        assert await pharmacy.next(1) == notice(1)
        assert await pharmacy.next(0.05) is None
        hub.unsubscribe(pharmacy)
        hub.unsubscribe(regulator)
        assert hub.subscribers == 0

    run(scenario)


def test_given_a_subscriber_that_does_not_read_then_it_alone_is_dropped_with_a_resync() -> None:
    async def scenario() -> None:
        hub = NotificationHub(queue_size=3)
        slow = hub.subscribe("pharmacy")
        fast = hub.subscribe("pharmacy")
        received = []
        for n in range(10):
            publish_from_thread(hub, [notice(n)])
            await asyncio.sleep(0)  # let the loop deliver
            await asyncio.sleep(0)
            item = await fast.next(1)
            received.append(item)
        assert received == [notice(n) for n in range(10)]
        assert slow.dropped
        assert await slow.next(1) is RESYNC
        assert await slow.next(0.05) is None  # nothing more after the resync marker

    run(scenario)


def test_given_a_closed_event_loop_when_publishing_then_its_subscribers_are_forgotten() -> None:
    hub = NotificationHub()

    async def subscribe() -> None:
        hub.subscribe("pharmacy")

    run(subscribe)  # the loop closes with the subscription still registered
    hub.publish([notice(1)])
    assert hub.subscribers == 0
