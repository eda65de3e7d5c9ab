"""`pharmatrace serve` as a real process, next to CLI commands writing to the same ledger."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

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


def test_given_two_workers_when_serving_then_both_answer_and_follow_other_processes_writes(
    cli: Cli, chain: Chain, tmp_path: Path, data_dir: Path
) -> None:
    token = ok(cli("users", "create", "--msp", "PharmacyAMSP", "--user", "bob")).stdout.strip()
    served = ServedProcess(tmp_path, "--data-dir", str(data_dir), "serve", "--workers", "2")
    auth = {"Authorization": f"Bearer {token}"}
    code = chain.code(chain.serials[0])

    def verify_on_a_new_connection() -> dict[str, Any]:
        # A new connection each time: the kernel spreads them over both workers' accept().
        response = httpx.post(
            f"{served.base}/api/v1/verify", json={"code": code}, headers=auth, timeout=10
        )
        assert response.status_code == 200, response.text
        verdict: dict[str, Any] = response.json()
        return verdict

    try:
        served.wait_until_healthy()
        before = [verify_on_a_new_connection() for _ in range(20)]
        ok(cli("dispense", code, "--as", "PharmacyAMSP"))  # another process writes
        deadline = time.monotonic() + 10
        seen: list[dict[str, Any]] = []
        while len(seen) < 10 and time.monotonic() < deadline:  # 10 in a row: both indexers
            verdict = verify_on_a_new_connection()
            seen = [*seen, verdict] if verdict["pack"] is not None else []
            time.sleep(0.05)
    finally:
        served.stop()

    assert {v["result"] for v in before} == {"OK"}
    scan_ids = [v["scan_id"] for v in before]
    assert len(set(scan_ids)) == len(scan_ids)
    assert len(seen) == 10, "a worker's indexer did not follow the CLI's write"
    assert {v["pack"]["status"] for v in seen} == {"supplied"}
    assert served.logs().count("Application startup complete") == 2, served.logs()
    assert served.stopped_cleanly(), served.logs()
