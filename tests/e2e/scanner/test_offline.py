"""The offline queue: scans and dispenses without a connection are kept and sent later."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Site
from tests.e2e.scanner.support import scanner_sign_in, shot, wedge_scan
from tests.e2e.scanner.test_pharmacy import wedge_text

pytestmark = pytest.mark.e2e


def test_given_no_connection_when_scanning_then_the_scan_is_queued_and_verified_later(
    offline_page: Page, site: Site
) -> None:
    page = offline_page
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    page.context.set_offline(True)

    verdict = wedge_scan(page, wedge_text(site, "SN0010X"))
    expect(verdict).to_have_attribute("data-light", "amber")
    expect(verdict.locator("#verdict-code")).to_have_text("OFFLINE")
    expect(verdict).to_contain_text("Do not dispense until then")
    wedge_scan(page, wedge_text(site, "NOPE123"))
    queue = page.locator("#queue")
    expect(queue).to_have_attribute("data-pending", "2")
    expect(queue).to_contain_text("2 waiting to be sent")
    shot(page, "offline-queued")

    page.context.set_offline(False)
    expect(queue).to_have_attribute("data-pending", "0")
    done = page.locator("#queue-done li")
    expect(done).to_have_count(2)
    expect(done.filter(has_text="SN0010X")).to_contain_text("Dispense (OK)")
    expect(done.filter(has_text="NOPE123")).to_contain_text("UNKNOWN_SERIAL")
    shot(page, "offline-replayed")


def test_given_a_lost_connection_when_dispensing_then_it_is_sent_once_when_back(
    offline_page: Page, site: Site
) -> None:
    page = offline_page
    net = site.network
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    code = wedge_text(site, "SN0011X")
    verdict = wedge_scan(page, code)
    expect(verdict).to_have_attribute("data-light", "green")
    height = net.rt.ledger.height()

    page.context.set_offline(True)
    page.get_by_role("button", name="Dispense", exact=True).click()
    expect(verdict).to_have_attribute("data-dispensed", "queued")
    expect(page.locator("#queue")).to_have_attribute("data-pending", "1")
    assert net.rt.ledger.height() == height

    page.context.set_offline(False)
    expect(page.locator("#queue")).to_have_attribute("data-pending", "0")
    expect(page.locator("#queue-done li")).to_contain_text("dispensed.")
    assert net.rt.ledger.height() == height + 1
    again = wedge_scan(page, code)
    expect(again.locator("#verdict-code")).to_have_text("ALREADY_DISPENSED_HERE")
