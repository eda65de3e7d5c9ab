"""`pharmatrace serve --workers 2` as real processes: a recall written by another process (the
CLI) reaches open notification streams on every worker, and open streams do not keep the server
from stopping."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.integration.cli.conftest import Chain, Cli, ok
from tests.integration.cli.served import ServedProcess
from tests.integration.notifications.support import SseListener

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STREAMS = 6  # new connections: the kernel spreads them over both workers' accept()


def test_given_two_workers_with_open_streams_when_the_cli_recalls_then_every_stream_hears_it_and_the_server_still_stops(  # noqa: E501
    cli: Cli, chain: Chain, tmp_path: Path, data_dir: Path
) -> None:
    token = ok(cli("users", "create", "--msp", "PharmacyAMSP", "--user", "carol")).stdout.strip()
    served = ServedProcess(tmp_path, "--data-dir", str(data_dir), "serve", "--workers", "2")
    try:
        served.wait_until_healthy()
        with ExitStack() as streams:
            listeners = [
                streams.enter_context(SseListener(served.base, token)) for _ in range(STREAMS)
            ]
            for listener in listeners:
                listener.next("ready")
            ok(cli("batch", "recall", "--as", "MakerMSP", chain.gtin, chain.lot,
                   "--reason", "Nitrosamine above limit"))  # fmt: skip
            heard = [listener.next("batch-status", timeout=10) for listener in listeners]
            # Still open when the server is told to stop: it must end them and exit.
            code = served.stop()
    finally:
        served.stop()

    assert {(e.data["lot"], e.data["status"]) for e in heard} == {(chain.lot, "recalled")}
    assert {e.data["reason"] for e in heard} == {"Nitrosamine above limit"}
    assert len({e.id for e in heard}) == 1  # the same ledger position, whichever worker
    assert served.logs().count("Application shutdown complete") == 2, served.logs()
    assert code in (0, -15), served.logs()
