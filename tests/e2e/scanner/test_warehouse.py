"""Scanner app, warehouse mode, in a real Chromium: ship by scans, receive with discrepancies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from services.domain import batches, logistic_units
from services.domain.logistic_units import UnitContent
from tests.e2e.conftest import Site
from tests.e2e.scanner.support import shot
from tests.e2e.scanner.test_pharmacy import wedge_text
from tests.integration.api.support import holding

pytestmark = pytest.mark.e2e


def sign_in(page: Page, token: str) -> None:
    page.goto("/scanner/")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#mode-switch")).to_be_visible()


def scan(page: Page, text: str) -> Locator:
    """A keyboard-wedge scan into the warehouse field; returns the notice once it answered."""
    notice = page.locator("#wh-notice")
    before = notice.get_attribute("data-seq") or "0"
    expect(page.get_by_label("Scan a pack or a case label (SSCC)")).to_be_focused()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(notice).not_to_have_attribute("data-seq", before)
    return notice


def second_batch_code(site: Site) -> str:
    """A wedge scan of the only pack of LOT002 (a batch nobody shipped)."""
    net = site.network
    expiry = net.expiry + timedelta(days=30)
    return f"]d201{net.gtin}17{expiry:%y%m%d}10LOT002\x1d21SNB0001X"


def register_second_batch(site: Site) -> None:
    net = site.network
    net.clock.advance(minutes=1)
    batches.register_batch(
        net.rt,
        actor=net.maker,
        gtin=net.gtin,
        lot="LOT002",
        expiry=net.expiry + timedelta(days=30),
        serials=["SNB0001X"],
    )


def test_given_a_distributor_when_it_ships_packs_and_a_case_by_scanning_then_a_pharmacy_receives_it_with_discrepancies(  # noqa: E501 (a journey's name)
    page: Page, site: Site
) -> None:
    net = site.network
    register_second_batch(site)
    case = logistic_units.pack_unit(
        net.rt,
        actor=net.wholesaler,
        contents=[UnitContent(net.gtin, net.lot, 3, ("SN0030X",))],
    )

    # The distributor signs in: warehouse mode by default.
    sign_in(page, site.tokens["wholesaler"])
    expect(page.locator("#warehouse")).to_be_visible()
    expect(page.locator("#scanner")).to_be_hidden()
    expect(page.get_by_role("button", name="Warehouse")).to_have_attribute("aria-pressed", "true")

    notice = scan(page, wedge_text(site, "SN0020X"))
    expect(notice).to_have_attribute("data-kind", "added")
    scan(page, wedge_text(site, "SN0021X", "<GS>"))
    notice = scan(page, wedge_text(site, "SN0020X"))
    expect(notice).to_have_attribute("data-kind", "duplicate")
    expect(notice).to_contain_text("Already scanned: pack SN0020X")
    shot(page, "warehouse-ship-repeated-scan")
    notice = scan(page, f"]C100{case.sscc}")
    expect(notice).to_have_attribute("data-light", "green")
    expect(notice).to_contain_text(f"Case {case.sscc} added: 3 pack(s)")
    notice = scan(page, f"]C100{case.sscc}")
    expect(notice).to_have_attribute("data-kind", "duplicate")
    # Bad input: never counted, always a reason.
    notice = scan(page, "hello warehouse")
    expect(notice).to_have_attribute("data-light", "amber")
    expect(notice).to_contain_text("UNRECOGNISED_FORMAT")
    notice = scan(page, "0034012345000000000")
    expect(notice).to_contain_text("TRUNCATED")
    notice = scan(page, second_batch_code(site))
    expect(notice).to_have_attribute("data-light", "red")
    expect(notice).to_contain_text("Not in your custody")

    row = page.locator(f'#wh-ship-lines tr[data-batch="{net.gtin}|{net.lot}"]')
    expect(row).to_have_attribute("data-count", "5")
    expect(row).to_contain_text("2 loose, 1 case(s)")
    expect(page.locator("#wh-ship-lines tbody tr")).to_have_count(1)
    page.get_by_label("Receiver").select_option("PharmacyBMSP")
    shot(page, "warehouse-ship-ready")
    page.get_by_role("button", name="Ship now").click()
    result = page.locator("#wh-ship-result")
    expect(result).to_have_attribute("data-state", "shipped")
    expect(result).to_contain_text("to PharmacyBMSP: 5 pack(s)")
    shipment_id = result.get_attribute("data-shipment")
    assert shipment_id
    assert holding(net.rt, net.gtin, net.lot, "WholesaleMSP") == 5
    shot(page, "warehouse-shipped")

    # The pharmacy signs in (pharmacy mode by default), switches to warehouse mode, receives.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, site.tokens["pharmacy_b"])
    expect(page.locator("#scanner")).to_be_visible()
    expect(page.locator("#warehouse")).to_be_hidden()
    page.get_by_role("button", name="Warehouse").click()
    page.get_by_role("button", name="Receive").click()
    page.get_by_label("Incoming shipment").select_option(shipment_id)
    expect(page.locator("#wh-receive-lines tbody tr")).to_have_count(1)
    page.get_by_label("Scan a pack or a case label (SSCC)").focus()

    notice = scan(page, f"(00){case.sscc}")
    expect(notice).to_contain_text(f"Case {case.sscc} counted: 3 pack(s)")
    scan(page, wedge_text(site, "SN0020X"))
    notice = scan(page, wedge_text(site, "SN0020X"))
    expect(notice).to_have_attribute("data-kind", "duplicate")
    notice = scan(page, second_batch_code(site))
    expect(notice).to_have_attribute("data-kind", "unexpected")
    expect(notice).to_contain_text("Unexpected: batch LOT002 is not in this shipment")
    expect(notice).not_to_contain_text("custody")
    lot1 = page.locator(f'#wh-receive-lines tr[data-batch="{net.gtin}|{net.lot}"]')
    expect(lot1).to_have_attribute("data-status", "short")
    expect(lot1).to_have_attribute("data-counted", "4")
    lot2 = page.locator(f'#wh-receive-lines tr[data-batch="{net.gtin}|LOT002"]')
    expect(lot2).to_have_attribute("data-status", "unexpected")
    shot(page, "warehouse-receive-counted")

    page.get_by_role("button", name="Confirm receipt").click()
    out = page.locator("#wh-receive-result")
    expect(out.locator("p")).to_have_attribute("data-state", "received_with_discrepancy")
    expect(out.locator('li[data-kind="short"]')).to_contain_text("shipped 5, received 4")
    expect(out.locator('li[data-kind="unexpected"]')).to_contain_text("batch LOT002")
    assert holding(net.rt, net.gtin, net.lot, "PharmacyBMSP") == 4
    shot(page, "warehouse-received-discrepancies")


def test_given_a_lost_connection_when_shipping_then_pressing_ship_again_ships_once(
    offline_page: Page, site: Site
) -> None:
    page = offline_page
    net = site.network
    sign_in(page, site.tokens["wholesaler"])
    scan(page, wedge_text(site, "SN0024X"))
    page.get_by_label("Receiver").select_option("PharmacyAMSP")
    height = net.rt.ledger.height()

    page.context.set_offline(True)
    page.get_by_role("button", name="Ship now").click()
    result = page.locator("#wh-ship-result")
    expect(result).to_have_attribute("data-state", "offline")
    expect(result).to_contain_text("it cannot ship twice")
    notice = scan(page, wedge_text(site, "SN0025X"))
    expect(notice).to_have_attribute("data-kind", "offline")
    assert net.rt.ledger.height() == height
    shot(page, "warehouse-ship-offline")

    page.context.set_offline(False)
    page.get_by_role("button", name="Ship now").click()
    expect(result).to_have_attribute("data-state", "shipped")
    expect(result).to_contain_text("1 pack(s)")
    assert net.rt.ledger.height() == height + 1
    assert holding(net.rt, net.gtin, net.lot, "WholesaleMSP") == 9
