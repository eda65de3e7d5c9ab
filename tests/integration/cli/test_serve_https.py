"""`pharmatrace serve --https`: a self-signed certificate made on first use, kept, and served."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import httpx
import pytest

from tests.integration.cli.conftest import Cli
from tests.integration.cli.served import ServedProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _fingerprint(logs: str) -> str:
    found = re.search(r"SHA-256 fingerprint: ([0-9A-F:]{95})", logs)
    assert found, logs
    return found.group(1)


def test_given_https_when_serving_then_the_printed_certificate_is_the_one_served_and_kept(
    tmp_path: Path, data_dir: Path
) -> None:
    cert = data_dir / "tls" / "https-cert.pem"
    fingerprints = []
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        served = ServedProcess(
            tmp_path / run, "--data-dir", str(data_dir), "serve", "--https", scheme="https"
        )
        try:
            served.wait_until_healthy()
            # The certificate as a trust anchor: it names 127.0.0.1, so full verification passes.
            trusted = ssl.create_default_context(cafile=str(cert))
            health = httpx.get(f"{served.base}/health", verify=trusted, timeout=10)
            with pytest.raises(httpx.HTTPError):  # plain HTTP on the HTTPS port gets no answer
                httpx.get(f"http://127.0.0.1:{served.port}/health", timeout=5)
        finally:
            served.stop()
        logs = served.logs()
        assert health.status_code == 200, health.text
        assert ("certificate made" in logs) == (run == "first"), logs
        assert "https://127.0.0.1:" in logs
        fingerprints.append(_fingerprint(logs))
    assert fingerprints[0] == fingerprints[1]  # reused, so phones need to accept it only once


def test_given_a_cert_without_its_key_when_serving_then_it_exits_2_with_a_message(
    cli: Cli, tmp_path: Path
) -> None:
    lone = tmp_path / "cert.pem"
    lone.write_text("x")

    result = cli("serve", "--cert", str(lone))

    assert result.exit_code == 2
    assert "Give both --cert and --key" in result.output


def test_given_a_junk_certificate_when_serving_then_it_exits_2_naming_the_file(
    cli: Cli, tmp_path: Path
) -> None:
    junk = tmp_path / "cert.pem"
    junk.write_text("not a certificate")

    result = cli("serve", "--cert", str(junk), "--key", str(junk))

    assert result.exit_code == 2
    assert "Cannot read the certificate" in result.output
    assert str(junk) in result.output.replace("\n", "")
