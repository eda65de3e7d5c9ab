"""Signing in to the manufacturer page with an API token, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Site
from tests.e2e.support import screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_given_a_manufacturer_token_when_signing_in_then_products_batches_and_custody_show(
    page: Page, site: Site
) -> None:
    sign_in(page, site.tokens["maker"])

    expect(page.get_by_text("Acme Pharma GmbH", exact=True)).to_be_visible()
    products = page.get_by_role("region", name="Products")
    expect(products.get_by_role("rowheader", name="Paracetamol 500 mg tablets")).to_be_visible()
    batch = page.locator(f"article[data-lot='{site.network.lot}']")
    expect(batch.locator(".quantity")).to_have_text("40")
    expect(batch.locator("[data-status]")).to_have_text("Active")
    custody = batch.locator(".custody-table tbody")
    expect(custody.locator("th")).to_have_text(
        ["Acme Pharma GmbH (you)", "Apotheke am Markt", "Phoenix Wholesale"]
    )
    expect(custody.locator("td")).to_have_text(["20", "10", "10"])
    canvas = batch.locator("canvas[data-custody]")
    expect(canvas).to_be_visible()
    assert page.evaluate("canvas => Chart.getChart(canvas) !== undefined", canvas.element_handle())
    cookie = next(c for c in page.context.cookies() if c["name"] == "pt_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/manufacturer"
    screenshot(page, "01-signed-in")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "pt_session"]


def test_given_a_wrong_or_foreign_token_when_signing_in_then_the_page_says_why(
    page: Page, site: Site
) -> None:
    page.goto("/manufacturer")
    page.get_by_label("API token").fill("pt_" + "x" * 43)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("UNAUTHENTICATED")
    expect(page.get_by_role("alert")).to_contain_text("The API token is unknown")

    page.get_by_label("API token").fill(site.tokens["pharmacy_a"])
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("FORBIDDEN_ROLE")
    expect(alert).to_contain_text("This page is for manufacturers")
    screenshot(page, "00-sign-in-refused")
