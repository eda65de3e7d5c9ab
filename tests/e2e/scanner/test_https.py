"""Phones on the LAN: the camera needs a secure origin, which `serve --https` gives.

A phone reaches the service at this machine's LAN address, not at localhost, and a browser
exposes `navigator.mediaDevices` (the camera) to a page only in a secure context: over plain
HTTP from a LAN address the scanner can use no camera; over HTTPS with the self-signed
certificate (accepted once, here by `ignore_https_errors`) it can.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from services.tls import lan_addresses
from tests.e2e.support import screenshot
from tests.integration.cli.served import ServedProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CAMERA_PROBE = "() => [window.isSecureContext, typeof navigator.mediaDevices?.getUserMedia]"


def _lan_address() -> str:
    addresses = lan_addresses()
    if not addresses:  # a machine with loopback only has no LAN for a phone to be on
        pytest.skip("this machine has no LAN address")
    return addresses[0]


@pytest.mark.parametrize(
    ("scheme", "secure"), [("https", True), ("http", False)], ids=["https", "plain-http"]
)
def test_given_the_scanner_opened_at_the_lan_address_then_only_https_offers_the_camera(
    browser: Browser, tmp_path: Path, scheme: str, secure: bool
) -> None:
    address = _lan_address()
    flags = ["--https"] if scheme == "https" else []
    served = ServedProcess(
        tmp_path,
        "--data-dir",
        str(tmp_path / "data"),
        "serve",
        "--host",
        "0.0.0.0",
        *flags,
        scheme=scheme,
    )
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 412, "height": 915})
    try:
        served.wait_until_healthy()
        page = context.new_page()
        page.goto(f"{scheme}://{address}:{served.port}/scanner/")
        page.wait_for_selector("#signin-form")
        secure_context, get_user_media = page.evaluate(CAMERA_PROBE)
        screenshot(page, f"scanner-lan-{scheme}")
    finally:
        context.close()
        served.stop()

    assert secure_context is secure
    assert get_user_media == ("function" if secure else "undefined")
    if secure:
        logs = served.logs()
        assert f"https://{address}:{served.port}/scanner/" in logs  # the URL printed for phones
