"""Live recall notice in real Chromium: the scanner is open on a green verdict, the manufacturer
recalls the batch through the API, and the page shows the red banner and turns the verdict red."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Site
from tests.e2e.scanner.support import scanner_sign_in, shot, wedge_scan

pytestmark = pytest.mark.e2e

GS = "\u001d"
REASON = "Glass particles found in retained samples"


def wedge_text(site: Site, serial: str) -> str:
    net = site.network
    return f"]d201{net.gtin}17{net.expiry:%y%m%d}10{net.lot}{GS}21{serial}"


def recall(site: Site, token: str) -> None:
    net = site.network
    response = httpx.post(
        site.url(f"/api/v1/batches/{net.gtin}/{net.lot}/status"),
        json={"action": "recall", "reason": REASON},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def test_given_an_open_scanner_on_a_green_verdict_when_the_batch_is_recalled_then_a_red_banner_and_a_red_verdict(  # noqa: E501
    page: Page, site: Site
) -> None:
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    verdict = wedge_scan(page, wedge_text(site, "SN0004X"))
    expect(verdict).to_have_attribute("data-light", "green")
    expect(page.locator("#notices")).to_have_attribute("data-state", "live")

    recall(site, site.tokens["maker"])

    net = site.network
    banner = page.get_by_role("alert").filter(has_text=f"Batch {net.lot} of")
    expect(banner.locator(".light")).to_have_text(
        f"Batch {net.lot} of Paracetamol 500 mg tablets recalled: {REASON}", timeout=2_000
    )
    expect(banner).to_contain_text("By Acme Pharma GmbH")
    expect(verdict).to_have_attribute("data-light", "red")
    expect(verdict.locator("#verdict-code")).to_have_text("BATCH_RECALLED")
    expect(verdict.locator("#verdict-reasons li").first).to_contain_text(REASON)
    expect(page.get_by_role("button", name="Dispense", exact=True)).to_be_hidden()
    shot(page, "recall-notice")
    # A new scan of the batch is red with the reason (the server's verdict, not the banner's).
    page.locator("#code").focus()
    again = wedge_scan(page, wedge_text(site, "SN0005X"))
    expect(again.locator("#verdict-code")).to_have_text("BATCH_RECALLED")
    expect(again.locator("#verdict-reasons")).to_contain_text(REASON)


def test_given_a_signed_out_scanner_then_it_holds_no_notification_stream(
    page: Page, site: Site
) -> None:
    scanner_sign_in(page, site.tokens["pharmacy_b"])
    expect(page.locator("#notices")).to_have_attribute("data-state", "live")
    assert site.network.rt.notifications.subscribers == 1
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#notices")).to_have_attribute("data-state", "idle")
    hub = site.network.rt.notifications
    deadline = time.monotonic() + 5
    while hub.subscribers and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.subscribers == 0  # the aborted fetch closed the stream on the server too
