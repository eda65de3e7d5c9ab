"""Registering a batch from the form and recalling one, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect

from services.domain import batches
from tests.e2e.conftest import Site
from tests.e2e.support import artifact, screenshot, sign_in

pytestmark = pytest.mark.e2e


def fill_registration(page: Page, *, lot: str, expiry: str, quantity: str) -> None:
    form = page.get_by_role("region", name="Register a batch")
    form.get_by_label("Product").select_option(label="Paracetamol 500 mg tablets (09506000134352)")
    form.get_by_label("Lot", exact=True).fill(lot)
    form.get_by_label("Expiry date").fill(expiry)
    form.get_by_label("Quantity (packs)").fill(quantity)
    form.get_by_role("button", name="Register batch").click()


def test_when_registering_a_batch_from_the_form_then_it_appears_with_quantity_and_chart(
    page: Page, site: Site
) -> None:
    sign_in(page, site.tokens["maker"])

    fill_registration(page, lot="LOT2026A", expiry="2028-06-30", quantity="100000")

    status = page.locator("#registration-status")
    job = status.locator("[data-job-state]")
    expect(job).to_have_attribute("data-job-state", "running")  # polled every 500 ms from here
    expect(job.get_by_role("progressbar")).to_be_visible()
    page.get_by_role("region", name="Register a batch").screenshot(
        path=str(artifact("02a-registration-in-progress"))
    )
    expect(job).to_have_attribute("data-job-state", "done", timeout=60_000)
    expect(status.get_by_role("status")).to_contain_text("Batch LOT2026A registered: 100,000 packs")
    batch = page.locator("article[data-lot='LOT2026A']")
    expect(batch.locator(".quantity")).to_have_text("100,000")
    expect(batch.locator(".facts")).to_contain_text("2028-06-30")
    expect(batch.locator(".custody-table tbody td")).to_have_text(["100,000"])
    canvas = batch.locator("canvas[data-custody]")
    expect(canvas).to_be_visible()
    assert page.evaluate("canvas => Chart.getChart(canvas) !== undefined", canvas.element_handle())
    expect(page.locator("#batches-title .count")).to_have_text("2")
    screenshot(page, "02-batch-registered")


def test_when_the_registration_form_is_wrong_then_the_page_says_what_to_correct(
    page: Page, site: Site
) -> None:
    sign_in(page, site.tokens["maker"])

    fill_registration(page, lot="LOT 7", expiry="2028-06-30", quantity="10")
    alert = page.locator("#registration-status").get_by_role("alert")
    expect(alert).to_contain_text("INVALID_REQUEST")
    expect(alert).to_contain_text("Lot: a lot is 1–20 characters of the GS1 character set 82.")

    fill_registration(page, lot=site.network.lot, expiry="2028-06-30", quantity="10")
    alert = page.locator("#registration-status").get_by_role("alert")
    expect(alert).to_contain_text("BATCH_EXISTS", timeout=30_000)
    screenshot(page, "03-registration-refused")
    expect(page.locator("#batches-title .count")).to_have_text("1")


def test_when_recalling_a_batch_with_a_reason_then_its_status_changes(
    page: Page, site: Site
) -> None:
    net = site.network
    batches.register_batch(
        net.rt, actor=net.maker, gtin=net.gtin, lot="LOT-RECALL", expiry=net.expiry, quantity=12
    )
    sign_in(page, site.tokens["maker"])
    batch = page.locator("article[data-lot='LOT-RECALL']")
    expect(batch.locator("[data-status]")).to_have_text("Active")

    batch.get_by_text("Recall this batch").click()
    batch.get_by_label("Reason for the recall").fill("Out-of-spec dissolution at 30 minutes.")
    confirmations: list[str] = []

    def accept(dialog: Dialog) -> None:
        confirmations.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    batch.get_by_role("button", name="Recall batch LOT-RECALL").click()

    expect(batch.locator("[data-status]")).to_have_text("Recalled")
    expect(batch.get_by_role("status")).to_contain_text("Batch LOT-RECALL is recalled.")
    expect(batch.locator(".facts")).to_contain_text("Out-of-spec dissolution at 30 minutes.")
    expect(batch.get_by_text("Recall this batch")).to_have_count(0)
    assert confirmations
    assert "cannot be undone" in confirmations[0]
    recalled, _holdings = batches.get_batch(net.rt, net.gtin, "LOT-RECALL")
    assert recalled.status == "recalled"
    screenshot(page, "05-batch-recalled")
