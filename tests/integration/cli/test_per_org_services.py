"""One service per organization: two real `pharmatrace serve` processes on ONE embedded ledger.

Each has its own data directory (read model, tokens, audit) and an MSP folder holding only its
own organization's key plus every organization's CA certificate, and runs with PHARMATRACE_ORG.
The ledger file stands in for the channel (on Fabric: each organization's own peer). A shipment
made through the maker's service is received through the wholesaler's; neither can act for the
other.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from services.auth.tokens import token_id
from services.cli.main import app
from services.config import Settings
from services.errors import PharmaTraceError
from services.identity import MspDirectory, copy_for_service
from services.runtime import Runtime
from tests.integration.cli.served import STARTUP_SECONDS, free_port, pharmatrace_command
from tests.support.network import SmallNetwork, build_small_network

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAKER, WHOLESALER = "MakerMSP", "WholesaleMSP"


@dataclass
class OrgService:
    """One organization's `pharmatrace serve`, with its own data dir and only its own key."""

    msp_id: str
    data_dir: Path
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, ["--data-dir", str(self.data_dir), *args], env=self.env)
        return result.exit_code, result.stdout, result.stderr

    def start(self) -> None:
        self.port = free_port()
        command = [*pharmatrace_command(), "--data-dir", str(self.data_dir), "serve"]
        with (self.data_dir.parent / f"{self.msp_id}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
            )

    def logs(self) -> str:
        return (self.data_dir.parent / f"{self.msp_id}.log").read_text(errors="replace")

    def wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.msp_id}'s service exited:\n{self.logs()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        pytest.fail(f"{self.msp_id}'s service is not healthy:\n{self.logs()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def org_service(root: Path, shared: SmallNetwork, msp_id: str) -> OrgService:
    data_dir = root / msp_id
    copy_for_service(shared.rt.settings.msp_dir, data_dir / "msp", msp_id)
    env = {
        "PHARMATRACE_ORG": msp_id,
        "PHARMATRACE_LEDGER_PATH": str(shared.rt.settings.ledger_path),
        "PHARMATRACE_DATABASE_URL": "",
        "PHARMATRACE_LIVE_DETECTION": "off",
    }
    return OrgService(msp_id, data_dir, env)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[tuple[SmallNetwork, OrgService, OrgService]]:
    # Provisioning (cryptogen's job on Fabric): every organization's identity made in one place,
    # the channel's first transactions written; then each service gets only its own key.
    shared = build_small_network(tmp_path / "provisioning")
    shared.rt.close()
    maker = org_service(tmp_path, shared, MAKER)
    wholesaler = org_service(tmp_path, shared, WHOLESALER)
    try:
        yield shared, maker, wholesaler
    finally:
        maker.stop()
        wholesaler.stop()


def test_given_per_org_folders_then_each_holds_only_its_own_private_key(
    services: tuple[SmallNetwork, OrgService, OrgService],
) -> None:
    shared, maker, wholesaler = services
    everyone = MspDirectory(shared.rt.settings.msp_dir).msp_ids()
    for service in (maker, wholesaler):
        folder = MspDirectory(service.data_dir / "msp")
        assert folder.key_holders() == [service.msp_id]
        assert folder.msp_ids() == everyone  # every CA certificate, to check signatures
        assert not list((service.data_dir / "msp").glob("*/ca/ca.key"))


def test_given_two_org_services_on_one_ledger_when_a_ships_then_b_receives_through_its_own(
    services: tuple[SmallNetwork, OrgService, OrgService],
) -> None:
    shared, maker, wholesaler = services
    tokens = {}
    for service, user in ((maker, "ann@maker"), (wholesaler, "bob@wholesale")):
        status, out, err = service.cli("users", "create", "--msp", service.msp_id, "--user", user)
        assert status == 0, err
        tokens[service.msp_id] = out.strip()
    status, _, err = maker.cli("users", "create", "--msp", WHOLESALER, "--user", "mallory")
    assert status == 2
    assert "FOREIGN_ORGANIZATION" in err
    maker.start()
    wholesaler.start()
    maker.wait_until_healthy()
    wholesaler.wait_until_healthy()

    line = {"gtin": shared.gtin, "lot": shared.lot, "quantity": 3}
    with (
        httpx.Client(base_url=maker.base, timeout=30) as at_maker,
        httpx.Client(base_url=wholesaler.base, timeout=30) as at_wholesaler,
    ):
        as_maker = {"Authorization": f"Bearer {tokens[MAKER]}"}
        as_wholesaler = {"Authorization": f"Bearer {tokens[WHOLESALER]}"}
        shipped = at_maker.post(
            "/api/v1/shipments", json={"receiver": WHOLESALER, "lines": [line]}, headers=as_maker
        )
        assert shipped.status_code == 201, shipped.text
        shipment_id = shipped.json()["shipment"]["shipment_id"]

        # The wholesaler's service learns of it from the ledger only (its own read model).
        deadline = time.monotonic() + 20
        while True:
            seen = at_wholesaler.get(f"/api/v1/shipments/{shipment_id}", headers=as_wholesaler)
            if seen.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert seen.status_code == 200, seen.text
        assert seen.json()["status"] == "in_transit"
        received = at_wholesaler.post(
            f"/api/v1/shipments/{shipment_id}/receive", headers=as_wholesaler
        )
        assert received.status_code == 200, received.text
        assert received.json()["shipment"]["status"] == "received"

        # Neither service accepts the other's users (their tokens do not exist there).
        assert at_maker.get("/api/v1/me", headers=as_wholesaler).status_code == 401
        assert at_wholesaler.get("/api/v1/me", headers=as_maker).status_code == 401
        # A maker cannot receive what was shipped to the wholesaler: refused, nothing written.
        again = at_maker.post(f"/api/v1/shipments/{shipment_id}/receive", headers=as_maker)
        assert again.status_code in (403, 404, 409, 422), again.text

    # Each service's audit trail names its own user; the ledger names the signing organization.
    status, out, _ = wholesaler.cli("audit", "--action", "Receive", "--user", "bob@wholesale",
                                    "--json")  # fmt: skip
    assert status == 0
    [receipt] = [json.loads(line) for line in out.splitlines()]
    assert (receipt["msp_id"], receipt["outcome"]) == (WHOLESALER, "committed")
    assert receipt["origin"] == f"api 127.0.0.1 token {token_id(tokens[WHOLESALER])}"


def test_given_the_makers_service_then_it_cannot_sign_for_the_wholesaler(
    services: tuple[SmallNetwork, OrgService, OrgService],
) -> None:
    shared, maker, _ = services
    settings = Settings(
        data_dir=maker.data_dir, org=MAKER, ledger_file=shared.rt.settings.ledger_path
    )
    rt = Runtime(settings)
    try:
        height = rt.ledger.height()
        with pytest.raises(PharmaTraceError) as refused:
            rt.submit(WHOLESALER, "Receive", {"shipment_id": "SHP-ANY"})
        assert refused.value.code == "FOREIGN_ORGANIZATION"
        # Even without the setting, the key is simply not there: a clear error, no signature.
        unrestricted = Runtime(Settings(data_dir=maker.data_dir, ledger_file=settings.ledger_file))
        try:
            with pytest.raises(PharmaTraceError) as missing:
                unrestricted.identity(WHOLESALER)
            assert missing.value.code == "NO_SIGNING_KEY"
            assert WHOLESALER in missing.value.message
        finally:
            unrestricted.close()
        assert rt.ledger.height() == height
    finally:
        rt.close()
