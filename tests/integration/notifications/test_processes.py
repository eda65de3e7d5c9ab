"""Several server processes over one ledger and read model: each tells its own subscribers,
whichever process indexed the block."""

from __future__ import annotations

import asyncio

import pytest

from services.domain import batches
from services.notifications.hub import Notice
from services.runtime import Runtime
from tests.support.aio import run
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


def test_given_a_second_process_when_the_first_recalls_then_the_seconds_subscribers_hear_it(
    network: SmallNetwork,
) -> None:
    other = Runtime(network.rt.settings, clock=network.clock)  # another `serve` worker

    async def listen() -> Notice:
        subscription = other.notifications.subscribe("pharmacy")
        other.start_indexer()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(
            None,
            lambda: batches.change_batch_status(
                network.rt,
                actor=network.maker,
                gtin=network.gtin,
                lot=network.lot,
                status="quarantined",
                reason="Temperature excursion",
            ),
        )
        received = await subscription.next(10)
        assert isinstance(received, Notice)
        return received

    try:
        notice = run(listen)
    finally:
        other.close()
    assert notice.kind == "batch-status"
    assert notice.data["status"] == "quarantined"
    assert notice.data["reason"] == "Temperature excursion"
    assert notice.data["by_name"] == "Acme Pharma GmbH"
