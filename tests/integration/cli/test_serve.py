"""`pharmatrace serve` as a real process, next to CLI commands writing to the same ledger."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.cli.conftest import Chain, Cli, ok
from tests.integration.cli.served import ServedProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def wait_until_indexed(client: httpx.Client, timeout: float = 10) -> None:
    """Until the server's indexer has followed every block, including other processes' ones."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = client.get("/health").json()
        checkpoint = health["indexer_checkpoint"] or {"block": -1}
        if checkpoint["block"] >= health["ledger_height"] - 1:
            return
        time.sleep(0.1)
    pytest.fail(f"the server's indexer did not catch up: {health}")


def test_given_a_served_network_when_the_cli_dispenses_then_the_api_sees_it(
    cli: Cli, chain: Chain, tmp_path: Path, data_dir: Path
) -> None:
    token = ok(cli("users", "create", "--msp", "PharmacyAMSP", "--user", "alice")).stdout.strip()
    served = ServedProcess(tmp_path, "--data-dir", str(data_dir), "serve")
    try:
        served.wait_until_healthy()
        auth = {"Authorization": f"Bearer {token}"}
        code = chain.code(chain.serials[0])
        with httpx.Client(base_url=served.base, timeout=10, headers=auth) as client:
            me = client.get("/api/v1/me")
            assert me.status_code == 200, me.text
            assert me.json()["msp_id"] == "PharmacyAMSP"
            before = client.post("/api/v1/verify", json={"code": code}).json()

            ok(cli("dispense", code, "--as", "PharmacyAMSP"))  # another process writes
            after = json.loads(ok(cli("verify", code, "--as", "PharmacyAMSP", "--json")).stdout)
            wait_until_indexed(client)
            over_http = client.post("/api/v1/verify", json={"code": code}).json()
    finally:
        served.stop()

    assert before["result"] == "OK"
    assert after["result"] == "ALREADY_DISPENSED_HERE"
    assert over_http["pack"]["status"] == "supplied"
    assert served.stopped_cleanly(), served.logs()
