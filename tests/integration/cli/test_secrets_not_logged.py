"""Tokens and private keys never reach the logs, even at DEBUG with SQL echo and access logs.

A real uvicorn process serves the API with every logger at DEBUG (uvicorn's access log, ours,
SQLAlchemy's statements with their parameters); we sign in, make good and failing requests with
real tokens, revoke one, then search everything it wrote for the tokens and the private keys.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.auth.tokens import create_token
from tests.integration.cli.served import STARTUP_SECONDS, free_port
from tests.support.network import build_small_network

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"level": "DEBUG", "handlers": ["stderr"]},
    "loggers": {
        "uvicorn": {"level": "DEBUG"},
        "uvicorn.access": {"level": "DEBUG"},
        "sqlalchemy.engine": {"level": "INFO"},  # statements and their parameters
        "pharmatrace": {"level": "DEBUG"},
    },
}


def pem_body(path: Path) -> list[str]:
    """The base64 lines of a PEM file: what a leaked key would look like in a log."""
    return [line for line in path.read_text().splitlines() if line and not line.startswith("-")]


def test_given_debug_logging_when_tokens_are_used_and_refused_then_no_secret_is_logged(
    tmp_path: Path,
) -> None:
    net = build_small_network(tmp_path / "data")
    tokens = {
        name: create_token(net.rt, user=f"{name}@example", msp_id=actor.msp_id)
        for name, actor in (("maker", net.maker), ("pharmacy", net.pharmacy_a))
    }
    code = net.code(net.serials[0])
    net.rt.close()
    config = tmp_path / "logging.json"
    config.write_text(json.dumps(LOG_CONFIG))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_file = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHARMATRACE_")}
    env |= {"PHARMATRACE_DATA_DIR": str(tmp_path / "data"), "PHARMATRACE_LIVE_DETECTION": "off"}
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "services.api.main:app_from_env",
        "--port", str(port), "--log-config", str(config), "--log-level", "debug",
    ]  # fmt: skip
    with log_file.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, log_file.read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_file.read_text()
            time.sleep(0.3)
        maker = {"Authorization": f"Bearer {tokens['maker']}"}
        pharmacy = {"Authorization": f"Bearer {tokens['pharmacy']}"}
        with httpx.Client(base_url=base, timeout=30) as client:
            assert client.get("/api/v1/me", headers=maker).status_code == 200
            assert client.post("/api/v1/verify", json={"code": code}, headers=pharmacy).is_success
            assert client.get("/api/v1/audit", headers=pharmacy).status_code == 403
            assert client.post("/api/v1/shipments", json={"x": 1}, headers=maker).status_code == 422
            malformed = {"Authorization": f"Token {tokens['maker']}"}
            assert client.get("/api/v1/me", headers=malformed).status_code == 401
            signed_in = client.post(
                "/manufacturer/sign-in",
                data={"token": tokens["maker"]},
                headers={"Origin": base},
                follow_redirects=False,
            )
            assert signed_in.status_code == 303, signed_in.text
            assert client.get("/manufacturer").status_code == 200
            refused = client.post(
                "/manufacturer/sign-in",
                data={"token": tokens["pharmacy"]},
                headers={"Origin": base},
            )
            assert refused.status_code == 403
            assert client.delete("/api/v1/me/token", headers=pharmacy).status_code == 200
            assert client.get("/api/v1/me", headers=pharmacy).status_code == 401
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    logged = log_file.read_text(errors="replace")
    # The capture works: access lines, our DEBUG output and SQL parameters are all there.
    assert '"GET /api/v1/me HTTP/1.1" 401' in logged
    assert "DEBUG" in logged
    assert "INFO sqlalchemy.engine" in logged
    for name, token in tokens.items():
        assert token not in logged, f"the {name} token is in the log"
        assert token.removeprefix("pt_") not in logged, f"the {name} token's secret is in the log"
    keys = sorted((tmp_path / "data" / "msp").glob("*/*/*/key.pem")) + sorted(
        (tmp_path / "data" / "msp").glob("*/ca/ca.key")
    )
    assert len(keys) >= 12
    for key in keys:
        for line in pem_body(key):
            assert line not in logged, f"{key} is in the log"
