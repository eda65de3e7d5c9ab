"""`pharmatrace demo` as a real process: it builds, serves, and answers real HTTP verifications."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.demo import DemoResult
from tests.integration.cli.served import ServedProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def demo_process(tmp_path: Path) -> Iterator[ServedProcess]:
    served = ServedProcess(
        tmp_path, "demo", "--packs-per-batch", "50", "--dir", str(tmp_path / "demo")
    )
    try:
        served.wait_until_healthy()
        yield served
    finally:
        served.stop()


def test_given_the_demo_served_when_each_sample_is_verified_over_http_then_verdicts_match(
    demo_process: ServedProcess, tmp_path: Path
) -> None:
    result = DemoResult.from_json((tmp_path / "demo" / "demo.json").read_text())
    printed_tokens = set(re.findall(r"pt_[A-Za-z0-9_-]{43}", demo_process.stdout.read_text()))
    assert printed_tokens == {user.token for user in result.users}

    with httpx.Client(base_url=demo_process.base, timeout=10) as client:
        for sample in result.samples:
            token = result.user_of(sample.scan_as).token
            for code in (sample.element_string, sample.digital_link):
                response = client.post(
                    "/api/v1/verify",
                    json={"code": code},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200, response.text
                verdict = response.json()
                assert (verdict["result"], verdict["light"]) == (
                    sample.expected_result,
                    sample.expected_light,
                ), (sample.label, verdict["reasons"])

    assert demo_process.stopped_cleanly(), demo_process.logs()
